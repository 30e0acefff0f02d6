"""The bench's dated rules for MoE rows of older llama.cpp builds (bench/speed_resolve.py): the kernels an MoE layer
ran before the fusions (fixed_costs.LLAMA_LAYER_KERNELS), a prompt's expert lists built on the host before PR 15525
(prefill.moe_host_seconds), and Intel's Windows Vulkan driver's MoE layers (fixed_costs.moe_layer_family). The
engine answers for today's builds, where none of them holds."""

from dataclasses import replace

import pytest
from engine_specs import make_gpu

from estimator import fixed_costs, speed


@pytest.mark.parametrize(
    ("backend", "date", "experts_per_tok", "family", "kernels"),
    [
        # lhl's Strix Halo, July 2025: 7 adds in 2 dispatches (5 saved), the router's 4, the weights' MUL
        ("vulkan", "2025-07-15", 8, "qwen3", 10),
        # CUDA (and ROCm, which compiles it) then: 7 adds in 1 (6 saved), the router's 4; no weight fusion to count
        ("cuda", "2025-07-15", 8, "qwen3", 10),
        ("rocm", "2025-07-15", 8, "qwen3", 10),
        # gpt-oss after the add fusion, before its late-softmax one: top-k, gather and softmax, 2 saved
        ("cuda", "2025-10-01", 4, "gpt-oss", 2),
        # Llama 4 Scout's one sigmoid-routed expert: nothing to sum or renormalise
        ("vulkan", "2025-07-15", 1, "llama4", 0),
        # DeepSeek V3's sigmoid router: 7 kernels into one (CUDA January 2026, Vulkan a month before), and the adds
        ("cuda", "2025-07-15", 8, "deepseek-v3", 12),
        ("rocm", "2025-12-11", 8, "deepseek-v3", 6),
        ("vulkan", "2026-01-15", 8, "deepseek-v3", 0),
        # today's builds, an undated row, a backend without the fusions' record
        ("vulkan", "2026-05-06", 8, "qwen3", 0),
        ("vulkan", None, 8, "qwen3", 0),
        ("metal", "2025-07-15", 8, "qwen3", 0),
    ],
)
def test_kernels_an_moe_layer_ran_before_the_fusions(
    backend, date, experts_per_tok, family, kernels, speed_resolve
):
    assert speed_resolve.unfused_moe_kernels(backend, date, experts_per_tok, family) == kernels


def test_each_unfused_kernel_costs_a_llama_layers_time_over_its_kernels():
    stage = speed.Stage(
        bandwidth_gb_s=256, backend="vulkan", tflops=59.4, layers=48, dense_bytes=1e9, routed_bytes=16e9,
        experts=128, experts_per_tok=8, active_params=3.3e9, moe_layers=48,
    )  # fmt: skip
    extra = fixed_costs.fixed_seconds(replace(stage, unfused_moe_kernels=10)) - fixed_costs.fixed_seconds(
        stage
    )
    assert extra == pytest.approx(
        48 * 10 * fixed_costs.LAYER_SECONDS["vulkan"] / fixed_costs.LLAMA_LAYER_KERNELS
    )


@pytest.mark.parametrize(
    ("record", "date"),
    [
        ({"date": "2025-11-25", "build": "a094f38 (6316)"}, "2025-11-25"),  # a printed date wins
        (
            {"date": "2025-09-09", "build": "66906cd8 (5997)"},
            "2025-08-19",
        ),  # unless the build is older (AMD's blog)
        ({"build": "a094f38 (6210)"}, "2025-08-19"),  # the guide of discussion 15396's table
        ({"build": "228f724 (6129)"}, "2025-08-19"),  # earlier: of that day or before
        ({"build": "009b709 (6316)"}, None),  # later: undated, today's
        ({}, None),
    ],
)
def test_a_numbered_build_up_to_the_guides_predates_the_moe_fusions(record, date, speed_resolve):
    assert speed_resolve.moe_fusion_date(record) == date
    if date == "2025-08-19":  # gpt-oss then: the router's and the adds' kernels unfused
        assert speed_resolve.unfused_moe_kernels("cuda", date, 4, "gpt-oss") > 0


@pytest.mark.parametrize(
    ("gpu", "record", "dated"),
    [
        (make_gpu(backend="cuda"), {"build": "b6000"}, True),
        (make_gpu(backend="cuda"), {"build": "b6300"}, False),
        (make_gpu(backend="cuda"), {"date": "2025-08-01"}, True),
        (make_gpu(backend="cuda"), {"date": "2025-09-01"}, False),
        (make_gpu(backend="cuda"), {}, False),
        # HIP builds took MMQ's expert path on CDNA 3 only; other AMD parts and other backends never ran it
        (make_gpu(name="AMD Instinct MI300X", backend="rocm"), {"date": "2025-08-01"}, True),
        (make_gpu(name="AMD Radeon RX 7900 XTX", backend="rocm"), {"date": "2025-08-01"}, False),
        (make_gpu(backend="vulkan"), {"date": "2025-08-01"}, False),
    ],
)
def test_prompt_expert_lists_were_built_on_the_host_before_pr_15525(gpu, record, dated, speed_resolve):
    assert speed_resolve.moe_host_ids_dated(gpu, "https://example.org/row", record) is dated


def test_intel_windows_vulkan_moe_layers_take_the_windows_drivers_time():
    stage = speed.Stage(
        bandwidth_gb_s=560, backend="vulkan_intel", tflops=39.3, layers=48, dense_bytes=1e9, routed_bytes=16e9,
        experts=128, experts_per_tok=8, active_params=3.3e9, moe_layers=48,
    )  # fmt: skip
    windows = replace(stage, intel_windows=True)
    assert fixed_costs.moe_layer_family(stage) == "vulkan_intel"
    assert fixed_costs.moe_layer_family(windows) == "vulkan_intel_windows"
    saved = fixed_costs.fixed_seconds(stage) - fixed_costs.fixed_seconds(windows)
    gap = (
        fixed_costs.MOE_LAYER_SECONDS["vulkan_intel"] - fixed_costs.MOE_LAYER_SECONDS["vulkan_intel_windows"]
    )
    assert saved == pytest.approx(48 * gap)


def test_mesa_moe_time_goes_with_the_architectures_vulkan_dispatches():
    # Qwen3.6-35B-A3B: 10 attention layers of 31 dispatches and 30 Gated DeltaNet layers of 39, against qwen3moe's 17
    # a layer: (10 × 31 + 30 × 39) ÷ 17 = 87.06 qwen3moe layers' time, where Windows' driver takes its 40 MoE layers'
    qwen36 = speed.Stage(
        bandwidth_gb_s=608, backend="vulkan_intel", tflops=45.9, layers=40, dense_bytes=1e9, routed_bytes=18e9,
        experts=256, experts_per_tok=8, active_params=3e9, moe_layers=40, linear_layers=30,
        mesa_moe_layer_nodes=31, mesa_linear_layer_nodes=8,
    )  # fmt: skip
    assert fixed_costs.mesa_moe_layer_nodes("qwen3.5") == (31, 8)
    assert fixed_costs.mesa_moe_layer_nodes("gpt-oss") == (17, 0)  # unlisted: qwen3moe's count
    assert fixed_costs.mesa_moe_units(qwen36) == pytest.approx((10 * 31 + 30 * 39) / 17)
    assert fixed_costs.mesa_moe_units(replace(qwen36, intel_windows=True)) == 40
    assert fixed_costs.mesa_moe_units(replace(qwen36, backend="vulkan")) == 40
