"""Upsert catalog rows by slug: idempotent, reports what it would change, respects admins' edits."""

from dataclasses import dataclass, field

from django.db import models, transaction


@dataclass
class Changes:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # slug -> changed fields
    unchanged: int = 0
    kept_admin_edits: dict[str, list[str]] = field(default_factory=dict)

    def summary(self, label: str) -> str:
        return (
            f"{label}: {len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"
            + (f", admin edits kept on {len(self.kept_admin_edits)}" if self.kept_admin_edits else "")
        )


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
    `overwrite_admin_edits`. Every row is validated with `full_clean()` before it is saved.
    """
    changes = Changes()
    existing = {obj.slug: obj for obj in model.objects.filter(slug__in=[r["slug"] for r in rows])}
    protects = any(f.name == "admin_edited_fields" for f in model._meta.get_fields())
    with transaction.atomic():
        for row in rows:
            obj = existing.get(row["slug"])
            if obj is None:
                obj = model(**row)
                obj.full_clean()
                changes.created.append(row["slug"])
                if not dry_run:
                    obj._change_reason = change_reason
                    obj.save()
                continue
            protected = set(obj.admin_edited_fields) if protects and not overwrite_admin_edits else set()
            changed, kept = [], []
            for name, raw in row.items():
                value = model._meta.get_field(name).to_python(raw)  # "2020-09-24" -> date(2020, 9, 24)
                if getattr(obj, name) == value:
                    continue
                if name in protected:
                    kept.append(name)
                    continue
                setattr(obj, name, value)
                changed.append(name)
            if kept:
                changes.kept_admin_edits[obj.slug] = kept
            if not changed:
                changes.unchanged += 1
                continue
            obj.full_clean()
            changes.updated[obj.slug] = changed
            if not dry_run:
                obj._change_reason = change_reason
                obj.save()
        if dry_run:
            transaction.set_rollback(True)
    return changes
