"""Hybrid models whose layers are not all attention (Qwen3-Next, Qwen3.5): the linear-attention (Gated
DeltaNet) layers keep a recurrent state of fixed size per sequence instead of a KV cache. The state's size
is llama.cpp's (`kv_cache.recurrent_state_values_per_layer`): n_embd_r + n_embd_s values in F32."""

import dataclasses

import pytest
from engine_specs import A100_80, Q4_K_M, RTX_4090, make_gpu

from estimator import ModelSpec, Workload, estimate, fixed_costs, kv_cache, layouts, memory, prefill, speed
from estimator.device_memory import Placement, usage_and_stage
from estimator.units import MIB


def qwen3_next_80b(**kw) -> ModelSpec:
    # https://huggingface.co/Qwen/Qwen3-Next-80B-A3B-Instruct/blob/main/config.json: 48 layers, one full
    # attention layer in 4 (full_attention_interval 4), 16 key / 32 value heads of 128 in the linear layers
    return ModelSpec(
        **{
            "slug": "qwen3-next-80b-a3b-instruct",
            "name": "Qwen3-Next 80B-A3B Instruct",
            "num_hidden_layers": 48,
            "hidden_size": 2048,
            "intermediate_size": 5120,
            "num_attention_heads": 16,
            "num_key_value_heads": 2,
            "head_dim": 256,
            "vocab_size": 151936,
            "total_params_b": 79.674,
            "active_params_b": 3.875,
            "max_position_embeddings": 262144,
            "num_experts": 512,
            "num_experts_per_tok": 10,
            "num_shared_experts": 1,
            "moe_intermediate_size": 512,
            "linear_attention_layers": 36,
            "linear_num_key_heads": 16,
            "linear_num_value_heads": 32,
            "linear_key_head_dim": 128,
            "linear_value_head_dim": 128,
            "linear_conv_kernel_dim": 4,
            **kw,
        }
    )


def test_the_full_attention_layer_is_the_last_of_each_group_of_four():
    # Qwen3-Next's layer_types: linear, linear, linear, full, ... ((i + 1) % 4 == 0 is full attention)
    mask = kv_cache.linear_layers(qwen3_next_80b())
    assert [i for i, linear in enumerate(mask) if not linear] == list(range(3, 48, 4))


def test_the_state_of_one_layer_is_llama_cpps_r_and_s_rows_in_f32():
    # n_embd_r = (4 − 1) × (32 × 128 + 2 × 16 × 128) = 3 × 8192 = 24,576
    # n_embd_s = 128 × (32 × 128) = 524,288; (24,576 + 524,288) × 4 bytes = 2,195,456 bytes (2.09 MiB)
    assert kv_cache.recurrent_state_values_per_layer(qwen3_next_80b()) == 548_864
    assert kv_cache.recurrent_state_bytes_per_layer(qwen3_next_80b(), Workload()) == 2_195_456


@pytest.mark.parametrize(
    ("runtime", "cache_dtype", "named", "conv_bytes", "matrix_bytes"),
    [
        # vLLM's `gated_delta_net_state_dtype`: the conv inputs in the model's 16 bits, the matrix in config.json's
        # mamba_ssm_dtype or `--mamba-ssm-cache-dtype` (auto: the model's)
        ("vllm", "auto", None, 2, 2),  # Qwen3-Next: half llama.cpp's 2,195,456 bytes
        ("vllm", "auto", "float32", 2, 4),  # Qwen3.5
        ("vllm", "float32", None, 2, 4),  # SGLang, priced as vLLM: float32 unless the config says otherwise
        ("vllm", "float32", "bfloat16", 2, 2),
        ("mlx", "auto", None, 2, 4),  # mlx-lm: conv state in the activations' dtype, the matrix in float32
        ("llama.cpp", "auto", "bfloat16", 4, 4),  # llama.cpp and Ollama: F32 whatever the config says
        ("ollama", "auto", None, 4, 4),
    ],
)
def test_each_runtime_keeps_the_state_in_its_own_dtypes(
    runtime, cache_dtype, named, conv_bytes, matrix_bytes
):
    model = qwen3_next_80b(mamba_ssm_dtype=named)
    w = Workload(runtime=runtime, mamba_ssm_cache_dtype=cache_dtype)
    # 24,576 conv values and 524,288 matrix values a layer
    assert kv_cache.recurrent_state_bytes_per_layer(model, w) == 24_576 * conv_bytes + 524_288 * matrix_bytes


