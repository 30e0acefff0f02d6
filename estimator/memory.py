"""How many bytes a model needs: weights by tensor class, KV cache, compute buffers, runtime overhead.

Parameter counts by tensor class come from the config.json dimensions, then the repeating-layer classes
are scaled so that the sum matches the model card's total (the dimensions miss biases, norms, vision
towers; the card misses nothing). Token embeddings and the output head are exact: vocab × hidden.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from .limits import bounded_cache, length_of_result
from .schema import ModelSpec, QuantSpec, Workload
from .units import MIB

# llama.cpp processes prompts in micro-batches of this many tokens (`-ub`, default 512).
LLAMA_CPP_UBATCH = 512
# llama.cpp rounds the KV cache size up to a multiple of 256 cells (llama-context/kv-cache padding).
LLAMA_CPP_CTX_PAD = 256
# vLLM allocates KV cache in blocks of 16 tokens (`--block-size`, default 16).
VLLM_BLOCK_TOKENS = 16
# The tokens vLLM's scheduler runs in one step (`--max-num-batched-tokens`), as far as they size what a
# sliding-window layer keeps (`vllm_window_tokens`): `vllm serve` defaults to 2048 on GPUs under 70 GiB
# and on the A100, 8192 on larger ones (vllm/engine/arg_utils.py `get_batch_defaults`,
# UsageContext.OPENAI_API_SERVER). The engine takes 2048, the default of most cards it is asked about;
# on an H100 the window layers keep 6144 tokens more than this says. (The profiling run's activations
# are sized by VLLM_PROFILE_TOKENS below.)
VLLM_SERVE_BATCHED_TOKENS = 2048
# vLLM's profiling run and CUDA graphs: max_num_batched_tokens (8192 with chunked prefill, the V1 default)
# and about 0.5 GiB for captured graphs ("Graph capturing finished ... took 0.5 GiB" in vLLM logs).
VLLM_PROFILE_TOKENS = 8192
VLLM_MAX_NUM_SEQS = 256
VLLM_CUDA_GRAPH_BYTES = 512 * MIB
# CUDA context and cuBLAS workspace per device, as llama.cpp logs it on a 24 GB card: ~300 MiB.
# ROCm (HIP), SYCL and Vulkan drivers reserve a similar amount; Metal and CPU allocations carry none.
CUDA_CONTEXT_BYTES = 300 * MIB
OVERHEAD_BYTES = {
    "cuda": CUDA_CONTEXT_BYTES,
    "rocm": CUDA_CONTEXT_BYTES,
    "sycl": CUDA_CONTEXT_BYTES,
    "vulkan": CUDA_CONTEXT_BYTES,
    "metal": 0,
    "cpu": 0,
}
# How the explanation words each backend's fixed cost per device (OVERHEAD_BYTES)
OVERHEAD_WORDS = {
    "cuda": "CUDA context per device",
    "rocm": "ROCm (HIP) context per device",
    "sycl": "SYCL context per device",
    "vulkan": "Vulkan context per device",
    "metal": "none counted apart on Apple silicon (Metal)",
    "cpu": "none counted apart on the CPU",
}
# NCCL buffers per GPU when vLLM runs tensor or pipeline parallel (nccl default buffer sizes, ~ 200 MiB).
NCCL_BYTES = 200 * MIB
# llama.cpp keeps copies of the graph inputs per pipeline stage when layers are split over GPUs
# (GGML_SCHED_MAX_COPIES = 4).
LLAMA_CPP_PIPELINE_COPIES = 4


@dataclass(frozen=True)
class TensorClasses:
    """Parameter counts by tensor class (floats: counts of weights, not bytes)."""

    embedding: float  # token embedding table
    output: float  # output head (lm_head); when tied, the runtime's copy of the embedding table
    output_stored: bool  # False when tied: the file holds it once, as the embedding
    attention: float  # per layer: q, k, v, o projections (or MLA's low-rank ones), norms
    dense_mlp: float  # per dense layer
    routed_experts: float  # per MoE layer, all routed experts together
    shared_experts: float  # per MoE layer
    router: float  # per MoE layer
    dense_layers: int
    moe_layers: int
    experts: int
    experts_per_tok: int

    @property
    def layers(self) -> int:
        return self.dense_layers + self.moe_layers

    def layer_params(self, index: int) -> float:
        """All weights of layer `index` (0-based)."""
        if index < self.dense_layers:
            return self.attention + self.dense_mlp
        return self.attention + self.routed_experts + self.shared_experts + self.router

    def layer_active_params(self, index: int) -> float:
        """Weights one token reads in layer `index`: routed experts only for the chosen few."""
        if index < self.dense_layers:
            return self.attention + self.dense_mlp
        share = self.experts_per_tok / self.experts if self.experts else 1.0
        return self.attention + self.shared_experts + self.router + self.routed_experts * share

    @property
    def stored_total(self) -> float:
        layers = sum(self.layer_params(i) for i in range(self.layers))
        return self.embedding + (self.output if self.output_stored else 0) + layers


def attention_params(model: ModelSpec) -> float:
    h = model.hidden_size
    if model.is_mla and model.qk_nope_head_dim and model.v_head_dim:
        heads = model.num_attention_heads
        rope = model.qk_rope_head_dim or 0
        q_head = model.qk_nope_head_dim + rope
        q = (
            h * model.q_lora_rank + model.q_lora_rank * heads * q_head
            if model.q_lora_rank
            else h * heads * q_head
        )
        kv = h * (model.kv_lora_rank + rope) + model.kv_lora_rank * heads * (
            model.qk_nope_head_dim + model.v_head_dim
        )
        return q + kv + heads * model.v_head_dim * h
    d = model.head_dim_or_default
    q_dim = model.num_attention_heads * d
    kv_dim = model.num_key_value_heads * d
    return h * q_dim + 2 * h * kv_dim + q_dim * h


@lru_cache(maxsize=256)
def tensor_classes(model: ModelSpec) -> TensorClasses:
    h = model.hidden_size
    embedding = float(model.vocab_size * h)
    output = float(model.vocab_size * h)
    attention = attention_params(model)
    dense_ffn = model.intermediate_size or 0
    if model.is_moe:
        experts = model.num_experts or 0
        expert_ffn = model.moe_intermediate_size or model.intermediate_size or 0
        dense_layers = min(model.first_k_dense_replace, model.num_hidden_layers)
        moe_layers = model.num_hidden_layers - dense_layers
        routed = 3.0 * h * expert_ffn * experts
        shared = 3.0 * h * expert_ffn * (model.num_shared_experts or 0)
        router = float(h * experts)
        per_tok = model.num_experts_per_tok or max(
            1, round(experts * (model.active_params_b or 1) / model.total_params_b)
        )
    else:
        experts = per_tok = 0
        dense_layers, moe_layers = model.num_hidden_layers, 0
        routed = shared = router = 0.0
    classes = TensorClasses(
        embedding=embedding,
        output=output,
        output_stored=not model.tie_word_embeddings,
        attention=attention,
        dense_mlp=3.0 * h * dense_ffn,
        routed_experts=routed,
        shared_experts=shared,
        router=router,
        dense_layers=dense_layers,
        moe_layers=moe_layers,
        experts=experts,
        experts_per_tok=per_tok,
    )
    return _scaled_to_card(model, classes)


def _scaled_to_card(model: ModelSpec, c: TensorClasses) -> TensorClasses:
    """Scale the per-layer classes so the total matches the card; a missing FFN width becomes the rest."""
    total = model.total_params_b * 1e9
    fixed = c.embedding + (c.output if c.output_stored else 0)
    layers_target = total - fixed
    layers_now = c.stored_total - fixed
    if layers_target <= 0:  # a card total below the embeddings: trust the dimensions
        return c
    if c.dense_mlp == 0 and c.dense_layers and not c.routed_experts:
        # no intermediate_size: the dense MLP is whatever the card's total leaves after attention
        mlp = max(layers_target / c.layers - c.attention, 0.0)
        c = TensorClasses(**{**c.__dict__, "dense_mlp": mlp})
        layers_now = c.stored_total - fixed
    if layers_now <= 0:
        return c
    f = layers_target / layers_now
    return TensorClasses(
        **{
            **c.__dict__,
            "attention": c.attention * f,
            "dense_mlp": c.dense_mlp * f,
            "routed_experts": c.routed_experts * f,
            "shared_experts": c.shared_experts * f,
            "router": c.router * f,
        }
    )


def stored_params(model: ModelSpec) -> int:
    """Parameters in the checkpoint: the model card's total."""
    return int(model.total_params_b * 1e9)


