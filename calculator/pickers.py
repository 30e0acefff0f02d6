"""The calculator form's pickers as `<option>` markup: the catalog's rows read once per catalog version
(catalog/cache.py), the visitor's choices marked per request.

A page lists about a hundred options (models, formats, GPUs in each row, links). Written by template
loops they cost ~7 ms of CPU and four queries per page (bench/cpu.py); from the cached rows, a few
hundredths of a millisecond and no query. The markup is what those loops wrote, byte for byte.
"""

from functools import lru_cache

from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalog import cache, pages
from catalog import workload as tables
from catalog.fitting import DEFAULTS
from catalog.models import DiffusionModel, Gpu, Interconnect, LlmModel, Quantization
from catalog.runtime_support import runtime_table
from catalog.runtimes import RUNTIME_CHOICES
from estimator.speed import DEFAULT_RAM_BANDWIDTH_GB_S

from .combination import BACKEND_CHOICES, Combination, shared_backends
from .diffusion_answer import is_diffusion

# An option: (value, '<option value="…"', '>label</option>', listed); " selected" goes between.
Option = tuple[str, str, str, bool]

PICKER_MODELS = 25  # options before anything is typed: the page weighs the same as the catalog grows
# The models the calculator's own examples, guides and buyer's guides ask about most, featured first
# whatever else is listed; the rest of the PICKER_MODELS are the smallest model of each family. An
# unlisted or missing slug here is skipped.
FEATURED_FIRST = (
    "llama-3-3-70b-instruct",
    "llama-3-1-8b-instruct",
    "gpt-oss-20b",
    "gpt-oss-120b",
    "qwen3-8b",
    "qwen3-30b-a3b",
    "qwen3-coder-30b-a3b-instruct",
    "gemma-3-27b-it",
    "mistral-small-3-1-24b-instruct-2503",
    "glm-4-5-air",
    "deepseek-r1",
)
SIZE_GROUPS = (
    (16, "Up to 16 B parameters"),
    (120, "16 to 120 B parameters"),
    (None, "Over 120 B parameters"),
)


@lru_cache(maxsize=4096)  # the same few hundred rows on every page: escaped once, not ~20 times a page
def _option(value: str, label: str, listed: bool = True) -> Option:
    return (value, f'<option value="{escape(value)}"', f">{escape(label)}</option>", listed)


def options(rows: list[Option], selected: str | None, *, chosen=()) -> SafeString:
    """The listed rows and those in `chosen`, in the catalog's order; the one whose value is `selected`
    marked selected."""
    return mark_safe(
        "".join(
            start + (" selected" if value == selected else "") + end
            for value, start, end, listed in (_shown(rows, chosen) if len(rows) > LONG else rows)
            if listed or value in chosen
        )
    )


# A list this long is a catalog table's (the GPU picker: ~2,700 rows, 30 of them listed), kept per catalog
# version: where each value sits and which rows are listed are found once per list, not on every page.
LONG = 256
_long_lists: dict[int, tuple[list[Option], list[tuple[int, Option]], dict[str, list[int]]]] = {}


def _long_list(rows: list[Option]) -> tuple[list[Option], list[tuple[int, Option]], dict[str, list[int]]]:
    """`rows`, its listed rows with their places, and where each value sits: found once per list."""
    entry = _long_lists.get(id(rows))
    if entry is None or entry[0] is not rows:
        if len(_long_lists) >= 8:  # lists of older catalog versions
            _long_lists.clear()
        at: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            at.setdefault(row[0], []).append(i)
        entry = _long_lists[id(rows)] = (rows, [(i, row) for i, row in enumerate(rows) if row[3]], at)
    return entry


def _shown(rows: list[Option], chosen) -> list[Option]:
    """`rows` that are listed or in `chosen`, in their order (for `options`)."""
    _, listed, at = _long_list(rows)
    extra = {i for value in set(chosen) for i in at.get(value, ()) if not rows[i][3]}
    if not extra:
        return [row for _, row in listed]
    return [row for _, row in sorted([*listed, *((i, rows[i]) for i in extra)])]


def gpu_options(rows: list[Option], selected: str, *, chosen=()) -> SafeString:
    """The GPU select's options (`options`); a slug the catalog lacks (a mistyped or old link) is shown as
    asked, selected on top next to its error, not as the first GPU of the list, which the browser would
    otherwise show selected."""
    markup = options(rows, selected, chosen=chosen)
    if not selected or selected in _long_list(rows)[2]:
        return markup
    asked = _option(selected[:80], f"{selected[:80]} (not in the catalog)")
    return mark_safe(options([asked], asked[0]) + markup)


def catalog_rows() -> dict:
    """The model and GPU pickers' rows, read from the catalog once per catalog version (two queries; the
    formats' are `format_rows`, the links' `link_options`)."""
    return cache.get_or_compute("pickers", "", _read_rows)


