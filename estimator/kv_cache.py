"""How many bytes the KV cache takes: cells per sequence and runtime (padding, sliding windows), values
per token per layer (GQA, MLA), and vLLM's hybrid manager for models with both kinds of layer; and how
many KV bytes a decode step reads at a depth.
"""

import re
from collections.abc import Sequence
from typing import NamedTuple

from .limits import bounded_cache, length_of_result
from .schema import ModelSpec, Workload

# llama.cpp rounds the KV cache size up to a multiple of 256 cells (llama-context/kv-cache padding).
LLAMA_CPP_CTX_PAD = 256
# vLLM allocates KV cache in blocks of 16 tokens (`--block-size`, default 16).
VLLM_BLOCK_TOKENS = 16
# The tokens vLLM's scheduler runs in one step (`--max-num-batched-tokens`), as far as they size what a
# sliding-window layer keeps (`vllm_window_tokens`): `vllm serve` defaults to 2048 on GPUs under 70 GiB
# and on the A100, 8192 on larger ones (vllm/engine/arg_utils.py `get_batch_defaults`,
# UsageContext.OPENAI_API_SERVER). The engine takes 2048, the default of most cards it is asked about;
# on an H100 the window layers keep 6144 tokens more than this says. (The profiling run's activations
# are sized by memory.VLLM_PROFILE_TOKENS.)
VLLM_SERVE_BATCHED_TOKENS = 2048


# Linear-attention (Gated DeltaNet) layers keep, per sequence, a recurrent state instead of a KV cache, as
# llama.cpp allocates it (ggml-org/llama.cpp): per layer one row of `n_embd_r()` (the short convolution's
# last kernel − 1 inputs over the q, k, v channels) and one of `n_embd_s()` (the delta rule's matrix, key
# head dim × value head dim per value head) for each of max(1, `-np`) sequences
# (src/llama-memory-recurrent.cpp@76d94392764a8bcc1e93bd6f248c30aec2cfac9a, the constructor;
# src/llama-hparams.cpp@01b77b5793989e0a1508a2fe3757d4e743a7bbd1 `n_embd_r`, `n_embd_s`), both in F32
# (src/llama-model.cpp@00342301d01add50835550e8a916f12097d94517 `create_memory`: recurrent_type_k/v
# GGML_TYPE_F32, recurrent_kv_size max(1, n_seq_max)). convert_hf_to_gguf.py `Qwen3NextModel` maps
# config.json onto those: ssm_d_conv = linear_conv_kernel_dim, ssm_d_state = linear_key_head_dim,
# ssm_n_group = linear_num_key_heads, ssm_d_inner = linear_value_head_dim × linear_num_value_heads.
# llama.cpp's rule holds for Ollama too: one state per sequence that must fit (`reserved_sequences`).
# A Mamba-2 layer (Granite 4.0-H, `ModelSpec.linear_attention_kind` "mamba2") keeps the same two rows: n_embd_r
# = (ssm_d_conv − 1) × (ssm_d_inner + 2 × ssm_n_group × ssm_d_state) and n_embd_s = ssm_d_state × ssm_d_inner
# are Mamba's conv and SSM states, and convert_hf_to_gguf.py's GraniteHybridModel (at 0024aa74) writes
# ssm_d_inner = mamba_expand × hidden (= mamba_n_heads × mamba_d_head), ssm_n_group = mamba_n_groups,
# ssm_d_state = mamba_d_state, ssm_d_conv = mamba_d_conv: the linear fields' mapping makes both formulas below
# those rows. vLLM's `mamba2_state_shape` is the same pair: (conv_kernel − 1, d_inner + 2·groups·state) and
# (heads, head_dim, state) (mamba_utils.py at 02d71083), in the same dtypes as Gated DeltaNet's.
RECURRENT_STATE_BYTES_PER_ELEMENT = 4
# vLLM keeps the same two parts per running request in other dtypes (vllm/model_executor/layers/mamba/mamba_utils.py at
# 02d710837549a368073552333f66d714477415d2, `gated_delta_net_state_dtype` → `_mamba_state_dtype`): the convolution's
# inputs in `--mamba-cache-dtype`, by default the model's 16-bit dtype, and the delta rule's matrix in
# `--mamba-ssm-cache-dtype`, by default the same, unless config.json names one (`mamba_ssm_dtype`: float32 in the
# Qwen3.5 configs, which vLLM's `Qwen3_5ForConditionalGenerationConfig` (vllm/model_executor/models/config.py) copies
# into the cache's; Qwen3-Next's names none; the engine reads it for any hybrid, and only Qwen3.5's name one). So
# Qwen3-Next's state is half llama.cpp's under vLLM, Qwen3.5's 2% less. SGLang (priced as vLLM) keeps the conv
# inputs in bfloat16 too (python/sglang/srt/configs/mamba_utils.py at 288330db619a3e4e479a15a50e6be8d5e03c7255,
# `CONV_DTYPE`) and the matrix in `SGLANG_MAMBA_SSM_DTYPE`, the config's, else float32 (`Workload.mamba_ssm_cache_dtype`).
# mlx-lm keeps the conv inputs in the activations' 16 bits (models/qwen3_5.py at d78bf58e, `conv_state` zeros of
# `inputs.dtype`) and the matrix in float32 (models/gated_delta.py, `mx.zeros(..., dtype=mx.float32)`).
MODEL_DTYPE_BYTES = 2  # vLLM's, SGLang's and mlx-lm's 16-bit activations
STATE_DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "auto": MODEL_DTYPE_BYTES}


