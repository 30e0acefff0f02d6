"""Slugs are public addresses: fixed once created, renamed only on purpose, and never broken by it.

`rename()` is the one way to change a slug (the admin's "Change slug" page calls it): it records the
old slug as a `FormerSlug` of the row, in the same transaction as the row's save (whose history keeps
the reason). From then on:

- `get()` and `with_renamed()` find a row by a slug it had (the calculator's forms call them where a
  slug is not found: no query is added while every slug is current, at most two when one is not), so
  the API, shared results and compared questions answer under the new slug;
- `FormerSlugRedirectMiddleware` turns a page asked for with a former slug in its query string
  (`/?model=old&gpu=old`, /what-runs/, /og.png...) into a 301 to the same page with the current slugs;
  the catalog's own pages (/gpus/<slug>/, /models/<slug>/) redirect in their views;
- catalog loads that still name the old slug update the renamed row (catalog/loading.py).
"""

import re
from collections.abc import Iterable
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import models, transaction
from django.http import HttpResponsePermanentRedirect
from django.utils.cache import patch_cache_control

from . import cache
from .models import FormerSlug, UpstreamChange

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,200}")
# Query parameters that name catalog rows by slug, and the tables they name.
PARAMS = {
    "gpu": ("catalog.gpu",),
    "model": ("catalog.llmmodel", "catalog.diffusionmodel"),
    "quant": ("catalog.quantization",),
}
# Former slugs read while answering this request, (table, old) -> current; None outside a request.
_seen: ContextVar[dict[tuple[str, str], str] | None] = ContextVar("former_slugs_seen", default=None)


def rename(row: models.Model, new_slug: str, *, reason: str, user=None) -> FormerSlug:
    """Give `row` the slug `new_slug`, keeping its old slug as a former slug of the row. Raises
    ValidationError({"new_slug": ...}) if the slug is malformed, the same, or another row's (current or
    former)."""
    new_slug = new_slug.strip()
    check(row, new_slug)
    label = row._meta.label_lower
    old = row.slug
    with transaction.atomic():
        FormerSlug.objects.filter(model=label, slug=new_slug).delete()  # this row's own, renamed back
        former, _ = FormerSlug.objects.update_or_create(
            model=label,
            slug=old,
            defaults={"row_id": row.pk, "renamed_to": new_slug, "renamed_by": user, "reason": reason},
        )
        UpstreamChange.objects.filter(model=label, slug=old).update(slug=new_slug)
        row.slug = new_slug
        row._change_reason = f"Slug changed from “{old}” to “{new_slug}”: {reason}"
        if user is not None:
            row._history_user = user
        row.save()  # history, `admin_edited_fields` gains "slug", the catalog version moves
    return former


def check(row: models.Model, new_slug: str) -> None:
    """The problems with giving `row` the slug `new_slug`, as a ValidationError on "new_slug"."""
    field = row._meta.get_field("slug")
    try:
        validate_slug(new_slug)
    except ValidationError:
        raise ValidationError({"new_slug": "Letters, digits, hyphens and underscores only."}) from None
    if len(new_slug) > field.max_length:
        raise ValidationError({"new_slug": f"At most {field.max_length} characters."})
    if new_slug == row.slug:
        raise ValidationError({"new_slug": "That is the slug it has."})
    other = type(row)._base_manager.filter(slug=new_slug).exclude(pk=row.pk).first()
    if other is not None:
        raise ValidationError({"new_slug": f"“{new_slug}” is the slug of {other}."})
    former = FormerSlug.held_by_another(row, new_slug)
    if former is not None:
        raise ValidationError({"new_slug": former.reserved_message()})


def with_renamed(
    model: type[models.Model], found: dict, asked, *, queryset=None, respell=False, versioned=False
) -> dict:
    """`found` (slug -> row, from a lookup by slug) plus the rows that had the `asked` slugs it lacks,
    under those old slugs (read from `queryset`, the model's rows by default). No query when every
    slug was found; two when one was renamed. With `respell` (a visitor's question, never a catalog
    load), a slug spelled as people write names ("Llama-3.1-8B") finds the row whose slug it spells."""
    if respell:
        found = found | _respelled(model, [s for s in asked if s not in found], queryset, versioned)
    missing = {s for s in asked if s not in found and SLUG.fullmatch(s)}
    if not missing:
        return found
    label = model._meta.label_lower
    former = dict(FormerSlug.objects.filter(model=label, slug__in=missing).values_list("slug", "row_id"))
    if not former:
        return found
    rows = (queryset if queryset is not None else model._default_manager.all()).in_bulk(set(former.values()))
    renamed = {old: rows[pk] for old, pk in former.items() if pk in rows}
    seen = _seen.get()
    if seen is not None:
        seen |= {(label, old): row.slug for old, row in renamed.items()}
    return {**found, **renamed}


def spellings(text: str, *, versioned: bool = False) -> tuple[str, ...]:
    """The slugs a name typed by a visitor may spell, most literal first: lower case ("Q4_K_M" ->
    "q4_k_m"), then each run of other characters a hyphen, with and without the underscores the
    formats' slugs keep ("Llama-3.1-70B-Instruct" -> "llama-3-1-70b-instruct"); `versioned`, also with
    the name's version set apart, as the image models' slugs have it ("Wan2.2-T2V" -> "wan-2-2-t2v").
    Not for the LLMs: Ollama's "llama3.1:70b" (an instruct model) would spell the base model's slug."""
    lower = text.lower()
    kept = re.sub(r"[^a-z0-9_]+", "-", lower).strip("-")
    hyphens = re.sub(r"[^a-z0-9]+", "-", kept).strip("-")
    apart = re.sub(r"(?<=[a-z])(?=[0-9])", "-", hyphens, count=1) if versioned else hyphens
    return tuple(dict.fromkeys((lower, kept, hyphens, apart)))