def _read_rows() -> dict:
    models = LlmModel.objects.only("slug", "name", "family", "total_params_b", "listed")
    return {
        "models": {m.slug: _option(m.slug, m.name) for m in models},
        "featured": [(label, [_option(m.slug, m.name) for m in group]) for label, group in _featured(models)],
        "gpus": [_option(g.slug, g.name, g.listed) for g in Gpu.objects.only("slug", "name", "listed")],
    }


def format_rows() -> dict:
    """The format picker's rows and each format's family (one query, once per catalog version): apart
    from `catalog_rows`, as the HTMX answer swaps this picker with every change of the hardware."""

    def read():
        quants = Quantization.objects.only("slug", "name", "bits_per_weight", "family", "listed")
        return {
            "rows": [
                _option(q.slug, f"{q.name} ({floatformat(q.bits_per_weight, -2)} bits)", q.listed)
                for q in quants
            ],
            "families": {q.slug: q.family for q in quants},
        }

    return cache.get_or_compute("format-picker", "", read)


def _featured(models) -> list[tuple[str, list[LlmModel]]]:
    """At most PICKER_MODELS listed models: FEATURED_FIRST, then the smallest of each family (they run
    on the most hardware), by name within size groups."""
    listed = [m for m in models if m.listed]
    by_family: dict[str, list[LlmModel]] = {}
    for model in sorted(listed, key=lambda m: (m.total_params_b, m.name)):
        by_family.setdefault(model.family or model.slug, []).append(model)
    first = {slug: i for i, slug in enumerate(FEATURED_FIRST)}
    ranked = sorted(
        listed,
        key=lambda m: (
            first.get(m.slug, len(first)),
            by_family[m.family or m.slug].index(m),
            m.total_params_b,
            m.name,
        ),
    )
    groups: dict[str, list[LlmModel]] = {label: [] for _, label in SIZE_GROUPS}
    for model in sorted(ranked[:PICKER_MODELS], key=lambda m: m.name):
        label = next(label for limit, label in SIZE_GROUPS if limit is None or model.total_params_b <= limit)
        groups[label].append(model)
    return [(label, group) for label, group in groups.items() if group]


def model_options(chosen: str, query: str) -> SafeString:
    """The model picker, at most PICKER_MODELS + 1 options whatever the catalog's size: the featured
    listed models grouped by size; or, for `q` (the finder, sent as a plain GET without JavaScript), the
    models matching it, image and video models included. The model asked about is always there,
    selected. With JavaScript the finder asks model-pick-all, which reaches every model."""
    rows = catalog_rows()
    if query.strip():
        found = pages.pick_models(query)
        if not is_diffusion(chosen):  # the image page lists every image model already
            found += (
                DiffusionModel.objects.search(query).only("slug", "name").order_by("name")[: pages.PICK_LIMIT]
            )
        groups = [(f"Matching “{query}”", [_option(m.slug, m.name) for m in found])]
    else:
        groups = rows["featured"]
    shown = {value for _, group in groups for value, *_ in group}
    asked = rows["models"].get(chosen) if chosen not in shown else None
    if asked is None and chosen and chosen not in shown and not is_diffusion(chosen):
        # a slug the catalog lacks (a mistyped or old link): shown as asked, next to its error, not as the
        # first model of the list, which the browser would otherwise show selected
        asked = _option(chosen[:80], f"{chosen[:80]} (not in the catalog)")
    parts = [options([asked], asked[0])] if asked else []
    for label, group in groups:
        parts.append(f'<optgroup label="{escape(label)}">')
        parts.append(options(group, chosen) if group else _no_match(query))
        parts.append("</optgroup>")
    return mark_safe("".join(parts))


def _no_match(query: str) -> str:
    return f'<option value="" disabled>No model matches “{escape(query)}”</option>'


# ---- The workload's tables: KV cache types and RAM presets (catalog/workload.py) -------------------


def kv_options(form) -> SafeString:
    """The KV cache select: the listed types the question's runtime keeps its cache in (the catalog's
    Runtime.kv_cache_types), the default marked; the type asked for is there even when the runtime
    refuses it (the error beside the field says so), as other pickers show a row the question names. Read from cached tables: no query once warm."""
    form.is_valid()  # the runtime the question runs on, filled in from the format when not given
    data = form.cleaned_data
    runtime = data.get("runtime") or form.data.get("runtime") or DEFAULTS["runtime"]
    selected = data.get("kv") or form.data.get("kv") or DEFAULTS["kv"]
    accepted = (runtime_table().get(runtime) or {}).get("kv")
    rows = [
        _option(slug, row["name"] + (" (default)" if slug == DEFAULTS["kv"] else ""), row["listed"])
        for slug, row in tables.kv_cache_types().items()
        if not accepted or slug in accepted or slug == selected
    ]
    return options(rows, selected, chosen=[selected])


