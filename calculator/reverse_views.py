"""The reverse questions' pages: "What runs on my hardware?" and "What hardware runs this model?".

Each page is a GET form bound to a Form; with HX-Request the view returns only the #result partial.
Both load the catalog rows they need in three queries, whatever the catalog's size, then compute in
Python (calculator/reverse.py).
"""

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from catalog import slugs
from catalog.models import Gpu, LlmModel, Quantization, valid_specs
from config import http_cache

from . import reverse
from .answer import STRATEGY_TERMS, STRATEGY_TITLES
from .forms import (
    CONTEXT_PRESETS,
    FIRST_VISIT,
    MAX_CONTEXT,
    MAX_RAM_GB,
    device_summary,
    engine_accepts,
    hardware_rows,
)
from .models import Snapshot

DEFAULT_CTX = 8192
DEFAULT_QUANT = "q4_k_m"
DEFAULT_TOK_S = 10.0
# Every device is one more engine call per model: this page stops at one machine's worth.
MAX_DEVICES = reverse.MAX_SAME_GPUS
WHAT_RUNS_FIRST_VISIT = {"gpu": FIRST_VISIT["gpu"], "count": ["1"]}  # "my hardware": one card to start
WHAT_HARDWARE_FIRST_VISIT = {"model": [FIRST_VISIT["model"]], "quant": [DEFAULT_QUANT]}


class WhatRunsForm(forms.Form):
    """Devices as `gpu` (+ `count`) pairs, like the calculator's; context; system RAM; sort order."""

    gpu = forms.CharField(label="GPU", required=False)
    count = forms.CharField(label="How many", required=False)
    ctx = forms.IntegerField(label="Context (tokens)", min_value=1, max_value=MAX_CONTEXT, required=False)
    ram_gb = forms.IntegerField(label="System RAM (GB)", min_value=1, max_value=MAX_RAM_GB, required=False)
    quant = forms.ChoiceField(label="Format", required=False)
    sort = forms.ChoiceField(label="Sort by", choices=list(reverse.SORTS.items()), required=False)

    FORMAT_POLICIES = [("", "Q4_K_M, or the model's own"), ("largest", "The largest that fits")]

    def __init__(self, data: QueryDict, *, known: dict[str, Gpu], quants=()):
        super().__init__(data)
        self.known = slugs.with_renamed(Gpu, known, data.getlist("gpu"))  # a GPU renamed since
        self.gpu_slugs, self.counts_raw = hardware_rows(data)
        self.fields["quant"].choices = self.FORMAT_POLICIES + [(q.slug, q.name) for q in quants]
        self.notes: list[str] = []

    def clean_gpu(self):
        if not self.gpu_slugs:
            raise forms.ValidationError("Choose at least one GPU.")
        unknown = sorted({s for s in self.gpu_slugs if s not in self.known})
        if unknown:
            raise forms.ValidationError(f"Unknown GPU: {', '.join(unknown)}.")
        for slug in set(self.gpu_slugs):
            engine_accepts(self.known[slug])
        return self.gpu_slugs

    def clean_count(self):
        counts = []
        for raw in self.counts_raw or ["1"] * len(self.gpu_slugs):
            try:
                counts.append(int(raw))
            except (TypeError, ValueError):
                raise forms.ValidationError("Enter a whole number.") from None
            if not 1 <= counts[-1] <= MAX_DEVICES:
                raise forms.ValidationError(f"Between 1 and {MAX_DEVICES}.")
            slug = self.gpu_slugs[len(counts) - 1] if len(counts) <= len(self.gpu_slugs) else ""
            device = self.known.get(slug)
            if device and device.unified_memory and counts[-1] > 1:  # a count left from another device
                counts[-1] = 1
                self.notes.append(f"{device.name} is a whole computer: counted once.")
        if len(counts) != len(self.gpu_slugs):
            raise forms.ValidationError("Give one count per GPU.")
        if sum(counts) > MAX_DEVICES:
            raise forms.ValidationError(f"At most {MAX_DEVICES} devices here; the calculator takes more.")
        return counts

    def clean(self):
        data = super().clean()
        data["ctx"] = data.get("ctx") or DEFAULT_CTX
        data["sort"] = data.get("sort") or "size"  # in each tier, the largest model first
        return data

    @property
    def devices(self) -> list[Gpu]:
        counts = self.cleaned_data["count"]
        return [self.known[s] for s, n in zip(self.gpu_slugs, counts, strict=True) for _ in range(n)]

    def page_url(self, **changes) -> str:
        """This page's URL with defaults left out; `changes` rewrite ctx, ram_gb or sort."""
        data = {**self.cleaned_data, **changes}
        query = QueryDict(mutable=True)
        for slug, n in zip(self.gpu_slugs, data["count"], strict=True):
            query.appendlist("gpu", slug)
            query.appendlist("count", str(n))
        if data["ctx"] != DEFAULT_CTX:
            query["ctx"] = str(data["ctx"])
        if data.get("quant"):
            query["quant"] = data["quant"]
        if data.get("ram_gb"):
            query["ram_gb"] = str(data["ram_gb"])
        if data["sort"] != "size":
            query["sort"] = data["sort"]
        return f"/what-runs/?{query.urlencode(safe='')}"


