"""`manage.py export_catalog [-o FILE]`: every catalog row as one JSON document (see catalog/export.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.export import CatalogFileError, dumps, export_catalog


class Command(BaseCommand):
    help = (
        "Write the whole catalog (every catalog model, rows keyed by slug, foreign keys as slugs) "
        "as JSON to a file or stdout; import_catalog reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="File to write; stdout when left out or '-'.")

    def handle(self, *args, output: str | None = None, **options):
        try:
            text = dumps(export_catalog())
        except CatalogFileError as e:
            raise CommandError(str(e)) from None
        if output in (None, "-"):
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            raise CommandError(f"Cannot write {path}: {e.strerror}") from None
        self.stderr.write(f"Wrote {path}")
