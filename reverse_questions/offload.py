"""What-hardware's one or two GPUs with system RAM: a mixture of experts run with its experts (or layers) in
the RAM, the usual low-cost way to run DeepSeek R1, Qwen3-235B or gpt-oss-120b (a 3090 and 64 GB run
gpt-oss-120b at about 33 tok/s, by the calculator).

The GPU-only sets are catalog/fitting.py's `what_hardware`; these are asked of the same engine, with the same
workload as the calculator page builds for the set's link (`ram_gb`, `ram_preset`), so each row's Details
reproduces its numbers. The RAM has no price in the catalog: a row's price is its GPUs' alone.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from catalog import fitting
from catalog.fitting import DEFAULTS, DeviceSet, holds, least_bytes_needed, recommended, user_tok_s
from catalog.price_tag import PriceTag
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


@dataclass(frozen=True)
class RamSet(DeviceSet):
    """n identical GPUs and the least system RAM (GB, as the calculator's `ram_gb` reads it) that hold the
    model with an offload plan and reach the target speed."""

    ram_gb: int = 0


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

    def workload(runtime: str, ram_gb: int):
        key = (runtime, ram_gb)
        if key not in workloads:
            asked = fitting.question_workload(ctx=ctx, batch=batch, ram_gb=ram_gb, ram=ram_fields)
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
            found = _least_ram(model, quant, [device] * n, need, lambda gb, r=runtime: workload(r, gb))
            if found is None:
                continue
            plan, ram_gb = found
            if plan.strategy in GPU_ONLY or user_tok_s(plan, batch) < target_tok_s:
                continue
            link = fitting.permalink(
                model=model.slug,
                quant=quant.slug,
                runs=[(device.slug, n)],
                ctx=ctx,
                ram_gb=ram_gb,
                runtime=runtime,
                ram_preset=ram_preset,
                batch=batch,
            )
            total = price.amount_usd * n if price is not None else None
            sets.append(
                RamSet(device, n, plan, total, link, price, runtime=runtime, users=batch, ram_gb=ram_gb)
            )
            break
    sets.sort(key=lambda s: (*_price_key(s.unit_price, s.count), s.count, s.ram_gb, -s.tok_s, s.device.name))
    return sets[:top]


def _price_key(price: PriceTag | None, count: int = 1) -> tuple:
    """How the cheapest ranking orders prices (catalog.fitting.rankings): an old launch price after today's,
    none last."""
    if price is None:
        return (True, False, 0)
    return (False, price.old, price.amount_usd * count)


def _least_ram(model, quant, devices, need, workload) -> tuple | None:
    """(the recommended plan, the RAM in GB) at the least of RAM_SIZES_GB that holds the model on `devices`,
    trying TRIED_SIZES from the lower bound up; None when none of them does."""
    gpu_bytes = sum(d.usable_bytes for d in devices)
    sizes = [gb for gb in RAM_SIZES_GB if gpu_bytes + gb * GIB >= need][:TRIED_SIZES]
    for gb in sizes:
        asked = workload(gb)
        if holds(model=model, quant=quant, devices=devices, workload=asked):
            plan = recommended(model=model, quant=quant, devices=devices, workload=asked)
            return (plan, gb) if plan is not None else None
    return None
