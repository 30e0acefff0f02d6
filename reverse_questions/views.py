"""The reverse questions' pages: "What runs on my hardware?" and "What hardware runs this model?".

Each page is a GET form bound to a Form; with HX-Request the view returns only the #result partial.
Both read the catalog rows they need once per catalog version (no query once warm, whatever the
catalog's size), then compute in Python (catalog/fitting.py).
"""

from django.db.models import Q
from django.http import HttpResponse, QueryDict
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from calculator.diffusion_answer import ASSUMED_RAM_GB, FORMATS, MAX_SAME_CARDS, is_diffusion, spec_of
from calculator.forms import CONTEXT_PRESETS, FIRST_VISIT, device_summary
from calculator.pickers import Option, options, ram_options
from catalog import cache, fitting, runtime_support, slugs, tiers
from catalog.fitting import urlencoded
from catalog.models import DiffusionModel, Gpu, LlmModel, Quantization, valid_specs
from catalog.pages import whole_computer
from catalog.published import format_specs, llm_specs, published_formats
from catalog.runtimes import RUNTIME_CHOICES
from catalog.search import search_terms
from catalog.workload import ram_presets
from config import http_cache
from config.htmx import respond
from estimator import DeviceSpec
from estimator.schema import ModelSpec
from estimator.speed import DEFAULT_RAM_BANDWIDTH_GB_S, shared_steps
from estimator.strategies import GPU_ONLY
from estimator.units import plural

from . import answers, images, offload
from .forms import DEFAULT_QUANT, IMAGES_TIER, WhatHardwareForm, WhatRunsForm

WHAT_RUNS_FIRST_VISIT = {"gpu": FIRST_VISIT["gpu"], "count": ["1"]}  # "my hardware": one card to start
WHAT_HARDWARE_FIRST_VISIT = {"model": [FIRST_VISIT["model"]], "quant": [DEFAULT_QUANT]}
# What-hardware's form, built for an image or video model, says so in a hidden field: its HTMX requests
# tell the view which kind of model the fields on the page are for (`_kind_switched`).
KIND_FIELD, IMAGE_KIND = "kind", "image"


def fit_context(rows, *, hardware: str, ctx: int, q: str = "") -> dict:
    """What-runs' verdict: the models that fit, its sentence (the page's and a shared answer's, one
    definition) and its colour. A model that reads fewer tokens than asked is counted at its own maximum, and
    said to be; where every one that fits is (2,000,000 tokens asked), none fits at the context asked."""
    fitting_count, shorter = fitting.fit_counts(rows)
    models = plural(len(rows), "model") + (f" named “{q}”" if q else "")
    fit = "fits" if fitting_count == 1 else "fit"
    if fitting_count and shorter == fitting_count:
        none = f"None of the {models} fits" if len(rows) > 1 else f"The {models} does not fit"
        text = (
            f"{none} at {ctx:,} tokens of context: {fitting_count} {fit} on {hardware} at "
            f"{'its' if fitting_count == 1 else 'their'} own shorter maximum."
        )
        css = "tight"
    else:
        text = f"{fitting_count} of {models} {fit} on {hardware} at {ctx:,} tokens of context{fitting.shorter_note(shorter)}."
        css = "yes" if fitting_count else "no"
    # an offload plan's longest context is what it holds as laid out; the calculator, searching every plan with
    # more of the model in the RAM, may find a longer one: said beside the tables (`longest-offload`)
    offloaded = any(r.fits and r.plan.strategy not in GPU_ONLY for r in rows)
    return {"fitting": fitting_count, "verdict_text": text, "verdict_css": css, "offloaded": offloaded}


@require_GET
@vary_on_headers("HX-Request")
@http_cache.public(etag=http_cache.page_etag)
def what_runs(request):
    """Every catalog model on the visitor's devices: the largest listed format that fits, its speed."""
    context = what_runs_answer(request.GET or query_of(WHAT_RUNS_FIRST_VISIT))
    return respond(request, "reverse_questions/what_runs.html", context)


@require_GET
@vary_on_headers("HX-Request")
@http_cache.public(etag=http_cache.page_etag)
def what_hardware(request):
    """The smallest and the cheapest device sets of the catalog that run a model at a context and speed;
    for an image or video model, that run it on the GPUs alone."""
    query = request.GET or query_of(WHAT_HARDWARE_FIRST_VISIT)
    if (reload := _kind_switched(request, query)) is not None:
        return reload
    return respond(request, "reverse_questions/what_hardware.html", what_hardware_answer(query))


