"""What every catalog table shares: the edit record, the change signal, the searchable base with
its slug, and the former slugs that keep old links working."""

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

import pydantic
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

from ..search import search_key, search_terms

logger = logging.getLogger(__name__)


def spec_errors(error: pydantic.ValidationError, row: models.Model) -> ValidationError:
    """The engine's pydantic errors as Django field errors: each next to the field it names (by its
    location, or the first field named in its message), the rest at the top of the form."""
    fields = {f.name for f in row._meta.concrete_fields}
    by_field: dict[str, list[str]] = {}
    for err in error.errors():
        message = err["msg"].removeprefix("Value error, ")
        named = [str(part) for part in err["loc"] if str(part) in fields]
        in_message = sorted((message.find(f), -len(f), f) for f in fields if re.search(rf"\b{f}\b", message))
        field = (named or [f for _, _, f in in_message] or [NON_FIELD_ERRORS])[0]
        by_field.setdefault(field, []).append(message[0].upper() + message[1:] + ".")
    return ValidationError(by_field)


def valid_specs(rows: Iterable) -> list[tuple]:
    """(row, its engine spec) for every row the engine accepts. A row it refuses (saved before the admin
    checked it, or written around the admin) is logged and left out: one bad row never takes down a
    page that lists many."""
    pairs = []
    for row in rows:
        try:
            pairs.append((row, row.as_spec()))
        except pydantic.ValidationError as e:
            logger.error("%s %r left out: the engine refuses it: %s", type(row).__name__, row.slug, e)
    return pairs


def catalog_history() -> HistoricalRecords:
    """Edit history, with the editor's reason for each change (`obj._change_reason = "..."` before
    save(); the loaders write theirs): a text, not simple-history's default 100 characters. Who made
    the change is `history_user`: set for an editor (the admin), None for the loaders."""
    return HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), excluded_fields=["admin_edited_fields"]
    )


# Sent once after a write that sends no post_save/post_delete per row: a queryset update(), a bulk
# create or update, a whole load or import. The calculator's cache listens (catalog/cache.py).
catalog_changed = Signal()
_batch: ContextVar[set | None] = ContextVar("catalog_batch", default=None)


@contextmanager
def one_catalog_change() -> Iterator[None]:
    """Bulk writes inside the block send `catalog_changed` once, when it ends, if any row changed."""
    if _batch.get() is not None:  # nested: the outermost block sends
        yield
        return
    token = _batch.set(set())
    try:
        yield
    finally:
        changed = _batch.get()
        _batch.reset(token)
        if changed:
            catalog_changed.send(sender=CatalogRow, models=sorted(m._meta.label_lower for m in changed))


def _changed(model: type[models.Model]) -> None:
    batch = _batch.get()
    if batch is None:
        catalog_changed.send(sender=CatalogRow, models=[model._meta.label_lower])
    else:
        batch.add(model)


class CatalogQuerySet(models.QuerySet):
    """Writes that bypass save() and delete() still say the catalog changed (once per call)."""

    def update(self, **kwargs) -> int:
        rows = super().update(**kwargs)
        if rows:
            _changed(self.model)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            _changed(self.model)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        with one_catalog_change():  # bulk_update runs one update() per batch
            return super().bulk_update(objs, fields, *args, **kwargs)


def constraint_field(constraint) -> str | None:
    """The first field a constraint names: `memory_bytes` for Q(memory_bytes__gt=0), `name` for
    UniqueConstraint(Lower("name"), "vendor")."""
    if getattr(constraint, "fields", None):
        return constraint.fields[0]
    parts = [*getattr(constraint, "expressions", ()), getattr(constraint, "condition", None)]
    return next((name for part in parts for name in _field_names(part)), None)


def _field_names(node) -> Iterator[str]:
    if isinstance(node, Q):
        for child in node.children:
            yield from _field_names(child)
    elif isinstance(node, tuple):  # a lookup: ("memory_bytes__gt", 0)
        yield node[0].split("__")[0]
        yield from _field_names(node[1])
    elif isinstance(node, F):
        yield node.name
    elif hasattr(node, "get_source_expressions"):
        for expression in node.get_source_expressions():
            yield from _field_names(expression)


