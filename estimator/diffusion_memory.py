"""What an image or video pipeline holds where: a denoising step's activations on the GPU, and the
components on a GPU or in system RAM, as `DeviceUsage`."""

from . import memory
from .device_memory import HOST_HEADROOM_BYTES  # what the OS and the Python process keep of system RAM
from .diffusion_schema import DiffusionComponent, DiffusionWorkload
from .diffusion_speed import DenoiserShape, tokens
from .schema import DeviceSpec, DeviceUsage
from .units import GIB, format_bytes

# Peak activations of one denoising step, per megapixel of output at batch 1 (diffusers with SDPA
# attention, FLUX/SD3-class transformers): about 0.75 GiB, an estimate (FLUX.1-dev in bf16 with its
# encoders elsewhere peaks just under 24 GiB at 1024²). Scales with pixels × images. A model whose geometry
# is known (a transformer's width and its latent tokens) takes the same peak per token and channel instead.
ACTIVATION_BYTES_PER_MEGAPIXEL = 3 * GIB // 4
# That 0.75 GiB over FLUX.1-dev's 4,608 tokens at 1024² (4,096 latent + 512 text) × its 3,072 channels: 57 bytes a
# token and channel, the block's attention and MLP intermediates at their peak. Per token, a video model's
# compression counts: Wan 2.2 TI2V-5B packs 32×32 pixels and 4 frames into a token (VAE 16×16×4, patch 2), a
# quarter of Wan 14B's tokens at one picture, and its 3,072 channels are 0.6 of 14B's 5,120. At TI2V-5B's default
# 1280×704 and 121 frames, 27,280 tokens hold 4.4 GiB, where the per-megapixel rule said 21 GiB and refused a
# 12 GB card that ComfyUI runs it on ("should fit well on 8GB vram with the ComfyUI native offloading",
# https://docs.comfy.org/tutorials/video/wan/wan2_2). Wan's own 14B script peaks at 41.3 GB at 480p and 59.8 at
# 720p (81 frames, its README's table: https://github.com/Wan-Video/Wan2.2/blob/42bf4cfaa384bc21833865abc2f9e6c0e67233dc/README.md):
# 28 GB of weights and 10 and 22 GB here, the script's float32 norms and float64 RoPE the rest.
ACTIVATION_BYTES_PER_TOKEN_CHANNEL = 57


def by_tokens(shape: DenoiserShape | None) -> bool:
    """Whether a step's activations are counted per latent token and channel: a transformer of known width."""
    return shape is not None and shape.kind == "dit" and bool(shape.hidden)


def activation_bytes(shape: DenoiserShape | None, w: DiffusionWorkload) -> int:
    """Activations of one step: a transformer's per latent token and channel of its width
    (ACTIVATION_BYTES_PER_TOKEN_CHANNEL, tokens as `diffusion_speed.tokens` counts them), per image; a model
    of unknown geometry or a UNet's per megapixel, per image, per latent frame of a video (4 frames each)."""
    if by_tokens(shape):
        per_image = tokens(shape, width=w.width, height=w.height, frames=w.frames)
        return int(per_image * shape.hidden * ACTIVATION_BYTES_PER_TOKEN_CHANNEL * w.images)
    latent_frames = 1 + (w.frames - 1) // 4
    return int(w.width * w.height / 1e6 * w.images * latent_frames * ACTIVATION_BYTES_PER_MEGAPIXEL)


def activation_formula(shape: DenoiserShape | None) -> str:
    if by_tokens(shape):
        return (
            f"activations of one step ≈ latent tokens × the denoiser's width × {ACTIVATION_BYTES_PER_TOKEN_CHANNEL} "
            "bytes, per image (tokens: the picture over the VAE's and the patch's pixels, frames in 4s)"
        )
    return "activations of one step ≈ 0.75 GiB per megapixel per image (per latent frame of a video)"


def activation_substituted(shape: DenoiserShape | None, w: DiffusionWorkload) -> str:
    """The activations' sum in the question's numbers: the latent tokens, or the megapixels and frames."""
    found = format_bytes(activation_bytes(shape, w))
    if by_tokens(shape):
        n = tokens(shape, width=w.width, height=w.height, frames=w.frames)
        video = f", {w.frames} frames" if w.frames > 1 else ""
        images = f" × {w.images} images" if w.images > 1 else ""
        return (
            f"{w.width}×{w.height}{video}: {n:,} latent tokens × {shape.hidden:,} channels × "
            f"{ACTIVATION_BYTES_PER_TOKEN_CHANNEL} bytes{images} = {found}"
        )
    return f"{w.width}×{w.height} × {w.images} × {w.frames} frames → {found}"


def on_gpu(
    device: DeviceSpec,
    parts: list[DiffusionComponent],
    w: DiffusionWorkload,
    *,
    activations: int,
    label: str | None = None,
) -> DeviceUsage:
    """`device` holding `parts` and one step's `activations` (`label`: its name where several are alike)."""
    return DeviceUsage(
        gpu=device.slug,
        name=label or device.name,
        layers=0,
        weights_bytes=sum(c.weights_bytes for c in parts),
        kv_cache_bytes=0,
        compute_bytes=activations,
        overhead_bytes=memory.overhead_bytes(device.backend),
        capacity_bytes=device.usable_bytes,
        headroom_bytes=w.headroom_bytes,
        tensors={c.name: c.weights_bytes for c in parts},
    )


def in_system_ram(parts: list[DiffusionComponent], w: DiffusionWorkload, *, copies: int = 1) -> DeviceUsage:
    """System RAM holding `parts`, once per process: `copies` processes each load their own (nothing in
    diffusers or ComfyUI shares one process's offloaded weights with another)."""
    return DeviceUsage(
        gpu="host-ram",
        name="System RAM" if copies == 1 else f"System RAM ({copies} copies)",
        kind="host",
        layers=0,
        weights_bytes=copies * sum(c.weights_bytes for c in parts),
        kv_cache_bytes=0,
        compute_bytes=0,
        overhead_bytes=0,
        capacity_bytes=w.ram_bytes or 0,
        headroom_bytes=HOST_HEADROOM_BYTES,
        tensors={c.name: copies * c.weights_bytes for c in parts},
    )


def denoises(parts: list[DiffusionComponent]) -> bool:
    """Whether `parts` hold a denoiser: a second expert runs its steps where it sits (Wan 2.2 A14B)."""
    return any(c.role == "denoiser" for c in parts)
