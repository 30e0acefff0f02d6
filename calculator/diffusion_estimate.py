"""The engine's answer to an image or video question (`estimator.estimate_diffusion`): with the system RAM
it assumes where the question gives none, in the usual format where it asks none, cached under the
question's canonical query."""

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from catalog import cache as answer_cache  # the page's cached answers
from catalog.models import Quantization
from estimator import DiffusionEstimate, DiffusionWorkload, estimate_diffusion
from estimator.diffusion_schema import DiffusionPlan
from estimator.diffusion_speed import host_link_gb_s
from estimator.units import GIB

from .diffusion_form import DiffusionForm
from .diffusion_formats import FORMATS, RELEASED, offered
from .diffusion_shapes import spec_of

# System RAM sizes a question that gives none is answered with when only an offload plan runs it: the
# least of them that does (the usual sizes of a PC, from the smallest a 12-24 GB card is paired with; 48 GB
# is two 24 GB DDR5 modules). The engine sizes the T5-XXL by it (16 bits above 32 GB, ComfyUI's examples): FLUX.1
# [dev] in BF16 on a 12 GB card needs 29 GiB with headroom with the 8-bit one, so 32 GB.
ASSUMED_RAM_GB = (16, 32, 48, 64)


def _estimate(form: DiffusionForm, data: dict) -> DiffusionEstimate:
    """The engine's estimate of the question's `data` (its cleaned data, with a change) on its devices."""
    spec = spec_of(data["model"])
    workload = DiffusionWorkload(
        width=data["width"],
        height=data["height"],
        steps=data["steps"],
        frames=data["frames"],
        denoiser_format=data["quant"].slug,
        denoiser_bits=None if data["quant"].slug == RELEASED else data["quant"].bits_per_weight,
        ram_bytes=data["ram_gb"] * GIB if data.get("ram_gb") else None,
    )
    links = {g.slug: rate for g in form.devices if (rate := host_link_gb_s(g.bus_interface))}
    return estimate_diffusion(
        model=spec, devices=[g.as_spec() for g in form.devices], workload=workload, host_links=links
    )


def with_assumed_ram(
    ask: Callable[[int | None], DiffusionEstimate], *, assume: bool
) -> tuple[DiffusionEstimate, int | None]:
    """The answer of `ask` (given system RAM in GB, or None) and the RAM it assumed: where nothing runs on the
    GPUs alone and `assume` (no RAM given, not a unified-memory machine), the least of ASSUMED_RAM_GB that runs
    it; where none does, the answer without RAM, or the one with the most where the GPU is what is short (its
    reason names the GPU, not the RAM). The calculator's answer and the reverse pages' (reverse_questions/images.py)."""
    result = ask(None)
    if result.recommended is not None or not assume:
        return result, None
    for assumed in ASSUMED_RAM_GB:
        with_ram = ask(assumed)
        if with_ram.recommended is not None:
            return with_ram, assumed
    return (with_ram if gpu_short(with_ram) else result), None


def gpu_short(result: DiffusionEstimate) -> bool:
    """Nothing fits though sequential offload has the system RAM it needs: the GPU is what is short."""
    sequential = next((p for p in result.plans if p.strategy == "sequential_offload"), None)
    return sequential is not None and all(d.fits for d in sequential.devices if d.kind == "host")


def assumed_ram_gb(result: DiffusionEstimate, form: DiffusionForm) -> int | None:
    """The system RAM `answer` assumed for the recommended plan (its host's), None where the visitor
    gave theirs or none was needed."""
    plan = result.recommended_plan
    host = next((d for d in plan.devices if d.kind == "host"), None) if plan else None
    return host.capacity_bytes // GIB if host and not form.cleaned_data.get("ram_gb") else None


def ram_bytes(plan) -> int:
    """What a plan keeps in system RAM."""
    return sum(d.used_bytes for d in plan.devices if d.kind == "host")


def ram_needed(plan: DiffusionPlan, assumed_gb: int | None) -> int:
    """The system RAM an answer needs in the visitor's terms: the size it assumed ("with 32 GB of system RAM
    or more"), else what its plan keeps there (none on the GPUs alone)."""
    return assumed_gb * GIB if assumed_gb else ram_bytes(plan)


def answer(
    form: DiffusionForm,
    *,
    quant: Quantization | None = None,
    ram_gb: int | None = None,
    picture: dict[str, int] | None = None,
) -> DiffusionEstimate:
    """The engine's answer to the question (`quant`, `ram_gb` or the `picture`'s width, height and frames
    changed). Where it gives no system RAM and nothing fits on the GPUs alone, it is answered with the least
    of ASSUMED_RAM_GB that runs it: FLUX.1 [dev] on a 24 GB card keeps its 9 GiB of text encoders in RAM,
    as ComfyUI does unasked, and a "No" there would be wrong for every PC; the verdict says what it assumed
    (`assumed_ram_gb`). Kept on the form per change: the verdict and the suggestions ask the same ones
    (each smaller format, each smaller picture), by the format asked (the form's own, the usual one once `answered`)."""
    key = ((quant or form.cleaned_data["quant"]).slug, ram_gb, tuple(sorted((picture or {}).items())))
    answered = form.__dict__.setdefault("_answers", {})
    if key not in answered:
        answered[key] = _answer(form, quant=quant, ram_gb=ram_gb, picture=picture)
    return answered[key]


