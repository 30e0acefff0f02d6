"""The VAE's decode at the end of an image: its working memory, ComfyUI's estimate for the AutoencoderKL VAEs
(comfy/sd.py, VAE.memory_used_decode: 2178 × latent height × latent width × 64 × bytes per value), is counted on
the GPU that decodes where it is more than a step's activations; where it does not fit there, the picture decodes
in tiles (ComfyUI's fallback, diffusers' pipe.vae.enable_tiling()). Checked against diffusers' own measurements of
SD 1.5's VAE (docs/source/en/hybrid_inference/vae_decode.md)."""

import pytest
from engine_specs import make_gpu
from test_diffusion_speed import device, spec

from estimator import DiffusionWorkload, estimate_diffusion
from estimator.diffusion_memory import activation_bytes, decode_bytes
from estimator.units import GIB

FLUX_AT_1024 = 2178 * 128 * 128 * 64 * 2  # 4,567,597,056 bytes: a 128² latent in 16 bits
TILE = 2178 * 64 * 64 * 64 * 2  # a 64² latent tile (512² of the picture): 1,141,899,264 bytes


def plan(e, strategy):
    return next(p for p in e.plans if p.strategy == strategy)


@pytest.mark.parametrize(
    ("slug", "width", "height", "expected"),
    [
        ("flux-1-dev", 1024, 1024, FLUX_AT_1024),
        ("stable-diffusion-xl", 1024, 1024, FLUX_AT_1024),  # the same formula, whatever the latent's channels
        ("stable-diffusion-1-5", 512, 512, 2178 * 64 * 64 * 64 * 2),
        ("flux-1-dev", 1360, 768, 2178 * 170 * 96 * 64 * 2),
        ("wan-2-1-t2v-14b", 832, 480, 0),  # a video: its commands decode in tiles, and no video VAE is sized
    ],
)
def test_the_decode_is_comfyuis_estimate_for_one_image(slug, width, height, expected):
    w = DiffusionWorkload(width=width, height=height, images=4)  # one image at a time: ComfyUI's least batch
    assert decode_bytes(spec(slug), w) == expected


def test_the_formula_meets_diffusers_measurements_of_sd_1_5():
    """diffusers' table: SD 1.5's VAE decoding 1024² takes 18.5% of an RTX 3090, 20% of an RTX 4090 (24 GB each),
    30% of an RTX 4080 (16 GB) and 45.3% of an RTX 3080 (10 GB): 4.4 to 4.8 GB, its weights included."""
    sd15 = spec("stable-diffusion-1-5")
    vae = next(c for c in sd15.components if c.role == "vae")
    measured = [0.185 * 24 * GIB, 0.20 * 24 * GIB, 0.30 * 16 * GIB, 0.453 * 10 * GIB]
    ours = decode_bytes(sd15, DiffusionWorkload(width=1024, height=1024)) + vae.weights_bytes
    assert min(measured) * 0.95 < ours < max(measured) * 1.05


def test_everything_on_one_gpu_holds_the_decode_beside_every_weight():
    """FLUX.1 [dev] on an 80 GB card: the decode's 4.3 GiB at 1024², not a step's 0.75 GiB, is the peak."""
    e = estimate_diffusion(model=spec("flux-1-dev"), devices=[device("h100-sxm5-80-gb")])
    gpu = plan(e, "all_on_gpu").devices[0]
    assert gpu.compute_bytes == FLUX_AT_1024 > activation_bytes(spec("flux-1-dev").shape, DiffusionWorkload())
    assert not plan(e, "all_on_gpu").vae_tiled
    assert "2178" in e.explanations["compute_bytes"].formula
    assert "4.3 GiB" in e.explanations["compute_bytes"].substituted
    # eight images a batch: the steps' activations, 8 × 0.75 GiB, are the larger (the VAE decodes one at a time)
    batch = DiffusionWorkload(images=8)
    e = estimate_diffusion(model=spec("flux-1-dev"), devices=[device("h100-sxm5-80-gb")], workload=batch)
    assert plan(e, "all_on_gpu").devices[0].compute_bytes == activation_bytes(spec("flux-1-dev").shape, batch)


def test_offload_decodes_once_the_denoiser_has_left_the_gpu():
    """With the VAE in system RAM it is copied to the GPU for the decode, the denoiser moved off it (diffusers'
    model offload, ComfyUI's loader freeing what the decode asks): FLUX's 9.8 GB Q6_K transformer and a step
    need more than the VAE and its decode, so a 12 GB card's need is the step's, as before."""
    w = DiffusionWorkload(denoiser_format="q6_k", denoiser_bits=6.5633, ram_bytes=16 * GIB)
    e = estimate_diffusion(model=spec("flux-1-dev"), devices=[device("geforce-rtx-3060-12-gb")], workload=w)
    gpu = plan(e, "component_offload").devices[0]
    assert e.recommended == "component_offload"
    assert gpu.compute_bytes == activation_bytes(spec("flux-1-dev").shape, w)
    # everything on the 12 GB card does not fit, in tiles or not: it is not told how it would decode
    whole = plan(e, "all_on_gpu")
    assert not whole.fits and not any("tiles" in warning for warning in whole.warnings)
    # SD 1.5's 1.7 GB UNet is smaller than the VAE's decode at 1024²: the decode is the GPU's peak
    sd15 = spec("stable-diffusion-1-5")
    vae = next(c for c in sd15.components if c.role == "vae")
    w = DiffusionWorkload(width=1024, height=1024, ram_bytes=16 * GIB)
    e = estimate_diffusion(model=sd15, devices=[device("geforce-rtx-3060-12-gb")], workload=w)
    gpu = plan(e, "component_offload").devices[0]
    assert gpu.used_bytes - gpu.overhead_bytes == vae.weights_bytes + FLUX_AT_1024


def test_a_decode_that_does_not_fit_is_tiled_and_the_commands_say_so():
    """SD 1.5 at 2048² on a 12 GB card: the whole decode, 2178 × 256² × 64 × 2 = 18.3 GB, does not fit beside
    anything; 512² tiles, 1.1 GB each, do."""
    w = DiffusionWorkload(width=2048, height=2048)
    e = estimate_diffusion(
        model=spec("stable-diffusion-1-5"), devices=[device("geforce-rtx-3060-12-gb")], workload=w
    )
    best = e.recommended_plan
    assert best.strategy == "all_on_gpu" and best.vae_tiled
    assert best.devices[0].compute_bytes == max(TILE, activation_bytes(None, w))
    assert any("17.0 GiB" in warning and "512×512 tiles" in warning for warning in best.warnings)
    assert "pipe.vae.enable_tiling()" in best.commands["diffusers"]
    # at 1024² the whole decode fits: no tiles, no enable_tiling()
    e = estimate_diffusion(model=spec("stable-diffusion-1-5"), devices=[device("geforce-rtx-3060-12-gb")])
    assert not e.recommended_plan.vae_tiled
    assert "enable_tiling" not in e.recommended_plan.commands["diffusers"]


def test_sdxl_on_a_10_gb_card_tiles_its_decode_rather_than_refuse():
    """SDXL's 6.9 GB of weights and its 4.6 GB decode at 1024² are more than a 10 GB card (diffusers measured
    its VAE decode at 93% of an RTX 3080 in float32); with tiles it runs everything on the GPU."""
    card = make_gpu(slug="ten-gb", name="10 GB card", memory_bytes=10 * GIB, fp16_tflops=59.5)
    e = estimate_diffusion(model=spec("stable-diffusion-xl"), devices=[card])
    assert e.recommended == "all_on_gpu" and e.recommended_plan.vae_tiled