def recurrent_state_parts(model: ModelSpec) -> tuple[int, int]:
    """(the short convolution's values, the delta rule's matrix's values) one sequence's state holds in one
    linear-attention layer: llama.cpp's n_embd_r and n_embd_s."""
    if not model.has_linear_layers:
        return 0, 0
    keys = (model.linear_num_key_heads or 0) * (model.linear_key_head_dim or 0)
    values = (model.linear_num_value_heads or 0) * (model.linear_value_head_dim or 0)
    conv = ((model.linear_conv_kernel_dim or 1) - 1) * (values + 2 * keys)
    return conv, (model.linear_key_head_dim or 0) * values


def recurrent_state_values_per_layer(model: ModelSpec) -> int:
    """Values one sequence's state holds in one linear-attention layer: llama.cpp's n_embd_r + n_embd_s."""
    return sum(recurrent_state_parts(model))


def recurrent_state_dtype_bytes(model: ModelSpec, workload: Workload) -> tuple[int, int]:
    """(bytes a conv value, bytes a matrix value) of the state: F32 in llama.cpp and Ollama; 16 bits and F32 in
    MLX; under vLLM the model's 16 bits, the matrix in config.json's `mamba_ssm_dtype` or the server's default."""
    if workload.runtime == "mlx":
        return MODEL_DTYPE_BYTES, RECURRENT_STATE_BYTES_PER_ELEMENT
    if workload.runtime != "vllm":
        return RECURRENT_STATE_BYTES_PER_ELEMENT, RECURRENT_STATE_BYTES_PER_ELEMENT
    return MODEL_DTYPE_BYTES, STATE_DTYPE_BYTES[model.mamba_ssm_dtype or workload.mamba_ssm_cache_dtype]


def recurrent_state_bytes_per_layer(model: ModelSpec, workload: Workload) -> int:
    """Bytes of one sequence's state in one linear-attention layer (`recurrent_state_dtype_bytes`)."""
    conv, matrix = recurrent_state_parts(model)
    conv_bytes, matrix_bytes = recurrent_state_dtype_bytes(model, workload)
    return conv * conv_bytes + matrix * matrix_bytes


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def linear_layers(model: ModelSpec) -> tuple[bool, ...]:
    """Which layers are linear attention: the full-attention ones evenly spaced, last in each group
    (Qwen3-Next and Qwen3.5: layer i is full attention when (i + 1) % full_attention_interval == 0)."""
    return tuple(
        _spread(model.num_hidden_layers, model.linear_attention_layers, i)
        for i in range(model.num_hidden_layers)
    )


def attention_layers_in(model: ModelSpec, layers: Sequence[int]) -> int:
    """How many of `layers` keep a KV cache (all but the linear-attention ones)."""
    if not model.has_linear_layers:
        return len(layers)
    mask = linear_layers(model)
    return sum(1 for i in layers if not mask[i])


def recurrent_state_layers_bytes(model: ModelSpec, workload: Workload, layers: Sequence[int]) -> int:
    """The recurrent state of the linear-attention layers among `layers`, for every sequence that must fit."""
    if not model.has_linear_layers:
        return 0
    linear = len(layers) - attention_layers_in(model, layers)
    return linear * recurrent_state_bytes_per_layer(model, workload) * reserved_sequences(model, workload)


def recurrent_state_bytes(model: ModelSpec, workload: Workload) -> int:
    """`recurrent_state_layers_bytes` over the whole model."""
    return recurrent_state_layers_bytes(model, workload, range(model.num_hidden_layers))


