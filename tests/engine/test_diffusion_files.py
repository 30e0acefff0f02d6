"""The files the image-model commands name (estimator/diffusion_files.py) and the text encoder's precision.

The review: FLUX.1 [dev] in Q4_K_S on an 8 GB card showed diffusers code that loaded the 22 GiB BF16 transformer
with a comment in place of the GGUF, and answered "No" on 16 GB of RAM in every format because the T5-XXL was
always counted in BF16, though ComfyUI's examples load the FP8 T5-XXL with 32 GB of RAM or less."""

import re

import pytest
from test_diffusion_speed import SHAPES, device, spec

from estimator import DiffusionWorkload, estimate_diffusion
from estimator.diffusion_commands import commands_for
from estimator.diffusion_files import GGUF_DENOISERS, NO_GGUF, T5_XXL, gguf_formats, why_no_gguf
from estimator.units import GIB

FORMATS_OFFERED = ("q8_0", "q6_k", "q5_k_s", "q4_k_s")  # calculator/diffusion_answer.py FORMATS' GGUFs
BITS = {"q8_0": 8.5008, "q6_k": 6.5633, "q5_k_s": 5.5704, "q4_k_s": 4.6672, "q4_0": 4.6425, "fp8": 8.0}
# an 8 GB card on eight PCIe 4.0 lanes, as an RTX 4060 (not in the catalog's fixtures)
EIGHT_GB = device("geforce-rtx-4060-ti-16-gb").model_copy(
    update={"slug": "eight-gb", "name": "8 GB card", "memory_bytes": 8 * GIB}
)


def flux(fmt: str, ram_gb: int = 16, gpu=EIGHT_GB):
    w = DiffusionWorkload(denoiser_format=fmt, denoiser_bits=BITS.get(fmt), ram_bytes=ram_gb * GIB)
    return estimate_diffusion(model=spec("flux-1-dev"), devices=[gpu], workload=w)


def t5_bytes(plan) -> int:
    return next(d.tensors[T5_XXL] for d in plan.devices if T5_XXL in d.tensors)


def test_flux_q4_k_s_on_an_8_gb_card_with_16_gb_runs_with_the_t5_in_8_bits():
    # RAM: 7.0 GB transformer + 4.762 GB T5 + 0.123 × 2 CLIP + 0.084 × 2 VAE = 12.2 GB (11.3 GiB) + 2 GiB
    e = flux("q4_k_s")
    assert e.recommended == "sequential_offload"
    host = next(d for d in e.recommended_plan.devices if d.kind == "host")
    assert host.tensors[T5_XXL] == 4_762_000_000
    assert host.used_bytes == pytest.approx(int(12e9 * 4.6672 / 8) + 4_762_000_000 + 414_000_000, abs=2)
    assert "t5xxl_fp8_e4m3fn_scaled.safetensors" in e.text_encoder and "4.4 GiB" in e.text_encoder
    # with more than 32 GB of RAM the T5 is as released, and the answer says so
    bf16 = flux("bf16", ram_gb=64)
    assert t5_bytes(bf16.recommended_plan) == 9_524_000_000
    assert "as released" in bf16.text_encoder and "t5xxl_fp16.safetensors" in bf16.text_encoder


def test_the_t5_copies_are_timed_at_the_bits_the_answer_sizes():
    # component offload copies every component once per image: 4.762 GB less with the 8-bit T5
    q5 = flux("q5_k_s", ram_gb=32, gpu=device("geforce-rtx-3060-12-gb"))
    plan = q5.recommended_plan
    assert plan.strategy == "component_offload"
    moved = sum(d.weights_bytes for d in plan.devices)
    assert plan.timing.transfer_s == pytest.approx(moved / (28.35e9), rel=0.01)
    assert t5_bytes(plan) == 4_762_000_000


def test_on_a_mac_the_t5_stays_as_released_beside_a_gguf():
    """PyTorch on Apple silicon has no float8 type: the 8-bit T5 file does not load there."""
    mac = device("apple-m4-max-128gb").model_copy(update={"backend": "metal", "unified_memory": True})
    e = flux("q8_0", gpu=mac)
    assert t5_bytes(e.recommended_plan) == 9_524_000_000
    assert "no float8 type" in e.text_encoder
    assert "bitsandbytes" not in e.recommended_plan.commands["diffusers"]