class NameConverter:
    """A catalog page's slug in its URL as visitors type it ("/models/Llama-3.1-8B-Instruct/"): a slug,
    dots allowed; the view's `redirect_or_404` answers one spelled otherwise with a 301 to its page."""

    regex = r"[-a-zA-Z0-9_.]{1,200}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def _respelled(model: type[models.Model], asked, queryset=None, versioned=False) -> dict:
    """The rows whose current slug the `asked` texts spell otherwise, under the texts asked; each noted
    as seen, so that a page asked for with one answers with a 301 to its current slug. No query: the
    slugs are `current`'s, and a restricted `queryset` is asked only for a row found."""
    typed = [text for text in asked if len(text) <= 200 and text.isprintable()]  # NUL: the form's error
    spelling = {
        text: options
        for text in typed
        if (options := [s for s in spellings(text, versioned=versioned) if s != text])
    }
    if not spelling:  # every slug found, or asked as a slug spells it: nothing to read
        return {}
    rows = current(model, {s for options in spelling.values() for s in options})
    first = {text: next((rows[s] for s in options if s in rows), None) for text, options in spelling.items()}
    found = {text: row for text, row in first.items() if row is not None}
    if queryset is not None and found:
        kept = queryset.in_bulk({row.pk for row in found.values()})
        found = {text: kept[row.pk] for text, row in found.items() if row.pk in kept}
    seen = _seen.get()
    if seen is not None:
        seen |= {(model._meta.label_lower, text): row.slug for text, row in found.items()}
    return found


def current(model: type[models.Model], asked) -> dict:
    """Slug -> row for the `asked` slugs that are some row's current slug, as `filter(slug__in=asked)`
    finds them, without a query once warm: the table's columns are read once per catalog version
    (catalog/cache.py) and each row is built afresh from them, so no request sees another's instance.
    The calculator validates every question this way: its three lookups were ~1.5 ms of an answer."""

    names, table = _table(model)
    return {s: model.from_db(model._default_manager.db, names, table[s]) for s in asked if s in table}


def in_order(model: type[models.Model]) -> Iterable[str]:
    """Every current slug of the table, in its default order (its Meta.ordering, as a query without
    `order_by` returns it), from the columns `current` reads once per catalog version."""
    return _table(model)[1].keys()


def _table(model: type[models.Model]) -> tuple[list[str], dict[str, tuple]]:
    def read() -> tuple[list[str], dict[str, tuple]]:
        names = [f.attname for f in model._meta.concrete_fields]
        return names, {row[names.index("slug")]: row for row in model._default_manager.values_list(*names)}

    return cache.get_or_compute(f"rows:{model._meta.label_lower}", "", read)


def get(model: type[models.Model], slug: str):
    """`model.objects.get(slug=slug)`, or the row that had `slug` before a rename; DoesNotExist else."""
    row = current(model, [slug]).get(slug) or with_renamed(model, {}, [slug], respell=True).get(slug)
    if row is None:
        raise model.DoesNotExist(f"No {model._meta.verbose_name} “{slug}”.")
    return row


def redirect_or_404(model: type[models.Model], slug: str, url_name: str):
    """For a catalog page asked for by a former slug: a 301 to the page under the current slug."""
    from django.http import Http404
    from django.urls import reverse

    row = with_renamed(model, {}, [slug], respell=True).get(slug)
    if row is None:
        raise Http404(f"No {model._meta.verbose_name} “{slug}”.")
    return permanent_redirect(reverse(url_name, args=[row.slug]))


def permanent_redirect(url: str) -> HttpResponsePermanentRedirect:
    """A 301 a browser asks again about (no-cache): if the row is later renamed back, the new answer
    is seen at once instead of a cached redirect looping to it."""
    response = HttpResponsePermanentRedirect(url)
    patch_cache_control(response, no_cache=True)
    return response


class FormerSlugRedirectMiddleware:
    """A page (not /api/) whose query string named a row by a former slug answers with a 301 to the
    same page with the current slugs, once its view has read them (through `with_renamed`, as the
    calculator's forms do): nothing is looked up beforehand, so pages asked for with current slugs cost
    nothing more. Place it below PublicResponseMiddleware, which then never keeps such an answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _seen.set({})
        try:
            response = self.get_response(request)
            seen = _seen.get()
        finally:
            _seen.reset(token)
        if seen and request.method in ("GET", "HEAD") and not request.path_info.startswith("/api/"):
            query = current_query(request.GET, seen)
            if query is not None:
                return permanent_redirect(f"{request.path}?{query.urlencode(safe='')}")
        return response


def current_query(query, seen: dict[tuple[str, str], str]):
    """`query` with each former slug in PARAMS replaced by its current slug; None if none was."""
    changed = query.copy()
    replaced = False
    for param, labels in PARAMS.items():
        values = query.getlist(param)
        current = [next((seen[(label, v)] for label in labels if (label, v) in seen), v) for v in values]
        if current != values:
            changed.setlist(param, current)
            replaced = True
    return changed if replaced else None