class WhatHardwareForm(forms.Form):
    model = forms.SlugField(label="Model")
    quant = forms.SlugField(label="Format", required=False)
    ctx = forms.IntegerField(label="Context (tokens)", min_value=1, max_value=MAX_CONTEXT, required=False)
    tok_s = forms.FloatField(label="At least (tok/s)", min_value=0, max_value=100_000, required=False)

    def __init__(self, data: QueryDict, *, models: dict[str, LlmModel], quants: dict[str, Quantization]):
        super().__init__(data)
        self.models = slugs.with_renamed(LlmModel, models, data.getlist("model"))  # renamed since
        self.quants = slugs.with_renamed(Quantization, quants, data.getlist("quant"))

    def clean_model(self):
        slug = self.cleaned_data["model"]
        if slug not in self.models:
            raise forms.ValidationError(f"Unknown model “{slug}”.")
        return engine_accepts(self.models[slug])

    def clean_quant(self):
        slug = self.cleaned_data["quant"] or DEFAULT_QUANT
        if slug not in self.quants:
            raise forms.ValidationError(f"Unknown format “{slug}”.")
        return engine_accepts(self.quants[slug])

    def clean(self):
        data = super().clean()
        data["ctx"] = data.get("ctx") or DEFAULT_CTX
        data["tok_s"] = DEFAULT_TOK_S if data.get("tok_s") is None else data["tok_s"]
        model, limit = data.get("model"), getattr(data.get("model"), "max_position_embeddings", None)
        if limit and data["ctx"] > limit and "ctx" not in self.errors:
            self.add_error("ctx", f"{model.name} reads at most {limit:,} tokens of context.")
        return data

    def page_url(self) -> str:
        data = self.cleaned_data
        query = QueryDict(mutable=True)
        query["model"] = data["model"].slug
        if data["quant"].slug != DEFAULT_QUANT:
            query["quant"] = data["quant"].slug
        if data["ctx"] != DEFAULT_CTX:
            query["ctx"] = str(data["ctx"])
        if data["tok_s"] != DEFAULT_TOK_S:
            query["tok_s"] = f"{data['tok_s']:g}"
        return f"/what-hardware/?{query.urlencode(safe='')}"


@require_GET
@vary_on_headers("HX-Request")
@http_cache.public(etag=http_cache.page_etag)
def what_runs(request):
    """Every catalog model on the visitor's devices: the largest listed format that fits, its speed."""
    context = what_runs_answer(request.GET or _query(WHAT_RUNS_FIRST_VISIT))
    return _respond(request, "calculator/what_runs.html", context)


@require_GET
@vary_on_headers("HX-Request")
@http_cache.public(etag=http_cache.page_etag)
def what_hardware(request):
    """The smallest and the cheapest device sets of the catalog that run a model at a context and speed."""
    context = what_hardware_answer(request.GET or _query(WHAT_HARDWARE_FIRST_VISIT))
    return _respond(request, "calculator/what_hardware.html", context)


