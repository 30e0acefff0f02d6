"""How many bytes a model needs: weights by tensor class, KV cache, compute buffers, runtime overhead.

Parameter counts by tensor class come from the config.json dimensions, then the repeating-layer classes
are scaled so that the sum matches the model card's total (the dimensions miss biases, norms, vision
towers; the card misses nothing). Token embeddings and the output head are exact: vocab × hidden.
"""

from dataclasses import dataclass
from typing import Protocol

from .kv_cache import linear_layers, padded_context, window_layers
from .limits import bounded_cache, length_of_result
from .schema import LinearAttentionKind, ModelSpec, QuantSpec, Workload
from .units import MIB

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


class LinearLayerDims(Protocol):
    """What a linear layer's size is read from, under config.json's names (Gated DeltaNet's; a Mamba-2
    mixer's map onto them, see `ModelSpec.linear_attention_kind`): a `ModelSpec`, or the catalog's
    config.json reader (`catalog.config_json.HfConfig`) before there is one."""

    hidden_size: int
    linear_num_key_heads: int | None
    linear_key_head_dim: int | None
    linear_num_value_heads: int | None
    linear_value_head_dim: int | None
    linear_conv_kernel_dim: int | None


def linear_attention_params(dims: LinearLayerDims, kind: LinearAttentionKind = "gated_delta_net") -> int:
    """One linear layer's weights: a Gated DeltaNet layer (`gated_delta_net_params`) or a Mamba-2 mixer
    (`mamba2_params`)."""
    if kind == "mamba2":
        return mamba2_params(dims)
    return gated_delta_net_params(dims)


def gated_delta_net_params(dims: LinearLayerDims) -> int:
    """One Gated DeltaNet layer (transformers' Qwen3NextGatedDeltaNet): the q, k, v and output-gate z
    projections in one (hidden → 2 × key dims + 2 × value dims), the β and decay projections (hidden → 2 ×
    value heads), the short convolution over q, k, v, the decay's two vectors, the gated norm and the
    output projection (value dims → hidden)."""
    h = dims.hidden_size
    value_heads, value_head_dim = dims.linear_num_value_heads or 0, dims.linear_value_head_dim or 0
    keys = (dims.linear_num_key_heads or 0) * (dims.linear_key_head_dim or 0)
    values = value_heads * value_head_dim
    conv = (2 * keys + values) * (dims.linear_conv_kernel_dim or 0)
    return (
        h * (2 * keys + 2 * values)
        + h * 2 * value_heads
        + conv
        + 2 * value_heads
        + value_head_dim
        + values * h
    )


def mamba2_params(dims: LinearLayerDims) -> int:
    """One Mamba-2 mixer (mlx-lm models/granitemoehybrid.py at d78bf58e, GraniteMoeHybridMamba2Mixer; the
    same tensors in transformers' GraniteMoeHybridMambaLayer), in the linear fields' names (groups G = key
    heads, state N = key head dim, heads H × head dim P = d_inner): in_proj, hidden → the gate z (d_inner),
    the convolution's input x, B, C (d_inner + 2·G·N) and one dt per head; the depthwise convolution over
    x, B, C with its bias (Granite's `mamba_conv_bias`); dt_bias, A_log and D, one per head; the gated RMS
    norm over d_inner; out_proj, d_inner → hidden."""
    h = dims.hidden_size
    heads = dims.linear_num_value_heads or 0
    inner = heads * (dims.linear_value_head_dim or 0)
    conv_dim = inner + 2 * (dims.linear_num_key_heads or 0) * (dims.linear_key_head_dim or 0)
    kernel = dims.linear_conv_kernel_dim or 0
    return h * (inner + conv_dim + heads) + conv_dim * (kernel + 1) + 3 * heads + inner + inner * h


def mixer_params(model: ModelSpec) -> float:
    """A layer's token mixer, averaged over the layers: full attention, or in hybrid models the mean of
    the attention and linear layers (`TensorClasses.attention` is one value per layer)."""
    attention = attention_params(model)
    if not model.has_linear_layers:
        return attention
    n, linear = model.num_hidden_layers, model.linear_attention_layers
    return (
        (n - linear) * attention + linear * linear_attention_params(model, model.linear_attention_kind)
    ) / n


@bounded_cache(entries=256, size=65_536, size_of=length_of_result)
def tensor_classes(model: ModelSpec) -> TensorClasses:
    h = model.hidden_size
    embedding = float(model.vocab_size * h)
    output = float(model.vocab_size * h)
    attention = mixer_params(model)
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


