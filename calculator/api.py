"""/api/v1/estimate: the calculator for scripts. 200 with the estimate, 400 with errors, never a 500."""

from urllib.parse import parse_qs

from django.http import JsonResponse

from catalog.measurements import Neighbour
from config import http_cache
from config.api import api_view
from estimator import Estimate, Plan, Suggestion

from . import diffusion_views, present
from .diffusion_answer import DiffusionForm
from .forms import QuestionForm, unknown_parameters
from .question import EngineRefused, Question

ALLOWED = set(QuestionForm.FIELDS)
IMAGE_ONLY = set(DiffusionForm.FIELDS) - ALLOWED  # width, height, steps...: documented, for image models


def parameter_errors(query) -> dict[str, list[str]]:
    """A language model's parameters the form never reads: another kind of model's (an image model's
    width) and unknown ones (one given twice is the form's error: `QuestionForm.given_once`)."""
    return {
        name: ["Applies to image and video models only." if name in IMAGE_ONLY else "Unknown parameter."]
        for name in unknown_parameters(query, ALLOWED)
    }


@api_view
@http_cache.public(etag=http_cache.page_etag)
def estimate(request):
    if (diffusion := diffusion_views.api_or_none(request)) is not None:  # an image or video model
        return diffusion
    errors = parameter_errors(request.GET)
    form = QuestionForm(request.GET)
    if not form.is_valid() or errors:
        errors |= {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    question = Question.from_form(form)
    try:  # not cached apart: the finished answer is kept (http_cache), read before this view runs
        result = question.estimate()
    except EngineRefused as refusal:
        return JsonResponse({"errors": {"__all__": [str(refusal)]}}, status=400)
    measured = measured_json(question)
    # why the chosen runtime has no command (a consistency review: the API said commands {} and nothing more)
    missing = question.missing_weights
    no_weights = {"missing_weights": present.reason(missing) if missing else None}
    return JsonResponse(estimate_json(result, question) | {"measured": measured} | no_weights)


def estimate_json(result: Estimate, question: Question) -> dict:
    """The engine's Estimate as JSON, with the derived values (fits, totals, free bytes) spelled out."""
    return {
        "engine_version": result.engine_version,
        "model": result.model,
        "quant": result.quant,
        "fits": result.fits,
        "recommended": result.recommended,
        "reason": present.reason(result.reason),
        "permalink": question.permalink(),
        "backends": [d.backend for d in question.device_specs],
        "memory": {**result.memory.model_dump(), "total_bytes": result.memory.total_bytes},
        "plans": [plan_json(plan) for plan in result.plans],
        "unavailable": present.unavailable(result.unavailable),
        "suggestions": [suggestion_json(question, s) for s in result.suggestions],
        "context_tokens_allocated": result.context_tokens_allocated,
        "explanations": {key: e.model_dump() for key, e in result.explanations.items()},
    }


def suggestion_json(question: Question, found: Suggestion) -> dict:
    """A suggestion as the API gives it: its `changes` in the API's own parameters (the engine's own, but
    "that many of the largest GPU", `gpu_count`: `count`, and `gpu` where the rig was mixed, as the
    suggested question's query writes them), and the page answering it."""
    changes = {key: value for key, value in found.changes.items() if key != "gpu_count"}
    if "gpu_count" in found.changes:
        before, after = (parse_qs(question.query(**asked))["gpu"] for asked in ({}, found.changes))
        changes |= {"gpu": after[0]} if after != before else {}
        changes["count"] = found.changes["gpu_count"]
    return {
        "kind": found.kind,
        "text": present.suggestion(found),
        "changes": changes,
        "fits": found.fits,
        "permalink": question.permalink(**found.changes),
    }


def measured_json(question: Question) -> dict:
    """Published measurements beside the estimate (Question.measured: same model, format and GPUs), or
    where there are none, the nearest one and the engine's estimate for it (Question.nearest_measured)."""
    found = question.measured()
    near = question.nearest_measured(found)

    def rows(measurements) -> list[dict]:
        return [
            {
                "tok_s": m.value,
                "backend": m.backend,
                "runtime": m.runtime,
                "test": m.test,
                "context_tokens": m.context_tokens,
                "source": m.source,
            }
            for m in measurements
        ]

    return {
        "decode": rows(found.decode),
        "prefill": rows(found.prefill),
        "nearest": None if near is None else nearest_json(near),
    }


def nearest_json(near: Neighbour) -> dict:
    r = near.row
    return {
        "model": r.llm_slug,
        "quant": r.quant_slug,
        "gpu": r.gpu_slug,
        "gpu_count": r.gpu_count,
        "same_gpu": near.same_gpu,
        "backend": r.backend,
        "test": r.test,
        "tok_s": r.value,
        "date": r.date.isoformat() if r.date else None,
        "source": r.source_url,
        "estimate_tok_s": near.estimate_tok_s,
    }


def plan_json(plan: Plan) -> dict:
    return {
        **plan.model_dump(mode="json", exclude={"devices"}),
        "reason": present.reason(plan.reason),
        "notes": present.reasons(plan.notes),
        "warnings": present.reasons(plan.warnings),
        "fits": plan.fits,
        "tight": plan.tight,
        "devices": [
            {
                **d.model_dump(mode="json", exclude={"name"}),
                "name": d.name,
                "used_bytes": d.used_bytes,
                "free_bytes": d.free_bytes,
                "fits": d.fits,
                "tight": d.tight,
            }
            for d in plan.devices
        ],
    }
