"""The whole catalog as one JSON document, and back: `export_catalog` and `import_catalog`.

Generic over the catalog app: every catalog table (`CatalogRow`: not simple-history's historical
tables, nor the loaders' own bookkeeping such as `UpstreamChange`), ordered so that a model comes after the models its foreign keys point to. Each row is keyed
by its `slug` (the public identifier, stable across databases) and a foreign key is written as the
slug of the row it points to, never a primary key, so a file exported from one database imports
into another.

The document is the fixtures' shape wrapped in a small envelope, sorted keys, one-space indent:

    {"format": "will-it-run-catalog", "version": 1,
     "models": [{"model": "catalog.quantization", "rows": [{"slug": ..., ...}, ...]}, ...]}

Every editable column is written, `admin_edited_fields` and `listed` included. Left out: the
primary key, `search_key` (recomputed from the other fields on save) and `auto_now`/`auto_now_add`
timestamps (the database sets them; an import cannot keep them).

This is not Django's `dumpdata`/`loaddata`: those key rows by primary key unless the models define
`natural_key()`, and `loaddata` neither reports what changed nor keeps the history entries that
`catalog.loading.upsert()` writes.
"""

import json
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction

from .loading import Changes, plain, upsert
from .models import CatalogRow, one_catalog_change

FORMAT = "will-it-run-catalog"
VERSION = 1
DERIVED_FIELDS = {"search_key"}  # recomputed by Searchable.save() and by upsert()


class CatalogFileError(Exception):
    """The document is not a catalog export, or a row in it cannot be saved; the message says where."""


def catalog_models() -> list[type[models.Model]]:
    """Every catalog model with rows of its own, referenced models first, else in definition order."""
    candidates = [
        m
        for m in apps.get_app_config("catalog").get_models()
        if issubclass(m, CatalogRow) and not m._meta.proxy and m._meta.managed
    ]
    ordered: list[type[models.Model]] = []
    visiting: set = set()

    def visit(model):
        if model in ordered:
            return
        if model in visiting:
            raise CatalogFileError(f"{model._meta.label_lower}: foreign keys form a cycle")
        visiting.add(model)
        for field in _relations(model):
            if field.related_model in candidates and field.related_model is not model:
                visit(field.related_model)
        visiting.discard(model)
        ordered.append(model)

    for model in candidates:
        visit(model)
    return ordered


def _relations(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.is_relation]


def exported_fields(model) -> list[models.Field]:
    """The columns a row of `model` carries in the file (see the module docstring)."""
    if not any(f.name == "slug" and f.unique for f in model._meta.concrete_fields):
        raise CatalogFileError(f"{model._meta.label_lower} has no unique slug to key its rows by")
    if model._meta.many_to_many:
        raise CatalogFileError(f"{model._meta.label_lower}: many-to-many fields are not exported yet")
    for f in _relations(model):
        if not any(t.name == "slug" and t.unique for t in f.related_model._meta.concrete_fields):
            target = f.related_model._meta.label_lower
            raise CatalogFileError(f"{model._meta.label_lower}.{f.name}: {target} has no unique slug")
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.name not in DERIVED_FIELDS
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]


def export_catalog() -> dict:
    """The document: every catalog model, rows sorted by slug."""
    sections = []
    for model in catalog_models():
        fields = exported_fields(model)
        # slugs of the rows each foreign key points to, one query per relation
        targets = {
            f.attname: dict(f.related_model._base_manager.values_list("pk", "slug"))
            for f in fields
            if f.is_relation
        }
        rows = []
        for obj in model._base_manager.order_by("slug"):
            row = {}
            for f in fields:
                if f.is_relation:
                    pk = getattr(obj, f.attname)
                    row[f.name] = None if pk is None else targets[f.attname][pk]
                else:
                    row[f.name] = plain(f.value_from_object(obj))
            rows.append(row)
        sections.append({"model": model._meta.label_lower, "rows": rows})
    return {"format": FORMAT, "version": VERSION, "models": sections}


