"""Time per image or video of a diffusion pipeline: compute-bound steps, then the VAE decode.

A denoising step is one (or, with classifier-free guidance, two) passes of the denoiser over every latent
token at once: thousands of tokens, so it is bound by the GPU's matrix throughput, as LLM prefill is,
not by memory bandwidth. Per pass:

- a transformer (DiT, MMDiT): 2 × parameters a token goes through × tokens, plus attention,
  4 × layers × tokens² × hidden size (QKᵀ and AV);
- a UNet (SD 1.5, SDXL): its measured multiply-adds at 1024² scaled by parameters × latent pixels.

Offload adds the bytes that cross PCIe: every component once per image (component offload to RAM),
the whole denoiser at every step (sequential offload). Each constant names its source; the
calibration against published timings is `bench/data/diffusion_timings.json`, checked by
tests/engine/test_diffusion_speed.py.
"""

import re
from math import ceil
from typing import Literal

from pydantic import Field

from . import links
from .hardware import full_rate_fp16, nvidia_tensor_cores
from .schema import DeviceSpec, Frozen
from .units import format_seconds

DenoiserKind = Literal["dit", "unet"]

# ---- Work per pass --------------------------------------------------------------------------------
# SDXL's UNet at 1024² (128² latent): 3,015.82 GMACs per call, measured with torchprofile
# (github:lwag212/sdxl-sige sdxl/README.md, "Original" row). As FLOPs per parameter per latent pixel:
# 2 × 3,015.82e9 / (2.567e9 × 16,384) = 0.1434; SD 1.5's UNet is taken to do the same per parameter.
UNET_FLOPS_PER_PARAM_PIXEL = 2 * 3015.82e9 / (2.567e9 * 128 * 128)
# The SDXL VAE decoder at 1024²: 2,481.99 GMACs (same table), 4.73 MFLOPs per output pixel; video VAEs
# are taken to cost the same per decoded pixel (an approximation: the Wan and Hunyuan VAEs are 3D).
VAE_FLOPS_PER_PIXEL = 2 * 2481.99e9 / (1024 * 1024)

# ---- Calibration ----------------------------------------------------------------------------------
# Share of the GPU's dense FP16/BF16 tensor rate (DeviceSpec.fp16_tflops) a denoising pass reaches in
# diffusers/ComfyUI without torch.compile, and a fixed time per pass (kernel launches, Python). Fitted on
# bench/data/diffusion_timings.json. DiT: the linear layers reach 0.40 and fused attention (SDPA, flash)
# 0.80, which puts FLUX.1-dev on an A100 (15.65 s for 28 steps at 1024², linear-bound) and Wan 2.1 1.3B
# on an RTX 4090 (about 4 min for 5 s of 480p, attention-bound) within 15% each. UNet: SDXL (8.45 it/s)
# and SD 1.5 (30.97 it/s) on an A100 SXM4 fix both its share (0.42) and its 12 ms per pass.
EFFICIENCY: dict[DenoiserKind, float] = {"dit": 0.40, "unet": 0.42}
ATTENTION_EFFICIENCY = 0.80
PASS_OVERHEAD_S: dict[DenoiserKind, float] = {"dit": 0.004, "unet": 0.012}
# GeForce cards: the catalog lists their FP16 rate at FP32 accumulate, half their tensor rate
# (`hardware.full_rate_fp16`), and a pass reaches a larger share of that listed rate than the full-rate parts
# above reach of theirs, as llama.cpp's prompts do (speed.FULL_RATE_PREFILL_FACTOR). A visitor review found SDXL
# on an RTX 4060 ("50 steps of 0.98 s") and FLUX.1-dev on an RTX 3090 ("28 steps of 2.36 s") slow against what
# users see; the calibration file's GeForce rows (`geforce`) bore it out: FLUX.1-dev on an RTX 4090 at 1.7 it/s
# (BFL's code) and 14.1 s for 20 steps (diffusers), Wan 2.1 1.3B on it (diffusers; Wan's README), SDXL on an RTX
# 3060 and a 4060 Ti 16 GB (ComfyUI, 2.78 and 1.86 s/it) lay 0.58-0.87 of the estimate, geometric mean 0.73, while
# every full-rate row (A100, H100, RTX 6000 Ada) lay 0.99-1.46. With the linear layers', the UNet's and the VAE's
# shares × 1.5 there (attention's kept: 0.80 × 1.5 would pass the listed rate), the GeForce rows lie 0.82-1.10 of
# the estimate, geometric mean 0.99; the full-rate rows are unchanged.
GEFORCE_SHARE_FACTOR = 1.5
# Every published timing in the calibration file lies within these factors of the estimate; the slow
# edge is FLUX.1-dev on an H100 (1.46× the estimate: eager PyTorch reaches a smaller share of Hopper), the fast
# one FLUX.1-dev on an RTX 4090 in BFL's code (0.82×).
RANGE_LOW, RANGE_HIGH = 0.75, 1.6


