"""Bad inputs fail with ValueError / ValidationError only; diffusion plans; launch commands."""

import pytest
from engine_specs import MXFP4, Q4_K_M, RTX_3090, RTX_4090, flux_dev, gpt_oss_120b, llama_8b, make_gpu
from pydantic import ValidationError

from estimator import (
    DiffusionComponent,
    DiffusionSpec,
    DiffusionWorkload,
    Workload,
    estimate,
    estimate_diffusion,
)
from estimator.schema import ArtifactSpec
from estimator.units import GIB


@pytest.mark.parametrize(
    "build",
    [
        lambda: llama_8b(num_key_value_heads=64),  # more KV heads than heads
        lambda: llama_8b(num_hidden_layers=0),
        lambda: llama_8b(sliding_window_layers=40),
        lambda: llama_8b(total_params_b=-1),
        lambda: llama_8b(unknown_field=1),
        lambda: make_gpu(memory_bytes=0),
        lambda: make_gpu(gpu_memory_fraction=1.5),
        lambda: make_gpu(backend="opencl"),
        lambda: Workload(prompt_tokens=8192, context_tokens=4096),
        lambda: Workload(kv_cache_type="q3_k"),
        lambda: Workload(batch=0),
        lambda: Workload(runtime="tgi"),
        lambda: DiffusionSpec(slug="x", name="x", components=()),
        lambda: DiffusionComponent(name="x", params_b=1, bytes_per_param=8),
    ],
)
def test_bad_inputs_raise_validation_error(build):
    with pytest.raises(ValidationError):
        build()


def test_no_devices_raises_value_error():
    with pytest.raises(ValueError, match="device"):
        estimate(model=llama_8b(), quant=Q4_K_M, devices=[], workload=Workload())
    with pytest.raises(ValueError, match="device"):
        estimate_diffusion(model=flux_dev(), devices=[])


@pytest.mark.parametrize(("kv_type", "per_element"), [("q8_0", 1.0625), ("q4_0", 0.5625), ("f32", 4.0)])
def test_kv_cache_type_sets_the_bytes_per_element(kv_type, per_element):
    assert Workload(kv_cache_type=kv_type).kv_bytes_per_element == per_element


def test_kv_bytes_alone_names_the_kv_type():
    assert Workload(kv_bytes_per_element=1.0625).kv_cache_type == "q8_0"


def test_flux_dev_on_two_gpus_puts_the_transformer_on_one_and_the_encoders_on_the_other():
    # transformer 23.8 GB (22.2 GiB) + ~1 GiB of activations fits a 24 GiB card only on its own;
    # T5-XXL 9.5 GB + CLIP + VAE go to the second GPU.
    e = estimate_diffusion(model=flux_dev(), devices=[RTX_4090, RTX_3090])
    assert e.recommended == "component_offload"
    gpu0, gpu1 = e.recommended_plan.devices
    assert set(gpu0.tensors) == {"transformer"}
    assert set(gpu1.tensors) == {"T5-XXL", "CLIP-L", "VAE"}
    all_on_one = next(p for p in e.plans if p.strategy == "all_on_gpu")
    assert not all_on_one.fits
    assert set(e.not_supported) == {"tensor_parallel", "layer_split"}
    assert all(p.strategy not in ("tensor_parallel", "layer_split") for p in e.plans)


def test_flux_dev_on_two_80gb_gpus_runs_one_image_per_gpu():
    big = make_gpu(memory_bytes=80 * GIB)
    e = estimate_diffusion(model=flux_dev(), devices=[big, big])
    assert e.recommended == "one_image_per_gpu"
    assert e.recommended_plan.images_in_parallel == 2


def test_flux_dev_on_one_small_gpu_needs_sequential_offload():
    e = estimate_diffusion(
        model=flux_dev(),
        devices=[make_gpu(memory_bytes=8 * GIB)],
        workload=DiffusionWorkload(ram_bytes=64 * GIB),
    )
    assert e.recommended == "sequential_offload"


def test_launch_commands_match_each_plan():
    own = ArtifactSpec(kind="safetensors", repo="meta-llama/Llama-3.1-8B-Instruct", formats=("bf16",))
    q8 = ArtifactSpec(kind="gguf", repo="bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", formats=("q8_0",))
    e = estimate(
        model=llama_8b(artifacts=(own, q8)),
        quant=Q4_K_M,
        devices=[RTX_4090],
        workload=Workload(context_tokens=16384, batch=2, kv_cache_type="q8_0"),
    )
    cmd = e.recommended_plan.commands["llama-server"]
    # no Q4_K_M GGUF published: it is made from the model's own checkpoint, never a placeholder path
    assert "llama-quantize models/Llama-3.1-8B-Instruct-BF16.gguf" in cmd and "/path/to/" not in cmd
    assert "-m models/Llama-3.1-8B-Instruct-Q4_K_M.gguf" in cmd
    assert "-c 32768 -np 2" in cmd and "-ctk q8_0 -ctv q8_0" in cmd and "-fa on" in cmd
    assert "OLLAMA_KV_CACHE_TYPE=q8_0" in e.recommended_plan.commands["ollama"]
    mlx = estimate(
        model=llama_8b(),
        quant=Q4_K_M,
        devices=[make_gpu(backend="metal", unified_memory=True)],
        workload=Workload(runtime="mlx"),
    )
    assert "mlx_lm" not in mlx.recommended_plan.commands  # MLX does not load a GGUF Q4_K_M


def test_expert_offload_command_names_the_cpu_moe_layers():
    e = estimate(model=gpt_oss_120b(), quant=MXFP4, devices=[RTX_4090], workload=Workload(ram_bytes=64 * GIB))
    assert f"--n-cpu-moe {e.recommended_plan.n_cpu_moe}" in e.recommended_plan.commands["llama-server"]
