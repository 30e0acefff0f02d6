"""The diffusion commands on the device they run on (estimator/diffusion_commands.py): on Apple silicon
diffusers moves the pipeline to PyTorch's "mps" device (diffusers' "Metal Performance Shaders (MPS)"
page: `pipe = pipe.to("mps")`), and ComfyUI gets only the flags that act there (comfy/model_management.py
forces its SHARED memory state on MPS whatever --lowvram or --normalvram say). Every flag is parsed
against cli_args.py by tests/engine/test_diffusion_speed.py."""

import pytest
from test_diffusion_speed import device, spec

from estimator import DiffusionWorkload, estimate_diffusion
from estimator.diffusion_commands import commands_for
from estimator.units import GIB


@pytest.mark.parametrize(("fmt", "bits"), [("bf16", 16.0), ("q8_0", 8.5)])
def test_flux_dev_on_a_mac_moves_the_pipeline_to_mps_not_cuda(fmt, bits):
    e = estimate_diffusion(
        model=spec("flux-1-dev"),
        devices=[
            device("apple-m4-max-128gb").model_copy(update={"backend": "metal", "unified_memory": True})
        ],
        workload=DiffusionWorkload(denoiser_format=fmt, denoiser_bits=bits),
    )
    plan = e.recommended_plan
    assert plan.strategy == "all_on_gpu"
    assert 'pipe.to("mps")' in plan.commands["diffusers"] and "cuda" not in plan.commands["diffusers"]
    # --gpu-only still keeps the text encoders and the VAE on the GPU (text_encoder_device())
    assert plan.commands["comfyui"].splitlines()[-1] == "python main.py --gpu-only"


def test_on_a_mac_comfyui_gets_no_vram_flag_it_would_override():
    w = DiffusionWorkload(ram_bytes=64 * GIB)
    for plan, flag in (("component_offload", "--normalvram"), ("sequential_offload", "--lowvram")):
        metal = commands_for(plan=plan, model=spec("flux-1-dev"), workload=w, gpus=1, backend="metal")
        cuda = commands_for(plan=plan, model=spec("flux-1-dev"), workload=w, gpus=1)
        last = metal["comfyui"].splitlines()[-1], cuda["comfyui"].splitlines()[-1]
        assert last == ("python main.py", f"python main.py {flag}")
        # diffusers' offload methods find the accelerator themselves (device=None: get_device())
        assert metal["diffusers"] == cuda["diffusers"]
    on_nvidia = commands_for(plan="all_on_gpu", model=spec("flux-1-dev"), workload=w, gpus=1)
    assert 'pipe.to("cuda")' in on_nvidia["diffusers"]


def test_a_video_pipeline_decodes_in_tiles_and_an_image_one_as_it_is():
    """An untiled decode of a long video takes more memory than a denoising step (Wan 2.2 5B: 22-26 GB for 121
    frames), so the diffusers code for a video turns the VAE's tiling on; an image's stays as diffusers runs it."""
    from estimator import DiffusionComponent, DiffusionSpec
    from estimator.diffusion_commands import diffusers_code
    from estimator.diffusion_speed import DenoiserShape

    shape = DenoiserShape(
        token_params_b=5.0, layers=30, hidden=3072, patch_px=32, frames_per_latent=4, fps=24
    )
    wan = DiffusionSpec(
        slug="wan", name="Wan", shape=shape, diffusers_repo="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
        components=(DiffusionComponent(name="DiT", params_b=5.0, bytes_per_param=2, role="denoiser"),),
    )  # fmt: skip
    video = diffusers_code(
        plan="sequential_offload", model=wan, workload=DiffusionWorkload(frames=121), processes=((0,),)
    )
    assert "pipe.vae.enable_tiling()" in video
    from engine_specs import flux_dev

    image = diffusers_code(
        plan="all_on_gpu", model=flux_dev(), workload=DiffusionWorkload(), processes=((0,),)
    )
    assert "enable_tiling" not in image


def test_wan_2_2_a14b_in_fp8_stores_both_experts_in_fp8_and_casts_both():
    """WanPipeline holds two 14B experts, `transformer` (high-noise steps) and `transformer_2` (low-noise
    steps; src/diffusers/pipelines/wan/pipeline_wan.py): FP8 stores both at 1 byte a weight, 28 GB, not
    14 + 28, and the diffusers code casts both."""
    w = DiffusionWorkload(denoiser_format="fp8", denoiser_bits=8.0, width=832, height=480, frames=81)
    e = estimate_diffusion(model=spec("wan-2-2-t2v-a14b"), devices=[device("h100-sxm5-80-gb")], workload=w)
    whole = next(p for p in e.plans if p.strategy == "all_on_gpu").devices[0]
    experts = {name: b for name, b in whole.tensors.items() if "expert" in name}
    assert sorted(experts.values()) == [14_000_000_000, 14_000_000_000]
    code = e.recommended_plan.commands["diffusers"]
    for attribute in ("pipe.transformer.", "pipe.transformer_2."):
        assert f"{attribute}enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn" in code
    flux = commands_for(plan="all_on_gpu", model=spec("flux-1-dev"), workload=w, gpus=1)["diffusers"]
    assert "transformer_2" not in flux and "pipe.transformer.enable_layerwise_casting" in flux