class CatalogRow(models.Model):
    """What every catalog table shares: the fields an editor changed, which `load_catalog` leaves alone.

    `admin_edited_fields` is kept by the models, not typed by editors: every save with a history user
    (an editor in the admin: the middleware or `_history_user` sets it) adds the fields it changed, and
    a row an editor creates is theirs entirely (`remember_editor_changes` below). The loaders write
    with no user. Upstream values for these fields wait in `UpstreamChange` for an editor's decision.
    """

    admin_edited_fields = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
    )

    objects = CatalogQuerySet.as_manager()

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        """Django's, with each violated constraint's message next to the field it is about (the
        first field it names) rather than at the top of the form."""
        using = router.db_for_write(type(self), instance=self)
        errors: dict[str, list] = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as e:
                    errors.setdefault(constraint_field(constraint) or NON_FIELD_ERRORS, []).extend(
                        e.error_list
                    )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def upstream_fields(cls) -> list[models.Field]:
        """The fields a catalog load may write: all but the key, derived values and the edit record."""
        skip = {"id", "search_key", "admin_edited_fields"}
        return [f for f in cls._meta.concrete_fields if f.name not in skip]


@receiver(post_create_historical_record)
def remember_editor_changes(sender, instance, history_instance, history_user, **kwargs) -> None:
    """An editor's save (a history entry with a user) adds the fields it changed to the row's
    `admin_edited_fields`; a row an editor creates has every field marked. One query per editor save
    (the previous version), and an update only when the list grows."""
    if history_user is None or not isinstance(instance, CatalogRow) or history_instance.history_type == "-":
        return
    fields = instance.upstream_fields()
    previous = history_instance.prev_record if history_instance.history_type == "~" else None
    if previous is not None:
        fields = [f for f in fields if getattr(previous, f.attname) != getattr(history_instance, f.attname)]
    names = {f.name for f in fields} - getattr(instance, "_upstream_accepted", set())
    edited = sorted((set(instance.admin_edited_fields or []) | names) - _typed_back(history_instance, fields))
    if edited != list(instance.admin_edited_fields or []):
        instance.admin_edited_fields = edited
        type(instance)._base_manager.filter(pk=instance.pk).update(admin_edited_fields=edited)


def _typed_back(history_instance, changed: list[models.Field]) -> set[str]:
    """The fields this save changed back to what the last catalog load wrote (the latest version saved
    with no user): they follow the loads again, as if never edited (a review: typing 936.2 → 468 →
    936.2 pinned the bandwidth for good, and later upstream corrections were skipped silently)."""
    if not changed or history_instance.history_type != "~":
        return set()
    pk = history_instance.instance_type._meta.pk.attname
    loaded = (
        type(history_instance)
        .objects.filter(**{pk: getattr(history_instance, pk)}, history_user__isnull=True)
        .exclude(history_type="-")
        .order_by("-history_date", "-history_id")
        .first()
    )
    if loaded is None:
        return set()
    return {f.name for f in changed if getattr(loaded, f.attname) == getattr(history_instance, f.attname)}


def free_slug(model: type[models.Model], base: str) -> str:
    """`base`, or `base-2`, `base-3`, ...: the first slug no row of `model` holds (for rows whose slug an
    editor left empty; a slug is never rewritten afterwards: the loaders and exports know the row by it)."""
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# An address cited in a row's `source` text: up to a space, a quote, a bracket or a comma; a sentence's
# full stop or colon after it is no part of it.
CITED_URL = re.compile(r"https?://[^\s'\"()<>,;]+")


class SearchableQuerySet(CatalogQuerySet):
    def listed(self):
        return self.filter(listed=True)

    def search(self, query: str):
        qs = self
        for term in search_terms(query):
            qs = qs.filter(search_key__contains=term)
        return qs


