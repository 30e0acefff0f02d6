"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 85% of one-device decode rows, 80% of multi-GPU rows, 89% of prefill rows and 85% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.073, 0.17),
    "gddr/cuda/moe": (-0.078, 0.263),
    "gddr/rocm/dense": (-0.207, 0.294),
    "gddr/vulkan/dense": (-0.161, 0.345),
    "hbm/cuda/dense": (-0.095, 0.087),
    "hbm/cuda/moe": (-0.169, 0.052),
    "lpddr/metal/dense": (-0.084, 0.089),
    "lpddr/metal/moe": (-0.253, 0.179),
    "lpddr/mlx/dense": (-0.114, 0.049),
    "lpddr/mlx/moe": (-0.214, 0.176),
    "lpddr_two_die/metal/dense": (-0.059, 0.212),
    "decode": (-0.161, 0.302),
    "multi_gpu": (-0.22, 0.482),
    "prefill": (-0.388, 0.767),
    "vllm_tp": (-0.473, 0.996),
    "*/cuda/*": (-0.128, 0.178),
    "*/cuda_pascal/*": (-0.01, 0.659),
    "*/metal/*": (-0.139, 0.178),
    "*/mlx/*": (-0.117, 0.825),
    "*/rocm/*": (-0.193, 0.225),
    "*/sycl/*": (-0.222, 0.302),
    "*/vulkan/*": (-0.166, 0.249),
    "*/vulkan_intel/*": (-0.16, 1.204),
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
