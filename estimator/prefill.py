"""How fast a prompt is read: compute-bound, by the matrix rate, with the weights read once per micro-batch.

prefill = Σ over stages max(matrix FLOPs ÷ (FLOPS × η_prefill × η_format) + attention FLOPs at depth ÷
                            (FLOPS × η_attention), weights read once per micro-batch ÷ bandwidth)
                        (+ without flash attention, the score matrix's bytes ÷ bandwidth)
                        (+ where llama.cpp loops over a micro-batch's experts, a fixed time per expert call)
                        (+ in builds before PR 15525, a host round trip per expert product)

η_prefill and η_format, the dense matrices' share of the rate, are estimator/speed.py's (a decode step that
turns compute-bound at a large batch runs at it too); the constants below are the prompt's own. Each is fitted by
`bench/accuracy.py --fit` on the pp512 … pp21000 rows (bench/README.md has the per-class errors); each comment
says which rows decide it.
"""

from . import kv_reads
from .fixed_costs import LAYER_SECONDS, fixed_seconds
from .kv_reads import fused_attention
from .speed import Stage, full_rate_factor, once_per_stage, prefill_efficiency

# A prompt batch without flash attention writes each head's scores (queries × cached keys, F32) to memory, and
# the softmax reads and writes them and the product with V reads them again: 4 passes of 4 bytes a score
# (llama.cpp's `build_attn_mha`: mul_mat K·Q, soft_max_ext, mul_mat V·KQ), at the memory's share of the
# bandwidth (`score_seconds`). Counted, not fitted. The Llama 3 pp4096 rows (May 2024 builds, `-fa 0`) lose
# against their pp512 rows 1.1-1.6× what these bytes take: 70B Q4_K_M on an RTX 6000 Ada 1.27 s more over 4096
# tokens where 0.77 TB of scores take 0.80 s, on an A100 PCIe 0.77 s against 0.67 (HBM's share), 8B F16 on an RTX
# 4090 0.19 s against 0.15. Tried as a fitted byte count it lands between 16 and 24 with the same prefill figures
# in-sample, so the count stays.
SCORE_BYTES = 16
# The output head (vocabulary × hidden) multiplies only the tokens whose logits are asked for, and a prompt asks
# for its last token's: llama.cpp's batch allocator marks only the last token as an output when the caller gives
# no `logits` array (src/llama-batch.cpp, "only get last output"; llama-bench's llama_batch_get_one and the
# server's prompt batches), and the graph keeps only the output rows before the head (`inp_out_ids`); vLLM
# samples the last position of each prompt; MLX never evaluates the prompt's logits (lazy arrays). Counted,
# not fitted. It is a large share of the multiply-adds where the vocabulary is large for the model: gpt-oss-20b's
# 0.58 B of its 3.6 B active (201,088 × 2,880), gemma-2-2b's 0.59 B of 2.6 B, Llama 3 8B's 0.53 B of 8.0 B.
OUTPUT_HEAD_PROMPT_TOKENS = 1
# Expert matrices in a prompt batch: grouped small products (MUL_MAT_ID). Each expert multiplies only the
# tokens routed to it, m = micro-batch × experts per token ÷ experts (16 for gpt-oss-120b or DeepSeek at -ub
# 512, 64 for gpt-oss-20b, 256 for gpt-oss-20b at -ub 2048), while loading and unpacking its weight tiles costs
# the same whatever m is: the kernels reach m ÷ (m + EXPERT_TILE_TOKENS) of PREFILL_EXPERT_EFFICIENCY (what
# they would reach with every token). With one share for every m (0.28) the MoE pp rows held out ran 30-55% slow
# at m = 64-256 (gpt-oss-20b on the RX 7900 XT at -ub 2048, on the Strix Halo and the P100; gemma4 26B-A4B on a
# 3090) where they were about right at m = 16 (gpt-oss-120b on the DGX Spark, the Strix Halo). Fitted on the
# MoE pp rows (prior 16): 22.3 tokens, so 42% of the full share at m = 16, 74% at 64, 92% at 256. vLLM's
# fused-MoE kernel takes a step's prompt tokens with its decode batch (chunked prefill), so its experts see the
# whole step's tokens: it keeps the one share.
PREFILL_EXPERT_EFFICIENCY = 0.598
EXPERT_TILE_TOKENS = 24.7
# llama.cpp's Vulkan backend multiplies each expert's tokens in tiles of its mul_mm_id shader, as wide as the tile it
# picks for the whole batch (`ggml_vk_guess_matmul_id_pipeline`: the large tile above 64 tokens where allowed, else
# the medium one): on AMD the medium, 64 token columns (`mul_mat_id_l` false for VK_VENDOR_ID_AMD); on Intel's Xe2
# with cooperative matrices the large, 128, since PR 18178 (7 January 2026, "if coopmat & XE2+, allow large matmul
# warptile config for Intel": ggml/src/ggml-vulkan/ggml-vulkan.cpp at ggml-org/ggml 5bd48115, and d99724f2 alike). A
# tile pays for its width whatever share of it an expert's tokens fill, so Intel's Vulkan pays `EXPERT_TILE_TOKENS`
# × 128 ÷ 64. Counted, not fitted. Every Intel Xe2 Vulkan MoE prompt row (Arc Pro B60 and B70, May-July 2026) ran
# after it. Held out, the B70's Qwen3.6-35B-A3B pp512 rows (16 tokens an expert) went +56-91% → +27-52%.
INTEL_VULKAN_EXPERT_TILE_WIDTH = 2.0
# Each backend's grouped expert kernel is its own code, so it reaches its own share of PREFILL_EXPERT_EFFICIENCY:
# CUDA's and ROCm's MMQ with per-expert tile bounds (ggml-cuda/mmq.cuh), Vulkan's mul_mm_id shaders, Metal's
# kernel_mul_mm_id, SYCL's and MLX's own. Fitted on the MoE prompt rows with a pull to 1 (the shared share): CUDA
# 0.954 (0.88 until the large cards' gpt-oss pp2048 rows of 2025 were priced with their host round trips,
# `MOE_HOST_CALL_SECONDS` below), Metal 1.13 (gpt-oss on the M2 and M3 Ultra and M4 Max, 25-40% faster), the
# others within 12% of 1.
EXPERT_KERNEL_EFFICIENCY = {
    "cuda": 0.885,
    "cuda_pascal": 1.06,
    "rocm": 0.963,
    "vulkan": 0.964,
    "vulkan_intel": 1.02,
    "sycl": 0.978,
    "metal": 1.13,
    "mlx": 1.04,
}
# Where llama.cpp's prompt experts run one expert at a time (`hardware.expert_loop_prompts`: CUDA on Volta and
# GP100, SYCL), each expert any token of a micro-batch picked costs, for each of its EXPERT_MATRICES (gate, up,
# down), a gather of its tokens' rows, one product and a scatter, after the expert ids were copied to the host and
# the queue drained: a fixed time per expert and matrix, whatever its rows. It is why 2-4 V100s run Qwen3.5-35B-A3B
# pp512 at 670-940 tok/s, no faster than the dense Qwen3.6-27B (9x its active parameters) at 850-1010, and why the
# Arc Pro B70 on SYCL prompts Qwen3.6-35B-A3B, Nemotron-3-Nano and gpt-oss-20b at half to two thirds of its Vulkan
# backend's speed: held out, the V100 rows were +147% to +261% and those B70 rows +219%, +182% and +99%. Fitted on
# those rows and the P100's (prior 20 us: two launches and a share of the host round trip): 20.1 us. Below 64
# tokens Volta's CUDA path keeps the grouped kernel (MMQ_DP4A_MAX_BATCH_SIZE); decode never takes the loop.
EXPERT_MATRICES = 3
EXPERT_LOOP_MIN_TOKENS = 64
EXPERT_CALL_SECONDS = 15.8e-6
# Until llama.cpp PR 15525 (25 August 2025: "moves the helper code for the MoE MMQ kernel from host code to device
# code. This eliminates the need for synchronization"), the grouped expert kernel's call (`ggml_cuda_mul_mat_q` with
# `ids`, ggml/src/ggml-cuda/mmq.cu at ggml-org/ggml 06034b3c^) copied the router's choices to the host, waited for
# the stream, built each expert's token list in a loop over experts × tokens × experts per token, copied the lists
# back and waited again. So each expert product (EXPERT_MATRICES per MoE layer) left the GPU idle for a round trip
# (MOE_HOST_CALL_SECONDS) and that loop (MOE_HOST_ID_SECONDS an iteration), whatever the GPU: the rows of those builds
# on the fastest cards lose the most. Counted: the calls and the iterations (gpt-oss-20b at -ub 2048: 72 calls of
# 262,144; gpt-oss-120b 108 of 1,048,576; DeepSeek V3 at -ub 512: 174 of 1,048,576). Fitted on the rows of those
# builds (`Stage.moe_host_ids`, bench/speed_resolve.py `moe_host_ids_dated`): discussion 15396's guide (builds
# 6199-6210; held out the RTX 4090, 5090 and RTX PRO 6000 rows were 50-92% fast, the RTX 3090, 5060 Ti, 5070 Ti and
# 5080 within 11%, with the CUDA expert share pulled down to 0.875 for them), PR 15525's own baseline (RTX 3090,
# DeepSeek-V2-Lite pp512, +45%) and AMD's 8× MI300X DeepSeek V3 blog (build 5997, +363-608%): 3.5 ns an iteration,
# a scalar loop's pace; the round trip stays near its prior (two syncs and two small copies, 30 us).
MOE_HOST_CALL_SECONDS = 30.6e-6
MOE_HOST_ID_SECONDS = 2.37e-09
# Attention over the cache while a prompt is processed at depth (`pp2048 @ d32768`, and long prompts):
# flash-attention kernels reach this share of the matrix rate (NVIDIA, Apple; AMD and Intel: below).
ATTENTION_EFFICIENCY = {
    "cuda": 0.454,
    "cuda_pascal": 0.386,
    "metal": 0.325,
    "mlx": 0.356,
    "vllm": 0.3,
    "cpu": 0.3,
}
# llama.cpp's flash-attention kernels on ROCm, Vulkan and SYCL run on the vector units (see
# `hardware.MATRIX_WIDTH`; Vulkan on NVIDIA's tensor cores apart: `prompt_kernels`): one share of the vector
# rate, whatever the vendor: the `pp2048 @ d16384`… rows of the R9700 and Strix Halo (ROCm), the Strix Halo
# (Vulkan) and the Arc Pro B70 (SYCL), each fitted alone 0.09–0.13; Intel's Vulkan apart (below).
VECTOR_ATTENTION_KERNELS = ("rocm", "vulkan", "vulkan_intel", "sycl")
VECTOR_ATTENTION_EFFICIENCY = 0.108
# Intel's Vulkan runs a prompt's attention on the scalar shader its decode runs (`kv_reads.INTEL_FA_VECTOR_SHARE`: no
# subgroup operations, K and V loaded by each thread, each multiply-add waiting on its load). At decode its 32
# workgroups of 128 threads hold an eighth of the 32,768 invocations a B70 keeps resident (32 Xe cores × 8 vector
# engines × 8 threads × SIMD16); a prompt's micro-batch fills them (512 rows in tiles of 4 or 8 rows: 64-128
# workgroups per query head), so its attention goes at the decode's share × that occupancy, counted: 0.046 of the
# vector rate, where kyuz0's B70 `pp2048 @ d16384` rows on Vulkan (build 9039) spend 0.041-0.056 beyond their pp512
# rate, against the 0.106 the other vector-attention families shared when measured (which put them 30-79% fast).
INTEL_FA_PROMPT_OCCUPANCY = 8.0
# MLX processes a prompt in chunks of mlx-lm's `prefill_step_size`, 2048 tokens by default (mlx_lm/generate.py,
# `generate_step`: each chunk is one forward pass, evaluated before the next), not in llama.cpp's `-ub`
# micro-batches: its weights are read, its fixed costs paid and its experts see their tokens once per 2048.
MLX_PREFILL_STEP_TOKENS = 2048
# A linear-attention (Gated DeltaNet) layer runs a micro-batch's delta rule in chunks of `DELTA_CHUNK_TOKENS`, one
# after the other: llama.cpp's qwen35 graph (src/models/qwen35.cpp at 1af4a799, `build_delta_net_chunking`, CHUNK_SIZE
# 64) builds a dozen small ops per chunk (the state's transposed copy, three products against it, the subtraction,
# the concatenation, the state's decay and update), so a 512-token micro-batch adds 8 such rounds to each layer.
# Each round costs this many attention layers' fixed time (`fixed_costs.LAYER_SECONDS`), fitted on the Qwen3.5 and
# Qwen3.6 prompt rows (lhl's and kyuz0's Strix Halo, the Arc Pro B70, the MI50, the 7900 XTX, the P100s); 1.0 until
# the Qwen3.5 MoE rows ran on their own shape (December 2026), 4.2 since, the MI100's prompt rows (PR 22298's table,
# 80-90% fast on this engine, as its dense rows are 36%) among them. Builds since PR 19504 run a fused
# GGML_OP_GATED_DELTA_NET where the backend has one instead of these chunks, whose kernel steps through the tokens in
# turn (the hybrid depth check, bench/README.md): a time per token and linear layer too, the shape this term prices,
# so the term stands for the recurrence's cost in either build, not for the chunks' launches alone. MLX and vLLM run
# their own kernels and are not charged. A Mamba-2 layer (Granite 4.0-H, Nemotron-H) runs its recurrence as
# llama.cpp's SSM_SCAN, one kernel that also steps through the tokens in turn; no bench row times a Mamba-2 hybrid's
# prompt, so its layers take this Gated DeltaNet price unmeasured, which puts them on the slow side if anything.
DELTA_CHUNK_TOKENS = 64
DELTA_CHUNK_LAYERS = 2.7
# Layer split: the share of a long prompt's micro-batches that overlap across GPUs (llama.cpp's pipeline
# parallelism; 1 would be a perfect pipeline): the multi-GPU pp4096 rows against their pp512.
PREFILL_PIPELINE_OVERLAP = 0.833


