"""What a step costs besides its bytes: kernel launches and synchronisation per layer and per MoE layer (at the
SM clock on CUDA, by each architecture's kernel count under MLX), SYCL's batched submission, and the hand-off at
each layer-split boundary. Fitted with speed.py's constants (`bench/accuracy.py --fit`); each comment says which
rows decide it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .speed import Stage

# Fixed costs per step that do not shrink with the model: kernel launches and synchronisation per layer, and
# per MoE layer the router, top-k, gathers and expert kernels. They dominate fast memory and small models: the
# Apple Ultra chips at Q4_0, 1B–3B models, a 3B-active MoE on a 5090. Metal's launches cost the most.
LAYER_SECONDS = {
    "cuda": 43.5e-6,
    "cuda_pascal": 45.4e-6,
    "rocm": 104e-6,
    "vulkan": 52e-6,
    "vulkan_intel": 46e-6,
    "sycl": 58.6e-6,
    "metal": 91e-6,
    "mlx": 39.7e-6,
    "vllm": 20e-6,
    "cpu": 5e-6,
}
MOE_LAYER_SECONDS = {
    "cuda": 43.8e-6,
    "cuda_pascal": 54.5e-6,
    "rocm": 40.9e-6,
    "vulkan": 43.1e-6,
    "vulkan_intel": 138e-6,
    "vulkan_intel_windows": 49.6e-6,  # Intel's Windows Vulkan driver (`moe_layer_family`, below)
    "sycl": 149e-6,
    "metal": 58.6e-6,
    "mlx": 88.3e-6,
    "vllm": 40e-6,
    # An MoE layer whose experts sit in system RAM (--n-cpu-moe, -ot exps=CPU): the GPU hands the hidden state and
    # the chosen experts' ids to the CPU and waits, the CPU's threads wake for the gate, up and down products and
    # hand the result back. Fitted with `speed.BACKEND_EFFICIENCY["cpu"]` (bench/offload.py --fit): the RTX 2080's
    # Qwen3-30B-A3B at --n-cpu-moe 36 (36.7 tok/s, the server's own rate, llmfit PR 755) and DeepSeek-Coder-V2-Lite
    # at --n-cpu-moe 16 (49.6, llmfit's request rate, PR 778), which pull opposite ways: anything from 35 to 60 us
    # is within 1% of the least squared error. No other host's CUDA expert-offload run states its RAM and its flags
    # (llmfit PR 787's RTX 5070 auto-fitted them unpublished). The one Vulkan run (an RX 9070 XT on Windows,
    # llama.cpp issue 25859) is still 71% fast: its round trip looks ten times CUDA's, one row, not fitted.
    "cpu": 60e-6,
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
# (pavlokhmel.com's table, kyuz0's toolboxes, the MI50 and 7900 XTX rows) on the catalog's hybrid shapes. A Mamba-2
# layer (its conv, SSM_SCAN, gated norm and projections) takes the same count, unmeasured: no bench row is one.
LINEAR_LAYER_KERNELS = 0.685
# A multi-head latent attention (MLA) layer launches more kernels than a Llama one. llama.cpp's DeepSeek-2 graph
# (src/models/deepseek2.cpp, `llm_build_deepseek2`; the same code in src/llama-model.cpp before the models moved out)
# runs the query through wq_a, its RMS norm and wq_b, the compressed KV through wkv_a_mqa and its RMS norm, absorbs
# wk_b into the query (a product), concatenates Q's and K's rope and nope parts, and decompresses the attention's
# output through wv_b: five products where Llama has Q, K and V, two more norms, two concats, and one SET_ROWS (V is a
# view of the cached latent) where Llama has two. 5 kernels more a layer (`LLAMA_LAYER_KERNELS` counts Llama's, under
# the same attention kernel); 3 without a query LoRA (DeepSeek-V2-Lite: one wq product, no norm). Counted, not fitted;
# llama.cpp's kernel families only (MLX counts its own graphs, vLLM runs its own MLA kernels). Without it AMD's
# 8× MI300X DeepSeek-V3 rows (61 layers) came out 17-26% fast held out after their router's kernels were counted.
MLA_LAYER_KERNELS = 5
MLA_LITE_LAYER_KERNELS = 3
MLA_BACKENDS = ("cuda", "cuda_pascal", "rocm", "vulkan", "vulkan_intel", "sycl", "metal")


# Under vLLM and SGLang an MLA layer (DeepSeek-V2/V3/R1, Kimi K2) costs far more than a Llama layer beyond its
# bytes at one sequence: their MLA path absorbs W_UK and W_UV into batched products around the latent attention
# kernel (FlashMLA, AITER's on ROCm), quantizes each product's activations to FP8 blocks (or unpacks AWQ's
# 4 bits in the Marlin kernels) and routes 256 experts in groups, a chain of small kernels per layer that no
# bandwidth hides. One request at a time, DeepSeek-V3.1 FP8 on 8x MI300X (SGLang 0.5.7) takes 23.8 ms a token
# and DeepSeek-R1 AWQ on 8x H100 (vLLM) 16.1 ms, where their bytes, vLLM's Llama-layer and MoE-layer times and
# 122 all-reduces come to 6.5 ms and 8.1 (bench/data/vllm_serving.json): 150-280 us a layer more, over 61
# layers. A time per MLA layer, added to the layer's `LAYER_SECONDS["vllm"]`; MLA's shorter chain in
# DeepSeek-V2-Lite (no query LoRA) takes its share (`mla_layer_kernels` ÷ `MLA_LAYER_KERNELS`). Fitted on those
# two rows (`bench/accuracy.py --fit`): 306 us, which leaves the MI300X's +34% and the H100's -17% (they were
# +265% and +98%); each held out, predicted from the other alone, +76% and -27%. AMD's chain costs more than
# NVIDIA's here as in llama.cpp (`LAYER_SECONDS["rocm"]` is 2.4 times CUDA's); two rows do not fit a time each.
VLLM_MLA_LAYER_SECONDS = 306e-6


def mla_layer_kernels(q_lora_rank: int | None) -> int:
    """Kernels an MLA attention layer launches beyond a Llama layer's (`MLA_LAYER_KERNELS`)."""
    return MLA_LAYER_KERNELS if q_lora_rank else MLA_LITE_LAYER_KERNELS


