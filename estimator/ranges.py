"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 87% of one-device decode rows, 87% of multi-GPU rows, 89% of prefill rows and 85% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "*/cuda/*": (-0.124, 0.214),
    "*/cuda_pascal/*": (-0.119, 0.222),
    "*/metal/*": (-0.149, 0.149),
    "*/mlx/*": (-0.125, 0.168),
    "*/rocm/*": (-0.146, 0.25),
    "*/sycl/*": (-0.197, 0.5),
    "*/vulkan/*": (-0.161, 0.212),
    "*/vulkan_intel/*": (-0.077, 0.259),
    "decode": (-0.147, 0.239),
    "gddr/cuda/dense": (-0.095, 0.082),
    "gddr/cuda/moe": (-0.181, 0.181),
    "gddr/cuda_pascal/dense": (-0.066, 0.222),
    "gddr/rocm/dense": (-0.165, 0.656),
    "gddr/sycl/dense": (-0.226, 0.133),
    "gddr/vulkan/dense": (-0.168, 0.734),
    "gddr/vulkan_intel/dense": (-0.081, 0.203),
    "hbm/cuda/dense": (-0.11, 0.345),
    "hbm/cuda/moe": (-0.149, 0.086),
    "hbm/rocm/dense": (-0.247, 0.209),
    "lpddr/metal/dense": (-0.079, 0.11),
    "lpddr/metal/moe": (-0.215, 0.15),
    "lpddr/mlx/dense": (-0.107, 0.023),
    "lpddr/mlx/moe": (-0.146, 0.223),
    "lpddr_two_die/metal/dense": (-0.085, 0.177),
    "multi_gpu": (-0.17, 0.256),
    "prefill": (-0.333, 0.679),
    "vllm_tp": (-0.473, 0.993),
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
