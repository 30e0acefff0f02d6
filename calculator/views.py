from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseRedirect,
    QueryDict,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.http import is_same_domain
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, push_url

from catalog import byo
from catalog.models import Gpu, LlmModel, Quantization
from catalog.runtimes import BY_SLUG
from config import http_cache
from estimator.units import format_rate

from . import charts, compared, diffusion_views, hub_config, pickers, rig, snapshots
from .fixes import labelled_errors, problems
from .forms import FIRST_VISIT, MAX_DEVICES, MAX_RAM_GB, QuestionForm, image_model, put_own_model
from .models import Snapshot
from .og import SNAPSHOT_MAX_AGE_S
from .page import (
    cached_result,
    combination_pickers,
    computed,
    first_visit,
    form_pickers,
    inputs_url,
    page_url,
    permalink_or_page,
)
from .question import EngineRefused, Question

MAX_COMPARED = 4


@require_GET
@vary_on_headers("HX-Request")
@http_cache.public(etag=http_cache.page_etag)
def will_it_run(request):
    """The "Will it run?" page; with HX-Request it returns only the #result partial. An image or video
    model is answered by calculator/diffusion_views.py."""
    if (diffusion := diffusion_views.page_or_none(request)) is not None:
        return diffusion
    return _page(request, QuestionForm(request.GET if request.GET else first_visit()))


def _page(request, form: QuestionForm, *, status: int = 200, config_error: str = ""):
    partial = request.htmx and not request.htmx.history_restore_request
    context = (
        {"form": form, "partial": True, **combination_pickers(form)}
        if partial
        else {"form": form, **form_pickers(form)}
    )
    if form.is_valid() and not config_error:
        context |= computed(form)
    if config_error:  # next to the field, every input kept; no answer, which would be the previous model's
        form.add_error("config", config_error)
    if form.errors:
        context["problems"] = problems(form)
    template = "calculator/page.html#result" if partial else "calculator/page.html"
    response = TemplateResponse(request, template, context, status=status)
    if request.htmx and request.method == "GET":
        response = push_url(response, context.get("permalink") or inputs_url(form))
    return response


@csrf_exempt  # reads a file and redirects: nothing is stored, nothing changes for anyone
@require_POST
def own_model(request):
    """An uploaded config.json or GGUF header, or a Hugging Face id → the page's permalink with that
    model, inputs kept.

    The size is checked from Content-Length before Django reads the body; errors show next to the
    field on the same page (400), with every other input as it was.
    """
    too_big = int(request.META.get("CONTENT_LENGTH") or 0) > byo.MAX_UPLOAD_BYTES + 64 * 1024
    query = QueryDict(mutable=True)
    if not too_big:
        for key in QuestionForm.FIELDS:
            query.setlist(key, request.POST.getlist(key))
    try:
        if too_big:
            raise byo.ModelFileError(
                f"That upload is over {byo.MAX_UPLOAD_BYTES // 2**20} MiB. A GGUF's header is enough: "
                "head -c 32M model.gguf > header.gguf"
            )
        upload = request.FILES.get("file")
        hf_id = request.POST.get("hf_id", "").strip()
        if upload is not None:
            config = byo.upload_to_config(upload.read(byo.MAX_UPLOAD_BYTES + 1), filename=upload.name)
            put_own_model(query, config)  # and the format its config.json declares
        elif hf_id:
            hub_config.fill_question(query, hf_id)  # the catalog's model, else its config from the Hub
        else:
            raise byo.ModelFileError("Choose a config.json or GGUF file to read, or type a Hugging Face id.")
    except byo.ModelFileError as error:
        return _page(request, QuestionForm(query), status=400, config_error=str(error))
    url = permalink_or_page(QuestionForm(query))
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url, status=303)