def _answer(
    form: DiffusionForm, *, quant: Quantization | None, ram_gb: int | None, picture: dict[str, int] | None
) -> DiffusionEstimate:
    data = form.cleaned_data | {k: v for k, v in (("quant", quant), ("ram_gb", ram_gb)) if v is not None}
    data |= picture or {}
    return with_assumed_ram(
        lambda ram: _estimate(form, data if ram is None else data | {"ram_gb": ram}),
        assume=not data.get("ram_gb") and not all(d.unified_memory for d in form.devices),
    )[0]


def formats_here(form: DiffusionForm) -> list[Quantization]:
    """The denoiser's formats offered for the question's model on its devices (`offered`), widest first: one
    query."""
    formats = _formats()
    backends = {device.backend for device in form.devices}
    return [formats[slug] for slug in offered(form.cleaned_data["model"].slug, backends) if slug in formats]


def smaller_formats(form: DiffusionForm, here: list[Quantization] | None = None) -> list[Quantization]:
    """The denoiser's formats narrower than the question's offered on its devices (`formats_here`, or `here`),
    widest first."""
    than = form.cleaned_data["quant"].bits_per_weight
    return [q for q in (formats_here(form) if here is None else here) if q.bits_per_weight < than]


def _formats() -> dict[str, Quantization]:
    """The denoiser's formats (FORMATS) as the catalog holds them, by slug: one query."""
    return {q.slug: q for q in Quantization.objects.filter(slug__in=FORMATS)}


def _narrower(
    form: DiffusionForm, formats: dict[str, Quantization], *, than: Quantization
) -> list[Quantization]:
    backends = {device.backend for device in form.devices}
    return [
        formats[slug]
        for slug in offered(form.cleaned_data["model"].slug, backends)
        if slug in formats and formats[slug].bits_per_weight < than.bits_per_weight
    ]


F, A = TypeVar("F"), TypeVar("A")  # a format (a catalog row, a slug) and an answer (an estimate, a plan)


def usual(
    released: A,
    narrower: list[tuple[F, Callable[[], A]]],
    *,
    plan: Callable[[A], DiffusionPlan | None],
    ram: Callable[[A], int],
) -> tuple[F | None, A]:
    """The format an image question with none chosen is answered in, and its answer (`plan`: an answer's
    recommended plan; `ram`: the system RAM it needs, `ram_needed`): as released (None, `released`), unless BF16
    runs only by sequential offload (every step waits on the bus) and a format narrower than it runs faster and
    in less system RAM: then the widest such one of `narrower` (those offered for the model on these devices,
    widest first, each with its answer, asked when needed) that runs another way, else the widest such one,
    by sequential offload too. A visitor review: "Yes, with 48 GB of system RAM or more: ... sequential
    offload, about 3.3 min" led, and below it "Q6_K: component offload, about 3.1 min, with 16 GB": one with
    32 GB read the headline as "no". Another: on an 8 GB card, where every format runs by sequential offload,
    FLUX.1 [dev] stayed in BF16 with 32 GB though Q6_K runs faster with 16 GB, against what-runs' own words.
    The calculator (`usual_of`) and the reverse pages (reverse_questions/images.py) ask it alike, so their
    links bring the same answer back."""
    current = plan(released)
    if current is None or current.strategy != "sequential_offload" or current.timing is None:
        return None, released
    offloaded = None  # the widest that does better by sequential offload too
    for quant, ask in narrower:
        answer_there = ask()
        better = plan(answer_there)
        if (
            better is not None
            and better.timing is not None
            and better.timing.total_s < current.timing.total_s
            and ram(answer_there) < ram(released)
        ):
            if better.strategy != "sequential_offload":
                return quant, answer_there
            offloaded = offloaded or (quant, answer_there)
    return offloaded or (None, released)


def usual_of(form: DiffusionForm) -> Quantization:
    """The format the question is answered in where it asks none (`usual`): BF16 as released, or one of the
    smaller formats that load here and have a file. A function of the question and the catalog alone, whatever
    the form's `quant` says by then (`answered` sets it to this)."""
    formats = _formats()
    released = formats[RELEASED]
    tries = [(q, lambda q=q: answer(form, quant=q)) for q in _narrower(form, formats, than=released)]
    quant, _ = usual(
        answer(form, quant=released),
        tries,
        plan=lambda result: result.recommended_plan,
        ram=lambda result: ram_needed(result.recommended_plan, assumed_ram_gb(result, form)),
    )
    return quant or released


def answered(form: DiffusionForm) -> DiffusionEstimate:
    """The answer the page, the API and a snapshot give a valid question, cached under its canonical query: in
    the format asked for, else in the usual one (`usual_of`), which the form's `quant` names from then on, on a
    cache hit too (the format is kept with the answer)."""

    def compute() -> tuple[Quantization, DiffusionEstimate]:
        quant = form.cleaned_data["quant"] if form.format_asked else usual_of(form)
        return quant, answer(form, quant=quant)

    quant, result = answer_cache.get_or_compute("image-answer", form.canonical_query(), compute)
    form.cleaned_data["quant"] = quant
    return result


def usual_format(form: DiffusionForm) -> Quantization | None:
    """The format the question is answered in where none is asked, for the format select's "Usual" option: that
    of the question without its format (the question itself where it asks none), as `answered` gives it (from
    the cache once answered); None where unknown (an invalid question, one the engine refuses)."""
    if not form.is_valid():
        return None
    unasked = form
    if form.format_asked:
        query = form.data.copy()
        query.pop("quant")
        unasked = DiffusionForm(query)
        if not unasked.is_valid():
            return None
    try:
        answered(unasked)
    except ValidationError:  # the engine refuses the question
        return None
    return unasked.cleaned_data["quant"]
