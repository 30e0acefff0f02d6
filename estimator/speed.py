"""How fast a token is made: decode is bound by memory bandwidth plus fixed per-layer costs.

decode step  = Σ over stages [ weights ÷ (bandwidth × η_memory × η_backend × η_format)
                               + their multiply-adds at the vector rate (quantized weights)
                               + KV read at the current depth ÷ (bandwidth × η_memory × η_backend × η_kv)
                                 (η_kv: the flash-attention kernel's, or llama.cpp's general kernels')
                               + layers × per-layer time + MoE layers × per-MoE-layer time ]
               (or the FLOPs ÷ FLOPS when a big batch makes it compute-bound)
               + a hand-off per layer-split boundary, or the all-reduces of tensor parallel
prefill      = estimator/prefill.py, at the dense matrices' share of the matrix rate given here (η_prefill ×
               η_format, `prefill_efficiency`), which a decode step reaches too once a large batch makes it
               compute-bound

With B concurrent sequences one step reads the dense weights once, the routed experts that any of the
B tokens picked (1 − (1 − k/E)^B of them) and every sequence's KV cache.

Every constant below is fitted by `bench/accuracy.py --fit` on the published measurements in
../shared/reference/calibration/ and bench/data/public_measurements.json (bench/README.md has the per-class
errors, in-sample and with each device held out); each comment says which rows decide it.
"""

from dataclasses import dataclass

# What the hardware and the format are (estimator/hardware.py), imported here for the Stage builders and
# the bench, which read them as speed.memory_class etc.
from .hardware import (  # noqa: F401
    TENSOR_WIDTH,
    bf16_prompt_rate,
    clock_ghz,
    expert_loop_prompts,
    format_family,
    full_rate_fp16,
    integer_dot_matvec,
    kernels,
    matrix_width,
    memory_class,
    prompt_kernels,
    sm_ghz,
    tensor_width,
)

