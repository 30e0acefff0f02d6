"""bench/accuracy.py, step 2 of 5: the engine's constants (`ENGINE_MODULES`; and the bench's `SERVING`) that a fit
may move, each with its prior and physical range, and the Levenberg–Marquardt fit that moves them.
"""

import ast
import functools
import inspect
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from accuracy_predict import SERVING, Prepared
from speed_rows import Measurement

from estimator import Workload, fixed_costs, kv_reads, prefill, speed, timing

# ---- What is fitted ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One fitted constant: where it lives (a table of one of `ENGINE_MODULES`, or accuracy_predict.py's
    `SERVING`), its prior value and spread (a weak pull where rows are few), its physical range, and the rows that
    fit it."""

    table: str
    key: object  # dict key, or None for a module-level float
    prior: float
    sigma: float  # of log(value / prior)
    low: float
    high: float
    group: str  # decode, prefill, vllm_tp

    @property
    def name(self) -> str:
        return f"{self.table}[{self.key!r}]" if self.key is not None else self.table

    def _module(self) -> object:
        """The engine module that defines the constant (the fit sets it there, where the formulas read it)."""
        return next(m for m in ENGINE_MODULES if self.table in _assigned(m))

    def _owner(self) -> object:
        return SERVING if self.table == "SERVING" else getattr(self._module(), self.table)

    def get(self) -> float:
        owner = self._owner()
        if self.key is None:
            return owner  # type: ignore[return-value]
        return owner.get(self.key, self.prior)  # type: ignore[attr-defined]

    def set(self, value: float) -> None:
        if self.key is None:
            setattr(self._module(), self.table, value)
        else:
            self._owner()[self.key] = value  # type: ignore[index]


# Where the fitted constants live: the weights' shares (speed.py), a prompt's own (prefill.py), the KV cache's
# (kv_reads.py), the fixed costs per step (fixed_costs.py) and vLLM's host and all-reduce times (timing.py).
ENGINE_MODULES = (speed, prefill, kv_reads, fixed_costs, timing)


@functools.cache
def _assigned(module: object) -> frozenset[str]:
    """The names `module` assigns at its top level (not those it imports from another)."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    targets = [t for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
    targets += [n.target for n in tree.body if isinstance(n, ast.AnnAssign)]
    return frozenset(t.id for t in targets if isinstance(t, ast.Name))


