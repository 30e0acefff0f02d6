"""What-hardware's one or two GPUs with system RAM: a mixture of experts run with its experts (or layers) in
the RAM, the usual low-cost way to run DeepSeek R1, Qwen3-235B or gpt-oss-120b (a 3090 and 64 GB run
gpt-oss-120b at about 33 tok/s, by the calculator).

The GPU-only sets are catalog/fitting.py's `what_hardware`; these are asked of the same engine, with the same
workload as the calculator page builds for the set's link (`ram_gb`, `ram_preset`), so each row's Details
reproduces its numbers. The RAM has no price in the catalog: a row's price is its GPUs' alone.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from catalog import cache, fitting
from catalog.fitting import DEFAULTS, DeviceSet, holds, least_bytes_needed, recommended, user_tok_s
from catalog.models import RamPreset
from catalog.price_tag import PriceTag, price_rank
from estimator import DeviceSpec, ModelSpec, QuantSpec
from estimator.strategies import GPU_ONLY
from estimator.units import GIB

# The system RAM a set is asked with, the least that holds the model: sizes of common DIMM kits, from a
# desktop's 32 GB to a server's 1 TB.
RAM_SIZES_GB = (32, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
MAX_GPUS = 2  # beyond two GPUs, the GPU-only sets of the rankings above are the usual buy
TRIED_SIZES = (
    2  # the least size above the lower bound and the next: the engine's bytes add per-device buffers
)
# The most RAM two channels take, by memory type (GB): a desktop board's four slots. DDR5: 4 × 64 GB, "up to
# 256GB on four-slot" Z790 and X670E boards (https://www.tomshardware.com/pc-components/ram/new-desktop-pc-chips-
# now-support-an-incredible-256gb-of-memory-asrock-and-msi-update-ddr5-support-on-intel-z790-and-amd-x670e-
# motherboards, 2023-12-15). DDR4: 4 × 32 GB; "until recently, the maximum memory capacity allowed on consumer PCs
# was 128 GB" (https://en.overclocking.com/64-gb-ddr5-ram-for-256-gb-capacities/). More channels are a
# workstation's or a server's, whose registered DIMMs take more than RAM_SIZES_GB's largest ("4 memory channels
# and up to 2 TB of RAM" on Threadripper: https://www.cpu-monkey.com/it/cpu_family-amd_ryzen_threadripper).
DUAL_CHANNEL_MAX_GB = {"ddr5": 256, "ddr4": 128}
# With no RAM type asked, the calculator's default (two channels of DDR5-4800, estimator.speed
# DEFAULT_RAM_BANDWIDTH_GB_S) holds up to DUAL_CHANNEL_MAX_GB["ddr5"]; a larger size is read at the fewest channels
# of the same memory beyond a desktop's (a visitor review: "384 GB of system RAM" read at dual-channel DDR5-4800,
# a machine that does not exist; a real one is a workstation, faster)
DEFAULT_TYPE, BEYOND_DESKTOP = "ddr5", "ddr5-4800-4ch"


@dataclass(frozen=True)
class RamSet(DeviceSet):
    """n identical GPUs and the least system RAM (GB, as the calculator's `ram_gb` reads it) that hold the
    model with an offload plan and reach the target speed."""

    ram_gb: int = 0
    ram_read_at: str = ""  # the RAM type it was read at, where not the one the section names (`read_at`)


def with_ram(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    gpus: Iterable[tuple[DeviceSpec, PriceTag | None]],
    ctx: int,
    batch: int,
    target_tok_s: float,
    runtimes: Mapping[str, str] | None,
    ram_preset: str | None = None,
    ram_fields: Mapping | None = None,
    top: int = fitting.TOP,
) -> list[RamSet]:
    """For a mixture of experts, per discrete GPU kind (the backends `runtimes` runs the format on), one or two
    GPUs with the least RAM of RAM_SIZES_GB that hold the model with an offload plan and reach `target_tok_s`;
    the first `top` by the GPUs' price (the RAM has none) as the cheapest ranking orders them, then fewest GPUs,
    least RAM, speed.

    A kind that holds the model on `n` GPUs alone is left to the GPU-only rankings; RAM sizes under the
    engine's lower bound on memory (GPUs and RAM together) are not asked, and a size is asked from memory
    alone (`holds`) before its plan is built."""
    if not model.is_moe:
        return []
    workloads: dict[tuple[str, int], object] = {}
    sizes = offered_sizes(ram_preset)

    def workload(runtime: str, ram_gb: int):
        key = (runtime, ram_gb)
        if key not in workloads:
            at = read_at(ram_preset, ram_gb)
            fields = ram_fields if at == ram_preset else platforms()[at]["workload"]
            asked = fitting.question_workload(ctx=ctx, batch=batch, ram_gb=ram_gb, ram=fields)
            workloads[key] = fitting.with_runtime(asked, runtime)
        return workloads[key]

    need = least_bytes_needed(model, quant, workload(DEFAULTS["runtime"], RAM_SIZES_GB[0]))
    sets: list[RamSet] = []
    # the kinds by unit price as the sets are ranked: once `top` sets are found, a kind whose one card ranks
    # after the `top`-th of them is not asked (two cost twice as much), nor the kinds after it
    for device, price in sorted(gpus, key=lambda pair: _price_key(pair[1])):
        if (
            len(sets) >= top
            and _price_key(price) > sorted(_price_key(s.unit_price, s.count) for s in sets)[top - 1]
        ):
            break
        if device.unified_memory or (runtimes is not None and device.backend not in runtimes):
            continue
        runtime = (runtimes or {}).get(device.backend, DEFAULTS["runtime"])
        for n in range(1, MAX_GPUS + 1):
            if n * device.usable_bytes >= need:
                break  # the GPUs alone may hold it: the rankings above answer that
            found = _least_ram(model, quant, [device] * n, need, sizes, lambda gb, r=runtime: workload(r, gb))
            if found is None:
                continue
            plan, ram_gb = found
            if plan.strategy in GPU_ONLY or user_tok_s(plan, batch) < target_tok_s:
                continue
            at = read_at(ram_preset, ram_gb)
            link = fitting.permalink(
                model=model.slug,
                quant=quant.slug,
                runs=[(device.slug, n)],
                ctx=ctx,
                ram_gb=ram_gb,
                runtime=runtime,
                ram_preset=at,
                batch=batch,
            )
            total = price.amount_usd * n if price is not None else None
            sets.append(
                RamSet(
                    device,
                    n,
                    plan,
                    total,
                    link,
                    price,
                    runtime=runtime,
                    users=batch,
                    ram_gb=ram_gb,
                    ram_read_at=platforms()[at]["name"] if at != ram_preset else "",
                )
            )
            break
    sets.sort(key=lambda s: (*_price_key(s.unit_price, s.count), s.count, s.ram_gb, -s.tok_s, s.device.name))
    return sets[:top]


def _price_key(price: PriceTag | None, count: int = 1) -> tuple:
    """How the cheapest ranking orders `count` cards at `price` (`price_rank`, then the amount)."""
    return (*price_rank(price), price.amount_usd * count if price is not None else 0)


def platforms() -> dict[str, dict]:
    """The catalog's RAM presets (one query, cached until the catalog changes): slug -> {"name", "channels",
    "memory_type", "workload": the fields an offload plan reads}."""

    def load():
        return {
            r.slug: {
                "name": r.name,
                "channels": r.channels,
                "memory_type": r.memory_type,
                "workload": r.workload_fields(),
            }
            for r in RamPreset.objects.only("slug", "name", "channels", "memory_type", "bandwidth_gb_s")
        }

    return cache.get_or_compute("ram-platforms", "", load)


def most_ram_gb(preset: str | None) -> int | None:
    """The most RAM a platform with this RAM type takes (None: more than RAM_SIZES_GB's largest); no type asked,
    the calculator's default, two channels of DDR5."""
    if preset is None:
        return DUAL_CHANNEL_MAX_GB[DEFAULT_TYPE]
    row = platforms().get(preset)
    if row is None or row["channels"] > 2:
        return None
    return DUAL_CHANNEL_MAX_GB.get(row["memory_type"])


def offered_sizes(preset: str | None) -> list[int]:
    """The RAM sizes asked with a RAM type: those it holds; no type asked, every size (`read_at`)."""
    most = most_ram_gb(preset)
    if most is None or (preset is None and BEYOND_DESKTOP in platforms()):
        return list(RAM_SIZES_GB)
    return [gb for gb in RAM_SIZES_GB if gb <= most]


def read_at(preset: str | None, ram_gb: int) -> str | None:
    """The RAM preset a size is read at: the one asked; none asked, the calculator's default (None) up to what
    two channels take, BEYOND_DESKTOP above it."""
    if preset is not None or ram_gb <= DUAL_CHANNEL_MAX_GB[DEFAULT_TYPE]:
        return preset
    return BEYOND_DESKTOP


def _least_ram(model, quant, devices, need, sizes, workload) -> tuple | None:
    """(the recommended plan, the RAM in GB) at the least of `sizes` that holds the model on `devices`,
    trying TRIED_SIZES from the lower bound up; None when none of them does."""
    gpu_bytes = sum(d.usable_bytes for d in devices)
    sizes = [gb for gb in sizes if gpu_bytes + gb * GIB >= need][:TRIED_SIZES]
    for gb in sizes:
        asked = workload(gb)
        if holds(model=model, quant=quant, devices=devices, workload=asked):
            plan = recommended(model=model, quant=quant, devices=devices, workload=asked)
            return (plan, gb) if plan is not None else None
    return None
