"""Shared answers of the reverse pages, at the calculator's /r/ URLs and in its Snapshot rows (kinds
"what-runs" and "what-hardware"): freeze the rows with every catalog value they were computed from;
show them unchanged later, and say whether today's catalog and engine answer differently."""

from decimal import Decimal
from functools import partial
from urllib.parse import urlsplit

from django.http import QueryDict
from pydantic import TypeAdapter

from calculator.models import Snapshot
from calculator.snapshots import check_length
from catalog import tiers
from catalog.fitting import HardwareAnswer, RunsRow
from estimator import ENGINE_VERSION, DeviceSpec

from . import answers, images, offload, views

RUNS_ROWS = TypeAdapter(list[RunsRow])
HARDWARE_ANSWER = TypeAdapter(HardwareAnswer)
IMAGE_ROWS = TypeAdapter(list[images.ImageRow])
IMAGE_HARDWARE = TypeAdapter(images.ImageHardware)
RAM_SETS = TypeAdapter(list[offload.RamSet])
# What an image plan's row does not show, left out of the snapshot: its launch commands
UNSHOWN = {"__all__": {"plan": {"commands", "command_timing"}}}
ANSWERS = {Snapshot.WHAT_RUNS: views.what_runs_answer, Snapshot.WHAT_HARDWARE: views.what_hardware_answer}
TEMPLATE = "reverse_questions/snapshot.html"


def save(kind: str, context: dict) -> Snapshot:
    """Freeze a reverse page's answer (`context` from ANSWERS[kind], with a valid form): its rows hold
    every catalog value they were computed from (model, format, devices, prices)."""
    data = context["form"].cleaned_data
    if kind == Snapshot.WHAT_RUNS:
        specs = {
            "hardware": context["hardware"],
            "devices": [g.as_spec().model_dump(mode="json") for g in context["form"].devices],
            "ctx": data["ctx"],
            "ram_gb": data.get("ram_gb"),
            "ram_preset": data.get("ram_preset"),
            "sort": data["sort"],
            "q": data["q"],  # the models' names asked for: the rows are those alone
        }
        result = {"rows": RUNS_ROWS.dump_python(context["rows"], mode="json")}
        if "images" in context:  # none with a speed tier alone, or a Mac beside another GPU
            result["images"] = IMAGE_ROWS.dump_python(context["images"], mode="json", exclude=UNSHOWN)
    elif (image := context.get("image_answer")) is not None:
        specs = {"model_name": data["model"].name, "quant_name": data["quant"].name, "image": True}
        result = IMAGE_HARDWARE.dump_python(
            image, mode="json", exclude=dict.fromkeys(("smallest", "cheapest", "fastest"), UNSHOWN)
        )
    else:
        specs = {
            "model_name": data["model"].name,
            "quant_name": data["quant"].name,
            "ctx": data["ctx"],
            "batch": data["batch"],
            "tok_s": data["tok_s"],
        }
        result = HARDWARE_ANSWER.dump_python(context["answer"], mode="json")
        if context["ram_asked"]:  # a mixture of experts: its sets with system RAM, and the RAM they read
            specs |= {key: context[key] for key in ("ram_words", "ram_dearer", "ram_stopped")}
            result["with_ram"] = RAM_SETS.dump_python(context["ram_sets"], mode="json")
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


