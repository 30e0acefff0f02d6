"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 88% of one-device decode rows, 86% of multi-GPU rows, 90% of prefill rows and 86% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.088, 0.086),
    "gddr/cuda/moe": (-0.088, 0.183),
    "gddr/cuda_pascal/dense": (-0.066, 0.199),
    "gddr/rocm/dense": (-0.198, 0.662),
    "gddr/sycl/dense": (-0.227, 0.134),
    "gddr/vulkan/dense": (-0.161, 0.367),
    "gddr/vulkan_intel/dense": (-0.09, 0.192),
    "hbm/cuda/dense": (-0.094, 0.352),
    "hbm/cuda/moe": (-0.152, 0.054),
    "hbm/rocm/dense": (-0.295, 0.8),
    "lpddr/metal/dense": (-0.079, 0.113),
    "lpddr/metal/moe": (-0.212, 0.102),
    "lpddr/mlx/dense": (-0.109, 0.019),
    "lpddr/mlx/moe": (-0.104, 0.213),
    "lpddr_two_die/metal/dense": (-0.086, 0.174),
    "decode": (-0.144, 0.234),
    "multi_gpu": (-0.181, 0.243),
    "prefill": (-0.319, 0.583),
    "vllm_tp": (-0.47, 0.987),
    "*/cuda/*": (-0.128, 0.234),
    "*/cuda_pascal/*": (-0.102, 0.199),
    "*/metal/*": (-0.146, 0.146),
    "*/mlx/*": (-0.106, 0.147),
    "*/rocm/*": (-0.141, 0.249),
    "*/sycl/*": (-0.199, 0.506),
    "*/vulkan/*": (-0.158, 0.234),
    "*/vulkan_intel/*": (-0.084, 0.192),
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
