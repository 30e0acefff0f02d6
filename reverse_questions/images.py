"""The reverse questions for image and video models: which of them run on the visitor's GPUs ("what runs on my
hardware?") and the least of each GPU kind that runs one with its denoiser in GPU memory ("what hardware runs
this model?").

Every answer is the calculator's image answer (`estimator.estimate_diffusion`, its recommended plan) at the
model's default picture, asked as the calculator asks it (the catalog's spec with its denoiser's shape, each
GPU's host link, the system RAM it assumes where none is given), and links to the calculator's own URL for
that question, where the same plan and time come back. Plain functions over engine specs: the views read
the catalog once per catalog version."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from pydantic import ValidationError

from calculator.diffusion_answer import (
    ASSUMED_RAM_GB,
    MAX_SAME_CARDS,
    RELEASED,
    image_query,
    not_on,
    offered,
    plan_row,
    ram_needed,
    usual,
    with_assumed_ram,
)
from catalog.fitting import TOP, GpuSet, group, rankings, sort_rows
from catalog.price_tag import PriceTag
from estimator import (
    DeviceSpec,
    DiffusionEstimate,
    DiffusionPlan,
    DiffusionSpec,
    DiffusionWorkload,
    estimate_diffusion,
    host_link_gb_s,
)
from estimator.diffusion_files import T5_16_BIT_ABOVE_RAM_BYTES, t5_bits
from estimator.units import GIB

from .offload import RamSet

PICTURE = ("width", "height", "steps", "frames")  # the question's picture, at the model's defaults here


def workload(model: DiffusionSpec, *, quant: str = RELEASED, bits: float | None = None, ram_gb=None):
    """The calculator's question at the model's default picture (its denoiser shape's; the engine's own
    without one), the denoiser in `quant` (`bits` per weight), `ram_gb` of system RAM (None: not given)."""
    shape = model.shape
    return DiffusionWorkload(
        **({name: getattr(shape, f"default_{name}") for name in PICTURE} if shape else {}),
        denoiser_format=quant,
        denoiser_bits=None if quant == RELEASED else bits,
        ram_bytes=ram_gb * GIB if ram_gb else None,
    )


def calculator_url(
    model: str, runs: Iterable[tuple[str, int]], *, quant: str | None = None, ram_gb=None
) -> str:
    """The calculator's image answer for this question at the model's default picture: its own URL (`quant`
    None: no format asked, the usual one)."""
    return f"/?{image_query(model, runs, quant=quant, ram_gb=ram_gb)}"


def host_links(gpus: Iterable) -> dict[str, float]:
    """Each GPU's host → GPU copy rate (GB/s) by slug, from its catalog bus, as the calculator gives the
    engine; a GPU whose bus names no PCIe link is left out (the engine's PCIe 4.0 x16)."""
    return {g.slug: rate for g in gpus if (rate := host_link_gb_s(g.bus_interface))}


def recommended(
    model: DiffusionSpec,
    devices: list[DeviceSpec],
    asked: DiffusionWorkload,
    host_links: dict[str, float],
    *,
    assume_ram: bool = True,
) -> tuple[DiffusionPlan | None, int | None]:
    """The calculator's recommended plan, and the system RAM (GB) it assumed (calculator/diffusion_answer.py
    `with_assumed_ram`, unless not `assume_ram`). (None, None) where nothing runs."""
    return Asker(model, devices, host_links).recommended(asked, assume_ram=assume_ram)


class Asker:
    """The engine's answers for one model on one set of devices, each question asked once: the calculator's
    recommended plan in a format (`recommended`), and whether any plan runs it (`runs_at_all`)."""

    def __init__(self, model: DiffusionSpec, devices: list[DeviceSpec], host_links: dict[str, float]):
        self.model, self.devices, self.host_links = model, devices, host_links
        self.unified = all(d.unified_memory for d in devices)
        self.answers: dict[tuple, DiffusionEstimate] = {}

    def estimate(self, asked: DiffusionWorkload, ram_gb: int | None) -> DiffusionEstimate:
        """The engine's answer to `asked`, with `ram_gb` of system RAM if given (ValidationError or ValueError
        where the engine refuses it)."""
        key = (asked.denoiser_format, asked.denoiser_bits, asked.ram_bytes, ram_gb)
        if key not in self.answers:
            w = asked if ram_gb is None else asked.model_copy(update={"ram_bytes": ram_gb * GIB})
            self.answers[key] = estimate_diffusion(
                model=self.model, devices=self.devices, workload=w, host_links=self.host_links
            )
        return self.answers[key]

    def recommended(
        self, asked: DiffusionWorkload, *, assume_ram: bool = True, below_gb: int | None = None
    ) -> tuple[DiffusionPlan | None, int | None]:
        """`recommended`; with `below_gb`, (None, None) also where it needs that much RAM assumed or more (those
        sizes are not asked)."""

        def ask(ram_gb: int | None) -> DiffusionEstimate:
            if below_gb is not None and ram_gb is not None and ram_gb >= below_gb:
                ram_gb = None  # not asked: as without RAM, where nothing ran
            return self.estimate(asked, ram_gb)

        assume = assume_ram and asked.ram_bytes is None and not self.unified
        try:
            result, ram_gb = with_assumed_ram(ask, assume=assume)
        except (ValidationError, ValueError):  # the engine refuses the question: it cannot run
            return None, None
        return (result.recommended_plan, ram_gb) if result.recommended is not None else (None, None)

    def runs_at_all(self, asked: DiffusionWorkload) -> bool:
        """Whether `recommended` finds a plan, in fewer engine calls: with no RAM given, asked with the most RAM
        of each way the engine sizes the T5-XXL by it (`probes_gb`), not with each size in turn."""
        sizes = [None] if asked.ram_bytes is not None or self.unified else probes_gb(self.model)
        for ram_gb in sizes:
            try:
                if self.estimate(asked, ram_gb).recommended is not None:
                    return True
            except (ValidationError, ValueError):
                continue
        return False


def probes_gb(model: DiffusionSpec) -> list[int]:
    """The RAM sizes of ASSUMED_RAM_GB that `Asker.runs_at_all` asks: with more RAM no plan is lost, but the
    engine sizes a T5-XXL in 16 bits above T5_16_BIT_ABOVE_RAM_BYTES (more on the GPU while it runs), in 8 at or
    under it, and on the GPUs alone in 8 where they do not hold 16: the most of each sizing. Without a T5, the
    most."""
    most = max(ASSUMED_RAM_GB)
    if t5_bits(model) is None:
        return [most]
    return [max(gb for gb in ASSUMED_RAM_GB if gb * GIB <= T5_16_BIT_ABOVE_RAM_BYTES), most]


def usual_plan(
    model: DiffusionSpec,
    devices: list[DeviceSpec],
    host_links: dict[str, float],
    *,
    ram_gb: int | None,
    bits: dict[str, float],
) -> tuple[str, DiffusionPlan | None, int | None, bool]:
    """The format what-runs answers in, its recommended plan, the system RAM it assumed, and whether that format
    is one asked for because the denoiser as released does not run. As released, or where that runs only by
    sequential offload the calculator's usual one where no format is asked (calculator/diffusion_answer.py
    `usual`); where as released nothing runs, the widest of its smaller formats that does (the calculator's "To
    make it fit"), improved on as `usual` improves on BF16. `bits`: each format's bits per weight (the
    catalog's).

    A visitor review: what-runs said the two Wan 14B video models "do not fit, even offloaded to 64 GB" on an
    RTX 4090, where the calculator runs both in FP8: a smaller format was tried where BF16 ran slowly, not
    where it did not run at all, the case where it matters most."""
    asker = Asker(model, devices, host_links)

    def asked(quant: str) -> DiffusionWorkload:
        return workload(model, quant=quant, bits=bits.get(quant), ram_gb=ram_gb)

    narrower = [q for q in offered(model.slug, {d.backend for d in devices})[1:] if q in bits]
    base, answer = RELEASED, asker.recommended(asked(RELEASED))
    if answer[0] is None and narrower:
        base = _widest_that_runs(narrower, bits, lambda q: asker.runs_at_all(asked(q))) or RELEASED
        answer = asker.recommended(asked(base)) if base != RELEASED else answer
    # `usual` takes a smaller format only where it needs less RAM: the sizes from the base's up are not asked
    quant, (plan, assumed) = usual(
        answer,
        [
            (q, lambda q=q: asker.recommended(asked(q), below_gb=answer[1]))
            for q in narrower[narrower.index(base) + 1 if base in narrower else 0 :]
        ],
        plan=lambda a: a[0],
        ram=lambda a: ram_needed(*a),
    )
    return quant or base, plan, assumed, base != RELEASED


def _widest_that_runs(formats: list[str], bits: dict[str, float], runs) -> str | None:
    """The first of `formats` (widest first, as offered) that `runs`; None where none does. Whether a format runs
    depends on its bits per weight alone (the engine sizes the denoiser by them): the narrowest is asked first
    (where it does not run, none does), and a format no narrower than one that does not run is not asked (Q8_0's
    8.5 bits after FP8's 8)."""
    if not runs(formats[-1]):
        return None
    short = float("inf")  # the fewest bits found not to run
    for quant in formats[:-1]:
        if bits[quant] < short:
            if runs(quant):
                return quant
            short = bits[quant]
    return formats[-1]


class Pictured:
    """What an answer about one image or video model says of it: what its time is for, at which picture."""

    model: DiffusionSpec

    @property
    def video(self) -> bool:
        return bool(self.model.shape and self.model.shape.video)

    @property
    def per(self) -> str:
        """What a time is for: "image", or "video" (a clip of the model's default length)."""
        return "video" if self.video else "image"

    @property
    def picture(self) -> str:
        """What the model is timed at, its default picture: '1024×1024, 28 steps'; a video model's '832×480,
        81 frames (5.1 s), 50 steps'."""
        shape = self.model.shape
        if shape is None:
            return ""
        size = f"{shape.default_width}×{shape.default_height}"
        if shape.video:
            size += f", {shape.default_frames} frames ({shape.default_frames / shape.fps:.1f} s)"
        return f"{size}, {shape.default_steps} steps"


class Shown:
    """What a row or a set shows of its plan: its time, and the calculator's words for it (`plan_row`)."""

    plan: DiffusionPlan | None

    @property
    def seconds(self) -> float | None:
        """One image or video, the slowest pipeline's (`Timing.total_s`); None where untimed or none runs."""
        return self.plan.timing.total_s if self.plan and self.plan.timing else None

    @property
    def pace(self) -> float:
        """What the rankings sort by speed: the seconds, untimed last."""
        return self.seconds if self.seconds is not None else float("inf")

    @cached_property
    def shown(self) -> dict:
        """The calculator's row of the plan (`plan_row`): its title, glossary term, time and range."""
        return plan_row(self.plan) if self.plan else {}


# ---- What runs on my hardware? ------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRow(Shown, Pictured):
    """One image or video model on the visitor's GPUs: the calculator's recommended plan, or None."""

    model: DiffusionSpec
    plan: DiffusionPlan | None
    permalink: str
    # no RAM given, and only an offload plan runs it: the system RAM the calculator assumed
    assumed_ram_gb: int | None = None
    # the denoiser's format: as released unless a smaller one is the usual (`usual_plan`); a snapshot saved
    # before rows said theirs was answered as released
    quant: str = RELEASED
    # as released it does not run at all: `quant` is the widest smaller format that does (`usual_plan`), which
    # the row says and its link asks for (the calculator, asked no format, answers as released: no)
    released_short: bool = False

    @property
    def fits(self) -> bool:
        return self.plan is not None

    @property
    def params_b(self) -> float:
        return sum(c.params_b for c in self.model.components)


def what_runs(
    *,
    models: Iterable[DiffusionSpec],
    devices: list[DeviceSpec],
    host_links: dict[str, float],
    ram_gb: int | None = None,
    sort: str = "size",
    bits: dict[str, float] | None = None,
) -> list[ImageRow]:
    """Each model on the devices at its default picture, in the calculator's usual format (`usual_plan`;
    `bits`: each format's bits per weight, none: as released), sorted by `sort` (the LLMs' keys:
    catalog/fitting.py `sort_rows`), those that run first. RAM beside unified-memory machines alone is not
    asked (the calculator refuses it there: that memory is the GPU's)."""
    if all(d.unified_memory for d in devices):
        ram_gb = None
    runs = group(devices)
    rows = []
    for model in models:
        quant, plan, assumed, short = usual_plan(model, devices, host_links, ram_gb=ram_gb, bits=bits or {})
        # no format: the same usual one comes back; where BF16 does not run, the format that does, asked
        link = calculator_url(model.slug, runs, quant=quant if short else None, ram_gb=ram_gb)
        rows.append(ImageRow(model, plan, link, assumed, quant, short))
    return sort_rows(rows, sort, params_b=lambda r: r.params_b, pace=lambda r: r.pace)


def why_not(devices: list[DeviceSpec], ram_gb: int | None) -> str:
    """What a model that does not run was tried with: every format offered for it (`usual_plan`), the system
    RAM given, else the most the calculator assumes; a unified-memory machine has none beside."""
    if all(d.unified_memory for d in devices):
        return "Does not fit in this machine's memory, in any format."
    return f"Does not fit in any format, even offloaded to {ram_gb or max(ASSUMED_RAM_GB)} GB of system RAM."


def verdict(rows: list[ImageRow], *, hardware: str, q: str = "") -> str:
    """'9 of 17 image and video models run on 2× GeForce RTX 3090.' (`q`: the models' names asked for)."""
    ran = sum(r.fits for r in rows)
    named = f" named “{q}”" if q else ""
    models = "image or video model" if len(rows) == 1 else "image and video models"
    return f"{ran} of {len(rows)} {models}{named} {'runs' if ran == 1 else 'run'} on {hardware}."


# ---- What hardware runs this model? -------------------------------------------------------------


@dataclass(frozen=True)
class ImageSet(GpuSet, Shown):
    """n identical devices that run the model with its denoiser in their memory, with the calculator's
    recommended plan: nothing in system RAM."""

    plan: DiffusionPlan
    price_usd: Decimal | None  # the unit price × count
    permalink: str
    unit_price: PriceTag | None = None


@dataclass(frozen=True)
class ImageRamSet(ImageSet, RamSet):
    """One card with the text encoders and VAE in the system RAM the calculator assumes for it (`ram_gb`, the
    least of ASSUMED_RAM_GB that runs it): component offload, the denoiser in the card's memory. A set with
    system RAM as what-hardware's LLM sets with RAM are (reverse_questions/offload.py): the page writes the
    RAM beside the card's memory and prices the GPU alone (the site publishes no RAM price)."""


@dataclass(frozen=True)
class ImageHardware(Pictured):
    """what_hardware's answer for an image or video model, ranked as an LLM's (catalog/fitting.py)."""

    model: DiffusionSpec
    quant: str  # the denoiser's format
    # a shared answer of before the sets with RAM holds ImageSet's fields alone: read as one
    smallest: list[ImageSet | ImageRamSet]
    cheapest: list[ImageSet | ImageRamSet]
    fastest: list[ImageSet | ImageRamSet]
    found: int  # device sets that qualify, before the top-10 cut
    priced: int  # of those, the ones with a price
    estimates: int  # engine calls it took


def what_hardware(
    *,
    model: DiffusionSpec,
    gpus: Iterable[tuple[DeviceSpec, PriceTag | None]],
    host_links: dict[str, float],
    quant: str = RELEASED,
    bits: float | None = None,
    top: int | None = TOP,
) -> ImageHardware:
    """For each GPU kind (with its newest price, if known), the least of it that runs the model with the
    denoiser in GPU memory, as the calculator answers it: one card alone; else one card with the text
    encoders and VAE in the least system RAM of ASSUMED_RAM_GB that runs it (component offload, what the
    calculator answers for one card with no RAM given); else two cards, those components on the second (up
    to MAX_SAME_CARDS: a third adds images at once, not memory); a unified-memory machine alone. Never the
    denoiser streamed from system RAM at every step (sequential offload). Devices whose backend cannot load
    the format (FP8 on Apple silicon) are left out.

    A visitor review: FLUX.1 [dev]'s cheapest was "2× Radeon RX 7900 XTX, 38 s per image, $1,400", a second
    card bought only to hold a 4.8 B text encoder, where one card with 16 GB of system RAM takes 39 s (on
    every card and model of the catalog, a second card saves only the encoders' copy to the GPU for each new
    prompt: at most 2.4 s, of Wan 2.2 A14B's 44 min on an A100; 1.1 s of FLUX.1 [schnell]'s 3.8 on a 4090). No
    kind of the catalog takes two cards for an image model today: where one with RAM does not run it by
    component offload, neither do two."""
    asked = workload(model, quant=quant, bits=bits)  # no RAM given: the calculator's own assumption
    sets: list[ImageSet] = []
    calls = 0
    for device, price in gpus:
        if not_on(quant, {device.backend}):
            continue
        one = Asker(model, [device], host_links)
        plan, ram_gb = one.recommended(asked)  # one card as the calculator answers it, RAM assumed if needed
        calls += len(one.answers)
        n = 1
        if plan is not None and ram_gb is not None and plan.strategy != "component_offload":
            plan = None  # the denoiser streamed from system RAM: not the page's question
        if plan is None and not device.unified_memory:
            two = Asker(model, [device] * MAX_SAME_CARDS, host_links)
            plan, _ = two.recommended(asked, assume_ram=False)
            calls += len(two.answers)
            n = MAX_SAME_CARDS
        if plan is None:
            continue
        # as released: the usual format where BF16 does not run by sequential offload (`usual`), no format asked
        link = calculator_url(model.slug, [(device.slug, n)], quant=None if quant == RELEASED else quant)
        total = price.amount_usd * n if price is not None else None
        fields = {"device": device, "count": n, "plan": plan, "price_usd": total, "permalink": link}
        if ram_gb is not None and n == 1:
            sets.append(ImageRamSet(**fields, unit_price=price, ram_gb=ram_gb))
        else:
            sets.append(ImageSet(**fields, unit_price=price))
    return ImageHardware(model, quant, **rankings(sets, pace=lambda s: s.pace, top=top), estimates=calls)
