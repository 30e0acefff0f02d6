"""A GGUF file's header (its first megabytes; catalog/gguf_header.py reads the bytes) → the same
config.json-like fields as a Hugging Face config, or the canonical config.json text of one."""

import json
from pathlib import Path

from . import config_families
from .config_json import ModelFileError, canonical_config, parse_config
from .gguf_header import read_header

GGUF_MAGIC = b"GGUF"
MAX_UPLOAD_BYTES = 64 * 2**20  # a GGUF header (metadata, vocabulary, tensor table) fits in a few MB
HEADER = "The GGUF header"  # what a message about its sizes names
# config.json field ← the `<architecture>.` metadata key that holds it in a GGUF header
GGUF_KEYS = {
    "num_hidden_layers": "block_count",
    "hidden_size": "embedding_length",
    "intermediate_size": "feed_forward_length",
    "num_attention_heads": "attention.head_count",
    "num_key_value_heads": "attention.head_count_kv",
    "head_dim": "attention.key_length",
    "vocab_size": "vocab_size",
    "max_position_embeddings": "context_length",
    "num_local_experts": "expert_count",
    "num_experts_per_tok": "expert_used_count",
    "n_shared_experts": "expert_shared_count",
    "moe_intermediate_size": "expert_feed_forward_length",
    "sliding_window": "attention.sliding_window",
}
# Gated DeltaNet hybrids (llama.cpp's qwen3next, qwen35, qwen35moe): their state's sizes under llama.cpp's ssm names
# (convert_hf_to_gguf.py's Qwen3NextModel: ssm.conv_kernel = linear_conv_kernel_dim, ssm.state_size =
# linear_key_head_dim, ssm.group_count = linear_num_key_heads, ssm.time_step_rank = linear_num_value_heads,
# ssm.inner_size = linear_value_head_dim × linear_num_value_heads).
DELTA_NET_ARCHITECTURES = ("qwen3next", "qwen35", "qwen35moe")
# Mamba-2 hybrids write the same ssm keys for their mixer (convert_hf_to_gguf.py at 0024aa74, GraniteHybridModel and
# NemotronHModel: ssm.group_count = n_groups, ssm.state_size = d_state, ssm.time_step_rank = heads, ssm.inner_size
# = heads × head dim) and say which layer is which per layer: attention.head_count_kv is 0 except in attention
# layers; in Nemotron-H, whose layers are single blocks, feed_forward_length is 0 except in MLP (or MoE) blocks.
MAMBA2_ARCHITECTURES = ("granitehybrid", "nemotron_h", "nemotron_h_moe")
PER_LAYER_KEYS = ("attention.head_count_kv", "feed_forward_length")
GGUF_DELTA_NET_KEYS = {
    "full_attention_interval": "full_attention_interval",
    "linear_conv_kernel_dim": "ssm.conv_kernel",
    "linear_key_head_dim": "ssm.state_size",
    "linear_num_key_heads": "ssm.group_count",
    "linear_num_value_heads": "ssm.time_step_rank",
}
GGUF_OTHER_KEYS = {"general.architecture", "general.name", "tokenizer.ggml.tokens"}
_GGUF_ARCH_KEYS = set(GGUF_KEYS.values()) | set(GGUF_DELTA_NET_KEYS.values()) | {"ssm.inner_size"}
_GGUF_ARCH_KEYS |= {"expert_shared_feed_forward_length"}


def _gguf_wanted(key: str) -> bool:
    return key in GGUF_OTHER_KEYS or key.partition(".")[2] in _GGUF_ARCH_KEYS


def _gguf_whole(key: str) -> bool:
    return key.partition(".")[2] in PER_LAYER_KEYS


def _mamba2_layers(arch: str, config: dict) -> None:
    """A Mamba-2 hybrid's layer list from its per-layer arrays: Granite's `layer_types`, Nemotron-H's
    `hybrid_override_pattern` (the config reader folds its blocks into layers)."""
    kv, ffn = config["num_key_value_heads"], config["intermediate_size"]
    if not isinstance(kv, tuple):
        return
    if arch == "granitehybrid":
        config["layer_types"] = ["attention" if heads else "mamba" for heads in kv]
        return
    ffn = ffn if isinstance(ffn, tuple) and len(ffn) == len(kv) else (0,) * len(kv)
    block = "E" if arch == "nemotron_h_moe" else "-"
    config["hybrid_override_pattern"] = "".join(
        "*" if heads else block if width else "M" for heads, width in zip(kv, ffn, strict=True)
    )
    if arch == "nemotron_h_moe":
        config["moe_intermediate_size"] = config["moe_intermediate_size"] or max(ffn)