def dumps(document: dict) -> str:
    """Stable text: the same catalog always gives the same bytes (the fixtures' indent and key order)."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass
class ImportResult:
    model: type[models.Model]
    changes: Changes
    not_in_file: int  # rows in the database the file does not mention: left alone


def import_catalog(text: str, *, change_reason: str = "import_catalog") -> list[ImportResult]:
    """Upsert every row of an exported document by slug, in one transaction; raise CatalogFileError.

    The file is the catalog as it should be, so fields an admin edited here are overwritten too
    (the file carries its own `admin_edited_fields`), and rows an editor deleted here are created
    again if the file has them. Rows the file does not mention are kept. The catalog version moves
    once, when the import ends.
    Callers wanting a dry run wrap this in `transaction.atomic()` and roll back: rows created earlier
    in the file must exist for later foreign keys to resolve, so nothing is skipped.
    """
    by_label = {m._meta.label_lower: m for m in catalog_models()}
    sections = _parse(text)
    for label, _rows in sections:
        if label not in by_label:
            raise CatalogFileError(f"Unknown catalog model {label!r}; expected one of {', '.join(by_label)}")
    labels = [label for label, _rows in sections]
    if len(set(labels)) != len(labels):
        raise CatalogFileError(
            f"A model appears twice: {', '.join(sorted({x for x in labels if labels.count(x) > 1}))}"
        )
    order = list(by_label)
    sections.sort(
        key=lambda section: order.index(section[0])
    )  # referenced models first, whatever the file's order
    results = []
    with transaction.atomic(), one_catalog_change():
        for label, rows in sections:
            model = by_label[label]
            rows = _prepared(model, rows)
            try:
                changes = upsert(model, rows, overwrite_admin_edits=True, change_reason=change_reason)
            except (ValueError, ValidationError) as e:
                raise CatalogFileError(f"{label}: {_message(e)}") from None
            except DatabaseError as e:
                raise CatalogFileError(
                    f"{label}: the database refused a row: {str(e).splitlines()[0]}"
                ) from None
            slugs = {r["slug"] for r in rows}
            not_in_file = model._base_manager.exclude(slug__in=slugs).count()
            results.append(ImportResult(model, changes, not_in_file))
    return results


def _parse(text: str) -> list[tuple[str, list]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise CatalogFileError(f"Not JSON: {e}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CatalogFileError(f'Not a catalog export: expected an object with "format": "{FORMAT}"')
    if document.get("version") != VERSION:
        raise CatalogFileError(f"Unsupported version {document.get('version')!r}; this site reads {VERSION}")
    sections = document.get("models")
    if not isinstance(sections, list):
        raise CatalogFileError('"models" must be a list of {"model": ..., "rows": [...]}')
    parsed = []
    for i, section in enumerate(sections):
        if not (isinstance(section, dict) and isinstance(section.get("model"), str)):
            raise CatalogFileError(f'models[{i}] must be an object with a "model" name')
        rows = section.get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise CatalogFileError(f'{section["model"]}: "rows" must be a list of objects')
        parsed.append((section["model"].lower(), rows))
    return parsed


def _prepared(model, rows: list[dict]) -> list[dict]:
    """Rows as `upsert()` takes them: fields checked, foreign-key slugs turned into primary keys."""
    label = model._meta.label_lower
    fields = {f.name: f for f in exported_fields(model)}
    relations = [f for f in fields.values() if f.is_relation]
    pks = {f.name: dict(f.related_model._base_manager.values_list("slug", "pk")) for f in relations}
    prepared = []
    for i, row in enumerate(rows):
        slug = row.get("slug")
        if not isinstance(slug, str) or not slug:
            raise CatalogFileError(f"{label} row {i + 1}: no slug")
        unknown = sorted(set(row) - set(fields))
        if unknown:
            raise CatalogFileError(f"{label} {slug}: unknown field(s) {', '.join(unknown)}")
        out = {}
        for name, value in row.items():
            field = fields[name]
            if field.is_relation:
                if value is not None and (not isinstance(value, str) or value not in pks[name]):
                    target = field.related_model._meta.label_lower
                    raise CatalogFileError(f"{label} {slug}: {name} {value!r} is not a {target} slug")
                out[field.attname] = None if value is None else pks[name][value]
                continue
            try:
                field.to_python(value)
            except (ValidationError, TypeError) as e:
                raise CatalogFileError(f"{label} {slug}: {name}: {_message(e)}") from None
            out[name] = value
        prepared.append(out)
    return prepared


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        return " ".join(error.messages)
    return str(error)