def _kind_switched(request, query: QueryDict) -> HttpResponse | None:
    """Where the visitor switched between a language model and an image or video model (the form's fields
    differ: the form built for an image model sends KIND_FIELD), the page of the model chosen loaded whole
    (HX-Redirect), as the calculator does (calculator/diffusion_views.py); None otherwise."""
    if not request.htmx or request.htmx.history_restore_request:
        return None
    model, tables = (query.get("model") or "").strip(), _hardware_tables()
    image = model in tables["images"]
    if image == (query.get(KIND_FIELD) == IMAGE_KIND) or not (image or model in tables["models"]):
        return None
    return HttpResponseClientRedirect(
        f"{reverse('reverse_questions:what-hardware')}?{urlencoded([('model', model)])}"
    )


def what_runs_answer(query: QueryDict) -> dict:
    """The what-runs page's context: the bound form, and with a valid form its rows (`rows`)."""
    tables = _runs_tables()
    chosen = {s.strip() for s in query.getlist("gpu") if "\x00" not in s}  # PostgreSQL refuses NUL
    gpus, gpu_rows = tables["gpus"], tables["gpu_rows"]
    if missing := chosen - {""} - gpus.keys():  # an unlisted GPU or an old slug: with the listed ones
        gpus = _with_unlisted(gpus, missing, chosen)
        gpu_rows = [_option(g.slug, g.name) for g in gpus.values()]
    quants = tables["quants"]
    form = WhatRunsForm(query, known=gpus, quants=[q for q, _ in quants])
    context = {
        "form": form,
        "rows_in_form": _device_rows(form, gpu_rows),
        "ram_options": ram_options(form.data.get("ram_preset")),
        **shared_context(),
    }
    if form.is_valid():
        data = form.cleaned_data
        preset = data.get("ram_preset")
        workload = fitting.question_workload(
            ctx=data["ctx"],
            ram_gb=data.get("ram_gb"),
            ram=ram_presets()[preset]["workload"] if preset else None,
        )
        specs = tables["gpu_specs"]
        devices = [specs[g.slug] if g.slug in specs else g.as_spec() for g in form.devices]
        rows = fitting.what_runs(
            models=named(tables["models"], data["q"], tables["search_keys"]),
            quants=[spec for _, spec in quants],
            devices=devices,
            workload=workload,
            ram_gb=data.get("ram_gb"),
            ram_preset=preset,
            native_dtypes=tables["native_dtypes"],
            policy=data.get("quant") or "default",
            runtimes=form.runtimes,
            published=published_formats(),
        )
        hardware = device_summary(form.devices)
        context |= {
            "rows": fitting.sort_rows(rows, data["sort"]),
            "tiers": tiers.tiers(
                rows, data["sort"], only=data["tier"], more_url=lambda key: form.page_url(tier=key)
            ),
            "all_tiers": form.page_url(tier=""),
            "collapse_none": not data["tier"],  # what won't run folded away unless asked for alone
            "every_model": form.page_url(q=""),
            **fit_context(rows, hardware=hardware, ctx=data["ctx"], q=data["q"]),
            "hardware": hardware,
            "permalink": form.page_url(),
            "sort_links": {key: form.page_url(sort=key) for key in tiers.SORTS},
        }
        if data["tier"] in ("", IMAGES_TIER):  # a speed tier alone (an LLM's tok/s) shows no image model
            alone = data["tier"] == IMAGES_TIER
            context |= _images_context(form, tables, devices, hardware, llms=bool(rows) and not alone)
            context |= {
                "images_alone": alone,
                "images_url": form.page_url(tier=IMAGES_TIER),
            }
    return context


