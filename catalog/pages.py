"""What the public catalog pages compute: the GPU list's filters, "what runs on it", the model page's
per-format table and the comparison. The views load rows in a fixed number of queries; everything here
is Python over engine specs (catalog/fitting.py does the fitting, as on /what-runs/)."""

import datetime
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Case, F, Q, When
from django.db.models.functions import Length
from django.urls import reverse

from estimator import DeviceSpec, ModelSpec, QuantSpec, memory

from . import fitting, runtime_support, slugs
from .form_fields import GivenOnce, bounded, choice, search_text
from .models import DiffusionModel, Gpu, LlmModel, Quantization, valid_specs
from .published import format_specs, llm_specs, published_formats
from .search import by_relevance, search_key

GIB = 2**30
PAGE_SIZE = 50
CTX = 8192  # the context every row of these pages is computed at
# The GPU kinds people stack in one machine; the model page counts how many of each it takes.
POPULAR_GPUS = ["geforce-rtx-3090", "geforce-rtx-4090"]
# The hardware picker offers what people run models on: 4 GB or more, from the last ten years (and every
# listed device whatever its age); legacy parts stay one filter away on /gpus/.
PICK_LIMIT = 12
PICK_MIN_MEMORY_BYTES = 4 * 2**30
PICK_SINCE = datetime.date(2016, 1, 1)
MAX_COMPARE = 4
SORTS = {
    "memory": "memory_bytes",
    "bandwidth": "bandwidth_gb_s",
    "name": "name",
    "price": "current_price_amount",
}
SORT_CHOICES = [("", "Listed first")] + [
    (f"{sign}{key}", f"{key.capitalize()}{' (descending)' if sign else ''}")
    for key in SORTS
    for sign in ("-", "")
]
YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]


class GpuListForm(GivenOnce, forms.Form):
    """The GPU list's filters; a bad one is said in the site's words, naming what it takes (form_fields)."""

    q = search_text("Search", 200)
    vendor = choice("vendor", [("", "Any")] + Gpu.Vendor.choices, label="Vendor")
    # at most a PiB: × GIB must stay a finite bigint
    min_memory_gib = bounded(forms.FloatField, 0, 2**20, label="Memory at least (GiB)")
    unified = choice("answer", YES_NO, label="Unified memory")
    legacy = choice(
        "setting",
        [("", "Hidden"), ("shown", "Shown")],
        label="Older and small parts",
        help_text="Before 2016 or under 4 GB, unless listed",
    )
    sort = choice("sort order", SORT_CHOICES, label="Sort by")

    def clean(self):
        self.given_once()
        return super().clean()


def gpu_rows(form: GpuListForm):
    """The filtered, sorted GPUs of a valid form; listed GPUs first when no sort is chosen."""
    data = form.cleaned_data
    qs = Gpu.objects.with_current_price()
    if not data["legacy"]:
        qs = qs.filter(relevant())
    if data["q"]:
        qs = qs.search(data["q"])
    if data["vendor"]:
        qs = qs.filter(vendor=data["vendor"])
    if data["min_memory_gib"] is not None:
        qs = qs.filter(memory_bytes__gte=data["min_memory_gib"] * GIB)
    if data["unified"]:
        qs = qs.filter(unified_memory=data["unified"] == "yes")
    sort = data["sort"]
    if not sort:
        return qs.order_by("-listed", "name", "slug")
    field = F(SORTS[sort.lstrip("-")])  # GPUs without a price go last either way
    expr = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    return qs.order_by(expr, "name", "slug")


MODEL_SORTS = {
    "": ("-listed", "name", "slug"),
    "name": ("name", "slug"),
    "-params": ("-total_params_b", "name", "slug"),
    "params": ("total_params_b", "name", "slug"),
    "-context": (F("max_position_embeddings").desc(nulls_last=True), "name", "slug"),
}


class ModelListForm(GivenOnce, forms.Form):
    """The model list's filters (a review: 161 rows and no way to narrow them, unlike /gpus/)."""

    q = search_text("Search", 200)
    kind = choice(
        "architecture", [("", "Any"), ("dense", "Dense"), ("moe", "Mixture of experts")], label="Architecture"
    )
    sort = choice(
        "sort order",
        [
            ("", "Listed first"),
            ("name", "Name"),
            ("-params", "Parameters (descending)"),
            ("params", "Parameters"),
            ("-context", "Context (descending)"),
        ],
        label="Sort by",
    )

    def clean(self):
        self.given_once()
        return super().clean()