# ---- Calibrated constants ---------------------------------------------------------------------------
# Fitted together by `bench/accuracy.py --fit` (Levenberg–Marquardt on log error, each constant within its
# physical range) on 1276 published rows of 70 devices; the comments say which rows decide each. Kernel
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
# own. Fitted: NVIDIA 8.98 bytes per SM-cycle (V100, A100, H100, H200 rows), AMD 6.64 per CU-cycle (MI50, MI100,
# MI300X). The exponent 2 is the held-out choice among 1 (the two times added), 2, 4 and a hard minimum: decode
# 7.9% / 26.8%, 7.8% / 26.7%, 7.9% / 26.5%, 8.3% / 27.0%; HBM · CUDA dense 6.9%, 3.5%, 3.2%, 6.6% and MoE 10.7%,
# 12.4%, 15.2%, 16.0% (bench/README.md). HBM parts without a listed SM count, the P100 among them, take the "hbm"
# share (fitted on the P100's rows), HBM3e ones `HBM3E_SHARE` of it. Unified LPDDR boxes reach what GDDR cards do
# (Apple M1–M5, DGX Spark, Strix Halo, Jetson, 780M,
# Lunar Lake); Apple's Ultra chips, two dies whose GPU reads half its bytes across UltraFusion, about 0.8 of
# that (M1, M2 and M3 Ultra rows: 7B Q4_0 at 75–94 tok/s of 800–819 GB/s, the Max chips 61–83 of 400–546).
# vLLM's kernels are not llama.cpp's: it takes 1 (`Stage.memory_efficiency`).
# Intel's first Arc generation ("gddr_xe_hpg": Alchemist, Xe-HPG) reads its GDDR6 at a smaller share than Xe2 cards
# do with the same kernels, on Vulkan and SYCL alike. llama.cpp's Vulkan scoreboard (discussion 10879) runs
# LLaMA-2-7B Q4_0 tg128 at 52.6 tok/s on an A770 (560 GB/s), 70.1 on a B580 (456 GB/s), and kyuz0's B70 table at
# 87.4 (608 GB/s): 0.094 tok/s per GB/s against Xe2's 0.144-0.154, about 0.62 of it; two and three A770s on SYCL
# at default settings (zhaoyshine's bench, PR 22066) decode about 40% below what Xe2's shares give. Fitted on those
# rows alone, with a weak pull to 1 (a GDDR card's share): 0.658. Other Alchemist cards (A750, A580, A380, Arc Pro
# A) take it; held out, the A770 falls to the prior.
HBM3E_SHARE = 3350 / 4890
MEMORY_EFFICIENCY = {
    "gddr": 1.0,
    "gddr_xe_hpg": 0.659,
    "hbm": 0.579,
    "lpddr": 0.985,
    "lpddr_two_die": 0.821,
    "ram": 1.0,
}
HBM_BYTES_PER_SM_CYCLE = {
    "nvidia": 8.88,
    "amd": 6.63,
}
# BACKEND: the share each kernel family reaches on legacy quants (Q4_0/Q8_0, most rows' format): GeForce,
# RTX and Radeon rows of the CUDA/Vulkan scoreboards, the Apple table, the kyuz0 toolboxes (R9700, Strix
# Halo, Arc Pro B70, P100), randomfoo2's table. vLLM: the vLLM rows cannot tell it from its compute (they run
# at ~70 sequences); it sits at the top of its range, 0.9.
BACKEND_EFFICIENCY = {
    "cuda": 0.889,
    "cuda_pascal": 0.73,
    "rocm": 0.914,
    "vulkan": 0.908,
    "vulkan_intel": 0.635,
    "sycl": 0.758,
    "metal": 0.89,
    "mlx": 0.945,
    "vllm": 0.9,
    "cpu": 0.7,
}
# FORMAT: a format family's kernel efficiency relative to legacy quants, per kernel family (1 where no row
# says otherwise). K-quants unpack more per byte (Llama 3 Q4_K_M rows, Strix Halo and R9700 Q4_K_M rows);
# 16-bit floats need no unpacking on ROCm (on Intel's Vulkan they take the Vulkan family's shares, and SYCL's BF16
# before PR 21580 went through a copy: below). MXFP4 stays at 1: all its rows are gpt-oss, an MoE, so its own
# factor cannot be told apart from the MoE costs below. MLX runs only its own formats: its BACKEND share is
# theirs.
FORMAT_EFFICIENCY: dict[tuple[str, str], float] = {
    ("kquant", "cuda"): 0.939,
    ("kquant", "cuda_pascal"): 0.678,
    ("kquant", "rocm"): 0.794,
    ("kquant", "vulkan"): 0.938,
    ("kquant", "vulkan_intel"): 0.854,
    ("kquant", "sycl"): 0.826,
    ("kquant", "metal"): 0.923,
    ("float", "cuda"): 0.982,
    ("float", "rocm"): 1.06,
    ("bf16", "rocm"): 1.04,
    ("bf16", "vulkan"): 0.918,
    ("bf16", "sycl"): 0.74,
    ("float", "metal"): 0.993,
}
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
# `FORMAT_PRIORS`): no row of a later build says more.
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
LOW_BIT_KQUANT_EFFICIENCY = 0.693
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
# KV: the cache is read at this share of the weights' rate (flash-attention kernels): the `tgN @ dD` rows
# (R9700, Strix Halo, Arc Pro B70, DGX Spark, P100, MI50); without flash attention, below.
# On a listed HBM part the flash-attention kernel reads the cache at the spec bandwidth, not at the in-flight
# bound of the mat-vec kernels (`HBM_BYTES_PER_SM_CYCLE`; `kv_memory_efficiency`): llama.cpp's `launch_fattn`
# (ggml/src/ggml-cuda/fattn-common.cuh, which the ROCm build compiles too) splits the cached sequence over
# `parallel_blocks` chosen "at least large enough to achieve max. occupancy for a single wave" (the occupancy
# cudaOccupancyMaxActiveBlocksPerMultiprocessor reports), so every SM streams K/V tiles at full occupancy, where
# a mat-vec launches a block per few weight rows. kyuz0's MI50 toolbox: Llama 2 7B Q4_0 decodes at 95.6 tok/s
# near an empty cache (weights at ~490 GB/s of 1024) and 29.7 at 32k, so its 16 GiB of cache a token are read at
# ~740 GB/s; under the weights' bound the engine put that row 33% slow held out, the V100's gpt-oss-20b at 32k 21%.
KV_EFFICIENCY = {
    "cuda": 0.842,
    "cuda_pascal": 0.804,
    "rocm": 0.841,
    "vulkan": 0.821,
    "vulkan_intel": 0.8,
    "sycl": 0.864,
    "metal": 0.8,
    "mlx": 0.773,
    "vllm": 0.8,
    "cpu": 0.5,
}
# KV without flash attention (`-fa off`, or a build or backend without it): llama.cpp reads the cache with its
# general kernels instead of one fused kernel: K against each head's query, a softmax over the F32 scores, then
# the transposed V against them, mat-vecs over head-strided F16 views that read the cache at a fraction of the
# weights' rate. lhl's Strix Halo runs time both settings on one build (bench/data/public_measurements.json):
# per cached token and layer over tg128, Llama 2 7B (MHA, 16 KiB of KV) costs 550 ns without flash attention
# where it costs 80-95 ns with it; the GQA models (4 KiB: Llama 3 8B and 70B, Qwen3 32B, Llama 4 Scout) 92-101
# ns on Vulkan and 167-264 on ROCm. The time goes with the cache's bytes, not with the score matrix (heads × 4
# bytes per cached token: a 70B has twice an 8B's and costs the same per byte), so it is a share of the rate.
# With the Llama 3 tg4096 rows of May 2024 (llama-bench's default then, `-fa 0`: calibration/
# llama_bench_llama3.json; RTX 3070, 3090, 4090, RTX 6000 Ada, A100 PCIe, M1), one share fitted on every
# family came to 0.2 (MLX and vLLM keep theirs). A visitor who turns flash
# attention off sees it in the full-context speed.
# Each backend's general kernels are its own (CUDA's and ROCm's mat-vec and batched-GEMM paths, Vulkan's shaders,
# Metal's `kernel_mul_mv` family), so each kernel family with rows of its own takes its own share
# (`NO_FLASH_KV_EFFICIENCY`), fitted on them alone: CUDA on the Llama 3 rows, ROCm and Vulkan on lhl's Strix Halo
# rows, Metal on the `llama-batched-bench` gpt-oss rows of llama.cpp discussion 15396 (M2 Ultra, M4 Max, M1 Pro;
# August 2025, before flash attention became the default) and the M1's Llama 3 row. Their slopes between depths
# differ more than the fitted shares: from 16k to 32k cached tokens the M4 Max reads gpt-oss-20b's cache at 168 GB/s
# (0.46 of the weights' rate), the M2 Ultra at 194 (0.33), the M1 Pro from 8k to 16k at 57 (0.32), while lhl's
# Strix Halo reads Llama 2 7B's at 25-30 GB/s (0.11-0.13); the fit also carries each device's error near an empty
# cache (the M1 Pro's gpt-oss tg128 row is 18% fast held out). Families without rows of their own (Pascal,
# Intel's Vulkan, SYCL) keep the one share's 0.2, unfitted. Held out, a device takes the share its family's other
# devices fit, or the prior where it is the family's only one (the Strix Halo on ROCm and Vulkan), rather than
# one share that every family's rows pull (bench/README.md).
NO_FLASH_KV_EFFICIENCY = {
    "cuda": 0.198,
    "cuda_pascal": 0.2,
    "rocm": 0.188,
    "vulkan": 0.19,
    "vulkan_intel": 0.2,
    "sycl": 0.2,
    "metal": 0.223,
}
# Fixed costs per step that do not shrink with the model: kernel launches and synchronisation per layer, and
# per MoE layer the router, top-k, gathers and expert kernels. They dominate fast memory and small models: the
# Apple Ultra chips at Q4_0, 1B–3B models, a 3B-active MoE on a 5090. Metal's launches cost the most.
LAYER_SECONDS = {
    "cuda": 37e-6,
    "cuda_pascal": 46.6e-6,
    "rocm": 98.6e-6,
    "vulkan": 38.4e-6,
    "vulkan_intel": 62e-6,
    "sycl": 62.4e-6,
    "metal": 94.2e-6,
    "mlx": 61.1e-6,
    "vllm": 20e-6,
    "cpu": 5e-6,
}
MOE_LAYER_SECONDS = {
    "cuda": 51.3e-6,
    "cuda_pascal": 69e-6,
    "rocm": 47.5e-6,
    "vulkan": 49.3e-6,
    "vulkan_intel": 149e-6,
    "sycl": 98.9e-6,
    "metal": 57.3e-6,
    "mlx": 68.8e-6,
    "vllm": 40e-6,
    "cpu": 10e-6,
}
# On CUDA these are the latency of a chain of small dependent kernels (norms, RoPE, the router, top-k,
# gathers, the expert mat-vecs of a few rows; CUDA graphs, llama.cpp PR 6766, take the launches away on Ampere
# and later, and on Volta and Turing since PR 25749), which run at the SM clock: the times above are at
# `CLOCK_REFERENCE_GHZ` and scale by it ÷ the GPU's boost clock (`hardware.clock_ghz`; other backends, and
# NVIDIA parts of unknown clock, take them as they are). pavlokhmel.com's table runs one gpt-oss-20b Q4_K_M
# file on every part: with each part's read rate taken from its Qwen3.5-9B row (less 36 layers at 43 µs), a
# gpt-oss layer costs 66 µs beyond its reads on the RTX 4090 (2.52 GHz), 73 on the RTX 4080 (2.505), 87 on the
# H100 and H200 SXM (1.98), 117 on the A100 SXM and PCIe (1.41) and 141 on the V100 (1.38): 165-195 µs·GHz on
# all of them. With one time for every clock the engine was 14-17% slow on the Ada cards' MoE rows and 18-21%
# fast on the A100's and V100's (bench/README.md has the held-out figures).
CLOCK_REFERENCE_GHZ = 2.0
# A linear-attention (Gated DeltaNet) layer launches more small kernels than an attention layer: llama.cpp's
# qwen35 graph (src/models/qwen35.cpp at 1af4a799, `build_layer_attn_linear` and its delta-net builders) adds L2
# norms of q and k, the β sigmoid, permuted copies and the delta-rule steps to the projections. Its fixed time per
# step is this many attention layers' more (`LAYER_SECONDS`), fitted on the Qwen3.5 and Qwen3.6 rows
# (pavlokhmel.com's table, kyuz0's toolboxes, the MI50 and 7900 XTX rows) on the catalog's hybrid shapes.
LINEAR_LAYER_KERNELS = 0.826
CLOCKED_BACKENDS = ("cuda", "cuda_pascal")
# MLX runs a decode step as the ops of mlx-lm's Python graph, one Metal kernel each (a compiled function, such as
# `swiglu` or `gelu_approx`, one fused kernel), so a layer's fixed time is its kernel count × a launch-and-barrier
# time, and architectures differ in the count. Counted for one decode token (mlx-lm v0.31.3, mlx_lm/models/, the
# same files from v0.31.0 to d78bf58e of August 2026, on mlx v0.31.2; `QuantizedLinear` adds its bias as a separate
# kernel, nn.RMSNorm is one `mx.fast.rms_norm`): a Llama layer (llama.py; Mistral and the others not listed) is
# 17: RMSNorm, q/k/v, two RoPEs, two KV-cache slice updates, attention, o, residual add, RMSNorm, gate, up, swiglu,
# down, residual add. Qwen3 (qwen3.py) adds its q and k RMSNorms: 19. Qwen2 and Qwen2.5 (qwen2.py) add the q/k/v biases: 20. Gemma 3 (gemma3_text.py) has 28: four
# RMSNorms a layer and the q/k norms, each computing `1.0 + weight` before `mx.fast.rms_norm` (2 kernels each, 12),
# q/k/v, two RoPEs, two cache updates, attention, o, two `clip_residual` (compiled: one kernel each), gate, up,
# `gelu_approx` and its product with up, down. Phi-3 and Phi-4 (phi3.py) fuse q/k/v and gate/up into one product
# each: 14; their 128k-context configs (Phi-3-mini-128k, Phi-3.5-mini, Phi-4-mini: `rope_scaling` longrope over an
# original 4096) take `SuScaledRoPE`, whose scaling of the rotated part and slice update add 3 kernels to each of
# the two RoPEs: 20. gpt-oss (gpt_oss.py) has biases on q/k/v/o: its attention half is Llama's 13 + 4; an MoE
# block counts as a dense MLP's 4 here, the rest of it being `MOE_LAYER_SECONDS`: 21.
# `LAYER_SECONDS["mlx"]` is a Llama layer's; a family takes its count ÷ 17 (`mlx_layer_kernels`). Rapid-MLX's M3
# Ultra rows (bench/data/public_measurements.json; Rapid-MLX serves mlx-lm's models) say it: with one time per
# layer and one read rate, Gemma 3 1B comes out 16-19% slower than predicted and Qwen3-0.6B 21-24% faster; with
# the counts the 20 rows (Llama 3.1 8B, Qwen3 0.6B and 8B, Qwen2.5 14B, Phi-4-mini, Gemma 3 1B, 4B and 27B) sit
# within 10% of two fitted numbers, 4.0 us a kernel at 0.86 of the spec bandwidth (bench/README.md). MLX issue
# 4521 times a chain of 3,200 tiny dependent kernels on an M3 Ultra at 8.8 ms, 2.75 us each, before the command
# buffers' commits. Keyed by the catalog's family and config.json's model_type; unlisted families take Llama's.
MLX_REFERENCE_LAYER_KERNELS = 17
MLX_LAYER_KERNELS = {
    "qwen3": 19,
    "qwen3-moe": 19,  # qwen3_moe.py: Qwen3's attention, its q/k norms included
    "qwen3_moe": 19,
    "qwen3-coder": 19,
    "qwen2": 20,
    "qwen2.5": 20,
    "gemma3": 28,
    "gemma3_text": 28,
    "phi3": 14,
    "phi4": 14,
    "gpt-oss": 21,
    "gpt_oss": 21,
}
# An MoE block's kernels beyond a dense MLP's 4 (`MOE_LAYER_SECONDS["mlx"]` is gpt-oss's, the family with most MLX
# MoE rows): gpt-oss (gpt_oss.py) 13: its router's product and bias, `argpartition`, `take_along_axis`, the softmax,
# three `gather_qmm` each with its biases gathered and added, the compiled swiglu, the weighting and the sum (17).
# Qwen3's MoE (qwen3_moe.py) 8: the router, softmax, `argpartition`, `take_along_axis`, the top-k renormalisation
# (a sum and a division), three `gather_qmm`, swiglu, the weighting and the sum (12).
MLX_REFERENCE_MOE_KERNELS = 13
MLX_MOE_KERNELS = {
    "qwen3": 8,
    "qwen3-moe": 8,
    "qwen3_moe": 8,
    "qwen3-coder": 8,
}
PHI_FAMILIES = ("phi3", "phi4")
SU_SCALED_ROPE_KERNELS = 6
SU_SCALED_ROPE_CONTEXT = 131072  # Phi's longrope configs: 128k tokens over an original 4096


