"""The image and video result panel: the verdict, the plan shown (the recommended one, or the closest when
nothing fits) with its commands and each one's time, every plan in a table, the suggestions, what is not
offered and why."""

from estimator import ENGINE_VERSION, DiffusionEstimate
from estimator.diffusion_speed import format_range, format_seconds
from estimator.diffusion_strategies import DIFFUSION_STRATEGIES, NOT_OFFERED
from estimator.units import format_bytes

from .diffusion_estimate import formats_here, smaller_formats
from .diffusion_form import DiffusionForm
from .diffusion_verdict import suggestions, verdict
from .forms import device_summary
from .registry import image_error_pages

WHY_NO_SPLIT_GUIDE = "/guides/diffusion-models-dont-split-like-llms/"


def closest_plan(result: DiffusionEstimate):
    """When nothing fits, the plan that misses by the least (its tightest device, headroom counted)."""
    return min(result.plans, key=lambda p: max(d.short_by_bytes for d in p.devices))


def commands(plan, *, suggested: bool) -> dict[str, str]:
    """The plan's commands; for a plan that does not fit (the closest), each says so on its first line, as the
    LLM page's command does."""
    named = plan.commands
    if plan.fits:
        return named
    first = "see the changes above first" if suggested else "it runs out of memory as it stands"
    return {key: f"# Does not fit as asked: {first}.\n{command}" for key, command in named.items()}


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
    here = formats_here(form)  # one query for the verdict and the suggestions
    smaller = smaller_formats(form, here)
    changes = suggestions(result, form, here)
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


def _after_colon(sentence: str) -> str:
    """The engine's sentence continued after "No tensor split:", in lower case: "a denoising step …"."""
    return sentence[:1].lower() + sentence[1:]