KERNELS = ("cuda", "cuda_pascal", "rocm", "vulkan", "vulkan_intel", "sycl", "metal", "mlx")
# llama.cpp kernel families with decode rows at a depth without flash attention (kv_reads.NO_FLASH_KV_EFFICIENCY)
NO_FLASH_FITTED = ("cuda", "rocm", "vulkan", "metal")
# Format families with their own kernel efficiency. MXFP4 is left at the legacy quants' (its blocks are
# Q4_0's with a power-of-two scale): every MXFP4 row is gpt-oss, an MoE, so its own factor could not be told
# apart from the MoE constants.
FAMILIES = ("kquant", "float", "bf16", "mlx")
# Decode format shares known before any row is fitted. SYCL's BF16 on the mat-vec kernel llama.cpp PR 21580 gave it
# (https://github.com/ggml-org/llama.cpp/pull/21580): the PR measured "~14% memory bandwidth utilization" before and
# a "~4x tg speedup" after on an Arc Pro B70, ~0.56 of the spec, 0.74 of SYCL's legacy-quant share (0.756). Every
# SYCL BF16 row but one is of a build before the PR (`speed.SYCL_BF16_GEMM_SHARE`); the one after (bosd's B70,
# Qwen3-4B BF16, December 2026's fourteenth data pass) moves it to 0.91.
FORMAT_PRIORS: dict[tuple[str, str], float] = {("bf16", "sycl"): 0.74}
# A kernel family's K-quant share before its own rows say otherwise. Q4_K and Q5_K pack 256 weights in eight
# sub-blocks with 6-bit scales and mins, Q6_K in sixteen with 8-bit scales and the weights' high bits in a
# separate array: more to unpack per byte than Q4_0's one scale per 32 weights, and every family with rows of
# both reads them at less than its legacy-quant share (fitted from a prior of 1): CUDA 0.90, ROCm 0.83, Vulkan
# 0.95, SYCL 0.85, Metal 0.95, Pascal 0.71, Intel's Vulkan 0.72 (geometric mean 0.84). A family whose K-quant
# rows come from one device (the Arc Pro B70's on Intel's Vulkan) fell to the legacy quants' 1 with that
# device held out; it now falls to 0.85.
FAMILY_PRIORS = {"kquant": 0.85}
# Prompt shares known before any row is fitted. llama.cpp's CUDA backend on pre-Volta parts has no tensor cores,
# and GP100 (Tesla P100, compute capability 6.0) not even __dp4a: `ggml_cuda_should_use_mmq` (ggml-cuda/mmq.cu)
# returns false below GGML_CUDA_CC_DP4A (6.1), so there a prompt batch is dequantized and multiplied by cuBLAS
# at the listed FP16 rate, of which a large GEMM reaches most: 0.9, not the tensor-core kernels' 0.5.
# The P100 is the only pre-Volta device with prompt rows, so held out its prompts are this prior.
# MLX's GEMMs run on the same Apple GPU simdgroup-matrix units (8x8 simdgroup_multiply_accumulate tiles) as llama.cpp's
# Metal kernel_mul_mm, so MLX's prompt share starts from Metal's fitted one (0.69-0.72), not the generic 0.5: the M4
# Max is the only device with MLX prompt rows, so held out they are this prior.
# llama.cpp's Vulkan prompts on Intel's matrix engines (XMX through VK_KHR_cooperative_matrix, Xe2 only:
# `hardware.prompt_kernels`) run on the same XMX engines as its SYCL backend's, so Intel's Vulkan share starts
# from SYCL's fitted one (0.20-0.21), not the generic 0.5: the Arc Pro B70 is the only device with such rows (the
# Alchemist cards' Vulkan prompts run on the shaders, with AMD's Vulkan share), so held out they are this prior.
PREFILL_PRIORS = {"cuda_pascal": 0.9, "mlx": 0.7, "vulkan_intel": 0.2}
# Alchemist's GDDR6 share of a GDDR card's (`speed.MEMORY_EFFICIENCY["gddr_xe_hpg"]`) before its rows say otherwise:
# FluidX3D (an OpenCL lattice Boltzmann code, bound by memory: 77 bytes a cell update in FP32/FP16S, 5.3 FLOPs a byte)
# runs at 63% of the spec bandwidth on an Arc A770 LE (560 GB/s), 65% on an A750 LE and 58% on an A580 (512), and at
# 85-88% on the Xe2 cards, B580 LE, B570, Arc Pro B60 and B50 (README.md's table at ProjectPhysX/FluidX3D 01d3cdda,
# FP32/FP16S column; the FP32/FP32 column gives 73-76% against 84-87%). 63 ÷ 87 = 0.72. The A770 is the only
# Alchemist device with rows, so held out it takes this prior (1 before: a GDDR card's share, +45-60% on its rows).
ALCHEMIST_MEMORY_PRIOR = 0.72
# MLA's attention arithmetic at decode per kernel family, from its rows at depth (kv_reads.MLA_ATTENTION_SHARE)
MLA_ATTENTION_PRIOR = {"rocm": 0.066, "vulkan": 0.056, "mlx": 0.26}
US = 1e-6
VLLM = Workload(runtime="vllm")  # what `_uses` asks timing.vllm_custom_all_reduce about a vLLM row


