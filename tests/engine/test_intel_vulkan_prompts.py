"""Intel's Vulkan prompts: XMX only on Xe2 (hardware.prompt_kernels, speed.shader_width)."""

import pytest
from engine_specs import Q4_K_M, llama_8b, make_gpu

from estimator import Workload, plans, speed
from estimator.units import GIB

A770 = make_gpu(
    slug="arc-a770",
    name="Intel Arc A770",
    architecture="Xe-HPG",
    memory_bytes=16 * GIB,
    bandwidth_gb_s=560,
    fp16_tflops=137.6,
    backend="vulkan",
)
B580 = A770.model_copy(
    update={"slug": "arc-b580", "name": "Intel Arc B580", "architecture": "Xe2-HPG", "fp16_tflops": 116.7}
)


def test_alchemist_prompts_on_vulkan_run_the_shaders_amds_rows_run():
    # llama.cpp gives Intel GPUs VK_KHR_cooperative_matrix only on Xe2 (PR 14001): the A770 prints
    # "matrix cores: none"; its decode stays Intel's Vulkan class
    assert speed.prompt_kernels(A770, "llama.cpp") == "vulkan"
    assert speed.kernels(A770, "llama.cpp") == "vulkan_intel"
    assert speed.prompt_kernels(B580, "llama.cpp") == "vulkan_intel"
    # the SYCL backend is not the Vulkan one
    assert speed.prompt_kernels(A770.model_copy(update={"backend": "sycl"}), "llama.cpp") == "sycl"


def test_alchemists_vulkan_prompt_runs_at_the_vector_rate():
    # the listed rate is XMX's; the shaders' packed FP16 rate is that ÷ matrix_width (137.6 ÷ 3.5 = 39.3 TFLOPS)
    w = Workload(context_tokens=4096, prompt_tokens=512)
    plan = plans.single(model=llama_8b(), quant=Q4_K_M, devices=[A770], workload=w)
    share = speed.PREFILL_EFFICIENCY["vulkan"] * speed.PREFILL_FORMAT_EFFICIENCY[("kquant", "vulkan")]
    # Llama 3 8B's body (~7.5 B without the output head) at 2 FLOPs a parameter a token; at the XMX rate it
    # would be 3.5 times this
    compute_bound = 137.6e12 / 3.5 * share / (2 * 7.5e9)
    assert plan.prefill_tok_s == pytest.approx(compute_bound, rel=0.15)