def mlx_layer_kernels(family: str, context: int | None = None) -> float:
    """A layer's kernels in mlx-lm's graph of this architecture ÷ a Llama layer's (`MLX_LAYER_KERNELS`)."""
    count = MLX_LAYER_KERNELS.get(family, MLX_REFERENCE_LAYER_KERNELS)
    if family in PHI_FAMILIES and (context or 0) >= SU_SCALED_ROPE_CONTEXT:
        count += SU_SCALED_ROPE_KERNELS
    return count / MLX_REFERENCE_LAYER_KERNELS


def mlx_moe_kernels(family: str) -> float:
    """An MoE block's kernels beyond a dense MLP's in mlx-lm's graph ÷ gpt-oss's (`MLX_MOE_KERNELS`)."""
    return MLX_MOE_KERNELS.get(family, MLX_REFERENCE_MOE_KERNELS) / MLX_REFERENCE_MOE_KERNELS


# SYCL launches its kernels through Level Zero command lists (`submit_seconds`). Intel's guide "Level Zero Immediate
# Command Lists" (https://www.intel.com/content/www/us/en/developer/articles/guide/level-zero-immediate-command-lists.html)
# says the 2025.3 oneAPI release made the L0 v2 adapter, which only submits through immediate command lists ("a razor
# thin submission interface ... for workloads which have tendency to launch small or short running kernels"), the
# default on Arc B cards and Core Ultra 200V (Lunar Lake); before it their L0 v1 adapter batched launches into
# regular command lists (v1 made immediate lists the default on Arc A cards, not on Xe2). A decode step
# is a few hundred small kernels, so a build on the older runtime pays this much more per layer: PR 13826's B580
# (oneAPI 2025.1) decodes qwen2 1.5B Q4_0 in 7.3 ms a token for 3.3 ms of reads, where kyuz0's B70 (May 2026) and
# jmsirvent's Lunar Lake (oneAPI 2026.0) leave 0-90 µs a layer beyond their reads. The engine answers for today's
# runtime; the bench marks the rows of the older one (`Stage.batched_submit`, bench/speed_resolve.py). Fitted on
# the B580 and Lunar Lake rows of 2024-2025 (PRs 13109, 13826, 13885, 13973; ipex-llm issue 12991; randomfoo2).
SYCL_BATCHED_SUBMIT_SECONDS = 80.4e-6
# Expert kernels (GGML_OP_MUL_MAT_ID) read a scattered set of matrices: this share of the dense kernels'
# rate (gpt-oss, Qwen3-30B-A3B and its kin, Llama 4 Scout, DeepSeek rows).
EXPERT_EFFICIENCY = 0.934
# Layer split: each boundary between GPUs costs a synchronisation per token besides the copy of the hidden
# state (llama.cpp's scheduler waits for the stage before): the 2–8 GPU rows (RTX 3090/4090/6000 Ada, A100
# PCIe, R9700, MI50, P100, 7900 XTX, MI300X).
HANDOFF_SECONDS = {
    "cuda": 108e-6,
    "cuda_pascal": 101e-6,
    "rocm": 121e-6,
    "vulkan": 101e-6,
}
HANDOFF_DEFAULT_SECONDS = 110e-6

