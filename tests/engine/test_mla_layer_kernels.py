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


@pytest.mark.parametrize(("backend", "counted"), [("rocm", True), ("vulkan", True), ("mlx", False)])
def test_the_extra_kernels_cost_a_llama_layers_time_over_its_kernels(backend, counted):
    stage = replace(_stages(deepseek_v3())[0], backend=backend, clock_ghz=0.0)
    extra = fixed_costs.fixed_seconds(stage) - fixed_costs.fixed_seconds(replace(stage, mla_kernels=0.0))
    per_kernel = fixed_costs.LAYER_SECONDS[backend] / fixed_costs.LLAMA_LAYER_KERNELS
    assert extra == pytest.approx(stage.mla_kernels * per_kernel if counted else 0.0)


def test_under_vllm_an_mla_layer_costs_its_own_time():
    """vLLM's and SGLang's MLA chain, fitted on DeepSeek's single-stream rows: a time per MLA layer."""
    stage = replace(_stages(deepseek_v3())[0], backend="vllm", clock_ghz=0.0)
    extra = fixed_costs.fixed_seconds(stage) - fixed_costs.fixed_seconds(replace(stage, mla_kernels=0.0))
    layers = stage.mla_kernels / fixed_costs.MLA_LAYER_KERNELS
    assert layers == stage.layers > 0  # every layer of DeepSeek-V3 is MLA
    assert extra == pytest.approx(layers * fixed_costs.VLLM_MLA_LAYER_SECONDS)
    assert 100e-6 < fixed_costs.VLLM_MLA_LAYER_SECONDS < 500e-6  # between the H100's and the MI300X's rows


def test_a_gqa_model_has_none():
    stage = speed.Stage(
        bandwidth_gb_s=1000, backend="cuda", tflops=100.0, layers=32, dense_bytes=4e9, routed_bytes=0.0,
        experts=0, experts_per_tok=0, active_params=8e9,
    )  # fmt: skip
    assert stage.mla_kernels == 0.0


def test_an_mla_layer_attends_in_its_latent():
    """Absorbed, each of DeepSeek-V3's 128 query heads multiplies the 576-value latent and RoPE key and the
    512-value latent again: 2 × 128 × (2 × 512 + 64) FLOPs a cached cell and layer, ~38 a byte of its f16 cache
    on GLM-4.7-Flash's 20 heads, where a GQA Llama's 4 × heads × head dim is 4 a byte."""
    from estimator.device_memory import decode_attention_flops_per_pair

    model = deepseek_v3()
    assert decode_attention_flops_per_pair(model) == 2 * 128 * (2 * 512 + 64)
    stage = _stages(model)[0]
    per_byte = stage.decode_attention_flops_per_pair / stage.kv_bytes_per_cell
    # a prompt's stays unabsorbed: 4 × heads × head dim
    ratio = stage.decode_attention_flops_per_pair / stage.attention_flops_per_pair
    assert ratio == pytest.approx(2 * 1088 / (4 * model.head_dim_or_default))
    assert per_byte == pytest.approx(2 * 128 * 1088 / (576 * 2))


def test_at_depth_an_mla_step_is_bound_by_its_attention_arithmetic_not_its_reads():
    """The step takes the soft maximum of the cache's reads and the attention's FLOPs at the family's share of
    the matrix rate (kv_reads.MLA_ATTENTION_SHARE): on an MLA model at 32K cells the arithmetic; near an empty
    cache, or on a GQA model, the reads."""
    from estimator import kv_reads

    stage = replace(_stages(deepseek_v3())[0], backend="rocm")
    deep = kv_reads.attention_arithmetic_seconds(stage, 1, 32768)
    assert deep == pytest.approx(
        stage.decode_attention_flops_per_pair
        * 32768
        / (stage.tflops * 1e12 * kv_reads.MLA_ATTENTION_SHARE["rocm"])
    )
    reads = stage.kv_read_bytes(32768) / (stage.bandwidth_gb_s * 1e9)
    assert deep > reads  # 38+ FLOPs a byte outrun the share of 989 TFLOPS against 3.35 TB/s
    gqa = speed.Stage(
        bandwidth_gb_s=1000, backend="cuda", tflops=100.0, layers=32, dense_bytes=4e9, routed_bytes=0.0,
        experts=0, experts_per_tok=0, active_params=8e9, kv_bytes_per_cell=32 * 4096,
        decode_attention_flops_per_pair=32 * 4 * 32 * 128,
    )  # fmt: skip
    gqa_reads = gqa.kv_read_bytes(32768) / (gqa.bandwidth_gb_s * 1e9)
    assert kv_reads.attention_arithmetic_seconds(gqa, 1, 32768) < gqa_reads
    assert kv_reads.attention_arithmetic_seconds(stage, 1, 0) == 0.0
