"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 86% of one-device decode rows, 88% of multi-GPU rows, 87% of prefill rows and 86% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.071, 0.105),
    "gddr/cuda/moe": (-0.093, 0.178),
    "gddr/rocm/dense": (-0.199, 0.266),
    "gddr/sycl/dense": (-0.225, 0.132),
    "gddr/vulkan/dense": (-0.149, 0.349),
    "gddr/vulkan_intel/dense": (-0.087, 0.2),
    "hbm/cuda/dense": (-0.106, 0.365),
    "hbm/cuda/moe": (-0.152, 0.047),
    "lpddr/metal/dense": (-0.079, 0.125),
    "lpddr/metal/moe": (-0.214, 0.097),
    "lpddr/mlx/dense": (-0.108, 0.018),
    "lpddr/mlx/moe": (-0.105, 0.21),
    "lpddr_two_die/metal/dense": (-0.084, 0.176),
    "decode": (-0.152, 0.234),
    "multi_gpu": (-0.159, 0.264),
    "prefill": (-0.36, 0.767),
    "vllm_tp": (-0.471, 0.991),
    "*/cuda/*": (-0.13, 0.244),
    "*/cuda_pascal/*": (-0.027, 0.413),
    "*/metal/*": (-0.145, 0.148),
    "*/mlx/*": (-0.105, 0.15),
    "*/rocm/*": (-0.138, 0.239),
    "*/sycl/*": (-0.196, 0.501),
    "*/vulkan/*": (-0.166, 0.234),
    "*/vulkan_intel/*": (-0.087, 0.2),
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
