"""An MLA attention layer's kernels beyond a Llama layer's (fixed_costs.MLA_LAYER_KERNELS): llama.cpp's DeepSeek-2
graph runs the query through wq_a, a norm and wq_b, the latent through wkv_a and a norm, absorbs wk_b, concatenates
Q's and K's parts and decompresses through wv_b."""

from dataclasses import replace

import pytest
from engine_specs import deepseek_v3, make_gpu, quant

from estimator import Workload, fixed_costs, layouts, plans, speed

H100 = make_gpu(slug="h100", name="H100", memory_bytes=80 * 2**30, bandwidth_gb_s=3350, fp16_tflops=989.0)


def _stages(model, backend: str = "cuda"):
    gpu = H100.model_copy(update={"backend": backend})
    kw = {"model": model, "quant": quant(), "workload": Workload(context_tokens=2, prompt_tokens=1)}
    layout = layouts.layer_split_layout(devices=[gpu] * 8, **kw)
    return plans.run_layout(layout, **kw)[1]


def test_each_mla_layer_counts_its_extra_kernels():
    stages = _stages(deepseek_v3())
    assert sum(s.mla_kernels for s in stages) == 61 * fixed_costs.MLA_LAYER_KERNELS
    # DeepSeek-V2-Lite has no query LoRA: one wq product, no norm
    lite = _stages(deepseek_v3(q_lora_rank=None))
    assert sum(s.mla_kernels for s in lite) == 61 * fixed_costs.MLA_LITE_LAYER_KERNELS


@pytest.mark.parametrize(
    ("backend", "counted"), [("rocm", True), ("vulkan", True), ("vllm", False), ("mlx", False)]
)
def test_the_extra_kernels_cost_a_llama_layers_time_over_its_kernels(backend, counted):
    stage = replace(_stages(deepseek_v3())[0], backend=backend, clock_ghz=0.0)
    extra = fixed_costs.fixed_seconds(stage) - fixed_costs.fixed_seconds(replace(stage, mla_kernels=0.0))
    per_kernel = fixed_costs.LAYER_SECONDS[backend] / fixed_costs.LLAMA_LAYER_KERNELS
    assert extra == pytest.approx(stage.mla_kernels * per_kernel if counted else 0.0)


def test_a_gqa_model_has_none():
    stage = speed.Stage(
        bandwidth_gb_s=1000, backend="cuda", tflops=100.0, layers=32, dense_bytes=4e9, routed_bytes=0.0,
        experts=0, experts_per_tok=0, active_params=8e9,
    )  # fmt: skip
    assert stage.mla_kernels == 0.0
