"""Shared results: save the inputs, the catalog values used and the estimate (or a reverse page's answer);
show them unchanged later, and say whether today's catalog and engine answer differently."""

from urllib.parse import urlsplit

from django.http import QueryDict
from pydantic import TypeAdapter

from estimator import ENGINE_VERSION, Estimate

from . import answer as answers
from . import reverse
from .forms import QuestionForm, device_summary
from .models import MAX_QUERY_CHARS, Snapshot


class QueryTooLong(ValueError):
    """A question too long to share; the message says by how much."""


def check_length(query: str) -> None:
    """Refuse a query string over MAX_QUERY_CHARS: what is stored, and what is parsed before storing."""
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"This question is {len(query):,} characters long; a shared one is at most {MAX_QUERY_CHARS:,}."
        )


def save(form: QuestionForm) -> Snapshot:
    query = form.canonical_query()
    check_length(query)
    result = answers.answer(form)
    data = form.cleaned_data
    specs = {
        "model": data["model"].as_spec().model_dump(mode="json"),
        "quant": data["quant"].as_spec().model_dump(mode="json"),
        "devices": [g.as_spec().model_dump(mode="json") for g in form.devices],
        "workload": answers.workload(form).model_dump(mode="json"),
        "hardware": device_summary(form.devices),
        "model_name": data["model"].name,
        "quant_name": data["quant"].name,
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
    context = {
        "snapshot": snapshot,
        "result": result,
        "verdict": answers.verdict(result, hardware),
        "shown_plan": result.recommended_plan or answers.closest_plan(result),
        "plans": result.plans,
        "strategy_names": answers.STRATEGY_NAMES,
        "strategy_titles": answers.STRATEGY_TITLES,
        "strategy_terms": answers.STRATEGY_TERMS,
        "permalink": f"/?{snapshot.query}",
    }
    context["bars"] = answers.memory_bars(context["shown_plan"])
    today = QuestionForm(QueryDict(snapshot.query))
    if not today.is_valid():
        context["today"] = {"differs": True, "reason": "The catalog no longer has one of its inputs."}
        return context
    try:
        fresh = answers.answer(today, with_suggestions=False)
    except answers.EngineRefused as refusal:
        context["today"] = {"differs": True, "reason": str(refusal)}
        return context
    same = _headline(fresh) == _headline(result)
    context["today"] = {"differs": not same, "url": f"/?{snapshot.query}"}
    return context


def _headline(result: Estimate) -> tuple:
    """What a reader compares: the verdict, the memory and the recommended plan's speed."""
    plan = result.recommended_plan
    return (
        result.recommended,
        result.memory.model_dump(),
        round(plan.decode_tok_s, 1) if plan and plan.decode_tok_s else None,
        tuple((d.gpu, d.used_bytes) for d in plan.devices) if plan else (),
    )


# ---- Reverse pages: "What runs on my hardware?" and "What hardware runs this model?" -------------

RUNS_ROWS = TypeAdapter(list[reverse.RunsRow])
HARDWARE_ANSWER = TypeAdapter(reverse.HardwareAnswer)


def save_reverse(kind: str, context: dict) -> Snapshot:
    """Freeze a reverse page's answer (`context` from reverse_views.ANSWERS[kind], with a valid form):
    its rows hold every catalog value they were computed from (model, format, devices, prices)."""
    data = context["form"].cleaned_data
    if kind == Snapshot.WHAT_RUNS:
        specs = {
            "hardware": context["hardware"],
            "devices": [g.as_spec().model_dump(mode="json") for g in context["form"].devices],
            "ctx": data["ctx"],
            "ram_gb": data.get("ram_gb"),
            "sort": data["sort"],
        }
        result = {"rows": RUNS_ROWS.dump_python(context["rows"], mode="json")}
    else:
        specs = {
            "model_name": data["model"].name,
            "quant_name": data["quant"].name,
            "ctx": data["ctx"],
            "tok_s": data["tok_s"],
        }
        result = HARDWARE_ANSWER.dump_python(context["answer"], mode="json")
    query = urlsplit(context["permalink"]).query
    check_length(query)
    snapshot, _ = Snapshot.objects.get_or_create(
        id=Snapshot.make_id(query, {"specs": specs, "result": result}, ENGINE_VERSION, kind),
        defaults={
            "kind": kind,
            "query": query,
            "specs": specs,
            "result": result,
            "engine_version": ENGINE_VERSION,
        },
    )
    return snapshot


def show_reverse(snapshot: Snapshot, answer_today) -> dict:
    """The context of the reverse page's #result partial, from the snapshot's own rows, and whether
    today's catalog and engine (`answer_today`: the page's context for a query) give a different answer."""
    specs = snapshot.specs
    page = f"/{snapshot.kind}/?{snapshot.query}"
    context = {"snapshot": snapshot, "permalink": page}
    if snapshot.kind == Snapshot.WHAT_RUNS:
        rows = RUNS_ROWS.validate_python(snapshot.result["rows"])
        context |= {
            "rows": rows,
            "tiers": reverse.tiers(rows, specs["sort"]),
            "fitting": sum(r.fits for r in rows),
            "hardware": specs["hardware"],
            "form": {"cleaned_data": {"ctx": specs["ctx"], "sort": specs["sort"]}},
            "sort_links": {key: _sorted(snapshot, key) for key in reverse.SORTS},
        }
        context["title"] = f"What runs on {specs['hardware']}?"
        context["summary"] = (
            f"{context['fitting']} of {len(rows)} models fit on {specs['hardware']} "
            f"at {specs['ctx']:,} tokens of context."
        )
        headline = _runs_headline
    else:
        answer = HARDWARE_ANSWER.validate_python(snapshot.result)
        context |= {
            "answer": answer,
            "answer_firsts": reverse.firsts(answer),
            "form": {
                "cleaned_data": {
                    "model": {"name": specs["model_name"]},
                    "quant": {"name": specs["quant_name"]},
                    "ctx": specs["ctx"],
                    "tok_s": specs["tok_s"],
                }
            },
        }
        context["title"] = f"What hardware runs {specs['model_name']} at {specs['quant_name']}?"
        context["summary"] = (
            f"{answer.found} device sets of the catalog run {specs['model_name']} at {specs['quant_name']} "
            f"with {specs['ctx']:,} tokens of context at {specs['tok_s']:g} tok/s or more."
        )
        headline = _hardware_headline
    today = answer_today(QueryDict(snapshot.query))
    if not today["form"].is_valid():
        context["today"] = {"differs": True, "reason": "The catalog no longer has one of its inputs."}
    else:
        then = headline(context)
        context["today"] = {"differs": headline(today) != then, "url": page}
    return context


def _runs_headline(context: dict) -> list:
    """Per model, what its row shows: the format, the plan, its speed and the longest context."""
    return sorted(
        (
            row.model.slug,
            row.quant.slug if row.quant else None,
            row.plan.strategy if row.plan else None,
            round(row.plan.decode_tok_s, 1) if row.plan and row.plan.decode_tok_s else None,
            row.longest_ctx,
        )
        for row in context["rows"]
    )


def _hardware_headline(context: dict) -> list:
    """How many device sets qualify (and have a price); the smallest and the cheapest, as shown."""
    answer = context["answer"]
    return [
        (answer.found, answer.priced),
        *(
            (s.device.slug, s.count, str(s.price_usd), s.plan.strategy, round(s.plan.decode_tok_s or 0, 1))
            for s in [*answer.smallest, *answer.cheapest]
        ),
    ]


def _sorted(snapshot: Snapshot, sort: str) -> str:
    """The live page of the snapshot's question, sorted by `sort`."""
    values = QueryDict(snapshot.query, mutable=True)
    values["sort"] = sort
    return f"/{snapshot.kind}/?{values.urlencode(safe='')}"