# Metal's fixed times are the same chain of small kernels (llama.cpp's Metal backend encodes a step's graph into
# command buffers, no host round trip between them), at the Apple GPU's clock (`hardware.APPLE_CLOCK_GHZ`): the
# times above are at an M2's or M3's (1.4 GHz) and scale by it ÷ the chip's. With one time for every generation the
# M1 family (1.278 GHz) came out fast and the M4 (1.58) slow on the rows where the fixed time is a large share of
# the step: held out the Apple table's M1 Max 24-core LLaMA-2-7B Q4_0 +21.8%, M1 Ultra 48-core +32.8%, discussion
# 15396's gpt-oss-20b tg128 on the M1 Max +13.1% and M1 Pro +9.6% (3.6 ms of fixed time in a 13-22 ms step)
# where the M4 Max's was −10.0%; chips of unknown generation (the M5) take the times as they are.
CLOCKED_BACKENDS = ("cuda", "cuda_pascal", "metal")
METAL_CLOCK_REFERENCE_GHZ = 1.4
# llama.cpp's builds before its MoE fusions ran a decode step's MoE layer as more kernels than today's: the sum of the
# experts' outputs as one ADD per expert beyond the first, the router's softmax, ARGSORT, GET_ROWS and top-k
# renormalisation (SUM_ROWS, DIV) apart, the routing weights' MUL apart from the down product. Today's fuse them
# (Vulkan: PR 15252 chained adds, 16 August 2025, up to 6 a dispatch; PR 16641 the top-k router, 18 October 2025;
# PR 16656 gpt-oss's late softmax, 29 October; PR 17095 mul_mat_id + mul, 9 November. CUDA, and ROCm, which
# compiles it: PR 15631 fused adds, 29 August 2025, up to 8; PR 16130 the top-k router, 25 September; PR 16649
# gpt-oss's, 21 October: ggml-org/ggml 8c021e3d, c48d0af1, 54ab43b1, 2d1360e7, 81415da3, 3648cd3e, 52567e8a; those
# routers take softmax gating only, DeepSeek V3's sigmoid router came in January 2026, not counted). The bench
# counts the kernels a row's build ran beyond today's (`Stage.unfused_moe_kernels`, bench/speed_resolve.py
# `unfused_moe_kernels`), each at a Llama layer's fixed time over its kernels (`LLAMA_LAYER_KERNELS`); the engine
# answers for today's builds, where the count is 0. On Vulkan lhl's Strix Halo rows of July 2025 ran Qwen3-30B-A3B
# (8 experts a token) at 66-89 µs a MoE layer beyond their reads and the dense layer's time, visorcraft's February
# 2026 build at 14, kyuz0's May 2026 build gpt-oss and a DeepSeek-2 file at -16 to 5: the 10 kernels Qwen3 lost, at
# 2.3 µs on Vulkan and 5.8 on ROCm, are part of that gap (the rest is not modelled).
# A Llama layer's kernels in llama.cpp's decode graph: the attention norm (its MUL fused), Q, K, V, two ROPEs, two
# SET_ROWS into the cache, FLASH_ATTN_EXT, the output product, the residual ADD, the FFN norm, gate, up, the GLU,
# down and the residual ADD.
LLAMA_LAYER_KERNELS = 17
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
# within 10% of two fitted numbers, 4.0 us a kernel at 0.86 of the spec bandwidth (bench/README.md; that was before
# the host's time, below, took the smallest models). MLX issue 4521 times a chain of 3,200 tiny dependent kernels on an M3 Ultra at 8.8 ms, 2.75 us each, before the command
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


