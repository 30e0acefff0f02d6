"""Shared snapshots: a result frozen at a short URL, with the inputs, catalog values and engine version."""

import hashlib
import json

from django.db import models


class Snapshot(models.Model):
    """What /r/<id> shows: the same numbers a year later, whatever the catalog or engine became."""

    ESTIMATE, WHAT_RUNS, WHAT_HARDWARE = "estimate", "what-runs", "what-hardware"
    KINDS = [
        (ESTIMATE, "Will it run?"),
        (WHAT_RUNS, "What runs on my hardware?"),
        (WHAT_HARDWARE, "What hardware runs this model?"),
    ]

    id = models.CharField(primary_key=True, max_length=12, editable=False)
    kind = models.CharField(max_length=16, choices=KINDS, default=ESTIMATE, help_text="Which page it froze.")
    query = models.TextField(help_text="The canonical permalink query string of its page.")
    specs = models.JSONField(help_text="The catalog values the engine used: model, quant, devices, workload.")
    result = models.JSONField(help_text="The engine's Estimate, or the reverse page's answer, as JSON.")
    engine_version = models.CharField(max_length=20)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"/r/{self.id}"

    def get_absolute_url(self):
        return f"/r/{self.id}"

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
