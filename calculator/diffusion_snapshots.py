"""Shared image and video answers at /r/ (Snapshot kind "diffusion"): the engine's DiffusionEstimate as the
page showed it, with the catalog values it was computed from; shown unchanged later, with whether today's
catalog and engine answer differently. Registered like the reverse pages' (snapshots.register)."""

from django.http import QueryDict
from pydantic import ValidationError

from estimator import ENGINE_VERSION, DiffusionEstimate
from estimator.units import format_bytes

from .diffusion_estimate import answered, smaller_formats
from .diffusion_form import DiffusionForm
from .diffusion_formats import RELEASED
from .diffusion_result import result_context
from .diffusion_shapes import spec_of
from .diffusion_verdict import verdict
from .forms import device_summary
from .models import Snapshot
from .snapshots import check_length

TEMPLATE = "calculator/diffusion_snapshot.html"


def question(query: QueryDict) -> dict:
    """The page's context for a diffusion question, as the snapshot view needs it: its bound `form` and,
    valid, the answer the page showed (from the same cache)."""
    form = DiffusionForm(query)
    context = {"form": form}
    if form.is_valid():
        try:
            context["result"] = answered(form)
        except ValidationError as error:  # a value the engine refuses: the page says so beside the form
            form.add_error(None, "; ".join(e["msg"] for e in error.errors()))
    return context


def save(context: dict) -> Snapshot:
    """Freeze a valid diffusion answer: the estimate and the catalog values behind it."""
    form, result = context["form"], context["result"]
    query = form.canonical_query(format_named=True)  # the usual format may change, its numbers do not
    check_length(query)
    specs = {
        "model": spec_of(form.cleaned_data["model"]).model_dump(mode="json"),
        "devices": [d.as_spec().model_dump(mode="json") for d in form.devices],
        "hardware": device_summary(form.devices),
        "model_name": form.cleaned_data["model"].name,
        "quant_name": form.cleaned_data["quant"].name,  # the format answered in, asked or the usual one
        # the headline as it read, for the day the catalog no longer reads the question (the verdict alone:
        # the page's suggestions would ask the engine again)
        "verdict": verdict(result, form, smaller_formats(form)).text,
    }
    snapshot, _ = Snapshot.objects.get_or_create(
        id=Snapshot.make_id(query, specs, ENGINE_VERSION, Snapshot.DIFFUSION),
        defaults={
            "kind": Snapshot.DIFFUSION,
            "query": query,
            "specs": specs,
            "result": result.model_dump(mode="json"),
            "engine_version": ENGINE_VERSION,
        },
    )
    return snapshot


def show(snapshot: Snapshot) -> dict:
    """The shared page's context: the stored estimate, worded as the page words it, and today's difference
    (the recommended plan, whether it fits, its time and its fullest device)."""
    result = DiffusionEstimate.model_validate(snapshot.result)
    asked = _with_format(snapshot.query)
    url = f"/?{asked.urlencode()}"  # the format named: the link brings the same answer back
    specs = snapshot.specs
    summary = f"{specs['model_name']} on {specs['hardware']}: {specs['verdict']}"
    context = {"snapshot": snapshot, "title": specs["verdict"], "summary": summary, "permalink": url}
    today = question(asked)
    if "result" not in today:
        context["today"] = {"differs": True, "reason": "The catalog no longer has one of its inputs."}
        return context
    context |= result_context(result, today["form"]) | {"form": today["form"], "permalink": url}
    differs = _headline(result) != _headline(today["result"])
    who = "engine" if snapshot.engine_version != ENGINE_VERSION else "catalog"
    context["today"] = {"differs": differs, "url": url} | (
        {"reason": f"today's {who} answers otherwise"} if differs else {}
    )
    return context


def _with_format(query: str) -> QueryDict:
    """A snapshot's question: one saved before snapshots named their format (`save`) was answered in BF16
    (the usual format was BF16 alone then), and is asked again in it."""
    asked = QueryDict(query, mutable=True)
    asked.setdefault("quant", RELEASED)
    return asked


def _headline(result: DiffusionEstimate) -> tuple:
    """What a visitor reads first: the plan, whether it fits, its time and its fullest device."""
    plan = result.recommended_plan or (result.plans[0] if result.plans else None)
    if plan is None:
        return (None,)
    seconds = round(plan.timing.total_s, 1) if plan.timing else None
    return (plan.strategy, plan.fits, seconds, format_bytes(max(d.used_bytes for d in plan.devices)))
