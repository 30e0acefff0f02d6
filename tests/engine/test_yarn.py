"""YaRN: a model whose card extends its context with it (Qwen3 8B: 40,960 tokens as released, 32,768 × 4 =
131,072 with YaRN) reads a longer context only where the command turns it on. The spec is the catalog's
own row (fixtures/catalog/llms.json), as bench/ reads it."""

import json
import shlex
from pathlib import Path

import pytest
from command_flags import parse
from engine_specs import Q4_K_M, RTX_4090, llama_8b

from catalog.llm_spec import llm_spec
from estimator import ModelSpec, Workload, estimate
from estimator.commands import launch_commands
from estimator.suggest import longest_context

ROWS = {r["slug"]: r for r in json.loads(Path("fixtures/catalog/llms.json").read_text())}
QWEN3_8B = llm_spec(ROWS["qwen3-8b"])
BF16_ARTIFACTS = {"kind": "safetensors", "repo": "Qwen/Qwen3-8B", "formats": ("bf16",)}


def test_the_catalog_row_gives_qwen3_its_yarn():
    assert (QWEN3_8B.max_position_embeddings, QWEN3_8B.yarn_context, QWEN3_8B.longest_context) == (
        40960,
        131072,
        131072,
    )
    assert "huggingface.co/Qwen/Qwen3-8B" in ROWS["qwen3-8b"]["source"]
    assert llama_8b().longest_context == 131072  # no YaRN: as released


@pytest.mark.parametrize(
    ("context", "factor"),
    [(8192, None), (40960, None), (40961, 1.5), (65536, 2.0), (100000, 3.25), (131072, 4.0)],
)
def test_the_factor_is_the_context_over_the_original_one_and_off_up_to_the_released_context(context, factor):
    assert QWEN3_8B.yarn_factor_for(context) == factor


def test_yarn_needs_its_factor_and_the_context_it_scales():
    with pytest.raises(ValueError, match="yarn_factor and yarn_original_context go together"):
        llama_8b(yarn_factor=4.0)


def test_the_longest_context_runs_past_the_released_one_where_the_runtime_turns_yarn_on():
    # Qwen3 8B Q4_K_M on a 4090 holds ~110,000 tokens of f16 KV cache: past 40,960 under llama.cpp only
    workload = Workload(context_tokens=8192)
    under_llama_cpp = longest_context(QWEN3_8B, Q4_K_M, [RTX_4090], workload)
    under_ollama = longest_context(
        QWEN3_8B, Q4_K_M, [RTX_4090], workload.model_copy(update={"runtime": "ollama"})
    )
    assert under_llama_cpp is not None and 65536 < under_llama_cpp <= 131072
    assert under_ollama == 40960
    said = estimate(model=QWEN3_8B, quant=Q4_K_M, devices=[RTX_4090], workload=workload).suggestions
    reason = next(s.reason for s in said if s.kind == "context")
    assert reason.values["yarn"] == 1 and reason.values["context_tokens"] == under_llama_cpp


def commands_at(context: int, model: ModelSpec = QWEN3_8B, quant=Q4_K_M) -> dict[str, str]:
    workload = Workload(context_tokens=context)
    result = estimate(model=model, quant=quant, devices=[RTX_4090], workload=workload)
    plan = next(p for p in result.plans if p.strategy == "single")
    found = launch_commands(model=model, quant=quant, plan=plan, workload=workload)
    for command in found.values():
        parse(command)  # every flag documented
    return found


def flag_value(command: str, flag: str) -> str:
    words = shlex.split(command.splitlines()[-1])
    return words[words.index(flag) + 1]


def test_llama_server_turns_yarn_on_past_the_released_context_only():
    # Qwen's llama.cpp guide: -c 131072 --rope-scaling yarn --rope-scale 4 --yarn-orig-ctx 32768
    long = commands_at(131072)["llama-server"]
    assert "-c 131072" in long and "--rope-scaling yarn --rope-scale 4 --yarn-orig-ctx 32768" in long
    assert "--rope-scale 2 " in commands_at(65536)["llama-server"]
    assert "--rope-scaling" not in commands_at(40960)["llama-server"]


def test_vllm_and_sglang_get_the_rope_override_as_json():
    from estimator import QuantSpec
    from estimator.schema import ArtifactSpec

    bf16 = QuantSpec(slug="bf16", name="BF16", bits_per_weight=16.0, format="safetensors")
    model = QWEN3_8B.model_copy(update={"artifacts": (ArtifactSpec(**BF16_ARTIFACTS),)})
    found = commands_at(65536, model, bf16)
    vllm = json.loads(flag_value(found["vllm"], "--hf-overrides"))
    assert vllm == {
        "rope_parameters": {
            "rope_type": "yarn",
            "factor": 2.0,
            "original_max_position_embeddings": 32768,
            "rope_theta": 1000000.0,
        }
    }
    assert flag_value(found["vllm"], "--max-model-len") == "65536"
    assert found["sglang"].startswith(
        "SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN=1 python -m sglang.launch_server"
    )
    sglang = json.loads(flag_value(found["sglang"], "--json-model-override-args"))
    assert sglang == {
        "rope_scaling": {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 32768}
    }
    assert "--hf-overrides" not in commands_at(32768, model, bf16)["vllm"]
    assert commands_at(32768, model, bf16)["sglang"].startswith("python -m sglang.launch_server")


def test_ollama_and_lm_studio_get_no_command_past_the_released_context():
    # none of their documented settings turns YaRN on: the form refuses them there (tests/calculator)
    assert {"ollama", "lms"} <= commands_at(40960).keys()
    assert not {"ollama", "lms"} & commands_at(65536).keys()


def test_a_few_tokens_past_the_released_context_are_not_worth_yarn():
    """The longest context suggested crosses into YaRN only where it reaches 1.25 times the released one."""
    from estimator import QuantSpec

    q8 = QuantSpec(slug="q8_0", name="Q8_0", bits_per_weight=8.5008)
    small = RTX_4090.model_copy(update={"memory_bytes": 16 * 1024**3})
    workload = Workload(context_tokens=8192)
    longest = longest_context(QWEN3_8B, q8, [small], workload)
    assert 40960 < longest < 1.25 * 40960  # YaRN would buy a few thousand tokens here
    said = estimate(model=QWEN3_8B, quant=q8, devices=[small], workload=workload).suggestions
    reason = next(s.reason for s in said if s.kind == "context")
    assert reason.values["context_tokens"] == 40960 and "yarn" not in reason.values
