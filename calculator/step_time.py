"""Where a decode step's time goes, as the page draws it: the shown plan's step (`Plan.decode_step_s`, the
engine's parts, named by `estimator.timing.STEP_PARTS`) as one stacked bar, each part with its
milliseconds, share and the glossary page that explains it, and the part that bounds the speed."""

from dataclasses import dataclass

from estimator import Plan
from estimator.timing import STEP_PARTS
from estimator.units import format_ms

# What a part too small to show would read: a visitor review read "The runtime's host work 0.00 ms (under 1%)"
NOTHING = format_ms(0)


@dataclass(frozen=True)
class Look:
    """How the page shows one part: its colour (site.css: the memory bars' colours, plus .link), the glossary page
    that explains it, and what speeds a step up where this part takes most of it (over half)."""

    css: str
    term: str
    lever: str = ""


LOOKS = {
    "weights": Look(
        "weights",
        "memory-bandwidth",
        "memory bandwidth bounds this speed: fewer bytes per token (a smaller format) or faster memory raise it",
    ),
    "kernel": Look(
        "compute",
        "roofline",
        "the mat-vec kernel's instructions bound this speed: a format with less to unpack (Q4_0, Q8_0) raises it",
    ),
    "weights_ram": Look(
        "state",
        "cpu-offload",
        "the weights in system RAM bound this speed: more of the model on the GPUs raises it most",
    ),
    "kv_cache": Look(
        "kv",
        "kv-cache",
        "the KV cache's reads bound this speed: a quantized KV cache or a shorter context raise it",
    ),
    "compute": Look("compute", "roofline", "the GPU's arithmetic bounds this speed"),
    "fixed": Look(
        "overhead",
        "cuda-graphs",
        "each layer's fixed costs (kernel launches, synchronisation) bound this speed: a larger format costs little "
        "here, and faster memory helps little",
    ),
    "host": Look("host", "decode", "the CPU building each step bounds this speed"),
    "handoff": Look("link", "layer-split"),
    "all_reduce": Look(
        "link", "all-reduce", "the all-reduces bound this speed: a faster link between the GPUs raises it"
    ),
    "runtime": Look("host", "decode"),
}


@dataclass(frozen=True)
class StepPart:
    name: str
    term: str
    css: str
    x: str  # SVG percentages of the step
    width: str
    ms: str
    share: str


@dataclass(frozen=True)
class StepBar:
    parts: tuple[StepPart, ...]
    total: str
    lever: str  # what bounds the speed, where one part takes over half of the step; else ""


def step_bar(plan: Plan) -> StepBar | None:
    """The plan's decode step at the start of the answer, by part; None without one."""
    if not plan.decode_step_s:
        return None
    total = sum(plan.decode_step_s.values())  # the whole step, whatever is left out below
    parts, x = [], 0.0
    for name, seconds in plan.decode_step_s.items():
        if format_ms(seconds) == NOTHING:  # float residue (the runtime's 7e-18 s), or too small to draw
            continue
        width = 100 * seconds / total
        parts.append(
            StepPart(
                name=STEP_PARTS[name],
                term=LOOKS[name].term,
                css=LOOKS[name].css,
                x=f"{x:.1f}",
                width=f"{width:.1f}",
                ms=format_ms(seconds),
                share=f"{seconds / total:.0%}" if seconds >= total / 200 else "under 1%",
            )
        )
        x += width
    top, seconds = max(plan.decode_step_s.items(), key=lambda item: item[1])
    lever = LOOKS[top].lever if seconds > total / 2 else ""
    return StepBar(parts=tuple(parts), total=format_ms(total), lever=lever)
