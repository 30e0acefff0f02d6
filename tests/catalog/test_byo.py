import json

import numpy as np
import pytest
from gguf import GGUFWriter

from catalog import byo
from catalog.byo import ModelFileError
from estimator import DeviceSpec, QuantSpec, Workload, estimate
from tests.catalog.fake_hub import fake_hub_fixture, ok  # noqa: F401
from tests.conftest import GIB

# Llama 3.1 8B Instruct config.json (the fields of ../shared/reference/models.json, as on the Hub).
LLAMA_31_8B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}
MIXTRAL_8X7B = {
    "model_type": "mixtral",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
    "vocab_size": 32000,
    "max_position_embeddings": 32768,
    "sliding_window": None,
    "torch_dtype": "bfloat16",
}


def test_llama_config_gives_the_catalog_dimensions_and_parameter_count():
    fields = byo.parse_config(json.dumps(LLAMA_31_8B), hf_id="meta-llama/Llama-3.1-8B-Instruct")
    assert fields["slug"] == "llama-3-1-8b-instruct"
    assert fields["total_params_b"] == pytest.approx(8.03, abs=0.01)  # exact: 8,030,261,248
    assert fields["active_params_b"] is None
    result = estimate(
        model=byo.to_spec(fields),
        quant=QuantSpec(slug="q4_k_m", name="Q4_K_M", bits_per_weight=4.8944),
        devices=[DeviceSpec(slug="rtx-3090", name="RTX 3090", memory_bytes=24 * GIB, bandwidth_gb_s=936.2)],
        workload=Workload(),
    )
    assert result.fits


def test_an_unsaved_llm_model_validates_like_the_admin():
    model = byo.to_llm(byo.parse_config(json.dumps(LLAMA_31_8B), name="My Llama"))
    assert model.pk is None
    assert model.as_spec().total_params_b == pytest.approx(8.03, abs=0.01)


def test_moe_config_counts_every_expert_but_only_the_routed_ones_as_active():
    fields = byo.parse_config(json.dumps(MIXTRAL_8X7B))
    assert fields["num_experts"] == 8
    assert fields["num_experts_per_tok"] == 2
    assert fields["total_params_b"] == pytest.approx(46.7, rel=0.01)  # Mistral: 46.7B total
    assert fields["active_params_b"] == pytest.approx(12.9, rel=0.01)  # 12.9B active


def test_multimodal_config_reads_the_language_model_from_text_config():
    config = {"model_type": "llama4", "text_config": {**LLAMA_31_8B, "attention_chunk_size": 8192}}
    fields = byo.parse_config(json.dumps(config))
    assert fields["hidden_size"] == 4096
    assert (fields["sliding_window"], fields["sliding_window_layers"]) == (8192, 24)


@pytest.mark.parametrize(
    ("extra", "window"),
    [
        ({"sliding_window": 4096, "sliding_window_pattern": 6}, (4096, 27)),  # Gemma 3: 5 of every 6 local
        ({"sliding_window": 128, "layer_types": ["sliding_attention", "full_attention"] * 16}, (128, 16)),
        ({"sliding_window": 32768, "use_sliding_window": False}, (None, 0)),  # Qwen2.5: off
    ],
)
def test_sliding_window_layouts(extra, window):
    fields = byo.parse_config(json.dumps(LLAMA_31_8B | extra))
    assert (fields["sliding_window"], fields["sliding_window_layers"]) == window


