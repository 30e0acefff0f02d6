"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 84% of one-device decode rows, 85% of multi-GPU rows, 89% of prefill rows and 85% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.055, 0.111),
    "gddr/cuda/moe": (-0.078, 0.243),
    "gddr/rocm/dense": (-0.201, 0.294),
    "gddr/sycl/dense": (-0.223, 0.107),
    "gddr/vulkan/dense": (-0.16, 0.346),
    "gddr/vulkan_intel/dense": (-0.102, 0.229),
    "hbm/cuda/dense": (-0.105, 0.1),
    "hbm/cuda/moe": (-0.176, 0.06),
    "lpddr/metal/dense": (-0.084, 0.1),
    "lpddr/metal/moe": (-0.247, 0.202),
    "lpddr/mlx/dense": (-0.125, 0.024),
    "lpddr/mlx/moe": (-0.106, 0.208),
    "lpddr_two_die/metal/dense": (-0.089, 0.198),
    "decode": (-0.167, 0.244),
    "multi_gpu": (-0.174, 0.344),
    "prefill": (-0.351, 0.588),
    "vllm_tp": (-0.473, 0.996),
    "*/cuda/*": (-0.14, 0.149),
    "*/cuda_pascal/*": (-0.01, 0.29),
    "*/metal/*": (-0.165, 0.184),
    "*/mlx/*": (-0.112, 0.151),
    "*/rocm/*": (-0.167, 0.229),
    "*/sycl/*": (-0.22, 0.408),
    "*/vulkan/*": (-0.176, 0.245),
    "*/vulkan_intel/*": (-0.133, 0.683),
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
