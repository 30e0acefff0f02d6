"""From a valid question to the engine's estimate, and from the estimate to what the page shows."""

from dataclasses import dataclass

from catalog.models import Gpu

from .engine import Estimate, Plan, Workload, estimate
from .engine.units import format_bytes, format_rate
from .forms import QuestionForm, device_summary

STRATEGY_NAMES = {
    "single": "one GPU",
    "layer_split": "a layer split",
    "tensor_parallel": "tensor parallelism",
    "replicas": "replicas",
    "cpu_offload": "CPU offload",
    "expert_offload": "MoE expert offload",
    "rpc_cluster": "an RPC cluster",
}
STRATEGY_TERMS = {
    "single": "vram",
    "layer_split": "layer-split",
    "tensor_parallel": "tensor-parallelism",
    "replicas": "data-parallelism",
    "cpu_offload": "cpu-offload",
    "expert_offload": "moe-expert-offload",
    "rpc_cluster": "rpc-clustering",
}


def answer(form: QuestionForm) -> Estimate:
    """Run the engine on a valid form's question."""
    data = form.cleaned_data
    return estimate(
        model=data["model"].as_spec(),
        quant=data["quant"].as_spec(),
        devices=[gpu.as_spec() for gpu in form.devices],
        workload=Workload(context_tokens=data["ctx"], batch=data["batch"]),
    )


@dataclass(frozen=True)
class Verdict:
    fits: bool
    tight: bool
    text: str
    headroom: str


def verdict(result: Estimate, devices: list[Gpu]) -> Verdict:
    hardware = device_summary(devices)
    plan = result.recommended_plan
    if plan is None:
        short = max(
            d.used_bytes + d.headroom_bytes - d.capacity_bytes for p in result.plans for d in p.devices
        )
        return Verdict(
            False,
            False,
            f"No: it does not fit on {hardware}.",
            f"about {format_bytes(short)} short on the fullest device of the closest plan",
        )
    free = min(d.free_bytes for d in plan.devices)
    speed = f", about {format_rate(plan.decode_tok_s)} tok/s per user" if plan.decode_tok_s else ""
    word = "Yes, but tight" if plan.tight else "Yes"
    where = f"with {STRATEGY_NAMES[plan.strategy]}" if plan.strategy != "single" else "on one GPU"
    return Verdict(
        True,
        plan.tight,
        f"{word}: fits on {hardware} {where}{speed}.",
        f"{format_bytes(free)} left on the fullest device",
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
            }
        )
    return bars