def _images_context(
    form: WhatRunsForm, tables: dict, devices: list[DeviceSpec], hardware: str, *, llms: bool
) -> dict:
    """What-runs' image and video models on the form's devices (`images_context`); where a Mac is one of
    several devices, none (the calculator asks about one machine: `mac_among`)."""
    data = form.cleaned_data
    if (mac := whole_computer(form.devices)) is not None:
        return {"images": [], "mac_among": mac}

    def compute() -> list[images.ImageRow]:
        return images.what_runs(
            models=named(tables["images"], data["q"], tables["image_search_keys"]),
            devices=devices,
            host_links=images.host_links(set(form.devices)),
            ram_gb=data.get("ram_gb"),
            sort=data["sort"],
            bits=tables["image_bits"],
        )

    # The image rows read neither the context nor the format asked, which a visitor changes most: kept per
    # question of their own (the devices, the RAM, the names, the sort; the catalog's and the engine's versions),
    # each new context of a page answered them again (a third of its CPU on 4× RTX 3060 with 96 GB)
    question = urlencoded(
        [*fitting.device_pairs(fitting.group(devices)), ("ram_gb", str(data.get("ram_gb") or ""))]
        + [("q", data["q"]), ("sort", data["sort"])]
    )
    rows = cache.get_or_compute("what-runs-images", question, compute, keep=True)
    return images_context(
        rows, devices=devices, hardware=hardware, q=data["q"], ram_gb=data.get("ram_gb"), llms=llms
    )


def images_context(
    rows: list[images.ImageRow], *, devices: list[DeviceSpec], hardware: str, q: str, ram_gb, llms: bool
) -> dict:
    """What-runs' section of image and video models, the page's and a shared answer's: its rows, its sentence,
    how many run and what those that do not were tried with; where no language model is shown (`llms`
    False: none named, or the image models asked for alone), its sentence is the page's verdict."""
    fitting_count = sum(r.fits for r in rows)
    context = {
        "images": rows,
        "images_verdict": images.verdict(rows, hardware=hardware, q=q),
        "images_fitting": fitting_count,
        "images_none": len(rows) - fitting_count,
        "images_why_not": images.why_not(devices, ram_gb),
    }
    if rows and not llms:
        context |= {
            "verdict_text": context["images_verdict"],
            "verdict_css": "yes" if fitting_count else "no",
        }
    return context


def what_hardware_answer(query: QueryDict) -> dict:
    """The what-hardware page's context: the bound form, and with a valid form its `answer`."""
    tables = _hardware_tables()
    form = WhatHardwareForm(query, models=tables["models"], quants=tables["quants"], images=tables["images"])
    chosen = {
        "model": form.data.get("model"),
        "quant": form.data.get("quant"),
    }  # a field given twice: its first
    context = {
        "form": form,
        "model_options": options(tables["model_rows"], chosen["model"]),
        "diffusion_models": tables["images"].values(),  # after them (calculator/_diffusion_models.html)
        # the format asked for is shown even when unlisted, selected; none asked for: the one the form
        # answers at (the model's usual: WhatHardwareForm.clean_quant)
        "quant_options": options(
            tables["quant_rows"],
            chosen["quant"] or (form.cleaned_data["quant"].slug if form.is_valid() else DEFAULT_QUANT),
            chosen=[chosen["quant"]],
        ),
        "kind_field": KIND_FIELD,
        "image_kind": IMAGE_KIND,
        **shared_context(),
    }
    if form.image is not None:  # the denoiser's formats alone, none asked for: as released
        context["quant_options"] = options(tables["image_quant_rows"], chosen["quant"] or images.RELEASED)
        if form.is_valid():
            context |= _image_hardware(form, tables)
        return context
    context["ram_options"] = ram_options(form.data.get("ram_preset"))
    if form.is_valid():
        data = form.cleaned_data
        model, quant = data["model"].as_spec(), data["quant"].as_spec()
        runtimes = runtime_support.backend_runtimes(data["quant"].family, tables["backends"])
        preset = data.get("ram_preset")
        with shared_steps():  # the GPU-only sets and those with RAM time some stages alike: each step once
            context["answer"] = answers.cut(
                fitting.what_hardware(
                    model=model,
                    quant=quant,
                    gpus=tables["gpus"],
                    workload=fitting.question_workload(ctx=data["ctx"], batch=data["batch"]),
                    target_tok_s=data["tok_s"],
                    runtimes=runtimes,
                    top=None,  # every set: the cheapest ranking's old launch prices are picked from all (`cut`)
                )
            )
            ram = offload.with_ram(
                model=model,
                quant=quant,
                gpus=tables["gpus"],
                ctx=data["ctx"],
                batch=data["batch"],
                target_tok_s=data["tok_s"],
                runtimes=runtimes,
                ram_preset=preset,
                ram_fields=ram_presets()[preset]["workload"] if preset else None,
            )
        context |= {"ram_sets": ram.sets, "ram_dearer": ram.dearer_kinds, "ram_stopped": ram.stopped}
        context |= ram_context(model.is_moe, preset)
        context["permalink"] = form.page_url()
        context |= answers.shown(context["answer"], context["ram_sets"])
    return context