# Formats whose files of a model released with MXFP4 experts keep them at MXFP4 (`native_expert_bits_per_weight`):
# every GGUF file type and the 16-bit files. gpt-oss's published GGUFs keep the experts as released whatever the
# file type: bartowski's "All quants keep the feed forward networks at mxfp4 for optimal performance, which does mean
# the size differences are negligible" (huggingface.co/bartowski/openai_gpt-oss-20b-GGUF, llama.cpp b6096: its Q6_K
# 12.04 GB against the MXFP4 file's 12.1); unsloth's gpt-oss-120b files (huggingface.co/unsloth/gpt-oss-120b-GGUF,
# as ailocalcheck.com/model/unsloth/gpt-oss-120b-GGUF lists them) weigh 58.3 (Q2_K) to 60.9 GiB (F16), and lhl's
# llama-bench prints 60.87 GiB for that F16 beside 59.02 for ggml-org's MXFP4
# (https://community.frame.work/t/will-the-ai-max-395-128gb-be-able-to-run-gpt-oss-120b/73280/26). llama.cpp's converter writes the checkpoint's MXFP4 experts as they are (a `--outtype bf16` gpt-oss-20b is
# 13.8 GB), and vLLM loads them in MXFP4 whatever `--dtype` says. A stock llama-quantize to a K-quant could not
# keep to its type either: gpt-oss's 2880-wide rows are no multiple of the K-quants' 256-weight blocks, which
# `tensor_type_fallback` (src/llama-quant.cpp) replaces with Q4_0 to Q8_0.
KEEPS_NATIVE_EXPERTS = ("gguf", "safetensors")


@bounded_cache(entries=1024, size=65_536, size_of=length_of_result)
def sized(model: ModelSpec, quant: QuantSpec) -> QuantSpec:
    """The format as this model's file stores it: the experts at their released width where the files keep it
    (`KEEPS_NATIVE_EXPERTS`), else a llama.cpp file type at its catalog width takes the quantizer's whole-file
    width for this model (`quant_mix.file_bits`); any other format stands as given. Every byte count below goes
    through it."""
    from . import quant_mix  # it reads this module's tensor classes

    if (
        model.native_expert_bits_per_weight
        and model.num_experts
        and quant.format in KEEPS_NATIVE_EXPERTS
        and not quant.expert_bits_per_weight
    ):  # the rest as the file type's recipe makes it (`quant_mix.Recipe.rest`), or the format's one width
        ftype = quant_mix.stock_ftype(quant)
        rest = quant_mix.recipe(model, ftype).rest if ftype and quant.catalog_width else quant.bits_per_weight
        return quant.model_copy(
            update={
                "bits_per_weight": round(rest, 4),
                "expert_bits_per_weight": model.native_expert_bits_per_weight,
                "catalog_width": False,
            }
        )
    bits = quant_mix.file_bits(model, quant)
    if bits is None:
        return quant
    return quant.model_copy(update={"bits_per_weight": bits, "catalog_width": False})


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
    quant = sized(model, quant)
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
    quant = sized(model, quant)
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
    return int(embedding_params(model) * _bits(sized(model, quant), "embedding") / 8)


def output_bytes(model: ModelSpec, quant: QuantSpec) -> int:
    return int(output_params(model) * _bits(sized(model, quant), "output") / 8)


@bounded_cache(entries=1024, size=65_536, size_of=length_of_result)
def weights_bytes(model: ModelSpec, quant: QuantSpec) -> int:
    """The whole checkpoint at this format (≈ the GGUF file size); a tied head is stored once."""
    c = tensor_classes(model)
    layers = sum(lb.total for lb in layer_bytes_table(model, quant))
    head = output_bytes(model, quant) if c.output_stored else 0
    return embedding_bytes(model, quant) + head + layers


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def layer_classes(model: ModelSpec) -> tuple[int, ...]:
    """A small integer per layer, equal for layers that differ in nothing a device's memory or speed
    stage reads: their bytes by class, window flag, active parameters and whether they hold routed
    experts. Two ranges whose layers have the same classes in the same order give the same
    `device_memory.usage_and_stage` (float sums included: same values, same order), so plans can compute
    one device of a layer split and reuse it for the others (`slots.work_key`).

    A layer's bytes, active parameters and routed experts follow from its kind alone (dense or MoE,
    `layer_bytes_table`, `TensorClasses.layer_active_params`), so the class is (kind, window flag, linear
    attention flag), numbered in order of first appearance, whatever the format. Without the linear flag
    (a review) two ten-layer ranges of Qwen3-Next on five GPUs, one with three attention layers and one
    with two, shared the first's KV cache: 13 of its 12 attention layers were counted."""
    dense_layers = tensor_classes(model).dense_layers
    linear = linear_layers(model) if model.has_linear_layers else (False,) * model.num_hidden_layers
    ids: dict[tuple[bool, bool, bool], int] = {}
    return tuple(
        ids.setdefault((i >= dense_layers, windowed, linear[i]), len(ids))
        for i, windowed in enumerate(window_layers(model))
    )


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
    ub = min(w.ubatch_tokens, padded_context(model, w))
    ffn_width = model.moe_intermediate_size or model.intermediate_size or 4 * h
    if model.is_moe:
        ffn_width *= model.num_experts_per_tok or 1
    ffn = ub * (2 * ffn_width + h) * 4
    if w.flash_attention:
        attn = ub * model.num_attention_heads * model.head_dim_or_default * 4 * 2
    else:
        attn = ub * padded_context(model, w) * model.num_attention_heads * 4
    logits = ub * model.vocab_size * 4 if holds_output else 0
    residual = ub * h * 4 * 2
    copies = (LLAMA_CPP_PIPELINE_COPIES - 1) * ub * h * 4 if pipeline else 0
    return max(ffn, attn, logits) + residual + copies


def overhead_bytes(backend: str, *, runtime: str = "llama.cpp", multi_gpu: bool = False) -> int:
    base = OVERHEAD_BYTES.get(backend, 0)
    if runtime == "vllm" and multi_gpu:
        base += NCCL_BYTES
    return base
