"""`manage.py load_catalog`: load fixtures/catalog/*.json into the database, idempotently."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand

from catalog import models
from catalog.loading import upsert

# file name -> model, in load order
FILES = {
    "quantizations.json": models.Quantization,
    "gpus.json": models.Gpu,
    "llms.json": models.LlmModel,
}


class Command(BaseCommand):
    help = "Load the catalog fixtures (fixtures/catalog/*.json); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        directory = settings.BASE_DIR / "fixtures" / "catalog"
        for filename, model in FILES.items():
            path = directory / filename
            if not path.exists():
                continue
            rows = json.loads(path.read_text())
            changes = upsert(model, rows, dry_run=dry_run, change_reason=f"load_catalog {filename}")
            self.stdout.write(changes.summary(model._meta.verbose_name_plural))
