"""The ComfyUI command names the files its sources name: FLUX.1's CLIP-L beside its T5-XXL, from the same
repository (ComfyUI's FLUX examples, github:comfyanonymous/ComfyUI_examples at f9431bb, flux/README.md), and the
folder of its repository a VAE is in (the Comfy-Org repackages' split_files/vae/)."""

import html
import re

import pytest
from django.http import QueryDict

from calculator.diffusion_estimate import answered
from calculator.diffusion_form import DiffusionForm
from estimator.diffusion_files import COMFY_FILES

FLUX = {"flux-1-dev", "flux-1-schnell", "flux-1-kontext-dev"}
T5_AND_CLIP_L = (
    "and clip_l.safetensors (CLIP-L) from https://huggingface.co/comfyanonymous/flux_text_encoders"
)
FLUX_VAE = "ae.safetensors (the VAE) from https://huggingface.co/Comfy-Org/Lumina_Image_2.0_Repackaged (split_files/vae/)"


def comfyui_command(page: str) -> str:
    found = re.search(r'<pre id="comfyui-command"[^>]*><code>(.*?)</code></pre>', page, re.S)
    assert found, "no ComfyUI command on the page"
    return html.unescape(found.group(1))


def test_flux_dev_names_its_clip_l_and_the_vaes_folder(client, catalog):
    # with more than 32 GB of system RAM the T5-XXL in 16 bits (ComfyUI's examples), else in 8
    command = comfyui_command(
        client.get("/?model=flux-1-dev&gpu=geforce-rtx-4090&ram_gb=64").content.decode()
    )
    assert f"t5xxl_fp16.safetensors (the T5-XXL in 16 bits) {T5_AND_CLIP_L}\n" in command
    assumed = comfyui_command(client.get("/?model=flux-1-dev&gpu=geforce-rtx-4090").content.decode())
    assert f"t5xxl_fp8_e4m3fn_scaled.safetensors (the T5-XXL in 8 bits) {T5_AND_CLIP_L}\n" in assumed
    assert f"# ComfyUI/models/vae/: {FLUX_VAE}: the FLUX VAE" in command
    assert "with the other text encoders" not in command  # said by name now


def test_the_api_names_them_as_the_page_does(client, catalog):
    """FLUX.1 [schnell] on a 12 GB card: a GGUF denoiser, the T5-XXL in 8 bits, its CLIP-L and VAE as ever."""
    plans = client.get("/api/v1/estimate?model=flux-1-schnell&gpu=geforce-rtx-3060-12-gb").json()["plans"]
    assert plans
    for plan in plans:
        comfy = plan["commands"]["comfyui"]
        assert f"t5xxl_fp8_e4m3fn_scaled.safetensors (the T5-XXL in 8 bits) {T5_AND_CLIP_L}" in comfy
        assert FLUX_VAE in comfy


@pytest.mark.parametrize("slug", sorted(COMFY_FILES))
def test_each_model_names_its_vaes_folder_and_only_flux_a_clip_l_beside_the_t5(catalog, slug):
    """Every model ComfyUI loads files of: its VAE's folder where the engine's file is in one (its line, as
    the engine writes it, is found), and clip_l.safetensors only for FLUX.1 (HiDream's and SD 3.5's come from
    their own repositories, LTX-Video has a T5-XXL alone)."""
    form = DiffusionForm(QueryDict(f"model={slug}&gpu=h100-sxm5-80-gb"))
    assert form.is_valid(), form.errors
    comfy = answered(form).plans[0].commands["comfyui"]
    vae = COMFY_FILES[slug].vae
    if vae is not None and "/" in vae[1]:
        folder, name = vae[1].rsplit("/", 1)
        assert (
            f"# ComfyUI/models/vae/: {name} (the VAE) from https://huggingface.co/{vae[0]} ({folder}/)"
            in comfy
        )
    assert ("clip_l.safetensors" in comfy) == (slug in FLUX)


@pytest.mark.parametrize("slug", sorted(FLUX))
def test_flux_says_its_vae_link_is_the_ungated_copy_comfyuis_examples_link_and_names_the_official_one(
    client, catalog, slug
):
    """A visitor review: FLUX's setup linked the VAE at "Comfy-Org/Lumina_Image_2.0_Repackaged", which reads like
    another model's. ComfyUI's FLUX examples link it there (flux/README.md at f9431bb: "The VAE can be found
    [here](https://huggingface.co/Comfy-Org/Lumina_Image_2.0_Repackaged/blob/main/split_files/vae/ae.safetensors)");
    the line says so, and gives Black Forest Labs' own file (black-forest-labs/flux's src/flux/util.py loads
    ae.safetensors from black-forest-labs/FLUX.1-schnell) as the alternative."""
    command = comfyui_command(client.get(f"/?model={slug}&gpu=geforce-rtx-4090&quant=bf16").content.decode())
    line = next(line for line in command.splitlines() if line.startswith("# ComfyUI/models/vae/"))
    assert line == (
        f"# ComfyUI/models/vae/: {FLUX_VAE}: the FLUX VAE as ComfyUI's FLUX examples link it (an ungated "
        "copy); or the official ae.safetensors from https://huggingface.co/black-forest-labs/FLUX.1-schnell"
    )