def embedding_params(model: ModelSpec) -> int:
    """Token embedding table: one row of `hidden_size` per vocabulary entry."""
    return model.vocab_size * model.hidden_size


def output_params(model: ModelSpec) -> int:
    """The output head (lm_head); when tied it reuses the embedding table, which the runtime copies."""
    return model.vocab_size * model.hidden_size


def layer_params(model: ModelSpec) -> int:
    """Parameters in all repeating transformer blocks together (everything but embeddings and head)."""
    c = tensor_classes(model)
    return int(sum(c.layer_params(i) for i in range(c.layers)))


def params_bytes(params: float, quant: QuantSpec) -> int:
    return int(params * quant.bits_per_weight / 8)


def _bits(quant: QuantSpec, tensor: str) -> float:
    if tensor == "routed_experts" and quant.expert_bits_per_weight:
        return quant.expert_bits_per_weight
    if tensor == "output" and quant.output_bits_per_weight:
        return quant.output_bits_per_weight
    if tensor == "embedding" and quant.embedding_bits_per_weight:
        return quant.embedding_bits_per_weight
    return quant.bits_per_weight


@dataclass(frozen=True)
class LayerBytes:
    """Bytes of one layer by class, at the format's widths."""

    attention: int
    dense_mlp: int
    routed_experts: int
    shared_experts: int

    @property
    def total(self) -> int:
        return self.attention + self.dense_mlp + self.routed_experts + self.shared_experts