def model_rows(form: ModelListForm):
    """The filtered, sorted models of a valid form: a mixture of experts has more than one (`is_moe`)."""
    data = form.cleaned_data
    qs = LlmModel.objects.all()
    if data["q"]:
        qs = qs.search(data["q"])
    moe = Q(num_experts__gt=1)
    if data["kind"]:
        qs = qs.filter(moe if data["kind"] == "moe" else ~moe | Q(num_experts__isnull=True))
    return qs.order_by(*MODEL_SORTS[data["sort"]])


def page_of(rows, number) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(number)


@dataclass(frozen=True)
class Fit:
    """n of one device kind that hold a model at CTX, with the calculator's link."""

    gpu: Gpu
    count: int
    decode_tok_s: float | None
    permalink: str


@dataclass(frozen=True)
class QuantRow:
    quant: Quantization
    weights_bytes: int
    single: Fit | None
    stacked: list[Fit]
    stacked_note: str = ""  # why no popular card holds it, when no runtime runs the format on them
    kept_expert_bits: float | None = None  # the experts' released width, where the file keeps it


def what_runs(gpu: Gpu, policy: str = "largest", only: Collection[str] | None = None) -> list:
    """Per model of the catalog (`only`: those of these slugs), the largest listed format that fits on this one
    device at CTX (fitting.RunsRow; `policy` "default": the format people run it at first, as the what-runs
    page asks), among the formats a runtime runs on its backend (runtime_support.format_runtimes), under that
    runtime. The models and formats are the specs read once per catalog version (`llm_specs`)."""
    device = valid_specs([gpu])
    if not device:
        return []
    checked = [(quant, spec) for quant, spec in format_specs() if quant.listed]
    pairs = [(row, spec) for row, spec in llm_specs() if only is None or row.slug in only]
    rows = fitting.what_runs(
        models=[spec for _, spec in pairs],
        quants=[spec for _, spec in checked],
        devices=[device[0][1]],
        workload=fitting.question_workload(ctx=CTX),
        runtimes=runtime_support.format_runtimes([quant for quant, _ in checked], [device[0][1].backend]),
        native_dtypes={row.slug: row.native_dtype for row, _ in pairs},  # none wider than its release
        published=published_formats(),
        policy=policy,
    )
    return fitting.sort_rows(rows, "speed")


# The models the GPU comparison times on each card: the sizes people weigh a card for, dense and MoE
COMPARE_MODELS = [
    "llama-3-1-8b-instruct",
    "gpt-oss-20b",
    "qwen3-30b-a3b",
    "gemma-3-27b-it",
    "qwen3-5-35b-a3b",
    "llama-3-3-70b-instruct",
    "gpt-oss-120b",
]


@dataclass(frozen=True)
class CompareCell:
    run: object  # what-runs' row (fitting.RunsRow), None if not asked
    narrower_than: str = ""  # the widest format of the row, where this card runs a narrower one


@dataclass(frozen=True)
class CompareRow:
    model: LlmModel
    runs: list  # per GPU of the comparison, in its order: what-runs' row (fitting.RunsRow), None if not asked

    @property
    def cells(self) -> list[CompareCell]:
        """Each run, with the row's widest format where it runs a narrower one: said beside its speed (a
        review read the RTX 5090's Q2_K speed beside the M3 Ultra's Q4_K_M as like for like)."""
        fitting_runs = [r for r in self.runs if r is not None and r.fits]
        widest = max(fitting_runs, key=lambda r: r.quant.bits_per_weight, default=None)
        return [
            CompareCell(
                r,
                widest.quant.name
                if r is not None and r.fits and r.quant.bits_per_weight < widest.quant.bits_per_weight
                else "",
            )
            for r in self.runs
        ]


def compare_speeds(gpus: Sequence[Gpu]) -> list[CompareRow]:
    """COMPARE_MODELS on one of each card at CTX, each at the format people run it at (or the largest
    narrower one that fits), as the what-runs page answers for that card."""
    models = sorted(
        (m for m, _ in llm_specs() if m.slug in COMPARE_MODELS), key=lambda m: COMPARE_MODELS.index(m.slug)
    )
    per_gpu = [{row.model.slug: row for row in what_runs(g, "default", COMPARE_MODELS)} for g in gpus]
    return [CompareRow(m, [rows.get(m.slug) for rows in per_gpu]) for m in models]


