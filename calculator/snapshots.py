"""Shared results: save the inputs, the catalog values used and the estimate; show them unchanged later,
and say whether today's catalog and engine answer differently. Other apps' pages (the reverse questions)
share theirs through the same /r/ URLs and Snapshot rows: `register()` below."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import QueryDict
from django.urls import reverse

from estimator import ENGINE_VERSION, Estimate

from . import answer as answers
from . import present
from .forms import QuestionForm
from .models import MAX_QUERY_CHARS, Snapshot
from .question import EngineRefused, Question


class QueryTooLong(ValueError):
    """A question too long to share; the message says by how much."""


def check_length(query: str) -> None:
    """Refuse a query string over MAX_QUERY_CHARS: what is stored, and what is parsed before storing."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"This question is {len(query):,} characters long; a shared one is at most {MAX_QUERY_CHARS:,}."
        )


def save(question: Question) -> Snapshot:
    query = question.query()
    check_length(query)
    result = question.estimate()
    specs = {
        "model": question.model.as_spec().model_dump(mode="json"),
        "quant": question.quant.as_spec().model_dump(mode="json"),
        "devices": [g.as_spec().model_dump(mode="json") for g in question.devices],
        "workload": question.workload().model_dump(mode="json"),
        "hardware": question.hardware,
        "model_name": question.model.name,
        "quant_name": question.quant.name,
    }
    snapshot, _ = Snapshot.objects.get_or_create(
        id=Snapshot.make_id(query, specs, ENGINE_VERSION),
        defaults={
            "query": query,
            "specs": specs,
            "result": result.model_dump(mode="json"),
            "engine_version": ENGINE_VERSION,
        },
    )
    return snapshot


def show(snapshot: Snapshot) -> dict:
    """The snapshot's own numbers, and whether today's catalog and engine give different ones."""
    result = Estimate.model_validate(snapshot.result)
    hardware = snapshot.specs["hardware"]
    users = snapshot.specs["workload"].get("batch", 1)
    backends = [d.get("backend", "cuda") for d in snapshot.specs.get("devices", [])]
    fit = runtime_fit(snapshot, result)
    context = answers.shown(result, hardware, users=users, backends=backends, fit=fit) | {
        "snapshot": snapshot,
        "permalink": f"{reverse('calculator:will-it-run')}?{snapshot.query}",
    }
    today = QuestionForm(QueryDict(snapshot.query))
    if not today.is_valid():
        context["today"] = {"differs": True, "reason": "The catalog no longer has one of its inputs."}
        return context
    try:
        fresh = Question.from_form(today).estimate(with_suggestions=False)
    except EngineRefused as refusal:
        context["today"] = {"differs": True, "reason": str(refusal)}
        return context
    same = _headline(fresh) == _headline(result)
    context["today"] = {"differs": not same, "url": f"{reverse('calculator:will-it-run')}?{snapshot.query}"}
    return context


def runtime_fit(snapshot: Snapshot, result: Estimate) -> present.RuntimeFit | None:
    """The plan the snapshot's runtime runs, as the page showed it (present.runtime_fit); None when
    today's catalog no longer reads its question."""
    form = QuestionForm(QueryDict(snapshot.query))
    return present.runtime_fit(result, Question.from_form(form)) if form.is_valid() else None


def _headline(result: Estimate) -> tuple:
    """What a reader compares: the verdict, the memory and the recommended plan's speed."""
    plan = result.recommended_plan
    return (
        result.recommended,
        result.memory.model_dump(),
        round(plan.decode_tok_s, 1) if plan and plan.decode_tok_s else None,
        tuple((d.gpu, d.used_bytes) for d in plan.devices) if plan else (),
    )


# ---- Other pages' answers shared at /r/ ----------------------------------------------------------


@dataclass(frozen=True)
class SharedKind:
    """How a page of an app above the calculator is shared at /r/ (a Snapshot row of its `kind`):
    `answer` is the page's context for a query (with its bound `form`), `save` freezes a valid one,
    `show` is the shared page's context, rendered with `template`. Registered from the app's
    AppConfig.ready(), so the calculator imports no app above it."""

    answer: Callable[[QueryDict], dict]
    save: Callable[[dict], Snapshot]
    show: Callable[[Snapshot], dict]
    template: str


KINDS: dict[str, SharedKind] = {}


def register(kind: str, shared: SharedKind) -> None:
    KINDS[kind] = shared
