"""Which KV cells a llama.cpp decode step reads: ROCm's flash attention once per query head before PR 16492
(kv_reads.kv_head_reads, and which bench rows ran it: bench/speed_resolve.py), Vulkan's coopmat1 shader V once per row
group before PR 19075 (kv_reads.COOPMAT1_KV_READS), and a sliding-window layer's cache cells
(kv_reads.window_cells_read)."""

from dataclasses import replace

import pytest
from engine_specs import make_gpu

from estimator import kv_reads, speed

# Qwen3-30B-A3B Q4_K_M on a Strix Halo (256 GB/s): 48 layers, 4 KV heads × 128 × 2 × 2 bytes a layer
QWEN3_30B_ON_STRIX_HALO = speed.Stage(
    bandwidth_gb_s=256,
    backend="rocm",
    tflops=59.4,
    layers=48,
    dense_bytes=1.9e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=3.3e9,
    kv_bytes_per_cell=48 * 4 * 128 * 2 * 2,
)


def _kv_seconds(stage: speed.Stage, depth: int) -> float:
    return speed.decode_step_seconds(stage, 1, depth) - speed.decode_step_seconds(stage, 1, 0)


def test_per_query_head_reads_multiply_the_kv_time_by_the_gqa_ratio():
    once = _kv_seconds(QWEN3_30B_ON_STRIX_HALO, 2048)
    per_head = _kv_seconds(replace(QWEN3_30B_ON_STRIX_HALO, kv_head_reads=8.0), 2048)
    assert per_head == pytest.approx(8 * once)


def test_per_query_head_reads_are_flash_attentions_only():
    general = replace(QWEN3_30B_ON_STRIX_HALO, flash_attention=False)
    assert _kv_seconds(replace(general, kv_head_reads=8.0), 2048) == pytest.approx(_kv_seconds(general, 2048))


def test_the_engine_answers_for_todays_kernels():
    assert QWEN3_30B_ON_STRIX_HALO.kv_head_reads == 1.0


@pytest.mark.parametrize(
    ("backend", "date", "per_head"),
    [
        ("rocm", "2025-07-17", True),  # lhl's Strix Halo, fa 1
        ("rocm", "2025-10-10", True),
        ("rocm", "2025-10-11", False),  # PR 16492
        ("rocm", "2025-12-17", False),  # kyuz0's R9700
        ("rocm", None, False),  # undated PR tables: today's kernel
        ("vulkan", "2025-07-17", False),  # Vulkan's scalar shader groups a KV head's query heads
        ("cuda", "2025-07-17", False),
    ],
)
def test_rocm_rows_before_pr_16492_read_per_query_head(backend, date, per_head, speed_resolve):
    assert speed_resolve.per_query_head_dated(backend, date) is per_head


def test_coopmat1_reads_k_once_and_v_once_per_row_group():
    # K staged in shared memory once, V looped over by each of the 4 row groups: (1 + 4) / 2 reads of the cache
    assert kv_reads.COOPMAT1_KV_READS == 2.5
    once = _kv_seconds(replace(QWEN3_30B_ON_STRIX_HALO, backend="vulkan"), 2048)
    coopmat1 = replace(QWEN3_30B_ON_STRIX_HALO, backend="vulkan", kv_head_reads=kv_reads.COOPMAT1_KV_READS)
    assert _kv_seconds(coopmat1, 2048) == pytest.approx(2.5 * once)


@pytest.mark.parametrize(
    ("architecture", "gqa_ratio", "date", "coopmat1"),
    [
        ("Radeon 8060S (RDNA 3.5)", 8, "2025-07-17", True),  # lhl's Strix Halo, Qwen3-30B-A3B
        ("Radeon 8060S (RDNA 3.5)", 2, "2026-01-27", True),  # Gemma 3 27B
        ("Radeon 8060S (RDNA 3.5)", 8, "2026-01-28", False),  # PR 19075
        ("Radeon 8060S (RDNA 3.5)", 1, "2025-07-17", False),  # MHA: one row, the scalar shader
        ("Radeon 8060S (RDNA 3.5)", 16, "2025-07-17", False),  # past 8 query heads: not grouped, scalar
        ("Radeon 8060S (RDNA 3.5)", 8, None, False),  # undated: today's shaders
        ("RDNA 4.0", 8, "2025-11-17", True),
        ("RDNA 2.0", 8, "2025-11-01", False),  # no cooperative matrices: scalar
    ],
)
def test_vulkan_gqa_rows_before_pr_19075_read_v_per_row_group(
    architecture, gqa_ratio, date, coopmat1, speed_resolve
):
    gpu = make_gpu(slug="amd", name="AMD GPU", backend="vulkan", architecture=architecture)
    assert speed_resolve.coopmat1_gqa_dated(gpu, gqa_ratio, date) is coopmat1
    rocm = make_gpu(slug="amd", name="AMD GPU", backend="rocm", architecture=architecture)
    assert speed_resolve.coopmat1_gqa_dated(rocm, gqa_ratio, date) is False


GEMMA3_WINDOW = replace(
    QWEN3_30B_ON_STRIX_HALO, backend="cuda", kv_bytes_per_cell=0.0, kv_window_bytes_per_cell=1e5, window=1024
)


def test_a_window_layer_reads_its_cache_cells_on_cuda_rocm_sycl():
    # 1024 + 512 cells, padded to 256: 1536
    assert kv_reads.window_cells_read(GEMMA3_WINDOW) == 1536
    assert GEMMA3_WINDOW.kv_read_bytes(16384) == pytest.approx(1536 * 1e5)
    assert GEMMA3_WINDOW.kv_read_bytes(512) == pytest.approx(512 * 1e5)  # below the window: what is cached


@pytest.mark.parametrize("backend", ["metal", "vulkan", "vulkan_intel", "mlx", "vllm"])
def test_kernels_that_skip_masked_blocks_read_the_window(backend):
    assert kv_reads.window_cells_read(replace(GEMMA3_WINDOW, backend=backend)) == 1024


def test_without_flash_attention_the_general_kernels_read_the_whole_view():
    assert kv_reads.window_cells_read(replace(GEMMA3_WINDOW, backend="metal", flash_attention=False)) == 1536
