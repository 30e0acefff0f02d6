"""How fast a token is made: decode is bound by memory bandwidth plus fixed per-layer costs.

decode step  = Σ over stages [ weights ÷ (bandwidth × η_memory × η_backend × η_format)     (here)
                               + their multiply-adds at the vector rate (quantized weights)  (here)
                               + KV read at the current depth ÷ (bandwidth × η_memory × η_backend × η_kv)
                                 (η_kv: the flash-attention kernel's, or llama.cpp's general kernels':
                                 estimator/kv_reads.py)
                               + layers × per-layer time + MoE layers × per-MoE-layer time
                                 (estimator/fixed_costs.py) ]
               (MLX: at least the host's time to build the step, its kernels × a time each: fixed_costs.py)
               (or the FLOPs ÷ FLOPS when a big batch makes it compute-bound)
               + a hand-off per layer-split boundary (fixed_costs.py), or the all-reduces of tensor parallel
                 (estimator/timing.py, with vLLM's host time per step)
prefill      = estimator/prefill.py, at the dense matrices' share of the matrix rate given here (η_prefill ×
               η_format, `prefill_efficiency`), which a decode step reaches too once a large batch makes it
               compute-bound

With B concurrent sequences one step reads the dense weights once, the routed experts that any of the
B tokens picked (1 − (1 − k/E)^B of them) and every sequence's KV cache.

Every constant here and in those modules is fitted by `bench/accuracy.py --fit` on the published measurements in
../shared/reference/calibration/ and bench/data/public_measurements.json (bench/README.md has the per-class
errors, in-sample and with each device held out); each comment says which rows decide it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import NamedTuple

from . import fixed_costs, kv_reads

# What the hardware and the format are (estimator/hardware.py), imported here for the Stage builders and
# the bench, which read them as speed.memory_class etc.
from .hardware import (  # noqa: F401
    PASCAL_FLOPS_PER_SM_CLOCK,
    TENSOR_WIDTH,
    bf16_prompt_rate,
    clock_ghz,
    emulated_dp4a,
    expert_loop_prompts,
    float_matvec,
    format_family,
    full_rate_fp16,
    graphics_clock_share,
    integer_dot_matvec,
    integer_tops,
    kernels,
    matrix_width,
    memory_class,
    prompt_kernels,
    shader_lanes_tops,
    sm_ghz,
    tensor_width,
    wide_matvec,
)

# ---- Calibrated constants ---------------------------------------------------------------------------
# Fitted together by `bench/accuracy.py --fit` (Levenberg–Marquardt on log error, each constant within its
# physical range) on 1344 published rows of 71 devices; the comments say which rows decide each. Kernel
# families (`kernels()`): llama.cpp's backends, its CUDA code on pre-Volta parts, its Vulkan shaders on Intel
# drivers, MLX, vLLM. CPU values are not fitted (no rows): typical llama.cpp figures.
#
# Decode: achievable bandwidth = spec-sheet bandwidth × MEMORY × BACKEND × FORMAT (each a share).
# MEMORY: on HBM, llama.cpp's mat-vec kernels are bound by the bytes the SMs keep in flight more than by the
# memory: the rate is the soft minimum of the spec bandwidth and the SMs' (AMD: CUs') in-flight rate,
# `HBM_BYTES_PER_SM_CYCLE` × SMs × boost GHz (`hardware.NAMED_PARTS`): 1 ÷ rate² = 1 ÷ bandwidth² + 1 ÷ in-flight².
# pavlokhmel.com's table runs one file on every part: Qwen3.6-27B Q4_K_M at 31 tok/s on a V100 PCIe (897 GB/s,
# 80 SMs × 1.38 GHz), 41 on an A100 PCIe 40 GB (1560, 108 × 1.41), 46 on an A100 SXM (2040, the same SMs), 74 on an
# H100 SXM (3360, 132 × 1.98), 71 on an H200 NVL (4890, 132 × 1.785), 76 on an H200 SXM (4890, 132 × 1.98): 0.25
# to 0.56 of the spec, 5.0 to 6.2 GB/s per SM·GHz once the per-layer times are taken off. One share of the spec
# (0.595 before) put the A100 SXM 12–31% high and the V100 13–25% low held out, and the H200 needed a factor of its
# own. Fitted: NVIDIA 8.9 bytes per SM-cycle (V100, A100, H100, H200 rows), AMD 6.8 per CU-cycle (MI50, MI100,
# MI300X). The exponent 2 is the held-out choice among 1 (the two times added), 2, 4 and a hard minimum: decode
# 7.9% / 26.8%, 7.8% / 26.7%, 7.9% / 26.5%, 8.3% / 27.0%; HBM · CUDA dense 6.9%, 3.5%, 3.2%, 6.6% and MoE 10.7%,
# 12.4%, 15.2%, 16.0% (bench/README.md). The P100's 56 SMs at 1.329 GHz give 655 GB/s of its 732, 0.67 of it: the
# "hbm" share its rows fitted alone (0.66) once its emulated dp4a is priced (`EMULATED_DP4A_OPS`). HBM parts without a
# listed SM count take the "hbm" share (no row left to fit it), HBM3e ones `HBM3E_SHARE` of it. Unified LPDDR boxes reach what GDDR cards do
# (Apple M1–M5, DGX Spark, Strix Halo, Jetson, 780M,
# Lunar Lake); Apple's Ultra chips, two dies whose GPU reads half its bytes across UltraFusion, about 0.8 of
# that (M1, M2 and M3 Ultra rows: 7B Q4_0 at 75–94 tok/s of 800–819 GB/s, the Max chips 61–83 of 400–546).
# vLLM's kernels are not llama.cpp's: it takes 1 (`Stage.memory_efficiency`).
# Intel's first Arc generation ("gddr_xe_hpg": Alchemist, Xe-HPG) reads its GDDR6 at a smaller share than Xe2 cards
# do with the same kernels, on Vulkan and SYCL alike. llama.cpp's Vulkan scoreboard (discussion 10879) runs
# LLaMA-2-7B Q4_0 tg128 at 52.6 tok/s on an A770 (560 GB/s), 70.1 on a B580 (456 GB/s), and kyuz0's B70 table at
# 87.4 (608 GB/s): 0.094 tok/s per GB/s against Xe2's 0.144-0.154, about 0.62 of it; two and three A770s on SYCL
# at default settings (zhaoyshine's bench, PR 22066) decode about 40% below what Xe2's shares give. The memory, not
# llama.cpp, sets it: FluidX3D, an OpenCL code bound by its reads and writes, runs at 63% of the spec bandwidth on an
# A770 LE, 65% on an A750 LE and 58% on an A580, and at 85-88% on the B580, B570, Arc Pro B60 and B50 (FP32/FP16S;
# ProjectPhysX/FluidX3D README.md at 01d3cdda): 0.72, the fit's prior (bench/accuracy_fit.py
# `ALCHEMIST_MEMORY_PRIOR`). Fitted on those rows alone, with a weak pull to that prior; the rows want a little less
# (about 0.61), llama.cpp's kernels losing more on Alchemist than a plain streaming code does. Other Alchemist cards
# (A750, A580, A380, Arc Pro A) take it; held out, the A770 falls to the prior.
HBM3E_SHARE = 3350 / 4890
MEMORY_EFFICIENCY = {
    "gddr": 1.0,
    "gddr_xe_hpg": 0.609,
    "hbm": 0.6,
    "lpddr": 0.966,
    "lpddr_two_die": 0.789,
    "ram": 1.0,
}
HBM_BYTES_PER_SM_CYCLE = {
    "nvidia": 8.98,
    "amd": 6.61,
}
# BACKEND: the share each kernel family reaches on legacy quants (Q4_0/Q8_0, most rows' format): GeForce,
# RTX and Radeon rows of the CUDA/Vulkan scoreboards, the Apple table, the kyuz0 toolboxes (R9700, Strix
# Halo, Arc Pro B70, P100), randomfoo2's table. vLLM: the vLLM rows cannot tell it from its compute (they run
# at ~70 sequences); it sits at the top of its range, 0.9.
BACKEND_EFFICIENCY = {
    "cuda": 0.914,
    "cuda_pascal": 0.805,
    "rocm": 0.903,
    "vulkan": 0.927,
    "vulkan_intel": 0.631,
    "sycl": 0.741,
    "metal": 0.913,
    "mlx": 0.903,
    "vllm": 0.9,
    # llama.cpp's CPU mat-vec on the layers or experts an offload plan keeps in system RAM: this share of the RAM's
    # spec bandwidth (channels x MT/s x 8 bytes, what a visitor's RAM preset gives). Fitted with
    # `fixed_costs.MOE_LAYER_SECONDS["cpu"]` (bench/offload.py --fit, bench/data/offload_runs.json) on two hosts: an
    # RTX 2080 beside an i9-10900X whose quad-channel DDR4 its owner measures at ~102 GB/s (llmfit PRs 755, 774, 775
    # and 778: six -ngl runs of 9B-24B dense models, two --n-cpu-moe runs; llmfit's rate counts the prompt's pass
    # and is compared as such), and an RTX 3080 beside a Ryzen 9 7900X with DDR5-6000 on two channels
    # (sudoingX/qwen38-mtp PR #48: Qwen3.8-27B at -ngl 62 and 50, read against the same card fully resident, since
    # the engine's GPU side is off there by itself). 0.7 (with 10 us) put every run 11-55% fast. Each host left out,
    # the other's fit (0.41, 0.43) misses its runs by 6.6% / 3.2% at the median. Held out: an RTX 4060 Ti at
    # -ngl 52, 64K deep (+32%: the CPU's attention there is priced by its reads only), gpt-oss-20b's MXFP4 experts
    # on the 2080 (+27%).
    "cpu": 0.43,
}
# FORMAT: a format family's kernel efficiency relative to legacy quants, per kernel family (1 where no row
# says otherwise). K-quants unpack more per byte (Llama 3 Q4_K_M rows, Strix Halo and R9700 Q4_K_M rows);
# 16-bit floats need no unpacking on ROCm (on Intel's Vulkan they take the Vulkan family's shares, and SYCL's BF16
# before PR 21580 went through a copy: below). MXFP4 stays at 1: all its rows are gpt-oss, an MoE, so its own
# factor cannot be told apart from the MoE costs below. MLX runs only its own formats: its BACKEND share is
# theirs.
FORMAT_EFFICIENCY: dict[tuple[str, str], float] = {
    ("kquant", "cuda"): 0.926,
    ("kquant", "cuda_pascal"): 0.85,
    ("kquant", "rocm"): 0.843,
    ("kquant", "vulkan"): 0.952,
    ("kquant", "vulkan_intel"): 0.899,
    ("kquant", "sycl"): 0.91,
    ("kquant", "metal"): 0.928,
    ("float", "cuda"): 0.963,
    ("float", "rocm"): 1.07,
    ("bf16", "rocm"): 1.06,
    ("bf16", "vulkan"): 0.888,
    ("bf16", "sycl"): 0.907,
    ("float", "metal"): 0.989,
}
# RDNA 4 on ROCm: llama.cpp's one-token mat-vec runs 8 warps a block there for the legacy quants and the K-quants
# since PR 19478 (March 2026; `hardware.wide_matvec`), where the ROCm shares above come from rows of 1 warp
# (RDNA 3, Strix Halo, the R9700's build 7423 of December 2025). The K-quants then read at the legacy quants' share,
# and both at the gain the PR measured on an R9700: Llama 2 7B Q4_0 tg128 95.05 -> 104.82 tok/s. Counted, not
# fitted: gfx1201's Q4_K_M / Q5_K_M / Q6_K rows (PR 22821 at b9035, PR 23685 of June 2026) and the RX 9070 XT's
# (issue 26663, b10298) ran 11-22% above the K-quant share (`Stage.wide_matvec`).
RDNA4_WIDE_MATVEC_GAIN = 104.82 / 95.05
# SYCL's BF16 decode before llama.cpp PR 21580 (merged 22 May 2026, ggml-org/ggml 807fd144: "BF16 models had no
# dedicated token generation kernel — they fell through to the generic full-GEMM path, resulting in ~14% memory
# bandwidth utilization on Intel Arc GPUs"): at ggml 5bb72360 (the sync of 5 May 2026) `ggml_sycl_mul_mat`
# (ggml/src/ggml-sycl/ggml-sycl.cpp) sends BF16 to neither DMMV (`ggml_sycl_supports_dmmv` lists F16, not BF16)
# nor MMVQ (quantized types only) but to `ggml_sycl_op_mul_mat_sycl`, whose BF16 fast path needs oneDNN
# (`GGML_SYCL_DNNL`, which kyuz0's toolbox does not install: toolboxes/Dockerfile.sycl has the compiler and MKL, not
# oneDNN). Its last branch copies the weights to F32 (`to_fp32_sycl`: 2 bytes read, 4 written a weight) and
# multiplies the copy with oneMKL's SGEMM (4 bytes read): 10 bytes moved for the 2 the file holds, so the weights
# are read at 2/10 of the rate a mat-vec reads them. kyuz0's Arc Pro B70 (build 9039, 6 May 2026): Ministral 3 14B
# BF16 (27.0 GB) at 3.37 tok/s, 8B at 5.43, Qwen3.5-9B at 5.42: 91 GB/s of 608, 0.15 of it, where its Q4_K_M files
# read at 0.6-0.7. Counted, not fitted; it takes the place of the BF16 share (`FORMAT_EFFICIENCY`) for the rows of
# builds before the PR (`Stage.bf16_gemm`, bench/speed_resolve.py). The engine answers for the PR's F16 DMMV kernel,
# whose "~4x tg speedup" the PR measured on this card: ~0.56 of the spec, the BF16 share's prior (bench/accuracy_fit.py
# `FORMAT_PRIORS`). One row of a later build says more: bosd's B70 (trx50-arc-b70-benchmarks) decodes Qwen3-4B BF16
# (8.0 GB) at 52.5 tok/s, 0.70 of the spec, and the fit takes the share to 0.91 of SYCL's legacy-quant share.
SYCL_BF16_GEMM_SHARE = 2 / 10
# Intel's Vulkan reads 16-bit weights as the other vendors' Vulkan drivers do: what sets its own shares apart is the
# quantized kernels. kyuz0's Arc Pro B70 (Mesa, build 9039) reads its BF16 files (Ministral 3 8B and 14B, Qwen3.5-9B)
# at 0.83-0.87 of its 608 GB/s, fixed costs included, where its Llama 2 7B Q4_0 (the float mat-vec, DMMV) reads at
# 0.55 and its Q8_0 and Q4_K_M files (MMVQ) at 0.38-0.46; the Vulkan family's shares put BF16 at 0.83 of the spec
# (`BACKEND_EFFICIENCY["vulkan"]`, the AMD and NVIDIA Vulkan rows, × `FORMAT_EFFICIENCY[("bf16", "vulkan")]`, kyuz0's
# Strix Halo Ministral 3 14B BF16 row). A BF16 or F16 mat-vec loads two bytes and makes one multiply-add a weight;
# Q4_0's shifts, masks, converts and re-centres four nibbles of each 16-bit word, with a scale per 32 weights
# (`dequantize4`, ggml/src/ggml-vulkan/vulkan-shaders/dequant_funcs.glsl at ggml 5bb72360): the work Intel's drivers
# run at the lower share. So 16-bit weights on Intel's Vulkan take the Vulkan family's shares (`weights_kernels`);
# the fitted BF16 share of Intel's own (1.25 of its legacy-quant share) could not be held out: the B70 alone has
# such rows, and with it held out they fell to the prior, 11-17% slow. The evidence is one Xe2 card on Mesa; the rule
# covers every Intel GPU and driver on Vulkan, and F16 and F32 weights ("float"), which no row measures.
FLOAT_READ_FAMILIES = {"vulkan_intel": "vulkan"}
# Intel's Vulkan integer-dot mat-vec (MMVQ, `hardware.integer_dot_matvec`: on Linux's Mesa driver every quantized
# format but Q4_0 and Q5_1) reads at this share of the rate the float mat-vec (DMMV) reads the same format at: its
# workgroups are one subgroup (16 lanes on Xe2, 8 on Alchemist) whatever the matrix, and each product waits for a
# dispatch that quantizes the vector to Q8_1. savvadesogle's Arc A770 on one build (llama.cpp PR 19988, build 8191,
# March 2026), Linux's Mesa (MMVQ for Q4_K and MXFP4) against Windows (where PR 19988 had just turned it off for
# those): Llama 3 8B Q4_K_M 32 vs 52 tok/s, gpt-oss-20b 36 vs 62, Llama 2 7B Q4_0 (DMMV on both) 44 vs 56, so MMVQ
# runs at 0.78 and 0.74 of DMMV once the drivers' common 0.79 is taken off. Taken from there, not fitted (fitted on
# every row it lands at 0.74). kyuz0's Arc Pro B70 on Vulkan (Mesa, build 9039) reads its BF16 files at 0.83-0.87
# of its 608 GB/s, Llama 2 7B Q4_0 at 0.55 with the fixed costs, its Q8_0 and Q4_K_M files (MMVQ) at 0.38-0.46.
INTEL_INTEGER_DOT_EFFICIENCY = 0.78
# Intel's Vulkan before llama.cpp PR 23056 ("vulkan: Block-load Q3_K/Q6_K block data and subtract on 32b ints",
# ggml-org/ggml ebd69f16, 1 June 2026) multiplied every Q3_K and Q6_K matrix with the float mat-vec (DMMV):
# `ggml_vk_should_use_mmvq` (ggml/src/ggml-vulkan/ggml-vulkan.cpp at ebd69f16^) returned false for them first ("General
# performance issue with q3_k and q6_k due to 2-byte alignment"), whatever the vendor. A K-quant file's other
# tensors took MMVQ (`INTEL_INTEGER_DOT_EFFICIENCY`), a Q4_0 file's DMMV, and the Q6_K ones (the output head of every
# quantized file below Q8_0, half the attn_v and ffn_down of a Q4_K_M or Q5_K_M, all of a Q6_K file:
# `quant_mix.q6k_shares`) DMMV's Q6_K shader, whose 2-byte loads Mesa coalesces badly. The PR's own figure, on Intel
# BMG (Xe2) under Mesa: "the switch to MMVQ provides an immediate ~57% perf increase in tg128 for
# unsloth/Qwen3.5-9B-GGUF:Q3_K and ~78% perf increase in tg128 for unsloth/Qwen3.5-9B-GGUF:Q6_K" (and block loads
# ~48% more after): so a Q6_K weight took 1.78 times the time the MMVQ rate gives, taken from there, not fitted (the
# two steps together, 2.63, put the Arc Pro B70's Q5_K_M, Q6_K and dense Q4_K_M rows 9-26% slow held out; see
# bench/README.md). Bench rows only (`Stage.q6k_dmmv`, bench/speed_resolve.py `q6k_dmmv_dated`): the engine answers
# for today's builds, where Xe2 takes MMVQ for Q6_K at any size and other Intel GPUs at k >= 2048.
INTEL_Q6K_DMMV_TIME = 1.78
# ggml-vulkan.cpp's `mul_mat_vec_max_cols`: the widest batch its mat-vec kernels take (more: matrix-matrix)
MATVEC_MAX_BATCH = 8
# K-quants below four bits (Q2_K, Q3_K: "kquant_low") unpack 2- and 3-bit values with 4- and 6-bit sub-block
# scales (Q3_K keeps each weight's high bit in a separate mask), more arithmetic per byte than Q4_K's nibbles, so
# their mat-vec kernels run out of arithmetic before bandwidth: this share of the backend's K-quant share,
# whatever the backend. PR 4766's table (CUDA, one January 2024 build): LLaMA 7B on an RTX 3090 at Q4_0 121.8 tok/s,
# Q3_K_S 87.3, Q2_K 92.7, so per byte Q3_K_S reads at 0.56 and Q2_K at 0.52 of Q4_0's rate where Q4_K_M reads at
# ~0.86 (`FORMAT_EFFICIENCY`); its 3090 rows are left out as a superseded build (bench/speed_rows.py: newer builds
# run the same Q4_0 test at 158-167 tok/s), its Tesla P40 rows (Q2_K 33.5, Q3_K_S 30.9, Q4_0 56.8) stay. Fitted on
# those and the Q3_K_M rows of 2× MI50 (ROCm), 4× P100 and 4× V100 (CUDA), which held it near 0.86 until the 4× P100
# and 4× V100 Qwen3.5-122B Q3_K_M rows ran on their own shape (December 2026) and took it to 0.69. The DGX Spark's
# Q2_K and the Strix Halo's Qwen3-235B Q3_K_M rows want it higher: one share for every kernel family is too coarse.
# CUDA and ROCm now price the arithmetic at the integer rate instead (`LOW_BIT_UNPACK_OPS`); the share is left for
# the other backends, where the Strix Halo's Vulkan row, the one left to fit it, wants it above 1: it stays at its
# bound, the K-quants' own share (a low-bit code takes more arithmetic a byte, never less).
LOW_BIT_KQUANT_EFFICIENCY = 1.0
# On llama.cpp's CUDA backend the low-bit K-quants' extra arithmetic is priced as what it is, not as a share: the
# instructions of unpacking on the SMs' 32-bit integer lanes (`hardware.integer_tops`), on top of the reads at the
# K-quant share. `vec_dot_q2_K_q8_1_impl_mmvq` (ggml/src/ggml-cuda/vecdotq.cuh, unchanged from ggml 5bb72360 to
# a7cf17e7, PR 26843's base) makes 4 weights an iteration from one int of 2-bit codes: a scale byte loaded, masked
# and multiplied, the codes shifted and masked, the min replicated into 4 bytes (a shift, three shift-ors), two dp4a,
# two conversions and two FMAs with the Q8_1 scale: about 16 instructions beyond the loads and the one dp4a Q4_0
# makes of the same 4 weights, 4 a weight (Q3_K's `vec_dot_q3_K_q8_1_impl_mmvq` adds the high-bit mask: no fewer).
# Counted, not fitted. It is why one share could not serve both ends: the DGX Spark (GB10: 48 SMs × 128 lanes ×
# 2.4 GHz, 57 integer instructions per byte of its 273 GB/s) reads Llama 3.1 8B Q2_K at the K-quants' share
# (PR 26843's table: 64.3 tok/s, where the share put it 23% slow), while a V100 (80 × 64 × 1.38 GHz, 8 per byte of
# 897 GB/s) takes 3.6 instructions a weight more than its K-quant reads (4× V100 Qwen3.5-122B Q3_K_M). ROCm builds
# the same kernels through HIP: an AMD GPU's integer rate is a lane a clock, its vector rate ÷
# `VECTOR_FLOPS_PER_LANE_CLOCK` (`integer_rate`; 2× MI50 Llama 4 Scout Q3_K_M, the Strix Halo's Qwen3-235B Q3_K_M).
# Vulkan, Metal and SYCL have their own shaders, and CUDA parts without a listed rate: `LOW_BIT_KQUANT_EFFICIENCY`.
LOW_BIT_UNPACK_OPS = 4.0
LOW_BIT_UNPACK_BACKENDS = ("cuda", "cuda_pascal", "rocm")
# GP100 (Tesla P100, compute capability 6.0) has no `__dp4a`, and llama.cpp's CUDA mat-vec (MMVQ) makes one per 4
# weights of every quantized format. `ggml_cuda_mul_mat` sends a one-token product of a quantized matrix there on
# every NVIDIA part (`ggml_cuda_should_use_mmvq`: no cc 6.0 entry, so `ne11 <= MMVQ_MAX_BATCH_SIZE`), and
# `ggml_cuda_mul_mat_id` an MoE's experts (`ne2 <= get_mmvq_mmid_max_batch`); each `vec_dot_*_q8_1` calls
# `ggml_cuda_dp4a` (common.cuh), which below `GGML_CUDA_CC_DP4A` (610) compiles to `c + a8[0]*b8[0] + a8[1]*b8[1] +
# a8[2]*b8[2] + a8[3]*b8[3]`: 8 signed-byte extractions and 4 multiply-adds (a byte product fits Pascal's 16-bit
# XMAD), about 12 lane instructions where a cc 6.1 part issues one: 11 more (ggml-org/ggml d99724f2, the llama.cpp
# sync of August 2026: src/ggml-cuda/common.cuh, vecdotq.cuh, mmvq.cu, ggml-cuda.cu). Per weight, from
# `vecdotq.cuh`: Q4_0 … Q8_0 (`vec_dot_q8_0_q8_1_impl`: one dp4a per int of 4 weights), MXFP4 (`vec_dot_mxfp4_q8_1`:
# two per 8 weights, after the table lookup, one `__byte_perm` on CUDA), Q3_K, Q6_K and the I-quants one per 4:
# 11 ÷ 4. Q4_K and Q5_K (`vec_dot_q4_K_q8_1_impl_vmmq`) add per 4 weights the sum of the Q8_1 values,
# `ggml_cuda_dp4a(0x01010101, u, …)`, whose constant operand leaves 4 extractions and two three-input adds (5 more
# than a dp4a; one row a block, `calc_rows_per_block`, so no other row shares it): 16 ÷ 4. Q2_K's constant part
# takes a second full one (22 ÷ 4), but the low-bit rows are Q3_K_M files, mostly Q3_K. At GP100's integer rate
# (`hardware.integer_tops`: 56 SMs × 64 lanes × 1.33 GHz, 4.8 T a second) on top of the reads, as the low-bit
# unpacking is: Qwen3.5-9B Q4_K_M, ~8 G weights a token, pays 6.7 ms of the 31 its P100 row takes (pavlokhmel.com:
# 32 tok/s, where a GTX 1080, cc 6.1 at 320 GB/s, makes 28). Counted, not fitted. 16-bit weights take the float
# mat-vec (MMVF): none. Maxwell and older lack dp4a too, but list no integer rate here: none.
EMULATED_DP4A_OPS = {
    "legacy": 11 / 4,
    "mxfp4": 11 / 4,
    "iquant": 11 / 4,
    "kquant": 16 / 4,
    "kquant_low": 11 / 4,
}
# llama.cpp's CUDA mat-vec (MMVQ) on Pascal, by what its loop issues. The loop of `mul_mat_vec_q` over each
# `vec_dot_*_q8_1` (ggml-org/ggml 90509f7f, src/ggml-cuda.cu, January 2024, the build of PR 4766's P40 table; the
# vec_dot code is the same at d99724f2, August 2026, src/ggml-cuda/vecdotq.cuh), compiled (SASS for sm_75, the oldest
# a current disassembler reads), counted per weight (a thread issues 2.5 instructions a weight for Q4_0, 4.9 for Q4_K,
# 5.9 Q2_K, 7.6 Q6_K, 9.5 Q3_K) in `PASCAL_MATVEC_SM_CLOCKS` SM-clocks, each warp-instruction at compute capability
# 6.1's rate per SM a clock (the CUDA C Programming Guide's throughput table): FP32, integer adds, bitwise ops and
# dp4a 128 lanes (¼ clock), shifts, compares, LEA and PRMT 64 (½), conversions (int to float, half to float) 32 (1
# clock), a 32-bit multiply three 16-bit XMADs (¾), a load one clock (32 load/store units). A file's Q6_K tensors
# (`Stage.q6k_dense_share`) take Q6_K's counts, the rest its llama.cpp type's (`MATVEC_FILE_TYPES`: a Q2_K file's
# attn_v, attn_output and ffn_down are Q3_K, 39% of a Llama layer's weights; a Q3_K_M's Q4_K, a Q3_K_L's Q5_K). 16-bit
# weights and the other I-quants: none.
# MXFP4, IQ4_NL and IQ4_XS the same way at the build of the P100's gpt-oss rows (ggml-org/ggml d99724f2, src/ggml-cuda/
# vecdotq.cuh: `vec_dot_mxfp4_q8_1`, `vec_dot_iq4_nl_q8_1`, `vec_dot_iq4_xs_q8_1` unchanged since PR 15451, August
# 2025; the rows' builds are 6830 and 9234), in the same one-warp loop, compiled for sm_75 and weighed at the same
# rates: each 8 codes become their int8 values by 8 `__byte_perm`s (`get_int_from_table_16`, the 16-entry table folded
# into immediates), and MXFP4's 17-byte blocks are read a byte at a time (`get_int_b1`: 8 byte loads for 16 weights).
# A thread issues 5.6 instructions a weight for MXFP4 (one call of 16 weights an iteration, not unrolled), 4.0 for
# IQ4_NL (two calls of 16 unrolled), 3.9 for IQ4_XS (one call of 32); the same harness gives Q4_0 0.042, Q8_0 0.056 and
# Q4_K 0.079 SM-clocks a weight (the table's 2024 counts: 0.044, 0.055, 0.077). A gpt-oss GGUF's MXFP4 is its routed
# experts only: the rest (attention, router, output head) is Q8_0 (`MATVEC_REST_TYPES`).
# - A Pascal part with dp4a (compute capability 6.1: Tesla P40, GTX 10x0, Titan Xp, Quadro P; `matvec_file_type`,
#   `matvec_issue_seconds`): a token's quantized weights take the longer of their reads, at the legacy quants' share
#   whatever the format, and the loop's SM-clocks ÷ (SMs × GHz, the listed FP32 rate ÷ `hardware.
#   PASCAL_FLOPS_PER_SM_CLOCK`) ÷ `PASCAL_MATVEC_ISSUE_SHARE`, the share of its issue rate the loop reaches (its
#   stalls on the loads; fitted). So the legacy quants and Q4_K stay bound by the reads, the 2- and 3-bit codes and
#   Q6_K by the SMs: PR 4766's P40 (30 SMs × 1.53 GHz for 347 GB/s) decodes LLaMA 7B Q4_0 at 56.8 tok/s and Q4_K_S at
#   54.2 (the same bytes), Q2_K and Q3_K_S at 33.5 and 30.9 (fewer); one Pascal K-quant share put Q4_K_S 19% slow and
#   the low-bit files (`LOW_BIT_UNPACK_OPS` on 128 lanes) 44-47% fast. 2026 builds on GeForce cards read Q4_K_M and
#   Q4_K_S files of models with large Q6_K heads: the GTX 1080's Qwen3.5-9B (20 SMs × 1.73 GHz for 320 GB/s, Q6_K a
#   quarter of its weights) came out 13% fast.
# - GP100 (Tesla P100, compute capability 6.0), whose emulated dp4a is priced on top of its reads (`EMULATED_DP4A_OPS`):
#   the loop's SM-clocks beyond Q4_0's on top of them too, in place of a K-quant share, at `GP100_CLOCKS_FACTOR` times
#   cc 6.1's (its SM has half of each rate of the table: 64 FP32 and integer lanes, 16 load/store units).
PASCAL_MATVEC_SM_CLOCKS = {
    "q4_0": 0.0437,
    "q4_1": 0.0393,
    "q5_0": 0.0732,
    "q5_1": 0.0684,
    "q8_0": 0.0554,
    "q2_k": 0.1025,
    "q3_k": 0.1421,
    "q4_k": 0.0767,
    "q5_k": 0.0889,
    "q6_k": 0.1255,
    "mxfp4": 0.0947,
    "iq4_nl": 0.0708,
    "iq4_xs": 0.0647,
}
MATVEC_FILE_TYPES: dict[str, dict[str, float]] = {
    "q2_k": {"q2_k": 0.61, "q3_k": 0.39},
    "q3_k_s": {"q3_k": 1.0},
    "q3_k_m": {"q3_k": 0.61, "q4_k": 0.39},
    "q3_k_l": {"q3_k": 0.61, "q5_k": 0.39},
    "q4_k_s": {"q4_k": 1.0},
    "q4_k_m": {"q4_k": 1.0},
    "q5_k_s": {"q5_k": 1.0},
    "q5_k_m": {"q5_k": 1.0},
    **{t: {t: 1.0} for t in ("q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q6_k", "mxfp4", "iq4_nl", "iq4_xs")},
}
# A file type whose routed experts alone are of it: its other weights' mix (gpt-oss's MXFP4 GGUF, `memory.
# params_by_width`: Q8_0 outside the experts).
MATVEC_REST_TYPES: dict[str, dict[str, float]] = {"mxfp4": {"q8_0": 1.0}}
PASCAL_MATVEC_ISSUE_SHARE = 0.636
GP100_CLOCKS_FACTOR = 2.0
Q6K_BYTES_PER_WEIGHT = 6.5625 / 8
# Arithmetic: a mat-vec kernel multiplies every weight it reads once per step, a multiply-add (2 FLOPs) on the
# vector units after unpacking a quantized weight, and llama.cpp's kernels do not hide all of it behind the
# reads: the step takes that arithmetic at the vector rate on top of the reads. It matters where a GPU has
# little arithmetic for its bandwidth: the Apple table's M1 Max (24-core GPU, 7.8 FP16 TFLOPS for 400 GB/s)
# decodes LLaMA-2-7B Q4_0 at 54.6 tok/s where the M3 Max (40-core, 14.3 TFLOPS, the same 400 GB/s) does 66.3,
# while their Q8_0 − Q4_0 step differences (the same weights, more bytes) both come to ~400 GB/s; without the
# term the M1 and M2 Ultras' Q4_0 rows and 2× MI50's quantized rows (26.8 TFLOPS for 1024 GB/s) came out 15–39%
# fast, their F16 and BF16 rows −9% to +15%. Not fitted: the rows do not pin it (fitted from priors of
# 1, 2 and 4 it lands at 1.0, 1.9 and 3.2, each with the backend shares and per-layer times absorbing the
# rest), so it is the multiply-add's 2 FLOPs. The vector rate is the listed FP16 rate on Apple (its shader
# rate) and the listed rate ÷ `matrix_width` on AMD and Intel; NVIDIA's listed rate is the tensor cores', not
# what its int8 dot-product mat-vec runs on, and MLX overlaps the arithmetic with the reads (without the term
# its share already sits at the range's ceiling, 0.95), so neither takes it. 16-bit weights need no unpacking
# and are read at two bytes a weight: they take none.
UNPACK_FLOPS = 2.0
UNPACK_BACKENDS = ("metal", "rocm", "vulkan", "vulkan_intel", "sycl")
# llama.cpp's Vulkan backend multiplies a one-token step's quantized weights on AMD and NVIDIA GPUs either with its
# integer-dot mat-vec (MMVQ: the vector quantized to Q8_1, dot products of 8-bit values) or with its float mat-vec (DMMV:
# `mul_mat_vec*.comp` dequantizes each weight in the shader, shifts, masks, converts and scales it, and multiplies it by
# the F32 vector with FMAs), as `hardware.float_matvec` says; DMMV was its only quantized mat-vec before PR 14903
# (September 2025). Its instructions a weight, on the FP32 lanes, outlast the weight's read where a GPU has few lanes
# for its bandwidth: the step's quantized weights take the longer of their reads (with `UNPACK_FLOPS`' unpacking, which
# these instructions include) and these instructions at `DMMV_ISSUE_SHARE` of the lanes' issue rate
# (`hardware.shader_lanes_tops`: lanes × boost clock). Counted, per weight, from the shaders at ggml-org/ggml 3b01537d
# (the May 2025 build of the RX 5700 XT's rows) and d99724f2 (August 2026), compiled as vulkan-shaders-gen.cpp compiles
# them (FLOAT_TYPE float, B_TYPE float, NUM_ROWS 2, subgroup 64) and then by Mesa's RADV (ACO, Mesa 22.3, its null
# device): the vector instructions of the main loop ÷ its weights, Q4_0 6.6 on Navi 10 (gfx1010; 6.8 in the SPIR-V),
# Q4_K 6.7 (6.4), Q8_0 4.6 and MXFP4 5.7 on Rembrandt (gfx1035; 4.6 and 7.8 in the SPIR-V: its lookups are loads);
# Q6_K 7.4 from the SPIR-V alone (RADV's null device did not build it). NVIDIA's compiler is taken to issue as many
# (its ISA cannot be built without the GPU). Other types: not counted, no bound. The parts: an RX 5700 XT (40 CUs ×
# 64 lanes × 1.905 GHz, 4.9 T lane-instructions a second for 448 GB/s, 11 a byte) decodes LLaMA 7B Q4_0 at 65.2 tok/s
# (llama.cpp PR 13324, RADV, May 2025: DMMV), 0.55 of its bandwidth, where the reads put it 34-38% fast; a GTX 1080 Ti
# (28 SMs × 128 × 1.582 GHz, 5.7 T for 484 GB/s) Qwen2.5-Coder-7B Q4_K_S at 57.5 (InventiveHQ's llama-server runs, a
# recent build: DMMV for every matrix of K 4096 or less on NVIDIA), faster than its CUDA run (50.4) but 44% below the
# reads; a Radeon 660M (6 CUs, 0.73 T for 77 GB/s) gpt-oss-20b at 18.7 (build 6894, November 2025: DMMV for MXFP4),
# 24% below. The rows leave DMMV_ISSUE_SHARE at 0.64 (RX 5700 XT), 0.52 (GTX 1080 Ti) and 0.52 (660M); its prior is
# the share of its issue rate CUDA's Pascal mat-vec loop reaches (`PASCAL_MATVEC_ISSUE_SHARE`, 0.637), the fit
# (bench/accuracy_fit.py) takes it from there, with an RX 470's Llama 3 8B Q4_0 (PR 10665, +2% held out) and an RTX
# 2070's and an RX 480's Qwen3-4B (PR 13324: +16…+23%, +55…+89%, both reading ~0.36 of their bandwidth). Parts with 2-4 times the lanes a byte (RTX 3090 19, RTX 4090 41,
# RX 7900 XTX 32, Strix Halo 58 with dual issue) stay bound by their reads; the RTX 3090's Llama 3 8B Q4_0 (DMMV) comes
# closest, its instructions 0.83 of its reads.
# IQ4_NL takes Q4_0's count, not compiled: its block is Q4_0's (an F16 scale and 16 bytes of nibbles for 32 weights,
# `get_dm` the same) and the generic mat-vec shader (mul_mat_vec.comp) unpacks it with Q4_0's shifts and masks, a
# shared-memory lookup of each nibble's value (`kvalues_iq4nl`, filled by `init_iq_shmem`) in place of Q4_0's convert
# and re-centring by 8 (`dequantize4` in dequant_funcs.glsl, ggml-org/llama.cpp 00e0b4c4): about as many instructions
# a weight. Without it the RX 470's Llama 3 8B IQ4_NL (llama.cpp PR 10665, RADV, December 2024: DMMV, no dot product)
# came out +35% held out where its Q4_0 row, the same bytes, was −6%: measured, IQ4_NL ran 6% slower than Q4_0 there.
# IQ4_XS adds a 6-bit scale's unpacking every 4 weights to the same loop: uncounted (no row), no bound.
DMMV_LANE_INSTRUCTIONS = {"q4_0": 6.6, "iq4_nl": 6.6, "q8_0": 4.6, "q4_k": 6.7, "q6_k": 7.4, "mxfp4": 5.7}
DMMV_ISSUE_SHARE = 0.628
# The reads and the float mat-vec's instructions overlap, but not wholly: where they take about as long, the step takes
# longer than either. The weights take their soft maximum, (reads^p + instructions^p)^(1/p), p chosen by the held-out
# figures (bench/README.md, engine 0.6.62): against max(), p = 4 brings the RTX 3090's float mat-vec rows of PR 14903
# (instructions ~0.8 of its reads) from +17…+19% to +8…+9%, the GTX 1080 Ti +16% → +9%, the RX 480 +55%/+89% →
# +44%/+75%, and the decode median 5.6% → 5.2%; p = 2 costs the multi-GPU p90 0.7 points through the refit, p = 6 the
# Vulkan class's p90 1.3.
DMMV_OVERLAP_EXPONENT = 4
# SYCL's MXFP4 mat-vec turns each 4-bit code into its int8 value with CUDA's byte-permute idiom, which the SYCL port
# emulates in portable code rather than mapping it to one instruction: `vec_dot_mxfp4_q8_1`
# (ggml/src/ggml-sycl/vecdotq.hpp, from llama.cpp PR 17826 to ggml-org/ggml 9a538ea5, August 2026, unchanged) calls
# `get_int_from_table_16`, which makes 8 weights' values from 8 calls of `dpct::byte_level_permute`
# (src/ggml-sycl/dpct/helper.hpp), the emulation of `__byte_perm`: per result byte a
# selector (shift, mask), a 64-bit variable shift of the two source words (two 32-bit shifts and a merge), a mask,
# a shift and an or into the result, about 8 instructions, 32 a call. So ~32 integer instructions a weight on the
# vector lanes, where Q4_0's nibbles take a shift and a mask per 4 weights; the same fused MoE kernel reads
# K-quant experts at the bandwidth (PR 21920's `mul_mat_vec_q_moe`). An integer instruction takes a lane a clock,
# a quarter of a lane's packed-FP16 multiply-add rate (the vector rate, `matrix_width`): on an Arc Pro B70 (45.9
# TFLOPS of FP16 vector, 11.5 T lane-instructions a second) gpt-oss-20b's 2.4 G expert weights a token take
# ~6.7 ms, what kyuz0's B70 rows show: gpt-oss-20b at 52.8 tok/s on SYCL where Qwen3.6-35B-A3B and
# Gemma 4 26B-A4B, more expert bytes, decode at 72.2 and 69.5 (build 9039). Counted, not fitted. Vulkan builds
# the table lookup from shared memory, CUDA and ROCm have the permute instruction: SYCL only (NVFP4 uses it too;
# no rows).
PERMUTE_UNPACK_OPS = 32.0
PERMUTE_UNPACK = (("mxfp4", "sycl"),)
VECTOR_FLOPS_PER_LANE_CLOCK = 4.0  # a packed-FP16 multiply-add: 2 halves × 2 FLOPs
# Intel's integer-dot mat-vec (MMVQ, `Stage.integer_dot`: Linux's Mesa driver) loads Q8_0's and MXFP4's blocks a
# piece at a time, and on these GPUs the count of loads, not the bytes, sets its time. Q8_0's 34-byte blocks are
# 2-byte aligned and MXFP4's 17-byte blocks 1-byte aligned, so their quants can only be fetched in 16- and 8-bit
# loads (mul_mat_vecq_funcs.glsl, `repack`, "2-byte loads" and "1-byte loads", ggml-org/ggml ae72070f of 5 May 2026
# for build 9039 and unchanged to d99724f2 of August): per 8 weights of a row 4 loads of quants and one of the scale,
# where Q4_K's 4-byte-aligned blocks give 4 consecutive words (one vector load), 3 words of scales and the d/dmin word
# for 16 weights. With the rows each workgroup takes on Intel (`rm_stdq_int` 2: Q8_0 2 rows, MXFP4 4) and the Q8_1
# vector's loads (a scale word and two quant words an iteration, shared by the rows): Q8_0 12 loads per 16 weights,
# MXFP4 23 per 32; the shared-memory lookups of MXFP4's values (`kvalues_mxfp4`, 8 per 8 weights) are left out: the
# rows below find MXFP4's time a weight no longer than Q8_0's. Q4_K's 5 loads per 16 weights come to less time than
# its bytes (1.9 against 2.3 ps a weight on the B70): the K-quants keep their shares.
# The step's weights take the longer of their reads and these loads at `INTEL_MMVQ_LOAD_SLOTS` lane-slots of the
# vector rate each (the rate ÷ `matrix_width` ÷ `VECTOR_FLOPS_PER_LANE_CLOCK`: 11.5 T a second on an Arc Pro B70). Its
# prior, 68, is savvadesogle's Arc A770 on Mesa (llama.cpp PR 19988, build 8191): gpt-oss-20b at 36 tok/s where the
# same machine runs Llama 2 7B Q4_0 (DMMV) at 44, so 1.22 times the engine's A770 Q4_0 step (19.1 ms), 23.4 ms; the
# engine leaves 18.3 ms of it to the 2.63 G loads (1.22 G Q8_0 weights and 2.39 G MXFP4 expert weights a token);
# fitted on every row it lands at 68.9 (bench/accuracy_fit.py), and held out the B70 takes the prior.
# kyuz0's Arc Pro B70 (build 9039) agrees: gpt-oss-20b at 44.6 tok/s leaves 17.4 ms to the same loads (76 slots),
# Qwen3.5-9B Q8_0 at 21.5 tok/s 43.6 ms to its 5.9 G (84): per weight Q8_0 and MXFP4 take the same time, where
# MXFP4 reads half the bytes, and Q8_0 reads slower than the same card's BF16 files (the DMMV, 2 bytes a weight).
# Without it the engine had gpt-oss-20b on the B70 at 80 tok/s held out. The legacy family on MMVQ is Q8_0 in the rows
# (Q4_0 and Q5_1 take the DMMV there; Q4_1's 4-byte loads would be fewer, Q5_0's 2-byte ones as many: no rows).
INTEL_MMVQ_LOADS_PER_WEIGHT = {"legacy": 12 / 16, "mxfp4": 23 / 32}
INTEL_MMVQ_LOAD_SLOTS = 68.9
# Expert kernels (GGML_OP_MUL_MAT_ID) read a scattered set of matrices: this share of the dense kernels'
# rate (gpt-oss, Qwen3-30B-A3B and its kin, Llama 4 Scout, DeepSeek rows).
EXPERT_EFFICIENCY = 0.971
# llama.cpp's Vulkan backend multiplies BF16 experts with its matrix-matrix shader even for one token:
# `ggml_vk_use_mul_mat_vec_id` (ggml/src/ggml-vulkan/ggml-vulkan.cpp) sends a MUL_MAT_ID to the mat-vec shader only
# for F32, F16 and quantized weights (ggml-org/ggml ac0c8be4, the sync of 17 December 2025, and d99724f2 of August
# 2026 alike), though a BF16 `mul_mat_vec_id` pipeline is built: BF16 experts take `ggml_vk_mul_mat_id_q_f16`, the
# tiled `mul_mm` shader, a grid of 32-row tiles per chosen expert each walking the whole K dimension, few workgroups
# for the GPU. BF16 dense weights take the mat-vec (`ggml_vk_mul_mat`). kyuz0's two Radeon AI PRO R9700s (Mesa
# RADV, bf16 and KHR_coopmat listed, build 7423) decode Qwen3-Coder-30B-A3B BF16 at 30.5 tok/s on Vulkan and 58.3 on
# ROCm, where their Q4_K_M, Q8_0 and gpt-oss files run at the same speed on both and their dense Gemma 3 27B BF16 at
# 9.9 and 10.6: the experts are read at this share of the mat-vec's rate, what the Vulkan rows (tg128 and
# tg32@d16384, the only Vulkan BF16 MoE rows) leave beyond the engine's other parts, 0.320 and 0.321. Taken from
# there, not refitted by the bench: fitted beside the BF16 share (`FORMAT_EFFICIENCY[("bf16", "vulkan")]`) on the
# same two rows it traded against it (held out the Arc Pro B70's and the Strix Halo's BF16 rows moved 14-31 points);
# so held out the R9700's two rows keep it. kyuz0's Strix Halo (RADV listing no BF16, build 6122) decodes the same
# file at 7.49 tok/s on Vulkan and 24.31 on ROCm (amd-strix-halo-toolboxes a9618d88): 0.165 by the same count, a
# shader that widens each weight itself.
VULKAN_BF16_EXPERT_SHARE = 0.32
MATMAT_EXPERTS = (("bf16", "vulkan"), ("bf16", "vulkan_intel"))

# Prefill: a share of the dense FP16 matrix rate (tensor cores, XMX, WMMA; Apple: the shader rate), from the
# pp512 … pp21000 rows. llama.cpp's prompt kernels on AMD and Intel reach a third or less of their matrix
# units; MLX reaches the whole of the rate credited to the M4 Max (the top of its range). llama.cpp's Vulkan
# backend on NVIDIA's tensor cores takes CUDA's shares (`prompt_kernels`: cooperative-matrix shaders on the
# tensor cores): the RTX 3090, 4090 and 5090 Vulkan rows, which "vulkan" put 38–73% low while they held it up
# for AMD. Intel's Alchemist cards on Vulkan, which that backend gives no matrix cores, run AMD's Vulkan share of
# their vector rate (`shader_width`, `hardware.prompt_kernels`): "vulkan_intel" is Xe2's share of XMX.
PREFILL_EFFICIENCY = {
    "cuda": 0.928,
    "cuda_pascal": 0.982,
    "rocm": 0.39,
    "vulkan": 0.326,
    "vulkan_intel": 0.192,
    "sycl": 0.232,
    "metal": 0.693,
    "mlx": 1.0,
    "vllm": 0.517,
    "cpu": 0.5,
}
# NVIDIA parts listed at their full FP16 rate (see `full_rate_fp16`) reach this share of what GeForce cards
# reach of their half rate: the RTX 6000 Ada, RTX PRO 6000, A100, H100, DGX Spark and Jetson rows.
FULL_RATE_PREFILL_FACTOR = 0.468
# K-quants cost more to unpack in a prompt batch on ROCm, CUDA and Vulkan; BF16 on Vulkan and SYCL: below.
PREFILL_FORMAT_EFFICIENCY: dict[tuple[str, str], float] = {
    ("kquant", "cuda"): 0.737,
    ("kquant", "cuda_pascal"): 0.953,
    ("kquant", "rocm"): 0.954,
    ("kquant", "vulkan"): 0.872,
    ("kquant", "vulkan_intel"): 0.915,
    ("kquant", "sycl"): 0.985,
    ("kquant", "metal"): 0.954,
    ("float", "cuda"): 0.955,
    ("float", "rocm"): 1.08,
    ("float", "metal"): 1.07,
    ("bf16", "rocm"): 0.883,
    ("mlx", "mlx"): 0.959,
    ("bf16", "mlx"): 0.994,
}
# BF16 weights in a prompt batch on backends without BF16 matrix kernels (Vulkan, SYCL): llama.cpp converts
# them before the product, at one share of the legacy quants' rate whatever the vendor: the Strix Halo's
# Vulkan rows (fitted alone 0.42), the Arc Pro B70's Vulkan (0.55) and SYCL rows (0.47).
BF16_CONVERTED_BACKENDS = ("vulkan", "vulkan_intel", "sycl")
BF16_PREFILL_EFFICIENCY = 0.386
# ROCm's quantized prompt products (MMQ: MFMA on CDNA from PR 14624, July 2025; WMMA on RDNA 4 from PR 17156 and RDNA 3
# from PR 17576, November-December 2025; ggml/src/ggml-cuda/mmq.cuh) load each weight tile and unpack it to 8-bit
# integers in shared memory on the vector units, then multiply it on the matrix units. Where the matrix rate is
# `matrix_width` times the vector rate (`hardware.MATRIX_WIDTH`: RDNA 3 and GCN 1, RDNA 4 2, CDNA 1-2 4, CDNA 3 8), the
# unpacking does not get faster with it: a product that spends this share of its time unpacking on a chip of width 1
# takes 1 + share × (width − 1) times what the listed rate gives (`matrix_unpack_factor`). 16-bit weights go to
# hipBLAS, with no unpacking. One ROCm share of the listed rate put the wide chips fast held out: the MI100 (width 4)
# +36% to +83%, 8× MI300X (width 8) Llama 3.1 70B pp512 +104% (AMD's blog, build 6652: 190 TFLOPS of 1,307 listed,
# 1.2× its vector rate, as the MI100's IQ4 rows run at 1.1× its own), the R9700 (width 2) +8% to +39%, while the width-1
# RX 7900 XTX and MI50 came out slow (−29% to −62%). The two figures give 0.27 (0.42 of the listed rate at width 1,
# 1.16 of the vector rate at width 8), the prior; fitted on the ROCm prompt rows: 0.249.
ROCM_UNPACK_SHARE = 0.252
# vLLM's products on HBM parts (cuBLAS and its own GEMMs) are bound, as llama.cpp's are (`HBM_BYTES_PER_SM_CYCLE`),
# by the bytes the SMs keep in flight: the read rate is the soft minimum of the spec bandwidth and this many bytes
# per SM-cycle × SMs × boost GHz (`hardware.NAMED_PARTS`), before the vLLM share. AccelMark's runs say it: one stream
# of Llama 3 8B BF16 (15 GB a token) takes 7.62 ms on an H200 (4.8 TB/s) and 7.74 on an H100 SXM (3.35 TB/s), the
# same 132 SMs; 10.77 ms on an A100 SXM 80 GB at vLLM 0.20.1 reads 1.4 TB/s of its 2.04. At the spec's rate the
# H200's single-stream rows came out 24-35% fast, the A100 SXM and A800 8B rows 7-22%, 8× V100S 36-42%. GDDR cards
# and unlisted parts keep the spec. Fitted (prior llama.cpp's 8.2): 16.8 bytes an SM-cycle, which caps an A100 SXM at
# 1.6 TB/s, an H100 SXM at 2.6, an H200 at 3.2 and a V100S at 1.0, before the vLLM share.
VLLM_BYTES_PER_SM_CYCLE = 16.8


# System RAM when the user gives none: dual-channel DDR5-4800, 76.8 GB/s.
DEFAULT_RAM_BANDWIDTH_GB_S = 76.8


# Not frozen: a page builds ~30 stages of ~64 fields, and a frozen dataclass sets each field through
# object.__setattr__ (10 µs a stage, against 2.4 with slots). Nothing assigns to a stage's fields once built
# (equal devices share one: plans.run_layout); tests vary one with dataclasses.replace.
@dataclass(slots=True)
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
    # of `active_params`, the output head's: a prompt multiplies it for its last token
    output_params: float = 0.0
    kv_bytes_per_cell: float = 0.0  # KV one sequence reads per cached token, full-attention layers
    kv_window_bytes_per_cell: float = 0.0  # the same for sliding-window layers, which keep `window` tokens
    # linear-attention layers' recurrent state one sequence reads and writes back per step, any depth
    state_bytes: float = 0.0
    linear_layers: int = 0  # of `layers`, the linear-attention ones (`LINEAR_LAYER_KERNELS`)
    mla_kernels: float = 0.0  # the MLA layers' kernels beyond Llama layers' (`fixed_costs.MLA_LAYER_KERNELS`)
    window: int = 0
    attention_flops_per_pair: float = 0.0  # one query against one cached key, full-attention layers
    decode_attention_flops_per_pair: float = 0.0  # the same for a decoded token (MLA's in its latent)
    window_attention_flops_per_pair: float = 0.0  # the same, sliding-window layers
    memory: str = "gddr"  # `memory_class()`, "ram" for system memory
    fmt: str = "legacy"  # `format_family()`
    moe_layers: int = 0
    routed_active_params: float = 0.0  # of `active_params`, those in routed experts
    full_rate_fp16: bool = False
    tensor_width: float = 1.0  # `tensor_width()`: a datacenter chip's FP16 work per SM per clock
    matrix_width: float = 1.0  # `matrix_width()`: an AMD or Intel chip's matrix rate over its vector rate
    prompt_backend: str = ""  # `prompt_kernels()`: whose kernels run a prompt batch ("": `backend`'s)
    flash_attention: bool = True  # llama.cpp's `-fa`: the KV read by one fused kernel, or by the general ones
    prompt_cublas: bool = False  # quantized prompt products by cuBLAS (llama.cpp before June 2024)
    score_heads: float = 0.0  # query heads × full-attention layers here: the score rows one token writes
    window_score_heads: float = 0.0  # the same, sliding-window layers
    sm_ghz: float = 0.0  # `hardware.sm_ghz()`: an HBM part's SMs × GHz, what caps llama.cpp's reads there
    expert_loop: bool = False  # `hardware.expert_loop_prompts()`: a prompt's experts one product at a time
    # a prompt's expert lists built on the host, as llama.cpp's MMQ did before PR 15525 (`prefill.MOE_HOST_*`)
    moe_host_ids: bool = False
    clock_ghz: float = 0.0  # `hardware.clock_ghz()`: the GPU's clock, its CUDA or Metal fixed costs' pace
    bf16_rate: float = 1.0  # `hardware.bf16_prompt_rate()`: the listed rate's share BF16 prompts run at
    # `hardware.graphics_clock_share()`: the clock a prompt runs at over the one the listed rate is at
    prompt_clock_share: float = 1.0
    integer_tops: float = 0.0  # `hardware.integer_tops()`: 32-bit integer rate (`LOW_BIT_UNPACK_OPS`)
    emulated_dp4a: bool = False  # `hardware.emulated_dp4a()`: CUDA's int8 dot product in software (GP100)
    matvec_type: str = ""  # `matvec_file_type()`: the llama.cpp file type whose mat-vec loop Pascal pays for
    integer_dot: bool = False  # `hardware.integer_dot_matvec()`: Intel's Vulkan multiplies with MMVQ
    batched_submit: bool = False  # SYCL launches batched (`SYCL_BATCHED_SUBMIT_SECONDS`)
    # the host's time bounds the step, as on llama.cpp's CUDA builds of May 2024 and before (bench rows only:
    # `fixed_costs.CUDA_HOST_LAYER_SECONDS`)
    host_launches: bool = False
    # Intel's Windows Vulkan driver ran it, not Linux's Mesa (bench rows only: `fixed_costs.moe_layer_family`)
    intel_windows: bool = False
    bf16_gemm: bool = (
        False  # the stage's BF16 weights copied to F32 for a GEMM, as SYCL did (`SYCL_BF16_GEMM_SHARE`)
    )
    # times the KV cache is read per step: 1, or the query heads per KV head where the flash-attention kernel ran
    # one block per query head (`kv_head_reads`)
    kv_head_reads: float = 1.0
    # MLX: the kernels of a layer of the model's mlx-lm graph ÷ a Llama layer's (`mlx_layer_kernels`)
    mlx_layer_kernels: float = 1.0
    # the same for an MoE block beyond a dense MLP's kernels, ÷ gpt-oss's (`mlx_moe_kernels`)
    mlx_moe_kernels: float = 1.0
    gqa_ratio: float = 1.0  # query heads per KV head (`intel_fa_padded_rows`)
    head_dim: int = 0  # a key head's size (`intel_fa_padded_rows`)
    kv_heads: float = 0.0  # KV heads per attention layer here (`kv_reads.sycl_tile_seconds`)
    kv_quantized: bool = False  # a quantized KV cache (q8_0, q4_0...): SYCL decodes it with the vector kernel
    # kernels an MoE layer of an older llama.cpp build ran beyond today's fused ones (`fixed_costs.LLAMA_LAYER_KERNELS`)
    unfused_moe_kernels: float = 0.0
    # the MoE routers' parameters here, and the bytes `dense_bytes` counts them at (the format's width): llama.cpp keeps
    # them in F32, which Vulkan multiplies at a lower rate (`VULKAN_F32_MATVEC_SHARE`)
    router_params: float = 0.0
    router_bytes: float = 0.0
    # Vulkan dispatches a decode step runs per MoE layer of this architecture, and per linear-attention layer more
    # (`fixed_costs.MESA_MOE_LAYER_NODES`): Mesa's MoE-layer time goes with them
    mesa_moe_layer_nodes: float = 17.0
    mesa_linear_layer_nodes: float = 0.0
    # shares of `dense_bytes` and `routed_bytes` held in Q6_K tensors (`quant_mix.q6k_shares`), and whether a build's
    # Intel Vulkan multiplied them with the float mat-vec (bench rows only: `INTEL_Q6K_DMMV_TIME`)
    q6k_dense_share: float = 0.0
    q6k_routed_share: float = 0.0
    q6k_dmmv: bool = False
    # RDNA 4's ROCm one-token mat-vec of 8 warps (`hardware.wide_matvec`; bench rows before PR 19478: False)
    wide_matvec: bool = False
    # `hardware.shader_lanes_tops()`: FP32 lane-instructions a second (10^12) of an AMD or NVIDIA GPU on Vulkan, what
    # bounds its float mat-vec (`DMMV_LANE_INSTRUCTIONS`)
    shader_lanes_tops: float = 0.0
    # `dmmv_file_type()`: the llama.cpp file type whose float mat-vec an AMD or NVIDIA GPU on Vulkan runs
    dmmv_type: str = ""
    # `hardware.float_matvec()`: that mat-vec multiplies the quantized weights (bench rows before PR 16900: dated)
    float_matvec: bool = False

    @property
    def prompt_family(self) -> str:
        """Whose kernels run a prompt batch: `prompt_backend`, else `backend`."""
        return self.prompt_backend or self.backend

    def touched_share(self, batch: int) -> float:
        """Share of the routed experts that at least one of `batch` tokens picks."""
        if not self.experts or not self.routed_bytes:
            return 0.0
        p = self.experts_per_tok / self.experts
        return 1 - (1 - p) ** batch

    def params_read(self, batch: int) -> float:
        """Weights one step of `batch` sequences reads: the dense ones and the routed experts any token picked."""
        if not self.experts_per_tok or not self.routed_active_params:
            return self.active_params
        routed = self.routed_active_params * self.experts / self.experts_per_tok
        return self.active_params - self.routed_active_params + routed * self.touched_share(batch)

    def kv_read_bytes(self, depth: int) -> float:
        """KV one sequence reads per step with `depth` tokens cached (and a linear-attention layer's state)."""
        kv = self.kv_bytes_per_cell * depth + self.kv_window_bytes_per_cell * min(
            depth, kv_reads.window_cells_read(self)
        )
        return kv + 2 * self.state_bytes if self.state_bytes else kv  # the state read, then written back

    @property
    def memory_efficiency(self) -> float:
        """Share of the spec-sheet bandwidth this memory gives the kernels (a listed HBM part: the soft minimum of
        the memory's rate and its SMs' in-flight rate, `HBM_BYTES_PER_SM_CYCLE`, vLLM's `VLLM_BYTES_PER_SM_CYCLE`;
        vLLM elsewhere 1; other HBM3e parts `HBM3E_SHARE` of HBM's)."""
        if self.sm_ghz:
            per_cycle = (
                VLLM_BYTES_PER_SM_CYCLE
                if self.backend == "vllm"
                else HBM_BYTES_PER_SM_CYCLE[hbm_vendor(self.backend)]
            )
            return (1 + (self.bandwidth_gb_s / (per_cycle * self.sm_ghz)) ** 2) ** -0.5  # the soft minimum
        if self.backend == "vllm":
            return 1.0
        if self.memory == "hbm3e":
            return MEMORY_EFFICIENCY["hbm"] * HBM3E_SHARE
        return MEMORY_EFFICIENCY.get(self.memory, 1.0)

    @property
    def bandwidth_efficiency(self) -> float:
        """Share of the spec-sheet bandwidth the weights are read at (by `weights_kernels`' shares)."""
        family = weights_kernels(self)
        fmt = "kquant" if low_bit_unpack(self) else self.fmt  # its arithmetic priced apart (`unpack_seconds`)
        if self.matvec_type:  # Pascal's format costs its loop's time (`PASCAL_MATVEC_SM_CLOCKS`)
            fmt = "legacy"
        if self.wide_matvec and self.fmt in ("kquant", "legacy"):
            # RDNA 4's 8-warp mat-vec (`hardware.wide_matvec`)
            return self.memory_efficiency * BACKEND_EFFICIENCY[family] * RDNA4_WIDE_MATVEC_GAIN
        kernel = SYCL_BF16_GEMM_SHARE if self.bf16_gemm else format_efficiency(fmt, family)
        return self.memory_efficiency * BACKEND_EFFICIENCY[family] * kernel


def weights_kernels(stage: Stage) -> str:
    """Whose shares the weights are read at (`BACKEND_EFFICIENCY`, `FORMAT_EFFICIENCY`): the stage's kernel family,
    but llama.cpp's Vulkan shaders' on Intel for 16-bit weights (`FLOAT_READ_FAMILIES`)."""
    if stage.fmt in ("float", "bf16"):
        return FLOAT_READ_FAMILIES.get(stage.backend, stage.backend)
    return stage.backend


def hbm_vendor(backend: str) -> str:
    """Whose SMs an HBM part has, for `HBM_BYTES_PER_SM_CYCLE`: AMD's Instinct parts run ROCm or Vulkan."""
    return "amd" if backend in ("rocm", "vulkan") else "nvidia"


def integer_rate(stage: Stage) -> float:
    """32-bit integer instructions a second of the stage's GPU for llama.cpp's CUDA code: an NVIDIA part's
    `integer_tops`, an AMD part's on ROCm (the same kernels through HIP) a lane a clock, its vector rate ÷
    `VECTOR_FLOPS_PER_LANE_CLOCK`; 0 where unknown."""
    if stage.integer_tops:
        return stage.integer_tops * 1e12
    if stage.backend == "rocm" and stage.tflops:
        return stage.tflops * 1e12 / stage.matrix_width / VECTOR_FLOPS_PER_LANE_CLOCK
    return 0.0


def low_bit_unpack(stage: Stage) -> bool:
    """A low-bit K-quant whose unpacking is priced at the integer rate (`LOW_BIT_UNPACK_OPS`), not as a share."""
    if stage.matvec_type:  # counted in the mat-vec's loop (`PASCAL_MATVEC_SM_CLOCKS`)
        return False
    return stage.fmt == "kquant_low" and stage.backend in LOW_BIT_UNPACK_BACKENDS and integer_rate(stage) > 0


def matvec_file_type(device, quant, runtime: str) -> str:
    """The llama.cpp file type whose mat-vec loop a Pascal part pays for (`MATVEC_FILE_TYPES`), on llama.cpp's CUDA
    backend with a listed rate; "" elsewhere and for other formats."""
    if kernels(device, runtime) != "cuda_pascal" or not device.fp16_tflops:
        return ""
    return _file_type(quant)


def dmmv_file_type(device, quant, runtime: str) -> str:
    """The llama.cpp file type (`MATVEC_FILE_TYPES`) of a stage on llama.cpp's Vulkan backend on an AMD or NVIDIA GPU
    with a listed rate (`hardware.shader_lanes_tops`), whose float mat-vec `DMMV_LANE_INSTRUCTIONS` counts; ""
    elsewhere and for other formats."""
    if not shader_lanes_tops(device, runtime):
        return ""
    return _file_type(quant)


def _file_type(quant) -> str:
    """The format's llama.cpp file type where `MATVEC_FILE_TYPES` lists it, else ""."""
    slug = quant.slug.lower()
    return slug if slug in MATVEC_FILE_TYPES else ""


def _matvec_per_weight(table: dict[str, float], stage: Stage, batch: int, file_type: str = "") -> float:
    """`table`'s per-weight figure summed over the weights a step reads: Q6_K's for its Q6_K tensors, the file type's
    mix for the rest (an MoE file's non-expert weights at `MATVEC_REST_TYPES`' mix where it has one); 0 where `table`
    lacks one of the types. `file_type`: the llama.cpp file type (`MATVEC_FILE_TYPES`), else `matvec_type`."""
    file_type = file_type or stage.matvec_type
    types = MATVEC_FILE_TYPES[file_type].keys() | MATVEC_REST_TYPES.get(file_type, {}).keys() | {"q6_k"}
    if not types <= table.keys():
        return 0.0
    weights = stage.params_read(batch)
    mix = sum(share * table[t] for t, share in MATVEC_FILE_TYPES[file_type].items())
    rest_types = MATVEC_REST_TYPES.get(file_type)
    if rest_types and stage.routed_active_params:  # the experts of the type, the rest of `MATVEC_REST_TYPES`'
        rest = min(weights, stage.active_params - stage.routed_active_params)
        q6k = min(rest, stage.dense_bytes * stage.q6k_dense_share / Q6K_BYTES_PER_WEIGHT)
        rest_mix = sum(share * table[t] for t, share in rest_types.items())
        return mix * (weights - rest) + rest_mix * (rest - q6k) + table["q6_k"] * q6k
    q6k_bytes = stage.dense_bytes * stage.q6k_dense_share
    q6k_bytes += stage.routed_bytes * stage.touched_share(batch) * stage.q6k_routed_share
    q6k = min(weights, q6k_bytes / Q6K_BYTES_PER_WEIGHT)
    return mix * (weights - q6k) + table["q6_k"] * q6k


def matvec_issue_seconds(stage: Stage, batch: int) -> float:
    """A dp4a Pascal part's mat-vec loop for the step's quantized weights at its SMs' issue rate
    (`PASCAL_MATVEC_SM_CLOCKS`, `PASCAL_MATVEC_ISSUE_SHARE`); 0 elsewhere. The weights take the longer of this and
    their reads (`decode_step_parts`)."""
    if not stage.matvec_type or stage.emulated_dp4a or not stage.tflops or batch > MATVEC_MAX_BATCH:
        return 0.0
    per_weight = _matvec_per_weight(PASCAL_MATVEC_SM_CLOCKS, stage, batch)
    return per_weight / (_pascal_sm_clocks(stage) * PASCAL_MATVEC_ISSUE_SHARE)


def dmmv_seconds(stage: Stage, batch: int) -> float:
    """llama.cpp's Vulkan float mat-vec (DMMV) on an AMD or NVIDIA GPU: a one-token step's quantized weights at
    `DMMV_LANE_INSTRUCTIONS` each, on the shaders' FP32 lanes (`hardware.shader_lanes_tops`) at `DMMV_ISSUE_SHARE` of
    their issue rate; 0 elsewhere. The weights take the longer of this and their reads (`decode_step_parts`)."""
    if not stage.dmmv_type or not stage.float_matvec or not stage.shader_lanes_tops or batch != 1:
        return 0.0
    instructions = _matvec_per_weight(DMMV_LANE_INSTRUCTIONS, stage, batch, stage.dmmv_type)
    return instructions / (stage.shader_lanes_tops * 1e12 * DMMV_ISSUE_SHARE)


def gp100_loop_seconds(stage: Stage, batch: int) -> float:
    """GP100's mat-vec loop SM-clocks beyond Q4_0's (`PASCAL_MATVEC_SM_CLOCKS` × `GP100_CLOCKS_FACTOR`), on top of the
    reads as its emulated dp4a is; 0 elsewhere."""
    if not stage.matvec_type or not stage.emulated_dp4a or not stage.tflops:
        return 0.0
    clocks = _matvec_per_weight(PASCAL_MATVEC_SM_CLOCKS, stage, batch)
    extra = clocks - PASCAL_MATVEC_SM_CLOCKS["q4_0"] * stage.params_read(batch)
    return GP100_CLOCKS_FACTOR * max(0.0, extra) / _pascal_sm_clocks(stage)


def _pascal_sm_clocks(stage: Stage) -> float:
    """A Pascal part's SMs × clock per second, from its listed rate (`hardware.PASCAL_FLOPS_PER_SM_CLOCK`)."""
    return stage.tflops * 1e12 / PASCAL_FLOPS_PER_SM_CLOCK


def format_efficiency(fmt: str, backend: str) -> float:
    """Decode share of a format family on a backend (`FORMAT_EFFICIENCY`; low-bit K-quants a share of K-quants')."""
    if fmt == "kquant_low":
        return FORMAT_EFFICIENCY.get(("kquant", backend), 1.0) * LOW_BIT_KQUANT_EFFICIENCY
    return FORMAT_EFFICIENCY.get((fmt, backend), 1.0)


def compute_seconds(flops: float, tflops: float | None, efficiency: float) -> float | None:
    if not tflops:
        return None
    return flops / (tflops * 1e12 * efficiency)


# llama.cpp's quantizer leaves an MoE router (`ffn_gate_inp.weight`) unquantized, so a GGUF file keeps it in F32
# (src/llama-quant.cpp: "do not quantize expert gating tensors"): 4 bytes a weight, 2048 × 256 of them in each of
# Qwen3.5-35B-A3B's 40 layers. Vulkan multiplies an F32 matrix with its generic `mul_mat_vec_f32_f32_f32` pipeline (one
# row a workgroup, 4 values a thread an iteration), slower than its quantized mat-vecs: the GGML_VK_PERF_LOGGER
# table in llama.cpp PR 18467 (Strix Halo, RADV, Qwen3-Next) times the 2048 × 512 F32 router at 33.7 µs, 125 GB/s,
# where the Q8_0 mat-vec m=12288 k=2048 of the same run reads at 213 GB/s: 0.58 of it.
VULKAN_F32_MATVEC_SHARE = 0.58
F32_BACKENDS = ("vulkan", "vulkan_intel")


def router_seconds(stage: Stage) -> float:
    """The routers' F32 read on Vulkan beyond what `dense_bytes` counts for them (`VULKAN_F32_MATVEC_SHARE`); 0
    elsewhere."""
    if not stage.router_params or stage.backend not in F32_BACKENDS:
        return 0.0
    f32 = 4 * stage.router_params / VULKAN_F32_MATVEC_SHARE - stage.router_bytes
    return f32 / (stage.bandwidth_gb_s * 1e9 * stage.bandwidth_efficiency)


class StepParts(NamedTuple):
    """One decode step on one stage by what takes its time, in seconds: `seconds` is the step."""

    # the weights' and the KV cache's reads, with the weights' unpacking and Vulkan's F32 routers
    reads_s: float
    kv_s: float  # the KV cache's share of `reads_s`
    flops_s: float  # the FLOPs at the GPU's rate: they bound the step where they take longer than the reads
    fixed_s: float  # launches and synchronisation (fixed_costs.fixed_seconds, submit_seconds)
    host_s: float  # MLX: the host's time to build the step, its floor (fixed_costs.mlx_host_seconds)
    # the weights' kernels beyond their reads, part of `reads_s`: the instructions of Pascal's CUDA mat-vec loop
    # (`matvec_issue_seconds`), Intel's loads (`intel_load_seconds`), Vulkan's float mat-vec (`dmmv_seconds`)
    kernel_s: float = 0.0
    # llama.cpp's CUDA builds of May 2024 and before: the host's time, which the step is the soft maximum of with the
    # GPU's (fixed_costs.cuda_host_seconds, bench rows only)
    cuda_host_s: float = 0.0

    @property
    def gpu_s(self) -> float:
        return max(self.reads_s, self.flops_s) + self.fixed_s

    @property
    def seconds(self) -> float:
        gpu = self.gpu_s
        # the soft maximum of the GPU's time and the host's (`fixed_costs.CUDA_HOST_EXPONENT`)
        if self.cuda_host_s:
            p = fixed_costs.CUDA_HOST_EXPONENT
            gpu = (gpu**p + self.cuda_host_s**p) ** (1 / p)
        return max(gpu, self.host_s)


# Each stage object's times at given arguments, inside `shared_steps()`
_SHARED_STEPS: ContextVar[dict | None] = ContextVar("shared_steps", default=None)


@contextmanager
def shared_steps() -> Iterator[None]:
    """Inside it, a stage object's step at a (batch, depth) and its prompt are timed once (`once_per_stage`): one
    question's plans, suggestions and chart points time the same stages (one object per placement:
    `device_memory.usage_and_stage`) at many workloads. A scope, not kept on the stage: bench/accuracy.py times
    its stages again after moving the constants, as a test may after patching one. Nested, the outer one holds."""
    if _SHARED_STEPS.get() is not None:
        yield
        return
    token = _SHARED_STEPS.set({})
    try:
        yield
    finally:
        _SHARED_STEPS.reset(token)


def once_per_stage(function: Callable) -> Callable:
    """`function(stage, *args)` computed once per stage object and arguments inside `shared_steps()` (a call
    with keyword arguments, as tests make, is computed each time)."""

    @wraps(function)
    def shared(stage: Stage, *args, **keywords):
        memo = _SHARED_STEPS.get()
        if memo is None or keywords:
            return function(stage, *args, **keywords)
        key = (function, id(stage), *args)
        hit = memo.get(key)
        if hit is not None:
            return hit[1]
        value = function(stage, *args)
        memo[key] = (stage, value)  # the stage kept alive with it: its id is no other object's meanwhile
        return value

    return shared


def decode_step_seconds(stage: Stage, batch: int, depth: int) -> float:
    """One decode step of `batch` sequences with `depth` tokens cached each (`decode_step_parts`)."""
    return decode_step_parts(stage, batch, depth).seconds


@once_per_stage
def decode_step_parts(stage: Stage, batch: int, depth: int) -> StepParts:
    """One decode step of `batch` sequences with `depth` tokens cached each: the roofline of reads and
    FLOPs, plus the fixed costs; under MLX at least the host's time to build the step
    (`fixed_costs.mlx_host_seconds`); on llama.cpp's CUDA builds of May 2024 and before, the soft maximum of the
    GPU's time and the host's (`fixed_costs.cuda_host_seconds`, bench rows only)."""
    w = _weight_parts(stage, batch)
    bw = stage.bandwidth_gb_s * 1e9
    kv_bytes = stage.kv_read_bytes(depth)
    kv = (
        batch
        * kv_bytes
        * kv_reads.kv_head_reads(stage)
        / (bw * kv_reads.kv_memory_efficiency(stage) * kv_backend_share(stage))
        / kv_reads.kv_efficiency(stage)
    )
    kv = max(kv, kv_reads.intel_fa_seconds(stage, batch, depth))
    if arithmetic := kv_reads.attention_arithmetic_seconds(stage, batch, depth):  # their soft maximum
        p = kv_reads.ATTENTION_OVERLAP_EXPONENT
        kv = (kv**p + arithmetic**p) ** (1 / p)
    if tile := kv_reads.sycl_tile_seconds(stage, batch, depth):
        # the recurrent state's read stays a read; the tile kernel's arithmetic bounds the cache's cells
        state = kv * 2 * stage.state_bytes / kv_bytes if stage.state_bytes else 0.0
        kv = max(kv, state + tile)
    return StepParts(
        reads_s=w.weights_s + kv + w.router_s + w.q6k_s,
        kv_s=kv,
        kernel_s=w.weights_s - w.reads_s,
        flops_s=w.flops_s,
        fixed_s=w.fixed_s,
        host_s=w.host_s,
        cuda_host_s=w.cuda_host_s,
    )


class WeightParts(NamedTuple):
    """What of a decode step (`decode_step_parts`) does not depend on the tokens cached, in seconds."""

    weights_s: (
        float  # the weights' time: their reads, or their kernels' instructions where those outlast them
    )
    reads_s: float  # the weights' reads, with their unpacking
    router_s: float  # `router_seconds`
    q6k_s: float  # `q6k_dmmv_seconds`
    flops_s: float
    fixed_s: float  # `fixed_costs.fixed_seconds` + `fixed_costs.submit_seconds`
    host_s: float  # `fixed_costs.mlx_host_seconds`
    cuda_host_s: float  # `fixed_costs.cuda_host_seconds`


@once_per_stage
def _weight_parts(stage: Stage, batch: int) -> WeightParts:
    """`decode_step_parts` but for the KV cache: a stage's step at one batch and many depths (a chart over
    contexts, a plan's step at the prompt and at full context) reads the same weights."""
    bw = stage.bandwidth_gb_s * 1e9
    routed = routed_read_bytes(stage, batch)
    unpack = unpack_seconds(stage, batch)
    reads = (stage.dense_bytes + routed) / (
        bw * stage.bandwidth_efficiency * matvec_share(stage, batch)
    ) + unpack
    # the kernels' instructions where they outlast the reads: Intel's loads and Pascal's loop beside the unpacking,
    # Vulkan's float mat-vec, whose instructions count the unpacking, instead of it
    issue = max(intel_load_seconds(stage, batch), matvec_issue_seconds(stage, batch)) + unpack
    if dmmv := dmmv_seconds(
        stage, batch
    ):  # the soft maximum of the reads and the float mat-vec's instructions
        dmmv = (reads**DMMV_OVERLAP_EXPONENT + dmmv**DMMV_OVERLAP_EXPONENT) ** (1 / DMMV_OVERLAP_EXPONENT)
    return WeightParts(
        weights_s=max(reads, issue, dmmv),
        reads_s=reads,
        router_s=router_seconds(stage),
        q6k_s=q6k_dmmv_seconds(stage, batch),
        flops_s=compute_seconds(2 * stage.active_params * batch, stage.tflops, prefill_efficiency(stage))
        or 0.0,
        fixed_s=fixed_costs.fixed_seconds(stage) + fixed_costs.submit_seconds(stage),
        host_s=fixed_costs.mlx_host_seconds(stage),
        cuda_host_s=fixed_costs.cuda_host_seconds(stage),
    )


def kv_backend_share(stage: Stage) -> float:
    """The kernel family's share of the rate the KV cache is read at: its weights' (`BACKEND_EFFICIENCY`), except
    SYCL's flash attention, whose own share is all of `KV_EFFICIENCY["sycl"]` (`kv_reads.own_kv_rate`)."""
    return 1.0 if kv_reads.own_kv_rate(stage) else BACKEND_EFFICIENCY[stage.backend]


def expert_kernel_share(stage: Stage) -> float:
    """Share of the mat-vec's rate the experts are read at: `VULKAN_BF16_EXPERT_SHARE` where Vulkan multiplies
    them with its matrix-matrix shader (`MATMAT_EXPERTS`), else 1."""
    return VULKAN_BF16_EXPERT_SHARE if (stage.fmt, stage.backend) in MATMAT_EXPERTS else 1.0


def matvec_share(stage: Stage, batch: int) -> float:
    """Intel's Vulkan integer-dot mat-vec's share (`INTEL_INTEGER_DOT_EFFICIENCY`) for a step of up to
    `MATVEC_MAX_BATCH` sequences; more take the matrix-matrix kernels, as a prompt does."""
    return INTEL_INTEGER_DOT_EFFICIENCY if stage.integer_dot and batch <= MATVEC_MAX_BATCH else 1.0


def routed_read_bytes(stage: Stage, batch: int) -> float:
    """The routed experts' bytes a step of `batch` reads, weighted by the expert kernels' rate against the dense
    mat-vec's (`EXPERT_EFFICIENCY`, `expert_kernel_share`): what they cost in dense bytes' time."""
    return stage.routed_bytes * stage.touched_share(batch) / (EXPERT_EFFICIENCY * expert_kernel_share(stage))


def q6k_dmmv_seconds(stage: Stage, batch: int) -> float:
    """The Q6_K tensors' time beyond the weights' read on Intel's Vulkan float mat-vec before PR 23056: their
    bytes at `INTEL_Q6K_DMMV_TIME` × the MMVQ rate's time, less what the step's read already gave them; 0 else."""
    if not stage.q6k_dmmv or batch > MATVEC_MAX_BATCH:
        return 0.0
    q6k = stage.dense_bytes * stage.q6k_dense_share + routed_read_bytes(stage, batch) * stage.q6k_routed_share
    rate = stage.bandwidth_gb_s * 1e9 * stage.bandwidth_efficiency
    return q6k * (INTEL_Q6K_DMMV_TIME / INTEL_INTEGER_DOT_EFFICIENCY - 1 / matvec_share(stage, batch)) / rate


def unpack_seconds(stage: Stage, batch: int) -> float:
    """The multiply-adds of a step's quantized weights at the vector rate, on top of the reads
    (`UNPACK_FLOPS`); on CUDA and ROCm, a low-bit K-quant's unpacking at the integer rate (`LOW_BIT_UNPACK_OPS`), and
    on GP100 the int8 dot products it emulates (`EMULATED_DP4A_OPS`)."""
    low_bit = integer_seconds(LOW_BIT_UNPACK_OPS, stage, batch) if low_bit_unpack(stage) else 0.0
    low_bit += emulated_dp4a_seconds(stage, batch) + gp100_loop_seconds(stage, batch)
    if stage.fmt in ("float", "bf16") or not stage.tflops or stage.backend not in UNPACK_BACKENDS:
        return low_bit
    vector_rate = stage.tflops * 1e12 / stage.matrix_width
    seconds = UNPACK_FLOPS * stage.params_read(batch) / vector_rate
    if (stage.fmt, stage.backend) in PERMUTE_UNPACK:
        # an MXFP4 MoE file keeps its other tensors at 8 bits and more: only its experts are MXFP4
        dense = stage.active_params - stage.routed_active_params if stage.routed_active_params else 0.0
        coded = stage.params_read(batch) - dense
        seconds += PERMUTE_UNPACK_OPS * VECTOR_FLOPS_PER_LANE_CLOCK * coded / vector_rate
    return seconds + low_bit


def intel_load_seconds(stage: Stage, batch: int) -> float:
    """The loads of Intel's integer-dot mat-vec for a step's Q8_0 or MXFP4 weights (`INTEL_MMVQ_LOADS_PER_WEIGHT`,
    an MXFP4 MoE file's other tensors at Q8_0's), at `INTEL_MMVQ_LOAD_SLOTS` lane-slots of the vector rate each;
    0 elsewhere. The weights take the longer of this and their reads (`decode_step_parts`)."""
    loads = INTEL_MMVQ_LOADS_PER_WEIGHT.get(stage.fmt)
    if not loads or not stage.integer_dot or batch > MATVEC_MAX_BATCH or not stage.tflops:
        return 0.0
    weights = stage.params_read(batch)
    if stage.fmt == "mxfp4" and stage.routed_active_params:
        dense = stage.active_params - stage.routed_active_params
        count = dense * INTEL_MMVQ_LOADS_PER_WEIGHT["legacy"] + (weights - dense) * loads
    else:
        count = weights * loads
    lane_rate = stage.tflops * 1e12 / stage.matrix_width / VECTOR_FLOPS_PER_LANE_CLOCK
    return count * INTEL_MMVQ_LOAD_SLOTS / lane_rate


def emulated_dp4a_seconds(stage: Stage, batch: int) -> float:
    """A quantized mat-vec's int8 dot products in software on a part without dp4a, at its integer rate
    (`EMULATED_DP4A_OPS`); 0 elsewhere."""
    ops = EMULATED_DP4A_OPS.get(stage.fmt, 0.0)
    if not stage.emulated_dp4a or not ops or not stage.integer_tops:
        return 0.0
    return integer_seconds(ops, stage, batch)


def integer_seconds(ops_per_weight: float, stage: Stage, batch: int) -> float:
    """`ops_per_weight` 32-bit integer instructions for each weight a step reads, at the stage's integer rate
    (`integer_rate`): the low-bit K-quants' unpacking and GP100's emulated dp4a."""
    return ops_per_weight * stage.params_read(batch) / integer_rate(stage)


def prefill_efficiency(stage: Stage) -> float:
    """Share of the FP16 matrix rate prompt processing reaches on dense matrices of this format."""
    family = stage.prompt_family
    if stage.fmt == "bf16" and stage.backend in BF16_CONVERTED_BACKENDS:
        fmt = BF16_PREFILL_EFFICIENCY
    else:
        fmt = PREFILL_FORMAT_EFFICIENCY.get(
            ("kquant" if stage.fmt == "kquant_low" else stage.fmt, family), 1.0
        )
    share = PREFILL_EFFICIENCY[family] * fmt * full_rate_factor(stage) / shader_width(stage)
    return share / matrix_unpack_factor(stage)


def matrix_unpack_factor(stage: Stage) -> float:
    """How much longer ROCm's quantized prompt products take than the listed matrix rate gives, for the weight
    tiles the vector units unpack (`ROCM_UNPACK_SHARE`): 1 + share × (`matrix_width` − 1)."""
    if stage.prompt_family != "rocm" or stage.fmt in ("float", "bf16"):
        return 1.0
    return 1 + ROCM_UNPACK_SHARE * (stage.matrix_width - 1)


def shader_width(stage: Stage) -> float:
    """The listed rate over the rate a prompt's products run at: `matrix_width` where llama.cpp's Vulkan prompts
    on an Intel GPU run on the shaders with AMD's Vulkan kernels' share (`hardware.prompt_kernels`), else 1."""
    return stage.matrix_width if stage.backend == "vulkan_intel" and stage.prompt_family == "vulkan" else 1.0


def full_rate_factor(stage: Stage, *, weights: bool = True) -> float:
    """llama.cpp's share on NVIDIA parts listed at their full FP16 rate, less on GA100 and GH100, whose
    wider tensor cores its own kernels (quantized products, flash attention) do not use; 16-bit weights
    go to cuBLAS, which does, as vLLM's kernels do, and so do quantized weights in builds before June 2024
    (`prompt_cublas`) and attention without flash attention (its K·Q and V·KQ products are cuBLAS's)."""
    if not stage.full_rate_fp16 or stage.backend == "vllm":
        return 1.0
    weights_cublas = stage.fmt in ("float", "bf16") or stage.prompt_cublas
    cublas = weights_cublas if weights else not kv_reads.fused_attention(stage)
    return FULL_RATE_PREFILL_FACTOR / (1.0 if cublas else stage.tensor_width)