def what_runs_answer(query: QueryDict) -> dict:
    """The what-runs page's context: the bound form, and with a valid form its rows (`rows`)."""
    chosen = {s.strip() for s in query.getlist("gpu") if "\x00" not in s}  # PostgreSQL refuses NUL
    gpus = {g.slug: g for g in Gpu.objects.filter(Q(listed=True) | Q(slug__in=chosen))}
    quants = valid_specs(Quantization.objects.listed())
    form = WhatRunsForm(query, known=gpus, quants=[q for q, _ in quants])
    context = {"form": form, "gpus": gpus.values(), "rows_in_form": _device_rows(form), **shared_context()}
    if form.is_valid():
        data = form.cleaned_data
        workload = reverse.question_workload(ctx=data["ctx"], ram_gb=data.get("ram_gb"))
        models = LlmModel.objects.all()
        rows = reverse.what_runs(
            models=[spec for _, spec in valid_specs(models)],
            quants=[spec for _, spec in quants],
            devices=[g.as_spec() for g in form.devices],
            workload=workload,
            ram_gb=data.get("ram_gb"),
            native_dtypes={m.slug: m.native_dtype for m in models},
            policy=data.get("quant") or "default",
        )
        context |= {
            "rows": reverse.sort_rows(rows, data["sort"]),
            "tiers": reverse.tiers(rows, data["sort"]),
            "fitting": sum(r.fits for r in rows),
            "hardware": device_summary(form.devices),
            "permalink": form.page_url(),
            "sort_links": {key: form.page_url(sort=key) for key in reverse.SORTS},
        }
    return context


def what_hardware_answer(query: QueryDict) -> dict:
    """The what-hardware page's context: the bound form, and with a valid form its `answer`."""
    models = {m.slug: m for m in LlmModel.objects.all()}
    quants = {q.slug: q for q in Quantization.objects.all()}
    form = WhatHardwareForm(query, models=models, quants=quants)
    context = {"form": form, "models": models.values(), "quants": quants.values(), **shared_context()}
    if form.is_valid():
        data = form.cleaned_data
        gpus = Gpu.objects.listed().with_current_price()
        context["answer"] = reverse.what_hardware(
            model=data["model"].as_spec(),
            quant=data["quant"].as_spec(),
            gpus=[(spec, _price_tag(g)) for g, spec in valid_specs(gpus)],
            workload=reverse.question_workload(ctx=data["ctx"]),
            target_tok_s=data["tok_s"],
        )
        context["permalink"] = form.page_url()
        context["answer_firsts"] = reverse.firsts(context["answer"])
    return context


# What a shared snapshot of each reverse page recomputes from its query (calculator/snapshots.py).
def _price_tag(gpu: Gpu) -> reverse.PriceTag | None:
    if gpu.current_price_amount is None:
        return None
    return reverse.PriceTag(gpu.current_price_amount, gpu.current_price_date, gpu.current_price_source)


ANSWERS = {Snapshot.WHAT_RUNS: what_runs_answer, Snapshot.WHAT_HARDWARE: what_hardware_answer}


def _respond(request, template: str, context: dict) -> TemplateResponse:
    """The page, or with HX-Request (not a history restore) its #result partial and canonical URL."""
    if request.htmx and not request.htmx.history_restore_request:
        template += "#result"
        context["partial"] = True
    response = TemplateResponse(request, template, context)
    if request.htmx and "permalink" in context:
        response = replace_url(response, context["permalink"])
    return response


def _query(values: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in values.items():
        query.setlist(key, value)
    return query


def _device_rows(form: WhatRunsForm) -> list[tuple[str, str]]:
    """(gpu, count) per row of the form: what the visitor gave, then one empty row to add a GPU kind."""
    counts = form.counts_raw if len(form.counts_raw) == len(form.gpu_slugs) else ["1"] * len(form.gpu_slugs)
    return [*zip(form.gpu_slugs, counts, strict=True), ("", "1")]


def shared_context() -> dict:
    return {
        "context_presets": CONTEXT_PRESETS,
        "strategy_titles": STRATEGY_TITLES,
        "strategy_terms": STRATEGY_TERMS,
        "sorts": reverse.SORTS,
        "max_same": reverse.MAX_SAME_GPUS,
    }