# Qwen3-Next-80B-A3B's config.json, the fields the engine reads, as alibaba/InferSim copies it
# (hf_configs/qwen3-next-80B-A3B_config.json at f2293dab; fixtures/catalog/llms.json cites it). No
# `layer_types`: transformers derives them from full_attention_interval; the attention output is always gated
QWEN3_NEXT_80B = {
    "architectures": ["Qwen3NextForCausalLM"], "model_type": "qwen3_next", "decoder_sparse_step": 1,
    "full_attention_interval": 4, "head_dim": 256, "hidden_size": 2048, "intermediate_size": 5120,
    "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16,
    "linear_num_value_heads": 32, "linear_value_head_dim": 128, "max_position_embeddings": 262144,
    "mlp_only_layers": [], "moe_intermediate_size": 512, "num_attention_heads": 16, "num_experts": 512,
    "num_experts_per_tok": 10, "num_hidden_layers": 48, "num_key_value_heads": 2,
    "shared_expert_intermediate_size": 512, "tie_word_embeddings": False,
    "vocab_size": 151936,
}  # fmt: skip
# Qwen3.5-9B's text_config in the shape transformers' Qwen3_5Config reads, with the catalog row's values
# (fixtures/catalog/llms.json names their sources; no readable copy of the config itself): `layer_types`
# spells the pattern out, three linear-attention layers then one full
QWEN35_9B = {
    "architectures": ["Qwen3_5ForConditionalGeneration"], "model_type": "qwen3_5",
    "tie_word_embeddings": False,
    "text_config": {
        "model_type": "qwen3_5_text", "attn_output_gate": True, "full_attention_interval": 4, "head_dim": 256,
        "hidden_size": 4096, "intermediate_size": 12288,
        "layer_types": ["linear_attention", "linear_attention", "linear_attention", "full_attention"] * 8,
        "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16,
        "linear_num_value_heads": 32, "linear_value_head_dim": 128, "num_attention_heads": 16,
        "num_hidden_layers": 32, "num_key_value_heads": 4, "vocab_size": 248320, "tie_word_embeddings": False,
        "mamba_ssm_dtype": "float32",
    },
}  # fmt: skip


def test_qwen3_next_config_keeps_a_kv_cache_on_one_layer_in_four():
    fields = byo.parse_config(json.dumps(QWEN3_NEXT_80B), hf_id="Qwen/Qwen3-Next-80B-A3B-Instruct")
    assert fields["linear_attention_layers"] == 36  # 48 − 48 // 4
    assert (fields["linear_num_key_heads"], fields["linear_num_value_heads"]) == (16, 32)
    assert (fields["linear_key_head_dim"], fields["linear_value_head_dim"]) == (128, 128)
    assert fields["linear_conv_kernel_dim"] == 4
    assert fields["num_shared_experts"] == 1  # shared_expert_intermediate_size 512 = one expert's width
    # 48 × 512 experts × 3 × 2048 × 512 + 36 Gated DeltaNet layers + 12 gated attention layers + the
    # shared expert and router + embeddings and head: 79.67 B ("80B"), 3.87 B active ("A3B")
    assert fields["total_params_b"] == pytest.approx(79.67, abs=0.01)
    assert fields["active_params_b"] == pytest.approx(3.87, abs=0.01)
    spec = byo.to_spec(fields)
    w = Workload(context_tokens=32768)
    # KV on 12 layers: 12 × 2 × 2 × 256 × 2 bytes × 32,768 = 768 MiB (every layer counted said 3 GiB)
    e = estimate(
        model=spec,
        quant=QuantSpec(slug="q4_k_m", name="Q4_K_M", bits_per_weight=4.8944),
        devices=[DeviceSpec(slug="a100", name="A100 80GB", memory_bytes=80 * GIB, bandwidth_gb_s=2039)],
        workload=w,
        with_suggestions=False,
    )
    assert e.memory.kv_cache_bytes == 768 * 2**20
    assert e.memory.recurrent_state_bytes == 36 * 2_195_456


def test_qwen35_config_counts_its_linear_layers_from_layer_types():
    fields = byo.parse_config(json.dumps(QWEN35_9B))
    assert fields["linear_attention_layers"] == 24
    assert fields["sliding_window_layers"] == 0
    assert fields["active_params_b"] is None
    assert fields["total_params_b"] == pytest.approx(9.0, abs=0.5)  # "9B" (without its vision tower)
    assert byo.to_spec(fields).attention_layers == 8
    # the dtype vLLM keeps the state's matrix in; Qwen3-Next's config names none
    assert byo.to_spec(fields).mamba_ssm_dtype == "float32"
    assert byo.to_spec(byo.parse_config(json.dumps(QWEN3_NEXT_80B))).mamba_ssm_dtype is None
    # a spelling vLLM would not take is not read, and does not refuse the config
    odd = {**QWEN35_9B, "text_config": {**QWEN35_9B["text_config"], "mamba_ssm_dtype": "fp32"}}
    assert byo.to_spec(byo.parse_config(json.dumps(odd))).mamba_ssm_dtype is None


@pytest.mark.parametrize("config", [QWEN3_NEXT_80B, QWEN35_9B, "granite", "nemotron"])
def test_a_hybrid_config_survives_its_canonical_form(config):
    if isinstance(config, str):  # defined below
        config = {"granite": GRANITE_4_H_SMALL, "nemotron": NEMOTRON_H_BLOCKS}[config]
    fields = byo.parse_config(json.dumps(config))
    again = byo.parse_config(byo.canonical_config(json.dumps(config)))
    assert {k: v for k, v in again.items() if k != "source"} == {
        k: v for k, v in fields.items() if k != "source"
    }


