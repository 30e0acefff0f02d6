"""Several GPUs for one image model (estimator/diffusion_parallel.py): one pipeline per GPU with its text encoders
and VAE in system RAM (diffusers' enable_model_cpu_offload or ComfyUI's --normalvram, one process per
GPU), one pipeline per pair of GPUs, and a verdict's plan that says how many GPUs it uses. The review:
FLUX.1 [dev] on four RTX 3090s "runs on 4×" while placing it on GPU 1 and GPU 2 only."""

import pytest
from test_diffusion_speed import device, spec

from estimator import DiffusionWorkload, estimate_diffusion
from estimator.units import GIB, format_bytes

FOUR_3090S = [device("geforce-rtx-3090")] * 4


def plan(e, strategy):
    return next(p for p in e.plans if p.strategy == strategy)


def test_flux_on_four_3090s_with_128_gb_runs_four_offloaded_pipelines():
    flux = spec("flux-1-dev")
    e = estimate_diffusion(model=flux, devices=FOUR_3090S, workload=DiffusionWorkload(ram_bytes=128 * GIB))
    best = e.recommended_plan
    assert best.strategy == "offload_per_gpu"
    assert (best.gpus_used, best.images_in_parallel) == (4, 4)
    # each process keeps its own copy of the T5, CLIP and VAE in RAM: 4 × 9.9 GB
    others = sum(c.weights_bytes for c in flux.components if c is not flux.denoiser)
    host = next(d for d in best.devices if d.kind == "host")
    assert host.weights_bytes == 4 * others and host.fits
    # throughput: four pipelines, each as fast as component offload to RAM on one 3090
    alone = estimate_diffusion(
        model=flux, devices=FOUR_3090S[:1], workload=DiffusionWorkload(ram_bytes=128 * GIB)
    )
    one = plan(alone, "component_offload")
    assert best.timing.total_s == pytest.approx(one.timing.total_s)
    assert best.images_per_minute == pytest.approx(4 * one.images_per_minute)
    assert best.commands["comfyui"].count("--normalvram --cuda-device") == 4
    assert "pipe.enable_model_cpu_offload()" in best.commands["diffusers"]
    assert "CUDA_VISIBLE_DEVICES=3 python run.py" in best.commands["diffusers"]
    # diffusers' enable_model_cpu_offload keeps the denoiser in each process's RAM too: said beside its code
    whole = 4 * sum(c.weights_bytes for c in flux.components)
    assert f"4 × the pipeline, {format_bytes(whole)}, more than the plan's RAM" in best.commands["diffusers"]


def test_the_ram_caps_how_many_offloaded_pipelines_run():
    """32 GB holds three copies of FLUX's 9.9 GB of encoders and VAE beside the 2 GiB the system keeps:
    three pipelines, and the fourth GPU is said to be idle."""
    e = estimate_diffusion(
        model=spec("flux-1-dev"), devices=FOUR_3090S, workload=DiffusionWorkload(ram_bytes=32 * GIB)
    )
    best = e.recommended_plan
    assert (best.strategy, best.gpus_used) == ("offload_per_gpu", 3)
    assert any("holds 3 copies" in w and "1 GPU(s) idle" in w for w in best.warnings)


def test_without_ram_four_gpus_run_one_pipeline_per_pair():
    e = estimate_diffusion(model=spec("flux-1-dev"), devices=FOUR_3090S)
    best = e.recommended_plan
    assert best.strategy == "pipeline_per_pair"
    assert (best.gpus_used, best.images_in_parallel) == (4, 2)
    assert best.images_per_minute == pytest.approx(2 * plan(e, "component_offload").images_per_minute)
    denoiser_gpus = [
        d.name for d in best.devices if "Flux transformer (MMDiT + single-stream blocks)" in d.tensors
    ]
    assert len(set(denoiser_gpus)) == 2
    # the largest GPU with the smallest (alike here: the first with the last), the denoiser's first
    assert best.processes == ((0, 3), (1, 2))
    assert (
        "CUDA_VISIBLE_DEVICES=0,3 python run.py & CUDA_VISIBLE_DEVICES=1,2 python run.py"
        in (best.commands["diffusers"])
    )
    assert "python main.py" not in best.commands["comfyui"]  # ComfyUI's core cannot split a pipeline


def test_component_offload_over_two_of_three_gpus_says_it_uses_two():
    e = estimate_diffusion(model=spec("flux-1-dev"), devices=FOUR_3090S[:3])
    assert e.recommended == "component_offload" and e.recommended_plan.gpus_used == 2


def test_a_pipeline_whole_on_each_gpu_still_wins_where_it_fits():
    e = estimate_diffusion(
        model=spec("stable-diffusion-xl"), devices=FOUR_3090S, workload=DiffusionWorkload(ram_bytes=64 * GIB)
    )
    assert e.recommended == "one_image_per_gpu" and e.recommended_plan.gpus_used == 4


def test_the_commands_name_each_gpu_by_its_place_in_the_question():
    """A review of the diff: the plans sort the GPUs by memory, and the commands printed GPUs 0, 1, ... in
    that order. Three RTX 3060s and an RTX 4090 listed last: only the 4090 holds FLUX's FP8 denoiser and a
    step's work, so its one process runs on GPU 3 (CUDA_VISIBLE_DEVICES=3, --cuda-device 3)."""
    rig = [device("geforce-rtx-3060-12-gb")] * 3 + [device("geforce-rtx-4090")]
    w = DiffusionWorkload(ram_bytes=128 * GIB, denoiser_format="fp8")
    best = plan(estimate_diffusion(model=spec("flux-1-dev"), devices=rig, workload=w), "offload_per_gpu")
    assert best.processes == ((3,),) and best.gpus_used == 1
    assert (
        "# save as run.py; one process per pipeline: CUDA_VISIBLE_DEVICES=3 python run.py"
        in (best.commands["diffusers"])
    )
    assert "--cuda-device 3 --port 8188 &" in best.commands["comfyui"]
    # two 3090s and two 3060s, listed in turn: each 3090 takes a denoiser, a 3060 beside it
    mixed = [device("geforce-rtx-3090"), device("geforce-rtx-3060-12-gb")] * 2
    pairs = plan(estimate_diffusion(model=spec("flux-1-dev"), devices=mixed, workload=w), "pipeline_per_pair")
    assert pairs.processes == ((0, 3), (2, 1))