def test_only_the_attention_layers_keep_a_kv_cache():
    model = qwen3_next_80b()
    w = Workload(context_tokens=32768)
    # 12 layers × 2 (K, V) × 2 KV heads × 256 × 2 bytes × 32,768 cells = 768 MiB, not 48 layers' 3 GiB
    assert kv_cache.kv_cache_bytes(
        model, context_tokens=32768, batch=1, kv_bytes_per_element=2.0, workload=w
    ) == (768 * MIB)
    assert kv_cache.kv_bytes_per_token(model, 2.0) == 12 * 2 * 2 * 256 * 2


@pytest.mark.parametrize("batch", [1, 4])
def test_the_state_is_per_sequence_and_does_not_grow_with_the_context(batch):
    model = qwen3_next_80b()
    short = kv_cache.recurrent_state_bytes(model, Workload(context_tokens=4096, batch=batch))
    long = kv_cache.recurrent_state_bytes(model, Workload(context_tokens=131072, batch=batch))
    assert short == long == 36 * 2_195_456 * batch


def test_vllm_reserves_one_sequences_state_as_it_does_one_sequences_context():
    model = qwen3_next_80b()  # vLLM keeps Qwen3-Next's state in 16 bits: 548,864 values × 2 bytes a layer
    assert kv_cache.recurrent_state_bytes(model, Workload(batch=8, runtime="vllm")) == 36 * 548_864 * 2


def test_a_model_without_linear_layers_has_no_state():
    model = qwen3_next_80b(
        linear_attention_layers=0,
        linear_num_key_heads=None,
        linear_num_value_heads=None,
        linear_key_head_dim=None,
        linear_value_head_dim=None,
        linear_conv_kernel_dim=None,
    )
    assert kv_cache.recurrent_state_bytes(model, Workload()) == 0
    assert not any(kv_cache.linear_layers(model))


def test_the_estimate_counts_the_state_in_memory_and_explains_it():
    model = qwen3_next_80b()
    w = Workload(context_tokens=8192, batch=2)
    e = estimate(model=model, quant=Q4_K_M, devices=[A100_80], workload=w, with_suggestions=False)
    assert e.memory.recurrent_state_bytes == 36 * 2_195_456 * 2
    assert e.memory.total_bytes == (
        e.memory.weights_bytes
        + e.memory.kv_cache_bytes
        + e.memory.recurrent_state_bytes
        + e.memory.compute_bytes
        + e.memory.overhead_bytes
    )
    single = next(p for p in e.plans if p.strategy == "single")
    assert single.devices[0].recurrent_state_bytes == e.memory.recurrent_state_bytes
    assert "= 75 MiB per sequence × 2 = 151 MiB" in e.explanations["recurrent_state_bytes"].substituted
    assert e.explanations["kv_cache_bytes"].substituted.startswith("2 × 12 × 2 × 256")


@pytest.mark.parametrize("count", [3, 5, 7])
def test_a_layer_split_holds_each_attention_layers_cache_once(count):
    """A review: devices holding as many layers were priced alike whatever their attention layers, so on five
    GPUs (10, 9, 10, 10, 9 layers) the fourth took the third's three attention layers for its two."""
    model = qwen3_next_80b()
    w = Workload(context_tokens=32768)
    e = estimate(model=model, quant=Q4_K_M, devices=[RTX_4090] * count, workload=w, with_suggestions=False)
    split = next(p for p in e.plans if p.strategy == "layer_split")
    assert sum(d.kv_cache_bytes for d in split.devices) == e.memory.kv_cache_bytes
    assert sum(d.recurrent_state_bytes for d in split.devices) == e.memory.recurrent_state_bytes


def test_models_without_linear_layers_get_no_state_explanation():
    from engine_specs import llama_8b

    e = estimate(
        model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload(), with_suggestions=False
    )
    assert e.memory.recurrent_state_bytes == 0
    assert "recurrent_state_bytes" not in e.explanations


def test_decode_reads_the_state_and_writes_it_back_once_per_step_whatever_the_depth():
    model = qwen3_next_80b()
    w = Workload(context_tokens=8192)
    _, stage = usage_and_stage(
        model=model,
        quant=Q4_K_M,
        workload=w,
        p=Placement(device=A100_80, layers=range(48), holds_output=True),
    )
    state = 36 * 2_195_456
    assert stage.state_bytes == state
    per_cell = 12 * 2 * 2 * 256 * 2.0
    assert stage.kv_bytes_per_cell == per_cell
    assert stage.linear_layers == 36
    assert stage.kv_read_bytes(0) == 2 * state  # read, then the updated state written back
    assert stage.kv_read_bytes(4096) == pytest.approx(2 * state + 4096 * per_cell)


