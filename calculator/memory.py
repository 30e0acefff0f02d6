"""Memory per device as the page draws and words it: each device's fit status, its stacked bar (weights,
KV cache, compute, overhead against capacity and the headroom kept free) and the weights no bar shows.
The result panel, compare and the preview image (og.py) read them."""

import re
from dataclasses import dataclass

from estimator import DeviceUsage, Estimate, Plan
from estimator.units import format_bytes


def status(plan_or_device: Plan | DeviceUsage) -> str:
    """ "yes", "tight" (fits, under 10% free), "margin" (every device holds it, but inside the memory
    kept free for safety: it will likely load) or "no": the one status the verdict, the memory bars,
    the plans table and the command share."""
    if plan_or_device.fits:
        return "tight" if plan_or_device.tight else "yes"
    devices = plan_or_device.devices if isinstance(plan_or_device, Plan) else (plan_or_device,)
    return "margin" if all(d.used_bytes <= d.capacity_bytes for d in devices) else "no"


# How each status is written, and its colour class (site.css .fit-*)
STATUS_WORDS = {"yes": "yes", "tight": "tight", "margin": "only inside the safety margin", "no": "no"}
STATUS_CSS = {"yes": "fit-yes", "tight": "fit-tight", "margin": "fit-tight", "no": "fit-no"}


@dataclass(frozen=True)
class Segment:
    label: str
    css: str
    x: float
    width: float
    size: str


def memory_bars(plan: Plan, *, unified: bool = False) -> list[dict]:
    """Stacked weights / KV cache / compute / overhead per device, as SVG percentages of capacity; the
    host's RAM row leaves out what it holds none of (its KV cache and overhead are usually on the GPUs:
    "KV cache 0 KiB" said nothing). `unified`: the GPUs are unified-memory machines', whose share of the
    memory the bar says is what the GPU may use, linked to how."""
    bars = []
    for device in plan.devices:
        scale = max(device.capacity_bytes, device.used_bytes + device.headroom_bytes)
        x = 0.0
        segments = []
        for label, css, size in (
            ("Weights", "weights", device.weights_bytes),
            ("KV cache", "kv", device.kv_cache_bytes),
            ("Recurrent state", "state", device.recurrent_state_bytes),
            ("Compute", "compute", device.compute_bytes),
            ("Overhead", "overhead", device.overhead_bytes),
        ):
            if size == 0 and (device.kind == "host" or label == "Recurrent state"):
                continue
            width = 100 * size / scale
            segments.append(Segment(label, css, x, width, format_bytes(size)))
            x += width
        state = status(device)
        bars.append(
            {
                "device": device,
                "segments": segments,
                "capacity_x": 100 * device.capacity_bytes / scale,
                "headroom_x": 100 * (device.capacity_bytes - device.headroom_bytes) / scale,
                "used": format_bytes(device.used_bytes),
                "capacity": format_bytes(device.capacity_bytes),
                # a Mac's GPU may wire only part of its memory (the catalog's Apple slugs); a Strix Halo's or
                # a DGX Spark's maps what the OS grants it (on Linux, amdgpu.gttsize): said and linked
                "wired": device.gpu.startswith("apple-"),
                "shared": unified and device.kind == "gpu" and not device.gpu.startswith("apple-"),
                "free": format_bytes(device.free_bytes),
                "headroom": format_bytes(device.headroom_bytes),
                "status": state,
                "short": format_bytes(device.short_by_bytes),
            }
        )
    return bars


# A device's name within a plan: "Radeon Instinct MI300X (rank 3)", "GeForce RTX 3090 (copy 2)", "H100 SXM5 80 GB
# (host 2, rank 5)"
NUMBERED = re.compile(r"^(?P<base>.*) \((?P<host>host \d+, )?(?P<word>[a-zA-Z]+) (?P<n>\d+)\)$")


# The words NUMBERED finds, where "s" does not make their plural
PLURALS = {"copy": "copies"}


