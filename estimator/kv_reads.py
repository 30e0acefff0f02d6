"""What a decode step's attention reads besides the weights: the KV cache at its share of the weights' rate
(`KV_EFFICIENCY`, or llama.cpp's general kernels' without flash attention), how many times a step reads it
(`kv_head_reads`), how many cells of a sliding window (`window_cells_read`), and where the shader's arithmetic,
not the bytes, bounds it (`intel_fa_seconds`). `speed.decode_step_seconds` adds it to the weights' reads; every
constant is fitted with speed.py's (`bench/accuracy.py --fit`), and its comment says which rows decide it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .speed import Stage

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
    "cuda": 0.846,
    "cuda_pascal": 0.795,
    "rocm": 0.854,
    "vulkan": 0.85,
    "vulkan_intel": 0.8,
    "sycl": 0.848,
    "metal": 0.8,
    "mlx": 0.757,
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
    "cuda": 0.202,
    "cuda_pascal": 0.2,
    "rocm": 0.188,
    "vulkan": 0.191,
    "vulkan_intel": 0.2,
    "sycl": 0.2,
    "metal": 0.225,
}


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
# vector rate (`matrix_width`): 2.68 × 10^11 of the B70's 45.9 × 10^12 FP16 FLOPs. Fitted (from a prior of 0.0063,
# the Llama 2 7B row alone, the one without GQA packing); the B70 is the only Intel GPU with Vulkan rows at a
# depth, so other parts take the share of their own vector rate unchecked (the B580 and A770 are in the list,
# with 40 and 64 workgroups on other core counts than the B70's: their occupancy, so their share, is not the B70's).
# Still so in llama.cpp b10883 (issue 28721, 10 September 2026: B70 Vulkan decode
# "collapses ~8x as context grows from 1k to 64k", SYCL ~2.4x; a maintainer: "a known issue, the Flash Attention
# shader does not run well on Intel Battlemage"); Intel's own decode shaders for Xe2/Xe3 (PR 24406, ready for review
# 15 September 2026) would replace it: once rows of a build with them exist, this becomes a dated rule.
INTEL_FA_VECTOR_SHARE = 0.00613
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


# MLA's attention arithmetic at decode, a share of the device's FP16 matrix rate (`Stage.tflops`): absorbed, each
# query head multiplies every cached cell's 576-value latent (`device_memory.decode_attention_flops_per_pair`), 38 FLOPs
# a byte of cache on GLM-4.7-Flash's 20 heads where a GQA Llama's attention does 4, in llama.cpp's flash-attention
# kernels for its 576/512 head sizes (and MLX's own), so the arithmetic, not the reads, bounds the step at depth (their
# soft maximum, as the float mat-vec's reads and instructions, `speed.DMMV_OVERLAP_EXPONENT`). MLA only: one share for
# every model, fitted on Strix Halo's MLA rows, put the MI50's GQA rows at depth 2x slow (HBM · ROCm · dense 8.4% ->
# 11.2% held out); vLLM runs its own MLA kernels, unmeasured here.
# The priors are the rows' own: itsmostafa's M4 Max MLX rows (GLM-4.7-Flash tg 87.5 tok/s, 46.6 at 21,000 cells: 10
# ms more a token for 43 GFLOPs of attention, 4.2 TFLOPS, 0.26 of 16.2) and kyuz0's Strix Halo ones (tg128 35.5,
# tg32 @ d32768 22.0 on ROCm, 41.2 and 22.6 on Vulkan: 3.9 and 3.4 TFLOPS, 0.066 and 0.056 of 59.4); the RTX 3090's
# DeepSeek-V2-Lite at 32,768 cells (Abai's tables, 191 tok/s) runs faster than its reads allow at CUDA's shares, so
# there it hardly binds. Fitted on every row (bench/accuracy.py): 0.064, 0.055, 0.255 and CUDA's 0.301. Families
# without MLA rows at depth keep 0.3 (on an RTX 4090 it binds past 60 FLOPs a byte).
MLA_ATTENTION_SHARE = {
    "cuda": 0.301,
    "cuda_pascal": 0.3,
    "rocm": 0.0643,
    "vulkan": 0.0547,
    "vulkan_intel": 0.3,
    "sycl": 0.3,
    "metal": 0.3,
    "mlx": 0.255,
}
ATTENTION_OVERLAP_EXPONENT = 4


def query_attention_flops(stage: Stage, full_per_pair: float, depth: int) -> float:
    """One query's attention FLOPs against `depth` cached cells: `full_per_pair` a cell on the full-attention
    layers, the sliding-window layers' own over the cells they read (`window_cells_read`)."""
    return full_per_pair * depth + stage.window_attention_flops_per_pair * min(
        depth, window_cells_read(stage)
    )