class Searchable(CatalogRow):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    search_key = models.CharField(max_length=400, editable=False, db_index=True, default="")
    listed = models.BooleanField(default=False, help_text="Shown in the pickers; every row stays searchable.")
    source = models.TextField(blank=True, help_text="Where the numbers come from.")

    objects = SearchableQuerySet.as_manager()

    class Meta(CatalogRow.Meta):
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_key = search_key(self.search_text())
        super().save(*args, **kwargs)

    def clean(self):
        """The engine's own checks, where the row has an `as_spec()`: what the engine would refuse on a
        public page is refused here, next to the field it names."""
        super().clean()
        as_spec = getattr(self, "as_spec", None)
        if as_spec is None:
            return
        try:
            as_spec()
        except pydantic.ValidationError as e:
            raise spec_errors(e, self) from None
        except (TypeError, ValueError):
            pass  # a field that is not a number yet: clean_fields() has said so next to it

    def validate_unique(self, exclude=None):
        """Django's, and a slug that another row had before it was renamed stays that row's: old links
        lead there (see FormerSlug), so a new row cannot take it."""
        super().validate_unique(exclude)
        if not self._state.adding or not self.slug or (exclude and "slug" in exclude):
            return  # a row keeps its slug (renames are checked by catalog/slugs.py)
        former = FormerSlug.held_by_another(self, self.slug)
        if former is not None:
            raise ValidationError({"slug": former.reserved_message()})

    def search_text(self) -> str:
        return f"{self.name} {self.slug}"

    @property
    def source_links(self) -> list[tuple[str, str]]:
        """The addresses `source` cites, each once, as (site, URL): what a public page links for the row."""
        found = dict.fromkeys(m.rstrip(".:") for m in CITED_URL.findall(self.source))
        sites = ((urlsplit(url).hostname, url) for url in found)
        return [(host.removeprefix("www."), url) for host, url in sites if host]


def catalog_model(label: str) -> type[CatalogRow]:
    """ "catalog.gpu" (or "gpu") -> Gpu; LookupError for anything but a catalog table."""
    from django.apps import apps

    model = apps.get_model(label if "." in label else f"catalog.{label}")
    if not issubclass(model, CatalogRow):
        raise LookupError(f"{label} is not a catalog table")
    return model


class FormerSlug(models.Model):
    """A slug a catalog row had until an editor renamed it (catalog/slugs.py): links that name it keep
    working (pages answer with a permanent redirect, the API and shared results read the row under its
    new slug) and catalog loads that still name it update the renamed row instead of creating it again.

    One row per (table, old slug), pointing at the row by primary key, so any number of renames lead
    to the current slug in one step; renaming back to a former slug removes that slug from here, so a
    redirect never points at itself. The row's own history keeps every rename with its reason.
    """

    model = models.CharField(max_length=100, help_text='The catalog table, e.g. "catalog.gpu".')
    slug = models.SlugField("former slug", max_length=200)
    row_id = models.BigIntegerField(help_text="The renamed row's id.")
    renamed_to = models.SlugField(max_length=200, help_text="The slug it was renamed to then.")
    renamed_at = models.DateTimeField(default=timezone.now)
    renamed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["model", "-renamed_at"]
        constraints = [models.UniqueConstraint(fields=["model", "slug"], name="former_slug_unique")]

    def __str__(self):
        return f"{self.model} {self.slug} → {self.renamed_to}"

    def row(self) -> CatalogRow | None:
        return catalog_model(self.model)._base_manager.filter(pk=self.row_id).first()

    @classmethod
    def held_by_another(cls, row: models.Model, slug: str) -> "FormerSlug | None":
        """The record of `slug` as a former slug of another, existing row of `row`'s table, if any."""
        former = cls.objects.filter(model=row._meta.label_lower, slug=slug).exclude(row_id=row.pk).first()
        if former is None or not type(row)._base_manager.filter(pk=former.row_id).exists():
            return None
        return former

    def reserved_message(self) -> str:
        row = self.row()
        return (
            f"“{self.slug}” was the slug of {row} until {self.renamed_at:%Y-%m-%d}; links that use it lead "
            f"there (now “{row.slug}”). Choose another slug."
        )


@receiver([post_save, post_delete], sender=FormerSlug)
def former_slugs_changed(sender, **kwargs) -> None:
    """Where old links lead is part of the catalog: cached pages and answers must not outlive it."""
    _changed(FormerSlug)
