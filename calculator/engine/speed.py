"""How fast: decode is bound by memory bandwidth (until the batch makes it compute-bound), prefill by compute.

decode step  = Σ over stages max(bytes read ÷ (bandwidth × η_bw), FLOPs ÷ (FLOPS × η_compute))
               + layers × per-layer launch time + hand-offs between stages + tensor-parallel all-reduces
prefill      = Σ over stages max((2 × active params × prompt + attention FLOPs) ÷ (FLOPS × η_prefill),
                                 weights read once per micro-batch ÷ (bandwidth × η_bw))

With B concurrent sequences one step reads the dense weights once, the routed experts that any of the
B tokens picked (1 − (1 − k/E)^B of them) and every sequence's KV cache.
"""

from dataclasses import dataclass

# ---- Calibrated constants -------------------------------------------------------------------------
# Fitted by `bench/accuracy.py --fit` on ../shared/reference/calibration/decode_speed.json (llama.cpp
# llama-bench tg128/pp512 on LLaMA-2-7B: 79 Apple M1–M4 Metal rows, 20 CUDA and 9 Vulkan scoreboard rows).
# Efficiencies are shares of the spec-sheet bandwidth / dense FP16 matrix FLOPS, between 0 and 1; the
# per-layer time is kernel launch and synchronisation that does not shrink with the model (on Metal it
# is what makes Q4_0 reach only ~60% of the bandwidth F16 reaches). ROCm and SYCL have no rows: they take
# Vulkan's efficiencies, and ROCm takes CUDA's per-layer time, since llama.cpp's HIP backend is its CUDA
# code compiled for AMD, with the same kernels and launches. Without it a big-bandwidth AMD part decoding
# a small-active MoE came out purely bandwidth-bound (MI300X, gpt-oss-120b: 1,234 tok/s, 3.75× an H100).
# One public check (llama.cpp issue 20934, RX 7900 XTX, LLaMA 7B Q4_0, ROCm tg128 129–144 tok/s): 123
# tok/s with it, 161 without. The CPU values are not fitted (no rows) and are typical llama.cpp figures.
DECODE_BANDWIDTH_EFFICIENCY = {
    "cuda": 0.93,
    "rocm": 0.64,
    "metal": 0.92,
    "vulkan": 0.64,
    "sycl": 0.64,
    "cpu": 0.70,
}
DECODE_LAYER_SECONDS = {
    "cuda": 60e-6,
    "rocm": 60e-6,
    "metal": 190e-6,
    "vulkan": 0.0,
    "sycl": 0.0,
    "cpu": 5e-6,
}
PREFILL_COMPUTE_EFFICIENCY = {
    "cuda": 0.55,
    "rocm": 0.33,
    "metal": 0.70,
    "vulkan": 0.33,
    "sycl": 0.33,
    "cpu": 0.50,
}
# Relative error of the estimates on those rows (estimate ÷ measured − 1), 10th and 90th percentiles,
# from bench/accuracy.py. A speed range is estimate ÷ (1 + p90) … estimate ÷ (1 + p10).
DECODE_ERROR_P10, DECODE_ERROR_P90 = -0.103, 0.122
PREFILL_ERROR_P10, PREFILL_ERROR_P90 = -0.433, 0.170

# ---- Links --------------------------------------------------------------------------------------
# PCIe 4.0 x16: 31.5 GB/s per direction (../shared/reference/interconnects.json). NVLink: the RTX 3090
# bridge, 56.25 GB/s per direction, the slowest NVLink a user is likely to have (A100/H100 are 300/450).
PCIE_GB_S = 31.5
NVLINK_GB_S = 56.25
# Time for one hop of a small message (a few KiB of activations): a PCIe round trip through the host
# with NCCL is ~10 µs, NVLink peer-to-peer ~3 µs (NCCL all-reduce latency at small sizes).
PCIE_LATENCY_US = 10.0
NVLINK_LATENCY_US = 3.0
# Between machines: 10 GbE (1.25 GB/s) and the TCP round trip llama.cpp's RPC backend pays per hop.
NETWORK_GB_S = 1.25
NETWORK_LATENCY_US = 300.0
# System RAM when the user gives none: dual-channel DDR5-4800, 76.8 GB/s.
DEFAULT_RAM_BANDWIDTH_GB_S = 76.8


@dataclass(frozen=True)
class Stage:
    """Part of the model one device (or the host CPU) runs, and what a token costs there."""

    bandwidth_gb_s: float
    backend: str
    tflops: float | None
    layers: int
    dense_bytes: float  # read once per step: attention, dense MLP, shared experts, output head
    routed_bytes: float  # routed experts resident here
    experts: int
    experts_per_tok: int
    active_params: float  # multiply-adds per token here (MoE: chosen experts only)
    kv_bytes_per_seq: float  # KV read per sequence per step
    attention_flops_per_token2: float = 0.0  # prefill attention FLOPs per (prompt token)²

    def touched_share(self, batch: int) -> float:
        """Share of the routed experts that at least one of `batch` tokens picks."""
        if not self.experts or not self.routed_bytes:
            return 0.0
        p = self.experts_per_tok / self.experts
        return 1 - (1 - p) ** batch


def read_seconds(bytes_read: float, bandwidth_gb_s: float, backend: str) -> float:
    return bytes_read / (bandwidth_gb_s * 1e9 * DECODE_BANDWIDTH_EFFICIENCY[backend])


def compute_seconds(flops: float, tflops: float | None, backend: str) -> float | None:
    if not tflops:
        return None
    return flops / (tflops * 1e12 * PREFILL_COMPUTE_EFFICIENCY[backend])


def decode_step_seconds(stage: Stage, batch: int) -> float:
    """One decode step of `batch` sequences on this stage: the roofline of reads and FLOPs."""
    read = (
        stage.dense_bytes + stage.routed_bytes * stage.touched_share(batch) + batch * stage.kv_bytes_per_seq
    )
    mem_s = read_seconds(read, stage.bandwidth_gb_s, stage.backend)
    flops_s = compute_seconds(2 * stage.active_params * batch, stage.tflops, stage.backend) or 0.0
    return max(mem_s, flops_s) + stage.layers * DECODE_LAYER_SECONDS[stage.backend]


def prefill_seconds(stage: Stage, prompt_tokens: int, ubatch: int = 512) -> float | None:
    flops = 2 * stage.active_params * prompt_tokens + stage.attention_flops_per_token2 * prompt_tokens**2
    c = compute_seconds(flops, stage.tflops, stage.backend)
    if c is None:
        return None
    ubatches = -(-prompt_tokens // ubatch)
    weights = stage.dense_bytes + stage.routed_bytes * stage.touched_share(min(prompt_tokens, ubatch))
    return max(c, ubatches * read_seconds(weights, stage.bandwidth_gb_s, stage.backend))


def transfer_seconds(bytes_: float, gb_s: float, latency_us: float) -> float:
    return latency_us * 1e-6 + bytes_ / (gb_s * 1e9)


def ring_all_reduce_seconds(message_bytes: float, ranks: int, gb_s: float, latency_us: float) -> float:
    """Ring all-reduce: 2 (n − 1) steps, each moving 1/n of the message over the link."""
    if ranks <= 1:
        return 0.0
    steps = 2 * (ranks - 1)
    return steps * latency_us * 1e-6 + steps / ranks * message_bytes / (gb_s * 1e9)


def speed_range(value: float | None, p10: float, p90: float) -> tuple[float | None, float | None]:
    """Where the real speed likely lies given the estimate and the calibration's error percentiles."""
    if value is None:
        return None, None
    return value / (1 + p90), value / (1 + p10)