# Prefill: a share of the dense FP16 matrix rate (tensor cores, XMX, WMMA; Apple: the shader rate), from the
# pp512 … pp21000 rows. llama.cpp's prompt kernels on AMD and Intel reach a third or less of their matrix
# units; MLX reaches the whole of the rate credited to the M4 Max (the top of its range). llama.cpp's Vulkan
# backend on NVIDIA's tensor cores takes CUDA's shares (`prompt_kernels`: cooperative-matrix shaders on the
# tensor cores): the RTX 3090, 4090 and 5090 Vulkan rows, which "vulkan" put 38–73% low while they held it up
# for AMD. Intel's Alchemist cards on Vulkan, which that backend gives no matrix cores, run AMD's Vulkan share of
# their vector rate (`shader_width`, `hardware.prompt_kernels`): "vulkan_intel" is Xe2's share of XMX.
PREFILL_EFFICIENCY = {
    "cuda": 0.911,
    "cuda_pascal": 1.0,
    "rocm": 0.374,
    "vulkan": 0.319,
    "vulkan_intel": 0.155,
    "sycl": 0.204,
    "metal": 0.694,
    "mlx": 1.0,
    "vllm": 0.516,
    "cpu": 0.5,
}
# NVIDIA parts listed at their full FP16 rate (see `full_rate_fp16`) reach this share of what GeForce cards
# reach of their half rate: the RTX 6000 Ada, RTX PRO 6000, A100, H100, DGX Spark and Jetson rows.
FULL_RATE_PREFILL_FACTOR = 0.458
# K-quants cost more to unpack in a prompt batch on ROCm, CUDA and Vulkan; BF16 on Vulkan and SYCL: below.
PREFILL_FORMAT_EFFICIENCY: dict[tuple[str, str], float] = {
    ("kquant", "cuda"): 0.815,
    ("kquant", "cuda_pascal"): 0.983,
    ("kquant", "rocm"): 0.778,
    ("kquant", "vulkan"): 0.814,
    ("kquant", "vulkan_intel"): 0.84,
    ("kquant", "sycl"): 1.02,
    ("kquant", "metal"): 0.952,
    ("float", "cuda"): 1.03,
    ("float", "rocm"): 1.1,
    ("float", "metal"): 1.07,
    ("bf16", "rocm"): 0.912,
    ("mlx", "mlx"): 1.03,
    ("bf16", "mlx"): 0.986,
}
# BF16 weights in a prompt batch on backends without BF16 matrix kernels (Vulkan, SYCL): llama.cpp converts
# them before the product, at one share of the legacy quants' rate whatever the vendor: the Strix Halo's
# Vulkan rows (fitted alone 0.42), the Arc Pro B70's Vulkan (0.55) and SYCL rows (0.47).
BF16_CONVERTED_BACKENDS = ("vulkan", "vulkan_intel", "sycl")
BF16_PREFILL_EFFICIENCY = 0.392
# vLLM: its custom all-reduce over NVLink costs a fixed time per call (one kernel reading the peers' buffers): the
# vLLM serving rows (A100/H100 SXM TP 1–8, vLLM 0.5.4, and the serving benchmarks of bench/data/vllm_serving.json)
# with the per-sequence cost of their load taken apart (bench/accuracy.py SERVING), and the single-stream rows (one
# request at a time on 15 devices, vLLM 0.7.3–0.27.1). It rests at its physical bound (15 us; vLLM's own unit test
# gives 8.5-11.8 us a call on H100 NVLink).
VLLM_ALL_REDUCE_SECONDS = 15e-6
# Off NVLink vLLM all-reduces through NCCL (`timing.vllm_custom_all_reduce`): its custom all-reduce "is disabled
# because it's not supported on more than two PCIe-only GPUs", and on two NVIDIA GPUs without peer-to-peer access
# ("your platform lacks GPU P2P capability"; vllm/distributed/device_communicators/custom_all_reduce.py; AMD GPUs
# skip that test, so two ROCm cards keep the custom one). A decode step's few KB are latency-bound: a fixed
# time per call. NCCL's own tuning model (src/graph/tuning.cc: 6.6 µs for a ring's LL protocol plus 1 µs per PCIe
# hop) gives 9-21 µs at TP 2-8, the prior; the rows take more, the launch and the flags' round trips included:
# 8× RTX 4090, 8× RTX A6000 and 8× V100S (PCIe 3.0) on Llama 3 70B and Mixtral, 4× RTX PRO 6000 across two
# sockets, 2× A100 PCIe without P2P, one request at a time. Fitted: 36 µs a call. A time per hop besides (fitted
# 1.4 µs) left the figures as they were. The ring of 10 µs hops before (links.PCIE_LATENCY_US; 14 hops at TP 8,
# 140 µs a call) put the 8-GPU rows 24-50% slow.
VLLM_NCCL_ALL_REDUCE_SECONDS = 36e-6
# vLLM's products on HBM parts (cuBLAS and its own GEMMs) are bound, as llama.cpp's are (`HBM_BYTES_PER_SM_CYCLE`),
# by the bytes the SMs keep in flight: the read rate is the soft minimum of the spec bandwidth and this many bytes
# per SM-cycle × SMs × boost GHz (`hardware.NAMED_PARTS`), before the vLLM share. AccelMark's runs say it: one stream
# of Llama 3 8B BF16 (15 GB a token) takes 7.62 ms on an H200 (4.8 TB/s) and 7.74 on an H100 SXM (3.35 TB/s), the
# same 132 SMs; 10.77 ms on an A100 SXM 80 GB at vLLM 0.20.1 reads 1.4 TB/s of its 2.04. At the spec's rate the
# H200's single-stream rows came out 24-35% fast, the A100 SXM and A800 8B rows 7-22%, 8× V100S 36-42%. GDDR cards
# and unlisted parts keep the spec. Fitted (prior llama.cpp's 8.2): 16.8 bytes an SM-cycle, which caps an A100 SXM at
# 1.6 TB/s, an H100 SXM at 2.6, an H200 at 3.2 and a V100S at 1.0, before the vLLM share.
VLLM_BYTES_PER_SM_CYCLE = 16.8

