"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 83% of one-device decode rows, 81% of multi-GPU rows, 89% of prefill rows and 85% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.078, 0.145),
    "gddr/cuda/moe": (-0.076, 0.265),
    "gddr/rocm/dense": (-0.214, 0.29),
    "gddr/vulkan/dense": (-0.163, 0.346),
    "hbm/cuda/dense": (-0.115, 0.083),
    "hbm/cuda/moe": (-0.168, 0.04),
    "lpddr/metal/dense": (-0.083, 0.091),
    "lpddr/metal/moe": (-0.267, 0.199),
    "lpddr/mlx/dense": (-0.116, 0.046),
    "lpddr/mlx/moe": (-0.215, 0.18),
    "lpddr_two_die/metal/dense": (-0.058, 0.211),
    "decode": (-0.169, 0.413),
    "multi_gpu": (-0.222, 0.469),
    "prefill": (-0.386, 0.762),
    "vllm_tp": (-0.472, 0.992),
    "*/cuda/*": (-0.143, 0.179),
    "*/cuda_pascal/*": (-0.01, 0.656),
    "*/metal/*": (-0.17, 0.183),
    "*/mlx/*": (-0.116, 0.826),
    "*/rocm/*": (-0.189, 0.29),
    "*/sycl/*": (-0.197, 0.555),
    "*/vulkan/*": (-0.163, 0.301),
    "*/vulkan_intel/*": (-0.167, 1.592),
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