def machine_of(device) -> int | None:
    """The machine a group of devices must not reach past: a machine's tensor-parallel ranks ("(host 2, rank
    5)") are one group per machine; an RPC cluster's alike GPUs group across machines ("(hosts 3–5)")."""
    found = NUMBERED.match(device.name)
    return device.host if found and found["host"] else None


def device_runs(devices: list, key) -> list[list[int]]:
    """The indices of consecutive devices alike by `key` (and by machine_of), as runs; a run never goes back
    to a machine numbered lower: an RPC cluster lists the other machines' GPUs before llama-server's own
    (estimator layouts.rpc_hosts), and grouped across that turn they read "(hosts 2–1)"."""
    runs: list[list[int]] = []
    previous = None
    for i, d in enumerate(devices):
        k = (key(d), machine_of(d))
        if runs and k == previous and d.host >= devices[i - 1].host:
            runs[-1].append(i)
        else:
            runs.append([i])
        previous = k
    return runs


def grouped_bars(bars: list[dict]) -> list[dict]:
    """`memory_bars` with consecutive devices that hold the same (a tensor-parallel group's ranks, replicas'
    copies: the same card, layers and bytes) as one bar, named for all of them, "each": eight identical bars
    made a phone scroll a screen and a half."""
    devices = [bar["device"] for bar in bars]
    runs = device_runs(devices, key=lambda d: (
        d.gpu, d.kind, d.layers, d.weights_bytes, d.kv_cache_bytes, d.recurrent_state_bytes,
        d.compute_bytes, d.overhead_bytes, d.capacity_bytes, d.headroom_bytes,
    ))  # fmt: skip
    return [bars[run[0]] | {"name": group_name([devices[i].name for i in run])} for run in runs]


def group_name(names: list[str]) -> str:
    """'Radeon Instinct MI300X (rank 0)' alone; '8 × Radeon Instinct MI300X (ranks 0–7), each' for eight; two
    devices of one machine, '2 × H100 SXM5 80 GB (host 1), each'; one machine's ranks over several,
    '8 × H100 SXM5 80 GB (host 2, ranks 0–7), each'."""
    if len(names) == 1:
        return names[0]
    found = [NUMBERED.match(n) for n in names]
    if all(found) and len({(m["base"], m["host"], m["word"]) for m in found}) == 1:
        first, last = found[0], found[-1]
        host = first["host"] or ""
        if first["n"] == last["n"]:  # all of one host: its number once
            return f"{len(names)} × {first['base']} ({host}{first['word']} {first['n']}), each"
        words = PLURALS.get(first["word"], f"{first['word']}s")
        return f"{len(names)} × {first['base']} ({host}{words} {first['n']}–{last['n']}), each"
    return f"{len(names)} × {names[0]}, each"


def weights_elsewhere(result: Estimate, plan: Plan, backends: list[str], *, unified: bool = False) -> str:
    """Where the weights the bars do not show sit, in words: llama.cpp (and Ollama on it) keeps the token
    embedding table in the CPU's memory (estimator/device_memory.py), so the bars of a plan without a RAM
    row add up to less than the weights' total; empty when they add up. On Apple silicon that memory is
    the same unified memory, outside the share the GPU is given; on other unified-memory machines (DGX
    Spark, Strix Halo: `unified`) the same memory too, in a CPU buffer beside the GPU's."""
    copy = sum(d.weights_bytes for d in plan.devices) / max(plan.replicas, 1)
    rest = result.memory.weights_bytes - copy
    if rest < 1 << 20:
        return ""
    if plan.replicas > 1:
        holds = "Each copy holds"
    else:
        holds = "The GPU holds" if len(plan.gpu_devices) == 1 else "The GPUs hold"
    if backends and set(backends) == {"metal"}:
        where = "with the CPU, outside the GPU's share of unified memory"
    elif unified:
        where = "in a CPU buffer of the same unified memory"
    else:
        where = "in system RAM"
    return (
        f"{holds} {format_bytes(round(copy))} of the "
        f"{format_bytes(result.memory.weights_bytes)} of weights; the other {format_bytes(round(rest))}, the token "
        f"embedding table, stays {where}, where llama.cpp reads its rows."
    )