# What vLLM's host (Python) spends per step besides the GPU: scheduling, preparing the inputs, sampling, and turning
# each new token into output for the client. Which engine runs decides how much of it the GPU waits for
# (`timing.runtime_step`):
# - "v0", vLLM before 0.8.0: one process does all of it between two forward passes, so a step is the GPU's time
#   plus `VLLM_HOST_SECONDS["v0"]`. AccelMark's 44 runs of vLLM 0.7.3 (one request at a time, CUDA graphs, on 12
#   hosts) put it near 2.4 ms: Qwen2.5 0.5B's step is mostly that, 2.2 to 5.2 ms a token on GPUs that read its
#   1 GB in 0.2-1.1 ms (the spread is the hosts' CPUs: a 4090 D behind an EPYC 9554 takes 2.3 ms, a 4090 behind a
#   Xeon Gold 6530 4.5); the LambdaLabs serving rows (0.5.4) are V0 too.
# - "v1", 0.8.0 to 0.13 ("We have now enabled V1 engine by default", v0.8.0's release notes): the API server
#   detokenizes and streams in its own process (`AsyncLLM`, vLLM PR 9826) while the engine core runs, so only the
#   core's scheduling and input preparation, `VLLM_HOST_SECONDS["v1"]`, stay between two forward passes: 1.65 ms,
#   fitted on the serving rows of vLLM 0.11-0.13 and the one-stream rows of 0.10.1 (2x A100 PCIe) and 0.11.0 (H100
#   SXM), less than V0's 2.4 but not the "near-zero CPU overhead" of the V1 user guide. The output side sets a
#   floor per token, `VLLM_FRONTEND_SECONDS`, that a big model's step hides: the step is the longer of GPU + core
#   and the floor.
# - "v1_async", 0.14.0 on ("Async scheduling is now enabled by default", v0.14.0's release notes, PR 27614): the
#   core schedules step N+1 while the GPU runs step N, so the step is the longest of the three: a small model's
#   token takes at least the core's 1.65 ms. The floor is fitted below the fastest one-stream row of an async
#   vLLM, Qwen2.5 0.5B at 1.83 ms a token on an A100 SXM (vLLM 0.20.1), so that no model is capped under what was
#   measured (the other, 5.11 ms on an RTX 5090 at 0.19.1, is 2.8 times slower; its record does not say why):
#   1.5 ms. Held out, those two rows predict each other badly, so a small model's vLLM speed is the least sure.
# The engine answers for today's vLLM (`VLLM_ENGINE`); bench rows say which engine they ran (their version).
VLLM_ENGINES = ("v0", "v1", "v1_async")
VLLM_ENGINE = "v1_async"
VLLM_HOST_SECONDS = {"v0": 0.00241, "v1": 0.00165}
VLLM_FRONTEND_SECONDS = 0.0015

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
    # of `active_params`, the output head's: a prompt multiplies it for its last token
    output_params: float = 0.0
    kv_bytes_per_cell: float = 0.0  # KV one sequence reads per cached token, full-attention layers
    kv_window_bytes_per_cell: float = 0.0  # the same for sliding-window layers, which keep `window` tokens
    # linear-attention layers' recurrent state one sequence reads and writes back per step, any depth
    state_bytes: float = 0.0
    linear_layers: int = 0  # of `layers`, the linear-attention ones (`LINEAR_LAYER_KERNELS`)
    window: int = 0
    attention_flops_per_pair: float = 0.0  # one query against one cached key, full-attention layers
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
    clock_ghz: float = 0.0  # `hardware.clock_ghz()`: an NVIDIA GPU's boost clock, its CUDA fixed costs' pace
    bf16_rate: float = 1.0  # `hardware.bf16_prompt_rate()`: the listed rate's share BF16 prompts run at
    integer_dot: bool = False  # `hardware.integer_dot_matvec()`: Intel's Vulkan multiplies with MMVQ
    batched_submit: bool = False  # SYCL launches batched (`SYCL_BATCHED_SUBMIT_SECONDS`)
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
            depth, window_cells_read(self)
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
        kernel = SYCL_BF16_GEMM_SHARE if self.bf16_gemm else format_efficiency(self.fmt, family)
        return self.memory_efficiency * BACKEND_EFFICIENCY[family] * kernel

    @property
    def fixed_seconds(self) -> float:
        """Per-step costs that do not depend on the bytes: launches and synchronisation (on CUDA, the small
        kernels' latency at the SM clock: `CLOCK_REFERENCE_GHZ`)."""
        layers = self.layers + LINEAR_LAYER_KERNELS * self.linear_layers
        moe_layers = self.moe_layers
        if self.backend == "mlx":
            layers *= self.mlx_layer_kernels
            moe_layers *= self.mlx_moe_kernels
        fixed = layers * LAYER_SECONDS[self.backend] + moe_layers * MOE_LAYER_SECONDS[self.backend]
        if self.clock_ghz and self.backend in CLOCKED_BACKENDS:
            return fixed * CLOCK_REFERENCE_GHZ / self.clock_ghz
        return fixed