def param_universe() -> list[Param]:
    """Every constant the bench may fit, at its prior."""
    out = [
        Param("MEMORY_EFFICIENCY", "hbm", 0.6, 1.0, 0.1, 1.0, "decode"),
        # bytes in flight per SM (AMD: CU) per clock on listed HBM parts (speed.py): a weak prior, the rows decide
        *(Param("HBM_BYTES_PER_SM_CYCLE", v, 7.0, 1.0, 1.0, 60.0, "decode") for v in ("nvidia", "amd")),
        Param("MEMORY_EFFICIENCY", "lpddr", 0.9, 1.0, 0.3, 1.0, "decode"),
        Param("MEMORY_EFFICIENCY", "lpddr_two_die", 0.8, 1.0, 0.3, 1.0, "decode"),
        # Alchemist's share of GDDR's (speed.py): prior FluidX3D's Alchemist-to-Xe2 ratio (`ALCHEMIST_MEMORY_PRIOR`),
        # with a format share's spread (the A770's rows decide it in-sample), kept off the range's edge, where the
        # fit's logistic coordinate saturates
        Param("MEMORY_EFFICIENCY", "gddr_xe_hpg", ALCHEMIST_MEMORY_PRIOR, 1.5, 0.3, 1.2, "decode"),
        *(Param("BACKEND_EFFICIENCY", k, 0.8, 1.0, 0.2, 0.95, "decode") for k in KERNELS),
        *(Param("KV_EFFICIENCY", k, 0.8, 1.0, 0.1, 1.0, "decode") for k in KERNELS),
        # attention's arithmetic at decode, a share of the FP16 matrix rate (kv_reads.py): priors the MLA rows' own
        # arithmetic (0.3 elsewhere, where it binds only on MLA's absorbed attention); fitted per kernel family on them
        *(
            Param("MLA_ATTENTION_SHARE", k, MLA_ATTENTION_PRIOR.get(k, 0.3), 1.0, 0.01, 1.0, "decode")
            for k in kv_reads.MLA_ATTENTION_SHARE
        ),
        # without flash attention (kv_reads.py): general mat-vecs over head-strided views, a fifth of the rate, each
        # kernel family with rows of its own fitted on them (Pascal, Intel's Vulkan and SYCL have none: 0.2, unfitted)
        *(Param("NO_FLASH_KV_EFFICIENCY", k, 0.2, 1.0, 0.02, 1.0, "decode") for k in NO_FLASH_FITTED),
        *(Param("LAYER_SECONDS", k, 40 * US, 3.0, 1 * US, 400 * US, "decode") for k in KERNELS),
        *(Param("MOE_LAYER_SECONDS", k, 60 * US, 3.0, 1 * US, 1000 * US, "decode") for k in KERNELS),
        # MLX's host time a kernel (fixed_costs.py): prior mlx-lm 0.31.3's tiny models on an M5 Max and an M1 Ultra
        # (lablup/mlxcel's pylm tables), 3.3-3.7 and 6.9-7.9 us a counted kernel, their geometric mean; the spread
        # is half of that ratio in log. Only the M3 Ultra's rows are host-bound, so held out they take this prior.
        Param("MLX_HOST_KERNEL_SECONDS", None, 5.0 * US, 0.4, 0.5 * US, 50 * US, "decode"),
        # Intel's Windows Vulkan driver's MoE layers (fixed_costs.moe_layer_family): the same prior
        Param("MOE_LAYER_SECONDS", "vulkan_intel_windows", 60 * US, 3.0, 1 * US, 1000 * US, "decode"),
        Param("EXPERT_EFFICIENCY", None, 0.8, 1.0, 0.2, 1.0, "decode"),
        # a Gated DeltaNet layer's extra launches, in attention layers' fixed time (fixed_costs.py): a weak prior
        Param("LINEAR_LAYER_KERNELS", None, 1.0, 3.0, 0.01, 10.0, "decode"),
        # SYCL's batched Level Zero launches on Xe2 before oneAPI 2025.3, per layer (fixed_costs.py): a weak prior
        Param("SYCL_BATCHED_SUBMIT_SECONDS", None, 60 * US, 3.0, 1 * US, 1000 * US, "decode"),
        # llama.cpp's CUDA host time a layer before graphs (fixed_costs.py): issue 6763's H100 PCIe, 218 us a layer; the
        # host's CPU sets it, so a spread of a factor of two
        Param("CUDA_HOST_LAYER_SECONDS", None, 218 * US, 0.7, 20 * US, 2000 * US, "decode"),
        # at most the K-quants' own share: a 2- or 3-bit code takes more arithmetic a byte than Q4_K's, never less
        Param("LOW_BIT_KQUANT_EFFICIENCY", None, 1.0, 1.5, 0.2, 1.0, "decode"),
        # a dp4a Pascal part's mat-vec: the share of its SMs' issue rate the loop reaches (speed.py); a weak prior at
        # the range's middle in log (off its edge, where the fit's logistic coordinate saturates): the rows decide
        Param("PASCAL_MATVEC_ISSUE_SHARE", None, 0.45, 3.0, 0.2, 1.0, "decode"),
        # the share of its FP32 lanes' issue rate Vulkan's float mat-vec reaches on AMD and NVIDIA GPUs (speed.py): prior the
        # CUDA Pascal loop's fitted share, 0.637 (`PASCAL_MATVEC_ISSUE_SHARE`), spread the gap between the two parts whose
        # rows pin it (RX 5700 XT 0.70, GTX 1080 Ti 0.53)
        Param("DMMV_ISSUE_SHARE", None, 0.637, 0.3, 0.2, 1.0, "decode"),
        # Intel's scalar flash attention at decode, a share of the vector rate (kv_reads.py): the prior is the Arc Pro
        # B70's Llama 2 7B row alone (2.9 × 10^11 FLOPs a second of 45.9 × 10^12), the one row without GQA packing
        Param("INTEL_FA_VECTOR_SHARE", None, 0.0063, 1.0, 0.0005, 0.1, "decode"),
        # SYCL's tile flash attention at decode, FLOP/s per work-item (kv_reads.py): the prior is Vulkan's scalar shader's
        # pace per invocation on the same vector engines (`INTEL_FA_VECTOR_SHARE`'s prior × 45.9 TFLOPS ÷ 4,096)
        Param("SYCL_TILE_ITEM_FLOPS", None, 7.06e7, 1.0, 1e7, 1e9, "decode"),
        # Intel's integer-dot mat-vec loads of Q8_0 and MXFP4 (speed.py): the prior is an Arc A770 on Mesa (llama.cpp
        # PR 19988, gpt-oss-20b against Llama 2 7B Q4_0 on one machine); only the Arc Pro B70 has such rows, so held
        # out they take it. The spread: that A770's step unscaled by its Q4_0 row gives 85
        Param("INTEL_MMVQ_LOAD_SLOTS", None, 68.0, 0.25, 10.0, 400.0, "decode"),
        *(
            Param("HANDOFF_SECONDS", k, 100 * US, 3.0, 1 * US, 3000 * US, "decode")
            for k in ("cuda", "cuda_pascal", "rocm", "vulkan")
        ),
        *(
            Param(
                "FORMAT_EFFICIENCY",
                (f, k),
                FORMAT_PRIORS.get((f, k), FAMILY_PRIORS.get(f, 1.0)),
                1.5,
                0.05,
                1.6,
                "decode",
            )
            for f in FAMILIES
            for k in KERNELS
            if k != "mlx"  # MLX runs only its own formats: its backend share is theirs
        ),
        *(
            Param("PREFILL_EFFICIENCY", k, PREFILL_PRIORS.get(k, 0.5), 1.5, 0.02, 1.0, "prefill")
            for k in KERNELS
        ),
        Param("FULL_RATE_PREFILL_FACTOR", None, 0.5, 1.5, 0.05, 1.0, "prefill"),
        # ROCm's quantized prompts: the share of a product's time its weight tiles take to unpack on the vector units
        # (speed.py), a weak prior from the MI300X's and the RX 7900 XTX's rates
        Param("ROCM_UNPACK_SHARE", None, 0.27, 1.0, 0.01, 1.0, "prefill"),
        Param("PREFILL_EXPERT_EFFICIENCY", None, 0.5, 1.5, 0.05, 1.0, "prefill"),
        # each backend's grouped expert kernel, a share of the one above: a pull to 1 where its rows are few
        *(Param("EXPERT_KERNEL_EFFICIENCY", k, 1.0, 0.5, 0.2, 3.0, "prefill") for k in KERNELS),
        # tokens per expert whose products take as long as loading the expert's weight tiles (speed.py)
        Param("EXPERT_TILE_TOKENS", None, 16.0, 1.0, 1.0, 256.0, "prefill"),
        # a prompt's experts one at a time (prefill.py): a gather, a product and a scatter launch, after a host sync
        Param("EXPERT_CALL_SECONDS", None, 20 * US, 1.0, 1 * US, 1000 * US, "prefill"),
        # builds before PR 15525 (prefill.py): a round trip per expert product (two syncs, two small copies) and the
        # host's loop over experts × tokens × experts per token, a scalar loop's nanoseconds an iteration
        Param("MOE_HOST_CALL_SECONDS", None, 30 * US, 2.0, 1 * US, 5000 * US, "prefill"),
        Param("MOE_HOST_ID_SECONDS", None, 2e-9, 2.0, 0.05e-9, 50e-9, "prefill"),
        # a delta-rule chunk's round of small ops, in attention layers' fixed time (prefill.py): a weak prior
        Param("DELTA_CHUNK_LAYERS", None, 1.0, 3.0, 0.01, 20.0, "prefill"),
        Param("PREFILL_PIPELINE_OVERLAP", None, 0.5, 1.5, 0.02, 1.0, "prefill"),
        *(
            Param("ATTENTION_EFFICIENCY", k, 0.3, 1.5, 0.01, 1.0, "prefill")
            for k in KERNELS
            if k not in prefill.VECTOR_ATTENTION_KERNELS
        ),
        Param("VECTOR_ATTENTION_EFFICIENCY", None, 0.3, 1.5, 0.01, 1.0, "prefill"),
        *(
            Param("PREFILL_FORMAT_EFFICIENCY", (f, k), 1.0, 1.5, 0.03, 2.0, "prefill")
            for f in FAMILIES
            for k in KERNELS
            if not (f == "bf16" and k in speed.BF16_CONVERTED_BACKENDS)
        ),
        Param("BF16_PREFILL_EFFICIENCY", None, 1.0, 1.5, 0.03, 2.0, "prefill"),
        Param("BACKEND_EFFICIENCY", "vllm", 0.8, 1.0, 0.2, 0.9, "vllm_tp"),
        # vLLM's custom all-reduce of a decode step's few KB on H100 NVLink: 8.5-11.8 us at TP 2/4/8 (its own
        # unit test, quoted in https://github.com/sgl-project/sglang/pull/2904); kept under 15 us, which the
        # single-stream rows alone would push it past
        Param("VLLM_ALL_REDUCE_SECONDS", None, 10 * US, 3.0, 1 * US, 15 * US, "vllm_tp"),
        # vLLM's host per step by engine, and the V1 output side's floor per token (timing.py)
        *(Param("VLLM_HOST_SECONDS", k, 2e-3, 3.0, 1e-4, 5e-2, "vllm_tp") for k in timing.VLLM_HOST_SECONDS),
        # the floor stays below the fastest one-stream row of an async-scheduling vLLM, Qwen2.5 0.5B on an A100 SXM
        # at 1.83 ms a token (vLLM 0.20.1): a floor above it would cap every small model below what was measured
        Param("VLLM_FRONTEND_SECONDS", None, 1.5e-3, 3.0, 1e-4, 1.8e-3, "vllm_tp"),
        # NCCL's all-reduce of a decode step off NVLink: prior NCCL's own tuning model at TP 8 (timing.py)
        Param("VLLM_NCCL_ALL_REDUCE_SECONDS", None, 20 * US, 3.0, 1 * US, 300 * US, "vllm_tp"),
        # an MLA layer's chain of small kernels under vLLM and SGLang beyond a Llama layer's (fixed_costs.py)
        Param("VLLM_MLA_LAYER_SECONDS", None, 150 * US, 3.0, 1 * US, 1000 * US, "vllm_tp"),
        # bytes in flight per SM per clock of vLLM's products on listed HBM parts (speed.py): prior
        # llama.cpp's NVIDIA figure
        Param("VLLM_BYTES_PER_SM_CYCLE", None, 8.2, 1.0, 1.0, 60.0, "vllm_tp"),
        Param("PREFILL_EFFICIENCY", "vllm", 0.6, 1.5, 0.05, 1.0, "vllm_tp"),
        Param("SERVING", "prompt_tokens_per_output", 1.0, 3.0, 0.1, 100.0, "vllm_tp"),
        Param("SERVING", "sequence_seconds", 50 * US, 3.0, 1 * US, 2e-3, "vllm_tp"),
    ]
    return out


