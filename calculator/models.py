"""Shared snapshots: a result frozen at a short URL, with the inputs, catalog values and engine version."""

import hashlib
import json
from datetime import datetime, timedelta
from functools import partial

from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

# A query string longer than this is refused when sharing (calculator/views.py `share`). The longest real
# question is far below it: gpt-oss-120b's config.json pasted (the longest canonical config of
# shared/reference/models.json, 1,287 characters encoded) on the catalog's 64 GPUs is 2,672 characters
# (tests/calculator/test_snapshot_limits.py). And a permalink longer than a request line (gunicorn's
# limit_request_line, 8,190 bytes) would not open.
MAX_QUERY_CHARS = 8000
# A view writes `last_viewed` at most once this often (no write per view).
VIEW_RESOLUTION = timedelta(days=1)


class OrderedJSONField(models.JSONField):
    """JSON kept as written, key order included: PostgreSQL's jsonb reorders an object's keys (shorter first),
    and a shared answer listed its plans not offered, its step's parts and its explanations in another
    order than the page it froze. Stored as `json` there (SQLite keeps the text as it is); nothing queries
    inside these values, which is all jsonb adds."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        # Django sends JSON to PostgreSQL as jsonb, which has sorted the keys before the column sees them
        if connection.vendor != "postgresql" or value is None or hasattr(value, "as_sql"):
            return super().get_db_prep_value(value, connection, prepared)
        from psycopg.types.json import Json  # PostgreSQL's driver, present only where it is used

        return Json(value, dumps=partial(json.dumps, cls=self.encoder))

    def from_db_value(self, value, expression, connection):
        # psycopg decodes a `json` column itself (Django has it leave only jsonb as text), in order
        return (
            value
            if value is None or not isinstance(value, str)
            else super().from_db_value(value, expression, connection)
        )


class SnapshotQuerySet(models.QuerySet):
    def unused_since(self, cutoff: datetime):
        """Not viewed since `cutoff`: last viewed before it, or never viewed and created before it."""
        return self.alias(seen=Coalesce("last_viewed", "created")).filter(seen__lt=cutoff)


class Snapshot(models.Model):
    """What /r/<id> shows: the same numbers a year later, whatever the catalog or engine became."""

    ESTIMATE, WHAT_RUNS, WHAT_HARDWARE, DIFFUSION = "estimate", "what-runs", "what-hardware", "diffusion"
    KINDS = [
        (ESTIMATE, "Will it run?"),
        (WHAT_RUNS, "What runs on my hardware?"),
        (WHAT_HARDWARE, "What hardware runs this model?"),
        (DIFFUSION, "Will it run? (an image or video model)"),
    ]

    id = models.CharField(primary_key=True, max_length=12, editable=False)
    kind = models.CharField(max_length=16, choices=KINDS, default=ESTIMATE, help_text="Which page it froze.")
    query = models.TextField(help_text="The canonical permalink query string of its page.")
    specs = OrderedJSONField(help_text="The catalog values the engine used: model, quant, devices, workload.")
    result = OrderedJSONField(help_text="The engine's Estimate, or the reverse page's answer, as JSON.")
    charts = OrderedJSONField(
        default=list,
        blank=True,
        help_text="The answer's charts as drawn when shared (calculator/charts.py `stored`); empty for "
        "the reverse pages and for snapshots shared before charts were kept.",
    )
    engine_version = models.CharField(max_length=20)
    created = models.DateTimeField(auto_now_add=True)
    last_viewed = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Its page's last view, to the day; empty: never viewed.",
    )

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"/r/{self.id}"

    def get_absolute_url(self):
        return f"/r/{self.id}"

    def mark_viewed(self) -> None:
        """Note a view of its page: one UPDATE at most once a VIEW_RESOLUTION, none otherwise."""
        now = timezone.now()
        if self.last_viewed is None or now - self.last_viewed >= VIEW_RESOLUTION:
            Snapshot.objects.filter(pk=self.pk).update(last_viewed=now)
            self.last_viewed = now

    @staticmethod
    def make_id(query: str, specs: dict, engine_version: str, kind: str = ESTIMATE) -> str:
        """Same question, same catalog values, same engine: the same short id (sharing twice dedupes)."""
        key = [query, specs, engine_version] + ([] if kind == Snapshot.ESTIMATE else [kind])
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).digest()
        alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
        number = int.from_bytes(digest[:8], "big")
        chars = []
        for _ in range(10):
            number, rest = divmod(number, len(alphabet))
            chars.append(alphabet[rest])
        return "".join(chars)