# Granite 4.0-H Small's config.json in the shape transformers' GraniteMoeHybridConfig reads, with the catalog
# row's values (fixtures/catalog/llms.json names their sources; no verbatim copy was readable): `layer_types`
# "mamba" and "attention", the Mamba-2 mixer's sizes under their own names
GRANITE_4_H_SMALL = {
    "architectures": ["GraniteMoeHybridForCausalLM"], "model_type": "granitemoehybrid", "hidden_size": 4096,
    "num_hidden_layers": 40, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 100352,
    "tie_word_embeddings": True, "max_position_embeddings": 131072, "torch_dtype": "bfloat16",
    "intermediate_size": 768, "shared_intermediate_size": 1536, "num_local_experts": 72, "num_experts_per_tok": 10,
    "mamba_n_heads": 128, "mamba_d_head": 64, "mamba_n_groups": 1, "mamba_d_state": 128, "mamba_d_conv": 4,
    "mamba_expand": 2, "mamba_conv_bias": True, "mamba_proj_bias": False, "position_embedding_type": "nope",
    # attention in layers 5, 15, 25 and 35
    "layer_types": ["mamba"] * 5 + ["attention"] + (["mamba"] * 9 + ["attention"]) * 3 + ["mamba"] * 4,
}  # fmt: skip


def test_granite_4_h_config_reads_its_mamba2_layers_into_the_linear_fields():
    assert (
        GRANITE_4_H_SMALL["layer_types"].count("attention") == 4
        and len(GRANITE_4_H_SMALL["layer_types"]) == 40
    )
    fields = byo.parse_config(json.dumps(GRANITE_4_H_SMALL), hf_id="ibm-granite/granite-4.0-h-small")
    assert fields["linear_attention_kind"] == "mamba2"
    assert fields["linear_attention_layers"] == 36
    # llama.cpp's mapping: groups, state size as the keys; heads and head size as the values
    assert (fields["linear_num_key_heads"], fields["linear_key_head_dim"]) == (1, 128)
    assert (fields["linear_num_value_heads"], fields["linear_value_head_dim"]) == (128, 64)
    assert fields["linear_conv_kernel_dim"] == 4
    # 72 routed experts of 768 (intermediate_size), the shared expert of 1536 = 2 of them
    assert (fields["num_experts"], fields["num_experts_per_tok"], fields["num_shared_experts"]) == (72, 10, 2)
    # the card's "32B total, 9B active": 32.21 B and 8.80 B from the dimensions
    assert fields["total_params_b"] == pytest.approx(32.207, abs=0.001)
    assert fields["active_params_b"] == pytest.approx(8.803, abs=0.001)
    spec = byo.to_spec(fields)
    assert spec.attention_layers == 4 and spec.linear_attention_kind == "mamba2"


def test_a_granite_mamba_head_size_of_auto_is_the_inner_width_over_the_heads():
    # transformers' GraniteMoeHybridConfig: mamba_d_head "auto" is mamba_expand × hidden_size / mamba_n_heads
    fields = byo.parse_config(json.dumps(GRANITE_4_H_SMALL | {"mamba_d_head": "auto"}))
    assert fields["linear_value_head_dim"] == 64


def test_a_granite_config_of_attention_layers_only_is_a_plain_transformer():
    # Granite 4.0 Micro: a granitemoehybrid config with mamba_* sizes but every layer attention
    fields = byo.parse_config(json.dumps(GRANITE_4_H_SMALL | {"layer_types": ["attention"] * 40}))
    assert fields["linear_attention_layers"] == 0 and fields["linear_attention_kind"] == ""
    assert fields["linear_num_value_heads"] is None


def test_a_dense_granite_hybrids_mlp_is_its_shared_mlp():
    # without experts GraniteMoeHybrid runs only shared_mlp, of shared_intermediate_size
    dense = GRANITE_4_H_SMALL | {
        "num_local_experts": 0,
        "num_experts_per_tok": 0,
        "shared_intermediate_size": 8192,
    }
    fields = byo.parse_config(json.dumps(dense))
    assert fields["intermediate_size"] == 8192 and fields["num_experts"] is None