def link_unused(form) -> str:
    """Why the link select does not apply to the question ("" where it does): one device on one machine
    (a Mac alone among them) has no link between GPUs, and no network between machines."""
    try:
        devices = sum(int(c) for c in form.counts_raw) if form.counts_raw else len(form.gpu_slugs)
        hosts = int(form.data.get("hosts") or 1)
    except ValueError:
        return ""
    return "None: one GPU" if len(form.gpu_slugs) == 1 and devices <= 1 and hosts <= 1 else ""


def ram_unused(form) -> str:
    """Why the System RAM field does not apply, in the few characters its narrow box shows at 390 px ("" where
    it does): with only unified-memory devices the GPU's memory is the system memory, no second pool to
    offload to (QuestionForm.no_ram_beside)."""
    form.is_valid()  # cleaned once: its GPUs as found, none where a GPU is wrong
    found = form.cleaned_data.get("gpu")
    return "Unified memory" if found and all(g.unified_memory for g in found.values()) else ""


def link_options(selected: str | None, unused: str) -> SafeString:
    """The link select's catalog rows, or, where the link does not apply (`link_unused`), its reason
    alone (the select is disabled). The rows are read once per catalog version (one query): apart from
    `catalog_rows`, as the HTMX answer swaps this select with every change of the hardware."""
    if unused:
        return options([_option("", unused)], "")
    rows = cache.get_or_compute(
        "link-picker",
        "",
        lambda: [_option(i.slug, i.name) for i in Interconnect.objects.only("slug", "name")],
    )
    return options(rows, selected)


def ram_options(selected: str | None) -> SafeString:
    """The RAM preset select: "not given" (the engine's assumed bandwidth), then the listed presets
    and the one asked for."""
    rows = [_option("", f"Not given ({DEFAULT_RAM_BANDWIDTH_GB_S:g} GB/s assumed)")]
    rows += [_option(slug, row["name"], row["listed"]) for slug, row in tables.ram_presets().items()]
    return options(rows, selected or "", chosen=[selected])


# ---- Runtimes and formats: what runs on the question's hardware (combination.Combination) ---------


def _combination(form) -> Combination | None:
    """The question's runtime table on its devices' backends (the one asked for, where every device has
    it), once its GPUs are known."""
    form.is_valid()
    gpus = form.cleaned_data.get("gpu") if "gpu" not in form.errors else None
    backend = form.cleaned_data.get("backend") if "backend" not in form.errors else None
    return Combination(gpus.values(), backend or None) if gpus else None


def backend_options(form) -> SafeString:
    """The GPU backend select: "usual for the runtime" (naming the one the answer runs on), then the builds
    every device of the question has (Gpu.backend_choices: ROCm and Vulkan for a Radeon); one asked for
    that some device lacks stays selected, and the error beside the field says which."""
    form.is_valid()
    chosen = form.data.get("backend") or ""
    gpus = form.cleaned_data.get("gpu") if "gpu" not in form.errors else None
    names = dict(BACKEND_CHOICES)
    usual = "Usual for the runtime"
    if form.is_valid() and not chosen and gpus:
        data = form.cleaned_data  # the runtime and format the answer runs at (Combination.check)
        combination = _combination(form)  # no backend asked: each device on its usual one
        runs_on = {combination.backend(g, data["runtime"], data["quant"].family) for g in gpus.values()}
        if runs_on <= names.keys():  # each kind's, a GeForce beside a Radeon: "CUDA and ROCm"
            usual += ": " + " and ".join(names[b] for b in sorted(runs_on, key=list(names).index))
    shared = shared_backends(gpus.values()) if gpus else []
    rows = [_option("", usual), *(_option(b, names[b]) for b in shared)]
    if chosen and chosen not in shared:
        rows.append(_option(chosen, names.get(chosen, chosen)))
    return options(rows, chosen)


@lru_cache(maxsize=4096)
def _noted(row: Option, note: str, *, disabled: bool) -> Option:
    """The option with a note after its label, disabled unless the question asks for it."""
    value, start, end, listed = row
    return (value, start + (" disabled" if disabled else ""), f"{end[:-9]}: {escape(note)}</option>", listed)


def _group(label: str, markup: str) -> str:
    return f'<optgroup label="{escape(label)}">{markup}</optgroup>' if markup else ""