def kv_values_per_token_layer(model: ModelSpec) -> int:
    """Cached values per token per layer: K and V for each KV head, or MLA's latent + RoPE key."""
    if model.is_mla:
        return (model.kv_lora_rank or 0) + (model.qk_rope_head_dim or 0)
    return 2 * model.num_key_value_heads * model.head_dim_or_default


def kv_bytes_per_token(
    model: ModelSpec, kv_bytes_per_element: float, *, full_layers: int | None = None
) -> int:
    """K and V for one token across `full_layers` layers (all that keep a KV cache by default).

    GQA/MQA: only `num_key_value_heads` heads are cached. MLA (DeepSeek): one latent of
    `kv_lora_rank + qk_rope_head_dim` per layer instead of K and V per head.
    """
    layers = model.attention_layers if full_layers is None else full_layers
    return int(layers * kv_values_per_token_layer(model) * kv_bytes_per_element)


# The GGUF architectures Ollama runs one request at a time whatever OLLAMA_NUM_PARALLEL says ("model architecture
# does not currently support parallel requests": server/sched.go `load`, ollama/ollama at fb307609, v0.33.0-rc2,
# https://github.com/ollama/ollama/blob/fb30760996871fa9460115c753afd2c60d4ab0f7/server/sched.go; Qwen3-VL's
# since v0.12.7, Qwen3-Next's since v0.15.5, Qwen3.5's since v0.17.1), without their separators: the catalog's
# family ("qwen3-vl", "qwen3.5") and config.json's model_type ("qwen3_vl_moe") read the same way. `load` sets
# numParallel to 1 for them before it starts the runner, whose KV cache is num_ctx × numParallel cells
# (llm/server.go, `LoadRequest{KvSize: opts.NumCtx * numParallel, Parallel: numParallel}`): one sequence's,
# and the other requests queue for that one slot (`served_sequences`; admission.py times them so).
OLLAMA_ONE_AT_A_TIME = frozenset(
    {"mllama", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "qwen3next", "lfm2", "lfm2moe"}
    | {"nemotronh", "nemotronhmoe", "nemotronhomni"}
)


def ollama_one_at_a_time(model: ModelSpec) -> bool:
    """Ollama serves this model's requests one after another (OLLAMA_ONE_AT_A_TIME)."""
    return re.sub(r"[-_.]", "", model.family.lower()) in OLLAMA_ONE_AT_A_TIME


def served_sequences(model: ModelSpec, workload: Workload) -> int:
    """Sequences the runtime runs at once as it is started: `batch`, but one where Ollama runs the model one
    request at a time (`ollama_one_at_a_time`: the others wait, admission.py). vLLM's paged cache may seat
    fewer, by its free memory: `admission.vllm_admission`."""
    return 1 if workload.runtime == "ollama" and ollama_one_at_a_time(model) else workload.batch


def reserved_sequences(model: ModelSpec, workload: Workload) -> int:
    """Sequences whose whole context must fit before the runtime starts.

    llama.cpp and Ollama allocate `-c` = context × `-np` cells up front, one slot per sequence it serves
    at once (`served_sequences`). vLLM's paged cache hands out 16-token blocks as requests grow and admits
    a request only when its blocks are free, so only one sequence of the full context must fit; what is
    left of its share of the card is the pool the other sequences share (`admission.vllm_kv_pool`,
    "Maximum concurrency" in its start-up log)."""
    return 1 if workload.runtime == "vllm" else served_sequences(model, workload)


# KV cells each runtime rounds its cache up to a multiple of (others: none)
CTX_PAD = {"llama.cpp": LLAMA_CPP_CTX_PAD, "ollama": LLAMA_CPP_CTX_PAD, "vllm": VLLM_BLOCK_TOKENS}