def test_a_bamba_style_config_names_its_attention_layers_by_index():
    config = {k: v for k, v in GRANITE_4_H_SMALL.items() if k != "layer_types"} | {
        "attn_layer_indices": [5, 15, 25, 35]
    }
    fields = byo.parse_config(json.dumps(config))
    assert (fields["linear_attention_layers"], fields["linear_attention_kind"]) == (36, "mamba2")


# Nemotron-H's blocks in the shape transformers' NemotronHConfig reads, with NVIDIA Nemotron Nano 9B v2's sizes as
# third-party copies transcribe them (no verbatim config.json was readable, so no catalog row): 56 blocks, 27
# Mamba-2 (M), 4 attention (*), 25 relu² MLPs (-)
NEMOTRON_H_BLOCKS = {
    "model_type": "nemotron_h", "architectures": ["NemotronHForCausalLM"], "num_hidden_layers": 56,
    "hidden_size": 4480, "intermediate_size": 15680, "num_attention_heads": 40, "num_key_value_heads": 8,
    "head_dim": 128, "vocab_size": 131072, "tie_word_embeddings": False,
    "hybrid_override_pattern": "M-M-M-MM-M-M-M*-M-M-M*-M-M-M-M*-M-M-M-M*-M-MM-M-M-M-M-M-",
    "ssm_state_size": 128, "conv_kernel": 4, "n_groups": 8, "mamba_num_heads": 128, "mamba_head_dim": 80,
}  # fmt: skip


def nemotron_mixer_params(h: int, heads: int, head_dim: int, groups: int, state: int) -> int:
    inner, conv = heads * head_dim, heads * head_dim + 2 * groups * state
    return h * (inner + conv + heads) + conv * 5 + 3 * heads + inner + inner * h


def test_nemotron_h_blocks_become_layers_of_one_mixer_and_a_share_of_the_ffns():
    fields = byo.parse_config(json.dumps(NEMOTRON_H_BLOCKS))
    # one layer per mixer block: 27 Mamba-2 and 4 attention; the 25 MLP blocks spread over the 31 layers
    assert (fields["num_hidden_layers"], fields["linear_attention_layers"]) == (31, 27)
    assert fields["linear_attention_kind"] == "mamba2"
    assert (fields["linear_num_key_heads"], fields["linear_num_value_heads"]) == (8, 128)
    assert (fields["linear_key_head_dim"], fields["linear_value_head_dim"]) == (128, 80)
    # 25 relu² MLPs (up and down, 2 × 4480 × 15680 each) as 31 gated widths: 2 × 15680 × 25 / (3 × 31) = 8430
    assert fields["intermediate_size"] == 8430
    h = 4480
    blocks = (
        2 * 131072 * h  # untied embeddings and head
        + 27 * nemotron_mixer_params(h, 128, 80, 8, 128)
        + 4 * (2 * h * 40 * 128 + 2 * h * 8 * 128)
        + 25 * 2 * h * 15680
    )
    assert fields["total_params_b"] * 1e9 == pytest.approx(blocks, rel=1e-4)  # 8.888 B
    spec = byo.to_spec(fields)
    assert spec.attention_layers == 4  # the KV cache is on the 4 attention blocks only
    # the state of a Mamba-2 block: 3 × (10240 + 2 × 8 × 128) conv values, 128 × 10240 SSM values
    from estimator import kv_cache

    assert kv_cache.recurrent_state_parts(spec) == (3 * 12_288, 128 * 10_240)


def test_nemotron_h_moe_blocks_keep_the_models_total_and_active_weights():
    # a Nemotron-H MoE in the shape NemotronHConfig reads (E blocks of routed experts and a shared one)
    h, experts, width, shared = 1024, 16, 256, 512
    moe = NEMOTRON_H_BLOCKS | {
        "hidden_size": h, "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 1000,
        "hybrid_override_pattern": "MEMEM*EMEME*", "n_routed_experts": experts, "num_experts_per_tok": 4,
        "moe_intermediate_size": width, "moe_shared_expert_intermediate_size": shared, "n_shared_experts": 1,
        "mamba_num_heads": 32, "mamba_head_dim": 64, "n_groups": 2,
    }  # fmt: skip
    fields = byo.parse_config(json.dumps(moe))
    assert (fields["num_hidden_layers"], fields["linear_attention_layers"], fields["num_experts"]) == (
        7,
        5,
        16,
    )
    assert fields["num_shared_experts"] == 2  # the shared expert is two routed experts wide
    fixed = (
        2 * 1000 * h + 5 * nemotron_mixer_params(h, 32, 64, 2, 128) + 2 * (2 * h * 8 * 128 + 2 * h * 2 * 128)
    )
    per_block = 2 * h * shared + h * experts
    total = fixed + 5 * (experts * 2 * h * width + per_block)
    active = fixed + 5 * (4 * 2 * h * width + per_block)
    # the rounding of the spread widths and the router's count (once per layer, not per E block) stay small
    assert fields["total_params_b"] * 1e9 == pytest.approx(total, rel=0.005)
    assert fields["active_params_b"] * 1e9 == pytest.approx(active, rel=0.005)


