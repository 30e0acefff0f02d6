"""Families whose config.json is not a Llama's (catalog/config_families.py): their own keys, their
two-matrix MLPs and tied heads counted as they are, and the models that do not generate text refused by
name. Configs as the families' Hugging Face repos publish them, cut to the keys that matter."""

import json
from urllib.parse import urlencode

import pytest
from gguf import GGUFWriter

from catalog import byo

# tiiuae/falcon-40b (the reviewer's file): GQA under num_kv_heads, no intermediate_size (FalconConfig: 4 × hidden)
FALCON_40B = {
    "architectures": ["FalconForCausalLM"],
    "model_type": "falcon",
    "hidden_size": 8192,
    "new_decoder_architecture": True,
    "num_attention_heads": 128,
    "num_hidden_layers": 60,
    "num_kv_heads": 8,
    "parallel_attn": True,
    "vocab_size": 65024,
    "torch_dtype": "bfloat16",
}
# tiiuae/falcon-7b: multi-query, the old decoder
FALCON_7B = {
    "model_type": "falcon",
    "hidden_size": 4544,
    "multi_query": True,
    "new_decoder_architecture": False,
    "num_attention_heads": 71,
    "num_hidden_layers": 32,
    "vocab_size": 65024,
}
# falcon-40b before its conversion to transformers' Falcon: the RefinedWeb code's names
FALCON_40B_RW = {
    "architectures": ["RWForCausalLM"],
    "model_type": "RefinedWeb",
    "hidden_size": 8192,
    "n_head": 128,
    "n_head_kv": 8,
    "n_layer": 60,
    "vocab_size": 65024,
}
GPT2 = {
    "architectures": ["GPT2LMHeadModel"],
    "model_type": "gpt2",
    "n_embd": 768,
    "n_head": 12,
    "n_layer": 12,
}
GPT2 |= {"n_positions": 1024, "vocab_size": 50257}
PHI_2 = {
    "architectures": ["PhiForCausalLM"],
    "model_type": "phi",
    "hidden_size": 2560,
    "intermediate_size": 10240,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "vocab_size": 51200,
    "hidden_act": "gelu_new",
}
MPT_7B = {"architectures": ["MPTForCausalLM"], "model_type": "mpt", "d_model": 4096, "n_heads": 32}
MPT_7B |= {"n_layers": 32, "expansion_ratio": 4, "max_seq_len": 2048, "vocab_size": 50432}
# THUDM/glm-4-9b-chat (the reviewer's file)
GLM_4_9B = {
    "architectures": ["ChatGLMModel"],
    "model_type": "chatglm",
    "hidden_size": 4096,
    "ffn_hidden_size": 13696,
    "num_layers": 40,
    "num_attention_heads": 32,
    "multi_query_attention": True,
    "multi_query_group_num": 2,
    "kv_channels": 128,
    "padded_vocab_size": 151552,
    "seq_length": 131072,
}
STARCODER = {"model_type": "gpt_bigcode", "n_embd": 6144, "n_head": 48, "n_layer": 40, "n_positions": 8192}
STARCODER |= {"n_inner": 24576, "vocab_size": 49152, "multi_query": True}


def fields(config: dict) -> dict:
    return byo.parse_config(byo.canonical_config(json.dumps(config)))


@pytest.mark.parametrize(
    ("config", "params_b"),
    [
        # 12 × (4·768² + 2·768·3072 + 2·768) + 768 + 50257·768 (tied) + 1024·768 (positions) = 124.3 M:
        # GPT-2 small's 124 M
        (GPT2, 0.124338),
        # 32 × (4·2560² + 2·2560·10240 + 2·2560) + 2560 + 2 · 51200·2560 = 2.779 B: Phi-2's 2.7 B (2.78 B)
        (PHI_2, 2.778893),
        # 32 × (4·4096² + 2·4096·16384 + 2·4096) + 4096 + 50432·4096 (tied) = 6.649 B: MPT-7B's 6.7 B
        (MPT_7B, 6.649287),
        # 60 × (2·8192² + 2·8192·8·64 + 2·8192·32768 + 2·8192) + 8192 + 2 · 65024·8192 = 41.835 B
        (FALCON_40B, 41.834979),
        (FALCON_40B_RW, 41.834979),
        # 40 × (2·4096·32·128 + 2·4096·2·128 + 3·4096·13696 + 2·4096) + 4096 + 2 · 151552·4096 = 9.40 B
        (GLM_4_9B, 9.399767),
    ],
)
def test_each_familys_parameters_are_counted_as_its_layers_hold_them(config, params_b):
    assert fields(config)["total_params_b"] == pytest.approx(params_b, abs=1e-6)


