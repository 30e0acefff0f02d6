"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 82% of one-device decode rows, 83% of multi-GPU rows, 90% of prefill rows and 84% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.126, 0.429),
    "gddr/cuda/moe": (-0.263, 0.43),
    "gddr/rocm/dense": (-0.216, 0.249),
    "gddr/vulkan/dense": (-0.156, 0.35),
    "hbm/cuda/dense": (-0.251, 0.172),
    "hbm/cuda/moe": (-0.226, 0.209),
    "lpddr/metal/dense": (-0.091, 0.095),
    "lpddr/mlx/moe": (-0.138, 0.183),
    "lpddr_two_die/metal/dense": (-0.087, 0.319),
    "decode": (-0.182, 0.501),
    "multi_gpu": (-0.198, 0.423),
    "prefill": (-0.461, 0.98),
    "vllm_tp": (-0.471, 1.126),
    "*/cuda/*": (-0.205, 0.357),
    "*/metal/*": (-0.091, 0.152),
    "*/mlx/*": (-0.138, 0.759),
    "*/rocm/*": (-0.19, 0.249),
    "*/sycl/*": (-0.27, 0.768),
    "*/vulkan/*": (-0.171, 0.251),
    "*/vulkan_intel/*": (-0.134, 1.622),
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