def _gguf_header_config(data: bytes):
    """The first bytes of a GGUF file → (a config.json-like dict, its GgufHeader). Raises ModelFileError."""
    header = read_header(data, keep=_gguf_wanted, whole=_gguf_whole)
    meta = header.metadata
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelFileError("The GGUF header has no general.architecture.")
    if (refused := config_families.unsupported({"model_type": arch})) is not None:
        raise ModelFileError(refused)  # before asking for attention sizes a Mamba or a BERT has none of
    config = {name: meta.get(f"{arch}.{key}") for name, key in GGUF_KEYS.items()}
    required = ("num_hidden_layers", "hidden_size", "num_attention_heads")
    missing = [f"{arch}.{GGUF_KEYS[name]}" for name in required if config[name] is None]
    if missing:
        raise ModelFileError(f"The GGUF header lacks {', '.join(missing)}.")
    config["model_type"] = arch
    if arch in DELTA_NET_ARCHITECTURES:
        config |= {name: meta.get(f"{arch}.{key}") for name, key in GGUF_DELTA_NET_KEYS.items()}
        inner, value_heads = meta.get(f"{arch}.ssm.inner_size"), config["linear_num_value_heads"]
        if isinstance(inner, int) and isinstance(value_heads, int) and value_heads:
            config["linear_value_head_dim"] = inner // value_heads
    if arch in MAMBA2_ARCHITECTURES:
        config |= {name: meta.get(f"{arch}.{key}") for name, key in GGUF_DELTA_NET_KEYS.items()}
        config["shared_intermediate_size"] = meta.get(f"{arch}.expert_shared_feed_forward_length")
        inner, value_heads = meta.get(f"{arch}.ssm.inner_size"), config["linear_num_value_heads"]
        if isinstance(inner, int) and isinstance(value_heads, int) and value_heads:
            config["linear_value_head_dim"] = inner // value_heads
        _mamba2_layers(arch, config)
    for name in ("num_key_value_heads", "intermediate_size"):  # a per-layer array: its widest layer
        if isinstance(config[name], tuple):
            config[name] = max(config[name], default=0) or None
    config["num_key_value_heads"] = config["num_key_value_heads"] or config["num_attention_heads"]
    config["vocab_size"] = config["vocab_size"] or meta.get("tokenizer.ggml.tokens")
    if not config["vocab_size"]:
        raise ModelFileError(
            f"The GGUF header has no tokenizer.ggml.tokens (nor {arch}.vocab_size), so the vocabulary size "
            "is unknown."
        )
    if header.tensor_table_complete:  # else the parameters are estimated from the dimensions
        config["num_parameters"] = header.n_elements or None
        config["tie_word_embeddings"] = header.tensors_read > 0 and not header.has_output_weight
    elif header.has_output_weight:
        config["tie_word_embeddings"] = False
    return config, header


def _read_start(path: str | Path) -> bytes:
    """A file's first MAX_UPLOAD_BYTES, where its GGUF header is."""
    try:
        with open(path, "rb") as f:
            return f.read(MAX_UPLOAD_BYTES)
    except OSError as e:
        raise ModelFileError(f"Not a readable GGUF file: {e}") from None


def gguf_config(path: str | Path) -> tuple[dict, dict, int]:
    """A GGUF file's header → (a config.json-like dict, its metadata, tensor count). No tensor data is read."""
    config, header = _gguf_header_config(_read_start(path))
    return config, header.metadata, header.tensor_count


def from_gguf(path: str | Path, *, name: str = "") -> dict:
    """A GGUF file's header (metadata and tensor shapes; no tensor data is read) → LlmModel fields."""
    config, header = _gguf_header_config(_read_start(path))
    label = name or header.metadata.get("general.name") or Path(path).stem
    fields = parse_config(
        json.dumps({k: v for k, v in config.items() if v is not None}), name=label, what=HEADER
    )
    if header.tensor_table_complete:
        counted = f"{header.tensor_count} tensors, {header.n_elements:,} parameters"
    else:
        counted = (
            f"{header.tensors_read} of {header.tensor_count} tensors (the file is cut off there), "
            "parameters estimated from the dimensions"
        )
    fields["source"] = f"GGUF header of {Path(path).name}: {counted}"
    return fields


def gguf_start_config(
    data: bytes, *, name: str = "", fallback_name: str = "", one_shard_of_several: bool = False
) -> str:
    """A GGUF file's first bytes → canonical config.json text, named `name`, else the header's own
    general.name, else `fallback_name`. The first shard of a split GGUF lists only its own tensors, so
    the parameters of such a model are estimated from the dimensions instead."""
    config, header = _gguf_header_config(data)
    config["_name_or_path"] = name or header.metadata.get("general.name") or fallback_name or "My model"
    if one_shard_of_several:
        config.pop("num_parameters", None)
    return canonical_config(json.dumps({k: v for k, v in config.items() if v is not None}), what=HEADER)
