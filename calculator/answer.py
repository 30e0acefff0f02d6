"""From a valid question to the engine's estimate, and from the estimate to what the page shows."""

from dataclasses import dataclass

from pydantic import ValidationError

from catalog import cache
from catalog import workload as tables
from catalog.fitting import WIDEST_USEFUL_BITS
from catalog.measurements import Measured, measured_for
from catalog.models import Artifact, LlmModel, Measurement, Quantization
from estimator import Estimate, Plan, QuantSpec, Workload, estimate
from estimator.strategies import STRATEGIES
from estimator.strategies import label as phrase
from estimator.units import GIB, format_bytes, format_rate

from .forms import ENGINE_RUNTIME, RUNTIME_CHOICES, Combination, QuestionForm, device_summary
from .registry import error_pages  # the glossary's, registered from GlossaryConfig.ready()

# How the page writes each plan, from the engine's one table of them
STRATEGY_NAMES = {s: info.phrase for s, info in STRATEGIES.items()}
STRATEGY_TITLES = {s: info.title for s, info in STRATEGIES.items()}
STRATEGY_TERMS = {s: info.term for s, info in STRATEGIES.items()}
# The launch command shown for each runtime of the form (keys of Plan.commands).
COMMAND_FOR_RUNTIME = {
    "llama-cpp": "llama-server",
    "ollama": "ollama",
    "vllm": "vllm",
    "sglang": "sglang",
    "mlx": "mlx_lm",
}
RUNTIME_FOR_COMMAND = {tool: runtime for runtime, tool in COMMAND_FOR_RUNTIME.items()}
# Formats nobody makes as the model loads (unlike GGUF quants, 16-bit weights or vLLM's FP8 at load time):
# suggested only for a model whose catalog artifacts publish them.
PUBLISHED_ONLY = {"awq", "gptq", "mxfp4", "mlx", "bnb", "exl2"}
CHART_CONTEXTS = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
CHART_USERS = [1, 2, 4, 8, 16, 32, 64]


class EngineRefused(ValueError):
    """The engine found the question impossible (e.g. a prompt longer than the context)."""


def workload(form: QuestionForm, **changes) -> Workload:
    data = form.cleaned_data
    fields = {
        "context_tokens": data["ctx"],
        "batch": data["batch"],
        "prompt_tokens": data["prompt"],
        **tables.kv_workload(data["kv"]),  # the catalog row's bytes per element
        "runtime": ENGINE_RUNTIME[data["runtime"]],
        "hosts": data["hosts"],
    }
    if data.get("ram_gb"):
        fields["ram_bytes"] = data["ram_gb"] * GIB  # RAM is sold in GiB, like VRAM
    if data.get("ram_preset"):
        fields |= tables.ram_presets()[data["ram_preset"]]["workload"]  # its bandwidth, for offload
    if data.get("link"):
        fields |= data["link"].workload_fields()
    fields |= changes
    fields["prompt_tokens"] = min(fields["prompt_tokens"], fields["context_tokens"])
    return Workload(**fields)


def answer(form: QuestionForm, *, with_suggestions: bool = True) -> Estimate:
    """Run the engine on a valid form's question; the engine's refusals become EngineRefused.

    The engine gets the model's published artifacts (for its launch commands) and, as formats to
    suggest, the listed ones this runtime runs on this hardware and no wider than the model was released
    in; its commands are kept for the runtimes the catalog says run here (forms.Combination)."""
    data = form.cleaned_data
    model = data["model"]
    combination = Combination(form, data)
    artifacts = _artifacts(model) if model.pk is not None else []
    candidates = None
    if with_suggestions:
        widest = WIDEST_USEFUL_BITS.get(model.native_dtype or "", 32.0)
        published = {f for a in artifacts for f in a.formats}
        candidates = [
            spec
            for spec, bits, family, slug in _listed_formats()
            if bits <= widest + 1e-6
            and combination.runs(data["runtime"], family)
            and (family not in PUBLISHED_ONLY or slug in published)
        ]
    try:
        result = estimate(
            model=model.as_spec(artifacts=artifacts),
            quant=data["quant"].as_spec(),
            devices=[gpu.as_spec() for gpu in form.devices],
            workload=workload(form),
            candidates=candidates,
            with_suggestions=with_suggestions,
        )
    except ValidationError as error:
        raise EngineRefused(
            "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
        ) from None
    tools = {
        tool
        for tool, runtime in RUNTIME_FOR_COMMAND.items()
        if combination.runs(runtime, data["quant"].family)
    }
    plans = tuple(
        p.model_copy(update={"commands": {t: c for t, c in p.commands.items() if t in tools}})
        for p in result.plans
    )
    return result.model_copy(update={"plans": plans})


