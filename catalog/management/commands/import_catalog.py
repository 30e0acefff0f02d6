"""`manage.py import_catalog FILE [--dry-run]`: upsert an export_catalog document by slug, all or nothing."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog.export import CatalogFileError, import_catalog


class Command(BaseCommand):
    help = (
        "Read a file written by export_catalog and create or update every row by slug in one "
        "transaction; rows the file does not name are kept. Reports created/updated/unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The exported JSON file; '-' reads stdin.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")

    def handle(self, *args, path: str, dry_run: bool = False, **options):
        name = "stdin" if path == "-" else Path(path).name
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CommandError(f"Cannot read {path}: {e}") from None
        try:
            # A dry run really writes, then rolls back: later rows' foreign keys see earlier new rows.
            with transaction.atomic():
                results = import_catalog(text, change_reason=f"import_catalog {name}")
                if dry_run:
                    transaction.set_rollback(True)
        except CatalogFileError as e:
            raise CommandError(f"{path}: {e}") from None
        for result in results:
            line = result.changes.summary(result.model._meta.verbose_name_plural)
            if result.not_in_file:
                line += f", {result.not_in_file} not in the file (kept)"
            self.stdout.write(line)
            if dry_run or options["verbosity"] > 1:
                for detail in result.changes.details():
                    self.stdout.write(detail)
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
