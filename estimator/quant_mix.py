"""Which ggml type llama.cpp's quantizer gives each tensor of a GGUF file, by tensor role, and what that makes of
the bytes a token reads.

A "Q4_K_M" file is not all Q4_K. `llama_tensor_get_type_impl` (src/llama-quant.cpp, ggml-org/llama.cpp at
007dbbf3) picks a type per tensor from the file type (ftype), the tensor's role and its layer:
- the output head (and the token embeddings where they are tied to it): Q6_K for every quantized ftype below
  Q8_0 (the legacy quants included), Q8_0 for Q8_0;
- attn_v (and a fused attn_qkv): Q4_K_M and Q5_K_M give Q6_K to the layers `use_more_bits` picks (the first and
  last eighth and every third between: `USE_MORE_BITS`), Q4_K_S Q5_K to the first four, Q3_K_M Q5_K to the first
  two and Q4_K to the rest, Q3_K_L Q5_K, Q2_K Q4_K (grouped-query models, 4 or more query heads a KV head) or
  Q3_K; a fused attn_qkv (Qwen3.5's Gated DeltaNet layers) Q4_K for Q3_K_M/L, Q5_K for Q4_K_M, Q6_K for Q5_K_M;
- attn_output: Q3_K for Q2_K, Q4_K for Q3_K_M, Q5_K for Q3_K_L;
- ffn_down (dense, shared and routed experts alike: the name holds "ffn_down"): Q6_K on `use_more_bits` layers for
  Q4_K_M and Q5_K_M, Q5_K on the first eighth for Q4_K_S, Q3_K for Q2_K, Q4_K (the first sixteenth Q5_K) for
  Q3_K_M, Q5_K for Q3_K_L;
- the rest (attn_q, attn_k, ffn_gate, ffn_up, Mamba's and DeltaNet's other projections) the ftype's base type,
  and so the token embeddings when untied (not read per token).
A tensor whose rows are no multiple of its type's block falls back to a legacy type (`FALLBACK_TYPE`).
Eight-expert models (Mixtral) and Falcon have rules of their own, and an imatrix changes nothing here: they take
the common rules. Unsloth's "UD" and other hand-made mixes set types per tensor with `--tensor-type`; they are
priced as the stock recipe (the one defensible default without the file's header), at their own file size.

`recipe` gives the mean bits a weight by role and over the whole file. A format at its catalog width (measured on
Llama 3.1 8B) takes the recipe's whole-file width for each model (`file_bits`, through `memory.sized`); a file whose
size is known keeps its own. `role_factors` gives, per role, the ratio of its bits a weight to the file's average:
the file's bytes stay what its width says, the bytes a token reads move to where the recipe puts them.
"""

from dataclasses import dataclass

from . import memory
from .limits import bounded_cache, length_of_result
from .schema import ModelSpec, QuantSpec

# Bits a weight of each ggml type: block bytes × 8 ÷ block weights (ggml/src/ggml-common.h: block_q4_K 144 bytes
# a 256-weight super-block, block_q6_K 210, block_q5_K 176, block_q3_K 110, block_q2_K 84; block_q4_0 18 bytes
# a 32-weight block, q4_1 20, q5_0 22, q5_1 24, q8_0 34).
TYPE_BITS = {
    "q2_k": 2.625,
    "q3_k": 3.4375,
    "q4_k": 4.5,
    "q5_k": 5.5,
    "q6_k": 6.5625,
    "q4_0": 4.5,
    "q4_1": 5.0,
    "q5_0": 5.5,
    "q5_1": 6.0,
    "q8_0": 8.5,
    "mxfp4": 4.25,  # block_mxfp4: an E8M0 scale byte and 16 bytes of 32 4-bit values
}
# The ftype's base type (`llama_model_quantize_impl`'s default_type)
BASE_TYPE = {
    "q2_k": "q2_k",
    "q3_k_s": "q3_k",
    "q3_k_m": "q3_k",
    "q3_k_l": "q3_k",
    "q4_k_s": "q4_k",
    "q4_k_m": "q4_k",
    "q5_k_s": "q5_k",
    "q5_k_m": "q5_k",
    "q6_k": "q6_k",
    "q4_0": "q4_0",
    "q4_1": "q4_1",
    "q5_0": "q5_0",
    "q5_1": "q5_1",
    "q8_0": "q8_0",
}


def native_expert_bits(native_dtype: str) -> float | None:
    """The routed experts' bits a weight as a checkpoint of this native dtype releases them, where it names their
    type first ("mxfp4+bfloat16": gpt-oss's MXFP4 experts, BF16 elsewhere); None for one type throughout."""
    experts, _, rest = native_dtype.partition("+")
    return TYPE_BITS.get(experts) if rest else None