# MLX builds every decode step's graph again on the host, and the host's time overlaps the GPU's: mlx-lm calls the
# model's ops from Python each token, and `mx.async_eval` encodes each kernel into a Metal command buffer on the
# calling thread (mlx/transforms.cpp `eval_impl` runs `gpu::eval` for one array after another, mlx v0.31.2).
# mlx-lm's `generate_step` (mlx_lm/generate.py, v0.31.3) builds and queues step N+1 before it reads step N's token,
# and Rapid-MLX's `_generation_step` (vllm_mlx/scheduler.py, v0.7.26) does the same around mlx-lm's
# BatchGenerator, so a step takes the longer of the GPU's time (its reads and `LAYER_SECONDS`) and the host's,
# which grows with the kernels (`mlx_host_seconds`, the counts above) and not with the bytes. Rapid-MLX's M3 Ultra
# rows show both: Gemma 3 1B takes 3.82-3.91 ms a token, the same at a 576- and a 2,304-token depth, 5.3 us for
# each of its 728 counted kernels where its reads take under 1 ms; Qwen3-0.6B 2.58 ms (532 kernels, 4.9 us), 2.94 at
# the deeper cache; from Gemma 3 4B and Phi-4-mini up the GPU's time is the longer. One time per kernel on top of
# the reads fits neither: Gemma 3 1B 8-11% fast and Qwen3-0.6B 5% slow in-sample, and held out, where the other MLX
# devices' rows (none host-bound) set a Llama layer at 35 us, 2.0 us a kernel, Gemma 3 1B 50-55% fast. A time per
# step instead (the server's loop, whatever the model) puts Qwen3-0.6B 19-29% slow once it holds Gemma 3 1B. The
# host's time follows the chip, which the engine does not know: mlx-lm 0.31.3 on two other chips (lablup/mlxcel,
# benchmarks/pylm_m5max_2026-09-06.csv and pylm_m1ultra_2026-09-06.csv: a 512-token prompt, 128 tokens) runs
# Qwen3-0.6B 4-bit in 1.75 ms a token on an M5 Max and 4.19 on an M1 Ultra, Gemma 3 1B in 2.67 and 5.06,
# Qwen2.5-0.5B in 1.66 and 3.46: 3.3-3.7 us and 6.9-7.9 us a counted kernel, the whole step over its kernels.
# Their geometric mean, 5.0 us, is the fit's prior (bench/accuracy_fit.py), what the M3 Ultra's rows get held out;
# fitted on every row, the M3 Ultra's small models set it.
MLX_HOST_KERNEL_SECONDS = 5.13e-6