PARAMS = param_universe()
GROUPS = ("decode", "prefill", "vllm_tp")


def _uses(p: Prepared, q: Param) -> bool:
    """Whether row `p` depends on constant `q` (constants no training row uses stay at their prior)."""
    stages = [s for s in p.stages if s.backend != "cpu"]
    keys = {s.backend for s in stages}
    # whose prompt constants: NVIDIA parts on Vulkan prompt with CUDA's (speed.prompt_kernels)
    prompt_keys = {s.prompt_family for s in stages}
    if q.table == "SERVING":  # the serving benchmark's interleaved prompts: not in a single stream
        return p.row.kind == "vllm_tp" and not p.row.single_stream
    if q.table == "VLLM_HOST_SECONDS":  # V0's, or V1's engine core (timing.runtime_step)
        engine = p.row.vllm_engine or timing.VLLM_ENGINE
        return p.row.kind == "vllm_tp" and (engine == "v0") == (q.key == "v0")
    if q.table == "VLLM_FRONTEND_SECONDS":
        return p.row.kind == "vllm_tp" and (p.row.vllm_engine or timing.VLLM_ENGINE) != "v0"
    if q.table == "VLLM_NCCL_ALL_REDUCE_SECONDS":  # vLLM's all-reduce off NVLink (timing.all_reduces_seconds)
        devices = [p.row.device] * p.row.tp
        return (
            p.row.kind == "vllm_tp"
            and p.row.tp > 1
            and not timing.vllm_custom_all_reduce(VLLM, p.row.tp, devices)
        )
    if q.table == "VLLM_MLA_LAYER_SECONDS":
        return any(s.mla_kernels for s in stages if s.backend == "vllm")
    if q.table == "VLLM_BYTES_PER_SM_CYCLE":
        return any(s.sm_ghz for s in stages if s.backend == "vllm")
    if q.table == "BF16_PREFILL_EFFICIENCY":
        return any(s.fmt == "bf16" and s.backend in speed.BF16_CONVERTED_BACKENDS for s in stages)
    # low-bit K-quants take the K-quants' shares, and a share of their own in decode
    fmts = [("kquant" if s.fmt == "kquant_low" else s.fmt, s) for s in stages]
    if q.table == "MLX_HOST_KERNEL_SECONDS":
        return "mlx" in keys
    if q.table == "LINEAR_LAYER_KERNELS":
        return any(s.linear_layers for s in stages)
    if q.table == "SYCL_BATCHED_SUBMIT_SECONDS":
        return any(s.batched_submit for s in stages)
    if q.table == "CUDA_HOST_LAYER_SECONDS":
        return any(s.host_launches for s in stages)
    if q.table == "LOW_BIT_KQUANT_EFFICIENCY":
        return any(s.fmt == "kquant_low" for s in stages)
    if q.table == "PASCAL_MATVEC_ISSUE_SHARE":
        return any(s.matvec_type and not s.emulated_dp4a for s in stages)
    if q.table == "DMMV_ISSUE_SHARE":
        return any(s.float_matvec and s.dmmv_type and s.shader_lanes_tops for s in stages)
    if q.table == "INTEL_MMVQ_LOAD_SLOTS":
        return any(s.integer_dot and s.fmt in speed.INTEL_MMVQ_LOADS_PER_WEIGHT for s in stages)
    if q.table == "SYCL_TILE_ITEM_FLOPS":
        return p.row.decode_depth >= 1024 and any(kv_reads.sycl_tile_decode(s) for s in stages)
    if q.table == "INTEL_FA_VECTOR_SHARE":
        return p.row.decode_depth >= 1024 and any(
            s.backend == "vulkan_intel" and s.flash_attention for s in stages
        )
    # 16-bit weights on Intel's Vulkan read at the Vulkan family's shares (speed.weights_kernels)
    if q.table == "FORMAT_EFFICIENCY":
        return q.key in {(f, speed.weights_kernels(s)) for f, s in fmts}
    if q.table == "BACKEND_EFFICIENCY":
        return q.key in keys | {speed.weights_kernels(s) for s in stages}
    if q.table == "PREFILL_FORMAT_EFFICIENCY":
        return q.key in {(f, s.prompt_family) for f, s in fmts}
    if q.table == "HBM_BYTES_PER_SM_CYCLE":
        return any(s.sm_ghz and speed.hbm_vendor(s.backend) == q.key for s in stages if s.backend != "vllm")
    if q.table == "MEMORY_EFFICIENCY":
        # HBM3e is HBM's share scaled (speed.HBM3E_SHARE): its rows fit HBM's; listed HBM parts fit the SMs' bound
        return q.key in {"hbm" if s.memory == "hbm3e" else s.memory for s in stages if not s.sm_ghz}
    if q.table == "MOE_LAYER_SECONDS":  # Intel's Windows Vulkan rows take their driver's (fixed_costs)
        moe_keys = {fixed_costs.moe_layer_family(s) for s in stages if s.moe_layers}
        return bool(moe_keys) and q.key in moe_keys
    if q.table in (
        "EXPERT_EFFICIENCY",
        "PREFILL_EXPERT_EFFICIENCY",
        "EXPERT_TILE_TOKENS",
    ):
        return any(s.moe_layers for s in stages) and (q.key is None or q.key in keys)
    if q.table == "HANDOFF_SECONDS":
        return len(stages) > 1 and q.key in keys
    if q.table == "KV_EFFICIENCY":
        flash = {s.backend for s in stages if s.flash_attention}
        return q.key in flash and p.row.decode_depth >= 1024
    if q.table == "MLA_ATTENTION_SHARE":  # only MLA's absorbed attention nears the bound: its rows at depth
        return p.row.decode_depth >= 1024 and q.key in {s.backend for s in stages if s.mla_kernels}
    if q.table == "NO_FLASH_KV_EFFICIENCY":
        no_flash = {
            s.backend for s in stages if not s.flash_attention and s.backend not in ("mlx", "vllm", "cpu")
        }
        return q.key in no_flash and p.row.decode_depth >= 1024
    if q.table == "PREFILL_EFFICIENCY":
        return q.key in prompt_keys
    if q.table == "ATTENTION_EFFICIENCY":
        return q.key in prompt_keys and (p.row.depth > 0 or p.row.tokens >= 2048)
    if q.table == "VECTOR_ATTENTION_EFFICIENCY":
        # Intel's Vulkan attention is the decode shader's (prefill.INTEL_FA_PROMPT_OCCUPANCY), not this share
        vector = {s.prompt_family for s in stages if s.backend != "vulkan_intel"}
        vector &= set(prefill.VECTOR_ATTENTION_KERNELS)
        return bool(vector) and (p.row.depth > 0 or p.row.tokens >= 2048)
    if q.table == "EXPERT_KERNEL_EFFICIENCY":
        return any(s.moe_layers and s.prompt_family == q.key for s in stages)
    if q.table == "DELTA_CHUNK_LAYERS":
        return any(s.linear_layers and s.backend not in ("mlx", "vllm") for s in stages)
    if q.table == "EXPERT_CALL_SECONDS":
        return any(s.expert_loop and s.moe_layers for s in stages)
    if q.table in ("MOE_HOST_CALL_SECONDS", "MOE_HOST_ID_SECONDS"):
        return any(s.moe_host_ids and s.moe_layers for s in stages)
    if q.table == "PREFILL_PIPELINE_OVERLAP":
        # no micro-batch in flight where a build waits inside each layer (timing.sequential_prefill_seconds)
        pipelined = not any(s.moe_host_ids for s in stages)
        return len(stages) > 1 and p.row.tokens > p.row.ubatch and pipelined
    if q.table == "FULL_RATE_PREFILL_FACTOR":
        return any(s.full_rate_fp16 for s in stages)
    if q.table == "ROCM_UNPACK_SHARE":
        return any(speed.matrix_unpack_factor(s) > 1 for s in stages)
    return q.key is None or q.key in keys