def share_factor(device: DeviceSpec) -> float:
    """GEFORCE_SHARE_FACTOR on an NVIDIA GeForce card with tensor cores (its listed FP16 rate the FP32-accumulate
    half rate), 1 on every other part."""
    geforce = device.backend == "cuda" and nvidia_tensor_cores(device) and not full_rate_fp16(device)
    return GEFORCE_SHARE_FACTOR if geforce else 1.0


# Host → GPU copies of offloaded weights run at the card's PCIe link (the catalog's bus, "PCIe 4.0 x8", read
# by `host_link_gb_s`; a card without one is taken to be PCIe 4.0 x16) times the share of it a copy reaches.
# Per lane, one direction, after 128b/130b encoding: 8, 16 and 32 GT/s for PCIe 3.0, 4.0 and 5.0 (PCI-SIG),
# 0.985, 1.969 and 3.938 GB/s; sixteen lanes of 4.0 are links.PCIE_GB_S.
PCIE_LANE_GB_S = {"3.0": 0.985, "4.0": 1.969, "5.0": 3.938}
# A host → GPU copy's share of that: rocm-bandwidth-test's unidirectional copy peak from the CPU to a Radeon RX
# 7900 XTX on an EPYC 7542's PCIe 4.0 x16 is 28.411 GB/s of 31.5 (github:ROCm/legacy-rocm-build issue #2253).
# Pageable memory and busy hosts are slower, which the range's slow end covers.
PCIE_COPY_EFFICIENCY = 0.90
HOST_TO_GPU_GB_S = links.PCIE_GB_S * PCIE_COPY_EFFICIENCY
# diffusers' enable_sequential_cpu_offload() copies every weight module by module through accelerate's hooks,
# far below the bus's rate. FLUX.1-dev on an RTX 3090 at 1344×768, 50 steps, took "about 15min"
# (github:black-forest-labs/flux issue #138): (50 × 24.0 GB of transformer + 9.9 GB of encoders and VAE) ÷
# (900 s − the 116 s this module computes) = 1.5 GB/s. The other published figure, SD 1.5 on an RTX 3060 going
# from 6 to 2 it/s (huggingface/diffusers issue #2266, diffusers 0.12), gives 5.2 GB/s: small models copy
# faster, so this rate errs slow for them.
SEQUENTIAL_OFFLOAD_GB_S = 1.5


def host_link_gb_s(bus: str | None) -> float | None:
    """What a host → GPU copy reaches over the catalog's bus ("PCIe 4.0 x8": 14.2 GB/s); None for a bus it
    does not name (empty, or not PCIe)."""
    found = re.fullmatch(r"PCIe (\d\.\d) x(\d+)", (bus or "").strip())
    if not found or found.group(1) not in PCIE_LANE_GB_S:
        return None
    return PCIE_LANE_GB_S[found.group(1)] * int(found.group(2)) * PCIE_COPY_EFFICIENCY


class DenoiserShape(Frozen):
    """What the speed model needs to know about a denoiser, from its own config file."""

    kind: DenoiserKind = "dit"
    token_params_b: float = Field(
        gt=0, le=200, description="parameters each latent token passes through (per-token weights)"
    )
    layers: int = Field(default=0, ge=0, le=400, description="attention layers over all tokens (DiT)")
    hidden: int = Field(default=0, ge=0, le=20_000, description="attention width (DiT)")
    patch_px: int = Field(default=16, gt=0, le=128, description="output pixels per token side: VAE × patch")
    frames_per_latent: int = Field(default=1, gt=0, le=16, description="video frames per latent frame")
    text_tokens: int = Field(default=0, ge=0, le=4096, description="text tokens joined to the image tokens")
    image_copies: int = Field(default=1, gt=0, le=4, description="2 when a reference image is joined")
    cfg_passes: int = Field(default=1, ge=1, le=2, description="2 with classifier-free guidance")
    default_steps: int = Field(default=28, gt=0, le=1000)
    default_width: int = Field(default=1024, gt=0, le=8192)
    default_height: int = Field(default=1024, gt=0, le=8192)
    default_frames: int = Field(default=1, gt=0, le=1024)
    fps: int = Field(default=0, ge=0, le=120, description="frames per second of a video model; 0: images")
    source: str = ""

    @property
    def video(self) -> bool:
        return self.fps > 0