def _fit(
    model: ModelSpec, quant: QuantSpec, gpu: Gpu, spec: DeviceSpec, n: int, workload, runtimes: dict[str, str]
) -> Fit | None:
    """n of this device holding the model in this format, under the runtime that runs the format on the
    device's backend (`runtimes`: backend -> runtime, runtime_support.backend_runtimes); None when none
    does."""
    runtime = runtimes.get(spec.backend)
    if runtime is None:
        return None
    workload = fitting.with_runtime(workload, runtime)
    if n * spec.usable_bytes < fitting.least_bytes_needed(model, quant, workload):
        return None
    plan = fitting.recommended(model=model, quant=quant, devices=[spec] * n, workload=workload)
    if plan is None:
        return None
    link = fitting.permalink(
        model=model.slug,
        quant=quant.slug,
        runs=[(spec.slug, n)],
        ctx=workload.context_tokens,
        runtime=runtime,
    )
    return Fit(gpu, n, plan.decode_tok_s, link)


def quant_rows(model: LlmModel, quants: Sequence[Quantization], gpus: Sequence[Gpu]) -> list[QuantRow]:
    """Per format: the weights' size, the smallest single listed GPU that holds the model at CTX, and
    the fewest of each popular GPU kind (up to fitting.MAX_SAME_GPUS) that do; only GPUs on whose
    backend a runtime runs the format, under that runtime (runtime_support.backend_runtimes); AWQ, MXFP4,
    MLX... (fitting.PUBLISHED_ONLY) only where the model is published in them."""
    checked = valid_specs([model])
    if not checked:
        return []
    spec = checked[0][1]
    workload = fitting.question_workload(ctx=min(CTX, model.max_position_embeddings or CTX))
    by_size = sorted(valid_specs(gpus), key=lambda p: (p[1].usable_bytes, p[0].name))
    named = slugs.with_renamed(Gpu, {g.slug: g for g, _ in by_size}, POPULAR_GPUS)  # renamed: still popular
    popular = [p for slug in POPULAR_GPUS if slug in named for p in by_size if p[0].pk == named[slug].pk]
    backends = {s.backend for _, s in by_size}
    mine = published_formats().get(model.slug, frozenset())
    rows = []
    for quant, q in valid_specs(quants):
        if quant.family in fitting.PUBLISHED_ONLY and quant.slug not in mine:
            continue  # nobody makes these as the model loads: only its published releases
        runs = runtime_support.backend_runtimes(quant.family, backends)
        single = next((f for g, s in by_size if (f := _fit(spec, q, g, s, 1, workload, runs))), None)
        stacked = []
        note = ""
        if not any(runs.get(s.backend) for _, s in popular):
            note = f"No runtime runs {quant.name} on {' or '.join(g.name for g, _ in popular)}"
        for g, s in popular:
            counts = range(1, fitting.MAX_SAME_GPUS + 1)
            fit = next((f for n in counts if (f := _fit(spec, q, g, s, n, workload, runs))), None)
            if fit:
                stacked.append(fit)
        # `memory.sized` gives the experts a width the format does not: gpt-oss's MXFP4, kept by every GGUF
        experts = memory.sized(spec, q).expert_bits_per_weight
        kept = experts if experts != q.expert_bits_per_weight else None
        rows.append(QuantRow(quant, memory.weights_bytes(spec, q), single, stacked, note, kept))
    return rows


def kept_experts_note(model: LlmModel, rows: Sequence[QuantRow]) -> str:
    """Which of `rows` keep the experts at the model's released width, in a line: else an F16 a little over
    its Q2_K (gpt-oss-120b: 60.7 against 58.1 GiB) reads as a mistake. "" where no row does."""
    kept = [r for r in rows if r.kept_expert_bits]
    if not kept:
        return ""
    gguf = [r for r in rows if r.quant.family == Quantization.Family.GGUF]
    every_gguf = bool(gguf) and all(r.kept_expert_bits for r in gguf)
    names = [r.quant.name for r in kept if not (every_gguf and r.quant.family == Quantization.Family.GGUF)]
    names += ["every GGUF file"] if every_gguf else []
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    released = model.native_dtype.partition("+")[0].upper()  # "mxfp4+bfloat16": the experts' type first
    verb = "keeps" if len(names) == 1 else "keep"
    return (
        f"{listed[0].upper()}{listed[1:]} of {model.name} {verb} the experts in {released} "
        f"({kept[0].kept_expert_bits:g} bits) as released: the format sets only the other tensors."
    )