def mlx_host_seconds(stage: Stage) -> float:
    """The host's time to build and encode an MLX decode step: its counted kernels (`MLX_LAYER_KERNELS` a layer,
    `MLX_MOE_KERNELS` more an MoE block) × `MLX_HOST_KERNEL_SECONDS`; 0 off MLX. The step takes the longer of
    this and the GPU's time (`speed.decode_step_seconds`)."""
    if stage.backend != "mlx":
        return 0.0
    layers, moe_layers = launch_layers(stage)
    kernels = layers * MLX_REFERENCE_LAYER_KERNELS + moe_layers * MLX_REFERENCE_MOE_KERNELS
    return kernels * MLX_HOST_KERNEL_SECONDS


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
# the B580 and Lunar Lake rows of 2024-2025 (PRs 13109, 13826, 13885, 13973; the IPEX-LLM rows are not scored).
SYCL_BATCHED_SUBMIT_SECONDS = 92.3e-6
# llama.cpp's CUDA builds of May 2024 and before spent more host time on a decode step than the fastest GPUs took to
# read it: each token the host built the ggml graph (`llama_build_graph`), split and allocated it
# (`ggml_backend_sched`) and launched its kernels one at a time, a quantize and a mat-vec for each quantized product
# (`ggml_cuda_op_mul_mat`). CUDA graphs (PR 6766, merged 8 May 2024 as llama.cpp bc4bba36) took the launches away on
# Ampere and later, and issue 7456 (22 May 2024) still profiles 10-15% of a Llama 2 7B Q4_K_M token on an A100 or H100
# on the host, the graph's building and splitting. Where a GPU reads a layer faster than the host prepares it, the
# host sets the step: `cuda_host_seconds`, this many seconds a layer. XiongjieDai's llama-bench notebooks (builds
# b2778-b2843, May 2024) show it: Llama 3 8B Q4_K_M tg512 takes 8.66 ms a token on an RTX 3090, 7.66 on a 4090, 7.49
# on an RTX 6000 Ada and 7.11 on an A100 PCIe (936 to 1935 GB/s of spec, 5-7 ms of reads), and 8.95, 9.20 and 9.60 on
# 2, 4 and 6 RTX 3090s; the same file on an RTX 3070 (448 GB/s, 13.7 ms), the F16 file (18 ms) and the 70B files
# (50 ms and more) are read-bound on the same machines and fit without it. With one share for K-quants the engine had
# the fast cards' 8B Q4_K_M rows 5-22% fast held out and the 3070's 3-13% slow. Issue 6763's H100 PCIe (April 2024,
# before PR 6766) decodes Llama 2 7B Q4_K_M at 143.35 tok/s, 6.98 ms for 32 layers: 218 us a layer, the fit's prior;
# fitted on the notebooks' rows, 226. The host's CPU sets it, and no row names it (the four machines' single-GPU rows
# span 222-270 us a layer). The step is the soft maximum of the GPU's time and the host's, (gpu^p + host^p)^(1/p),
# p = `CUDA_HOST_EXPONENT`: layer by layer one or the other is behind, and where the two are close neither hides the
# other. 8 is the held-out choice among a hard maximum, 8 and 4: decode 6.05%, 6.01%, 6.22% median (20.8% p90 for
# each), layer split 7.4%, 6.4%, 6.3%, the notebooks' rows 3.9% / 14.7%, 3.6% / 12.5%, 3.1% / 10.8% (bench/README.md).
# The engine answers for today's builds, which run the step as a CUDA graph: the bench marks the rows of the older
# builds (`Stage.host_launches`, bench/speed_resolve.py `host_launches_dated`).
CUDA_HOST_LAYER_SECONDS = 222e-6
CUDA_HOST_EXPONENT = 8
# Layer split: each boundary between GPUs costs a synchronisation per token besides the copy of the hidden
# state (llama.cpp's scheduler waits for the stage before): the 2–8 GPU rows (RTX 3090/4090/6000 Ada, A100
# PCIe, R9700, MI50, P100, 7900 XTX, MI300X).
HANDOFF_SECONDS = {
    "cuda": 101e-6,
    "cuda_pascal": 103e-6,
    "rocm": 109e-6,
    "vulkan": 107e-6,
}
HANDOFF_DEFAULT_SECONDS = 110e-6