def show(snapshot: Snapshot) -> dict:
    """The context of the shared page (the reverse page's #result partial), from the snapshot's own
    rows, and whether today's catalog and engine (the page's answer to the same query) differ."""
    specs = snapshot.specs
    page = f"/{snapshot.kind}/?{snapshot.query}"
    context = {**views.shared_context(), "snapshot": snapshot, "permalink": page}
    if snapshot.kind == Snapshot.WHAT_RUNS:
        rows = RUNS_ROWS.validate_python(snapshot.result["rows"])
        context |= {
            "rows": rows,
            "tiers": tiers.tiers(rows, specs["sort"]),
            **views.fit_context(rows, hardware=specs["hardware"], ctx=specs["ctx"], q=specs.get("q", "")),
            "hardware": specs["hardware"],
            "form": {"cleaned_data": {"ctx": specs["ctx"], "sort": specs["sort"], "q": specs.get("q", "")}},
            "sort_links": {key: _sorted(snapshot, key) for key in tiers.SORTS},
        }
        if "images" in snapshot.result:
            context |= views.images_context(
                IMAGE_ROWS.validate_python(snapshot.result["images"]),
                devices=[DeviceSpec.model_validate(d) for d in specs["devices"]],
                hardware=specs["hardware"],
                q=specs.get("q", ""),
                ram_gb=specs.get("ram_gb"),
                llms=bool(rows),
            )
        context["title"] = f"What runs on {specs['hardware']}?"
        context["summary"] = context["verdict_text"]
        # stored before the engine gave the speed with the whole context cached: compared by the start alone
        full = any(row.plan is not None and row.plan.decode_tok_s_at_context is not None for row in rows)
        headline = partial(_runs_headline, full=full)
    elif specs.get("image"):
        answer = IMAGE_HARDWARE.validate_python(snapshot.result)
        context |= {
            "image_answer": answer,
            **answers.shown(answer),
            "form": {
                "cleaned_data": {
                    "model": {"name": specs["model_name"]},
                    "quant": {"name": specs["quant_name"]},
                }
            },
        }
        context["title"] = f"What hardware runs {specs['model_name']}?"
        context["summary"] = (
            f"{answer.found} device sets of the catalog run {specs['model_name']} at {specs['quant_name']} with "
            f"its denoiser in GPU memory, at {answer.picture}."
        )
        headline = _image_hardware_headline
    else:
        answer = HARDWARE_ANSWER.validate_python(_upgraded(snapshot.result))
        ram_sets = RAM_SETS.validate_python(snapshot.result.get("with_ram", []))
        context |= {
            "answer": answer,
            **answers.shown(answer, ram_sets),
            # shared before the sets with system RAM were asked: none shown
            "ram_asked": "with_ram" in snapshot.result,
            "ram_sets": ram_sets,
            "ram_words": specs.get("ram_words", ""),
            "ram_dearer": specs.get("ram_dearer", 0),  # shared before the page said it: none said
            "ram_stopped": specs.get("ram_stopped", False),
            "ram_sizes": offload.RAM_SIZES_GB,
            "form": {
                "cleaned_data": {
                    "model": {"name": specs["model_name"]},
                    "quant": {"name": specs["quant_name"]},
                    "ctx": specs["ctx"],
                    "batch": specs.get("batch", 1),  # snapshots from before the field: one user
                    "tok_s": specs["tok_s"],
                }
            },
        }
        context["title"] = f"What hardware runs {specs['model_name']} at {specs['quant_name']}?"
        context["summary"] = (
            f"{answer.found} device sets of the catalog run {specs['model_name']} at {specs['quant_name']} "
            f"with {specs['ctx']:,} tokens of context{users_words(specs.get('batch', 1))} at {specs['tok_s']:g} "
            "tok/s or more."
        )
        headline = _hardware_headline
    today = ANSWERS[snapshot.kind](QueryDict(snapshot.query))
    if "images" not in snapshot.result:  # shared before image models were listed: the LLMs' rows compared
        today.pop("images", None)
    if not today["form"].is_valid():
        context["today"] = {"differs": True, "reason": "The catalog no longer has one of its inputs."}
    else:
        then = headline(context)
        context["today"] = {"differs": headline(today) != then, "url": page}
    return context


def _upgraded(result: dict) -> dict:
    """A what-hardware answer stored before a set kept its unit price whole (`DeviceSet.unit_price`, 6
    December 2026; it had the total, the date and the source): the same price, as it was shown then
    (neither used nor launch is known: undated read "launch", as the page wrote it)."""
    rankings = {}
    for key in ("smallest", "cheapest", "fastest"):
        sets = []
        for stored in result.get(key, []):
            s = dict(stored)
            if "price_date" in s or "price_source" in s:
                date, source = s.pop("price_date", None), s.pop("price_source", "")
                if s.get("price_usd") is not None:
                    unit = Decimal(str(s["price_usd"])) / s["count"]
                    s["unit_price"] = {
                        "amount_usd": unit,
                        "date": date,
                        "source_url": source,
                        "launch": date is None,
                    }
            sets.append(s)
        rankings[key] = sets
    return result | rankings


def _runs_headline(context: dict, *, full: bool = True) -> list:
    """Per model, what its row shows: the format, the plan, its speed at the start of an answer and, `full`,
    with the whole context cached, as the row writes them ("46.0 → 21.3", `RunsRow.speed`: review 10 found
    the start alone compared), and the longest context."""
    return sorted(
        (
            row.model.slug,
            row.quant.slug if row.quant else None,
            row.plan.strategy if row.plan else None,
            row.speed if full else row.speed_parts[0],
            row.longest_ctx,
        )
        for row in context["rows"]
    ) + _images_headline(context.get("images") or [])


def _images_headline(rows: list[images.ImageRow]) -> list:
    """Per image or video model, what its row shows: the plan, its time and the RAM it assumed."""
    return sorted(
        (
            row.model.slug,
            row.plan.strategy if row.plan else None,
            round(row.seconds, 1) if row.seconds else None,
            row.assumed_ram_gb,
        )
        for row in rows
    )


def _image_hardware_headline(context: dict) -> list:
    """As `_hardware_headline`, for an image or video model: the sets' time per image or video."""
    answer = context.get("image_answer")
    if answer is None:  # today the model is no image model
        return []
    return [
        (answer.found, answer.priced),
        *(
            (s.device.slug, s.count, str(s.price_usd), s.plan.strategy, round(s.seconds or 0, 1))
            for s in [*answer.smallest, *answer.cheapest]
        ),
    ]


def _hardware_headline(context: dict) -> list:
    """How many device sets qualify (and have a price); the smallest and the cheapest, as shown."""
    answer = context["answer"]
    return [
        (answer.found, answer.priced),
        *(
            (s.device.slug, s.count, str(s.price_usd), s.plan.strategy, round(s.tok_s, 1), s.kv)
            for s in [*answer.smallest, *answer.cheapest]
        ),
    ]


def _sorted(snapshot: Snapshot, sort: str) -> str:
    """The live page of the snapshot's question, sorted by `sort`."""
    values = QueryDict(snapshot.query, mutable=True)
    values["sort"] = sort
    return f"/{snapshot.kind}/?{values.urlencode(safe='')}"


def users_words(batch: int) -> str:
    """' for each of 4 users at once' after a what-hardware snapshot's context; nothing for one user."""
    return f" for each of {batch} users at once" if batch > 1 else ""