# A tensor whose rows are no multiple of its type's block takes another type (`tensor_type_fallback`, src/llama-quant.cpp
# at 007dbbf3): the K-quants' 256-weight super-blocks give way to a legacy type of 32-weight blocks (gpt-oss's 2880-wide
# rows, Qwen2.5-0.5B's 896), and the output head of a K-quant file with such rows is Q8_0, not Q6_K. The rows' width
# is the tensor's input: the hidden size for q, k, v, gate, up, the head and the embeddings; the attention's width for
# attn_output; the MLP's for ffn_down.
K_QUANT_BLOCK = 256
FALLBACK_TYPE = {"q2_k": "q4_0", "q3_k": "q4_0", "q4_k": "q5_0", "q5_k": "q5_1", "q6_k": "q8_0"}


def _stored_type(ggml_type: str, ncols: int) -> str:
    """The type the quantizer gives a tensor of `ncols`-wide rows it meant for `ggml_type` (`FALLBACK_TYPE`)."""
    return FALLBACK_TYPE[ggml_type] if ggml_type in FALLBACK_TYPE and ncols % K_QUANT_BLOCK else ggml_type


def _bits(ggml_type: str, ncols: int) -> float:
    """Bits a weight of that tensor (`_stored_type`)."""
    return TYPE_BITS[_stored_type(ggml_type, ncols)]


def use_more_bits(i: int, n: int) -> bool:
    """llama-quant.cpp's `use_more_bits`: the first and last eighth of the layers and every third between."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _share(n: int, pick) -> float:
    """Share of `n` layers (or tensors) whose index `pick` takes."""
    return sum(1 for i in range(n) if pick(i, n)) / n if n else 0.0


def _raised(n: int, pick, raised: str, rest: str, ncols: int) -> float:
    """Mean bits over `n` layers' tensors of one role: type `raised` on the layers `pick` takes, `rest` on the others."""
    s = _share(n, pick)
    return s * _bits(raised, ncols) + (1 - s) * _bits(rest, ncols)


def _v_bits(ftype: str, n: int, gqa: float, ncols: int) -> float:
    """Mean bits of the attn_v tensors over `n` of them (`i_attention_wv` counts them)."""
    if ftype == "q2_k":
        return _bits("q4_k" if gqa >= 4 else "q3_k", ncols)
    if ftype == "q3_k_m":
        return _raised(n, lambda i, _n: i < 2, "q5_k", "q4_k", ncols)
    if ftype == "q3_k_l":
        return _bits("q5_k", ncols)
    if ftype in ("q4_k_m", "q5_k_m"):
        return _raised(n, use_more_bits, "q6_k", BASE_TYPE[ftype], ncols)
    if ftype == "q4_k_s":
        return _raised(n, lambda i, _n: i < 4, "q5_k", "q4_k", ncols)
    return _bits(BASE_TYPE[ftype], ncols)


def _qkv_bits(ftype: str, ncols: int) -> float:
    """Bits of a fused attn_qkv tensor (Qwen3.5's and Qwen3-Next's Gated DeltaNet layers)."""
    fused = {"q3_k_m": "q4_k", "q3_k_l": "q4_k", "q4_k_m": "q5_k", "q5_k_m": "q6_k"}
    return _bits(fused.get(ftype, BASE_TYPE[ftype]), ncols)


def _o_bits(ftype: str, ncols: int) -> float:
    raised = {"q2_k": "q3_k", "q3_k_m": "q4_k", "q3_k_l": "q5_k"}
    return _bits(raised.get(ftype, BASE_TYPE[ftype]), ncols)