def attention_arithmetic_seconds(stage: Stage, batch: int, depth: int) -> float:
    """An MLA decode step's attention arithmetic over `depth` cached cells at `MLA_ATTENTION_SHARE` of the FP16
    matrix rate; 0 for other models, under vLLM, or without a listed rate."""
    if not stage.mla_kernels or stage.backend not in MLA_ATTENTION_SHARE or not stage.tflops or not depth:
        return 0.0
    pairs = query_attention_flops(stage, stage.decode_attention_flops_per_pair, depth)
    return batch * pairs / (stage.tflops * 1e12 * MLA_ATTENTION_SHARE[stage.backend])


def intel_fa_seconds(stage: Stage, batch: int, depth: int) -> float:
    """Vulkan's scalar flash attention on an Intel GPU, bound by its arithmetic (`INTEL_FA_VECTOR_SHARE`): 0
    elsewhere, without flash attention, or without a listed rate."""
    if stage.backend != "vulkan_intel" or not stage.flash_attention or not stage.tflops:
        return 0.0
    pairs = query_attention_flops(stage, stage.attention_flops_per_pair, depth)
    flops = batch * pairs * intel_fa_padded_rows(stage.gqa_ratio, stage.head_dim)
    return flops / (stage.tflops * 1e12 / stage.matrix_width * INTEL_FA_VECTOR_SHARE)