def compare_slugs(values: list[str]) -> tuple[list[str], str]:
    """The distinct slugs asked for, and what is wrong with the request ("" when nothing). A value that
    is not a slug is a name ("RTX 4090", "m4 max 128"): the picker's first match stands for it, and the page
    says so (`gpus_to_compare`)."""
    cleaned = (v.replace("\x00", "").strip()[:100] for v in values)  # PostgreSQL refuses NUL
    slugs = list(dict.fromkeys(v for v in cleaned if v))[: MAX_COMPARE + 1]
    if len(slugs) < 2:
        return slugs, "Choose at least two GPUs to compare."
    if len(slugs) > MAX_COMPARE:
        return slugs[
            :MAX_COMPARE
        ], f"At most {MAX_COMPARE} GPUs side by side; the first {MAX_COMPARE} are shown."
    return slugs, ""


def compare_choices(chosen: Sequence[Gpu]) -> list[Gpu]:
    """What the comparison's GPU menus offer before a search: the listed GPUs, and those chosen."""
    listed = list(Gpu.objects.listed().only("slug", "name", "memory_bytes"))
    offered = {g.slug for g in listed}
    return listed + [g for g in chosen if g.slug not in offered]


def relevant() -> Q:
    """What people run models on: listed, or from the last ten years with 4 GB or more."""
    recent = Q(release_date__gte=PICK_SINCE) | Q(release_date__isnull=True)
    return Q(listed=True) | recent & Q(memory_bytes__gte=PICK_MIN_MEMORY_BYTES, bandwidth_gb_s__gt=0)


def pick_gpus(query: str) -> list[Gpu]:
    """The hardware picker's matches for what was typed ("4070", "3080 ti", "m4 max", "mi300"): every
    word must appear in the name; the listed (most asked about) devices first, then the newest."""
    if not query.strip():
        return list(Gpu.objects.listed().only("slug", "name", "memory_bytes"))
    found = Gpu.objects.search(query).filter(relevant())
    # Most asked about first: listed devices, then desktop and datacenter parts before laptop chips, the
    # plainest name (the "4070" itself before its Ti, SUPER and Max-Q variants), the newest.
    laptop = Case(When(form_factor=Gpu.FormFactor.LAPTOP, then=1), default=0)
    ordered = found.order_by("-listed", laptop, Length("name"), F("release_date").desc(nulls_last=True))
    return list(ordered.only("slug", "name", "memory_bytes")[:PICK_LIMIT])


# A GPU named by words, not a slug: how many of the picker's next matches the comparison offers beside the one it
# read the name as (a visitor review: "h100" was H100 PCIe without a word, where the SXM5's bandwidth is 1.6×)
READ_OTHERS = 3
# Fewer letters and digits than this name a GPU only exactly ("L4"): "a" or "b" matched dozens, and "a" vs "b"
# compared an L4 with a B200 without a word (as `meant` guesses at no model from so little)
LEAST_TO_GUESS = 3


@dataclass(frozen=True)
class Reading:
    """A GPU named by words: what was typed, the GPU it was read as (the picker's first match), and the next
    matches (`READ_OTHERS`) the page offers instead."""

    typed: str
    gpu: Gpu
    others: list[Gpu]


def gpus_to_compare(asked: list[str]) -> tuple[list[Gpu], list[str], list[Reading]]:
    """The GPUs asked for by slug or by name, each with its newest price; what matched nothing; and how each
    name that is no slug was read (`Reading`), unless it is the GPU's own name. One query when every value is a
    slug; two more per name."""
    found = {g.slug: g for g in Gpu.objects.with_current_price().filter(slug__in=asked)}
    found = slugs.with_renamed(Gpu, found, asked, queryset=Gpu.objects.with_current_price())
    gpus, unknown, readings = [], [], []
    for value in asked:
        if value not in found and (matches := _named(value)):
            found[value] = Gpu.objects.with_current_price().get(pk=matches[0].pk)
            if search_key(value) != search_key(matches[0].name):
                readings.append(Reading(value, found[value], matches[1 : READ_OTHERS + 1]))
        (gpus if value in found else unknown).append(found.get(value, value))
    return list({g.pk: g for g in gpus}.values()), unknown, readings


def _named(value: str) -> list[Gpu]:
    """The picker's matches for a name (`pick_gpus`); for one of fewer than `LEAST_TO_GUESS` letters and
    digits, only a GPU of exactly that name or slug."""
    if len(search_key(value)) >= LEAST_TO_GUESS:
        return pick_gpus(value)
    exact = Gpu.objects.filter(Q(name__iexact=value.strip()) | Q(slug__iexact=value.strip()))
    return list(exact.only("slug", "name", "memory_bytes")[:1])