def layer_bytes(model: ModelSpec, quant: QuantSpec, index: int) -> LayerBytes:
    return layer_bytes_table(model, quant)[index]


@bounded_cache(entries=2048, size=262_144, size_of=length_of_result)
def layer_bytes_table(model: ModelSpec, quant: QuantSpec) -> tuple[LayerBytes, ...]:
    """`layer_bytes` of every layer, computed once per (model, format): specs are frozen, so hashable.
    A layer is one of two kinds, the first `dense_layers` dense and the rest MoE, and the layers of a
    kind are equal: the table holds one object per kind, so it costs a pointer per layer."""
    c = tensor_classes(model)
    return (_layer_bytes(c, quant, moe=False),) * c.dense_layers + (
        _layer_bytes(c, quant, moe=True),
    ) * c.moe_layers


def _layer_bytes(c: TensorClasses, quant: QuantSpec, *, moe: bool) -> LayerBytes:
    b = quant.bits_per_weight / 8
    if not moe:
        return LayerBytes(int(c.attention * b), int(c.dense_mlp * b), 0, 0)
    return LayerBytes(
        attention=int((c.attention + c.router) * b),
        dense_mlp=0,
        routed_experts=int(c.routed_experts * _bits(quant, "routed_experts") / 8),
        shared_experts=int(c.shared_experts * b),
    )


def params_by_width(model: ModelSpec, quant: QuantSpec) -> list[tuple[str, float, float]]:
    """(what, parameters, bits per weight) of the tensors stored at each of the format's widths: one
    entry ("", all, bits) for a format of one width; routed experts, the token embeddings and the output
    head apart when the format stores them at their own (gpt-oss GGUF: MXFP4 experts, Q8_0 elsewhere;
    an AWQ checkpoint: 4-bit layers, 16-bit embeddings and head)."""
    c = tensor_classes(model)
    experts = c.routed_experts * c.moe_layers if quant.expert_bits_per_weight else 0.0
    own_embedding = quant.embedding_bits_per_weight not in (None, quant.bits_per_weight)
    embedding = c.embedding if own_embedding else 0.0
    own_head = quant.output_bits_per_weight not in (None, quant.bits_per_weight)
    head = c.output if own_head and c.output_stored else 0.0
    rest = stored_params(model) - experts - embedding - head
    out = [("routed experts", experts, _bits(quant, "routed_experts"))] if experts else []
    if not out and not embedding and not head:
        return [("", rest, quant.bits_per_weight)]
    out.append(("the rest", rest, quant.bits_per_weight))
    if embedding:
        out.append(("token embeddings", embedding, _bits(quant, "embedding")))
    if head:
        out.append(("output head", head, _bits(quant, "output")))
    return out


def embedding_bytes(model: ModelSpec, quant: QuantSpec) -> int:
    return int(embedding_params(model) * _bits(quant, "embedding") / 8)


def output_bytes(model: ModelSpec, quant: QuantSpec) -> int:
    return int(output_params(model) * _bits(quant, "output") / 8)