# SYCL's decode flash attention for a GQA model with an F16 cache runs the generic tile kernel, not the vector one,
# and its time goes with its arithmetic per work-item, not with the cache's bytes. `ggml_sycl_get_best_fattn_kernel`
# (ggml-sycl/fattn.cpp, the same from PR 20190, March 2026, through b5cae268 and d99724f2, 21 August 2026) sends one
# query token with an unquantized cache to the vector kernel only `if (!gqa_opt_applies)`: MHA (and a quantized cache
# always) takes it, GQA with a mask the tile kernel (`BEST_FATTN_KERNEL_TILE`; the oneMKL and oneDNN paths of July and
# August 2026 need 32 query tokens). `launch_fattn_tile_switch_ncols2` packs `ncols2` query heads of one KV head in a
# workgroup (8, 4 or 2, the largest dividing the GQA ratio, 1 for an odd one), `_switch_ncols1` pads a decode step's
# columns to `cols_per_block` = max(ncols2, 2) (fattn-tile.hpp), with the fp16 config's 64, 128 or 256 threads for 2,
# 4, 8+ columns: a subgroup of 32 per column, each walking every cell of its workgroup's share for its own query head.
# `launch_fattn` (fattn-common.hpp) splits the cells over `parallel_blocks`, from `max_wg_per_cu` (1024 work-items ÷
# the device's compute units, 256 vector engines on the B70: 4) up to whatever fills whole waves of `nsm` ×
# `max_wg_per_cu` blocks (compute units ÷ 16 × that: 64 on the B70, A770 and Lunar Lake, 60 on 160-engine Battlemage)
# at ≥ 95%: 8 KV heads take 8 blocks each, 2 take 32, 12 tiles (Qwen3.6-27B: 4 KV heads × 3 pairs) 16. So a step
# launches ~64 workgroups, one or two subgroups a vector engine, and a cell costs each subgroup its head's multiply-adds
# with nothing to hide their latency. kyuz0's and bosd's B70 rows on SYCL say it: from tg128 to tg32 @ d16384 (and
# tg64 to @ d2048/8192/32768) the GQA models' caches go at 150-260 GB/s where the MHA Llama 2 7B's (vector kernel)
# goes at 580, but their arithmetic per launched work-item is one rate: 0.100 GFLOP/s on Qwen3-4B (8 KV heads of 128,
# ncols 4, 8192 work-items) at every depth, 0.099 on Qwen3.6-35B-A3B (2 of 256, ncols 8, 16384), 0.108 and 0.097 on
# Qwen3.5-9B BF16 and Q8_0 (4 of 256, ncols 4), 0.126 on gpt-oss-20b (8 of 64, ncols 8), 0.074 on Qwen3.6-27B
# (ncols 2 in 192 workgroups of 64). The step takes the longer of the cache's reads and that arithmetic (padded
# columns counted) beyond each block's first 64-cell tile, which near an empty cache is in the layer's fitted fixed
# time: FLOPs ÷ (work-items × `SYCL_TILE_ITEM_FLOPS`). Its prior is the per-invocation pace of the other latency-bound
# llama.cpp attention kernel on the same vector engines, Vulkan's scalar shader (`INTEL_FA_VECTOR_SHARE` at its prior
# × the B70's 45.9 TFLOPS vector rate ÷ its 4,096 invocations: 0.0706 GFLOP/s); fitted on every row, 0.0760 (the B70's
# SYCL depth rows are the only SYCL rows past 1,024 cells, so held out the B70 takes the prior). The waves are counted
# with the B70's 4 and 64 for every Intel GPU: the engine lists no compute units (SYCL's are the vector engines, a
# B580 reports 160: 20 Xe cores × 8), and a 160-engine Battlemage part (waves of 60) would launch ~2× the blocks. A
# step of n sequences (their own streams, `Q->ne[3]`) has n times the tiles, so a wave holds 1/n of the blocks each:
# n times one sequence's time, until the workgroups outgrow the GPU (not modelled).
SYCL_TILE_ITEM_FLOPS = 7.6e7
SYCL_TILE_FIRST_BLOCKS = 4
SYCL_TILE_WAVE_BLOCKS = 64
SYCL_TILE_NBATCH_FA = 64
# llama.cpp pads the cache's view to 256 cells under flash attention (`FATTN_KQ_STRIDE`; `gqa_opt_applies` needs it),
# and a decode step skips no masked tile (`flash_attn_mask_to_KV_max` runs for ≥ 1024 query tokens only), so the tile
# kernel multiplies every cell of the view.
SYCL_TILE_KV_PAD = 256


def sycl_tile_columns(gqa_ratio: float, head_dim: int) -> tuple[int, int]:
    """`ncols2` (query heads of one KV head per workgroup) and `cols_per_block` of SYCL's tile kernel for one
    query token (`launch_fattn_tile_switch_ncols2` and `_ncols1`, ggml-sycl/fattn-tile.hpp)."""
    gqa = round(gqa_ratio)
    widths = (16, 4, 2) if head_dim == 512 else (8, 4, 2)
    ncols2 = next((w for w in widths if gqa % w == 0), 1)
    if head_dim == 512 and ncols2 > 4:
        return ncols2, 2 * ncols2
    return ncols2, max(ncols2, 2)


