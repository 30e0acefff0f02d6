"""The image and video model question: bound from the same query string as the LLM one (`model`, `quant`,
`gpu`, `count`, `ram_gb`), plus the picture's size, the steps and, for a video, the frames; answered by
`estimator.estimate_diffusion`. The page, the API and the OpenAPI schema read this module."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TypeVar
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import QueryDict
from pydantic import ValidationError

from catalog import cache as answer_cache  # the page's cached answers
from catalog.fitting import device_pairs
from catalog.models import DiffusionModel, Gpu, Quantization
from catalog.pages import POPULAR_GPUS
from estimator import ENGINE_VERSION, DiffusionEstimate, DiffusionSpec, DiffusionWorkload, estimate_diffusion
from estimator.diffusion_files import NO_FLOAT8_BACKENDS, gguf_formats, why_no_gguf
from estimator.diffusion_schema import DiffusionPlan
from estimator.diffusion_speed import DenoiserShape, format_range, format_seconds, host_link_gb_s
from estimator.diffusion_strategies import DIFFUSION_STRATEGIES, NOT_OFFERED
from estimator.units import GIB, format_bytes

from .forms import QuestionForm, _group, device_summary, name_field, whole_number
from .registry import image_error_pages

SHAPES_FILE = settings.BASE_DIR / "fixtures" / "sources" / "diffusion_shapes.json"
# The denoiser's formats people run: 16-bit as released, FP8 (ComfyUI's fp8_e4m3fn, the Comfy-Org and
# Kijai repackages), GGUF quants of the transformer (city96's conversions); text encoders and VAE stay as
# released. The catalog's Quantization rows give their bits per weight.
FORMATS = ["bf16", "fp8", "q8_0", "q6_k", "q5_k_s", "q4_k_s"]
RELEASED = FORMATS[0]  # the denoiser as released: the usual format, unless `usual` finds a better one
# Formats the denoiser cannot be loaded in on a backend, and why. PyTorch's Metal backend (MPS) has no
# float8 type: "Trying to convert Float8_e4m3fn to the MPS backend but it does not have support for that
# dtype" (pytorch/pytorch#148420, open; Comfy-Org/ComfyUI#6859 with FLUX.1 on an M4 Mac).
NOT_ON_BACKEND = {("fp8", b): "PyTorch on Apple silicon (MPS) has no float8 type" for b in NO_FLOAT8_BACKENDS}
MAX_SIDE = 4096
MAX_STEPS = 200
MAX_FRAMES = 481
# One image uses at most two cards' memory: the denoiser on one, the other components on a second
# (estimator/diffusion.py, component_offload); a third only makes one more image at once.
MAX_SAME_CARDS = 2
# System RAM sizes a question that gives none is answered with when only an offload plan runs it: the
# least of them that does (the usual sizes of a PC, from the smallest a 12-24 GB card is paired with; 48 GB
# is two 24 GB DDR5 modules: FLUX.1 [dev] in BF16 on a 12 GB card needs 34 GiB with headroom).
ASSUMED_RAM_GB = (16, 32, 48, 64)
WHY_NO_SPLIT_GUIDE = "/guides/diffusion-models-dont-split-like-llms/"


@cache
def shapes() -> dict[str, dict]:
    """slug -> {"shape": DenoiserShape, "diffusers_repo": str}, validated once per process."""
    rows = json.loads(SHAPES_FILE.read_text(encoding="utf-8"))["models"]
    return {
        slug: {"shape": DenoiserShape(**{k: v for k, v in row.items() if k != "diffusers_repo"}),
               "diffusers_repo": row.get("diffusers_repo")}
        for slug, row in rows.items()
    }  # fmt: skip


def is_diffusion(slug: str | None) -> bool:
    """Whether the question is about an image or video model, without a query (the LLM page's query
    counts stay as they are): the models of the shapes file, each of which the catalog lists."""
    return bool(slug) and slug in shapes()


def not_on(quant: str, backends) -> str | None:
    """Why the denoiser cannot be loaded in this format on one of these backends; None where it can."""
    return next((why for b in sorted(backends) if (why := NOT_ON_BACKEND.get((quant, b)))), None)


def no_file(quant: str, model: str | None) -> str | None:
    """Why the model's denoiser has no file in this GGUF format for the commands to load (the engine's
    `diffusion_files`, which names each file); None where it has one, or the format is no GGUF."""
    return why_no_gguf(model, quant) if model else None


class DiffusionForm(QuestionForm):
    """model (an image or video model) + format of its denoiser + devices + picture size, steps, frames.
    The GPUs and their counts are read and checked as for an LLM (QuestionForm)."""

    FIELDS = ["model", "quant", "gpu", "count", "ram_gb", "width", "height", "steps", "frames"]

    config = ctx = batch = prompt = kv = fa = runtime = backend = link = hosts = (
        None  # not questions about images
    )
    quant = name_field(
        "Format",
        "format",
        help_text="Of the denoiser; empty: the usual one, as released (BF16) unless BF16 runs only by "
        "sequential offload and a smaller format runs faster in less system RAM.",
    )
    width = whole_number("Width (px)", MAX_SIDE, least=64)
    height = whole_number("Height (px)", MAX_SIDE, least=64)
    steps = whole_number("Steps", MAX_STEPS)
    frames = whole_number("Frames", MAX_FRAMES, help_text="Video models only.")

    def clean_model(self):
        slug = self.cleaned_data["model"]
        try:
            return DiffusionModel.objects.get(slug=slug)
        except DiffusionModel.DoesNotExist:
            raise forms.ValidationError(f"Unknown image or video model “{slug}”.") from None

    def clean_quant(self):
        slug = self.cleaned_data["quant"] or RELEASED  # none asked: BF16 until `settle` finds the usual one
        if slug not in FORMATS:  # in the formats' names, as the select shows them
            names = dict(Quantization.objects.filter(slug__in=[*FORMATS, slug]).values_list("slug", "name"))
            self.fixes.append(("quant", {"quant": RELEASED}))  # "Use BF16": itself, not the usual one
            raise forms.ValidationError(
                f"Image and video models run their denoiser as {', '.join(names.get(f, f) for f in FORMATS)}, "
                f"not {names.get(slug, f'“{slug}”')}."
            )
        return Quantization.objects.get(slug=slug)

    def clean(self):
        data = forms.Form.clean(self)
        self.given_once()  # `steps=20&steps=30` is an error, as for an LLM, not an answer for 30
        model = data.get("model")
        shape = shapes().get(model.slug, {}).get("shape") if model else None
        for name in ("width", "height", "steps", "frames"):
            if data.get(name) is None and name not in self.errors:
                default = getattr(shape, f"default_{name}", None) if shape else None
                data[name] = default or {"width": 1024, "height": 1024, "steps": 28, "frames": 1}[name]
        if shape is not None and not shape.video and self.data.get("frames") not in (None, "", "1"):
            self.add_error("frames", f"{model.name} makes images: frames are for video models.")
        quant, gpus = data.get("quant"), data.get("gpu")
        if gpus and "count" not in self.errors:
            self.one_machine(None)  # a Mac with another GPU: separate machines, and images are not split
            self.no_ram_beside(data)
        if quant and model and gpus:
            self.check_format(quant, model, {g.backend for g in gpus.values()})
        return data

    def check_format(self, quant: Quantization, model: DiffusionModel, backends: set[str]) -> None:
        """The denoiser's format loads on these backends and has a file for the commands to load (a GGUF of
        this model that `estimator.diffusion_files` names); else the error next to the format, with fixes."""
        held = [f for f in FORMATS if f in gguf_formats(model.slug)]  # its GGUF files, widest first
        if why := not_on(quant.slug, backends):
            pick = "BF16 or a GGUF format" if held else "BF16"
            self.add_error("quant", f"{quant.name} does not load here: {why}. Pick {pick}.")
            self.fixes += [("quant", {"quant": RELEASED}), *[("quant", {"quant": f}) for f in held[:1]]]
        elif why := no_file(quant.slug, model.slug):
            offered = [RELEASED, *(["fp8"] if not not_on("fp8", backends) else []), *held]
            names = [f.upper() for f in offered]
            pick = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
            self.add_error("quant", f"{quant.name} of {model.name} is not offered: {why}. Pick {pick}.")
            self.fixes += [("quant", {"quant": RELEASED}), *[("quant", {"quant": f}) for f in offered[1:2]]]

    @property
    def format_asked(self) -> bool:
        """Whether the visitor chose the denoiser's format; else the question's is the usual one (`usual`),
        which `answered` settles."""
        return bool(self.data.get("quant"))

    @property
    def usual_not_released(self) -> bool:
        """No format asked for, and the usual one found narrower than BF16 (`usual`): the page says so."""
        return not self.format_asked and self.cleaned_data["quant"].slug != RELEASED

    @property
    def shape(self) -> DenoiserShape | None:
        return shapes().get(self.cleaned_data["model"].slug, {}).get("shape")

    def canonical_query(self, *, format_named: bool = False) -> str:
        """The question's query, as its permalink writes it (`image_query`); `format_named`: with the format it
        is answered in even where none was asked (a snapshot's, whose numbers the usual one may not keep)."""
        data = self.cleaned_data
        shape = self.shape
        picture = []
        for name in ("width", "height", "steps", "frames"):
            default = getattr(shape, f"default_{name}", None) if shape else None
            if data[name] != default and not (name == "frames" and data[name] == 1):
                picture.append((name, data[name]))
        runs = _group(d.slug for d in self.devices)
        # the format where the visitor chose one, BF16 too: without it the link asks for the usual one
        quant = data["quant"].slug if self.format_asked or format_named else None
        return image_query(data["model"].slug, runs, quant=quant, ram_gb=data.get("ram_gb"), picture=picture)


def image_query(
    model: str,
    runs,
    *,
    quant: str | None = None,
    ram_gb: int | None = None,
    picture: list[tuple[str, int]] = (),
) -> str:
    """An image or video question's query, as its permalink writes it: the format where one was asked for
    (None: the usual one, `usual`), its GPUs (`fitting.device_pairs`), the system RAM where given, the picture
    where not the model's default."""
    pairs = [("model", model)] + ([("quant", quant)] if quant else [])
    pairs += device_pairs(list(runs))
    if ram_gb:
        pairs.append(("ram_gb", str(ram_gb)))
    return urlencode([*pairs, *((name, str(value)) for name, value in picture)])


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
    (each smaller format, each smaller picture), by the format asked (the form's changes once `settle`d)."""
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


def answered(form: DiffusionForm) -> DiffusionEstimate:
    """The answer the page, the API and a snapshot give a valid question, cached under its canonical query: with
    no format asked for, in the usual one (`settle`), which the form's `quant` names from then on, on a cache
    hit too (the format is kept with the answer)."""

    def compute() -> tuple[Quantization, DiffusionEstimate]:
        settle(form)
        return form.cleaned_data["quant"], answer(form)

    quant, result = answer_cache.get_or_compute("image-answer", form.canonical_query(), compute)
    form.cleaned_data["quant"] = quant
    form.__dict__["_settled"] = True
    return result


def usual_format(form: DiffusionForm) -> Quantization | None:
    """The format the question is answered in where none is asked (`usual`), for the format select's "Usual"
    option: its own once answered, or that of the same question without its format; None where unknown (an
    invalid question, one the engine refuses)."""
    if not form.is_valid():
        return None
    if not form.format_asked:
        return form.cleaned_data["quant"] if form.__dict__.get("_settled") else None
    query = form.data.copy()
    query.pop("quant")
    other = DiffusionForm(query)
    if not other.is_valid():
        return None
    try:
        answered(other)
    except ValidationError:  # the engine refuses the question
        return None
    return other.cleaned_data["quant"]


def settle(form: DiffusionForm) -> None:
    """With no format asked for, the question's format becomes the usual one (`usual`): BF16 (the form's when
    none is given) or one of the smaller formats that load here and have a file (`smaller_formats`)."""
    if form.__dict__.setdefault("_settled", False) or form.format_asked:
        return
    form.__dict__["_settled"] = True
    narrower = smaller_formats(form)
    tries = [(q, lambda q=q: answer(form, quant=q)) for q in narrower]
    quant, _ = usual(answer(form), tries, plan=lambda result: result.recommended_plan)
    if quant is not None:
        form.cleaned_data["quant"] = quant


F, A = TypeVar("F"), TypeVar("A")  # a format (a catalog row, a slug) and an answer (an estimate, a plan)


def usual(
    released: A, narrower: list[tuple[F, Callable[[], A]]], *, plan: Callable[[A], DiffusionPlan | None]
) -> tuple[F | None, A]:
    """The format an image question with none chosen is answered in, and its answer (`plan`: an answer's
    recommended plan): as released (None, `released`), unless BF16 runs only by sequential offload (every step
    waits on the bus) and a format narrower than it runs another way, faster and in less system RAM: then the
    widest such one of `narrower` (those offered for the model on these devices, widest first, each with its
    answer, asked when needed). A visitor review: "Yes, with 48 GB of system RAM or more: ... sequential
    offload, about 3.3 min" led, and below it "Q6_K: component offload, about 3.1 min, with 16 GB": one with
    32 GB read the headline as "no". The calculator (`settle`) and the reverse pages (reverse_questions/
    images.py) ask it alike, so their links bring the same answer back."""
    current = plan(released)
    if current is None or current.strategy != "sequential_offload" or current.timing is None:
        return None, released
    for quant, ask in narrower:
        answer_there = ask()
        better = plan(answer_there)
        if (
            better is not None
            and better.strategy != "sequential_offload"
            and better.timing is not None
            and better.timing.total_s < current.timing.total_s
            and _ram_bytes(better) < _ram_bytes(current)
        ):
            return quant, answer_there
    return None, released


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
    return (with_ram if _gpu_short(with_ram) else result), None


def _gpu_short(result: DiffusionEstimate) -> bool:
    """Nothing fits though sequential offload has the system RAM it needs: the GPU is what is short."""
    sequential = next((p for p in result.plans if p.strategy == "sequential_offload"), None)
    return sequential is not None and all(d.fits for d in sequential.devices if d.kind == "host")


def assumed_ram_gb(result: DiffusionEstimate, form: DiffusionForm) -> int | None:
    """The system RAM `answer` assumed for the recommended plan (its host's), None where the visitor
    gave theirs or none was needed."""
    plan = result.recommended_plan
    host = next((d for d in plan.devices if d.kind == "host"), None) if plan else None
    return host.capacity_bytes // GIB if host and not form.cleaned_data.get("ram_gb") else None


def spec_of(model: DiffusionModel) -> DiffusionSpec:
    """The catalog row as the engine sizes and times it: with its denoiser's shape (SHAPES_FILE)."""
    return model.as_spec().model_copy(update=shapes().get(model.slug, {}))


def _estimate(form: DiffusionForm, data: dict) -> DiffusionEstimate:
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


@dataclass(frozen=True)
class DiffusionVerdict:
    fits: bool
    text: str
    time: str  # "42 s – 1.5 min per image"
    tight: bool = False  # fits with less than 10% of a device free (DeviceUsage.tight, as for an LLM)

    @property
    def css(self) -> str:
        return ("tight" if self.tight else "yes") if self.fits else "no"


def verdict(result: DiffusionEstimate, form: DiffusionForm, smaller: list[Quantization]) -> DiffusionVerdict:
    """`smaller`: the formats narrower than the question's that load here (`smaller_formats`)."""
    hardware, model = device_summary(form.devices), form.cleaned_data["model"]
    per = "video" if form.shape and form.shape.video else "image"
    plan = result.recommended_plan
    if plan is None:
        text = f"No: {model.name} does not fit on {hardware}"
        ways = []
        ram_weighed = any(d.kind == "host" for p in result.plans for d in p.devices)  # assumed: `answer`
        if (
            not form.cleaned_data.get("ram_gb")
            and not ram_weighed
            and not all(d.unified_memory for d in form.devices)
        ):
            ways.append("give your system RAM for the offload plans")
        # one step's activations do not fit whatever the RAM: a smaller picture, where one fits, and a smaller
        # format only where one does (the weights are not what is short there)
        gpu_short = _gpu_short(result)
        if gpu_short and _smaller_picture(form):
            ways.append("make a smaller picture")
        if smaller and (not gpu_short or any(answer(form, quant=q).recommended for q in smaller)):
            ways.append("pick a smaller format")
        else:  # no smaller format to offer: at the narrowest that loads here, or none of them fits either
            text += f", even at {(smaller[-1] if smaller else form.cleaned_data['quant']).name}"
        return DiffusionVerdict(False, text + (f"; {', or '.join(ways)}" if ways else "") + ".", "")
    time = f"{format_range(plan.timing)} per {per}" if plan.timing else ""
    how = DIFFUSION_STRATEGIES[plan.strategy].worded(per == "video").label
    # the steps said with the time: SDXL's default of 50 (diffusers') against a UI's 20-30 is 2× the time
    steps = plan.timing.steps if plan.timing else 0
    speed = f", about {format_seconds(plan.timing.total_s)} per {per} of {steps} steps" if plan.timing else ""
    if plan.images_in_parallel > 1:
        speed += f", {plan.images_in_parallel} {per}s at a time"
    tight = plan.tight
    word = "Yes, but tight" if tight else "Yes"
    if assumed := assumed_ram_gb(result, form):
        word += f", with {assumed} GB of system RAM or more"
    # the GPUs it uses, where it leaves some of those asked about idle: "2 GPUs of your 4× GeForce RTX 3090"
    # (a review of the diff: "2 of 1× GeForce RTX 4090 + 3× GeForce RTX 3060" read as nonsense)
    n = plan.gpus_used
    used = f"{'one GPU' if n == 1 else f'{n} GPUs'} of your " if n < len(form.devices) else ""
    # the usual format where it is not the one released (`usual`): said, BF16's plan is the first suggestion
    quant = f" in {form.cleaned_data['quant'].name}" if form.usual_not_released else ""
    return DiffusionVerdict(
        True, f"{word}: {model.name} runs on {used}{hardware}{quant} with {how}{speed}.", time, tight
    )


def offered(model: str, backends) -> list[str]:
    """The denoiser's formats offered for the model on these backends, widest first: those that load there
    and have a file for the commands to load."""
    return [slug for slug in FORMATS if not not_on(slug, backends) and not no_file(slug, model)]


def smaller_formats(form: DiffusionForm) -> list[Quantization]:
    """The denoiser's formats narrower than the question's offered on its devices (`offered`), widest first."""
    current = form.cleaned_data["quant"].bits_per_weight
    formats = {q.slug: q for q in Quantization.objects.filter(slug__in=FORMATS)}
    backends = {device.backend for device in form.devices}
    return [
        formats[slug]
        for slug in offered(form.cleaned_data["model"].slug, backends)
        if slug in formats and formats[slug].bits_per_weight < current
    ]


def suggestions(result: DiffusionEstimate, form: DiffusionForm, smaller: list[Quantization]) -> list[dict]:
    """When nothing fits, or only sequential offload (every step waits on the bus): the widest smaller
    format that does better, and what system RAM opens the offload plans; first, where the usual format is
    not the one released (`usual`), BF16's own plan, one click away."""
    found = [as_released(form)] if form.usual_not_released else []
    if result.recommended not in (None, "sequential_offload"):
        return found
    for quant in smaller:
        better = answer(form, quant=quant).recommended_plan
        current = result.recommended_plan
        lighter = current is not None and better is not None and _less_ram(better, current)
        if better is None or (current and not (_faster(better, current) or lighter)):
            continue
        how = DIFFUSION_STRATEGIES[better.strategy].worded(bool(form.shape and form.shape.video)).label
        speed = f", about {format_seconds(better.timing.total_s)}" if better.timing else ""
        if lighter:  # a visitor review: Q4_K_S needs 16 GB of RAM where BF16's sequential offload needs 48
            # in the verdict's own terms where it assumed the RAM ("with 48 GB of system RAM or more"): a review
            # read "4.8 GiB of system RAM in use" against the headline's 48 GB as not comparable
            assumed = assumed_ram_gb(answer(form, quant=quant), form)
            speed += (
                f", with {assumed} GB of system RAM or more"
                if assumed
                else f", with {format_bytes(_ram_bytes(better))} of system RAM in use"
            )
        text = f"{quant.name} fits" if result.recommended is None else f"{quant.name}: {how}{speed}"
        found.append({"text": text, "url": permalink(form, quant=quant.slug)})
        break
    if result.recommended is None and (smaller_picture := _smaller_picture(form)):
        changes, better = smaller_picture
        size = f"{changes['width']}×{changes['height']}"
        if "frames" in changes:
            size += f", {changes['frames']} frames"
        speed = f": about {format_seconds(better.timing.total_s)}" if better.timing else ""
        found.append({"text": f"At {size} it fits{speed}", "url": permalink(form, **changes)})
    # the RAM that opens offload, where no RAM was given nor assumed (the verdict names an assumed one)
    given = form.cleaned_data.get("ram_gb") or assumed_ram_gb(result, form)
    if not given and not all(d.unified_memory for d in form.devices):
        for ram in (*ASSUMED_RAM_GB, 128):
            if answer(form, ram_gb=ram).recommended:
                found.append(
                    {
                        "text": f"With {ram} GB of system RAM, offload runs it",
                        "url": permalink(form, ram_gb=ram),
                    }
                )
                break
    return found


# Smaller pictures tried when the GPU is what is short (one step's activations grow with the pixels): each
# side at these shares, rounded down to 16 px (the latent patch of the DiTs); a video also at half its frames.
PICTURE_SHARES = (0.75, 0.5)


def as_released(form: DiffusionForm) -> dict:
    """BF16's plan where the usual format is a smaller one (`usual`: it runs only by sequential offload,
    slower and in more system RAM), in the suggestions' terms, linked to BF16 asked for."""
    released = Quantization.objects.get(slug=RELEASED)
    result = answer(form, quant=released)
    plan = result.recommended_plan
    how = DIFFUSION_STRATEGIES[plan.strategy].worded(bool(form.shape and form.shape.video)).label
    speed = f", about {format_seconds(plan.timing.total_s)}" if plan.timing else ""
    assumed = assumed_ram_gb(result, form)
    ram = (
        f", with {assumed} GB of system RAM or more"
        if assumed
        else f", with {format_bytes(_ram_bytes(plan))} of system RAM in use"
    )
    return {"text": f"{released.name} as released: {how}{speed}{ram}", "url": permalink(form, quant=RELEASED)}


def _smaller_picture(form: DiffusionForm):
    """The largest smaller picture (and for a video, fewer frames) at which a plan fits, with that plan:
    ({"width": ..., "height": ..., "frames": ...}, plan), or None."""
    data = form.cleaned_data
    video = form.shape is not None and form.shape.video and data["frames"] > 1
    for share in PICTURE_SHARES:
        changes = {
            "width": int(data["width"] * share) // 16 * 16,
            "height": int(data["height"] * share) // 16 * 16,
        }
        tries = [changes] + ([changes | {"frames": (data["frames"] - 1) // 8 * 4 + 1}] if video else [])
        for change in tries:
            if min(change["width"], change["height"]) < 64:
                return None
            plan = answer(form, picture=change).recommended_plan
            if plan is not None:
                return change, plan
    return None


def _ram_bytes(plan) -> int:
    """What a plan keeps in system RAM."""
    return sum(d.used_bytes for d in plan.devices if d.kind == "host")


def _less_ram(plan, than, by: float = 0.5) -> bool:
    """A plan worth suggesting over sequential offload for the RAM it spares: at most half of it."""
    return plan.strategy != "sequential_offload" and _ram_bytes(plan) <= by * _ram_bytes(than)


def _faster(plan, than, by: float = 0.9) -> bool:
    """A plan worth suggesting over sequential offload: not itself one, and at least 10% quicker."""
    if plan.strategy == "sequential_offload" or not (plan.timing and than.timing):
        return False
    return plan.timing.total_s < by * than.timing.total_s


def permalink(form: DiffusionForm, **changes) -> str:
    query = QueryDict(form.canonical_query(), mutable=True)
    for key, value in changes.items():
        query[key] = str(value)
    return f"/?{query.urlencode()}"


def closest_plan(result: DiffusionEstimate):
    """When nothing fits, the plan that misses by the least (its tightest device, headroom counted)."""
    return min(result.plans, key=lambda p: max(d.short_by_bytes for d in p.devices))


def commands(plan, *, suggested: bool) -> dict[str, str]:
    """The plan's commands; for a plan that does not fit (the closest), each says so on its first line,
    as the LLM page's command does."""
    if plan.fits:
        return dict(plan.commands)
    first = "see the changes above first" if suggested else "it runs out of memory as it stands"
    return {key: f"# Does not fit as asked: {first}.\n{command}" for key, command in plan.commands.items()}


def command_times(plan, *, per: str) -> dict[str, str]:
    """Each command's own time, said beside it: 'about 3.3 min per image (2.5 – 5.3 min)'. Where the
    commands run the plan differently (diffusers' sequential offload copies the whole denoiser every step,
    ComfyUI's partial loading only what does not fit), their times differ."""
    return {
        key: f"about {format_seconds(t.total_s)} per {per} ({format_range(t)})"
        for key, t in plan.command_timing.items()
    }


def result_context(result: DiffusionEstimate, form: DiffusionForm) -> dict:
    shape = form.shape
    plan = result.recommended_plan or closest_plan(result)
    seconds = _video_seconds(form)
    smaller = smaller_formats(form)  # one query for the verdict and the suggestions
    changes = suggestions(result, form, smaller)
    return {
        "diffusion_result": result,
        "diffusion_verdict": verdict(result, form, smaller),
        "shown_plan": plan,
        "shown": plan_row(plan, video_seconds=seconds, if_it_fit=True)
        | {
            "phrase": DIFFUSION_STRATEGIES[plan.strategy].worded(bool(shape and shape.video)).label,
            "short": format_bytes(max(d.short_by_bytes for d in plan.devices)),
        },
        "commands": commands(plan, suggested=bool(changes)),
        "command_times": command_times(plan, per="video" if shape and shape.video else "image"),
        "plans": [plan_row(p, video_seconds=seconds) for p in result.plans],
        "hardware": device_summary(form.devices),
        "permalink": f"/?{form.canonical_query()}",
        "video": bool(shape and shape.video),
        "video_seconds": round(seconds, 1) if seconds else None,
        "why_no_split": _after_colon(result.not_supported["tensor_parallel"].split(";")[0]),
        "why_no_split_url": WHY_NO_SPLIT_GUIDE,
        "not_supported": [
            (NOT_OFFERED[k].title, why, NOT_OFFERED[k].source) for k, why in result.not_supported.items()
        ],
        "diffusion_suggestions": changes,
        "error_pages": image_error_pages(result, form.devices[0].backend),
        "engine_version": ENGINE_VERSION,
    }


def _video_seconds(form: DiffusionForm) -> float | None:
    """How long the video asked for lasts; None for an image model."""
    shape = form.shape
    return form.cleaned_data["frames"] / shape.fps if shape and shape.video else None


def plan_row(plan, *, video_seconds: float | None = None, if_it_fit: bool = False) -> dict:
    """A plan as the table shows it: one that does not fit has no time ("–", as the LLM table: a time there
    read as a choice, faster than the recommended one), unless `if_it_fit` (the closest plan, said as such)."""
    t = plan.timing if plan.fits or if_it_fit else None
    return {
        "plan": plan,
        "title": DIFFUSION_STRATEGIES[plan.strategy].worded(bool(video_seconds)).title,
        "term": DIFFUSION_STRATEGIES[plan.strategy].term,
        "placement": sorted(plan.placement.items(), key=lambda kv: kv[1]),
        "devices": [
            (d.name, format_bytes(d.used_bytes), format_bytes(d.capacity_bytes)) for d in plan.devices
        ],
        "time": format_seconds(t.total_s) if t else "–",
        "range": format_range(t) if t else "",
        "per_minute": throughput(plan.images_per_minute if t else None, video_seconds=video_seconds),
    }


def throughput(per_minute: float | None, *, video_seconds: float | None = None) -> str:
    """What a plan makes in a minute, or in an hour below one a minute, with its unit: '2.4 images per
    minute', or for a video model the seconds of video, '19.5 video seconds per hour'. `per_minute` is
    the engine's images (or whole videos) per minute; `video_seconds`, how long one video lasts."""
    if not per_minute:
        return "–"
    unit = "images"
    if video_seconds:
        per_minute, unit = per_minute * video_seconds, "video seconds"
    if per_minute >= 1:
        return f"{per_minute:.1f} {unit} per minute"
    return f"{per_minute * 60:.1f} {unit} per hour"


def estimate_json(result: DiffusionEstimate, form: DiffusionForm) -> dict:
    """The estimate as /api/v1/estimate returns it for an image or video model."""
    return {
        "engine_version": ENGINE_VERSION,
        "kind": "diffusion",
        "model": result.model,
        "quant": form.cleaned_data["quant"].slug,
        "fits": result.recommended is not None,
        "recommended": result.recommended,
        "assumed_ram_gb": assumed_ram_gb(result, form),
        "reason": result.reason,
        "text_encoder": result.text_encoder,
        "permalink": f"/?{form.canonical_query()}",
        "workload": {name: form.cleaned_data[name] for name in ("width", "height", "steps", "frames")},
        "plans": [
            {
                **p.model_dump(mode="json", exclude={"devices"}),
                "fits": p.fits,
                "tight": p.tight,
                "devices": [  # with the derived values the LLM answer's devices have (api.plan_json)
                    {
                        **d.model_dump(mode="json"),
                        "used_bytes": d.used_bytes,
                        "free_bytes": d.free_bytes,
                        "fits": d.fits,
                        "tight": d.tight,
                    }
                    for d in p.devices
                ],
            }
            for p in result.plans
        ],
        "not_supported": result.not_supported,
        "explanations": {key: e.model_dump() for key, e in result.explanations.items()},
    }


_OBJECT = {"type": "object"}
REF = "#/components/schemas/{model}"  # calculator/openapi.py's, which reads this module
ESTIMATE_SCHEMA = {  # /api/v1/estimate for an image or video model, as estimate_json returns it
    "type": "object",
    "additionalProperties": False,
    "description": "plans for an image or video model: where each component sits, time per image, commands",
    "properties": {
        "engine_version": {"type": "string", "description": "the engine that computed this answer"},
        "kind": {"const": "diffusion"},
        "model": {"type": "string"},
        "quant": {
            "type": "string",
            "enum": FORMATS,
            "description": "the denoiser's format answered in: the one asked for, else the usual one (BF16, or "
            "the widest smaller format offered where BF16 runs only by sequential offload and it runs faster "
            "in less system RAM; the permalink then leaves it out)",
        },
        "fits": {"type": "boolean"},
        "recommended": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "assumed_ram_gb": {
            "anyOf": [{"type": "integer"}, {"type": "null"}],
            "description": "no ram_gb given and only an offload plan runs it: the system RAM assumed (GB)",
        },
        "reason": {"type": "string"},
        "text_encoder": {
            "type": "string",
            "description": "the T5-XXL text encoder file the memory and times assume; empty without a T5",
        },
        "permalink": {"type": "string"},
        "workload": {
            "type": "object",
            "properties": {name: {"type": "integer"} for name in ("width", "height", "steps", "frames")},
        },
        "plans": {
            "type": "array",
            "items": {"$ref": REF.format(model="DiffusionPlan")},
            "description": "strategy, devices, placement, timing, commands",
        },
        "not_supported": {"type": "object", "additionalProperties": {"type": "string"}},
        "explanations": _OBJECT,
    },
}
ESTIMATE_SCHEMA["required"] = list(ESTIMATE_SCHEMA["properties"])


def schemas() -> dict[str, dict]:
    """The OpenAPI schemas of the answer for an image or video model: DiffusionEstimate, and its plans
    generated from the engine's DiffusionPlan (with `fits` and `tight`, as estimate_json adds them) and
    their Timing (as DiffusionTiming); a plan's devices are the LLM answer's DeviceUsage, which
    calculator/openapi.py generates. Every key is always present."""
    generated = DiffusionPlan.model_json_schema(mode="serialization", ref_template=REF)
    timing = generated.pop("$defs")["Timing"]
    renamed = json.dumps(generated).replace(REF.format(model="Timing"), REF.format(model="DiffusionTiming"))
    plan = json.loads(renamed)
    plan["properties"] |= {
        "fits": {"type": "boolean", "description": "every device holds its share, headroom counted"},
        "tight": {"type": "boolean", "description": "fits with less than 10% of a device free"},
    }
    found = {"DiffusionEstimate": ESTIMATE_SCHEMA, "DiffusionPlan": plan, "DiffusionTiming": timing}
    for schema in (plan, timing):
        schema["additionalProperties"] = False
        schema["required"] = list(schema["properties"])
    return found


def bad_parameters(query: QueryDict) -> dict[str, list[str]]:
    """API parameters that are not questions about an image model (`ctx`, `kv`...): each named."""
    return {
        name: ["Not a parameter of an image or video model."]
        for name in sorted(set(query) - set(DiffusionForm.FIELDS))
    }


def devices_that_fit(query: QueryDict, most: int = 3) -> list[tuple[Gpu, int]]:
    """For an image or video question that names no GPU (`query`, its other fields as asked): the fewest
    of each popular kind (catalog.pages.POPULAR_GPUS, up to MAX_SAME_CARDS) and the smallest listed
    device alone (a card before a unified-memory one) whose recommended plan fits it, as
    `fixes.devices_that_hold` does for an LLM; at most `most`, one card alone first."""

    def fits(gpu: Gpu, n: int) -> bool:
        asked = query.copy()
        asked.setlist("gpu", [gpu.slug])
        asked.setlist("count", [str(n)])
        form = DiffusionForm(asked)
        if not form.is_valid():
            return False
        return answered(form).recommended is not None

    listed = sorted(Gpu.objects.listed(), key=lambda g: (g.memory_bytes, g.name))
    popular = [g for slug in POPULAR_GPUS for g in listed if g.slug == slug]
    fewest = [(g, next((n for n in range(1, MAX_SAME_CARDS + 1) if fits(g, n)), 0)) for g in popular]
    found = [(g, n) for g, n in fewest if n]
    # a card with its own memory before a unified-memory machine, like the popular ones; smallest first
    cards_first = sorted(listed, key=lambda g: g.unified_memory)
    alone = next((g for g in cards_first if g not in popular and fits(g, 1)), None)
    found += [(alone, 1)] if alone else []
    return sorted(found, key=lambda pair: pair[1] > 1)[:most]


def _after_colon(sentence: str) -> str:
    """The engine's sentence continued after "No tensor split:", in lower case: "a denoising step …"."""
    return sentence[:1].lower() + sentence[1:]
