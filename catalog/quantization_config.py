"""The format a quantized checkpoint's config.json says its weights are in: `quantization_config` as
transformers writes it (transformers' utils/quantization_config.py: `QuantizationMethod` names each
method; AwqConfig and GPTQConfig default to 4 bits in groups of 128; BitsAndBytesConfig's 4-bit type
defaults to "fp4"), or mlx-lm's `quantization` (bits, group_size). In the visitor's words, and as the
catalog's format where it has one (fixtures/catalog/quantizations.json). No Django, no network."""

from dataclasses import dataclass

import pydantic

# The catalog's AWQ and GPTQ rows are 4-bit weights in groups of 128 (AutoAWQ's and AutoGPTQ's default)
GROUPED_4BIT = {"awq": "awq-4bit", "gptq": "gptq-4bit"}
CATALOG_GROUP = 128
MLX_GROUP = 64  # mlx-lm's default group: the catalog's MLX rows count its scales and biases per 64 weights
MLX_BITS = (3, 4, 5, 6, 8)
# FP8 weights with their scales: transformers' "fp8" (DeepSeek-V3's blocks of 128×128) and "fbgemm_fp8" (per
# channel, Meta's Llama 3.1 405B FP8), sized as the catalog's FP8 (E4M3) at 8 bits per weight
FP8_METHODS = {"fp8": "FP8", "fbgemm_fp8": "FP8 (FBGEMM)"}
KEYS = ("quantization_config", "quantization")  # transformers', mlx-lm's


@dataclass(frozen=True)
class DeclaredFormat:
    """What a config.json says of its weights: in words ("AWQ 4-bit, groups of 128"), and the catalog's
    format for them ("awq-4bit"), "" where the catalog has none."""

    words: str
    slug: str = ""


class _QuantizationConfig(pydantic.BaseModel):
    """`quantization_config` of a quantized checkpoint's config.json (transformers' names; MLX writes
    `quantization` with bits and group_size only)."""

    model_config = pydantic.ConfigDict(extra="ignore")

    quant_method: str = ""
    bits: int | None = None
    group_size: int | None = None
    load_in_4bit: bool = False
    load_in_8bit: bool = False
    bnb_4bit_quant_type: str = ""
    config_groups: dict[str, dict] | None = None


def _read(config: dict) -> tuple[str, _QuantizationConfig] | None:
    for key in KEYS:
        found = config.get(key)
        if isinstance(found, dict) and found:
            try:
                return key, _QuantizationConfig.model_validate(found)
            except pydantic.ValidationError:
                return None
    return None


def declared_format(config: dict) -> DeclaredFormat | None:
    """The format a checkpoint's own config.json says its weights are in; None for unquantized weights."""
    read = _read(config)
    if read is None:
        return None
    _, q = read
    method = q.quant_method.lower()
    if method in GROUPED_4BIT:
        bits, group = q.bits or 4, q.group_size or CATALOG_GROUP
        words = f"{method.upper()} {bits}-bit, " + (f"groups of {group}" if group > 0 else "no groups")
        return DeclaredFormat(words, GROUPED_4BIT[method] if (bits, group) == (4, CATALOG_GROUP) else "")
    if method in FP8_METHODS:
        return DeclaredFormat(FP8_METHODS[method], "fp8")
    if method == "mxfp4":
        return DeclaredFormat("MXFP4", "mxfp4")
    if method == "bitsandbytes":
        if q.load_in_4bit:
            kind = (q.bnb_4bit_quant_type or "fp4").upper()
            return DeclaredFormat(f"bitsandbytes 4-bit {kind}", "bnb-nf4" if kind == "NF4" else "")
        if q.load_in_8bit:
            return DeclaredFormat("bitsandbytes 8-bit (LLM.int8())", "bnb-int8")
        return DeclaredFormat("bitsandbytes, neither 4- nor 8-bit")
    if method == "compressed-tensors":
        return _compressed_tensors(q.config_groups or {})
    if not method and q.bits is not None:  # mlx-lm
        slug = f"mlx-{q.bits}bit" if q.bits in MLX_BITS and q.group_size == MLX_GROUP else ""
        return DeclaredFormat(f"MLX {q.bits}-bit, groups of {q.group_size}", slug)
    if method:
        return DeclaredFormat(f"quantized with {method[:40]}")
    return None


WEIGHT_KEYS = ("num_bits", "type", "group_size")  # of a compressed-tensors group's `weights`


def _weights(groups: dict[str, dict]) -> set[tuple]:
    """Each group's weight scheme, (bits, type, group size), once."""
    weights = [g.get("weights") for g in groups.values() if isinstance(g, dict)]
    return {tuple(w.get(k) for k in WEIGHT_KEYS) for w in weights if isinstance(w, dict)}


def _compressed_tensors(groups: dict[str, dict]) -> DeclaredFormat:
    """llm-compressor's schemes: FP8 weights (`type` float, 8 bits) are the catalog's FP8; 4-bit integer
    weights in groups of 128 (W4A16) are sized as GPTQ 4-bit g128: 4 + 16/128 bits per weight against
    GPTQ's 4 + 20/128, 0.03 bits per weight (0.7 %) more."""
    kinds = _weights(groups)
    if len(kinds) != 1:
        return DeclaredFormat("compressed-tensors, " + ("several schemes" if kinds else "no weight scheme"))
    bits, kind, group = kinds.pop()
    words = f"compressed-tensors, {bits}-bit {kind} weights" + (f" in groups of {group}" if group else "")
    if (bits, kind) == (8, "float"):
        return DeclaredFormat(words, "fp8")
    if (bits, kind, group) == (4, "int", CATALOG_GROUP):
        return DeclaredFormat(words, "gptq-4bit")
    return DeclaredFormat(words)


def checkpoint_format(config: dict) -> str:
    """The catalog format a checkpoint's own config.json says its weights are in ("awq-4bit"), or "" for
    unquantized weights or a format the catalog does not size."""
    declared = declared_format(config)
    return declared.slug if declared else ""


def canonical_quantization(config: dict) -> dict:
    """The part of `quantization_config` (or mlx-lm's `quantization`) that `declared_format` reads, for a
    canonical config.json: a permalink keeps the format its checkpoint declares."""
    read = _read(config)
    if read is None:
        return {}
    key, q = read
    kept = q.model_dump(exclude_defaults=True, exclude={"config_groups"})
    if q.config_groups:
        kept["config_groups"] = {
            f"group_{i}": {
                "weights": {k: v for k, v in zip(WEIGHT_KEYS, scheme, strict=True) if v is not None}
            }
            for i, scheme in enumerate(sorted(_weights(q.config_groups), key=str))
        }
    return {key: kept} if kept else {}