# llama.cpp's RPC backend (`rpc-server` on each other machine, `--rpc` on the first): each remote server's share of
# a step is one blocking request, its graph sent (a 296-byte descriptor for every node and weight it reads, ggml-rpc's
# rpc_tensor), computed there and its result read back. Measured per machine added, beyond the hidden state's trip:
# lhl's four Framework Desktops (Strix Halo, llama.cpp 9515c613 (b6097), Vulkan, rpc-server -c, August 2025;
# github.com/lhl/strix-halo-testing/blob/1ea3eaa90a4d6bb589e8a652fb8b2d110e7a8b4b/rpc-test/README.md): gpt-oss-120b
# tg128 33.50, 28.87, 23.02, 21.61 tok/s on 1-4 machines, +4.8, +6.8 and +5.5 ms a step per machine added, and
# gpt-oss-20b 47 on one, 27.95 on four, +4.8 ms: the same with 18 layers on a remote as with 6, a cost per request,
# not per layer. The engine's network hop (a 300 µs round trip and the ~0.1 ms hand-off) explained ~0.7 ms of each;
# this is the rest, 4.75 ms in the mean over the nine machines added. Checked on rows not fitted: two Strix Halos on
# 25 GbE (ROCm, Qwen3-Coder-Next 80B Q8_K_XL, PR 20590, March 2026) 30.19 tok/s measured, 30.4 estimated (35.5 without
# it); two DGX Sparks on their 200G port (CUDA, Qwen3-VL-235B-A22B Q4_K_M, PR 15405, November 2025) 12.98 measured,
# 13.7 estimated (14.6 without).
RPC_REMOTE_STEP_SECONDS = 4.7e-3


