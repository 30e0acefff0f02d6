"""`manage.py load_costs`: cloud prices, hosted API prices and street prices into the database, idempotently.

Run after `load_catalog` (the rows name GPUs and LLMs by slug). The same rules as the catalog's loads
(catalog/loading.py): rows new in the fixtures are added, fields nobody edited follow the fixtures,
and fields or rows an editor changed or deleted in the admin are left alone.
"""

import json

from django.core.management.base import BaseCommand

from catalog.loading import resolve_slugs, upsert
from catalog.models import Gpu, LlmModel, Price, one_catalog_change
from costs.models import ApiPrice, CloudPrice

from ... import FIXTURES

# file name -> (model, {field naming another catalog row by slug: its model}), in load order
FILES = {
    "street_prices.json": (Price, {"gpu": Gpu}),
    "cloud_prices.json": (CloudPrice, {"gpu": Gpu}),
    "api_prices.json": (ApiPrice, {"llm": LlmModel}),
}


class Command(BaseCommand):
    help = "Load the cost fixtures (costs/fixtures/*.json); safe to run again, never undoes an admin edit."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        with one_catalog_change():
            for filename, (model, related) in FILES.items():
                rows = json.loads((FIXTURES / filename).read_text(encoding="utf-8"))
                rows, missing = resolve_slugs(rows, related)
                if missing:
                    self.stdout.write(
                        f"{model._meta.verbose_name_plural}: {sum(missing.values())} rows skipped, not in the "
                        f"catalog: {'; '.join(sorted(missing))}"
                    )
                changes = upsert(model, rows, dry_run=dry_run, change_reason=f"load_costs {filename}")
                self.stdout.write(changes.summary(model._meta.verbose_name_plural))
                if dry_run:
                    for line in changes.details():
                        self.stdout.write(line)
