"""The engine's model from an LLM's catalog fields: one definition of what the engine takes of a catalog row,
read alike from the database (`LlmModel.as_spec`) and from the fixture (bench/ and the engine's tests, which run
without Django). Imports the engine only."""

from collections.abc import Iterable, Mapping
from typing import Any

from estimator import ModelSpec
from estimator.quant_mix import native_expert_bits
from estimator.schema import ArtifactSpec

# ModelSpec's field names, read once: pydantic's `model_fields` is a property built on each access, and a row's
# ~45 fields asked it ~45 times per spec (~15 µs of its ~35)
SPEC_FIELDS = frozenset(ModelSpec.model_fields)


def llm_spec(fields: Mapping[str, Any], *, artifacts: Iterable[ArtifactSpec] = ()) -> ModelSpec:
    """`fields`: a catalog LLM's fields by name (a fixture row, or a row's attributes). ModelSpec's own
    fields are taken as they are, an empty one left to the engine's default; a mixture of experts also gets
    the routed experts' released width that its `native_dtype` names first ("mxfp4+bfloat16": gpt-oss's
    MXFP4 experts, 4.25 bits) and its leading dense layers (`first_k_dense_replace`, DeepSeek's 3), which a
    dense model has none of; `artifacts`, its published weights, go into the launch commands."""
    moe = bool(fields.get("num_experts") and fields["num_experts"] > 1)
    taken = {k: v for k, v in fields.items() if k in SPEC_FIELDS and v is not None}
    taken |= {
        "hf_id": fields.get("hf_id") or None,
        "artifacts": tuple(artifacts),
        "native_expert_bits_per_weight": native_expert_bits(fields.get("native_dtype") or "")
        if moe
        else None,
        "first_k_dense_replace": (fields.get("first_k_dense_replace") or 0) if moe else 0,
    }
    return ModelSpec(**taken)