@lru_cache(maxsize=1024)
def weights_bytes(model: ModelSpec, quant: QuantSpec) -> int:
    """The whole checkpoint at this format (≈ the GGUF file size); a tied head is stored once."""
    c = tensor_classes(model)
    layers = sum(lb.total for lb in layer_bytes_table(model, quant))
    head = output_bytes(model, quant) if c.output_stored else 0
    return embedding_bytes(model, quant) + head + layers


def kv_values_per_token_layer(model: ModelSpec) -> int:
    """Cached values per token per layer: K and V for each KV head, or MLA's latent + RoPE key."""
    if model.is_mla:
        return (model.kv_lora_rank or 0) + (model.qk_rope_head_dim or 0)
    return 2 * model.num_key_value_heads * model.head_dim_or_default


def kv_bytes_per_token(
    model: ModelSpec, kv_bytes_per_element: float, *, full_layers: int | None = None
) -> int:
    """K and V for one token across `full_layers` layers (all layers by default).

    GQA/MQA: only `num_key_value_heads` heads are cached. MLA (DeepSeek): one latent of
    `kv_lora_rank + qk_rope_head_dim` per layer instead of K and V per head.
    """
    layers = model.num_hidden_layers if full_layers is None else full_layers
    return int(layers * kv_values_per_token_layer(model) * kv_bytes_per_element)


def reserved_sequences(workload: Workload) -> int:
    """Sequences whose whole context must fit before the runtime starts.

    llama.cpp and Ollama allocate `-c` = context × `-np` cells up front, one slot per sequence. vLLM's
    paged cache hands out 16-token blocks as requests grow and admits a request only when its blocks are
    free, so only one sequence of the full context must fit; what is left of its share of the card is
    the pool the other sequences share (`admission.vllm_kv_pool`, "Maximum concurrency" in its
    start-up log)."""
    return 1 if workload.runtime == "vllm" else workload.batch


# KV cells each runtime rounds its cache up to a multiple of (others: none)
CTX_PAD = {"llama.cpp": LLAMA_CPP_CTX_PAD, "ollama": LLAMA_CPP_CTX_PAD, "vllm": VLLM_BLOCK_TOKENS}