def runtime_options(form) -> SafeString:
    """The runtime select: "usual for the format" (naming the one the answer runs on), the runtimes that
    run on the question's devices, then, under "Not on <hardware>", those that do not, with where they
    run, disabled; a runtime the question asks for stays selectable and selected, and the error beside
    the field says why it cannot run."""
    combination = _combination(form)
    chosen = form.data.get("runtime") or ""
    computed = form.cleaned_data.get("runtime") if form.is_valid() and not chosen else None
    usual = "Usual for the format" + (f": {dict(RUNTIME_CHOICES)[computed]}" if computed else "")
    rows = [_option(value, label) for value, label in RUNTIME_CHOICES]
    if combination is None:
        return options([_option("", usual), *rows], chosen)

    def write() -> SafeString:
        runs = [row for row in rows if combination.not_here(row[0]) is None]
        elsewhere = [
            _noted(row, combination.not_here(row[0]), disabled=row[0] != chosen)
            for row in rows
            if combination.not_here(row[0]) is not None
        ]
        return mark_safe(
            options([_option("", usual), *runs], chosen)
            + _group(f"Not on {combination.hardware(short=True)}", options(elsewhere, chosen))
        )

    # `asked`: a backend asked for reads otherwise ("Not on Vulkan") than a card that has that one alone
    key = ("runtime", combination.asked, *combination.choices, chosen, usual)
    return _written((combination.table,), key, write)


def quant_options(form) -> SafeString:
    """The format select: "usual for the model" (naming the one the answer runs at), then the listed
    formats grouped by what runs them on the question's devices: the question's runtime, when the
    visitor chose one; another runtime (named); none, under "Not on <hardware>", disabled, with where
    they run. A format the question asks for is always there, selectable and selected."""
    table = format_rows()
    rows, families = table["rows"], table["families"]
    combination = _combination(form)
    chosen = form.data.get("quant") or ""
    quant = form.cleaned_data.get("quant") if form.is_valid() and not chosen else None
    usual = options([_option("", "Usual for the model" + (f": {quant.name}" if quant else ""))], chosen)
    if combination is None:
        return mark_safe(usual + options(rows, chosen, chosen=[chosen]))
    runtime = form.data.get("runtime") or ""
    if runtime not in combination.table or combination.not_here(runtime) is not None:
        runtime = ""  # no runtime chosen that runs here: the formats any runtime runs here come first

    def write() -> SafeString:
        names = dict(RUNTIME_CHOICES)
        own, other, not_here = _format_groups(rows, families, combination, runtime)
        elsewhere = [_noted(row, note, disabled=row[0] != chosen) for row, note in not_here]
        listed = {"chosen": [chosen]}
        first = (
            _group(f"With {names[runtime]}", options(own, chosen, **listed))
            if runtime
            else options(own, chosen, **listed)
        )
        return mark_safe(
            usual
            + first
            + _group("With another runtime", options(other, chosen, **listed))
            + _group(f"Not on {combination.hardware(short=True)}", options(elsewhere, chosen, **listed))
        )

    return _written(
        (table, combination.table),
        ("quant", combination.asked, *combination.choices, runtime, chosen, usual),
        write,
    )


# The runtime and format selects as written for a kind of hardware (its devices' backend choices) and
# what the question chose, with the catalog tables they were written from (one object each per catalog
# version: a new version writes them afresh). Both are swapped with every HTMX answer, and a few hundred
# combinations cover most questions: ~0.1 ms each to write.
_WRITTEN: dict[tuple, tuple[tuple, SafeString]] = {}


def _written(tables: tuple, key: tuple, write) -> SafeString:
    full = (*map(id, tables), *key)
    found = _WRITTEN.get(full)
    if found is not None and all(a is b for a, b in zip(found[0], tables, strict=True)):
        return found[1]
    if len(_WRITTEN) >= 4096:  # tables of older catalog versions, or rare combinations: dropped together
        _WRITTEN.clear()
    markup = write()
    _WRITTEN[full] = (tables, markup)
    return markup


def _format_groups(rows: list[Option], families: dict, combination: Combination, runtime: str) -> tuple:
    """The format rows that `runtime` (or, with none, any runtime) runs on these devices, those another
    runtime runs (noted with it), and those none runs here with why: kept per kind of hardware and runtime
    and catalog version (`format_rows` is the catalog's too), since a page and an HTMX answer ask it of ~20
    formats each (~0.3 ms)."""

    def group() -> tuple:
        names = dict(RUNTIME_CHOICES)
        own, other, elsewhere = [], [], []
        for row in rows:
            family = families[row[0]]
            if runtime and combination.runs(runtime, family):
                own.append(row)
            elif (by := combination.format_runtime(family)) is None:
                elsewhere.append((row, combination.format_not_here(family)))
            elif runtime:
                other.append(_noted(row, f"with {names[by]}", disabled=False))
            else:
                own.append(row)
        return own, other, elsewhere

    return cache.get_or_compute("format-groups", repr((combination.choices, runtime)), group, keep=True)