def sycl_tile_parallel_blocks(tiles: int, cells: int) -> int:
    """`launch_fattn`'s `parallel_blocks` for `tiles` workgroup tiles over `cells` cached tokens (fattn-common.hpp):
    from `SYCL_TILE_FIRST_BLOCKS` up to the count that fills whole waves of `SYCL_TILE_WAVE_BLOCKS` best."""
    limit = max(1, -(-cells // SYCL_TILE_NBATCH_FA))
    best = min(SYCL_TILE_FIRST_BLOCKS, limit)
    best_waves, best_eff = 0, 0
    for test in range(best, limit + 1):
        total = tiles * test
        waves = -(-total // SYCL_TILE_WAVE_BLOCKS)
        eff = 100 * total // (waves * SYCL_TILE_WAVE_BLOCKS)
        if best_eff >= 95 and waves > best_waves:
            break
        if eff > best_eff:
            best_waves, best_eff, best = waves, eff, test
    return best


def sycl_tile_decode(stage: Stage) -> bool:
    """Whether SYCL decodes one sequence's attention with the tile kernel: flash attention, and the vector kernel
    ruled out (`ggml_sycl_get_best_fattn_kernel`: a GQA model with an unquantized cache, or a head size it lacks)."""
    if stage.backend != "sycl" or not stage.flash_attention or not stage.kv_heads:
        return False
    vector_ok = stage.head_dim % 64 == 0 and stage.head_dim <= 512
    return not (vector_ok and (stage.kv_quantized or round(stage.gqa_ratio) < 2))


def sycl_tile_seconds(stage: Stage, batch: int, depth: int) -> float:
    """SYCL's tile flash-attention kernel at decode, bound by its arithmetic per work-item (`SYCL_TILE_ITEM_FLOPS`)
    beyond each block's first tile, each sequence of a batch its own: 0 where it does not run (`sycl_tile_decode`)."""
    if not sycl_tile_decode(stage):
        return 0.0
    ncols2, cols = sycl_tile_columns(stage.gqa_ratio, stage.head_dim)
    nthreads = 64 if cols <= 2 else 128 if cols == 4 else 256
    tiles = round(stage.kv_heads) * -(-round(stage.gqa_ratio) // ncols2)
    padding = tiles * cols / (stage.kv_heads * stage.gqa_ratio)  # columns computed per query head
    seconds = 0.0
    for flops_per_pair, used in (
        (stage.attention_flops_per_pair, depth),
        (stage.window_attention_flops_per_pair, min(depth, window_cells_read(stage))),
    ):
        # the view's cells, padded to `SYCL_TILE_KV_PAD`: a decode step computes the masked ones too
        cells = -(-used // SYCL_TILE_KV_PAD) * SYCL_TILE_KV_PAD
        if flops_per_pair and used:
            blocks = sycl_tile_parallel_blocks(tiles, cells)
            # each block's first tile of cells is in the layer's fixed time (fitted near an empty cache)
            beyond = max(0, cells - blocks * SYCL_TILE_NBATCH_FA)
            seconds += flops_per_pair * beyond * padding / (tiles * blocks * nthreads * SYCL_TILE_ITEM_FLOPS)
    return batch * seconds


# SYCL's vector flash-attention kernel (MHA, or a quantized cache) reads the cache near the spec rate, above the share
# of it SYCL's mat-vec kernels give the weights (`BACKEND_EFFICIENCY["sycl"]`, 0.742): kyuz0's B70 Llama 2 7B Q4_0
# (build 9039, `-fa 1`) decodes at 106.3 tok/s at tg128 and 41.4 at tg32 @ d16384, its 8.6 GB of cache a token read
# at ~580 GB/s, 0.96 of the 608 (the weights go at 455). `launch_fattn` gives it 4 parallel blocks per query head on
# the B70 (`parallel_blocks` from `max_wg_per_cu`: two full waves of 64 for 32 heads), 128 workgroups of 8 subgroups
# (128 threads, `WARP_16_SIZE`; 256 threads on Xe2 since PR 25205, July 2026): 4 subgroups a vector engine, each
# loading its K and V rows straight into registers (fattn-vec.hpp). A share of the weights' rate (`KV_EFFICIENCY` ≤
# 1) cannot reach that row, and the fit lifted the weights' share of every SYCL device for it; so SYCL's flash
# attention reads the cache at `KV_EFFICIENCY["sycl"]` of the memory's rate, the mat-vec's share apart (a GQA step's
# tile kernel takes its arithmetic's time above that: `sycl_tile_seconds`). The B70 is the only SYCL device with rows
# past 1,024 cells: held out it takes the share's prior, 0.8.
def own_kv_rate(stage: Stage) -> bool:
    """Whether the KV cache is read at `KV_EFFICIENCY` of the memory's rate alone, not of the kernel family's
    weights' share too: SYCL's flash attention."""
    return stage.backend == "sycl" and stage.flash_attention


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
