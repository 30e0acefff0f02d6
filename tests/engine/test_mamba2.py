"""Mamba-2 hybrids (IBM Granite 4.0-H): each layer is a Mamba-2 mixer or attention, then an FFN. The mixer's
recurrent state has Gated DeltaNet's shape under llama.cpp's mapping (key heads = groups, key head dim = state
size, value heads = heads, value head dim = head dim), so the state formula is shared and only the weights
of a layer differ (`memory.mamba2_params`)."""

import pytest
from engine_specs import Q4_K_M, RTX_4090

from estimator import ModelSpec, Workload, estimate, kv_cache, layouts, memory


def granite_4_h_small(**kw) -> ModelSpec:
    # IBM's model card table: 40 layers (4 attention / 36 Mamba2), embedding 4096, 32 heads of 128, 8 KV heads,
    # Mamba2 state 128 and 128 heads (of 64: mamba_expand 2 × 4096 / 128), 72 experts of 768, 10 active,
    # shared expert 1536; tied embeddings of 100352 (fixtures/catalog/llms.json `granite-4-0-h-small`)
    return ModelSpec(
        **{
            "slug": "granite-4-0-h-small",
            "name": "Granite 4.0-H Small",
            "num_hidden_layers": 40,
            "hidden_size": 4096,
            "intermediate_size": 768,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "vocab_size": 100352,
            "tie_word_embeddings": True,
            "total_params_b": 32.207,
            "active_params_b": 8.803,
            "max_position_embeddings": 131072,
            "num_experts": 72,
            "num_experts_per_tok": 10,
            "num_shared_experts": 2,
            "moe_intermediate_size": 768,
            "linear_attention_kind": "mamba2",
            "linear_attention_layers": 36,
            "linear_num_key_heads": 1,
            "linear_key_head_dim": 128,
            "linear_num_value_heads": 128,
            "linear_value_head_dim": 64,
            "linear_conv_kernel_dim": 4,
            **kw,
        }
    )


def test_a_mamba2_layers_state_is_llama_cpps_conv_and_ssm_rows():
    # n_embd_r = (d_conv − 1) × (d_inner + 2 × n_group × d_state) = 3 × (8192 + 256) = 25,344
    # n_embd_s = d_state × d_inner = 128 × 8192 = 1,048,576; both F32 in llama.cpp: 4,295,680 bytes a layer
    assert kv_cache.recurrent_state_parts(granite_4_h_small()) == (25_344, 1_048_576)
    assert kv_cache.recurrent_state_bytes_per_layer(granite_4_h_small(), Workload()) == 4_295_680


def test_vllm_keeps_the_mamba2_state_in_the_models_16_bits():
    # vLLM's mamba2_state_dtype: the conv state in the model's dtype, the SSM state in --mamba-ssm-cache-dtype
    # (auto: the same); the shapes (3, 8448) and (128, 64, 128), mamba_utils.py's own example
    w = Workload(runtime="vllm")
    assert kv_cache.recurrent_state_bytes_per_layer(granite_4_h_small(), w) == (25_344 + 1_048_576) * 2


def test_a_mamba2_mixer_counts_transformers_tensors():
    # in_proj 4096 × (8192 + 8448 + 128), conv1d 8448 × 4 + bias 8448, dt_bias, A_log, D (3 × 128), the gated
    # norm 8192, out_proj 8192 × 4096
    expected = 4096 * 16_768 + 8448 * 5 + 3 * 128 + 8192 + 8192 * 4096
    assert memory.mamba2_params(granite_4_h_small()) == expected == 102_286_976
    assert memory.linear_attention_params(granite_4_h_small(), "mamba2") == expected


def test_the_kind_picks_the_weights_not_the_state():
    gdn = granite_4_h_small(linear_attention_kind="gated_delta_net")
    assert kv_cache.recurrent_state_parts(gdn) == kv_cache.recurrent_state_parts(granite_4_h_small())
    assert memory.mixer_params(gdn) != memory.mixer_params(granite_4_h_small())


def test_the_dimensions_give_granite_4_h_smalls_published_32b():
    # the card's 32B (32.2B on the Hub): embeddings (tied) + 4 attention + 36 Mamba-2 + 40 MoE FFNs + norms
    h, layers = 4096, 40
    attention = 2 * h * 4096 + 2 * h * 1024
    moe = 72 * 3 * h * 768 + 2 * 3 * h * 768 + h * 72
    total = 100_352 * h + 4 * attention + 36 * memory.mamba2_params(granite_4_h_small()) + layers * moe
    assert total / 1e9 == pytest.approx(32.2, rel=0.01)
    # the layer classes the engine scales to the card keep the same total: no rescaling needed
    classes = memory.tensor_classes(granite_4_h_small())
    assert classes.stored_total / 1e9 == pytest.approx(32.207, rel=1e-3)


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="linear_attention_kind"):
        granite_4_h_small(linear_attention_kind="mamba1")


def test_granite_4_h_small_at_q4_k_m_on_a_4090_shows_its_state_and_a_small_kv_cache():
    w = Workload(context_tokens=32_768)
    e = estimate(
        model=granite_4_h_small(), quant=Q4_K_M, devices=[RTX_4090], workload=w, with_suggestions=False
    )
    # 4 attention layers × 8 KV heads × 128 × 2 (K and V) × 2 bytes = 16 KiB a token: 512 MiB at 32K
    assert e.memory.kv_cache_bytes == 4 * 8 * 128 * 2 * 2 * 32_768
    # 36 layers × 4,295,680 bytes for the one sequence: 147 MiB whatever the context
    assert e.memory.recurrent_state_bytes == 36 * 4_295_680
    assert "= 147 MiB per sequence × 1 = 147 MiB" in e.explanations["recurrent_state_bytes"].substituted
    # 32.2B at Q4_K_M is about 19 GB: one 24 GB card holds it with its state and cache
    single = next(p for p in e.plans if p.strategy == "single")
    assert single.fits


def test_vllm_splits_a_mamba2_model_whose_one_group_every_gpu_copies():
    # Granite 4.0-H Small: 32 attention heads, 8 KV heads, 128 Mamba heads in 1 group
    model = granite_4_h_small()
    assert layouts.tensor_parallel_size(model, 4) == 4
    assert layouts.tensor_parallel_size(model.model_copy(update={"linear_num_key_heads": 2}), 4) == 2
