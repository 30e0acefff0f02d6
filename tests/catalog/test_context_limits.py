"""Every catalog LLM has the context its config.json gives (`max_position_embeddings`): a model without one
let the calculator answer any context (a review: DeepSeek-R1-Distill-Llama-70B under SGLang at 300,000
tokens was a "Yes" with --context-length 300000) and let the longest-context suggestion claim a maximum the
catalog did not know. The four that lacked it, with the sources their rows cite."""

import json
from pathlib import Path

import pytest

from catalog.llm_spec import llm_spec

ROWS = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "catalog" / "llms.json").read_text())
BY_SLUG = {row["slug"]: row for row in ROWS}


def test_every_catalog_llm_has_a_context_limit():
    assert [row["slug"] for row in ROWS if not row["max_position_embeddings"]] == []


@pytest.mark.parametrize(
    ("slug", "released", "longest", "under_sglang", "cited"),
    [
        # litgpt's transcription of the config.json: block_size 131072, Llama 3 RoPE (no YaRN)
        ("deepseek-r1-distill-llama-70b", 131072, 131072, 131072, "github.com/Lightning-AI/litgpt/blob/"),
        # Xinference's registry entry for the checkpoint; the base and the 32B sibling agree
        ("deepseek-r1-distill-qwen-14b", 131072, 131072, 131072, "github.com/xorbitsai/inference/blob/"),
        # the repository's transformers config.json beside its params.json
        (
            "devstral-small-2507",
            131072,
            131072,
            131072,
            "mistralai-Devstral-Small-2507/blob/bc3721c07bf4218d98ed05ea1cff91918ef2b17f/config.json",
        ),
        # 40,960 in the Hub's config.json; the card's 131,072 is YaRN's (4 x 32,768), as for Qwen3
        ("qwq-32b", 40960, 131072, 40960, "github.com/QwenLM/QwQ/issues/20"),
    ],
)
def test_the_four_that_lacked_one_now_read_their_config_limit(slug, released, longest, under_sglang, cited):
    row = BY_SLUG[slug]
    spec = llm_spec(row)
    assert (spec.max_position_embeddings, spec.longest_context) == (released, longest)
    assert spec.context_limit("sglang") == under_sglang  # SGLang's command turns no YaRN on
    assert spec.context_limit("vllm") == longest
    assert cited in row["source"]


def test_qwq_takes_the_yarn_its_card_gives():
    qwq = llm_spec(BY_SLUG["qwq-32b"])
    assert (qwq.yarn_factor, qwq.yarn_original_context, qwq.rope_theta) == (4.0, 32768, 1000000.0)
    assert (qwq.yarn_factor_for(40960), qwq.yarn_factor_for(65536)) == (None, 2.0)


@pytest.mark.django_db
def test_the_reviewed_question_past_the_limit_is_refused_with_the_limit_as_its_fix(client, catalog):
    query = "model=deepseek-r1-distill-llama-70b&quant=bf16&gpu=radeon-instinct-mi325x&runtime=sglang"
    found = client.get(f"/api/v1/estimate?{query}&ctx=300000")
    assert found.status_code == 400
    assert "131,072" in " ".join(found.json()["errors"]["ctx"])
    assert client.get(f"/api/v1/estimate?{query}&ctx=131072").status_code == 200
