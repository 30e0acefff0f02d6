"""An image or video answer in words: the verdict (yes, tight or no, how, how long), and what to change, the
changes that do better as the engine finds them (estimator/diffusion_suggest.py: a wider format, BF16 as
released; a smaller format; a smaller picture; the system RAM that opens offload), each linked to its
question."""

from dataclasses import dataclass

from django.http import QueryDict

from catalog.models import Quantization
from estimator import DiffusionEstimate
from estimator.diffusion_schema import DiffusionSuggestion
from estimator.diffusion_speed import format_range, format_seconds
from estimator.diffusion_strategies import DIFFUSION_STRATEGIES
from estimator.diffusion_suggest import resident_share, smaller_picture, suggest_diffusion
from estimator.units import GIB, format_bytes

from .diffusion_estimate import ASSUMED_RAM_GB, answer, assumed_ram_gb, gpu_short
from .diffusion_form import DiffusionForm
from .diffusion_formats import RELEASED
from .forms import device_summary


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
        short = gpu_short(result)
        if short and _smaller_picture(form):
            ways.append("make a smaller picture")
        if smaller and (not short or any(answer(form, quant=q).recommended for q in smaller)):
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


# The system RAM sizes a question that does not fit is offered (`suggest_diffusion`): those assumed, and 128 GB.
RAM_SIZES_GB = (*ASSUMED_RAM_GB, 128)


def suggestions(result: DiffusionEstimate, form: DiffusionForm, here: list[Quantization]) -> list[dict]:
    """What to change (estimator/diffusion_suggest.py), each in words and linked to its question: a wider
    format (BF16 as released, where the usual format is a smaller one), smaller formats, a smaller picture,
    more system RAM. `here`: the denoiser's formats offered for the question (`formats_here`). Each changed
    question is answered as the page answers it (`answer`: the RAM assumed where none is given)."""
    data = form.cleaned_data
    by_slug = {q.slug: q for q in here}

    def ask(changes: dict) -> DiffusionEstimate:
        if "quant" in changes:
            return answer(form, quant=by_slug[changes["quant"]])
        if "ram_gb" in changes:
            return answer(form, ram_gb=changes["ram_gb"])
        return answer(form, picture=changes)

    video = bool(form.shape and form.shape.video)
    found = suggest_diffusion(
        asked=result,
        ask=ask,
        quant=data["quant"].slug,
        formats=[(q.slug, q.bits_per_weight) for q in here],
        width=data["width"],
        height=data["height"],
        frames=data["frames"],
        video=video,
        ram_given=data.get("ram_gb"),
        ram_sizes_gb=() if all(d.unified_memory for d in form.devices) else RAM_SIZES_GB,
    )
    return [
        {
            "text": worded(s, by_slug, video=video, ram_given=bool(data.get("ram_gb"))),
            "url": permalink(form, **s.changes),
            "suggestion": s,  # the engine's, for the API (diffusion_api.suggestion_json)
        }
        for s in found
    ]


def worded(s: DiffusionSuggestion, formats: dict[str, Quantization], *, video: bool, ram_given: bool) -> str:
    """A suggestion in the verdict's terms: "Q6_K: sequential offload (68% of the denoiser on the GPU), about
    2.7 min, with 16 GB of system RAM or more"; where nothing fits as asked, "… fits: …"."""
    plan = s.plan
    how = DIFFUSION_STRATEGIES[plan.strategy].worded(video).label
    if share := resident_share(plan):
        how += f" ({share:.0%} of the denoiser on the GPU)"
    parts = [how]
    if plan.timing:
        parts.append(f"about {format_seconds(plan.timing.total_s)}")
    if s.ram_bytes and s.kind != "ram":
        # in the verdict's own terms where it assumed the RAM ("with 32 GB of system RAM or more"): a review
        # read "4.8 GiB of system RAM in use" against the headline's 48 GB as not comparable
        parts.append(
            f"with {format_bytes(s.ram_bytes)} of system RAM in use"
            if ram_given
            else f"with {s.ram_bytes // GIB} GB of system RAM or more"
        )
    fits = " it fits" if "fits" in s.why else ""
    if s.kind in ("wider_format", "smaller_format"):
        quant = formats[s.changes["quant"]]
        change = f"{quant.name} as released" if quant.slug == RELEASED else quant.name
        fits = fits[3:]  # "Q6_K fits"
    elif s.kind == "smaller_picture":
        change = f"At {s.changes['width']}×{s.changes['height']}"
        if "frames" in s.changes:
            change += f", {s.changes['frames']} frames"
    else:
        change = f"With {s.changes['ram_gb']} GB of system RAM"
    return f"{change}{fits}: {', '.join(parts)}"


def _smaller_picture(form: DiffusionForm):
    """The largest smaller picture (and for a video, fewer frames) at which a plan fits, with that plan, as the
    suggestions offer it (`estimator.diffusion_suggest.smaller_picture`): (changes, plan), or None."""
    data = form.cleaned_data
    return smaller_picture(
        lambda change: answer(form, picture=change),
        None,
        width=data["width"],
        height=data["height"],
        frames=data["frames"],
        video=bool(form.shape and form.shape.video),
    )


def permalink(form: DiffusionForm, **changes) -> str:
    query = QueryDict(form.canonical_query(), mutable=True)
    for key, value in changes.items():
        query[key] = str(value)
    return f"/?{query.urlencode()}"
