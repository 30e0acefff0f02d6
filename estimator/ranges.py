"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 85% of one-device decode rows, 86% of multi-GPU rows, 90% of prefill rows and 86% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.071, 0.176),
    "gddr/cuda/moe": (-0.097, 0.237),
    "gddr/rocm/dense": (-0.198, 0.294),
    "gddr/vulkan/dense": (-0.172, 0.342),
    "hbm/cuda/dense": (-0.11, 0.091),
    "hbm/cuda/moe": (-0.178, 0.056),
    "lpddr/metal/dense": (-0.082, 0.093),
    "lpddr/metal/moe": (-0.254, 0.198),
    "lpddr/mlx/dense": (-0.164, 0.077),
    "lpddr/mlx/moe": (-0.12, 0.19),
    "lpddr_two_die/metal/dense": (-0.071, 0.206),
    "decode": (-0.166, 0.316),
    "multi_gpu": (-0.196, 0.342),
    "prefill": (-0.396, 0.773),
    "vllm_tp": (-0.477, 0.97),
    "*/cuda/*": (-0.141, 0.183),
    "*/cuda_pascal/*": (-0.01, 0.293),
    "*/metal/*": (-0.15, 0.171),
    "*/mlx/*": (-0.12, 0.527),
    "*/rocm/*": (-0.162, 0.245),
    "*/sycl/*": (-0.234, 0.202),
    "*/vulkan/*": (-0.173, 0.242),
    "*/vulkan_intel/*": (-0.181, 1.692),
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