# Intel's Vulkan MoE layers on Linux's Mesa driver (ANV) cost 0.1-0.5 ms each beyond the reads on Xe2; on Intel's
# Windows driver next to nothing. kyuz0's Arc Pro B70 (Mesa, build 9039, May 2026) decodes every MoE at 37.7-44.6
# tok/s: with no MoE-layer time the engine leaves 11.8 ms a token in gpt-oss-20b (24 MoE layers), 13.7 in
# Qwen3.6-35B-A3B (40), 9.9 in Gemma 4 26B-A4B (30) and 8.0 in Nemotron 3 Nano (23), and the same 11.7 and 12.9 ms at
# 16k cached tokens: a cost per layer, not per byte of cache. bosd's B70 (bosd/trx50-arc-b70-benchmarks, Mesa 26.0.7,
# June 2026) leaves 13.3 ms in Qwen3.6's Q4_K_M file and 10.5 in its Q4_0 (the float mat-vec), a second B70 on Mesa
# (intel/llm-scaler issue 371, Q6_K experts on the float mat-vec then) 15.8: not the integer-dot kernel's. bosd's Arc
# Pro B60 leaves 15.9 ms in Qwen3.6's Q4_0, 5.5 in Qwen3-Coder-30B-A3B's (48 MoE layers) and 4.7 in Nemotron's: the
# most in Qwen3.6 (256 experts and a shared one) and gpt-oss. The B70's dense Vulkan files leave −4 to +6 ms and its
# SYCL MoE rows fit. On Windows the same card's Vulkan decode of Qwen3.6-35B-A3B is "almost twice as fast" as on Linux
# (llama.cpp issue 22413), one A770 runs gpt-oss-20b at 72 tok/s there (openvino issue 35199) where the B70 on Mesa
# runs it at 44.6, and two A770s on Intel's Windows driver (issue 20893, build 7548) leave −0.5 ms over 48 MoE layers.
# An A770 on Mesa shows less of it: gpt-oss-20b's Linux step is 1.73 times its Windows step where Llama 3 8B Q4_K_M's
# is 1.63 (llama.cpp PR 19988, build 8191: 36 against 62 tok/s, 32 against 52), ~70 µs a layer, so the cost may be
# Xe2's on Mesa; the rule covers every Intel GPU there. The engine answers for Mesa, as for the integer-dot mat-vec
# (`speed.INTEL_INTEGER_DOT_EFFICIENCY`): `MOE_LAYER_SECONDS["vulkan_intel"]` is fitted on Mesa rows alone, and rows
# of Intel's Windows driver (`Stage.intel_windows`, marked by bench/speed_resolve.py) take a time of their own,
# "vulkan_intel_windows", fitted on them alone: 50 µs, the A770s' near-zero held at the families' 60 µs prior (one
# Windows source). One time per MoE layer cannot give both Qwen3.6's and Qwen3-Coder's (bench/README.md).
MOE_LAYER_FAMILIES_WINDOWS = {"vulkan_intel": "vulkan_intel_windows"}
# On Mesa the MoE-layer time goes with the Vulkan dispatches of the architecture's decode graph, not with the layer:
# Qwen3-30B-A3B (`qwen3moe`) leaves 116 µs a MoE layer on the B70 and 120 on the B60, Qwen3.6-35B-A3B (`qwen35moe`)
# 263-399 and 396, with 17 and 31-39 dispatches a layer: 10-13 µs a dispatch on both cards. Counted for one decode
# token from llama.cpp's builders (src/models/qwen3moe.cpp, qwen35moe.cpp, delta-net-base.cpp, openai-moe-iswa.cpp,
# `build_moe_ffn` in src/llama-graph.cpp) less what ggml-vulkan fuses (ggml-org/ggml d99724f2,
# `ggml_backend_vk_graph_compute`: RMS_NORM + MUL (+ ROPE (+ SET_ROWS)), MUL_MAT + ADD (+ ADD), MUL_MAT_ID + ADD_ID
# / MUL, the top-k router, up to 9 chained ADDs, each on adjacent graph nodes; views and reshapes dispatch nothing),
# per op in bench/README.md: a `qwen3moe` layer 17 (attention 9: norm, Q, K, V, Q norm + RoPE, K norm + RoPE + cache
# write, V cache write, attention, output + residual; MoE 8: norm, router, top-k, up, gate, SwiGLU, down × weights,
# the experts' sum + residual), gpt-oss's 17 (biases and sinks fused), a `qwen35moe` attention layer 31 (its Q
# gate's copy, sigmoid and product; the interleaved RoPE fuses with nothing; a shared expert with its sigmoid gate,
# 7; the experts' sum in two) and a Gated DeltaNet layer 8 more (39: the projections, β sigmoid, α bias and softplus,
# the conv state's rows, concat and copy, the conv, two L2 norms, the fused delta rule, the state copy, the gated
# norm, the residual apart). `MOE_LAYER_SECONDS["vulkan_intel"]` is a `qwen3moe` layer's; a family takes its count
# ÷ 17. gpt-oss-20b (`llm_build_openai_moe_iswa`, src/models/openai-moe-iswa.cpp, and `build_moe_ffn`) counts 17
# too: its Q, K and V biases fuse with their products (MUL_MAT + ADD), the output's bias and the residual with the
# output (MUL_MAT + ADD + ADD), the router's bias with the router, the experts' biases with their products and the
# routing weights with the down product (MUL_MAT_ID + ADD_ID (+ MUL)), top-k with the softmax of the chosen weights
# (the late-softmax top-k fusion), the sinks ride in the attention kernel and SWIGLU_OAI is one; both run the same 3-4
# Q8_1 quantizations of the vector a layer for their integer-dot products (`ggml_vk_quantize_q8_1`, not counted). The
# 510-542 µs a layer it left on the B70 with the engine's byte shares is its weights' loads
# (`speed.INTEL_MMVQ_LOADS_PER_WEIGHT`), not its dispatches. A dense step's dispatches cost a third of these
# (`LAYER_SECONDS["vulkan_intel"]`; bench/README.md).
MESA_MOE_REFERENCE_NODES = 17
MESA_MOE_LAYER_NODES = {
    "qwen3.5": (31, 8),
    "qwen3.6": (31, 8),
}


def mesa_moe_layer_nodes(family: str) -> tuple[float, float]:
    """Vulkan dispatches per MoE layer of this architecture's decode graph, and a linear-attention layer's more
    (`MESA_MOE_LAYER_NODES`; unlisted families take `qwen3moe`'s 17)."""
    return MESA_MOE_LAYER_NODES.get(family, (MESA_MOE_REFERENCE_NODES, 0))


