"""From the engine's estimate of a question (calculator/question.py) to what the page shows."""

from dataclasses import dataclass

from catalog.runtimes import BY_SLUG, COMMAND_FOR_RUNTIME
from estimator import Estimate, Plan, commands
from estimator.strategies import STRATEGIES
from estimator.strategies import label as phrase
from estimator.units import format_bytes, format_rate

from .question import Question
from .registry import error_pages  # the glossary's, registered from GlossaryConfig.ready()

# How the page writes each plan, from the engine's one table of them
STRATEGY_NAMES = {s: info.phrase for s, info in STRATEGIES.items()}
STRATEGY_TITLES = {s: info.title for s, info in STRATEGIES.items()}
STRATEGY_TERMS = {s: info.term for s, info in STRATEGIES.items()}
CHART_CONTEXTS = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
CHART_USERS = [1, 2, 4, 8, 16, 32, 64]


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


def suggestion_links(result: Estimate, question: Question) -> list[dict]:
    """Each of the engine's "what to change" as a permalink to the changed question."""
    links = []
    for suggestion in result.suggestions:
        url = question.permalink(**suggestion.changes) if suggestion.changes else None
        links.append({"text": suggestion.text, "url": url, "kind": suggestion.kind, "fits": suggestion.fits})
    return links


def launch_command(plan: Plan, question: Question) -> tuple[str, str]:
    """(tool, command) for the runtime the visitor chose. Where that runtime can have no weights of this
    format for this model (estimator.commands.unavailable: none published, none it can make), the
    command section says why in one sentence and what runs here instead; where it cannot run this plan
    as given, or the plan (the closest, when nothing fits) would run out of memory, a comment says so."""
    runtime = question.runtime
    key = COMMAND_FOR_RUNTIME[runtime]
    command = plan.commands.get(key)
    if command and not plan.fits:  # the closest plan: it runs out of memory as asked
        return key, f"# Does not fit as asked: see What to change below first.\n{command}"
    if command:
        return key, command
    combination = question.combination
    if reason := commands.unavailable(combination.spec(question.model), question.quant.as_spec(), key):
        return key, "\n".join(
            [f"# {reason}", *combination.runs_instead(question.model, runtime, question.quant)]
        )
    name = BY_SLUG[runtime].label
    return (
        key,
        f"# {name} cannot run the {phrase(plan.strategy)} plan with these settings: see the other plans below.",
    )


def result_context(result: Estimate, question: Question) -> dict:
    """Everything the #result partial shows, for the page, snapshots and the glossary's examples."""
    plan = result.recommended_plan or closest_plan(result)
    hardware = question.hardware
    measured = question.measured()
    return {
        "question": question,
        "result": result,
        "verdict": verdict(result, hardware),
        "hardware": hardware,
        "shown_plan": plan,
        "bars": memory_bars(plan),
        "plans": result.plans,
        "suggestions": suggestion_links(result, question),
        "command": launch_command(plan, question),
        "permalink": question.permalink(),
        "measured": measured,
        "nearest": None if measured.decode else question.nearest_measured(),
        "strategy_names": STRATEGY_NAMES,
        "strategy_titles": STRATEGY_TITLES,
        "strategy_terms": STRATEGY_TERMS,
        "error_pages": error_pages(result, question.runtime, plan),
    }


def closest_plan(result: Estimate) -> Plan:
    """When nothing fits, the plan that misses by the least."""
    return min(
        result.plans, key=lambda p: max(d.used_bytes + d.headroom_bytes - d.capacity_bytes for d in p.devices)
    )
