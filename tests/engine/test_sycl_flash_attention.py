"""SYCL's decode flash attention: the tile kernel for a GQA model, bound by its arithmetic per launched work-item
(kv_reads.sycl_tile_seconds, against ggml-sycl's `ggml_sycl_get_best_fattn_kernel`, `launch_fattn_tile_switch_ncols2`
and `launch_fattn`), and the vector kernel's reads at a share of the spec rate (kv_reads.own_kv_rate)."""

from dataclasses import replace

import pytest

from estimator import kv_reads, speed

# Qwen3-4B Q4_K_M on an Arc Pro B70 (608 GB/s, 183.5 TFLOPS listed, 4x its FP16 vector rate): 36 layers of 32 query
# heads over 8 KV heads of 128
QWEN3_4B_ON_B70 = speed.Stage(
    bandwidth_gb_s=608,
    backend="sycl",
    tflops=183.5,
    layers=36,
    dense_bytes=2.5e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=4.0e9,
    kv_bytes_per_cell=36 * 8 * 128 * 2 * 2,
    attention_flops_per_pair=36 * 4 * 32 * 128,
    matrix_width=4.0,
    fmt="kquant",
    gqa_ratio=4.0,
    head_dim=128,
    kv_heads=8,
)


@pytest.mark.parametrize(
    ("gqa_ratio", "head_dim", "ncols2", "cols"),
    [
        (4, 128, 4, 4),  # Qwen3-4B, Qwen3.5-9B: 4 query heads a workgroup
        (8, 256, 8, 8),  # Qwen3.6-35B-A3B
        (6, 256, 2, 2),  # Qwen3.6-27B: pairs, 3 workgroups per KV head
        (5, 128, 1, 2),  # an odd ratio: one query head, its column padded to 2
        (16, 512, 16, 32),  # heads of 512 pack 16, a decode step pads them to 32
    ],
)
def test_the_tile_kernel_packs_a_kv_heads_query_heads(gqa_ratio, head_dim, ncols2, cols):
    assert kv_reads.sycl_tile_columns(gqa_ratio, head_dim) == (ncols2, cols)


@pytest.mark.parametrize(
    ("tiles", "cells", "blocks"),
    [
        (8, 16384, 8),  # 8 KV heads: one wave of 64 workgroups
        (2, 16384, 32),  # 2 KV heads
        (12, 16384, 16),  # Qwen3.6-27B: 12 tiles, three waves
        (8, 256, 4),  # a near-empty cache: 4 blocks of one 64-cell tile each
    ],
)
def test_parallel_blocks_fill_whole_waves(tiles, cells, blocks):
    assert kv_reads.sycl_tile_parallel_blocks(tiles, cells) == blocks


def test_qwen3_4b_at_32k_cells_is_bound_by_the_kernels_arithmetic():
    depth = 32768
    items = 8 * 8 * 128  # 8 tiles x 8 blocks x 128 threads
    flops = 36 * 4 * 32 * 128 * (depth - 8 * 64)
    assert kv_reads.sycl_tile_seconds(QWEN3_4B_ON_B70, 1, depth) == pytest.approx(
        flops / (items * kv_reads.SYCL_TILE_ITEM_FLOPS)
    )
    # bosd's B70 row: tg64 @ d32768 at 31.1 tok/s against 116.4 at tg64, 23.6 ms more a token
    extra = speed.decode_step_seconds(QWEN3_4B_ON_B70, 1, depth) - speed.decode_step_seconds(
        QWEN3_4B_ON_B70, 1, 32
    )
    assert 0.018 < extra < 0.035  # at the fitted 0.0760 GFLOP/s a work-item (these rows alone say 0.100)


@pytest.mark.parametrize(
    "change",
    [
        {"gqa_ratio": 1.0, "kv_heads": 32},  # MHA: the vector kernel
        {"kv_quantized": True},  # a quantized cache: the vector kernel
        {"flash_attention": False},
        {"backend": "cuda"},
        {"backend": "vulkan_intel"},
    ],
)
def test_the_tile_kernel_runs_only_where_sycl_chooses_it(change):
    assert kv_reads.sycl_tile_seconds(replace(QWEN3_4B_ON_B70, **change), 1, 16384) == 0.0


def test_a_near_empty_cache_adds_nothing_to_the_layers_fixed_time():
    assert kv_reads.sycl_tile_seconds(QWEN3_4B_ON_B70, 1, 64) == 0.0


def test_sycls_vector_kernel_reads_the_cache_at_its_own_share_of_the_spec_rate():
    # Llama 2 7B on the B70: the vector kernel, the cache at KV_EFFICIENCY of 608 GB/s, not of the weights' 455
    mha = replace(QWEN3_4B_ON_B70, gqa_ratio=1.0, kv_heads=32, kv_bytes_per_cell=32 * 32 * 128 * 2 * 2)
    parts = speed.decode_step_parts(mha, 1, 16384)
    rate = mha.kv_read_bytes(16384) / parts.kv_s
    assert rate == pytest.approx(608e9 * kv_reads.KV_EFFICIENCY["sycl"])
    assert kv_reads.own_kv_rate(mha)
    assert not kv_reads.own_kv_rate(replace(mha, backend="vulkan_intel"))
    assert not kv_reads.own_kv_rate(replace(mha, flash_attention=False))


def test_each_sequence_of_a_batch_pays_its_own_tiles():
    one = kv_reads.sycl_tile_seconds(QWEN3_4B_ON_B70, 1, 8192)
    assert kv_reads.sycl_tile_seconds(QWEN3_4B_ON_B70, 4, 8192) == pytest.approx(4 * one)