def attention_efficiency(stage: Stage) -> float:
    """Share of the matrix rate (÷ `matrix_width`: the vector rate, on AMD and Intel) that flash attention
    over the cache reaches (Intel's Vulkan: its decode shader's share × `INTEL_FA_PROMPT_OCCUPANCY`)."""
    if stage.backend == "vulkan_intel" and stage.flash_attention:
        return kv_reads.INTEL_FA_VECTOR_SHARE * INTEL_FA_PROMPT_OCCUPANCY
    family = stage.prompt_family
    if family in VECTOR_ATTENTION_KERNELS:
        return VECTOR_ATTENTION_EFFICIENCY
    return ATTENTION_EFFICIENCY[family]


@once_per_stage
def prefill_seconds(stage: Stage, prompt_tokens: int, ubatch: int = 512, depth: int = 0) -> float | None:
    """A prompt of `prompt_tokens` after `depth` cached tokens, in micro-batches of `ubatch`."""
    if not stage.tflops:
        return None
    if stage.backend == "mlx":
        ubatch = MLX_PREFILL_STEP_TOKENS
    # the matrix and vector rates at the clock a prompt holds (`hardware.graphics_clock_share`)
    tflops = stage.tflops * stage.prompt_clock_share
    rate = tflops * 1e12 * prefill_efficiency(stage)
    if stage.fmt == "bf16":  # emulated at the FP32 rate on chips without it (`hardware.bf16_prompt_rate`)
        rate *= stage.bf16_rate
    attention_rate = (
        tflops
        * 1e12
        * attention_efficiency(stage)
        * full_rate_factor(stage, weights=False)
        / stage.matrix_width
    )
    # the output head gives logits for the prompt's last token only (`OUTPUT_HEAD_PROMPT_TOKENS`)
    body = stage.active_params - stage.routed_active_params - stage.output_params
    dense = 2 * (body * prompt_tokens + stage.output_params * OUTPUT_HEAD_PROMPT_TOKENS)
    experts = 2 * stage.routed_active_params * prompt_tokens
    keys = depth + prompt_tokens / 2  # the mean query of a causal prompt sees this many keys
    attention = prompt_tokens * (
        stage.attention_flops_per_pair * keys
        + stage.window_attention_flops_per_pair * min(keys, stage.window)
    )
    batch = min(prompt_tokens, ubatch)  # tokens in a micro-batch
    compute = dense / rate + experts / (rate * expert_prefill_efficiency(stage, batch))
    compute += attention / attention_rate
    ubatches = -(-prompt_tokens // ubatch)
    weights = stage.dense_bytes + stage.routed_bytes * stage.touched_share(batch)
    reads = ubatches * weights / (stage.bandwidth_gb_s * 1e9 * stage.bandwidth_efficiency)
    scores = 0.0 if fused_attention(stage) else score_seconds(stage, prompt_tokens, batch, depth)
    loop = (
        expert_loop_seconds(stage, batch) + delta_chunk_seconds(stage, batch) + moe_host_seconds(stage, batch)
    )
    return max(compute, reads) + scores + ubatches * (fixed_seconds(stage) + loop)


def delta_chunk_seconds(stage: Stage, ubatch: int) -> float:
    """A micro-batch's delta-rule chunks in llama.cpp's linear-attention layers (`DELTA_CHUNK_LAYERS`)."""
    if not stage.linear_layers or stage.backend in ("mlx", "vllm"):
        return 0.0
    chunks = -(-ubatch // DELTA_CHUNK_TOKENS)
    return stage.linear_layers * chunks * DELTA_CHUNK_LAYERS * LAYER_SECONDS[stage.backend]


def expert_loop_seconds(stage: Stage, ubatch: int) -> float:
    """Where llama.cpp multiplies a micro-batch's experts one at a time (`expert_loop`): per MoE layer, each
    expert any token picked costs its gather, product and scatter launches for each of its matrices."""
    if not stage.expert_loop or not stage.moe_layers or ubatch < EXPERT_LOOP_MIN_TOKENS:
        return 0.0
    touched = stage.experts * stage.touched_share(ubatch)
    return stage.moe_layers * EXPERT_MATRICES * touched * EXPERT_CALL_SECONDS


def moe_host_seconds(stage: Stage, ubatch: int) -> float:
    """Where a build built a micro-batch's expert lists on the host (`moe_host_ids`, before PR 15525): per MoE layer
    and expert matrix, a round trip and a loop over experts × tokens × experts per token."""
    if not stage.moe_host_ids or not stage.moe_layers:
        return 0.0
    ids = stage.experts * ubatch * stage.experts_per_tok
    return stage.moe_layers * EXPERT_MATRICES * (MOE_HOST_CALL_SECONDS + MOE_HOST_ID_SECONDS * ids)


def expert_prefill_efficiency(stage: Stage, ubatch: int) -> float:
    """Share of the matrix rate the expert products of a micro-batch of `ubatch` tokens reach: less where
    each expert gets few tokens (`EXPERT_TILE_TOKENS`)."""
    if not stage.experts or stage.backend == "vllm":
        return PREFILL_EXPERT_EFFICIENCY
    tokens = ubatch * stage.experts_per_tok / stage.experts
    share = PREFILL_EXPERT_EFFICIENCY * EXPERT_KERNEL_EFFICIENCY.get(stage.prompt_family, 1.0)
    tile = EXPERT_TILE_TOKENS * (
        INTEL_VULKAN_EXPERT_TILE_WIDTH if stage.prompt_family == "vulkan_intel" else 1.0
    )
    return share * tokens / (tokens + tile)


def score_seconds(stage: Stage, prompt_tokens: int, ubatch: int, depth: int) -> float:
    """Without flash attention, the F32 score matrix of a prompt batch in memory: each micro-batch's
    queries against every cached key, per head (`SCORE_BYTES`), at the memory's share of the bandwidth."""
    keys = depth + (prompt_tokens + ubatch) / 2  # a micro-batch scores all cells cached up to its end
    window = min(keys, stage.window + ubatch)  # a sliding-window layer's cache holds the window and the batch
    cells = prompt_tokens * (stage.score_heads * keys + stage.window_score_heads * window)
    return SCORE_BYTES * cells / (stage.bandwidth_gb_s * 1e9 * stage.memory_efficiency)
