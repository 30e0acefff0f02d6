"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 88% of one-device decode rows, 87% of multi-GPU rows, 89% of prefill rows and 86% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.106, 0.084),
    "gddr/cuda/moe": (-0.142, 0.183),
    "gddr/cuda_pascal/dense": (-0.065, 0.204),
    "gddr/rocm/dense": (-0.199, 0.665),
    "gddr/sycl/dense": (-0.227, 0.133),
    "gddr/vulkan/dense": (-0.173, 0.731),
    "gddr/vulkan_intel/dense": (-0.083, 0.201),
    "hbm/cuda/dense": (-0.113, 0.353),
    "hbm/cuda/moe": (-0.148, 0.09),
    "hbm/rocm/dense": (-0.276, 0.226),
    "lpddr/metal/dense": (-0.079, 0.11),
    "lpddr/metal/moe": (-0.214, 0.158),
    "lpddr/mlx/dense": (-0.111, 0.02),
    "lpddr/mlx/moe": (-0.105, 0.211),
    "lpddr_two_die/metal/dense": (-0.085, 0.176),
    "decode": (-0.148, 0.236),
    "multi_gpu": (-0.175, 0.259),
    "prefill": (-0.335, 0.651),
    "vllm_tp": (-0.471, 0.99),
    "*/cuda/*": (-0.126, 0.218),
    "*/cuda_pascal/*": (-0.107, 0.204),
    "*/metal/*": (-0.147, 0.147),
    "*/mlx/*": (-0.105, 0.149),
    "*/rocm/*": (-0.145, 0.254),
    "*/sycl/*": (-0.199, 0.511),
    "*/vulkan/*": (-0.167, 0.358),
    "*/vulkan_intel/*": (-0.08, 0.258),
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