def test_mamba_sizes_without_a_layer_list_are_refused_not_read_as_a_transformer():
    # Falcon-H1 names mamba_* sizes and runs attention and Mamba side by side in every layer: neither the
    # Qwen3-Next default (one attention layer in four) nor a plain transformer, which would drop its Mamba
    # weights and state without a word
    falcon = LLAMA_31_8B | {
        "model_type": "falcon_h1",
        "mamba_n_heads": 48,
        "mamba_d_head": 64,
        "mamba_d_state": 256,
    }
    with pytest.raises(ModelFileError, match="Mamba layers but no list"):
        byo.parse_config(json.dumps(falcon))


def test_an_unsaved_hybrid_model_validates_like_the_admin():
    model = byo.to_llm(byo.parse_config(json.dumps(QWEN3_NEXT_80B), name="My Qwen3-Next"))
    assert model.as_spec().linear_attention_layers == 36


def test_mla_config_keeps_the_latent_rank():
    deepseek = LLAMA_31_8B | {
        "num_attention_heads": 128, "num_key_value_heads": 128, "kv_lora_rank": 512, "q_lora_rank": 1536,
        "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128, "n_routed_experts": 256,
        "n_shared_experts": 1, "num_experts_per_tok": 8, "moe_intermediate_size": 2048, "first_k_dense_replace": 3,
    }  # fmt: skip
    fields = byo.parse_config(json.dumps(deepseek))
    assert fields["kv_lora_rank"] == 512
    assert fields["num_shared_experts"] == 1
    assert byo.to_spec(fields).is_mla


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (
            json.dumps({k: v for k, v in LLAMA_31_8B.items() if k != "hidden_size"}),
            "hidden_size: field required",
        ),
        (
            json.dumps(LLAMA_31_8B | {"num_hidden_layers": 0}),
            "num_hidden_layers: input should be greater than 0",
        ),
        (json.dumps(LLAMA_31_8B | {"vocab_size": "many"}), "vocab_size: input should be a valid integer"),
        # pydantic read `true` as one layer and sized a one-layer model
        (json.dumps(LLAMA_31_8B | {"num_hidden_layers": True}), "num_hidden_layers: .*not true or false"),
        (
            json.dumps(LLAMA_31_8B | {"num_key_value_heads": False}),
            "num_key_value_heads: .*not true or false",
        ),
        (" " * (byo.MAX_CONFIG_BYTES + 1), "the limit is 1,000,000"),
    ],
)
def test_malformed_config_names_what_is_wrong(text, message):
    with pytest.raises(ModelFileError, match=message):
        byo.parse_config(text)


def test_inconsistent_config_is_refused_by_the_engine_schema():
    fields = byo.parse_config(json.dumps(LLAMA_31_8B | {"num_key_value_heads": 64}))
    with pytest.raises(ModelFileError, match="num_key_value_heads 64 > num_attention_heads 32"):
        byo.to_spec(fields)


def test_a_hybrid_config_missing_a_state_dimension_is_refused_not_read_as_dense():
    # it read as a dense transformer with a KV cache in all 48 layers (3 GiB at 32K instead of 768 MiB)
    config = {k: v for k, v in QWEN3_NEXT_80B.items() if k != "linear_num_value_heads"}
    fields = byo.parse_config(json.dumps(config))
    with pytest.raises(ModelFileError, match="linear_num_value_heads missing"):
        byo.to_spec(fields)