def reading_links(
    gpus: Sequence[Gpu], readings: list[Reading]
) -> list[tuple[Reading, list[tuple[Gpu, str]]]]:
    """Each reading with its other matches, each linked to the same comparison with it in the read one's place
    (a GPU compared already is not offered again)."""
    base = reverse("catalog:gpu-compare")
    out = []
    for reading in readings:
        shown = {g.pk for g in gpus}
        swaps = []
        for other in (o for o in reading.others if o.pk not in shown):
            query = [("gpu", other.slug if g.pk == reading.gpu.pk else g.slug) for g in gpus]
            swaps.append((other, f"{base}?{urlencode(query)}"))
        out.append((reading, swaps))
    return out


def whole_computer(gpus: Sequence[Gpu]) -> Gpu | None:
    """The Mac that keeps `gpus` from being one machine, or None: an Apple silicon Mac is a whole computer that
    takes no other GPU, the rule the calculator refuses a Mac beside another device by
    (QuestionForm.one_machine), so "all of them together" is no question to link to. A DGX Spark or a Strix
    Halo beside a card is a question the calculator answers, and keeps its link."""
    if len(gpus) < 2:
        return None
    return next((g for g in gpus if g.vendor == Gpu.Vendor.APPLE), None)


# What separates the words of a name written another way: a Hugging Face id's "/", an Ollama tag's ":"
_SEPARATORS = re.compile(r"[/:_]+")


def meant(kind: type[Gpu] | type[LlmModel], typed: str) -> Gpu | LlmModel | DiffusionModel | None:
    """The GPU or model a visitor most likely meant by text that is no slug of the catalog: a name
    ("RTX 3090"), a Hugging Face id ("meta-llama/Llama-3.1-70B-Instruct"), an Ollama tag ("llama3.1:70b"),
    or, for a model no language model's words match, an image or video model's ("sdxl": a visitor review
    got no guess): the picker's first match for its words. None for text too long or with NUL (no row has
    it)."""
    words = _SEPARATORS.sub(" ", typed)
    if len(typed) > 200 or "\x00" in typed or len(search_key(words)) < 3:  # "x" would mean any of hundreds
        return None
    found = pick_gpus(words) if kind is Gpu else pick_models(words)
    if not found and kind is LlmModel:
        found = by_relevance(list(DiffusionModel.objects.search(words).only("slug", "name", "listed")), words)
    return found[0] if found else None


def unknown_words(
    kind: type[Gpu] | type[LlmModel],
    typed: list[str],
    guesses: dict[str, Gpu | LlmModel | DiffusionModel | None] | None = None,
) -> str:
    """'Unknown model “llama3.1:70b”. Did you mean Llama 3.1 70B (Instruct), written llama-3-1-70b-instruct?': what
    was asked that names nothing, then for each the row it most likely meant where there is one (`guesses`, by
    what was typed, where the caller looked them up already: `meant` otherwise), a question of its own: inside a
    parenthesis, a name with its own ("(Instruct)") nested in it (a visitor review)."""
    noun = "GPU" if kind is Gpu else "model"
    said = [f"Unknown {noun}{'s' if len(typed) > 1 else ''} {', '.join(f'“{text}”' for text in typed)}."]
    for text in typed:
        row = guesses[text] if guesses is not None and text in guesses else meant(kind, text)
        if row is not None:
            asked = f"By “{text}”, did" if len(typed) > 1 else "Did"
            said.append(f"{asked} you mean {_name_and_slug(row)}?")
    return " ".join(said)


def _name_and_slug(row: Gpu | LlmModel | DiffusionModel) -> str:
    """A row's name, then how to write it where its slug is another word: "gpt-oss-20b" is both (a visitor review
    read "did you mean gpt-oss-20b, gpt-oss-20b?"); "QwQ-32B" and "qwq-32b" differ in case only, and say it once."""
    return row.name if row.slug.casefold() == row.name.casefold() else f"{row.name}, written {row.slug}"


def pick_models(query: str) -> list[LlmModel]:
    """The model picker's matches ("70b", "qwen coder", "moe" finds the mixtures of experts)."""
    if not query.strip():
        return list(LlmModel.objects.listed().only("slug", "name"))
    terms = query.lower().split()
    words = " ".join(t for t in terms if t != "moe")
    found = LlmModel.objects.search(words)
    if "moe" in terms:
        found = found.filter(num_experts__gt=1)
    # the catalog's few hundred models, ranked as a visitor reads their names (the picker selects the first)
    return by_relevance(list(found.only("slug", "name", "listed")), words)[: PICK_LIMIT * 2]