@require_GET
def hardware_row(request):
    """One more empty GPU row for the form (HTMX); without JavaScript, `?rows=N` renders N rows."""
    n = min(len(request.GET.getlist("gpu")) + 1, MAX_DEVICES)
    context = {"count": "1", "n": n, "gpu_options": pickers.options(pickers.catalog_rows()["gpus"], "")}
    return TemplateResponse(request, "calculator/page.html#hardware-row", context)


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def chart_svg(request):
    """A result's chart as an SVG image: `/chart.svg?chart=context|users&<the question>`. An image, not
    inline markup, so the page stays light; drawn from the same cached computation as the page."""
    query = request.GET.copy()
    kind = query.pop("chart", [""])[0]
    form = QuestionForm(query)
    if kind not in ("context", "users") or not form.is_valid():
        return HttpResponseBadRequest("Not a chart of a valid question.", content_type="text/plain")
    try:
        _, chart_list = cached_result(Question.from_form(form))
    except EngineRefused as refusal:
        return HttpResponseBadRequest(str(refusal), content_type="text/plain")
    return _svg(request, next(c for c in chart_list if c.kind == kind))


@require_GET
def snapshot_chart_svg(request, snapshot_id):
    """A shared answer's chart as it was drawn when shared: `/r/<id>/chart.svg?chart=context|users`."""
    snapshot = Snapshot.objects.filter(id=snapshot_id, kind=Snapshot.ESTIMATE).only("charts").first()
    wanted = request.GET.get("chart")
    kept = next((c for c in snapshot.charts if c["kind"] == wanted), None) if snapshot else None
    if kept is None:
        raise Http404("No such chart of a shared result.")
    response = _svg(request, charts.from_stored(kept))
    patch_cache_control(response, public=True, max_age=SNAPSHOT_MAX_AGE_S)  # a snapshot never changes
    return response


def _svg(request, chart) -> TemplateResponse:
    return TemplateResponse(
        request, "calculator/chart.svg", {"chart": chart, "alt": chart.alt}, content_type="image/svg+xml"
    )


@csrf_exempt  # `from_this_site` stands in for a token: pages stay cacheable, with no per-visitor token
@require_http_methods(["GET", "HEAD", "POST"])
def share(request):
    """Freeze the answer of a question (`q`, its permalink's query) at a short URL; `kind` names the page
    it comes from: the calculator (default) or a reverse question. Only from this site's own pages (403),
    and only a question of at most MAX_QUERY_CHARS (400); an invalid one goes back to its page.

    A GET (a typed or truncated /r/ link) stores nothing: it goes to the calculator."""
    if request.method != "POST":
        return HttpResponseRedirect(page_url())
    if not from_this_site(request):
        return _plain(HttpResponseForbidden, "Sharing works from this site's own pages only.")
    query, kind = request.POST.get("q", ""), request.POST.get("kind", Snapshot.ESTIMATE)
    try:
        snapshots.check_length(query)  # before parsing it
        if (shared := snapshots.KINDS.get(kind)) is not None:  # a page of an app above (its register())
            context = shared.answer(QueryDict(query))
            if not context["form"].is_valid():
                return HttpResponseRedirect(f"{shared.page or f'/{kind}/'}?{query}")
            return HttpResponseRedirect(shared.save(context).get_absolute_url())
        if kind != Snapshot.ESTIMATE:
            return _plain(HttpResponseBadRequest, "Unknown kind of snapshot.")
        form = QuestionForm(QueryDict(query))
        if not form.is_valid():
            return HttpResponseRedirect(f"{page_url()}?{query}")
        return HttpResponseRedirect(snapshots.save(Question.from_form(form)).get_absolute_url())
    except EngineRefused:  # the page says why
        return HttpResponseRedirect(f"{page_url()}?{query}")
    except snapshots.QueryTooLong as error:
        return _plain(HttpResponseBadRequest, str(error))


