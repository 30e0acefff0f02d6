"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 81% of one-device decode rows, 84% of multi-GPU rows, 89% of prefill rows and 84% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.115, 0.461),
    "gddr/cuda/moe": (-0.274, 0.418),
    "gddr/rocm/dense": (-0.212, 0.251),
    "gddr/vulkan/dense": (-0.155, 0.352),
    "hbm/cuda/dense": (-0.144, 0.084),
    "hbm/cuda/moe": (-0.139, 0.215),
    "lpddr/metal/dense": (-0.091, 0.096),
    "lpddr/mlx/moe": (-0.141, 0.178),
    "lpddr_two_die/metal/dense": (-0.087, 0.321),
    "decode": (-0.186, 0.503),
    "multi_gpu": (-0.186, 0.387),
    "prefill": (-0.386, 0.924),
    "vllm_tp": (-0.473, 1.135),
    "*/cuda/*": (-0.148, 0.366),
    "*/metal/*": (-0.091, 0.151),
    "*/mlx/*": (-0.141, 0.766),
    "*/rocm/*": (-0.193, 0.251),
    "*/sycl/*": (-0.27, 0.753),
    "*/vulkan/*": (-0.176, 0.257),
    "*/vulkan_intel/*": (-0.134, 1.601),
}


def speed_range(value: float | None, speed_class: str) -> tuple[float | None, float | None]:
    """Where the real speed likely lies given the estimate and the held-out errors of its class: the
    class's own ("gddr/cuda/dense"); for a class with too few rows of its own, the wider of its kernels'
    ("*/cuda/*") and every single-GPU decode row's: an unfamiliar device may miss like any device."""
    if value is None:
        return None, None
    own = ERROR_RANGES.get(speed_class)
    if own is None:
        parts = speed_class.split("/")
        kernels_class = ERROR_RANGES.get(f"*/{parts[1]}/*") if len(parts) == 3 else None
        ranges = [r for r in (kernels_class, ERROR_RANGES["decode"]) if r]
        own = (min(r[0] for r in ranges), max(r[1] for r in ranges))
    low, high = own
    return value / (1 + high), value / (1 + low)