def padded_context(workload: Workload) -> int:
    """KV cells the runtime allocates for all sequences together (llama.cpp `-c` is shared by `-np`)."""
    cells = workload.context_tokens * reserved_sequences(workload)
    pad = CTX_PAD.get(workload.runtime, 1)
    return -(-cells // pad) * pad


def window_cells(model: ModelSpec, workload: Workload) -> int:
    """KV cells a sliding-window layer keeps: the window per sequence, plus one micro-batch in llama.cpp,
    plus one step's tokens and a block in vLLM (`vllm_window_tokens`)."""
    if workload.runtime == "vllm" and model.sliding_window:
        return vllm_window_tokens(model, workload)
    window = model.sliding_window or workload.context_tokens
    per_seq = min(workload.context_tokens, window)
    cells = per_seq * reserved_sequences(workload)
    if workload.runtime in ("llama.cpp", "ollama"):
        cells = min(padded_context(workload), cells + workload.ubatch_tokens)
        cells = -(-cells // LLAMA_CPP_CTX_PAD) * LLAMA_CPP_CTX_PAD
    return min(cells, padded_context(workload))


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def window_layers(model: ModelSpec) -> tuple[bool, ...]:
    """`is_window_layer` of every layer, computed once per model."""
    return tuple(_is_window_layer(model, i) for i in range(model.num_hidden_layers))


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def layer_classes(model: ModelSpec) -> tuple[int, ...]:
    """A small integer per layer, equal for layers that differ in nothing a device's memory or speed
    stage reads: their bytes by class, window flag, active parameters and whether they hold routed
    experts. Two ranges whose layers have the same classes in the same order give the same
    `device_memory.usage_and_stage` (float sums included: same values, same order), so plans can compute
    one device of a layer split and reuse it for the others (`slots.work_key`).

    A layer's bytes, active parameters and routed experts follow from its kind alone (dense or MoE,
    `layer_bytes_table`, `TensorClasses.layer_active_params`), so the class is (kind, window flag),
    numbered in order of first appearance, whatever the format."""
    dense_layers = tensor_classes(model).dense_layers
    ids: dict[tuple[bool, bool], int] = {}
    return tuple(
        ids.setdefault((i >= dense_layers, windowed), len(ids))
        for i, windowed in enumerate(window_layers(model))
    )


def is_window_layer(model: ModelSpec, index: int) -> bool:
    """Which layers are local: the windowed ones are spread evenly, the global ones last in each group.

    Gemma 3 (5 local : 1 global) and Gemma 2 / gpt-oss (1 : 1) put the global layer at the end of each group.
    """
    return window_layers(model)[index]


def _is_window_layer(model: ModelSpec, index: int) -> bool:
    n, w = model.num_hidden_layers, min(model.sliding_window_layers, model.num_hidden_layers)
    if not model.sliding_window or w == 0:
        return False
    if w == n:
        return True
    # global layers evenly spaced: layer i is global when it crosses the next multiple of n / (n - w)
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
        return len(layers)
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
        return full
    window = vllm_window_tokens(model, workload) // VLLM_BLOCK_TOKENS
    groups = vllm_groups(model)
    if groups is None:  # every layer windowed
        return window
    return groups.full * full + groups.window * window


def kv_cache_layer_bytes(model: ModelSpec, workload: Workload, index: int) -> int:
    """KV cache of layer `index` for all sequences."""
    cells = window_cells(model, workload) if is_window_layer(model, index) else padded_context(workload)
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
    full = int(padded_context(workload) * per_token * workload.kv_bytes_per_element)
    local = int(window_cells(model, workload) * per_token * workload.kv_bytes_per_element) if windowed else 0
    return windowed * local + (len(layers) - windowed) * full


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


def kv_read_bytes_per_token(model: ModelSpec, workload: Workload, depth: int, layers: list[int]) -> float:
    """KV bytes one decode step of one sequence reads at `depth` tokens, over the given layers."""
    per_cell = kv_values_per_token_layer(model) * workload.kv_bytes_per_element
    full = depth * per_cell
    if not model.has_window_layers:
        return _repeat_sum(full, len(layers))
    local = min(depth, model.sliding_window) * per_cell
    mask = window_layers(model)
    total = 0.0
    for i in layers:  # one by one, in order: the float sum the engine always returned
        total += local if mask[i] else full
    return total


def _repeat_sum(value: float, n: int) -> float:
    """`value` added `n` times one by one (not `n * value`, which can round differently)."""
    total = 0.0
    for _ in range(n):
        total += value
    return total


def compute_buffer_bytes(
    model: ModelSpec,
    *,
    holds_output: bool,
    batch: int = 1,
    workload: Workload | None = None,
    tp: int = 1,
    pipeline: bool = False,
) -> int:
    """The runtime's scratch memory for one forward pass on one device.

    llama.cpp reserves its graph for one micro-batch (`-ub`) and reuses memory between ops, so the peak
    is the largest single phase: FFN activations, attention scores (n_ctx × ub × heads × 4 bytes without
    flash attention), or the logits (ub × vocab × 4 bytes) on the device holding the output head, plus
    the residual stream. With Llama 3.1 8B at 8K context this gives 266 MiB with flash attention and
    528 MiB without; llama.cpp logs about 258 MiB and 560 MiB.
    """
    w = workload or Workload()
    h = model.hidden_size
    if w.runtime == "vllm":
        tokens = VLLM_PROFILE_TOKENS
        ffn = (model.moe_intermediate_size or model.intermediate_size or 4 * h) * (
            (model.num_experts_per_tok or 1) if model.is_moe else 1
        )
        act = tokens * (2 * ffn // tp + 4 * h) * 2
        sampler = VLLM_MAX_NUM_SEQS * model.vocab_size * 4 if holds_output else 0
        return act + sampler + VLLM_CUDA_GRAPH_BYTES
    ub = min(w.ubatch_tokens, padded_context(w))
    ffn_width = model.moe_intermediate_size or model.intermediate_size or 4 * h
    if model.is_moe:
        ffn_width *= model.num_experts_per_tok or 1
    ffn = ub * (2 * ffn_width + h) * 4
    if w.flash_attention:
        attn = ub * model.num_attention_heads * model.head_dim_or_default * 4 * 2
    else:
        attn = ub * padded_context(w) * model.num_attention_heads * 4
    logits = ub * model.vocab_size * 4 if holds_output else 0
    residual = ub * h * 4 * 2
    copies = (LLAMA_CPP_PIPELINE_COPIES - 1) * ub * h * 4 if pipeline else 0
    return max(ffn, attn, logits) + residual + copies


def overhead_bytes(backend: str, *, runtime: str = "llama.cpp", multi_gpu: bool = False) -> int:
    base = OVERHEAD_BYTES.get(backend, 0)
    if runtime == "vllm" and multi_gpu:
        base += NCCL_BYTES
    return base
