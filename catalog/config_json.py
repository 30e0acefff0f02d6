"""A Hugging Face config.json → LlmModel field values: bounded JSON, the fields the engine needs,
parameters estimated from the dimensions, and the canonical text a permalink carries (with the format a
quantized checkpoint declares: catalog/quantization_config.py). No Django models, no network.
"""

import json
import re
from typing import Annotated, Any, get_args

import pydantic
from django.utils.text import slugify

from estimator import limits
from estimator.memory import linear_attention_params
from estimator.schema import LinearAttentionKind, MambaSsmDtype

from . import config_families
from .quantization_config import canonical_quantization

MAX_CONFIG_BYTES = 1_000_000  # a config.json is a few KiB; anything near 1 MB is not one
HF_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")


# transformers' Mamba-2 hybrids: Granite 4.0-H and Bamba (one mixer and an FFN a layer), Nemotron-H (blocks); and
# their GGUF architectures (catalog/gguf_config.py)
MAMBA2_MODEL_TYPES = ("granitemoehybrid", "bamba", "nemotron_h", "granitehybrid", "nemotron_h_moe")


class ModelFileError(ValueError):
    """The file or text does not describe a model we can size; the message says what is wrong."""


class HfConfig(pydantic.BaseModel):
    """The config.json fields the engine needs, under their transformers names (aliases for GPT-2 style)."""

    model_config = pydantic.ConfigDict(extra="ignore", populate_by_name=True)

    num_hidden_layers: int = pydantic.Field(
        gt=0,
        le=limits.MAX_LAYERS,
        validation_alias=pydantic.AliasChoices("num_hidden_layers", "n_layer", "num_layers"),
    )
    hidden_size: int = pydantic.Field(
        gt=0,
        le=limits.MAX_HIDDEN_SIZE,
        validation_alias=pydantic.AliasChoices("hidden_size", "n_embd", "d_model"),
    )
    num_attention_heads: int = pydantic.Field(
        gt=0, le=limits.MAX_HEADS, validation_alias=pydantic.AliasChoices("num_attention_heads", "n_head")
    )
    num_key_value_heads: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_HEADS)
    intermediate_size: int | None = pydantic.Field(
        default=None,
        ge=0,
        le=limits.MAX_INTERMEDIATE_SIZE,
        validation_alias=pydantic.AliasChoices("intermediate_size", "n_inner", "ffn_hidden_size"),
    )
    head_dim: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    vocab_size: int = pydantic.Field(gt=0, le=limits.MAX_VOCAB_SIZE)
    tie_word_embeddings: bool = False
    max_position_embeddings: int | None = pydantic.Field(
        default=None,
        gt=0,
        le=limits.MAX_POSITION_EMBEDDINGS,
        validation_alias=pydantic.AliasChoices("max_position_embeddings", "n_positions", "seq_length"),
    )
    torch_dtype: str | None = pydantic.Field(
        default=None, validation_alias=pydantic.AliasChoices("torch_dtype", "dtype")
    )
    # Mixture of experts, under each family's own name
    num_experts: int | None = pydantic.Field(
        default=None,
        ge=0,
        le=limits.MAX_EXPERTS,
        validation_alias=pydantic.AliasChoices("num_local_experts", "num_experts", "n_routed_experts"),
    )
    num_experts_per_tok: int | None = pydantic.Field(
        default=None,
        ge=0,
        le=limits.MAX_EXPERTS,
        validation_alias=pydantic.AliasChoices("num_experts_per_tok", "num_experts_per_token", "moe_topk"),
    )
    num_shared_experts: int | None = pydantic.Field(
        default=None,
        ge=0,
        le=limits.MAX_EXPERTS,
        validation_alias=pydantic.AliasChoices("n_shared_experts", "num_shared_experts"),
    )
    moe_intermediate_size: int | None = pydantic.Field(default=None, ge=0, le=limits.MAX_INTERMEDIATE_SIZE)
    first_k_dense_replace: int = pydantic.Field(default=0, ge=0, le=limits.MAX_LAYERS)
    # Multi-head latent attention (DeepSeek)
    kv_lora_rank: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_HIDDEN_SIZE)
    q_lora_rank: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_HIDDEN_SIZE)
    qk_rope_head_dim: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    qk_nope_head_dim: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    v_head_dim: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    # Sliding-window / local-global layouts
    sliding_window: int | None = pydantic.Field(default=None, le=limits.MAX_POSITION_EMBEDDINGS)
    use_sliding_window: bool | None = None
    layer_types: list[Annotated[str, pydantic.StringConstraints(max_length=64)]] | None = pydantic.Field(
        default=None, max_length=limits.MAX_LAYERS
    )
    # Our own short form of `layer_types` in a canonical config: how many layers keep only the window
    sliding_window_layers: int | None = pydantic.Field(default=None, ge=0, le=limits.MAX_LAYERS)
    sliding_window_pattern: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_LAYERS)
    attention_chunk_size: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_POSITION_EMBEDDINGS)
    # Hybrid models (Qwen3-Next, Qwen3.5): `layer_types` "linear_attention" layers are Gated DeltaNet, one
    # full-attention layer in every `full_attention_interval` (transformers' Qwen3NextConfig default, 4);
    # `linear_attention_layers` is our own short form of their count in a canonical config
    full_attention_interval: int | None = pydantic.Field(default=None, gt=0, le=limits.MAX_LAYERS)
    linear_attention_layers: int | None = pydantic.Field(default=None, ge=0, le=limits.MAX_LAYERS)
    # Mamba-2 hybrids (IBM Granite 4.0-H, model_type granitemoehybrid): `layer_types` "mamba" layers, their
    # mixer's sizes read into the same fields as llama.cpp's converter maps them (`ModelSpec.linear_attention_kind`):
    # groups as key heads, the state size as key head dim, heads and head dim as the values'; our own short
    # form `linear_attention_kind` says which in a canonical config
    linear_attention_kind: LinearAttentionKind | None = None
    linear_num_key_heads: int | None = pydantic.Field(
        default=None,
        gt=0,
        le=limits.MAX_HEADS,
        validation_alias=pydantic.AliasChoices(
            "linear_num_key_heads", "mamba_n_groups", "n_groups", "mamba_num_groups"
        ),
    )
    linear_num_value_heads: int | None = pydantic.Field(
        default=None,
        gt=0,
        le=limits.MAX_HEADS,
        validation_alias=pydantic.AliasChoices("linear_num_value_heads", "mamba_n_heads", "mamba_num_heads"),
    )
    linear_key_head_dim: int | None = pydantic.Field(
        default=None,
        gt=0,
        le=limits.MAX_HEAD_DIM,
        validation_alias=pydantic.AliasChoices("linear_key_head_dim", "mamba_d_state", "ssm_state_size"),
    )
    linear_value_head_dim: int | None = pydantic.Field(
        default=None,
        gt=0,
        le=limits.MAX_HEAD_DIM,
        validation_alias=pydantic.AliasChoices("linear_value_head_dim", "mamba_d_head", "mamba_head_dim"),
    )
    linear_conv_kernel_dim: int | None = pydantic.Field(
        default=None,
        gt=0,
        le=limits.MAX_CONV_KERNEL,
        validation_alias=pydantic.AliasChoices("linear_conv_kernel_dim", "mamba_d_conv", "conv_kernel"),
    )
    # Mamba-2's inner width is mamba_expand × hidden_size (transformers' GraniteMoeHybridConfig); its
    # `mamba_d_head` may be "auto", that width ÷ mamba_n_heads
    mamba_expand: int | None = pydantic.Field(default=None, gt=0, le=16)
    # Bamba-style configs name the attention layers instead of `layer_types`
    attn_layer_indices: list[int] | None = pydantic.Field(default=None, max_length=limits.MAX_LAYERS)
    # NVIDIA Nemotron-H: one block per character, M a Mamba-2 mixer, * attention, - an MLP, E an MoE
    # (`_blocks_as_layers` folds them into the engine's layers of one mixer and one FFN)
    hybrid_override_pattern: str | None = pydantic.Field(
        default=None, max_length=limits.MAX_LAYERS, pattern=r"^[M*\-E]+$"
    )

    @pydantic.model_validator(mode="before")
    @classmethod
    def _state_space_spelling(cls, data: Any) -> Any:
        """A config that spells its sizes as Mamba's (mamba_*, a Nemotron-H pattern, a Mamba-2 hybrid's
        model_type) is read as Mamba-2, never as Gated DeltaNet: Falcon-H1's mamba_* sizes, with no layer
        list, once read as a Qwen3-Next layout of one attention layer in four."""
        if not isinstance(data, dict) or data.get("linear_attention_kind"):
            return data
        mamba = any(k.startswith("mamba_") and k != "mamba_ssm_dtype" for k in data)
        if mamba or "hybrid_override_pattern" in data or data.get("model_type") in MAMBA2_MODEL_TYPES:
            return {**data, "linear_attention_kind": "mamba2"}
        return data

    @pydantic.field_validator("linear_value_head_dim", mode="before")
    @classmethod
    def _auto_head_dim(cls, value: object) -> object:
        return None if isinstance(value, str) else value  # "auto": derived from mamba_expand below

    @pydantic.model_validator(mode="after")
    def _mamba_head_dim(self) -> "HfConfig":
        heads, expand = self.linear_num_value_heads, self.mamba_expand
        if self.linear_value_head_dim is None and heads and expand:
            self.linear_value_head_dim = expand * self.hidden_size // heads or None
        return self

    @pydantic.model_validator(mode="after")
    def _blocks_as_layers(self) -> "HfConfig":
        """Nemotron-H's blocks as the engine's layers: one layer per mixer block (M or *), the MLP (-) or MoE
        (E) blocks' weights spread evenly over them. Its FFNs are relu², up and down without a gate (2 × hidden
        × width), the engine's gated (3 × hidden × width): the width each layer gets is 2/3 of theirs times
        FFN blocks ÷ mixer blocks, so the totals, the active weights, the KV cache (on the * blocks) and the
        state (on the M blocks) are the model's; what is approximate is where the FFN weights sit in a layer
        split, and each FFN block's own kernel launches (counted once per layer instead)."""
        pattern = self.hybrid_override_pattern
        if pattern is None:
            return self
        mixers, mlps, moes = pattern.count("M") + pattern.count("*"), pattern.count("-"), pattern.count("E")
        if not mixers:
            raise ValueError("hybrid_override_pattern names no Mamba (M) or attention (*) block")

        def spread(width: int | None, blocks: int) -> int | None:
            return round(2 * width * blocks / (3 * mixers)) if width and blocks else None

        self.num_hidden_layers = mixers
        self.linear_attention_layers = pattern.count("M")
        if moes:
            self.moe_intermediate_size = spread(self.moe_intermediate_size, moes)
            self.shared_expert_intermediate_size = spread(self.shared_expert_intermediate_size, moes)
            if self.shared_expert_intermediate_size:  # its width, in routed widths, counts the shared experts
                self.num_shared_experts = None
            self.intermediate_size = None
        else:
            self.intermediate_size = spread(self.intermediate_size, mlps) or 0
        self.hybrid_override_pattern = None  # folded: a canonical config keeps the layers, not the blocks
        return self

    # the dtype vLLM keeps the linear-attention state's matrix in (Qwen3.5: float32); another spelling is not read
    mamba_ssm_dtype: MambaSsmDtype | None = None

    @pydantic.field_validator("mamba_ssm_dtype", mode="before")
    @classmethod
    def _known_dtype(cls, value: object) -> object:
        return value if value in get_args(MambaSsmDtype) else None

    # Qwen3-Next and Qwen3.5 gate the attention output with a second half of q_proj (always in Qwen3-Next)
    attn_output_gate: bool | None = None
    # Qwen MoE: one shared expert of this width (instead of a count of shared experts); Granite 4.0-H's
    # `shared_intermediate_size` (its dense models' only MLP, an MoE model's shared expert)
    shared_expert_intermediate_size: int | None = pydantic.Field(
        default=None,
        ge=0,
        le=limits.MAX_INTERMEDIATE_SIZE,
        validation_alias=pydantic.AliasChoices(
            "shared_expert_intermediate_size",
            "shared_intermediate_size",
            "moe_shared_expert_intermediate_size",
        ),
    )
    # Parameter counts, where the file states them
    num_parameters: int | None = pydantic.Field(default=None, gt=0, le=int(limits.MAX_PARAMS_B * 1e9))

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _counts_are_not_booleans(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        """pydantic reads `true` as 1 where a count is asked: `"num_hidden_layers": true` sized a
        one-layer model. A count is a number."""
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and int in (annotation, *get_args(annotation)):
            raise ValueError("must be a number, not true or false")
        return value


MAX_JSON_DEPTH = 20  # a config.json nests three or four levels (text_config, rope_scaling...)
_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_JSON_STRING = re.compile(rb'"[^"]*"')  # escapes removed first: one pass, no backtracking
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def json_too_deep(data: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`, without parsing: brackets outside strings."""
    depth = 0
    for bracket in _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", _JSON_ESCAPE.sub(b"", data))):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def loads_bounded(text: str | bytes, *, what: str) -> Any:
    """JSON from a visitor, parsed only within the size and depth limits; any flaw is a ModelFileError.

    Python's parser recurses once per level (a RecursionError past ~1,000 levels) and refuses integers
    of more than 4,300 digits with a ValueError; both are refused here with a message instead of a 500."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{what} is {len(text):,} bytes; the limit is {MAX_CONFIG_BYTES:,}.")
    data = text.encode("utf-8", errors="surrogatepass") if isinstance(text, str) else text
    if json_too_deep(data, MAX_JSON_DEPTH):
        raise ModelFileError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels; a config.json never does.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ModelFileError(f"{what} is not valid JSON: {str(e)[:200]}.") from None


def _flatten(config: dict) -> dict:
    """Multimodal configs (Llama 4, Gemma 3, Mistral 3) keep the language model under `text_config`."""
    text = config.get("text_config")
    if isinstance(text, dict):
        return {**{k: v for k, v in config.items() if k != "text_config"}, **text}
    return config


def _sliding_layers(c: HfConfig) -> int:
    if c.sliding_window_layers is not None:
        return c.sliding_window_layers
    return sum(1 for t in c.layer_types or () if t == "sliding_attention")


def _window(c: HfConfig) -> tuple[int | None, int]:
    """(sliding_window, layers that keep only the window), as the fixtures builder reads them."""
    layers = c.num_hidden_layers
    if c.layer_types or c.sliding_window_layers is not None:
        n = _sliding_layers(c)
        return (c.sliding_window, n) if n and c.sliding_window else (None, 0)
    if c.attention_chunk_size:
        return c.attention_chunk_size, layers - layers // 4
    if c.use_sliding_window is False or not c.sliding_window:
        return None, 0
    if c.sliding_window_pattern:
        return c.sliding_window, layers - layers // c.sliding_window_pattern
    return c.sliding_window, layers  # Mistral 7B v0.1 style: every layer windowed


def _linear_kind(c: HfConfig, model_type: str) -> LinearAttentionKind:
    """Gated DeltaNet unless the config is a Mamba-2 hybrid's (its model_type, or "mamba" layers)."""
    if c.linear_attention_kind:
        return c.linear_attention_kind
    if model_type in MAMBA2_MODEL_TYPES or "mamba" in (c.layer_types or ()):
        return "mamba2"
    return "gated_delta_net"


def _linear_layers(c: HfConfig) -> int:
    """Linear layers: the canonical count, else `layer_types` ("linear_attention", Mamba-2's "mamba"), else
    the layers `attn_layer_indices` leaves (Bamba), else every layer but one in `full_attention_interval` (4
    unless given) when the config names any of the linear layers' dimensions (Qwen3-Next's config.json has
    no `layer_types`; transformers derives it from the interval). A config that names some but not all of
    the dimensions is then refused by the model's own check, not read as dense."""
    if c.linear_attention_layers is not None:
        return min(c.linear_attention_layers, c.num_hidden_layers)
    if c.layer_types:
        return sum(1 for t in c.layer_types if t in ("linear_attention", "mamba"))
    if c.attn_layer_indices is not None:
        return max(0, c.num_hidden_layers - len(set(c.attn_layer_indices)))
    dims = (
        c.linear_num_key_heads,
        c.linear_num_value_heads,
        c.linear_key_head_dim,
        c.linear_value_head_dim,
        c.linear_conv_kernel_dim,
    )
    if c.linear_attention_kind == "mamba2":
        # Falcon-H1 runs attention and Mamba side by side in each layer, Jamba and Zamba2 lay them out their own
        # way: read as a plain transformer, their Mamba weights and state would be left out without a word
        raise ModelFileError(
            "This config has Mamba layers but no list of which layers they are (layer_types, "
            "attn_layer_indices or hybrid_override_pattern): Granite 4.0-H, Bamba and Nemotron-H are read, "
            "Falcon-H1, Jamba and Zamba2 not yet."
        )
    if any(d is not None for d in dims):
        interval = c.full_attention_interval or 4
        return c.num_hidden_layers - c.num_hidden_layers // interval
    return 0


def _dense_width(c: HfConfig, model_type: str) -> int | None:
    """A dense layer's MLP width: `intermediate_size`, but a dense Granite 4.0-H's `shared_intermediate_size`
    (transformers' GraniteMoeHybrid runs only its shared MLP when there are no experts)."""
    is_moe = bool(c.num_experts and c.num_experts > 1)
    if (
        model_type in ("granitemoehybrid", "granitehybrid")
        and not is_moe
        and c.shared_expert_intermediate_size
    ):
        return c.shared_expert_intermediate_size
    return c.intermediate_size


def _gated_attention(c: HfConfig, model_type: str) -> bool:
    """Whether q_proj also gives the attention output's gate (Qwen3-Next always; Qwen3.5 `attn_output_gate`)."""
    return bool(c.attn_output_gate) if c.attn_output_gate is not None else model_type == "qwen3_next"


def _shared_experts(c: HfConfig) -> int | None:
    """Shared experts as the engine counts them (experts of the routed width): the config's count, else
    Qwen MoE's `shared_expert_intermediate_size` in routed-expert widths."""
    if c.num_shared_experts is not None or not c.shared_expert_intermediate_size:
        return c.num_shared_experts
    width = c.moe_intermediate_size or c.intermediate_size
    return max(1, round(c.shared_expert_intermediate_size / width)) if width else None


def estimate_params(c: HfConfig, model_type: str = "") -> tuple[float, float]:
    """(total, active) parameters in billions from the dimensions: embeddings, attention, gated MLP (or the
    two matrices of GPT-2's, Falcon's, Phi-2's: catalog/config_families.py) or experts, norms. Reproduces the
    dense counts of the reference models to within a few per mille."""
    h, layers = c.hidden_size, c.num_hidden_layers
    heads, kv_heads = c.num_attention_heads, c.num_key_value_heads or c.num_attention_heads
    head_dim = c.head_dim or h // heads
    if c.kv_lora_rank:  # MLA: q (low rank or full), compressed kv, output
        qk = (c.qk_nope_head_dim or 0) + (c.qk_rope_head_dim or 0)
        q = h * c.q_lora_rank + c.q_lora_rank * heads * qk if c.q_lora_rank else h * heads * qk
        kv = h * (c.kv_lora_rank + (c.qk_rope_head_dim or 0)) + c.kv_lora_rank * heads * (
            (c.qk_nope_head_dim or 0) + (c.v_head_dim or head_dim)
        )
        attn = q + kv + heads * (c.v_head_dim or head_dim) * h
    else:
        attn = 2 * h * heads * head_dim + 2 * h * kv_heads * head_dim
        if _gated_attention(c, model_type):
            attn += h * heads * head_dim
    linear = _linear_layers(c)
    mixers = (layers - linear) * attn + linear * linear_attention_params(c, _linear_kind(c, model_type))
    matrices = 2 if config_families.two_matrix_mlp(model_type) else 3  # up and down, or gated: gate, up, down
    dense_mlp = matrices * h * (_dense_width(c, model_type) or 4 * h)
    embeddings = c.vocab_size * h * (1 if c.tie_word_embeddings else 2)
    if config_families.learned_positions(model_type):
        embeddings += (c.max_position_embeddings or 0) * h
    if c.num_experts and c.num_experts > 1:
        width = c.moe_intermediate_size or c.intermediate_size or 4 * h
        expert = 3 * h * width
        moe_layers = layers - c.first_k_dense_replace
        shared = (_shared_experts(c) or 0) * expert
        router = h * c.num_experts
        total_mlp = c.first_k_dense_replace * dense_mlp + moe_layers * (
            c.num_experts * expert + shared + router
        )
        active_mlp = c.first_k_dense_replace * dense_mlp + moe_layers * (
            (c.num_experts_per_tok or 1) * expert + shared + router
        )
    else:
        total_mlp = active_mlp = layers * dense_mlp
    base = embeddings + mixers + layers * 2 * h + h
    return (base + total_mlp) / 1e9, (base + active_mlp) / 1e9


def _validated(text: str | bytes, what: str = "config.json") -> tuple[dict, HfConfig]:
    """config.json text → (its flattened JSON object, the fields the engine needs). Raises ModelFileError,
    its message naming the input as `what` (an uploaded file's name, "The GGUF header")."""
    raw = loads_bounded(text, what=what)
    if not isinstance(raw, dict):
        raise ModelFileError(f"{what} must be a JSON object ({{...}}).")
    raw = _flatten(raw)
    if (refused := config_families.unsupported(raw)) is not None:
        raise ModelFileError(refused)
    raw = config_families.normalized(raw)  # Falcon's, MPT's, ChatGLM's own keys
    try:
        return raw, HfConfig.model_validate(raw)
    except pydantic.ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'config'}: {err['msg'].lower()}" for err in e.errors()
        )
        raise ModelFileError(f"{what} cannot describe a transformer: {problems}.") from None


def canonical_config(text: str | bytes, *, what: str = "config.json") -> str:
    """The smallest config.json that describes the same model: what a permalink carries.

    Only the fields the engine reads, under their transformers names, sorted, without spaces;
    parsing it gives the same model as parsing the original.
    """
    raw, c = _validated(text, what)
    kept = c.model_dump(exclude_none=True, exclude_defaults=True)
    had_layer_types = kept.pop("layer_types", None) is not None
    if had_layer_types:  # a list per layer: only the counts matter
        kept["sliding_window_layers"] = _sliding_layers(c)
    named_layers = had_layer_types or kept.pop("attn_layer_indices", None) is not None
    if named_layers and (linear := _linear_layers(c)):
        kept["linear_attention_layers"] = linear
    model_type = raw.get("model_type") if isinstance(raw.get("model_type"), str) else ""
    if config_families.tied_by_default(
        model_type
    ):  # an untied head said so, not left to the family's default
        kept["tie_word_embeddings"] = c.tie_word_embeddings
    if _linear_layers(c) and _linear_kind(c, model_type) == "mamba2":
        kept["linear_attention_kind"] = "mamba2"
        kept.pop("mamba_expand", None)  # the head dim is kept as derived
    for key in ("model_type", "_name_or_path"):
        if isinstance(raw.get(key), str) and raw[key]:
            kept[key] = raw[key][:200]
    kept |= canonical_quantization(raw)  # the format its checkpoint declares (AWQ, FP8...)
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


def parse_config(text: str | bytes, *, name: str = "", hf_id: str = "", what: str = "config.json") -> dict:
    """config.json text → LlmModel field values. Raises ModelFileError naming what is wrong."""
    raw, c = _validated(text, what)
    window, window_layers = _window(c)
    model_type = str(raw.get("model_type") or "")
    total_b, active_b = estimate_params(c, model_type)
    linear = _linear_layers(c)
    if c.num_parameters:
        total_b = c.num_parameters / 1e9
    is_moe = bool(c.num_experts and c.num_experts > 1)
    label = name or hf_id or (raw.get("_name_or_path") or "") or "My model"
    return {
        "slug": slugify(label.split("/")[-1].replace(".", "-"))[:120] or "my-model",
        "name": label.split("/")[-1] if "/" in label else label,
        "hf_id": hf_id,
        "family": str(raw.get("model_type") or "")[:60],
        "num_hidden_layers": c.num_hidden_layers,
        "hidden_size": c.hidden_size,
        "intermediate_size": _dense_width(c, model_type) if not is_moe else c.intermediate_size,
        "num_attention_heads": c.num_attention_heads,
        "num_key_value_heads": c.num_key_value_heads or c.num_attention_heads,
        "head_dim": c.head_dim,
        "vocab_size": c.vocab_size,
        "tie_word_embeddings": c.tie_word_embeddings,
        "total_params_b": round(total_b, 6),
        "active_params_b": round(active_b, 6) if is_moe else None,
        "max_position_embeddings": c.max_position_embeddings,
        "num_experts": c.num_experts if is_moe else None,
        "num_experts_per_tok": c.num_experts_per_tok if is_moe else None,
        "num_shared_experts": _shared_experts(c) if is_moe else None,
        "moe_intermediate_size": c.moe_intermediate_size if is_moe else None,
        "first_k_dense_replace": min(c.first_k_dense_replace, c.num_hidden_layers) if is_moe else 0,
        "sliding_window": window,
        "sliding_window_layers": window_layers,
        "kv_lora_rank": c.kv_lora_rank,
        "qk_rope_head_dim": c.qk_rope_head_dim,
        "linear_attention_layers": linear,
        **{
            name: getattr(c, name) if linear else None
            for name in (
                "linear_num_key_heads",
                "linear_num_value_heads",
                "linear_key_head_dim",
                "linear_value_head_dim",
                "linear_conv_kernel_dim",
            )
        },
        "linear_attention_kind": _linear_kind(c, model_type) if linear else "",
        "mamba_ssm_dtype": (c.mamba_ssm_dtype or "") if linear else "",
        "native_dtype": (c.torch_dtype or "")[:20],
        "source": "Parsed from config.json"
        + (f" of {hf_id}" if hf_id else "")
        + ("; parameters estimated from the dimensions" if not c.num_parameters else ""),
    }
