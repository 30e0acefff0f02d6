"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 87% of one-device decode rows, 87% of multi-GPU rows, 89% of prefill rows and 86% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.057, 0.103),
    "gddr/cuda/moe": (-0.079, 0.195),
    "gddr/rocm/dense": (-0.203, 0.27),
    "gddr/sycl/dense": (-0.211, 0.118),
    "gddr/vulkan/dense": (-0.156, 0.345),
    "gddr/vulkan_intel/dense": (-0.1, 0.22),
    "hbm/cuda/dense": (-0.098, 0.087),
    "hbm/cuda/moe": (-0.163, 0.076),
    "lpddr/metal/dense": (-0.077, 0.106),
    "lpddr/metal/moe": (-0.216, 0.118),
    "lpddr/mlx/dense": (-0.116, 0.021),
    "lpddr/mlx/moe": (-0.107, 0.206),
    "lpddr_two_die/metal/dense": (-0.085, 0.177),
    "decode": (-0.148, 0.224),
    "multi_gpu": (-0.151, 0.217),
    "prefill": (-0.35, 0.607),
    "vllm_tp": (-0.474, 0.992),
    "*/cuda/*": (-0.123, 0.158),
    "*/cuda_pascal/*": (-0.01, 0.447),
    "*/metal/*": (-0.148, 0.149),
    "*/mlx/*": (-0.107, 0.155),
    "*/rocm/*": (-0.136, 0.257),
    "*/sycl/*": (-0.208, 0.427),
    "*/vulkan/*": (-0.165, 0.233),
    "*/vulkan_intel/*": (-0.1, 0.465),
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
