"""/measurements/submit/: a visitor pastes a benchmark, which waits for an admin's approval."""

from django.core import signing
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from calculator.views import from_this_site
from catalog.models import Gpu, LlmModel, Quantization

from .forms import MAX_ROWS, SubmitForm, gpu_named
from .models import MAX_PASTE_CHARS, VisitorMeasurement

MAX_BODY_BYTES = 4 * MAX_PASTE_CHARS  # the paste, percent-encoded, and the few other fields
HONEYPOT = "website"  # a field people never see (templates/community/submit.html): only robots fill it
# `?rows=`: the ids of one submission's rows, signed, so the thank-you shows what was read and no other rows
ROWS_SALT = "community.submitted-rows"
ROWS_MAX_AGE_S = 24 * 3600


@csrf_exempt  # `from_this_site` stands in for a token, as on the share form: the page sets no cookie
@require_http_methods(["GET", "POST"])
def submit(request):
    """GET: the form, filled in from the query (the calculator links here with its question); `?sent=N`
    thanks for N results, `&flagged=M` of them far from the estimate, `&already=K` more received before, and
    `&rows=` (signed) lists them as read. POST: the paste read and checked, its rows not received before
    stored for review, then 303; with `find` (the GPU finder's button, without JavaScript), the form again with
    the GPUs its name matches, nothing checked or stored."""
    thanks = reverse("community:submit")
    if request.method == "GET":
        counts = {name: _count(request.GET.get(name)) for name in ("sent", "flagged", "already")}
        rows = _submitted(request.GET.get("rows", "")) if counts["sent"] is not None else []
        initial = {k: v for k, v in request.GET.dict().items() if k != "rows"}
        return _page(request, SubmitForm(initial=initial), rows=rows, **counts)
    if not from_this_site(request):
        return HttpResponseForbidden(
            "Submissions work from this site's own pages only.\n", content_type="text/plain; charset=utf-8"
        )
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        too_big = f"That is over {MAX_BODY_BYTES // 1024} KB: paste the table or the timings alone."
        return _page(request, SubmitForm(), status=400, too_big=too_big)
    if request.POST.get(HONEYPOT):
        return HttpResponseRedirect(f"{thanks}?sent=0", status=303)  # a robot: thanked, nothing stored
    if "find" in request.POST:  # the GPU finder's own button, without JavaScript: its matches, nothing sent
        return _page(request, **_found(request.POST))
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    stored = form.save()
    flagged = sum(row.far_from_estimate for row in stored)
    query = f"?sent={len(stored)}" + (f"&flagged={flagged}" if flagged else "")
    query += f"&already={form.already}" if form.already else ""
    ids = [row.pk for row in stored] + form.earlier
    query += "&rows=" + signing.dumps(ids, salt=ROWS_SALT, compress=True)
    return HttpResponseRedirect(thanks + query, status=303)


def _found(post) -> dict:
    """The form as sent, unchecked, with what its finder's name names (community.forms `gpu_named`): that GPU
    chosen; or the GPUs it matches on top of the list, none chosen unless one of them was, and why (several,
    or none)."""
    values = {k: v for k, v in post.dict().items() if k not in ("find", HONEYPOT)}
    name = values.get("q", "")[:100].replace("\x00", "").strip()
    if not name:  # nothing typed: the list as it was
        return {"form": SubmitForm(initial=values)}
    gpu, matches, why = gpu_named(name)
    if gpu is not None or values.get("gpu") not in {m.slug for m in matches}:  # one chosen among them stays
        values["gpu"] = gpu.slug if gpu is not None else ""
    return {"form": SubmitForm(initial=values), "matches": matches, "found": why}


def _count(value: str | None) -> int | None:
    """A count from the query string, or None for anything but a few ASCII digits."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 4 else None


def _submitted(token: str) -> list[VisitorMeasurement]:
    """The rows a signed `?rows=` names (one query), as stored; none for a token altered, old or odd."""
    try:
        ids = signing.loads(token[:4096], salt=ROWS_SALT, max_age=ROWS_MAX_AGE_S)
    except signing.BadSignature:
        return []
    if not isinstance(ids, list) or not ids or len(ids) > MAX_ROWS or not all(type(i) is int for i in ids):
        return []
    rows = VisitorMeasurement.objects.filter(pk__in=ids).select_related("gpu", "llm", "quantization")
    return list(rows.order_by("-metric", "depth", "tokens", "test", "pk"))  # prefill first, as printed


def _page(
    request,
    form,
    matches=(),
    *,
    found="",
    status=200,
    sent=None,
    flagged=None,
    already=None,
    too_big="",
    rows=(),
):
    values = form.data if form.is_bound else form.initial
    chosen = (values.get("gpu") or "").replace("\x00", "")
    candidates = form.candidates() if form.is_bound else []
    matches = [*matches, *getattr(form, "matches", [])] if form.is_bound else list(matches)
    shown = {gpu.pk for gpu in [*candidates, *matches]}
    listed = Gpu.objects.filter(listed=True) | Gpu.objects.filter(slug=chosen)
    context = {
        "form": form,
        "values": values,
        "sent": sent,
        "flagged": flagged,
        "already": already,
        "too_big": too_big,
        "found": found,  # what the finder's Find button found, without JavaScript
        "rows": rows,
        "builds": list(dict.fromkeys(row.runtime_build for row in rows if row.runtime_build)),
        "honeypot": HONEYPOT,
        "models": LlmModel.objects.only("slug", "name"),
        "quants": Quantization.objects.only("slug", "name"),
        "candidates": candidates,
        "matches": [gpu for gpu in matches if gpu.pk not in {c.pk for c in candidates}],
        "gpus": listed.exclude(pk__in=shown).only("slug", "name", "memory_bytes"),
        "max_chars": MAX_PASTE_CHARS,
    }
    return TemplateResponse(request, "community/submit.html", context, status=status)