def ram_context(moe: bool, preset: str | None) -> dict:
    """What the what-hardware page says of its sets with system RAM, the page's and a shared answer's: whether
    they were asked (a mixture of experts), the RAM's type and bandwidth, and the sizes it holds
    (offload.offered_sizes: two channels take no more than a desktop's four slots)."""
    most = offload.most_ram_gb(preset)
    if preset:
        row = ram_presets()[preset]
        ram = f"{row['name']}, {row['workload']['ram_bandwidth_gb_s']:g} GB/s"
        if most is not None:
            ram += f", up to {most:,} GB (the most its two channels take: a desktop's four slots)"
    elif (beyond := offload.platforms().get(offload.BEYOND_DESKTOP)) is not None:
        ram = (
            f"dual-channel DDR5-4800, {DEFAULT_RAM_BANDWIDTH_GB_S:g} GB/s, the calculator's default, up to "
            f"{most:,} GB (the most a desktop's four slots take); where no size of it reaches the speed, "
            f"{beyond['name']}, {beyond['workload']['ram_bandwidth_gb_s']:g} GB/s (a workstation's), as each row "
            "says"
        )
    else:
        ram = f"dual-channel DDR5-4800, {DEFAULT_RAM_BANDWIDTH_GB_S:g} GB/s, the calculator's default, up to {most:,} GB"
    return {"ram_asked": moe, "ram_words": ram, "ram_sizes": offload.offered_sizes(preset)}


def _image_hardware(form: WhatHardwareForm, tables: dict) -> dict:
    """What-hardware's answer for an image or video model: the fewest GPUs of each kind that run it on the
    GPU alone (reverse_questions/images.py), ranked and written as an LLM's sets are."""
    model, quant = form.cleaned_data["model"], form.cleaned_data["quant"]
    answer = images.what_hardware(
        model=spec_of(model),
        gpus=tables["gpus"],
        host_links=tables["host_links"],
        quant=quant.slug,
        bits=quant.bits_per_weight,
    )
    return {
        "image_answer": answer,
        **answers.shown(answer),
        "permalink": form.page_url(),
    }


def named(models: list[ModelSpec], q: str, search_keys: dict[str, str]) -> list[ModelSpec]:
    """The models whose search key (`search_keys`, by slug: the rows' own, of their name, slug, Hugging Face
    id and family) holds every word of `q`, as the site's search matches them ("qwen2.5-coder", "llama 3.1")."""
    terms = search_terms(q)
    if not terms:
        return models
    return [m for m in models if all(t in search_keys.get(m.slug, "") for t in terms)]


def _with_unlisted(listed: dict[str, Gpu], missing: set[str], chosen: set[str]) -> dict[str, Gpu]:
    """The listed GPUs and the unlisted ones asked for, in the catalog's order, as one query would read
    them. Current slugs come from the rows read once per catalog version (`slugs.current`): half the
    GPUs of the catalog are unlisted, and reading the listed ones again with them was ~2 ms of a page.
    A former slug (a renamed GPU) is read from the database, with the listed ones, as before."""
    found = slugs.current(Gpu, missing)
    if len(found) < len(missing):
        return {g.slug: g for g in Gpu.objects.filter(Q(listed=True) | Q(slug__in=chosen))}
    return {s: listed.get(s) or found[s] for s in slugs.in_order(Gpu) if s in listed or s in found}


def query_of(values: dict[str, list[str]]) -> QueryDict:
    """A query string of these values: a page's first visit (`WHAT_RUNS_FIRST_VISIT`), as a visitor's GET."""
    query = QueryDict(mutable=True)
    for key, value in values.items():
        query.setlist(key, value)
    return query


def _device_rows(form: WhatRunsForm, gpu_rows: list[Option]) -> list[tuple[str, str, SafeString]]:
    """(gpu, count, the GPU picker's options with it selected) per row of the form: what the visitor
    gave, then one empty row to add a GPU kind."""
    counts = form.counts_raw if len(form.counts_raw) == len(form.gpu_slugs) else ["1"] * len(form.gpu_slugs)
    rows = [*zip(form.gpu_slugs, counts, strict=True), ("", "1")]
    return [(slug, count, options(gpu_rows, slug)) for slug, count in rows]