def from_this_site(request) -> bool:
    """Whether a POST comes from a page of this site: its Origin header (or, without one, its Referer's)
    is this host or one of CSRF_TRUSTED_ORIGINS (`https://*.example.com` names subdomains).

    Browsers send Origin with every cross-origin POST (`null` when the page hides where it is), so a
    form on another site is refused. A request with neither header comes from no browser's cross-site
    form but from a script, which could send any header it likes: it passes, and the rate limit and the
    size limit bound what it can store.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return True
        try:
            parts = urlsplit(referer)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            return False
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin in {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}:
        return True
    scheme, _, host = origin.partition("://")
    return any(
        trusted.startswith(f"{scheme}://*.") and is_same_domain(host, trusted.partition("://*")[2])
        for trusted in settings.CSRF_TRUSTED_ORIGINS
    )


def _plain(response_class, message: str):
    return response_class(message + "\n", content_type="text/plain; charset=utf-8")


@require_GET
@http_cache.public(etag=http_cache.snapshot_etag)
def snapshot(request, snapshot_id):
    snapshot = Snapshot.objects.filter(id=snapshot_id).first()
    if snapshot is None:  # the site's 404 read "what it named has left the catalog": a link cut short
        return TemplateResponse(request, "calculator/no_snapshot.html", status=404)
    snapshot.mark_viewed()
    if (shared := snapshots.KINDS.get(snapshot.kind)) is not None:
        return TemplateResponse(request, shared.template, shared.show(snapshot))
    if snapshot.kind != Snapshot.ESTIMATE:
        return TemplateResponse(request, "calculator/no_snapshot.html", status=404)
    return TemplateResponse(request, "calculator/snapshot.html", snapshots.show(snapshot))


@require_GET
def compare(request):
    """Two to four questions side by side: `?q=<query>&q=<query>`, each column its own permalink.

    A question is added by name (`add_model`, `add_quant`, `add_gpu`, `add_count`: the form at the foot
    of the page, which starts at the last column's model, format and GPU) or as a calculator link; either
    way the page redirects to its canonical address. Added by name, it asks what the last column asks
    (context, users, prompt, RAM, runtime, KV cache type, flash attention and link; the last four dropped
    when they do not run on the new hardware)."""
    # the same question twice is one column (a visitor review: two identical columns, side by side)
    asked = list(dict.fromkeys(q.split("?", 1)[-1].strip() for q in request.GET.getlist("q")))
    queries = asked[:MAX_COMPARED]
    if "add_model" in request.GET:
        # asked as the last column that answers: a broken one's context is not the visitor's new question
        answered = (q for q in reversed(queries) if QuestionForm(QueryDict(q)).is_valid())
        form = _added(request.GET, next(answered, ""))
        if form.is_valid() and len(queries) < MAX_COMPARED:
            return HttpResponseRedirect(
                reverse("calculator:compare")
                + "?"
                + urlencode([("q", q) for q in [*queries, Question.from_form(form).query()]])
            )
        add_errors = [e for errors in form.errors.values() for e in errors]
    else:
        add_errors = []
    columns, seen = [], set()
    for query in queries:
        form = QuestionForm(QueryDict(query))
        rest = urlencode([("q", q) for q in queries if q != query])
        column = {
            "form": form,
            "query": query,
            "without": reverse("calculator:compare") + (f"?{rest}" if rest else ""),
        }
        if not form.is_valid():
            column["errors"] = image_model_error(form) or labelled_errors(form)
        elif (canonical := Question.from_form(form).query()) in seen:
            continue  # the same question written otherwise (its order, its defaults spelled out)
        else:
            seen.add(canonical)
            column |= computed(form)
            column["price"] = hardware_price(form.devices)
            # the row names all the question (its users, its runtime) and the speed the page shows,
            # the closest plan's for a borderline answer, whose verdict has no tok/s
            column["runtime"] = BY_SLUG[column["question"].runtime].label
            verdict = column["verdict"]
            speed = column["per_user"].value if verdict.borderline else None
            column["decode"] = format_rate(speed) if speed else verdict.tok_s
            if verdict.tok_s and verdict.tok_s_who != "per user":  # vLLM seats fewer: whose speed it is
                column["decode"] = (
                    f"{verdict.tok_s} ({verdict.tok_s_who})"  # a review: 136 beside the table's 29.6
                )
        columns.append(column)
    compared.titles(columns)
    context = {
        "columns": columns,
        "add_errors": add_errors,
        "max": MAX_COMPARED,
        "left_out": len(asked) - len(queries),  # past the first MAX_COMPARED: said, not silently dropped
        "last": _last_asked(columns),
        "models": LlmModel.objects.listed().only("slug", "name"),
        "quants": Quantization.objects.listed().only("slug", "name", "bits_per_weight"),
        "gpus": Gpu.objects.listed().only("slug", "name"),
    }
    return TemplateResponse(request, "calculator/compare.html", context)


# What a question added by name takes from the last column besides its model, format and hardware, and
# which of those it drops when the new hardware cannot run them.
CARRIED = ("ctx", "batch", "prompt", "ram_gb", "ram_preset", "runtime", "backend", "kv", "fa", "link")
DROPPED_ELSEWHERE = ("runtime", "backend", "kv", "fa", "link")


def _last_asked(columns: list[dict]) -> dict:
    """The model, format and first GPU of the last answered column: where the add form starts."""
    form = next((c["form"] for c in reversed(columns) if "verdict" in c), None)
    if form is None:
        return {}
    data = form.cleaned_data
    return {"model": data["model"].slug, "quant": data["quant"].slug, "gpu": form.gpu_slugs[0]}


def image_model_error(form: QuestionForm) -> list[tuple[str, list[str]]]:
    """A column asking an image or video model: said so (compare puts LLM answers side by side), not
    "Unknown model"; nothing for any other question. A query only for an unknown model."""
    image = image_model(form.data.get("model") or "") if "model" in form.errors else None
    if image is None:
        return []
    return [("Model", [f"{image.name} is an image or video model: compare puts LLM answers side by side."])]


def _added(data: QueryDict, last: str) -> QuestionForm:
    """The form of a question added by name: its model, format, GPU and count, asked as `last` asks; the
    first, at the calculator's first-visit context (8,192 tokens), as the calculator asks it."""
    carried = QueryDict(last or f"ctx={FIRST_VISIT['ctx']}")
    added = QueryDict(mutable=True)
    for name, default in (("model", ""), ("quant", ""), ("gpu", ""), ("count", "1")):
        added[name] = data.get(f"add_{name}") or default
    for name in CARRIED:
        if carried.get(name):
            added[name] = carried[name]
    form = QuestionForm(added)
    if not form.is_valid() and set(form.errors) <= {*DROPPED_ELSEWHERE, "__all__"}:
        for name in DROPPED_ELSEWHERE:
            added.pop(name, None)
        form = QuestionForm(added)
    return form


def hardware_price(devices: list[Gpu]) -> dict | None:
    """What the devices cost at their newest published prices (USD), and each kind's price as the pages word
    it (PriceTag.when: "used, Dec 2026", "launch, Jan 2021, none newer"; a second review: compare said "price
    of" for a launch price and a used one alike); None when any has no published price."""
    kinds = list({gpu.pk: gpu for gpu in devices}.values())
    prefetch_related_objects(kinds, "prices")  # one query
    prices = [gpu.current_price() for gpu in devices]
    if not prices or any(p is None for p in prices):
        return None
    tags = {gpu.name: gpu.current_price().tag.when for gpu in kinds}
    return {
        "amount": sum(p.amount for p in prices),
        # one kind, or kinds priced alike: its words alone; else each kind's
        "when": next(iter(tags.values()))
        if len(set(tags.values())) == 1
        else "; ".join(f"{n}: {w}" for n, w in tags.items()),
        "sources": {p.source_url for p in prices},
    }


@csrf_exempt  # reads pasted text and redirects: nothing is stored, nothing changes for anyone
@require_POST
def paste_rig(request):
    """Pasted nvidia-smi, rocm-smi, system_profiler, free or llama.cpp lines (calculator/rig.py) → the
    page's permalink with those GPUs and that RAM, every other input kept. What could not be matched is
    said next to the field: on the page (400), or, for HTMX, the message alone for the field's span."""
    query = QueryDict(mutable=True)
    for key in QuestionForm.FIELDS:
        query.setlist(key, request.POST.getlist(key))
    text = request.POST.get("rig", "").replace("\x00", "")
    if len(text) > rig.MAX_PASTE_CHARS:
        message = f"That paste is over {rig.MAX_PASTE_CHARS // 1024} KB: paste the tools' output alone."
    else:
        found = rig.match(rig.parse(text))
        filled = query.copy()
        if found.rows:
            filled.setlist("gpu", [gpu.slug for gpu, _ in found.rows])
            filled.setlist("count", [str(n) for _, n in found.rows])
        if found.ram_gb and found.ram_gb <= MAX_RAM_GB:
            filled["ram_gb"] = str(found.ram_gb)
        url = permalink_or_page(QuestionForm(filled))
        if found.complete:
            return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url, status=303)
        message = found.message()
        if found.rows:
            message = format_html('{} <a href="{}">Use what was found</a>.', message, url)
    if request.htmx:
        return HttpResponse(format_html("{}", message), status=400)
    response = _page(request, QuestionForm(query), status=400)
    response.context_data |= {"rig_error": message, "rig_text": text}
    return response