def _artifacts(model: LlmModel) -> list[Artifact]:
    """A catalog model's published artifacts, read once per catalog version (catalog/cache.py)."""
    return cache.get_or_compute("artifacts", str(model.pk), lambda: list(model.artifacts.all()))


def _listed_formats() -> list[tuple[QuantSpec, float, str, str]]:
    """The listed formats as the engine's specs, with bits per weight, family and slug, read once per
    catalog version: a query and thirty specs less per question (~1.2 ms)."""
    return cache.get_or_compute(
        "listed-formats",
        "",
        lambda: [(q.as_spec(), q.bits_per_weight, q.family, q.slug) for q in Quantization.objects.listed()],
    )


@dataclass(frozen=True)
class Verdict:
    fits: bool
    tight: bool
    text: str
    headroom: str
    tok_s: str = ""  # decode per user of the plan shown, for the compact verdict bar
    memory: str = ""  # "21.3 of 24.0 GiB": the fullest device of the plan shown
    borderline: bool = False  # does not fit only because of the memory kept free for safety

    @property
    def css(self) -> str:
        if self.borderline:
            return "tight"
        return ("tight" if self.tight else "yes") if self.fits else "no"


def fullest_device(plan: Plan) -> str:
    device = max(plan.devices, key=lambda d: (d.used_bytes + d.headroom_bytes) / d.capacity_bytes)
    return f"{format_bytes(device.used_bytes).removesuffix(' GiB')} of {format_bytes(device.capacity_bytes)}"


def verdict(result: Estimate, hardware: str) -> Verdict:
    """The answer in one sentence: yes (with how), yes but tight, borderline (short only of the memory
    kept free for safety: what to expect, what to change), or no (by how much)."""
    plan = result.recommended_plan
    if plan is None:
        closest = closest_plan(result)
        device, short = closest.tightest, closest.short_by_bytes
        if short <= device.headroom_bytes:
            change = next((s.text for s in result.suggestions if s.fits), "")
            change = change or "A shorter context or a smaller format makes room."
            return Verdict(
                False,
                True,
                f"Borderline: on {hardware} it needs {format_bytes(short)} of the {format_bytes(device.headroom_bytes)} "
                f"kept free on {device.name}. It will likely load, but a long conversation or another program on "
                f"that GPU can run it out of memory. {change}",
                f"{format_bytes(short)} into the {format_bytes(device.headroom_bytes)} safety margin",
                memory=fullest_device(closest),
                borderline=True,
            )
        return Verdict(
            False,
            False,
            f"No: it does not fit on {hardware}.",
            f"{format_bytes(short)} short in the closest plan",
            memory=fullest_device(closest),
        )
    free = min(d.free_bytes for d in plan.devices)
    speed = f", about {format_rate(plan.decode_tok_s)} tok/s per user" if plan.decode_tok_s else ""
    if plan.queue_s and plan.max_concurrency:  # vLLM's paged cache admits fewer users than asked
        speed += (
            f"; its KV cache holds {int(plan.max_concurrency)} full-length conversation"
            f"{'s' if int(plan.max_concurrency) != 1 else ''} at once, the others wait their turn"
        )
    word = "Yes, but tight" if plan.tight else "Yes"
    gpus = max(len(p.gpu_devices) for p in result.plans)
    if plan.strategy == "single" and gpus > 1:
        text = f"{word}: one {plan.gpu_devices[0].name} of your {hardware} holds it alone"
    elif plan.strategy == "single":
        text = f"{word}: fits on {hardware}"
    else:
        text = f"{word}: fits on {hardware} with {STRATEGY_NAMES[plan.strategy]}"
    return Verdict(
        True,
        plan.tight,
        f"{text}{speed}.",
        f"{format_bytes(free)} free on the fullest device",
        tok_s=format_rate(plan.decode_tok_s) if plan.decode_tok_s else "",
        memory=fullest_device(plan),
    )


@dataclass(frozen=True)
class Segment:
    label: str
    css: str
    x: float
    width: float
    size: str


