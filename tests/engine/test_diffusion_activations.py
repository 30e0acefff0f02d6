"""A denoising step's activations by the model's own geometry: per latent token and channel of a transformer's
width, so a video model that packs 32×32 pixels into a token (Wan 2.2 TI2V-5B) holds a quarter of what one of 16
does. Anchored on FLUX.1-dev's 0.75 GiB at 1024², which both rules give; the shapes are the site's
(fixtures/sources/diffusion_shapes.json)."""

import json
from pathlib import Path

import pytest
from engine_specs import flux_dev, make_gpu

from estimator import DiffusionComponent, DiffusionSpec, DiffusionWorkload, estimate_diffusion
from estimator.diffusion_memory import ACTIVATION_BYTES_PER_MEGAPIXEL, activation_bytes
from estimator.diffusion_speed import DenoiserShape, tokens
from estimator.units import GIB

SHAPES = json.loads(Path("fixtures/sources/diffusion_shapes.json").read_text())["models"]


def shape(slug: str) -> DenoiserShape:
    return DenoiserShape(**{k: v for k, v in SHAPES[slug].items() if k != "diffusers_repo"})


def at_default(s: DenoiserShape, **kw) -> DiffusionWorkload:
    size = {"width": s.default_width, "height": s.default_height, "frames": s.default_frames}
    return DiffusionWorkload(**(size | kw))


def test_flux_at_one_megapixel_holds_what_the_per_megapixel_rule_gave():
    flux = shape("flux-1-dev")
    w = DiffusionWorkload(width=1024, height=1024)
    assert activation_bytes(flux, w) == pytest.approx(
        1024 * 1024 / 1e6 * ACTIVATION_BYTES_PER_MEGAPIXEL, rel=0.06
    )
    assert activation_bytes(flux, w.model_copy(update={"images": 2})) == 2 * activation_bytes(flux, w)
    assert activation_bytes(None, w) == int(1.048576 * ACTIVATION_BYTES_PER_MEGAPIXEL)  # no geometry: per MP


def test_a_video_model_counts_its_own_tokens_and_width():
    five = shape("wan-2-2-ti2v-5b")
    w = at_default(five)  # 1280×704, 121 frames
    assert tokens(five, width=w.width, height=w.height, frames=w.frames) == 27_280
    assert activation_bytes(five, w) == pytest.approx(4.45 * GIB, rel=0.01)
    # Wan 14B at its 720p: 16-pixel tokens and 5,120 channels, ~4.6 times the 5B's at a 33% smaller video
    fourteen = shape("wan-2-2-t2v-a14b")
    assert activation_bytes(fourteen, at_default(fourteen)) == pytest.approx(20.5 * GIB, rel=0.02)


def test_wan_5b_runs_on_a_12_gb_card_with_ram_as_comfyui_says():
    five = shape("wan-2-2-ti2v-5b")
    wan = DiffusionSpec(
        slug="wan-2-2-ti2v-5b",
        name="Wan 2.2 TI2V 5B",
        shape=five,
        components=(
            DiffusionComponent(name="Wan DiT", params_b=5.0, bytes_per_param=2, role="denoiser"),
            DiffusionComponent(name="umT5-XXL", params_b=5.681, bytes_per_param=2, role="text_encoder"),
        ),
    )
    card = make_gpu(
        slug="rtx-3060", name="RTX 3060", memory_bytes=12 * GIB, bandwidth_gb_s=360, fp16_tflops=25.0
    )
    result = estimate_diffusion(model=wan, devices=[card], workload=at_default(five, ram_bytes=32 * GIB))
    assert result.recommended == "sequential_offload"
    assert not next(p for p in result.plans if p.strategy == "all_on_gpu").fits


def test_an_image_model_without_geometry_keeps_the_per_megapixel_rule():
    w = DiffusionWorkload(ram_bytes=64 * GIB)
    result = estimate_diffusion(model=flux_dev(), devices=[make_gpu()], workload=w)
    # the denoiser's GPU of component offload: a step's activations (its VAE decodes there once it has left)
    plan = next(p for p in result.plans if p.strategy == "component_offload")
    assert plan.devices[0].compute_bytes == int(1.048576 * ACTIVATION_BYTES_PER_MEGAPIXEL)