def test_the_gguf_diffusers_code_loads_the_named_file_and_passes_it_in():
    plan = flux("q4_k_s").recommended_plan
    code = plan.commands["diffusers"]
    compile(code, "flux.py", "exec")
    assert "from diffusers import DiffusionPipeline, GGUFQuantizationConfig, FluxTransformer2DModel" in code
    assert (
        "transformer = FluxTransformer2DModel.from_single_file(\n"
        '    "https://huggingface.co/city96/FLUX.1-dev-gguf/blob/main/flux1-dev-Q4_K_S.gguf",\n'
        '    config="black-forest-labs/FLUX.1-dev", subfolder="transformer",\n'
        "    quantization_config=GGUFQuantizationConfig(compute_dtype=torch.bfloat16), torch_dtype=torch.bfloat16,"
    ) in code
    assert 'from_pretrained("black-forest-labs/FLUX.1-dev", transformer=transformer, ' in code
    assert "<your .gguf>" not in code
    # enable_sequential_cpu_offload() raises KeyError: None on a GGUF transformer (diffusers#14691)
    assert "enable_sequential_cpu_offload" not in code.replace("# enable_sequential_cpu_offload", "")
    assert 'pipe.enable_group_offload(onload_device=torch.device("cuda"), offload_type="leaf_level")' in code
    # that code keeps the T5 as released (8-bit bitsandbytes models and sequential offload: not documented),
    # so it says the RAM it needs, more than the 16 GB: 7.0 + 9.5 + 0.4 GB = 15.8 GiB + 2 GiB
    assert (
        "# this code needs 17.8 GiB of system RAM" in code and "more than the 16.0 GiB of system RAM" in code
    )
    assert plan.command_ram_bytes["diffusers"] > 16 * GIB
    # and its time copies the T5 as released: slower than ComfyUI's
    assert plan.command_timing["diffusers"].total_s > plan.command_timing["comfyui"].total_s


def test_where_the_offload_is_documented_with_8_bit_models_diffusers_loads_the_t5_with_bitsandbytes():
    plan = flux("q5_k_s", ram_gb=32, gpu=device("geforce-rtx-3060-12-gb")).recommended_plan
    code = plan.commands["diffusers"]
    compile(code, "flux.py", "exec")
    assert "from transformers import BitsAndBytesConfig, T5EncoderModel" in code
    assert (
        "text_encoder_2 = T5EncoderModel.from_pretrained(  # the T5-XXL in 8 bits (bitsandbytes), as sized above\n"
        '    "black-forest-labs/FLUX.1-dev", subfolder="text_encoder_2", '
        "quantization_config=BitsAndBytesConfig(load_in_8bit=True),"
    ) in code
    assert "transformer=transformer, text_encoder_2=text_encoder_2, torch_dtype" in code
    assert "pipe.enable_model_cpu_offload()" in code
    assert "# pip install -U diffusers transformers accelerate gguf bitsandbytes" in code


def test_the_comfyui_block_says_which_file_goes_in_which_folder():
    comfy = flux("q4_k_s").recommended_plan.commands["comfyui"]
    assert "git clone https://github.com/city96/ComfyUI-GGUF into ComfyUI/custom_nodes/" in comfy
    assert "github:" not in comfy
    assert (
        "# ComfyUI/models/diffusion_models/ (or models/unet/): flux1-dev-Q4_K_S.gguf from "
        "https://huggingface.co/city96/FLUX.1-dev-gguf" in comfy
    )
    assert (
        "# ComfyUI/models/text_encoders/ (or models/clip/): t5xxl_fp8_e4m3fn_scaled.safetensors (the T5-XXL in 8 bits) "
        "and clip_l.safetensors (CLIP-L) from https://huggingface.co/comfyanonymous/flux_text_encoders"
        in comfy
    )
    assert "ComfyUI/models/vae/: ae.safetensors (the VAE) from https://huggingface.co/" in comfy  # named
    assert comfy.splitlines()[-1] == "python main.py --lowvram"


@pytest.mark.parametrize("slug", sorted(GGUF_DENOISERS))
def test_every_gguf_named_is_loaded_by_its_class_for_each_denoiser(slug):
    model = spec(slug)
    found = GGUF_DENOISERS[slug]
    assert len(found.files) == len(model.denoisers)  # Wan 2.2 A14B: a file per expert
    repo = SHAPES[slug]["diffusers_repo"]
    for fmt in sorted(gguf_formats(slug)):
        w = DiffusionWorkload(denoiser_format=fmt, denoiser_bits=BITS[fmt], ram_bytes=64 * GIB)
        for plan in ("all_on_gpu", "component_offload", "sequential_offload"):
            code = commands_for(plan=plan, model=model, workload=w, gpus=1)["diffusers"]
            compile(code, slug, "exec")
            assert code.count(f"{found.loader}.from_single_file(") == len(found.files)
            for url in found.urls(fmt):
                assert re.fullmatch(r"https://huggingface\.co/[\w.-]+/[\w.-]+/blob/main/[\w./-]+\.gguf", url)
                assert f'"{url}"' in code and fmt.upper() in url
            assert f'from_pretrained("{repo}", ' in code and "No GGUF" not in code