def test_hidream_hands_the_pipeline_its_llama_text_encoder():
    """HiDream-I1's repository holds no fourth text encoder: HiDreamImagePipeline must be handed Llama 3.1 8B
    Instruct as tokenizer_4 and text_encoder_4 (its own example), or from_pretrained fails; the catalog
    counts that encoder's 8.03B parameters (16 GB in BF16) among the components the plans place."""
    model = spec("hidream-i1-full")
    assert any(
        c.name.startswith("Llama 3.1 8B") and round(c.weights_bytes / 1e9, 2) == 16.06
        for c in model.components
    )
    code = commands_for(plan="component_offload", model=model, workload=DiffusionWorkload(), gpus=1)[
        "diffusers"
    ]
    assert 'PreTrainedTokenizerFast.from_pretrained("meta-llama/Meta-Llama-3.1-8B-Instruct")' in code
    assert "LlamaForCausalLM.from_pretrained(" in code and "output_hidden_states=True" in code
    load = next(line for line in code.splitlines() if line.startswith("pipe = "))
    assert "tokenizer_4=tokenizer_4, text_encoder_4=text_encoder_4" in load
    compile(code, "hidream.py", "exec")  # the code a visitor copies is Python
    flux = commands_for(plan="all_on_gpu", model=spec("flux-1-dev"), workload=DiffusionWorkload(), gpus=1)
    assert "text_encoder_4" not in flux["diffusers"]


def test_the_prompt_is_passed_by_name_as_flux_kontext_takes_an_image_first():
    """A review: FluxKontextPipeline.__call__(image=None, prompt=None, ...) took the prompt given first as its
    image and raised "Provide either `prompt` or `prompt_embeds`"; every pipeline takes prompt= by name."""
    for slug in ("flux-1-kontext-dev", "flux-1-dev"):
        code = commands_for(plan="all_on_gpu", model=spec(slug), workload=DiffusionWorkload(), gpus=1)[
            "diffusers"
        ]
        assert 'pipe(prompt="a cat surfing at sunset", height=' in code


@pytest.mark.parametrize(
    ("slug", "folder", "files", "vae"),
    [
        # ComfyUI_examples' flux/README.md: flux1-dev.safetensors in models/diffusion_models/, ae.safetensors in vae/
        (
            "flux-1-dev",
            "ComfyUI/models/diffusion_models/ (or models/unet/)",
            "flux1-dev.safetensors",
            "ae.safetensors",
        ),
        (
            "flux-1-schnell",
            "ComfyUI/models/diffusion_models/ (or models/unet/)",
            "flux1-schnell.safetensors",
            "ae.safetensors",
        ),
        ("stable-diffusion-3-5-large", "ComfyUI/models/checkpoints/", "sd3.5_large.safetensors", None),
        ("stable-diffusion-xl", "ComfyUI/models/checkpoints/", "sd_xl_base_1.0.safetensors", None),
        (
            "hidream-i1-full",
            "ComfyUI/models/diffusion_models/ (or models/unet/)",
            "hidream_i1_full_fp16.safetensors",
            "ae.safetensors",
        ),
        (
            "qwen-image",
            "ComfyUI/models/diffusion_models/ (or models/unet/)",
            "qwen_image_bf16.safetensors",
            "qwen_image_vae.safetensors",
        ),
        (
            "wan-2-2-t2v-a14b",
            "ComfyUI/models/diffusion_models/ (or models/unet/)",
            "wan2.2_t2v_high_noise_14B_fp16.safetensors and wan2.2_t2v_low_noise_14B_fp16.safetensors",
            "wan_2.1_vae.safetensors",
        ),
        (
            "wan-2-2-ti2v-5b",
            "ComfyUI/models/diffusion_models/ (or models/unet/)",
            "wan2.2_ti2v_5B_fp16.safetensors",
            "wan2.2_vae.safetensors",
        ),
        ("ltx-video", "ComfyUI/models/checkpoints/", "ltx-video-2b-v0.9.safetensors", None),
    ],
)
def test_the_comfyui_command_as_released_names_the_denoiser_and_vae_files(slug, folder, files, vae):
    """A visitor review: FLUX.1 [dev] in BF16 named the T5 and "the VAE" but no model file, where its Q6_K
    command named the GGUF; as released it names the file, its folder, and the VAE's file."""
    for fmt in ("bf16", "fp8"):  # FP8 is the 16-bit file stored in fp8 by --fp8_e4m3fn-unet
        comfy = commands_for(
            plan="all_on_gpu", model=spec(slug), workload=DiffusionWorkload(denoiser_format=fmt), gpus=1
        )["comfyui"]
        assert f"# {folder}: {files} (" in comfy
        if vae:
            assert f"# ComfyUI/models/vae/: {vae} (the VAE) from https://huggingface.co/" in comfy
        assert "the VAE\n" not in comfy + "\n"  # never the VAE unnamed


def test_a_gated_repository_says_to_accept_its_licence_in_both_commands():
    w = DiffusionWorkload(ram_bytes=64 * GIB)
    dev = commands_for(plan="sequential_offload", model=spec("flux-1-dev"), workload=w, gpus=1)
    assert (
        "flux1-dev.safetensors (the denoiser) from https://huggingface.co/black-forest-labs/FLUX.1-dev: a gated"
        in dev["comfyui"]
    )
    assert "# black-forest-labs/FLUX.1-dev is gated: accept its licence" in dev["diffusers"]
    schnell = commands_for(plan="sequential_offload", model=spec("flux-1-schnell"), workload=w, gpus=1)
    # (its VAE line says the FLUX VAE's link is "an ungated copy": no licence to accept)
    assert "a gated repository" not in schnell["comfyui"] and "is gated" not in schnell["diffusers"]
    # a GGUF comes from city96's repository, not gated; the VAE is then named all the same
    q6 = commands_for(
        plan="all_on_gpu",
        model=spec("flux-1-dev"),
        workload=DiffusionWorkload(denoiser_format="q6_k", denoiser_bits=6.5633),
        gpus=1,
    )["comfyui"]
    assert "a gated repository" not in q6 and "ae.safetensors (the VAE)" in q6