def mesa_moe_units(stage: Stage) -> float:
    """A stage's MoE layers in `qwen3moe` layers' dispatches, as Mesa's MoE time counts them (`MESA_MOE_LAYER_NODES`);
    its MoE layers off Mesa."""
    if stage.backend != "vulkan_intel" or stage.intel_windows or not stage.moe_layers:
        return stage.moe_layers
    nodes = (
        stage.moe_layers * stage.mesa_moe_layer_nodes + stage.linear_layers * stage.mesa_linear_layer_nodes
    )
    return nodes / MESA_MOE_REFERENCE_NODES


def moe_layer_family(stage: Stage) -> str:
    """Whose MoE-layer time a stage takes (`MOE_LAYER_SECONDS`): its kernel family's, but on Intel's Windows Vulkan
    driver that driver's (`MOE_LAYER_FAMILIES_WINDOWS`)."""
    if stage.intel_windows:
        return MOE_LAYER_FAMILIES_WINDOWS.get(stage.backend, stage.backend)
    return stage.backend


def launch_layers(stage: Stage) -> tuple[float, float]:
    """A step's layers and MoE layers in the units `LAYER_SECONDS` and `MOE_LAYER_SECONDS` time: an attention
    layer's launches (a linear-attention layer `LINEAR_LAYER_KERNELS` more, an MLA layer its `mla_kernels`) and an MoE
    block's (on Mesa's Intel Vulkan in a Qwen3-30B layer's dispatches: `mesa_moe_units`), under MLX scaled by the
    architecture's kernel counts over Llama's and gpt-oss's (`mlx_layer_kernels`, `mlx_moe_kernels`)."""
    layers = stage.layers + LINEAR_LAYER_KERNELS * stage.linear_layers
    if stage.backend in MLA_BACKENDS:
        layers += stage.mla_kernels / LLAMA_LAYER_KERNELS
    moe_layers = mesa_moe_units(stage)
    if stage.backend == "mlx":
        layers *= stage.mlx_layer_kernels
        moe_layers *= stage.mlx_moe_kernels
    return layers, moe_layers


def fixed_seconds(stage: Stage) -> float:
    """Per-step costs that do not depend on the bytes: launches and synchronisation (on CUDA, the small
    kernels' latency at the SM clock: `CLOCK_REFERENCE_GHZ`)."""
    layers, moe_layers = launch_layers(stage)
    moe_layer = MOE_LAYER_SECONDS[moe_layer_family(stage)]
    if stage.unfused_moe_kernels:
        moe_layer += stage.unfused_moe_kernels * LAYER_SECONDS[stage.backend] / LLAMA_LAYER_KERNELS
    fixed = layers * LAYER_SECONDS[stage.backend] + moe_layers * moe_layer
    if stage.backend == "vllm" and stage.mla_kernels:
        fixed += stage.mla_kernels / MLA_LAYER_KERNELS * VLLM_MLA_LAYER_SECONDS
    if stage.clock_ghz and stage.backend in CLOCKED_BACKENDS:
        reference = METAL_CLOCK_REFERENCE_GHZ if stage.backend == "metal" else CLOCK_REFERENCE_GHZ
        return fixed * reference / stage.clock_ghz
    return fixed


def cuda_host_seconds(stage: Stage) -> float:
    """The host's time to build and launch a decode step, as llama.cpp's CUDA builds of May 2024 and before took it
    (`CUDA_HOST_LAYER_SECONDS`, bench rows only); 0 otherwise. The step is the soft maximum of this and the GPU's time
    (`speed.decode_step_seconds`)."""
    return stage.layers * CUDA_HOST_LAYER_SECONDS if stage.host_launches else 0.0


def submit_seconds(stage: Stage) -> float:
    """A decode step's batched kernel launches (`SYCL_BATCHED_SUBMIT_SECONDS`) per layer. Decode only: a prompt's
    kernels run long enough for the host to batch the next ones meanwhile."""
    return stage.layers * SYCL_BATCHED_SUBMIT_SECONDS if stage.batched_submit else 0.0


def handoff_seconds(stage: Stage) -> float:
    """What a layer-split boundary costs per step after `stage`, besides moving the hidden state."""
    return HANDOFF_SECONDS.get(stage.backend, HANDOFF_DEFAULT_SECONDS)
