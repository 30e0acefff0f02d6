"""`manage.py prune_snapshots --unused-days N [--dry-run]`: delete shared snapshots nobody opened for N days."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from calculator.models import VIEW_RESOLUTION, Snapshot
from catalog import cache

# How far `last_viewed` may lag behind the last view: it is written at most once a VIEW_RESOLUTION, and
# the page may be served from the response cache (config/http_cache.py) without the view running.
LAG = VIEW_RESOLUTION + timedelta(seconds=cache.TIMEOUT_S)
MAX_DAYS = timedelta(
    days=100 * 365
)  # further back than the site's first snapshot, and than datetime's year 1


class Command(BaseCommand):
    help = (
        "Delete the shared snapshots (/r/<id>) not viewed for N days: last viewed before then, or never "
        "viewed and created before then."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unused-days", type=int, required=True, metavar="N", help="days without a view")
        parser.add_argument("--dry-run", action="store_true", help="count them, delete nothing")

    def handle(self, *args, unused_days: int, dry_run: bool, **options):
        if not LAG < timedelta(days=unused_days) <= MAX_DAYS:
            raise CommandError(
                f"--unused-days must be more than {LAG.days} (a view may take that long to be noted) "
                f"and at most {MAX_DAYS.days:,}."
            )
        unused = Snapshot.objects.unused_since(timezone.now() - timedelta(days=unused_days))
        if dry_run:
            self.stdout.write(f"Would delete {unused.count()} snapshots not viewed for {unused_days} days.")
            return
        deleted, _ = unused.delete()
        self.stdout.write(f"Deleted {deleted} snapshots not viewed for {unused_days} days.")