def reset() -> None:
    """Every constant at its prior: what a fit starts from."""
    for q in PARAMS:
        q.set(q.prior)


def weights(rows: list[Prepared]) -> list[float]:
    """One author's table can hold dozens of rows of one device: each (device, source) pair weighs the
    square root of its row count, so no single table decides a constant."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for p in rows:
        counts[(p.row.device_key, p.row.source)] += 1
    return [counts[(p.row.device_key, p.row.source)] ** -0.25 for p in rows]


# Errors beyond ~15% (decode) or ~30% (prefill, whose spread is wider) count less than their square (soft-L1
# loss): a device whose kernels are broken (BF16 on SYCL), a platform outlier (Windows) or two sources 3× apart
# (8× MI300X DeepSeek V3 pp2048 at 432 and 1,356 tok/s) should not drag the constants everyone else shares.
ROBUST_SCALE = {"decode": 0.15, "prefill": 0.3}


def _residuals(rows: list[Prepared], w: list[float], only: list[int] | None = None) -> np.ndarray:
    """weight × log(estimate ÷ measured) of every row (of rows `only`, when given); for decode in the
    residual form of soft-L1, whose square is 2c²(√(1 + (r/c)²) − 1)."""
    index = range(len(rows)) if only is None else only
    out = []
    for i in index:
        est = rows[i].predict()
        r = math.log(est / rows[i].row.value) if est else 0.0
        c = ROBUST_SCALE.get(rows[i].row.kind)
        if c:
            r = math.copysign(math.sqrt(2 * c * c * (math.sqrt(1 + (r / c) ** 2) - 1)), r)
        out.append(w[i] * r)
    return np.array(out)


def fit(rows: list[Prepared], params: list[Param], *, iterations: int = 60) -> None:
    """Levenberg–Marquardt on log(estimate ÷ measured) and each constant's pull to its prior, in a
    coordinate that maps ℝ onto the constant's physical range (log-scaled); leaves the fitted values in
    place."""
    if not rows or not params:
        return
    w = weights(rows)
    lo = np.array([math.log(q.low) for q in params])
    span = np.array([math.log(q.high) for q in params]) - lo
    prior = np.array([math.log(q.prior) for q in params])
    sigma = np.array([q.sigma for q in params])

    def log_values(u: np.ndarray) -> np.ndarray:
        return lo + span / (1 + np.exp(-u))

    def apply(u: np.ndarray) -> None:
        for q, v in zip(params, log_values(u), strict=True):
            q.set(math.exp(v))

    frac = np.clip((np.array([math.log(q.get()) for q in params]) - lo) / span, 1e-6, 1 - 1e-6)
    u = np.log(frac / (1 - frac))

    def residuals(t: np.ndarray) -> np.ndarray:
        apply(t)
        return np.concatenate([_residuals(rows, w), (log_values(t) - prior) / sigma])

    # a constant moves only the rows that use it: the Jacobian is sparse
    users = [[i for i, p in enumerate(rows) if _uses(p, q)] for q in params]
    r = residuals(u)
    cost = float(r @ r)
    lam = 1e-2
    h = 1e-4
    for _ in range(iterations):
        jac = np.zeros((len(r), len(params)))
        for j, q in enumerate(params):
            t = u.copy()
            t[j] += h
            lv = log_values(t)[j]
            q.set(math.exp(lv))
            if users[j]:
                jac[users[j], j] = (_residuals(rows, w, users[j]) - r[users[j]]) / h
            jac[len(rows) + j, j] = (lv - log_values(u)[j]) / h / sigma[j]
            q.set(math.exp(log_values(u)[j]))
        jtj, jtr = jac.T @ jac, jac.T @ r
        improved = False
        while lam < 1e10:
            step = np.linalg.solve(jtj + lam * (np.diag(np.diag(jtj)) + 1e-9 * np.eye(len(params))), -jtr)
            trial = u + step
            r_trial = residuals(trial)
            c_trial = float(r_trial @ r_trial)
            if c_trial < cost:
                improved = cost - c_trial > 1e-8 * max(cost, 1e-12)
                u, r, cost = trial, r_trial, c_trial
                lam = max(lam / 3, 1e-9)
                break
            lam *= 4
        if not improved:
            break
    apply(u)


def group_of(row: Measurement) -> str:
    return row.kind


def fit_all(prepared: list[Prepared], start: dict[str, float] | None = None) -> None:
    """Decode constants on decode rows, then prefill, then vLLM. Constants no row uses stay at their
    prior; the others start from `start` (the all-row fit, for the held-out folds) or their prior."""
    reset()
    for group in GROUPS:
        rows = [p for p in prepared if group_of(p.row) == group]
        params = [q for q in PARAMS if q.group == group and any(_uses(p, q) for p in rows)]
        if start:
            for q in params:
                q.set(start[q.name])
        fit(rows, params)


def snapshot() -> dict[str, float]:
    return {q.name: q.get() for q in PARAMS}


def restore(values: dict[str, float]) -> None:
    for q in PARAMS:
        q.set(values[q.name])