def memory_bars(plan: Plan) -> list[dict]:
    """Stacked weights / KV cache / compute / overhead per device, as SVG percentages of capacity."""
    bars = []
    for device in plan.devices:
        scale = max(device.capacity_bytes, device.used_bytes + device.headroom_bytes)
        x = 0.0
        segments = []
        for label, css, size in (
            ("Weights", "weights", device.weights_bytes),
            ("KV cache", "kv", device.kv_cache_bytes),
            ("Compute", "compute", device.compute_bytes),
            ("Overhead", "overhead", device.overhead_bytes),
        ):
            width = 100 * size / scale
            segments.append(Segment(label, css, x, width, format_bytes(size)))
            x += width
        bars.append(
            {
                "device": device,
                "segments": segments,
                "capacity_x": 100 * device.capacity_bytes / scale,
                "headroom_x": 100 * (device.capacity_bytes - device.headroom_bytes) / scale,
                "used": format_bytes(device.used_bytes),
                "capacity": format_bytes(device.capacity_bytes),
                "free": format_bytes(device.free_bytes),
                "headroom": format_bytes(device.headroom_bytes),
            }
        )
    return bars


def suggestion_links(result: Estimate, form: QuestionForm) -> list[dict]:
    """Each of the engine's "what to change" as a permalink to the changed question."""
    links = []
    for suggestion in result.suggestions:
        url = form.permalink(**suggestion.changes) if suggestion.changes else None
        links.append({"text": suggestion.text, "url": url, "kind": suggestion.kind, "fits": suggestion.fits})
    return links


def launch_command(plan: Plan, form: QuestionForm) -> tuple[str, str]:
    """(tool, command) for the runtime the visitor chose; where that runtime cannot run this plan as
    given, the command is a comment saying so."""
    runtime = form.cleaned_data["runtime"]
    key = COMMAND_FOR_RUNTIME[runtime]
    command = plan.commands.get(key)
    if command:
        return key, command
    name = dict(RUNTIME_CHOICES)[runtime]
    return (
        key,
        f"# {name} cannot run the {phrase(plan.strategy)} plan with these settings: see the other plans below.",
    )


def measured(form: QuestionForm) -> Measured:
    """Published llama.cpp measurements of exactly this model, format and GPUs (not for your own model)."""
    data = form.cleaned_data
    if data["model"].pk is None or data["runtime"] not in ("llama-cpp", "ollama"):
        return Measured()
    gpus = {g.slug for g in form.devices}
    asked = (data["model"].slug, data["quant"].slug, next(iter(gpus), None), len(form.devices))
    if len(gpus) == 1 and asked not in _measured_questions():
        return Measured()  # what measured_for would find, without its query (~3 ms)
    return measured_for(
        gpus=[g.slug for g in form.devices],
        llm=data["model"].slug,
        quant=data["quant"].slug,
        runtime="llama.cpp",
    )


def _measured_questions() -> frozenset[tuple[str, str, str, int]]:
    """(model, format, GPU, GPU count) of every published measurement, read once per catalog version."""
    return cache.get_or_compute(
        "measured-questions",
        "",
        lambda: frozenset(
            Measurement.objects.values_list("llm__slug", "quantization__slug", "gpu__slug", "gpu_count")
        ),
    )


def result_context(result: Estimate, form: QuestionForm) -> dict:
    """Everything the #result partial shows, for the page, snapshots and the glossary's examples."""
    plan = result.recommended_plan or closest_plan(result)
    return {
        "result": result,
        "verdict": verdict(result, device_summary(form.devices)),
        "hardware": device_summary(form.devices),
        "shown_plan": plan,
        "bars": memory_bars(plan),
        "plans": result.plans,
        "suggestions": suggestion_links(result, form),
        "command": launch_command(plan, form),
        "permalink": form.permalink(),
        "measured": measured(form),
        "strategy_names": STRATEGY_NAMES,
        "strategy_titles": STRATEGY_TITLES,
        "strategy_terms": STRATEGY_TERMS,
        "error_pages": error_pages(result, form.cleaned_data["runtime"], plan),
    }


def closest_plan(result: Estimate) -> Plan:
    """When nothing fits, the plan that misses by the least."""
    return min(
        result.plans, key=lambda p: max(d.used_bytes + d.headroom_bytes - d.capacity_bytes for d in p.devices)
    )
