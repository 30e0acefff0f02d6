"""MLX's fixed time per layer goes with the kernels of the architecture's mlx-lm graph (fixed_costs.MLX_LAYER_KERNELS)."""

from dataclasses import replace

import pytest
from engine_specs import gemma3_27b, llama_8b, make_gpu, quant

from estimator import Workload, fixed_costs, speed
from estimator.device_memory import Placement, usage_and_stage


@pytest.mark.parametrize(
    ("family", "context", "kernels"),
    [
        ("llama3.1", 131072, 17),  # llama.py: the reference
        ("", None, 17),  # a family nobody counted takes Llama's
        ("qwen3", 40960, 19),  # + q and k RMSNorms
        ("qwen3-moe", 40960, 19),  # qwen3_moe.py keeps Qwen3's attention
        ("qwen3_moe", 262144, 19),
        ("qwen3-coder", 262144, 19),
        ("qwen2.5", 32768, 20),  # + q/k/v biases
        ("gemma3", 131072, 28),  # six norms each adding 1 to its weight, two clip_residuals, gelu × up
        ("gemma3_text", 32768, 28),  # config.json's model_type of Gemma 3 1B
        ("phi4", 16384, 14),  # Phi-4: fused q/k/v and gate/up, plain RoPE
        ("phi4", 131072, 20),  # Phi-4-mini: SuScaledRoPE's scaling and slice update on both RoPEs
        ("gpt-oss", 131072, 21),  # q/k/v/o biases; its MoE block counted as a dense MLP
    ],
)
def test_a_layer_costs_its_kernels_over_a_llama_layers(family, context, kernels):
    assert fixed_costs.mlx_layer_kernels(family, context) == pytest.approx(kernels / 17)


# 26 layers of Gemma 3 1B's size, 0.56 GB a token, on an M3 Ultra (819 GB/s)
SMALL_MODEL_ON_MLX = speed.Stage(
    bandwidth_gb_s=819,
    backend="mlx",
    tflops=56.8,
    layers=26,
    dense_bytes=0.56e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=1.0e9,
)


def test_gemma_3_pays_28_kernels_a_layer_on_mlx_only():
    gemma = replace(SMALL_MODEL_ON_MLX, mlx_layer_kernels=28 / 17)
    assert fixed_costs.fixed_seconds(gemma) == pytest.approx(26 * 28 / 17 * fixed_costs.LAYER_SECONDS["mlx"])
    assert fixed_costs.fixed_seconds(gemma) == pytest.approx(
        fixed_costs.fixed_seconds(SMALL_MODEL_ON_MLX) * 28 / 17
    )
    # llama.cpp's graphs are not mlx-lm's: its Metal backend keeps one time per layer
    on_metal = replace(SMALL_MODEL_ON_MLX, backend="metal")
    assert fixed_costs.fixed_seconds(
        replace(on_metal, mlx_layer_kernels=28 / 17)
    ) == fixed_costs.fixed_seconds(on_metal)


def test_the_models_family_reaches_the_stage():
    apple = make_gpu(slug="m3-ultra", name="Apple M3 Ultra", backend="metal", unified_memory=True)
    placement = Placement(device=apple, layers=range(62), holds_output=True, holds_embedding=True)
    _, gemma = usage_and_stage(
        model=gemma3_27b(family="gemma3"), quant=quant(), workload=Workload(runtime="mlx"), p=placement
    )
    _, unnamed = usage_and_stage(
        model=gemma3_27b(), quant=quant(), workload=Workload(runtime="mlx"), p=placement
    )
    assert gemma.mlx_layer_kernels == pytest.approx(28 / 17)
    assert unnamed.mlx_layer_kernels == 1.0
    _, llama = usage_and_stage(
        model=llama_8b(family="llama3.1"),
        quant=quant(),
        workload=Workload(runtime="mlx"),
        p=Placement(device=apple, layers=range(32)),
    )
    assert llama.mlx_layer_kernels == 1.0


@pytest.mark.parametrize(
    ("family", "kernels"),
    [
        (
            "gpt-oss",
            13,
        ),  # the reference: router and its bias, top-k, softmax, 3 gathered products with biases
        ("gpt_oss", 13),
        ("qwen3", 8),  # Qwen3-30B-A3B: no biases, a renormalised top-k
        ("qwen3_moe", 8),
    ],
)
def test_an_moe_block_costs_its_kernels_beyond_a_dense_mlp_over_gpt_oss(family, kernels):
    assert fixed_costs.mlx_moe_kernels(family) == pytest.approx(kernels / 13)


def test_qwen3_moe_layers_pay_8_of_gpt_oss_13_moe_kernels_on_mlx():
    moe = replace(SMALL_MODEL_ON_MLX, moe_layers=26)
    qwen = replace(moe, mlx_moe_kernels=8 / 13)
    assert fixed_costs.fixed_seconds(moe) - fixed_costs.fixed_seconds(qwen) == pytest.approx(
        26 * 5 / 13 * fixed_costs.MOE_LAYER_SECONDS["mlx"]
    )


# The host builds an MLX step while the GPU runs the one before (fixed_costs.MLX_HOST_KERNEL_SECONDS): a step takes
# the longer of the two.
GEMMA_3_1B_ON_MLX = replace(SMALL_MODEL_ON_MLX, mlx_layer_kernels=28 / 17)


def test_a_1b_model_on_mlx_waits_for_the_host_to_build_its_728_kernels():
    host = fixed_costs.mlx_host_seconds(GEMMA_3_1B_ON_MLX)
    assert host == pytest.approx(26 * 28 * fixed_costs.MLX_HOST_KERNEL_SECONDS)
    assert speed.decode_step_seconds(GEMMA_3_1B_ON_MLX, 1, 512) == host
    # the depth does not move a host-bound step: Gemma 3 1B runs at ~258 tok/s at 576 and 2,304 cached tokens
    assert speed.decode_step_seconds(GEMMA_3_1B_ON_MLX, 1, 2048) == host


def test_an_8b_model_on_mlx_is_bound_by_the_gpu():
    big = replace(SMALL_MODEL_ON_MLX, layers=32, dense_bytes=4.2e9, active_params=8e9)
    assert speed.decode_step_seconds(big, 1, 512) > 1.5 * fixed_costs.mlx_host_seconds(big)


def test_the_host_counts_an_moe_blocks_kernels_and_only_under_mlx():
    moe = replace(GEMMA_3_1B_ON_MLX, moe_layers=26, mlx_moe_kernels=8 / 13)
    assert fixed_costs.mlx_host_seconds(moe) - fixed_costs.mlx_host_seconds(
        GEMMA_3_1B_ON_MLX
    ) == pytest.approx(26 * 8 * fixed_costs.MLX_HOST_KERNEL_SECONDS)
    # llama.cpp builds its graph once and encodes it on several threads: no such floor
    on_metal = replace(GEMMA_3_1B_ON_MLX, backend="metal")
    assert fixed_costs.mlx_host_seconds(on_metal) == 0.0