@pytest.mark.parametrize("slug", sorted(SHAPES))
def test_a_gguf_format_without_a_named_file_is_said_not_offered(slug):
    for fmt in FORMATS_OFFERED:
        why = why_no_gguf(slug, fmt)
        assert (why is None) == (fmt in gguf_formats(slug)), (slug, fmt)
    assert (slug in NO_GGUF) == (not gguf_formats(slug))
    assert why_no_gguf(slug, "fp8") is None and why_no_gguf(slug, "bf16") is None


def test_sd_3_5_large_offers_only_the_gguf_its_repository_holds():
    assert gguf_formats("stable-diffusion-3-5-large") == {"q8_0", "q4_0"}
    assert why_no_gguf("stable-diffusion-3-5-large", "q4_k_s") == (
        "city96/stable-diffusion-3.5-large-gguf holds Q8_0, Q4_0, not Q4_K_S"
    )


def test_no_fit_reason_offers_only_the_formats_that_load_for_the_model():
    sdxl = spec("stable-diffusion-xl")
    tiny = device("apple-m1-8gb").model_copy(update={"backend": "metal", "unified_memory": True})
    e = estimate_diffusion(model=sdxl, devices=[tiny], workload=DiffusionWorkload(width=4096, height=4096))
    assert e.recommended is None
    assert "GGUF" not in e.reason and "FP8" not in e.reason  # no GGUF of its UNet, no float8 on a Mac


# ComfyUI's examples pick the T5-XXL by the system RAM: "the fp16 one is recommended if you have more than 32GB
# ram" (flux/README.md and sd3/README.md, github:comfyanonymous/ComfyUI_examples at f9431bb), the scaled FP8 file
# otherwise; without the RAM given, the 16-bit one where the GPUs hold it.
@pytest.mark.parametrize(
    ("fmt", "ram_gb", "gpu", "t5"),
    [
        ("q4_k_s", 64, "geforce-rtx-3060-12-gb", 9_524_000_000),  # more than 32 GB: 16 bits beside a GGUF too
        ("q4_k_s", 33, "geforce-rtx-3060-12-gb", 9_524_000_000),
        ("q4_k_s", 32, "geforce-rtx-3060-12-gb", 4_762_000_000),  # 32 GB is not more than 32 GB
        ("bf16", 32, "geforce-rtx-4090", 4_762_000_000),  # 8 bits beside BF16 too, with 32 GB or less
        ("bf16", 16, "geforce-rtx-4090", 4_762_000_000),
        ("fp8", None, "a100-sxm4-80-gb", 9_524_000_000),  # no RAM given: the 80 GB card holds the 16-bit one
        ("bf16", None, "a100-sxm4-80-gb", 9_524_000_000),
    ],
)
def test_the_t5_is_16_bit_with_more_than_32_gb_of_ram_else_8_bit(fmt, ram_gb, gpu, t5):
    w = DiffusionWorkload(
        denoiser_format=fmt, denoiser_bits=BITS.get(fmt), ram_bytes=ram_gb * GIB if ram_gb else None
    )
    e = estimate_diffusion(model=spec("flux-1-dev"), devices=[device(gpu)], workload=w)
    assert e.recommended is not None
    assert t5_bytes(e.recommended_plan) == t5
    comfy = e.recommended_plan.commands["comfyui"]
    if t5 == 9_524_000_000:
        assert "t5xxl_fp16.safetensors (the T5-XXL in 16 bits)" in comfy
        assert "t5xxl_fp16.safetensors" in e.text_encoder
    else:
        assert "t5xxl_fp8_e4m3fn_scaled.safetensors (the T5-XXL in 8 bits)" in comfy
        assert "more than 32 GB" in e.text_encoder


def test_without_ram_given_the_t5_is_8_bit_where_only_that_fits_on_the_gpu():
    """FLUX.1 [dev] in Q4_K_S on a 16 GB card, nothing in system RAM: 7.0 GB of transformer + 9.5 GB of 16-bit T5
    + 0.4 GB of CLIP-L and VAE is more than the card; with the 8-bit T5, 12.2 GB and a step's work fit."""
    w = DiffusionWorkload(denoiser_format="q4_k_s", denoiser_bits=BITS["q4_k_s"])
    e = estimate_diffusion(
        model=spec("flux-1-dev"), devices=[device("geforce-rtx-4060-ti-16-gb")], workload=w
    )
    assert e.recommended == "all_on_gpu"
    assert t5_bytes(e.recommended_plan) == 4_762_000_000
    assert "t5xxl_fp8_e4m3fn_scaled.safetensors" in e.text_encoder
    assert "the GPUs do not hold the 16-bit one" in e.text_encoder
