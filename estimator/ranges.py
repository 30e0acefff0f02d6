"""How far a calibrated speed may be from the real one: the held-out errors of its class, as a range."""

# Where the real speed lies given an estimate: the 5th and 95th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill), widened to bracket the estimate by 1% at least.
# A range is estimate ÷ (1 + high) … estimate ÷ (1 + low); a class without its own range takes the wider of
# its kernels' and every one-device row's. Computed again without each device in turn, these ranges hold the
# measured value for 85% of one-device decode rows, 87% of multi-GPU rows, 90% of prefill rows and 86% of
# vLLM rows (bench/README.md).
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.07, 0.175),
    "gddr/cuda/moe": (-0.098, 0.235),
    "gddr/rocm/dense": (-0.198, 0.293),
    "gddr/vulkan/dense": (-0.171, 0.344),
    "hbm/cuda/dense": (-0.111, 0.088),
    "hbm/cuda/moe": (-0.178, 0.06),
    "lpddr/metal/dense": (-0.082, 0.093),
    "lpddr/metal/moe": (-0.254, 0.198),
    "lpddr/mlx/dense": (-0.16, 0.076),
    "lpddr/mlx/moe": (-0.12, 0.19),
    "lpddr_two_die/metal/dense": (-0.07, 0.207),
    "decode": (-0.163, 0.297),
    "multi_gpu": (-0.193, 0.344),
    "prefill": (-0.393, 0.799),
    "vllm_tp": (-0.477, 0.969),
    "*/cuda/*": (-0.143, 0.181),
    "*/cuda_pascal/*": (-0.01, 0.291),
    "*/metal/*": (-0.15, 0.17),
    "*/mlx/*": (-0.12, 0.522),
    "*/rocm/*": (-0.163, 0.243),
    "*/sycl/*": (-0.234, 0.202),
    "*/vulkan/*": (-0.173, 0.241),
    "*/vulkan_intel/*": (-0.137, 1.162),
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