def weights_kernels(stage: Stage) -> str:
    """Whose shares the weights are read at (`BACKEND_EFFICIENCY`, `FORMAT_EFFICIENCY`): the stage's kernel family,
    but llama.cpp's Vulkan shaders' on Intel for 16-bit weights (`FLOAT_READ_FAMILIES`)."""
    if stage.fmt in ("float", "bf16"):
        return FLOAT_READ_FAMILIES.get(stage.backend, stage.backend)
    return stage.backend


def hbm_vendor(backend: str) -> str:
    """Whose SMs an HBM part has, for `HBM_BYTES_PER_SM_CYCLE`: AMD's Instinct parts run ROCm or Vulkan."""
    return "amd" if backend in ("rocm", "vulkan") else "nvidia"


def format_efficiency(fmt: str, backend: str) -> float:
    """Decode share of a format family on a backend (`FORMAT_EFFICIENCY`; low-bit K-quants a share of K-quants')."""
    if fmt == "kquant_low":
        return FORMAT_EFFICIENCY.get(("kquant", backend), 1.0) * LOW_BIT_KQUANT_EFFICIENCY
    return FORMAT_EFFICIENCY.get((fmt, backend), 1.0)


def compute_seconds(flops: float, tflops: float | None, efficiency: float) -> float | None:
    if not tflops:
        return None
    return flops / (tflops * 1e12 * efficiency)


def decode_step_seconds(stage: Stage, batch: int, depth: int) -> float:
    """One decode step of `batch` sequences with `depth` tokens cached each: the roofline of reads and
    FLOPs, plus the fixed costs."""
    bw = stage.bandwidth_gb_s * 1e9
    weights = (stage.dense_bytes + stage.routed_bytes * stage.touched_share(batch) / EXPERT_EFFICIENCY) / (
        bw * stage.bandwidth_efficiency * matvec_share(stage, batch)
    )
    kv = (
        batch
        * stage.kv_read_bytes(depth)
        * kv_head_reads(stage)
        / (bw * kv_memory_efficiency(stage) * BACKEND_EFFICIENCY[stage.backend])
        / kv_efficiency(stage)
    )
    kv = max(kv, intel_fa_seconds(stage, batch, depth))
    flops_s = compute_seconds(2 * stage.active_params * batch, stage.tflops, prefill_efficiency(stage)) or 0.0
    return (
        max(weights + unpack_seconds(stage, batch) + kv, flops_s)
        + stage.fixed_seconds
        + submit_seconds(stage)
    )


# A sliding-window layer's cache in llama.cpp holds the window and one micro-batch, padded to 256 cells
# (`llama_kv_cache_iswa`: `size_swa = GGML_PAD(min(size_base, n_swa*n_seq + n_ubatch), 256)`, src/llama-kv-cache-iswa.cpp;
# the memory side counts it in `kv_cache.window_cells`), a ring whose oldest cells the mask hides. CUDA's, ROCm's and
# SYCL's flash-attention kernels trim only the masked tiles at the end of the view (`flash_attn_mask_to_KV_max`,
# ggml/src/ggml-cuda/fattn-common.cuh and ggml-sycl/fattn-common.hpp at ggml d99724f2), so they read every cell in use;
# Metal's and Vulkan's skip any block the mask hides (`kernel_flash_attn_ext_blk` in ggml-metal.metal; "skip the block
# if the mask is entirely -inf" in vulkan-shaders/flash_attn.comp), and read the window. Without flash attention the
# general kernels multiply the whole view everywhere. The micro-batch is llama.cpp's default `-ub` (llama-bench's).
SWA_UBATCH_CELLS = 512
SWA_PAD_CELLS = 256
MASK_SKIPPING_BACKENDS = ("metal", "vulkan", "vulkan_intel")