def test_repo_id_fetches_config_json_through_the_hub(fake_hub):
    """The hub cannot be reached here: a local fake serves its recorded answer (tests/catalog/test_hub.py)."""
    fake_hub.routes[fake_hub.config_path("meta-llama/Llama-3.1-8B-Instruct")] = ok(
        json.dumps(LLAMA_31_8B).encode()
    )
    fields = byo.from_hub("meta-llama/Llama-3.1-8B-Instruct")
    assert [path for path, _ in fake_hub.requests] == [
        "/meta-llama/Llama-3.1-8B-Instruct/resolve/main/config.json"
    ]
    assert fields["hf_id"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert fields["num_hidden_layers"] == 32


def test_hub_errors_become_a_clear_message(monkeypatch):
    monkeypatch.setattr("catalog.hub.HUB_URL", "http://unreachable.invalid")
    with pytest.raises(ModelFileError, match="Could not reach the Hugging Face Hub"):
        byo.from_hub("org/model")
    with pytest.raises(ModelFileError, match="not a Hugging Face repo id"):
        byo.from_hub("just-a-name")


# quantization_config as each tool writes it (AutoAWQ, AutoGPTQ, DeepSeek-V3's block FP8, gpt-oss,
# bitsandbytes, llm-compressor's FP8 and W4A16 schemes; mlx-lm writes `quantization`)
COMPRESSED_FP8 = {
    "quant_method": "compressed-tensors",
    "format": "float-quantized",
    "config_groups": {
        "group_0": {
            "targets": ["Linear"],
            "weights": {"num_bits": 8, "type": "float", "strategy": "channel", "symmetric": True},
            "input_activations": {"num_bits": 8, "type": "float", "strategy": "token", "dynamic": True},
        }
    },
}
COMPRESSED_W4A16 = {
    "quant_method": "compressed-tensors",
    "format": "pack-quantized",
    "config_groups": {
        "group_0": {
            "targets": ["Linear"],
            "weights": {
                "num_bits": 4,
                "type": "int",
                "strategy": "group",
                "group_size": 128,
                "symmetric": True,
            },
        }
    },
}


@pytest.mark.parametrize(
    ("config", "slug"),
    [
        (
            {"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm"}},
            "awq-4bit",
        ),
        (
            {
                "quantization_config": {
                    "quant_method": "gptq",
                    "bits": 4,
                    "group_size": 128,
                    "desc_act": False,
                }
            },
            "gptq-4bit",
        ),
        (
            {"quantization_config": {"quant_method": "gptq", "bits": 8, "group_size": 128}},
            "",
        ),  # not in the catalog
        (
            {"quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}},
            "fp8",
        ),
        ({"quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": ["lm_head"]}}, "mxfp4"),
        (
            {
                "quantization_config": {
                    "quant_method": "bitsandbytes",
                    "load_in_4bit": True,
                    "bnb_4bit_quant_type": "nf4",
                }
            },
            "bnb-nf4",
        ),
        ({"quantization_config": {"quant_method": "bitsandbytes", "load_in_8bit": True}}, "bnb-int8"),
        ({"quantization_config": COMPRESSED_FP8}, "fp8"),
        ({"quantization_config": COMPRESSED_W4A16}, "gptq-4bit"),
        ({"quantization": {"group_size": 64, "bits": 4}}, "mlx-4bit"),
        ({"quantization": {"group_size": 32, "bits": 4}}, ""),  # not the catalog's MLX layout
        ({"quantization_config": {"quant_method": None}}, ""),
        ({"torch_dtype": "bfloat16"}, ""),
    ],
)
def test_the_checkpoint_format_comes_from_its_quantization_config(config, slug):
    assert byo.checkpoint_format(LLAMA_31_8B | config) == slug


