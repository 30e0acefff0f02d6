"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 80% of one-device decode rows, 83% of multi-GPU rows, 90% of prefill rows and 84% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.118, 0.459),
    "gddr/cuda/moe": (-0.202, 0.403),
    "gddr/rocm/dense": (-0.209, 0.258),
    "gddr/vulkan/dense": (-0.157, 0.35),
    "hbm/cuda/dense": (-0.145, 0.08),
    "hbm/cuda/moe": (-0.138, 0.211),
    "lpddr/metal/dense": (-0.086, 0.102),
    "lpddr/metal/moe": (-0.27, 0.183),
    "lpddr/mlx/moe": (-0.211, 0.173),
    "lpddr_two_die/metal/dense": (-0.068, 0.309),
    "decode": (-0.175, 0.459),
    "multi_gpu": (-0.18, 0.389),
    "prefill": (-0.381, 0.797),
    "vllm_tp": (-0.473, 1.136),
    "*/cuda/*": (-0.149, 0.257),
    "*/metal/*": (-0.157, 0.183),
    "*/mlx/*": (-0.121, 0.811),
    "*/rocm/*": (-0.177, 0.265),
    "*/sycl/*": (-0.269, 0.75),
    "*/vulkan/*": (-0.172, 0.311),
    "*/vulkan_intel/*": (-0.174, 1.531),
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