def window_cells_read(stage: Stage) -> int:
    """Cells a decode step reads in a sliding-window layer once the cache is past the window: the window (MLX,
    vLLM, a kernel that skips masked blocks), else the window cache's cells (`SWA_UBATCH_CELLS`)."""
    if stage.backend in ("mlx", "vllm", "cpu") or (
        stage.flash_attention and stage.backend in MASK_SKIPPING_BACKENDS
    ):
        return stage.window
    return -(-(stage.window + SWA_UBATCH_CELLS) // SWA_PAD_CELLS) * SWA_PAD_CELLS


# ROCm's decode flash attention before llama.cpp PR 16492 (11 October 2025) ran the CUDA vector kernel one block
# per QUERY head: `launch_fattn` set `blocks_num.z = Q->ne[2]*Q->ne[3]` and `flash_attn_vec_ext_f16` read the
# K and V of `head / gqa_ratio` (ggml/src/ggml-cuda/fattn-common.cuh, fattn-vec-f16.cuh at ggml 7dee1d6a, 2 August
# 2025), so a GQA model's cache was read query heads ÷ KV heads times. Without tensor cores (AMD without rocWMMA)
# `ggml_cuda_flash_attn_ext` sent every batch of up to 8 tokens there, and rocWMMA builds did too; PR 16492 (ggml
# 0b56d427) sends F16 decode with a GQA ratio that is even to the tile kernel, which handles a KV head's query
# heads in one block. lhl's Strix Halo rows of July and August 2025 with `fa 1` show it: Qwen3-30B-A3B (32 query
# heads, 4 KV heads) at tg4096 decodes at 35.1 tok/s on ROCm where the KV read once predicted 55.0 (39.1 read 8
# times), its Vulkan twin at 57.7; Vulkan's flash attention put up to 8 query heads of one KV head in a workgroup from its first
# version (ggml 449571c3, PR 13324, May 2025), so the Vulkan rows read K once (V: `COOPMAT1_KV_READS`). The bench sets the flag for ROCm
# rows dated before the PR (`speed_resolve.per_query_head_dated`); the engine answers for today's builds.
# Today's selection (`ggml_cuda_get_best_fattn_kernel`) still sends some decode to the vector kernel: NVIDIA Ada
# and later with an F16 cache and a GQA ratio up to 4 or under 8192 cells, ROCm's rocWMMA builds (decode of up to
# 2 tokens, until rocWMMA's removal, ggml 0b28b84c), a quantized cache; no dated row of those cases says whether
# the repeated reads reach memory or the cache: not modelled.
def kv_head_reads(stage: Stage) -> float:
    """How many times a decode step reads the KV cache: `Stage.kv_head_reads` under flash attention, else once."""
    return stage.kv_head_reads if fused_attention(stage) else 1.0


# Vulkan's decode flash attention for a GQA model on a GPU with VK_KHR_cooperative_matrix (AMD RDNA 3 and later)
# before llama.cpp PR 19075 (28 January 2026, ggml d59df96b) read each V tile once per row group of its workgroup.
# `ggml_vk_flash_attn` makes a GQA step's rows the KV head's query heads (N = gqa_ratio, up to 8), more than the
# scalar shader's one "small row", so it took the coopmat1 shader (`FA_COOPMAT1`; an MHA step, N = 1, stays scalar:
# ggml/src/ggml-vulkan/ggml-vulkan.cpp at ggml 9ae55b67, July 2025). That shader (vulkan-shaders/flash_attn_cm1.comp)
# stages each K tile in shared memory once, but splits its 16 rows over `row_split` = 4 groups of threads, and every
# group loops over the whole tile's V from global memory for its own rows (`data_vv4[...]` inside the row-group
# loop): K read once, V four times. PR 19075 multiplies P·V with cooperative matrices, each subgroup its own slice of
# V's columns, so V is read once ("Performance is up significantly on AMD RX 8060S (Strix Halo)"). lhl's Strix Halo
# rows with `fa 1` (Vulkan, July 2025) show it: from tg1024 to tg4096 (mean depth 512 to 2048) the GQA models read
# their cache at 80-98 GB/s (Qwen3-30B-A3B 80, Llama 3.1 8B 89, Scout 93, Qwen3 32B 96, Llama 3.3 70B 98), the MHA
# Llama 2 7B at 175-195, what the engine's share gives (189). Counted, not fitted: (1 + 4) ÷ 2 = 2.5 reads of the
# cache (K and V the same size), where the rows say 1.9-2.4 (the cache serves some repeats). The bench sets
# `Stage.kv_head_reads` to it on those rows (`speed_resolve.coopmat1_gqa_dated`); the engine answers for today's
# shaders, which read K and V once (kyuz0's May 2026 Strix Halo: gpt-oss-20b's cache at 210-225 GB/s to 64k cells).
COOPMAT1_ROW_GROUPS = 4
COOPMAT1_KV_READS = (1 + COOPMAT1_ROW_GROUPS) / 2

# Vulkan's decode flash attention on Intel GPUs is bound by its arithmetic, not by the cache's bytes. It runs the
# scalar shader (vulkan-shaders/flash_attn.comp): Alchemist has no cooperative matrices in ggml-vulkan
# (`ggml_vk_khr_cooperative_matrix_support` allows Xe2 only), and Xe2's, under Mesa, are 8x16x16 where the coopmat1
# FA path needs a 16x16x16 shape (`coopmat_support_16x16x16_f16acc`/`_f32acc`, checked in `get_fa_tuning_params`),
# so it falls back to FA_SCALAR. On Intel that shader runs without subgroup operations ("Disable subgroup use due to
# performance issues when enforcing subgroup sizes": its reductions go through shared memory and barriers), each
# thread loading its K and V slices from global memory (the shared-memory staging is NVIDIA's only), in few
# workgroups: split-k fills `shader_core_count` × 2 of them, and the Arc Pro B70 (BMG-G31) is not in
# `ggml_vk_intel_shader_core_count`'s list, so it takes the placeholder 16: 32 workgroups of 128 threads on 32 Xe
# cores, each thread's multiply-adds waiting on its loads (ggml-vulkan.cpp at ggml 5bb72360, 5 May 2026; the same
# at d99724f2, 21 August 2026). kyuz0's B70 rows (Vulkan, Mesa, build 9039) spend, from tg128 to tg32 @ d16384,
# 29.8 ms more a token on Llama 2 7B Q4_0 (MHA, 32 query heads of 128), 12.1 on gpt-oss-20b (64 query heads of 64
# on its 12 full layers), 8.9 on Qwen3.6-35B-A3B, 31.3 on Qwen3.6-27B and 8.9-9.8 on Qwen3.5-9B (16, 24 and 16
# query heads of 256 on their 10, 16 and 8 attention layers): their caches at 33-60 GB/s for the GQA models, 288
# for the MHA one, but 2.2-3.0 × 10^11 FLOPs a second of QKᵀ and PV for every one of them once each workgroup's
# rows are counted as the shader pads them (`intel_fa_padded_rows`); SYCL's kernels read the same caches at
# 150-580 GB/s. So the decode step takes the longer of the cache's reads and that arithmetic at this share of the
# vector rate (`matrix_width`): 2.65 × 10^11 of the B70's 45.9 × 10^12 FP16 FLOPs. Fitted (from a prior of 0.0063,
# the Llama 2 7B row alone, the one without GQA packing); the B70 is the only Intel GPU with Vulkan rows at a
# depth, so other parts take the share of their own vector rate unchecked (the B580 and A770 are in the list,
# with 40 and 64 workgroups on other core counts than the B70's: their occupancy, so their share, is not the B70's).
# Still so in llama.cpp b10883 (issue 28721, 10 September 2026: B70 Vulkan decode
# "collapses ~8x as context grows from 1k to 64k", SYCL ~2.4x; a maintainer: "a known issue, the Flash Attention
# shader does not run well on Intel Battlemage"); Intel's own decode shaders for Xe2/Xe3 (PR 24406, ready for review
# 15 September 2026) would replace it: once rows of a build with them exist, this becomes a dated rule.
INTEL_FA_VECTOR_SHARE = 0.00577
# The scalar shader's row tiles on Intel (`get_fa_tuning_params_scalar`, `reduce_block_rows` always on for Intel):
# a decode step packs a KV head's query heads into one workgroup's rows when the GQA ratio fits the tile the shader
# would use for a prompt (`max_gqa`: 4 rows for heads of 64 or less, 8 above), and pads them to the tile's rows
# (2, 4 or 8); a larger ratio (gpt-oss-20b's 8 on heads of 64) or MHA runs one query head a workgroup.
INTEL_FA_ROW_SPLIT_MAX_HEAD = 64


def intel_fa_padded_rows(gqa_ratio: float, head_dim: int) -> float:
    """Rows the scalar flash-attention shader computes on Intel per query head at decode (≥ 1): a packed KV head's
    tile rows over its query heads (`INTEL_FA_ROW_SPLIT_MAX_HEAD`)."""
    gqa = round(gqa_ratio)
    small_head = head_dim <= INTEL_FA_ROW_SPLIT_MAX_HEAD
    if gqa <= 1 or gqa > (4 if small_head else 8):
        return 1.0
    if gqa < 4 or small_head:  # row_split 1
        return (2 if gqa == 2 else 4) / gqa
    return (4 if gqa <= 4 else 8) / gqa


def intel_fa_seconds(stage: Stage, batch: int, depth: int) -> float:
    """Vulkan's scalar flash attention on an Intel GPU, bound by its arithmetic (`INTEL_FA_VECTOR_SHARE`): 0
    elsewhere, without flash attention, or without a listed rate."""
    if stage.backend != "vulkan_intel" or not stage.flash_attention or not stage.tflops:
        return 0.0
    pairs = stage.attention_flops_per_pair * depth + stage.window_attention_flops_per_pair * min(
        depth, window_cells_read(stage)
    )
    flops = batch * pairs * intel_fa_padded_rows(stage.gqa_ratio, stage.head_dim)
    return flops / (stage.tflops * 1e12 / stage.matrix_width * INTEL_FA_VECTOR_SHARE)


def submit_seconds(stage: Stage) -> float:
    """A decode step's batched kernel launches (`SYCL_BATCHED_SUBMIT_SECONDS`) per layer. Decode only: a prompt's
    kernels run long enough for the host to batch the next ones meanwhile."""
    return stage.layers * SYCL_BATCHED_SUBMIT_SECONDS if stage.batched_submit else 0.0


def matvec_share(stage: Stage, batch: int) -> float:
    """Intel's Vulkan integer-dot mat-vec's share (`INTEL_INTEGER_DOT_EFFICIENCY`) for a step of up to
    `MATVEC_MAX_BATCH` sequences; more take the matrix-matrix kernels, as a prompt does."""
    return INTEL_INTEGER_DOT_EFFICIENCY if stage.integer_dot and batch <= MATVEC_MAX_BATCH else 1.0


def fused_attention(stage: Stage) -> bool:
    """Whether attention runs as one fused kernel: llama.cpp's flash attention, or MLX's and vLLM's own
    kernels (the CPU's llama.cpp rows are not timed apart)."""
    return stage.flash_attention or stage.backend in ("mlx", "vllm", "cpu")


def kv_memory_efficiency(stage: Stage) -> float:
    """Share of the spec-sheet bandwidth the KV cache is read at before the kernels' shares: the weights'
    (`Stage.memory_efficiency`), except llama.cpp's flash-attention kernel on a listed HBM part, which is not
    bound by the bytes its SMs keep in flight (`KV_EFFICIENCY`'s comment)."""
    if stage.sm_ghz and stage.backend != "vllm" and fused_attention(stage):
        return 1.0
    return stage.memory_efficiency


def kv_efficiency(stage: Stage) -> float:
    """Share of the weights' rate the KV cache is read at: the flash-attention kernel's, or without it
    llama.cpp's general kernels' (`NO_FLASH_KV_EFFICIENCY`)."""
    if fused_attention(stage):
        return KV_EFFICIENCY[stage.backend]
    return NO_FLASH_KV_EFFICIENCY[stage.backend]


def unpack_seconds(stage: Stage, batch: int) -> float:
    """The multiply-adds of a step's quantized weights at the vector rate, on top of the reads
    (`UNPACK_FLOPS`)."""
    if stage.fmt in ("float", "bf16") or not stage.tflops or stage.backend not in UNPACK_BACKENDS:
        return 0.0
    vector_rate = stage.tflops * 1e12 / stage.matrix_width
    seconds = UNPACK_FLOPS * stage.params_read(batch) / vector_rate
    if (stage.fmt, stage.backend) in PERMUTE_UNPACK:
        # an MXFP4 MoE file keeps its other tensors at 8 bits and more: only its experts are MXFP4
        dense = stage.active_params - stage.routed_active_params if stage.routed_active_params else 0.0
        coded = stage.params_read(batch) - dense
        seconds += PERMUTE_UNPACK_OPS * VECTOR_FLOPS_PER_LANE_CLOCK * coded / vector_rate
    return seconds


def prefill_efficiency(stage: Stage) -> float:
    """Share of the FP16 matrix rate prompt processing reaches on dense matrices of this format."""
    family = stage.prompt_family
    if stage.fmt == "bf16" and stage.backend in BF16_CONVERTED_BACKENDS:
        fmt = BF16_PREFILL_EFFICIENCY
    else:
        fmt = PREFILL_FORMAT_EFFICIENCY.get(
            ("kquant" if stage.fmt == "kquant_low" else stage.fmt, family), 1.0
        )
    return PREFILL_EFFICIENCY[family] * fmt * full_rate_factor(stage) / shader_width(stage)


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
    cublas = weights_cublas if weights else not fused_attention(stage)
    return FULL_RATE_PREFILL_FACTOR / (1.0 if cublas else stage.tensor_width)


def handoff_seconds(stage: Stage) -> float:
    """What a layer-split boundary costs per step after `stage`, besides moving the hidden state."""
    return HANDOFF_SECONDS.get(stage.backend, HANDOFF_DEFAULT_SECONDS)