def padded_context(model: ModelSpec, workload: Workload) -> int:
    """KV cells the runtime allocates for all sequences together (llama.cpp `-c` is shared by `-np`)."""
    cells = workload.context_tokens * reserved_sequences(model, workload)
    pad = CTX_PAD.get(workload.runtime, 1)
    return -(-cells // pad) * pad


def window_cells(model: ModelSpec, workload: Workload) -> int:
    """KV cells a sliding-window layer keeps: the window per sequence, plus one micro-batch in llama.cpp,
    plus one step's tokens and a block in vLLM (`vllm_window_tokens`)."""
    if workload.runtime == "vllm" and model.sliding_window:
        return vllm_window_tokens(model, workload)
    window = model.sliding_window or workload.context_tokens
    per_seq = min(workload.context_tokens, window)
    cells = per_seq * reserved_sequences(model, workload)
    if workload.runtime in ("llama.cpp", "ollama"):
        cells = min(padded_context(model, workload), cells + workload.ubatch_tokens)
        cells = -(-cells // LLAMA_CPP_CTX_PAD) * LLAMA_CPP_CTX_PAD
    return min(cells, padded_context(model, workload))


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def window_layers(model: ModelSpec) -> tuple[bool, ...]:
    """`is_window_layer` of every layer, computed once per model."""
    return tuple(_is_window_layer(model, i) for i in range(model.num_hidden_layers))


def is_window_layer(model: ModelSpec, index: int) -> bool:
    """Which layers are local: the windowed ones are spread evenly, the global ones last in each group.

    Gemma 3 (5 local : 1 global) and Gemma 2 / gpt-oss (1 : 1) put the global layer at the end of each group.
    """
    return window_layers(model)[index]


def _is_window_layer(model: ModelSpec, index: int) -> bool:
    if not model.sliding_window:
        return False
    return _spread(model.num_hidden_layers, model.sliding_window_layers, index)


def _spread(n: int, local: int, index: int) -> bool:
    """Whether layer `index` of `n` is one of `local` (windowed or linear) layers, the others (global)
    evenly spaced: layer i is global when it crosses the next multiple of n / (n - local)."""
    w = min(local, n)
    if w == 0:
        return False
    if w == n:
        return True
    globals_ = n - w
    return (index + 1) * globals_ // n == index * globals_ // n


# vLLM's hybrid KV cache manager (on by default; off with --disable-hybrid-kv-cache-manager or a KV
# connector without its support) gives a model with sliding-window and full-attention layers one pool of
# blocks and a block table per group of layers; a request takes, in a sliding-window group, only the
# blocks of its window (https://docs.vllm.ai/en/latest/design/hybrid_kv_cache_manager.html, which names
# gpt-oss and Gemma 2/3). The rules below are vLLM's, at commit 001cabc1be16a59a70d720ed61a13b678c060a18:
# vllm/v1/kv_cache_interface.py (`SlidingWindowSpec.max_memory_usage_bytes`) and vllm/v1/core/
# kv_cache_utils.py (`_get_kv_cache_groups_uniform_page_size`, `get_kv_cache_config_from_groups`,
# `get_max_concurrency_for_kv_cache_config`, `_report_kv_cache_config`). Llama 4's chunked local attention
# (a window here) is grouped the same way; vLLM gives its layers the chunk plus one step's tokens without
# the extra block (`ChunkedLocalAttentionSpec`), a block less than the window rule here.
# SGLang, which the engine models as vLLM (`Workload.runtime` is "vllm" for both), does it otherwise:
# its hybrid SWA pool (sgl-project/sglang python/sglang/srt/model_executor/model_runner_kv_cache_mixin.py
# `set_num_tokens_hybrid_swa`) splits the memory between full and window layers by
# `--swa-full-tokens-ratio` (0.8), and only for the architectures of srt/configs/model_config.py
# `is_hybrid_swa_model` (gpt-oss, Llama 4, MiMo, Step 3.5); Gemma 2/3 keep the whole context in every
# layer there. The sources do not support one rule for both: the engine, which can tell neither the
# server nor the architecture apart, gives SGLang vLLM's rule, which overstates how many Gemma 2/3
# requests SGLang holds.


def vllm_window_tokens(model: ModelSpec, workload: Workload) -> int:
    """Token slots a request holds in a sliding-window layer under vLLM: the window less one plus one
    step's tokens (chunked prefill), at most the context, in 16-token blocks, and one block more because
    the window seldom starts on a block's edge (`SlidingWindowSpec.max_memory_usage_bytes`)."""
    window = model.sliding_window or workload.context_tokens
    tokens = min(window - 1 + VLLM_SERVE_BATCHED_TOKENS, workload.context_tokens)
    return (-(-tokens // VLLM_BLOCK_TOKENS) + 1) * VLLM_BLOCK_TOKENS


class VllmGroups(NamedTuple):
    """vLLM's KV cache groups of a model with both kinds of layer: `full` groups of full-attention
    layers and `window` groups of sliding-window ones, each of at most `size` layers."""

    full: int
    window: int
    size: int


def vllm_groups(model: ModelSpec) -> VllmGroups | None:
    """Layers grouped as `_get_kv_cache_groups_uniform_page_size` does: groups of the smaller kind's
    count (of the larger's when it is under 1.5 times the smaller), the last of each kind padded, layer i
    of a kind in group i mod groups; None when every layer is of one kind (one group of them all)."""
    windowed = sum(window_layers(model)) if model.has_window_layers else 0
    full = model.num_hidden_layers - windowed
    if not windowed or not full:
        return None
    small, large = min(full, windowed), max(full, windowed)
    size = large if large < small * 1.5 else small
    return VllmGroups(-(-full // size), -(-windowed // size), size)


def vllm_group_layers(model: ModelSpec, layers: Sequence[int]) -> int:
    """Layers per group on a device holding `layers` (a pipeline stage projects each group onto its own
    layers): vLLM sizes the device's blocks by this many layers (`get_kv_cache_config_from_groups`)."""
    groups = vllm_groups(model)
    if groups is None:
        return attention_layers_in(model, layers)
    mask = window_layers(model)
    windowed = sum(1 for i in layers if mask[i])
    full = len(layers) - windowed
    return max(-(-full // groups.full), -(-windowed // groups.window))


def vllm_request_blocks(model: ModelSpec, workload: Workload) -> int:
    """Blocks one request of the full context needs across vLLM's groups: its context in each
    full-attention group, `vllm_window_tokens` in each sliding-window group. A device's pool of N blocks
    holds N ÷ this many requests ("Maximum concurrency for N tokens per request")."""
    full = -(-workload.context_tokens // VLLM_BLOCK_TOKENS)
    if not model.has_window_layers:
        return full + vllm_state_blocks(model, workload)
    window = vllm_window_tokens(model, workload) // VLLM_BLOCK_TOKENS
    groups = vllm_groups(model)
    if groups is None:  # every layer windowed
        return window
    return groups.full * full + groups.window * window


def vllm_state_blocks(model: ModelSpec, workload: Workload) -> int:
    """Blocks a request's recurrent state takes from vLLM's pool in a hybrid model: vLLM keeps the
    linear-attention layers' state in the same pool as the attention layers' KV blocks (its hybrid
    allocator gives both one page size), so each request's state costs as many KV blocks as its bytes
    fill (Qwen3-Next: 75 MiB, 201 blocks of 12 layers × 2 KiB × 16 tokens)."""
    if not model.has_linear_layers or not model.attention_layers:
        return 0
    block = (
        model.attention_layers
        * kv_values_per_token_layer(model)
        * workload.kv_bytes_per_element
        * VLLM_BLOCK_TOKENS
    )
    state = recurrent_state_bytes_per_layer(model, workload) * model.linear_attention_layers
    return int(-(-state // block))


def kv_cache_layer_bytes(model: ModelSpec, workload: Workload, index: int) -> int:
    """KV cache of layer `index` for all sequences (none in a linear-attention layer)."""
    if model.has_linear_layers and linear_layers(model)[index]:
        return 0
    cells = (
        window_cells(model, workload) if is_window_layer(model, index) else padded_context(model, workload)
    )
    return int(cells * kv_values_per_token_layer(model) * workload.kv_bytes_per_element)


def kv_cache_layers_bytes(model: ModelSpec, workload: Workload, layers: Sequence[int]) -> int:
    """Σ `kv_cache_layer_bytes` over `layers`: a layer holds one of two sizes, windowed or full. Under
    vLLM, with sliding-window layers, what its hybrid manager needs for one request on a device holding
    `layers`: a block of `vllm_group_layers` layers for each of `vllm_request_blocks` (padding included),
    so the device fits exactly when its pool holds one request (`admission.vllm_kv_pool`)."""
    if workload.runtime == "vllm" and model.has_window_layers:
        per_slot = kv_values_per_token_layer(model) * workload.kv_bytes_per_element * VLLM_BLOCK_TOKENS
        return int(vllm_group_layers(model, layers) * vllm_request_blocks(model, workload) * per_slot)
    windowed = 0
    if model.has_window_layers:
        mask = window_layers(model)
        windowed = sum(1 for i in layers if mask[i])
    per_token = kv_values_per_token_layer(model)
    full = int(padded_context(model, workload) * per_token * workload.kv_bytes_per_element)
    local = int(window_cells(model, workload) * per_token * workload.kv_bytes_per_element) if windowed else 0
    return windowed * local + (attention_layers_in(model, layers) - windowed) * full


def kv_cache_bytes(
    model: ModelSpec,
    *,
    context_tokens: int,
    batch: int,
    kv_bytes_per_element: float,
    workload: Workload | None = None,
) -> int:
    """KV cache for `batch` sequences of `context_tokens`; sliding-window layers keep only their window."""
    if workload is None:
        workload = Workload(
            context_tokens=context_tokens,
            batch=batch,
            prompt_tokens=min(512, context_tokens),
            kv_bytes_per_element=kv_bytes_per_element,
            kv_cache_type=None,
        )
    return kv_cache_layers_bytes(model, workload, range(model.num_hidden_layers))
