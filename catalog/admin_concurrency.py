"""Optimistic concurrency for catalog edits: a change is saved only over the values it was opened on.

A page that edits a row (the change form, the revert page) and a bulk export carry the row's version as
it was shown: `version(row)`, the time it was read and a digest of the values a form or a load can write
(`CatalogRow.upstream_fields`). On save, `conflict()` reads the row again, locked until the save ends:
if its digest differs, someone saved the row in between, and the save is refused with who changed what
(from the history entries since, and the entry that held the opened values). Without this, a tab opened
before another editor's save writes its stale values back, and the models record them as this editor's
edits (`admin_edited_fields`), which loads then never restore.
"""

import datetime
import hashlib
import json
import os
from dataclasses import dataclass

from django.db import connection, models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from .loading import plain

SEPARATOR = ":"


def values(row: models.Model) -> dict:
    """The values of a row that editors and loads write, as JSON (a history entry's instance too)."""
    return {f.name: plain(f.value_from_object(row)) for f in row.upstream_fields()}


def digest(row: models.Model) -> str:
    text = json.dumps(values(row), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def version(row: models.Model) -> str:
    """'<when it was read, µs since the epoch>:<digest of its values>'."""
    read_at = int(timezone.now().timestamp() * 1_000_000)
    return f"{read_at}{SEPARATOR}{digest(row)}"


def _parse(opened: str) -> tuple[datetime.datetime | None, str]:
    when, _, hashed = opened.partition(SEPARATOR)
    try:
        return datetime.datetime.fromtimestamp(int(when) / 1_000_000, tz=datetime.UTC), hashed
    except (ValueError, OverflowError, OSError):
        return None, opened


@dataclass(frozen=True)
class Change:
    name: str
    label: str
    old: object
    new: object


@dataclass(frozen=True)
class Conflict:
    """A row saved by someone else since it was opened: the row now, the values it was opened on (None
    where no history entry holds them), what changed, and the history entries since."""

    current: models.Model
    opened: models.Model | None
    changes: list[Change]
    records: list

    def by_whom(self) -> str:
        if not self.records:
            return "changed"
        each = [
            f"changed by {r.history_user or 'a catalog load'} at "
            f"{date_format(timezone.localtime(r.history_date), 'Y-m-d H:i')}"
            + (f" (“{r.history_change_reason}”)" if r.history_change_reason else "")
            for r in self.records[-3:]
        ]
        more = len(self.records) - len(each)
        return " and ".join(each) + (f", after {more} earlier change{'s' * (more > 1)}" if more else "")

    def what(self) -> str:
        if self.opened is None:
            return "The history does not hold the values you opened: compare each field with the saved one."
        shown = [f"{c.label}: {' → '.join(_shown(c.old, c.new))}" for c in self.changes]
        return "; ".join(shown) + "." if shown else "No field differs now (it was changed back)."

    def message(self, since: str = "you opened it") -> str:
        return f"This row was {self.by_whom()} since {since}. {self.what()}"


def _shown(old, new, width: int = 60) -> tuple[str, str]:
    """Two values as the message shows them: a long text from a little before where the two differ."""
    texts = ["(empty)" if v in (None, "") else str(v) for v in (old, new)]
    same = len(os.path.commonprefix(texts))
    start = max(0, same - 20) if max(map(len, texts)) > width else 0
    return tuple(
        ("…" if start else "") + t[start : start + width] + ("…" if len(t) > start + width else "")
        for t in texts
    )


def conflict(row: models.Model, opened: str) -> Conflict | None:
    """The conflict, if the saved row (read again, and locked inside a transaction) is no longer the one
    `opened` (a `version()`) was read from; None when it is, or when there is no version to check."""
    if not opened:
        return None
    model = type(row)
    rows = model._base_manager.filter(pk=row.pk)
    if connection.in_atomic_block:
        rows = rows.select_for_update()
    current = rows.first()
    if current is None:
        return None  # deleted meanwhile: Django's own "does not exist" answers
    read_at, hashed = _parse(opened)
    if digest(current) == hashed:
        return None
    history = model.history.filter(**{model._meta.pk.attname: row.pk}).select_related("history_user")
    records, was = [], None
    if read_at is not None:
        records = list(history.filter(history_date__gt=read_at).order_by("history_date", "history_id"))
        before = history.filter(history_date__lte=read_at).order_by("-history_date", "-history_id").first()
        if before is not None and digest(before.instance) == hashed:
            was = before.instance
    changes = []
    if was is not None:
        old, new = values(was), values(current)
        fields = {f.name: f for f in model._meta.concrete_fields}
        changes = [
            Change(n, capfirst(fields[n].verbose_name), *_named(fields[n], old[n], new[n]))
            for n in old
            if old[n] != new[n]
        ]
    return Conflict(current=current, opened=was, changes=changes, records=records)


def _named(field, *pks) -> list:
    """A foreign key's values as the rows they name (a GPU's name rather than its id)."""
    if not field.is_relation:
        return list(pks)
    rows = field.related_model._base_manager.in_bulk([pk for pk in pks if pk is not None])
    return [rows.get(pk, pk) if pk is not None else None for pk in pks]