@pytest.mark.parametrize(
    ("quantization_config", "words", "slug"),
    [
        ({"quant_method": "awq", "bits": 4, "group_size": 128}, "AWQ 4-bit, groups of 128", "awq-4bit"),
        ({"quant_method": "awq", "bits": 4}, "AWQ 4-bit, groups of 128", "awq-4bit"),  # AwqConfig's default
        ({"quant_method": "awq", "bits": 4, "group_size": 64}, "AWQ 4-bit, groups of 64", ""),  # not g128
        ({"quant_method": "gptq", "bits": 4, "group_size": -1}, "GPTQ 4-bit, no groups", ""),
        ({"quant_method": "gptq", "bits": 3, "group_size": 128}, "GPTQ 3-bit, groups of 128", ""),
        ({"quant_method": "fp8", "weight_block_size": [128, 128]}, "FP8", "fp8"),
        ({"quant_method": "fbgemm_fp8"}, "FP8 (FBGEMM)", "fp8"),
        ({"quant_method": "mxfp4"}, "MXFP4", "mxfp4"),
        (
            {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4"},
            "bitsandbytes 4-bit NF4",
            "bnb-nf4",
        ),
        ({"quant_method": "bitsandbytes", "load_in_4bit": True}, "bitsandbytes 4-bit FP4", ""),  # its default
        (
            {"quant_method": "bitsandbytes", "load_in_8bit": True},
            "bitsandbytes 8-bit (LLM.int8())",
            "bnb-int8",
        ),
        (COMPRESSED_FP8, "compressed-tensors, 8-bit float weights", "fp8"),
        (COMPRESSED_W4A16, "compressed-tensors, 4-bit int weights in groups of 128", "gptq-4bit"),
        ({"quant_method": "hqq"}, "quantized with hqq", ""),
    ],
)
def test_the_declared_format_is_said_in_words_with_the_catalog_format_where_there_is_one(
    quantization_config, words, slug
):
    assert byo.declared_format({**LLAMA_31_8B, "quantization_config": quantization_config}) == (
        byo.DeclaredFormat(words, slug)
    )


def test_an_unquantized_config_declares_no_format():
    assert byo.declared_format(LLAMA_31_8B) is None
    assert byo.declared_format({**LLAMA_31_8B, "quantization_config": {}}) is None


@pytest.mark.parametrize(
    "quantization",
    [
        {"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm"}},
        {"quantization_config": COMPRESSED_W4A16},
        {"quantization_config": {"quant_method": "gptq", "bits": 8, "group_size": 128}},
        {"quantization": {"group_size": 64, "bits": 4}},
    ],
)
def test_the_canonical_config_keeps_the_declared_format(quantization):
    """A permalink carries the canonical config.json: the format it declares survives, in fewer bytes."""
    original = {**LLAMA_31_8B, **quantization}
    canonical = byo.canonical_config(json.dumps(original))
    assert byo.declared_format(json.loads(canonical)) == byo.declared_format(original)
    assert byo.canonical_config(canonical) == canonical
    assert '"version"' not in canonical and '"targets"' not in canonical