@pytest.mark.parametrize(
    ("config", "kv_heads"),
    [
        (FALCON_40B, 8),  # num_kv_heads, with the new decoder architecture
        (FALCON_40B_RW, 8),  # n_head_kv: the new architecture, as transformers converts it
        (FALCON_7B, 1),  # multi-query
        (FALCON_7B | {"multi_query": False}, 71),
        (STARCODER, 1),  # GPT-BigCode's multi-query
        (MPT_7B, 32),
        (MPT_7B | {"attn_config": {"attn_type": "grouped_query_attention", "kv_n_heads": 8}}, 8),
        (GLM_4_9B, 2),  # multi_query_group_num
    ],
)
def test_each_familys_kv_heads_are_read_under_its_own_keys(config, kv_heads):
    assert fields(config)["num_key_value_heads"] == kv_heads


def test_mpt_and_chatglm_sizes_are_read_under_their_own_names():
    mpt = fields(MPT_7B)
    assert (mpt["num_hidden_layers"], mpt["hidden_size"], mpt["intermediate_size"]) == (32, 4096, 16384)
    assert mpt["max_position_embeddings"] == 2048 and mpt["tie_word_embeddings"] is True
    glm = fields(GLM_4_9B)
    assert (glm["vocab_size"], glm["head_dim"], glm["num_hidden_layers"]) == (151552, 128, 40)


def test_a_family_is_known_by_its_architecture_when_model_type_is_missing():
    without = {k: v for k, v in GPT2.items() if k != "model_type"}
    assert fields(without)["total_params_b"] == fields(GPT2)["total_params_b"]
    assert fields(without)["family"] == "gpt2"


def test_a_config_that_says_its_head_is_untied_is_read_as_it_says():
    assert fields(GPT2 | {"tie_word_embeddings": False})["total_params_b"] == pytest.approx(
        0.124338 + 50257 * 768 / 1e9, abs=1e-6
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {
                "architectures": ["BertModel"],
                "model_type": "bert",
                "hidden_size": 768,
                "num_attention_heads": 12,
            }
            | {"num_hidden_layers": 12, "intermediate_size": 3072, "vocab_size": 30522},
            "BERT is an encoder; it does not generate text.",
        ),
        (
            {"architectures": ["BertModel"], "hidden_size": 768, "num_attention_heads": 12}
            | {"num_hidden_layers": 12, "vocab_size": 30522},
            "BERT is an encoder; it does not generate text.",
        ),
        (
            {
                "architectures": ["T5ForConditionalGeneration"],
                "model_type": "t5",
                "d_model": 4096,
                "d_ff": 10240,
            }
            | {"num_heads": 64, "num_layers": 24, "vocab_size": 32128},
            "T5 is an encoder-decoder model; this calculator sizes decoder-only models",
        ),
        (
            {"model_type": "my_seq2seq", "is_encoder_decoder": True, "d_model": 1024, "vocab_size": 32000},
            "my_seq2seq is an encoder-decoder model",
        ),
        (
            {"architectures": ["MambaForCausalLM"], "model_type": "mamba", "hidden_size": 2560}
            | {"num_hidden_layers": 64, "vocab_size": 50280, "state_size": 16, "expand": 2},
            "Mamba is a state-space model, without attention layers: not sized here yet.",
        ),
    ],
)
def test_a_model_that_is_not_a_decoder_is_refused_by_its_family_name(config, message):
    with pytest.raises(byo.ModelFileError, match=message.replace("(", r"\(").replace(".", r"\.")):
        byo.canonical_config(json.dumps(config))


def test_the_page_and_the_api_say_what_the_model_is(client, catalog):
    bert = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": 768,
        "num_attention_heads": 12,
    }
    bert |= {"num_hidden_layers": 12, "vocab_size": 30522}
    question = {"gpu": "geforce-rtx-3090", "ctx": "512", "config": json.dumps(bert)}
    page = client.get("/?" + urlencode(question))
    assert "verdict" not in page.context  # no tok/s for a model that generates nothing
    assert "BERT is an encoder; it does not generate text." in " ".join(page.context["form"].errors["config"])
    assert 'id="error-config"' in page.content.decode()
    api = client.get("/api/v1/estimate?" + urlencode(question))
    assert api.status_code == 400
    assert api.json()["errors"]["config"][0].startswith("BERT is an encoder; it does not generate text.")


@pytest.mark.parametrize(
    ("architecture", "said"), [("mamba", "Mamba is a state-space model"), ("bert", "BERT is an encoder")]
)
def test_a_gguf_of_a_family_that_does_not_generate_text_is_refused_by_name(tmp_path, architecture, said):
    """Before asking for the attention sizes a Mamba has none of ("lacks mamba.attention.head_count")."""
    path = tmp_path / f"{architecture}.gguf"
    writer = GGUFWriter(str(path), architecture)
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    with pytest.raises(byo.ModelFileError, match=said):
        byo.upload_to_config(path.read_bytes(), filename=path.name)
