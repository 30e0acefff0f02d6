"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 86% of one-device decode rows, 86% of multi-GPU rows, 89% of prefill rows and 85% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.073, 0.178),
    "gddr/cuda/moe": (-0.085, 0.246),
    "gddr/rocm/dense": (-0.201, 0.293),
    "gddr/sycl/dense": (-0.224, 0.104),
    "gddr/vulkan/dense": (-0.161, 0.345),
    "gddr/vulkan_intel/dense": (-0.131, 0.189),
    "hbm/cuda/dense": (-0.108, 0.095),
    "hbm/cuda/moe": (-0.173, 0.053),
    "lpddr/metal/dense": (-0.084, 0.1),
    "lpddr/metal/moe": (-0.247, 0.206),
    "lpddr/mlx/dense": (-0.122, 0.024),
    "lpddr/mlx/moe": (-0.106, 0.208),
    "lpddr_two_die/metal/dense": (-0.089, 0.198),
    "decode": (-0.165, 0.274),
    "multi_gpu": (-0.154, 0.351),
    "prefill": (-0.351, 0.584),
    "vllm_tp": (-0.473, 0.996),
    "*/cuda/*": (-0.141, 0.172),
    "*/cuda_pascal/*": (-0.01, 0.295),
    "*/metal/*": (-0.165, 0.184),
    "*/mlx/*": (-0.113, 0.149),
    "*/rocm/*": (-0.165, 0.231),
    "*/sycl/*": (-0.221, 0.407),
    "*/vulkan/*": (-0.176, 0.248),
    "*/vulkan_intel/*": (-0.158, 0.676),
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