def test_the_first_shard_of_a_split_gguf_does_not_count_the_parameters(tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    whole = json.loads(byo.gguf_start_config(path.read_bytes(), name="acme/Tiny"))
    shard = json.loads(byo.gguf_start_config(path.read_bytes(), name="acme/Tiny", one_shard_of_several=True))
    assert whole["_name_or_path"] == shard["_name_or_path"] == "acme/Tiny"
    assert whole["num_parameters"] == 2 * 32 * 64 + 64 * 64 and "num_parameters" not in shard


def write_tiny_gguf(path):
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("Tiny Llama")
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_context_length(2048)
    writer.add_vocab_size(32)
    writer.add_tensor("token_embd.weight", np.zeros((32, 64), dtype=np.float32))
    writer.add_tensor("output.weight", np.zeros((32, 64), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((64, 64), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_gguf_header_gives_dimensions_and_the_exact_parameter_count(tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    fields = byo.from_gguf(path)
    assert fields["name"] == "Tiny Llama"
    assert (fields["num_hidden_layers"], fields["hidden_size"], fields["num_key_value_heads"]) == (2, 64, 2)
    assert fields["vocab_size"] == 32
    assert fields["max_position_embeddings"] == 2048
    assert fields["total_params_b"] == pytest.approx((2 * 32 * 64 + 64 * 64) / 1e9, abs=1e-3)
    assert byo.to_spec(fields).num_attention_heads == 4


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"PK\x03\x04 not a gguf file at all" * 4)
    with pytest.raises(ModelFileError, match="Not a readable GGUF file"):
        byo.from_gguf(path)


def test_a_qwen35_gguf_header_keeps_its_kv_cache_on_one_layer_in_four(tmp_path):
    # Qwen3.5 9B's sizes under llama.cpp's qwen35 keys (convert_hf_to_gguf.py: ssm.state_size = key head dim,
    # ssm.group_count = key heads, ssm.time_step_rank = value heads, ssm.inner_size = value heads x value head dim)
    path = tmp_path / "qwen35.gguf"
    writer = GGUFWriter(str(path), "qwen35")
    writer.add_name("Tiny Qwen3.5")
    writer.add_block_count(32)
    writer.add_embedding_length(4096)
    writer.add_feed_forward_length(12288)
    writer.add_head_count(16)
    writer.add_head_count_kv(4)
    writer.add_key_length(256)
    writer.add_context_length(262144)
    writer.add_vocab_size(248320)
    writer.add_uint32("qwen35.full_attention_interval", 4)
    writer.add_uint32("qwen35.ssm.conv_kernel", 4)
    writer.add_uint32("qwen35.ssm.state_size", 128)
    writer.add_uint32("qwen35.ssm.group_count", 16)
    writer.add_uint32("qwen35.ssm.time_step_rank", 32)
    writer.add_uint32("qwen35.ssm.inner_size", 4096)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    spec = byo.to_spec(byo.from_gguf(path))
    assert (spec.linear_attention_layers, spec.attention_layers) == (24, 8)
    assert (spec.linear_num_value_heads, spec.linear_value_head_dim, spec.linear_key_head_dim) == (
        32,
        128,
        128,
    )


def write_header(path, arch: str, meta: dict) -> None:
    writer = GGUFWriter(str(path), arch)
    writer.add_name(f"Tiny {arch}")
    for key, value in meta.items():
        if isinstance(value, list):
            writer.add_array(f"{arch}.{key}", value)
        else:
            writer.add_uint32(f"{arch}.{key}", value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()


def test_a_granite_hybrid_gguf_header_names_its_attention_layers_per_layer(tmp_path):
    # convert_hf_to_gguf.py's GraniteHybridModel: head_count_kv per layer, 0 in the Mamba-2 ones; the ssm keys
    # as Qwen3-Next's (group count, state size, heads as time_step_rank, inner size)
    kv = [8 if i in (5, 15, 25, 35) else 0 for i in range(40)]
    meta = {
        "block_count": 40, "embedding_length": 4096, "feed_forward_length": 768, "attention.head_count": 32,
        "attention.head_count_kv": kv, "context_length": 131072, "vocab_size": 100352, "expert_count": 72,
        "expert_used_count": 10, "expert_shared_feed_forward_length": 1536, "ssm.conv_kernel": 4,
        "ssm.state_size": 128, "ssm.group_count": 1, "ssm.time_step_rank": 128, "ssm.inner_size": 8192,
    }  # fmt: skip
    write_header(tmp_path / "granite.gguf", "granitehybrid", meta)
    fields = byo.from_gguf(tmp_path / "granite.gguf")
    assert (fields["linear_attention_layers"], fields["linear_attention_kind"]) == (36, "mamba2")
    assert (fields["num_key_value_heads"], fields["num_shared_experts"]) == (8, 2)
    assert (fields["linear_num_value_heads"], fields["linear_value_head_dim"]) == (128, 64)
    # the header has no tensor table here: the dimensions give Granite 4.0-H Small's 32.2 B, and an output head
    # (no table, so nothing says it is tied)
    assert fields["total_params_b"] == pytest.approx(32.207 + 100352 * 4096 / 1e9, abs=0.001)


def test_a_nemotron_h_gguf_header_gives_its_blocks_back(tmp_path):
    # NemotronHModel: head_count_kv on the attention blocks, feed_forward_length on the MLP blocks
    pattern = NEMOTRON_H_BLOCKS["hybrid_override_pattern"]
    meta = {
        "block_count": 56, "embedding_length": 4480, "attention.head_count": 40, "attention.key_length": 128,
        "attention.head_count_kv": [8 if b == "*" else 0 for b in pattern],
        "feed_forward_length": [15680 if b == "-" else 0 for b in pattern], "vocab_size": 131072,
        "ssm.conv_kernel": 4, "ssm.state_size": 128, "ssm.group_count": 8, "ssm.time_step_rank": 128,
        "ssm.inner_size": 10240,
    }  # fmt: skip
    write_header(tmp_path / "nemotron.gguf", "nemotron_h", meta)
    fields = byo.from_gguf(tmp_path / "nemotron.gguf")
    from_config = byo.parse_config(json.dumps(NEMOTRON_H_BLOCKS))
    same = ("num_hidden_layers", "linear_attention_layers", "intermediate_size", "linear_value_head_dim")
    assert {k: fields[k] for k in same} == {k: from_config[k] for k in same} == {
        "num_hidden_layers": 31, "linear_attention_layers": 27, "intermediate_size": 8430, "linear_value_head_dim": 80
    }  # fmt: skip
    assert fields["total_params_b"] == pytest.approx(from_config["total_params_b"], rel=1e-6)
