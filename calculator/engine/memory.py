"""How many bytes a model needs: weights by tensor class, KV cache, compute buffers, runtime overhead."""

from .schema import ModelSpec, QuantSpec
from .units import MIB

# llama.cpp processes prompts in micro-batches of this many tokens (`-ub`, default 512).
LLAMA_CPP_UBATCH = 512
# CUDA context and cuBLAS workspace per device, as llama.cpp logs it on a 24 GB card: ~300 MiB.
CUDA_CONTEXT_BYTES = 300 * MIB


def embedding_params(model: ModelSpec) -> int:
    """Token embedding table: one row of `hidden_size` per vocabulary entry."""
    return model.vocab_size * model.hidden_size


def output_params(model: ModelSpec) -> int:
    """The output head (lm_head); when tied it reuses the embedding table, which the runtime copies."""
    return model.vocab_size * model.hidden_size


def stored_params(model: ModelSpec) -> int:
    """Parameters in the checkpoint: the model card's total."""
    return int(model.total_params_b * 1e9)


def layer_params(model: ModelSpec) -> int:
    """Parameters in all repeating transformer blocks together (everything but embeddings and head)."""
    head = 0 if model.tie_word_embeddings else output_params(model)
    return max(stored_params(model) - embedding_params(model) - head, 0)


def params_bytes(params: float, quant: QuantSpec) -> int:
    return int(params * quant.bits_per_weight / 8)


def weights_bytes(model: ModelSpec, quant: QuantSpec) -> int:
    """The whole checkpoint at this format (≈ the GGUF file size)."""
    return params_bytes(stored_params(model), quant)


def kv_bytes_per_token(model: ModelSpec, kv_bytes_per_element: float, *, full_layers: int | None = None) -> int:
    """K and V for one token across `full_layers` layers (all layers by default).

    GQA/MQA: only `num_key_value_heads` heads are cached. MLA (DeepSeek): one latent of
    `kv_lora_rank + qk_rope_head_dim` per layer instead of K and V per head.
    """
    layers = model.num_hidden_layers if full_layers is None else full_layers
    if model.kv_lora_rank:
        per_layer = model.kv_lora_rank + (model.qk_rope_head_dim or 0)
    else:
        per_layer = 2 * model.num_key_value_heads * model.head_dim_or_default
    return int(layers * per_layer * kv_bytes_per_element)


def kv_cache_bytes(model: ModelSpec, *, context_tokens: int, batch: int, kv_bytes_per_element: float) -> int:
    """KV cache for `batch` sequences of `context_tokens`; sliding-window layers keep only their window."""
    window_layers = min(model.sliding_window_layers, model.num_hidden_layers) if model.sliding_window else 0
    full_layers = model.num_hidden_layers - window_layers
    full = kv_bytes_per_token(model, kv_bytes_per_element, full_layers=full_layers) * context_tokens
    windowed = 0
    if window_layers:
        windowed = kv_bytes_per_token(model, kv_bytes_per_element, full_layers=window_layers) * min(
            context_tokens, model.sliding_window or context_tokens
        )
    return (full + windowed) * batch


def compute_buffer_bytes(model: ModelSpec, *, holds_output: bool, batch: int) -> int:
    """llama.cpp's graph buffer: activations of one micro-batch, plus the logits on the output device."""
    ubatch = LLAMA_CPP_UBATCH
    activations = 4 * ubatch * (4 * model.hidden_size + (model.intermediate_size or 0))
    logits = 4 * ubatch * model.vocab_size if holds_output else 0
    return activations + logits
