"""An image or video answer in words: the verdict (yes, tight or no, how, how long), and the changes that
do better (the format as released, a smaller format, a smaller picture, the system RAM that opens offload),
each linked to its question."""

from dataclasses import dataclass

from django.http import QueryDict

from catalog.models import Quantization
from estimator import DiffusionEstimate
from estimator.diffusion_speed import format_range, format_seconds
from estimator.diffusion_strategies import DIFFUSION_STRATEGIES
from estimator.units import format_bytes

from .diffusion_estimate import ASSUMED_RAM_GB, answer, assumed_ram_gb, gpu_short, ram_bytes
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
                else f", with {format_bytes(ram_bytes(better))} of system RAM in use"
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
        else f", with {format_bytes(ram_bytes(plan))} of system RAM in use"
    )
    return {"text": f"{released.name} as released: {how}{speed}{ram}", "url": permalink(form, quant=RELEASED)}


# Smaller pictures tried when the GPU is what is short (one step's activations grow with the pixels): each
# side at these shares, rounded down to 16 px (the latent patch of the DiTs); a video also at half its frames.
PICTURE_SHARES = (0.75, 0.5)


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


def _less_ram(plan, than, by: float = 0.5) -> bool:
    """A plan worth suggesting over sequential offload for the RAM it spares: at most half of it."""
    return plan.strategy != "sequential_offload" and ram_bytes(plan) <= by * ram_bytes(than)


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
