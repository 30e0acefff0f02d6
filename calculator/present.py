"""The engine's findings in words: the one place a `Reason` (estimator/schema.py: a code and its
numbers) becomes a sentence, for the page, the API, preview images, snapshots, compare and the
glossary's examples alike; each code's sentence is in calculator/sentences.py. The engine writes no
sentence; units are formatted by `estimator.units`."""

from estimator.schema import Plan, Reason, Suggestion
from estimator.units import format_rate

from .sentences import SENTENCES

# What each plan needs of a runtime, in words: the reason a runtime whose commands do not cover the plan
# (estimator/commands.py TOOLS) cannot run it: the site's own reason, beside the engine's
NEEDS = {
    "single": "run this model on one GPU",
    "layer_split": "split the layers over several GPUs",
    "tensor_parallel": "split each layer over several GPUs (tensor parallelism)",
    "replicas": "run one copy of the model per GPU",
    "cpu_offload": "keep some layers in system RAM",
    "expert_offload": "keep a MoE model's experts in system RAM",
    "rpc_cluster": "spread the layers over several machines",
}
# Tools whose every flag the engine's command builder reads (estimator/commands_lms.py lists lms load's)
FLAG_LISTS = {"lms": "lms"}


def cannot_run(plan: Plan, tool: str) -> str:
    """Why the chosen runtime has no command for `plan`, in words."""
    need = NEEDS[plan.strategy]
    if tool in FLAG_LISTS:
        return f"{FLAG_LISTS[tool]} has no flag to {need}"
    return f"its commands here have no way to {need}"


def rate_range(value: float, low: float | None, high: float | None) -> str:
    """'18.7 tok/s (16.6–20.8)': a speed and the range published measurements give it (estimator/speed.py
    `speed_range`), or the speed alone where it has none."""
    if low and high:
        return f"{format_rate(value)} tok/s ({format_rate(low)}–{format_rate(high)})"
    return f"{format_rate(value)} tok/s"


def reason(found: Reason | None) -> str:
    """The engine's reason in one sentence; empty for none."""
    return SENTENCES[found.code](found.values) if found is not None else ""


def reasons(found: tuple[Reason, ...]) -> list[str]:
    """A plan's notes or warnings, one sentence each."""
    return [reason(r) for r in found]


def unavailable(found: dict[str, Reason]) -> dict[str, str]:
    """Why each strategy not computed was not, in words."""
    return {strategy: reason(why) for strategy, why in found.items()}


def suggestion(found: Suggestion) -> str:
    """A "what to change" in one sentence."""
    return reason(found.reason)


def suggestion_json(found: Suggestion) -> dict:
    """A suggestion as the API gives it: its kind, its sentence, the query changes, whether it fits."""
    return {"kind": found.kind, "text": suggestion(found), "changes": found.changes, "fits": found.fits}