def test_linear_layer_parameters_count_in_the_mixer():
    # one Gated DeltaNet layer: 2048 × (2 × 2048 + 2 × 4096) + 2048 × 64 + 8192 × 4 + 64 + 128 + 4096 × 2048
    # = 25,165,824 + 131,072 + 32,768 + 192 + 8,388,608
    assert memory.linear_attention_params(qwen3_next_80b()) == 33_718_464


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"linear_attention_layers": 49}, "More linear-attention layers than layers"),
        ({"linear_key_head_dim": None}, "linear_key_head_dim missing"),
        ({"linear_num_value_heads": 24}, "whole number of value heads"),
        ({"sliding_window": 4096, "sliding_window_layers": 24}, "not supported"),
    ],
)
def test_inconsistent_linear_layers_are_refused(overrides, words):
    with pytest.raises(ValueError, match=words):
        qwen3_next_80b(**overrides)


def test_vllm_takes_each_requests_state_from_its_pool_of_kv_blocks():
    # a block: 16 tokens × 12 attention layers × 2 KiB = 384 KiB; the state in 16 bits, 36 × 1,097,728 bytes =
    # 39,518,208 bytes, fills 101 of them (100.5); a 32,768-token request: 2,048 blocks + 101
    model = qwen3_next_80b()
    w = Workload(context_tokens=32768, runtime="vllm")
    assert kv_cache.vllm_state_blocks(model, w) == 101
    assert kv_cache.vllm_request_blocks(model, w) == 2048 + 101
    e = estimate(model=model, quant=Q4_K_M, devices=[A100_80], workload=w, with_suggestions=False)
    single = next(p for p in e.plans if p.strategy == "single")
    assert single.fits == (single.max_concurrency >= 1)


def test_a_prompts_delta_rule_runs_in_64_token_chunks_on_llama_cpp_only():
    stage = speed.Stage(
        bandwidth_gb_s=1008, backend="cuda", tflops=165.0, layers=64, dense_bytes=16e9, routed_bytes=0.0,
        experts=0, experts_per_tok=0, active_params=27e9, linear_layers=48,
    )  # fmt: skip
    round_ = prefill.DELTA_CHUNK_LAYERS * fixed_costs.LAYER_SECONDS["cuda"]
    # a 512-token micro-batch: 8 chunks in each of the 48 linear layers; 100 tokens: 2 chunks
    assert prefill.delta_chunk_seconds(stage, 512) == pytest.approx(48 * 8 * round_)
    assert prefill.delta_chunk_seconds(stage, 100) == pytest.approx(48 * 2 * round_)
    assert prefill.delta_chunk_seconds(dataclasses.replace(stage, linear_layers=0), 512) == 0.0
    assert prefill.delta_chunk_seconds(dataclasses.replace(stage, backend="mlx"), 512) == 0.0


def test_tensor_parallel_divides_the_linear_attention_heads_too():
    # vLLM's Gated DeltaNet layer splits its key and value heads with divide(): 16 attention heads and 2 KV
    # heads allow 16 ranks, 12 linear key heads only 4 (12 % 16, 12 % 8 != 0)
    assert layouts.tensor_parallel_size(qwen3_next_80b(), 16) == 16
    narrow = qwen3_next_80b(linear_num_key_heads=12, linear_num_value_heads=24)
    assert layouts.tensor_parallel_size(narrow, 16) == 4


def test_a_vllm_stage_of_linear_layers_only_does_not_empty_the_pool():
    # 16 small cards in a pipeline: the first holds three linear layers and no KV cache; the pool is the
    # smallest of the stages that keep one, not that stage's zero blocks
    small = [make_gpu(slug=f"g{i}", name="8 GB", memory_bytes=8 * 2**30) for i in range(16)]
    w = Workload(context_tokens=4096, runtime="vllm")
    e = estimate(model=qwen3_next_80b(), quant=Q4_K_M, devices=small, workload=w, with_suggestions=False)
    for plan in e.plans:
        if plan.fits and plan.max_concurrency is not None:
            assert plan.max_concurrency >= 1, plan.strategy
