"""Several GPUs for one image model (estimator/diffusion_parallel.py): one pipeline per GPU with its text encoders
and VAE in system RAM (diffusers' enable_model_cpu_offload or ComfyUI's --normalvram, one process per
GPU), one pipeline per pair of GPUs, and a verdict's plan that says how many GPUs it uses. The review:
FLUX.1 [dev] on four RTX 3090s "runs on 4×" while placing it on GPU 1 and GPU 2 only."""

import pytest
from test_diffusion_speed import device, spec

from estimator import DiffusionWorkload, estimate_diffusion
from estimator.units import GIB

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
    # diffusers' enable_model_cpu_offload keeps the denoiser in each process's RAM too: sized apart below
    assert "128.4 GiB" in best.commands["diffusers"]


def test_the_ram_caps_how_many_offloaded_pipelines_run():
    """36 GB holds three copies of FLUX's 9.9 GB of encoders and VAE (the T5-XXL in 16 bits with more than
    32 GB) beside the 2 GiB the system keeps: three pipelines, and the fourth GPU is said to be idle."""
    e = estimate_diffusion(
        model=spec("flux-1-dev"), devices=FOUR_3090S, workload=DiffusionWorkload(ram_bytes=36 * GIB)
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


# FLUX.1 [dev] loaded by diffusers in bfloat16: (12.0 + 0.123 + 4.762 + 0.084) B weights × 2 bytes = 33.938 GB
# (31.6 GiB) a process. SDXL: (2.567 + 0.123 + 0.695 + 0.084) B × 2 = 6.938 GB (6.5 GiB).
FLUX_LOADED, SDXL_LOADED = 33_938_000_000, 6_938_000_000


@pytest.mark.parametrize(
    ("ram_gb", "short"),
    [
        (128, True),  # 4 × 33.938 GB + 2 GiB = 137.9 GB (128.4 GiB): 0.4 GiB more than 128
        (256, False),
    ],
)
def test_the_offloaded_pipelines_diffusers_code_says_the_ram_its_four_processes_hold(ram_gb, short):
    """A review of the diff: the plan counts in system RAM the encoders and VAE of each process, as ComfyUI
    runs it (4 × 9.9 GB), but diffusers' enable_model_cpu_offload moves the denoiser back there too: its code
    needs 4 whole pipelines, and where the RAM given is short of that, it points to ComfyUI's command."""
    w = DiffusionWorkload(ram_bytes=ram_gb * GIB)
    best = estimate_diffusion(model=spec("flux-1-dev"), devices=FOUR_3090S, workload=w).recommended_plan
    assert best.strategy == "offload_per_gpu" and best.fits  # the plan, as ComfyUI runs it, is unchanged
    need = 4 * FLUX_LOADED + 2 * GIB
    assert best.command_ram_bytes == {"diffusers": need}
    code = best.commands["diffusers"].splitlines()
    assert code[1] == (
        "# this code needs 128.4 GiB of system RAM: 4 × 31.6 GiB + 2.0 GiB for the system, each process "
        "holding its whole pipeline there for as long as it runs (enable_model_cpu_offload moves each model "
        "back after use)"
    )
    more = f"# more than the {ram_gb}.0 GiB of system RAM: run the ComfyUI command, which keeps only the text encoders"
    assert code[2].startswith(more) == short


def test_one_image_per_gpu_diffusers_code_loads_every_pipeline_into_ram_at_once():
    """from_pretrained loads each process's pipeline into system RAM before pipe.to() moves it to its GPU;
    the four processes start together. With no RAM given the need is said; with 16 GB, the way round it."""
    for ram, said in ((None, False), (16 * GIB, True)):
        w = DiffusionWorkload(ram_bytes=ram)
        best = estimate_diffusion(
            model=spec("stable-diffusion-xl"), devices=FOUR_3090S, workload=w
        ).recommended_plan
        assert best.strategy == "one_image_per_gpu"
        assert best.command_ram_bytes == {"diffusers": 4 * SDXL_LOADED + 2 * GIB}  # 27.8 GiB
        code = best.commands["diffusers"]
        assert "# this code needs 27.8 GiB of system RAM: 4 × 6.5 GiB" in code
        assert ("start each process once the one before has moved its pipeline to its GPU" in code) == said


T5_8_BITS = 4_762_000_000  # the T5-XXL's 4.762B weights at 1 byte: bitsandbytes' 8-bit T5


@pytest.mark.parametrize(
    ("fmt", "bits", "ram_gb", "loaded"),
    [
        # loaded in bfloat16, cast to FP8 after (enable_layerwise_casting); the T5 as released with 256 GB
        ("fp8", 8.0, 256, FLUX_LOADED),
        # the GGUF file: 7.0 GB, and the others as released
        ("q4_k_s", 4.6672, 256, int(12e9 * 4.6672 / 8) + 9_938_000_000),
        # with 32 GB or less the T5 is sized, and loaded, in 8 bits
        ("q4_k_s", 4.6672, 32, int(12e9 * 4.6672 / 8) + 9_938_000_000 - T5_8_BITS),
    ],
)
def test_diffusers_loads_an_fp8_transformer_in_bf16_and_a_gguf_one_at_its_size(fmt, bits, ram_gb, loaded):
    w = DiffusionWorkload(ram_bytes=ram_gb * GIB, denoiser_format=fmt, denoiser_bits=bits)
    e = estimate_diffusion(model=spec("flux-1-dev"), devices=FOUR_3090S, workload=w)
    assert plan(e, "offload_per_gpu").command_ram_bytes["diffusers"] == pytest.approx(
        4 * loaded + 2 * GIB, abs=4
    )


def test_plans_of_one_process_a_pipeline_elsewhere_need_no_more_ram_than_the_plan():
    e = estimate_diffusion(
        model=spec("flux-1-dev"), devices=FOUR_3090S, workload=DiffusionWorkload(ram_bytes=64 * GIB)
    )
    for plan in e.plans:
        if plan.strategy not in ("one_image_per_gpu", "offload_per_gpu"):
            assert plan.command_ram_bytes == {}, plan.strategy
            assert "this code needs" not in plan.commands["diffusers"]