def tokens(shape: DenoiserShape, *, width: int, height: int, frames: int) -> int:
    """Latent tokens of one image or video: (frames → latent frames) × (pixels ÷ patch²), plus the text."""
    latent_frames = 1 + (frames - 1) // shape.frames_per_latent if frames > 1 else 1
    per_frame = ceil(width / shape.patch_px) * ceil(height / shape.patch_px)
    return latent_frames * per_frame * shape.image_copies + shape.text_tokens


def pass_flops(shape: DenoiserShape, *, width: int, height: int, frames: int) -> tuple[float, float]:
    """(linear, attention) FLOPs of one pass of the denoiser over one image or video."""
    if shape.kind == "unet":
        latent_pixels = (width / shape.patch_px) * (height / shape.patch_px)
        return UNET_FLOPS_PER_PARAM_PIXEL * shape.token_params_b * 1e9 * latent_pixels, 0.0
    t = tokens(shape, width=width, height=height, frames=frames)
    return 2 * shape.token_params_b * 1e9 * t, 4 * shape.layers * t * t * shape.hidden


class Timing(Frozen):
    """Seconds for one image (or one video) on one GPU, with what they are made of."""

    step_s: float = Field(description="one denoising step, all passes")
    steps: int
    vae_s: float = Field(description="decoding the latents to pixels")
    transfer_s: float = Field(default=0.0, description="offloaded weights copied to the GPU, per image")
    step_transfer_s: float = Field(default=0.0, description="of step_s: weights copied at every step")
    total_s: float
    low_s: float
    high_s: float
    step_flops: float
    tflops: float


def host_copy_gb_s(device: DeviceSpec, host_links: dict[str, float]) -> float:
    """`device`'s host → GPU copy rate: its own in `host_links` (GB/s by slug, `host_link_gb_s` of its bus),
    else HOST_TO_GPU_GB_S (PCIe 4.0 x16)."""
    return host_links.get(device.slug, HOST_TO_GPU_GB_S)


def timing(
    shape: DenoiserShape,
    device: DeviceSpec,
    *,
    width: int,
    height: int,
    frames: int,
    steps: int,
    images: int = 1,
    transfer_per_image_bytes: int = 0,
    transfer_per_step_bytes: int = 0,
    copy_gb_s: float = HOST_TO_GPU_GB_S,
) -> Timing | None:
    """The time of one batch of `images` on `device`, its offloaded weights copied at `copy_gb_s`; None
    without the GPU's FP16 rate."""
    if not device.fp16_tflops:
        return None
    rate = device.fp16_tflops * 1e12
    share = share_factor(device)
    linear, attention = pass_flops(shape, width=width, height=height, frames=frames)
    passes = shape.cfg_passes * images
    step_s = passes * (
        linear / (rate * EFFICIENCY[shape.kind] * share) + attention / (rate * ATTENTION_EFFICIENCY)
    )
    step_s += shape.cfg_passes * PASS_OVERHEAD_S[shape.kind]
    step_transfer_s = transfer_per_step_bytes / (copy_gb_s * 1e9)
    step_s += step_transfer_s
    vae_s = images * width * height * frames * VAE_FLOPS_PER_PIXEL / (rate * EFFICIENCY["unet"] * share)
    transfer_s = transfer_per_image_bytes / (copy_gb_s * 1e9)
    total = steps * step_s + vae_s + transfer_s
    return Timing(
        step_s=step_s,
        steps=steps,
        vae_s=vae_s,
        transfer_s=transfer_s,
        step_transfer_s=step_transfer_s,
        total_s=total,
        low_s=total * RANGE_LOW,
        high_s=total * RANGE_HIGH,
        step_flops=passes * (linear + attention),
        tflops=device.fp16_tflops,
    )


def format_range(t: Timing) -> str:
    return f"{format_seconds(t.low_s)} – {format_seconds(t.high_s)}"