# ---- What the pages read from the catalog, once per catalog version (catalog/cache.py) -------------
# Every question read the same rows again and built the same ~150 model specs (a third of a what-hardware
# page's CPU, a sixth of a what-runs page's); the pickers' <option>s were template loops over them. The
# tables are shared between requests: read-only.


def _runs_tables() -> dict:
    """What-runs: the listed GPUs (slug -> row, their specs and picker options), every LLM's spec and
    native dtype, the listed formats (row, spec)."""

    def read() -> dict:
        gpus = {g.slug: g for g in Gpu.objects.filter(listed=True)}
        # the specs every catalog page shares (catalog/published.py), so the engine's caches find what a GPU
        # page computed for them, and the reverse
        models, quants = llm_specs(), format_specs()  # the listed formats, and the image models'
        diffusion = [m for m in DiffusionModel.objects.order_by("name") if is_diffusion(m.slug)]
        return {
            "gpus": gpus,
            "gpu_specs": {g.slug: spec for g, spec in valid_specs(gpus.values())},
            "gpu_rows": [_option(g.slug, g.name) for g in gpus.values()],
            "models": [spec for _, spec in models],
            "native_dtypes": {m.slug: m.native_dtype for m, _ in models},
            "search_keys": {m.slug: m.search_key for m, _ in models},  # "Models named": as the search matches
            "quants": [(q, spec) for q, spec in quants if q.listed],
            "image_bits": {
                q.slug: q.bits_per_weight for q, _ in quants if q.slug in FORMATS
            },  # images.usual_plan
            # the image and video models the calculator answers for, as it sizes them
            "images": [spec_of(m) for m, _ in valid_specs(diffusion)],
            "image_search_keys": {m.slug: m.search_key for m in diffusion},
        }

    return cache.get_or_compute("what-runs-tables", "", read)


def _hardware_tables() -> dict:
    """What-hardware: every LLM and format by slug (the form's lookups) and as picker options (every
    model; the listed formats, an unlisted one when asked for), the listed GPUs' specs with their newest
    price, and their backends."""

    def read() -> dict:
        models = {m.slug: m for m in LlmModel.objects.all()}
        quants = {q.slug: q for q in Quantization.objects.all()}
        rows = list(Gpu.objects.listed().with_current_price())
        gpus = valid_specs(rows)
        diffusion = {m.slug: m for m in DiffusionModel.objects.order_by("name") if is_diffusion(m.slug)}

        def label(q: Quantization) -> str:
            return f"{q.name} ({floatformat(q.bits_per_weight, 2)} bits/weight)"

        return {
            "models": models,
            "model_rows": [_option(m.slug, m.name) for m in models.values()],
            "quants": quants,
            "quant_rows": [_option(q.slug, label(q), q.listed) for q in quants.values()],
            "gpus": [(spec, g.price_tag) for g, spec in gpus],
            "backends": {spec.backend for _, spec in gpus},
            # image and video models the calculator answers for, and their denoiser's formats
            "images": diffusion,
            "image_quant_rows": [
                _option(slug, "As released (16-bit)" if slug == images.RELEASED else label(quants[slug]))
                for slug in FORMATS
                if slug in quants
            ],
            "host_links": images.host_links(rows),
        }

    return cache.get_or_compute("what-hardware-tables", "", read)


def _option(value: str, label: str, listed: bool = True) -> Option:
    """A picker row as calculator/pickers.py writes them: what the template's loop wrote, byte for byte."""
    return (value, f'<option value="{escape(value)}"', f">{escape(label)}</option>", listed)


def shared_context() -> dict:
    return {
        "context_presets": CONTEXT_PRESETS,
        "sorts": tiers.SORTS,
        "max_same": fitting.MAX_SAME_GPUS,
        "top": fitting.TOP,  # each what-hardware ranking's length, said where more sets qualify
        "runtime_names": dict(RUNTIME_CHOICES),
        "max_cards": MAX_SAME_CARDS,  # of one kind for an image or video model (images.what_hardware)
        "assumed_ram": ASSUMED_RAM_GB,  # what the calculator assumes for an image model offloaded
    }
