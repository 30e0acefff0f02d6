"""Vulkan's scalar flash-attention shader on Intel GPUs at decode: bound by its arithmetic on the rows it pads, not by
the cache's bytes (kv_reads.intel_fa_seconds, kv_reads.intel_fa_padded_rows, against ggml-vulkan.cpp's
`get_fa_tuning_params_scalar` and `ggml_vk_flash_attn`)."""

from dataclasses import replace

import pytest

from estimator import kv_reads, prefill, speed

# Qwen3.6-27B Q4_K_M on an Arc Pro B70 (608 GB/s, 183.5 TFLOPS listed, 4x its FP16 vector rate): 16 attention
# layers of 24 query heads over 4 KV heads of 256
QWEN36_27B_ON_B70 = speed.Stage(
    bandwidth_gb_s=608,
    backend="vulkan_intel",
    tflops=183.5,
    layers=64,
    dense_bytes=16.5e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=26.9e9,
    kv_bytes_per_cell=16 * 4 * 256 * 2 * 2,
    attention_flops_per_pair=16 * 4 * 24 * 256,
    matrix_width=4.0,
    fmt="kquant",
    gqa_ratio=6.0,
    head_dim=256,
)


def _kv_seconds(stage: speed.Stage, depth: int) -> float:
    return speed.decode_step_seconds(stage, 1, depth) - speed.decode_step_seconds(stage, 1, 0)


@pytest.mark.parametrize(
    ("gqa_ratio", "head_dim", "rows"),  # rows computed per KV head
    [
        (1, 128, 1),  # MHA (Llama 2 7B): one query head a workgroup
        (8, 64, 8),  # gpt-oss-20b: 8 over the 4-row tile of heads of 64, not packed
        (4, 64, 4),  # packed in a 4-row tile (row_split 1)
        (2, 256, 2),  # a 2-row tile
        (3, 256, 4),  # row_split 1: a 4-row tile
        (4, 256, 4),  # Qwen3.5-9B: row_split 4, a 4-row tile
        (6, 256, 8),  # Qwen3.6-27B: an 8-row tile, 2 rows padded
        (8, 256, 8),  # Qwen3.6-35B-A3B
        (16, 128, 16),  # past the 8-row tile: not packed, one query head a workgroup
    ],
)
def test_the_shader_pads_a_kv_heads_query_heads_to_its_row_tile(gqa_ratio, head_dim, rows):
    assert kv_reads.intel_fa_padded_rows(gqa_ratio, head_dim) * gqa_ratio == pytest.approx(rows)


def test_the_27b_at_16k_cells_is_bound_by_the_shaders_arithmetic():
    depth = 16384
    flops = 16 * 4 * 24 * 256 * depth * 8 / 6
    arithmetic = flops / (183.5e12 / 4 * kv_reads.INTEL_FA_VECTOR_SHARE)
    assert kv_reads.intel_fa_seconds(QWEN36_27B_ON_B70, 1, depth) == pytest.approx(arithmetic)
    # kyuz0's B70 row: 31.3 ms more a token at 16k cells than at tg128, where 1.07 GB of cache take ~2 ms to read
    assert 0.025 < _kv_seconds(QWEN36_27B_ON_B70, depth) < 0.037


@pytest.mark.parametrize("backend", ["vulkan", "sycl", "rocm", "cuda"])
def test_other_backends_read_the_cache_at_their_kv_share(backend):
    stage = replace(QWEN36_27B_ON_B70, backend=backend)
    assert kv_reads.intel_fa_seconds(stage, 1, 16384) == 0.0


def test_without_flash_attention_the_general_kernels_read_it():
    stage = replace(QWEN36_27B_ON_B70, flash_attention=False)
    assert kv_reads.intel_fa_seconds(stage, 1, 16384) == 0.0


def test_each_sequence_of_a_batch_pays_its_own_attention():
    one = kv_reads.intel_fa_seconds(QWEN36_27B_ON_B70, 1, 4096)
    assert kv_reads.intel_fa_seconds(QWEN36_27B_ON_B70, 4, 4096) == pytest.approx(4 * one)


def test_a_prompt_runs_the_shader_at_the_occupancy_its_micro_batch_fills():
    # 32 workgroups of 128 threads at decode hold 4,096 of the 32,768 invocations a B70 keeps resident
    assert prefill.INTEL_FA_PROMPT_OCCUPANCY == 32 * 8 * 8 * 16 / (32 * 128)
    share = kv_reads.INTEL_FA_VECTOR_SHARE * prefill.INTEL_FA_PROMPT_OCCUPANCY
    assert prefill.attention_efficiency(QWEN36_27B_ON_B70) == pytest.approx(share)
    assert prefill.attention_efficiency(replace(QWEN36_27B_ON_B70, backend="sycl")) == pytest.approx(
        prefill.VECTOR_ATTENTION_EFFICIENCY
    )
    # without flash attention a prompt's attention is the general kernels', not the scalar shader's
    assert prefill.attention_efficiency(replace(QWEN36_27B_ON_B70, flash_attention=False)) == pytest.approx(
        prefill.VECTOR_ATTENTION_EFFICIENCY
    )
