"""Shared results: save the inputs, the catalog values used and the estimate; show them unchanged later,
and say whether today's catalog and engine answer differently. Other apps' pages (the reverse questions)
share theirs through the same /r/ URLs and Snapshot rows: `register()` below."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import QueryDict
from django.urls import reverse

from catalog.runtimes import COMMAND_FOR_RUNTIME
from estimator import ENGINE_VERSION, Estimate
from estimator.units import GIB, format_bytes, format_rate

from . import answer as answers
from . import charts, present
from .forms import QuestionForm
from .models import MAX_QUERY_CHARS, Snapshot
from .page import cached_result
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
    result, chart_list = cached_result(question)  # as the page showed it, charts included
    specs = {
        "model": question.model.as_spec().model_dump(mode="json"),
        "quant": question.quant_spec.model_dump(mode="json"),
        "devices": [d.model_dump(mode="json") for d in question.device_specs],
        "workload": question.workload().model_dump(mode="json"),
        "hardware": question.hardware,
        "model_name": question.model.name,
        "quant_name": question.quant.name,
    }
    fit = runtime_fit(question, result)
    plan = fit.faster if fit else answers.shown_plan(result, fit)
    if COMMAND_FOR_RUNTIME[question.runtime] not in plan.commands:
        # why the page had no command to give ("no published MXFP4 GGUF ...", "llama.cpp cannot load ..."): worded
        # from the catalog of the day, so kept as it was said (a review: a shared answer showed nothing there)
        specs["launch"] = answers.launch_command(plan, question, result)._asdict()
    snapshot, _ = Snapshot.objects.get_or_create(
        id=Snapshot.make_id(query, specs, ENGINE_VERSION),
        defaults={
            "query": query,
            "specs": specs,
            "result": result.model_dump(mode="json"),
            "charts": [charts.stored(chart) for chart in chart_list],
            "engine_version": ENGINE_VERSION,
        },
    )
    return snapshot


def show(snapshot: Snapshot) -> dict:
    """The snapshot's own numbers, and whether today's catalog and engine give different ones."""
    result = Estimate.model_validate(snapshot.result)
    hardware = snapshot.specs["hardware"]
    users = snapshot.specs["workload"].get("batch", 1)
    devices = snapshot.specs.get("devices", [])
    backends = [d.get("backend", "cuda") for d in devices]
    unified = bool(devices) and all(d.get("unified_memory") for d in devices)
    question = todays_question(snapshot)
    fit = runtime_fit(question, result)
    missing = no_weights(question)
    context = answers.shown(
        result, hardware, users=users, backends=backends, unified=unified, fit=fit, no_weights=missing
    ) | {
        "snapshot": snapshot,
        "runtime": QueryDict(snapshot.query).get("runtime", ""),  # as the page's question names it
        "permalink": f"{reverse('calculator:will-it-run')}?{snapshot.query}",
        "charts": [charts.from_stored(chart) for chart in snapshot.charts],  # as drawn then
        "ram_gb": (snapshot.specs["workload"].get("ram_bytes") or 0) // GIB,  # as the form asked it
    }
    if question is None:
        context["today"] = {"differs": True, "reason": "The catalog no longer has one of its inputs."}
        return context
    # what the answer said to run and to change, as stored: a shared answer is mostly shared for these.
    # A command it stored, or why there was none as it was said then (saved since December 2026).
    plan = fit.faster if fit else context["shown_plan"]
    if COMMAND_FOR_RUNTIME[question.runtime] in plan.commands:
        context["command"] = answers.launch_command(plan, question, result)
    elif "launch" in snapshot.specs:
        context["command"] = answers.Launch(**snapshot.specs["launch"])
    context["suggestions"] = answers.suggestion_links(result, question)
    context |= answers.evidence(result, question, context["shown_plan"])  # as the page shows them
    try:
        fresh = question.estimate(with_suggestions=False)
    except EngineRefused as refusal:
        context["today"] = {"differs": True, "reason": str(refusal)}
        return context
    now = answers.shown_for(fresh, question, as_they_run_it=False)
    url = f"{reverse('calculator:will-it-run')}?{snapshot.query}"
    change = what_changed(context, now)
    if change is None:
        context["today"] = {"differs": False, "url": url}
        return context
    who = "engine" if snapshot.engine_version != ENGINE_VERSION else "catalog"
    context["today"] = {"differs": True, "reason": f"today's {who} {change}", "url": url}
    return context


def todays_question(snapshot: Snapshot) -> Question | None:
    """The snapshot's question as today's catalog reads it, read once for all that asks it (its runtime's
    fit and weights, the comparison with today's answer); None when it no longer reads it."""
    form = QuestionForm(QueryDict(snapshot.query))
    return Question.from_form(form) if form.is_valid() else None


def no_weights(question: Question | None) -> str:
    """The format's name where the snapshot's runtime can have no weights of it for its model, as the page's
    verdict says it (the releases the catalog knows: a snapshot stores the model without them); empty
    otherwise, or when today's catalog no longer reads its question (`question` None)."""
    return question.quant.name if question is not None and question.missing_weights else ""


def runtime_fit(question: Question | None, result: Estimate) -> present.RuntimeFit | None:
    """The plan the snapshot's runtime runs, as the page showed it (present.runtime_fit); None when
    today's catalog no longer reads its question."""
    return present.runtime_fit(result, question) if question is not None else None


def shown_facts(shown: dict) -> list[tuple[str, str]]:
    """What a reader of the result sees, as (how a change is said, the value as printed), most telling
    first: the verdict, the plan shown, its speed per user and likely range, the fullest device, the
    headroom and why, the memory totals, every plan's row. `answers.shown` gives it for then and now."""
    verdict, plan, speed = shown["verdict"], shown["shown_plan"], shown["per_user"]
    result = shown["result"]
    facts = [
        ("says “{new}”, not “{old}”", verdict.text.split(":")[0]),
        ("shows the plan {new}, not {old}", answers.STRATEGY_TITLES[plan.strategy].lower()),
        ("gives {new} tok/s per user, not {old}", format_rate(speed.value) if speed.value else "–"),
        ("gives {new}, not {old}", str(speed)),
        ("gives {new} on the fullest device, not {old}", verdict.memory),
        ("says “{new}”, not “{old}”", verdict.text),
        ("gives {new} of headroom, not {old}", verdict.headroom),
        ("says “{new}”, not “{old}”", shown["reason"]),
    ]
    for name in ("weights", "kv_cache", "compute", "overhead"):
        words = name.replace("_", " ").replace("kv", "KV")
        facts.append(
            (f"gives {words} of {{new}}, not {{old}}", format_bytes(getattr(result.memory, f"{name}_bytes")))
        )
    for row in shown["plan_rows"]:
        title = answers.STRATEGY_TITLES[row.plan.strategy]
        facts.append((f"gives {title} {{new}}, not {{old}}", f"{row.per_user}, fits: {row.words}"))
        for device in row.plan.devices:
            used = f"{format_bytes(device.used_bytes)} / {format_bytes(device.capacity_bytes)}"
            facts.append((f"gives {title} {{new}} on {device.name}, not {{old}}", used))
    return facts


def what_changed(then: dict, now: dict) -> str | None:
    """The first thing a reader would see changed between two shown answers, said in a few words
    ("gives 3.69 tok/s per user, not 3.73"); None when every fact reads the same."""
    old, new = shown_facts(then), shown_facts(now)
    if [value for _, value in old] == [value for _, value in new]:
        return None
    for (said, was), (_, is_now) in zip(old, new, strict=False):
        if was != is_now:
            return said.format(new=is_now, old=was)
    return "shows other plans"


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
    page: str = ""  # the page it shares, where an invalid question goes back to; none: /<kind>/


KINDS: dict[str, SharedKind] = {}


def register(kind: str, shared: SharedKind) -> None:
    KINDS[kind] = shared