def _down_bits(ftype: str, n: int, ncols: int) -> float:
    """Mean bits of ffn_down over `n` layers."""
    if ftype == "q2_k":
        return _bits("q3_k", ncols)
    if ftype == "q3_k_m":
        return _raised(n, lambda i, m: i < m // 16, "q5_k", "q4_k", ncols)
    if ftype == "q3_k_l":
        return _bits("q5_k", ncols)
    if ftype in ("q4_k_m", "q5_k_m"):
        return _raised(n, use_more_bits, "q6_k", BASE_TYPE[ftype], ncols)
    if ftype == "q4_k_s":
        return _raised(n, lambda i, m: i < m // 8, "q5_k", "q4_k", ncols)
    return _bits(BASE_TYPE[ftype], ncols)


def _mlp_width(model: ModelSpec) -> int:
    """The rows of ffn_down: the experts' width in a mixture of experts, else the MLP's."""
    return (model.moe_intermediate_size if model.num_experts else None) or model.intermediate_size or 0


@dataclass(frozen=True)
class RoleFactors:
    """Per role, its bits a weight ÷ the file's average (1 for a file of one type)."""

    attention: float = 1.0
    mlp: float = 1.0  # dense MLP, shared and routed experts
    output: float = 1.0


NO_MIX = RoleFactors()


def _attention_bits(model: ModelSpec, ftype: str) -> tuple[float, float]:
    """(mean bits of a layer's mixer weights, its parameters), over the layers: attention's q, k, v, o (MLA's
    projections at the base type but kv_b, which counts as attn_v), Gated DeltaNet's fused qkv and the rest,
    Mamba-2's projections at the base type."""
    h = model.hidden_size
    base = _bits(BASE_TYPE[ftype], h)
    n = model.num_hidden_layers
    linear = model.linear_attention_layers if model.has_linear_layers else 0
    full = n - linear
    if model.kv_lora_rank:
        params = memory.attention_params(model)
        attn_bits = base
    else:
        d = model.head_dim_or_default
        q_dim, kv_dim = model.num_attention_heads * d, model.num_key_value_heads * d
        params = h * q_dim + 2 * h * kv_dim + q_dim * h
        gqa = model.num_attention_heads / model.num_key_value_heads if model.num_key_value_heads else 1.0
        v_bits = _v_bits(ftype, full, gqa, h)
        attn_bits = (
            h * kv_dim * v_bits + q_dim * h * _o_bits(ftype, q_dim) + (h * q_dim + h * kv_dim) * base
        ) / params
    if not linear:
        return attn_bits, params
    lin_params = memory.linear_attention_params(model, model.linear_attention_kind)
    lin_bits = base
    if model.linear_attention_kind != "mamba2":
        keys = (model.linear_num_key_heads or 0) * (model.linear_key_head_dim or 0)
        values = (model.linear_num_value_heads or 0) * (model.linear_value_head_dim or 0)
        qkv = h * (2 * keys + values)
        lin_bits = (qkv * _qkv_bits(ftype, h) + (lin_params - qkv) * base) / lin_params
    total = full * params + linear * lin_params
    return (full * params * attn_bits + linear * lin_params * lin_bits) / total, total / n


def stock_ftype(quant: QuantSpec) -> str | None:
    """The llama.cpp ftype (`BASE_TYPE`'s key) of a GGUF file whose format gives no widths of its own, else None."""
    ftype = quant.slug.lower()
    if (
        ftype not in BASE_TYPE
        or quant.format not in ("gguf", None)
        or quant.output_bits_per_weight
        or quant.expert_bits_per_weight
    ):
        return None
    return ftype


@dataclass(frozen=True)
class Recipe:
    """The stock recipe's mean bits a weight by role, over the whole file, and over all but the routed experts."""

    attention: float
    mlp: float
    output: float
    file: float
    rest: float  # every tensor but the routed experts (`memory.sized` keeps gpt-oss's at their MXFP4)


@bounded_cache(entries=1024, size=65_536, size_of=length_of_result)
def recipe(model: ModelSpec, ftype: str) -> Recipe:
    """Bits a weight by role of a `ftype` file of `model`, by the rules above: the mixer's tensors
    (`_attention_bits`), gate, up and down of the MLP and experts alike (down at `_down_bits`), the output head
    (and tied token embeddings) at Q6_K below Q8_0 (Q8_0 where its rows fall back, `FALLBACK_TYPE`), untied
    embeddings at the base type, routers at the base type."""
    h = model.hidden_size
    base = _bits(BASE_TYPE[ftype], h)
    falls_back = _stored_type(BASE_TYPE[ftype], h) != BASE_TYPE[ftype]
    out_bits = TYPE_BITS["q8_0"] if ftype == "q8_0" or falls_back else TYPE_BITS["q6_k"]
    c = memory.tensor_classes(model)
    attn_bits, _ = _attention_bits(model, ftype)
    down = _down_bits(ftype, c.layers, _mlp_width(model))
    mlp_bits = (2 * base + down) / 3  # gate, up and down of equal size
    layers = c.layers * c.attention * attn_bits + c.layers * c.router * base
    routed = c.moe_layers * c.routed_experts
    mlp = c.dense_layers * c.dense_mlp + c.moe_layers * c.shared_experts + routed
    stored = c.layers * (c.attention + c.router) + mlp + c.embedding + (c.output if c.output_stored else 0)
    embed_bits = out_bits if not c.output_stored else base
    rest_bits = layers + (mlp - routed) * mlp_bits + c.embedding * embed_bits
    rest_bits += c.output * out_bits if c.output_stored else 0
    return Recipe(
        attention=attn_bits,
        mlp=mlp_bits,
        output=out_bits,
        file=(rest_bits + routed * mlp_bits) / stored,
        rest=rest_bits / (stored - routed) if stored > routed else mlp_bits,
    )


@bounded_cache(entries=1024, size=65_536, size_of=length_of_result)
def role_factors(model: ModelSpec, quant: QuantSpec) -> RoleFactors:
    """The stock recipe's bits per role ÷ its whole-file average, for a GGUF file of a llama.cpp ftype
    (`stock_ftype`); `NO_MIX` else."""
    ftype = stock_ftype(quant)
    if ftype is None:
        return NO_MIX
    r = recipe(model, ftype)
    return RoleFactors(attention=r.attention / r.file, mlp=r.mlp / r.file, output=r.output / r.file)


def file_bits(model: ModelSpec, quant: QuantSpec) -> float | None:
    """A stock ftype's whole-file bits a weight for this model (rounded as the catalog's widths are), for a
    format at its catalog width (`QuantSpec.catalog_width`); None where the file's own width stands.

    The catalog's widths of llama.cpp's mixes were measured on Llama 3.1 8B, whose 128K-entry Q6_K head is a
    large share of the file; on other models the same recipe makes another average. Against the GGUF sizes
    llama-bench printed (bench/accuracy_sizes.py): Qwen3-235B-A22B Q3_K_M 104.72 GiB, the catalog's width says
    109.45 and the recipe 104.5; Llama 4 Scout Q3_K_M 48.19 GiB, 50.19 and 48.18; Gemma 2 2B Q4_K_M 1.59 GiB,
    1.49 and 1.58."""
    if not quant.catalog_width or (ftype := stock_ftype(quant)) is None:
        return None
    return round(recipe(model, ftype).file, 4)


def _attention_q6k(model: ModelSpec, ftype: str) -> float:
    """Share of the mixer weights' bytes in Q6_K tensors: the `use_more_bits` attn_v of a Q4_K_M or Q5_K_M file, and
    a Q5_K_M file's fused attn_qkv."""
    if ftype not in ("q4_k_m", "q5_k_m") or model.kv_lora_rank:
        return 0.0
    bits, per_layer = _attention_bits(model, ftype)
    n = model.num_hidden_layers
    linear = model.linear_attention_layers if model.has_linear_layers else 0
    full = n - linear
    kv_dim = model.num_key_value_heads * model.head_dim_or_default
    q6k = model.hidden_size * kv_dim * _share(full, use_more_bits) * full
    if linear and ftype == "q5_k_m" and model.linear_attention_kind != "mamba2":
        keys = (model.linear_num_key_heads or 0) * (model.linear_key_head_dim or 0)
        values = (model.linear_num_value_heads or 0) * (model.linear_value_head_dim or 0)
        q6k += model.hidden_size * (2 * keys + values) * linear
    return q6k * TYPE_BITS["q6_k"] / (per_layer * n * bits)


@bounded_cache(entries=1024, size=65_536, size_of=length_of_result)
def q6k_shares(model: ModelSpec, quant: QuantSpec) -> tuple[float, float]:
    """(share of the dense bytes a token reads, share of the routed experts' bytes) held in Q6_K tensors, by the
    stock recipe: the output head below Q8_0, the `use_more_bits` attn_v and ffn_down of Q4_K_M and Q5_K_M, all of
    Q6_K (`speed.INTEL_Q6K_DMMV_TIME`)."""
    ftype = quant.slug.lower()
    mix = role_factors(model, quant)
    if mix is NO_MIX:
        return 0.0, 0.0
    if ftype == "q6_k":
        return 1.0, 1.0
    c = memory.tensor_classes(model)
    base = _bits(BASE_TYPE[ftype], model.hidden_size)
    mlp = 0.0
    if ftype in ("q4_k_m", "q5_k_m"):
        down = _down_bits(ftype, c.layers, _mlp_width(model))
        mlp = _share(c.layers, use_more_bits) * TYPE_BITS["q6_k"] / (2 * base + down)
    attention = c.layers * c.attention * mix.attention
    mlps = (c.dense_layers * c.dense_mlp + c.moe_layers * c.shared_experts) * mix.mlp
    head = c.output * mix.output
    q6k = attention * _attention_q6k(model, ftype) + mlps * mlp + (head if ftype != "q8_0" else 0.0)
    return q6k / (attention + mlps + head), (mlp if c.routed_experts else 0.0)
