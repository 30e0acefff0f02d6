"""fixtures/sources/more_llms.json, the LLMs outside the shared reference: each row reaches the catalog
fixture unchanged, cites the pinned public copy of the config.json it was read from, and its derived
parameter count is what the site's own config.json estimate gives for the stored dimensions."""

import json
import re
from pathlib import Path

import pytest

from catalog.byo import parse_config

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MORE = json.loads((FIXTURES / "sources" / "more_llms.json").read_text(encoding="utf-8"))
LLMS = {
    row["slug"]: row for row in json.loads((FIXTURES / "catalog" / "llms.json").read_text(encoding="utf-8"))
}
# A copy pinned to a commit, or the Hub page of the model itself.
PINNED = re.compile(r"https://(?:github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/|huggingface\.co/)\S+")
DERIVED = "derived from the config dimensions (embeddings + attention + MLP/experts + router + norms"
CONFIG_FIELDS = (
    "num_hidden_layers", "hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads",
    "head_dim", "vocab_size", "tie_word_embeddings", "num_experts", "num_experts_per_tok", "moe_intermediate_size",
)  # fmt: skip


def test_every_extra_llm_reaches_the_catalog_fixture_unchanged():
    assert [row for row in MORE if LLMS.get(row["slug"]) != row] == []


@pytest.mark.parametrize("row", MORE, ids=lambda row: row["slug"])
def test_every_extra_llm_cites_the_pinned_config_it_was_read_from(row):
    assert "config.json" in row["source"]
    assert PINNED.search(row["source"]), row["source"][:160]


@pytest.mark.parametrize(
    "row",
    [row for row in MORE if DERIVED in row["source"] and not row["kv_lora_rank"]],
    ids=lambda row: row["slug"],
)
def test_a_derived_parameter_count_is_the_config_estimate_of_the_stored_dimensions(row):
    config = {field: row[field] for field in CONFIG_FIELDS if row[field] is not None}
    config["n_shared_experts"] = row["num_shared_experts"]
    config["first_k_dense_replace"] = row.get("first_k_dense_replace", 0)
    parsed = parse_config(json.dumps(config))
    assert round(parsed["total_params_b"], 3) == row["total_params_b"]
    assert round(parsed["active_params_b"] or parsed["total_params_b"], 3) == row["active_params_b"]


def test_qwen3_30b_a3b_instruct_2507_is_its_thinking_siblings_architecture_at_262k_tokens():
    """A visitor review: the catalog had the Thinking 2507 of Qwen3 30B-A3B but not its Instruct 2507, the
    non-thinking update of the same architecture with 262,144 tokens native (its model card)."""
    instruct, thinking = LLMS["qwen3-30b-a3b-instruct-2507"], LLMS["qwen3-30b-a3b-thinking-2507"]
    assert instruct["hf_id"] == "Qwen/Qwen3-30B-A3B-Instruct-2507" and instruct["listed"]
    assert {f: instruct[f] for f in CONFIG_FIELDS} == {f: thinking[f] for f in CONFIG_FIELDS}
    assert instruct["max_position_embeddings"] == 262_144
    assert "'Context Length: 262,144 natively'" in instruct["source"]


def test_asking_for_qwen3_30b_a3b_instruct_offers_the_2507(client, catalog):
    errors = client.get("/api/v1/estimate?model=qwen3-30b-a3b-instruct&gpu=geforce-rtx-4090").json()["errors"]
    assert (
        "Did you mean Qwen3 30B-A3B Instruct 2507, written qwen3-30b-a3b-instruct-2507?" in errors["model"][0]
    )
    by_id = client.get("/api/v1/estimate?model=Qwen/Qwen3-30B-A3B-Instruct-2507&gpu=geforce-rtx-4090")
    assert by_id.status_code == 200 and by_id.json()["model"] == "qwen3-30b-a3b-instruct-2507"
