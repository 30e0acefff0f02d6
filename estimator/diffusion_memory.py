"""What an image or video pipeline holds where: a denoising step's activations on the GPU, the VAE's decode of
the picture at the end, and the components on a GPU or in system RAM, as `DeviceUsage`."""

from . import memory
from .device_memory import HOST_HEADROOM_BYTES  # what the OS and the Python process keep of system RAM
from .diffusion_schema import DiffusionComponent, DiffusionSpec, DiffusionWorkload
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


# ---- The VAE's decode ----------------------------------------------------------------------------------------
# After the last step the VAE decodes the latent to pixels, with a working memory of its own that grows with the
# picture: at 1024² several times a FLUX step's. ComfyUI sizes it for the AutoencoderKL VAEs, those of SD 1.x, SDXL,
# SD 3.5 and FLUX.1 (HiDream-I1's too), every VAE the catalog sizes: comfy/sd.py, VAE.__init__,
# `memory_used_decode = lambda shape, dtype: (2178 * shape[2] * shape[3] * 64) * model_management.dtype_size(dtype)`,
# `shape` the latent's (batch, channels, height ÷ 8, width ÷ 8), whatever its channels (github:comfyanonymous/ComfyUI
# at 00728eb and at 0920e0e5). VAE.decode decodes int(free memory ÷ that) images at once, at least
# one: one image's is counted. At 1024² in 16 bits: 2178 × 128 × 128 × 64 × 2 = 4.57 GB (4.3 GiB). diffusers'
# own measurements agree (docs/source/en/hybrid_inference/vae_decode.md, github:huggingface/diffusers at 7151510b):
# SD 1.5's VAE decoding 1024² takes 18.5% of an RTX 3090 and 20% of an RTX 4090 (24 GB), 30% of an RTX 4080 (16 GB),
# 45.3% of an RTX 3080 (10 GB), 4.4–4.8 GB with its weights; its SDXL rows are about twice that, as the formula
# gives in float32 (an inference: diffusers upcasts SDXL's VAE, its config's force_upcast). ComfyUI runs the VAE in bfloat16 where the GPU has it and in float32 before Ampere,
# twice this; the bytes a value here are the VAE's as the catalog sizes it (2).
DECODE_BYTES_PER_LATENT_PIXEL = 2178 * 64
VAE_DOWNSCALE = 8  # pixels per latent pixel, each side (`downscale_ratio`)
# Where the whole decode does not fit, the picture decodes in tiles: ComfyUI falls back to it by itself ("Ran out of
# memory when regular VAE decoding, retrying with tiled VAE decoding": VAE.decode → decode_tiled_, tiles of 64 × 64
# latent pixels, 512² of the picture, one at a time), diffusers with pipe.vae.enable_tiling() (AutoencoderKL's
# tiles are its config's sample_size, tile_latent_min_size = sample_size ÷ 8 in autoencoder_kl.py: larger than
# ComfyUI's for the 1024-pixel VAEs, and not sized here). One tile's decode is then the peak.
DECODE_TILE_LATENT = 64


def decode_bytes(model: DiffusionSpec, w: DiffusionWorkload, *, tiled: bool = False) -> int:
    """The VAE's working memory decoding one image of `w` (`tiled`: one 512² tile of it), ComfyUI's estimate; 0
    for a pipeline without a sized VAE, or a video's (its commands decode in tiles, and its 3D VAE's decode is not
    this formula's)."""
    vae = next((c for c in model.components if c.role == "vae"), None)
    if vae is None or w.frames > 1 or (model.shape is not None and model.shape.video):
        return 0
    height, width = -(-w.height // VAE_DOWNSCALE), -(-w.width // VAE_DOWNSCALE)
    if tiled:
        height, width = min(height, DECODE_TILE_LATENT), min(width, DECODE_TILE_LATENT)
    return int(DECODE_BYTES_PER_LATENT_PIXEL * height * width * vae.bytes_per_param)


def with_decode(
    devices: tuple[DeviceUsage, ...], model: DiffusionSpec, w: DiffusionWorkload
) -> tuple[tuple[DeviceUsage, ...], bool]:
    """A plan's `devices` with the VAE's decode counted on each GPU that runs it, where it needs more than a
    step's activations there; and whether it decodes in tiles (the whole decode does not fit on such a GPU).

    A GPU holding the VAE keeps all it holds through the decode (everything on one GPU, the second GPU of
    component offload). Where the VAE is in system RAM it is copied to the GPU that runs the denoiser, which
    leaves it for the decode: diffusers' enable_model_cpu_offload moves each model back to the CPU as the next
    one runs, and ComfyUI's loader unloads models to free the memory the decode asks for (load_models_gpu with
    memory_required). There the decode needs the VAE and its working memory, the GPU's peak only where that is
    more than the denoiser and a step."""
    vae = next((c for c in model.components if c.role == "vae"), None)
    whole = decode_bytes(model, w)
    if vae is None or not whole:
        return devices, False
    in_ram = any(d.kind == "host" and vae.name in d.tensors for d in devices)
    tile = decode_bytes(model, w, tiled=True)
    found, tiled = [], False
    for d in devices:
        holds = vae.name in d.tensors
        # with the VAE in RAM, each GPU of the plan holding something runs a denoiser (or streams it) and decodes
        if d.kind == "host" or not (holds or (in_ram and d.tensors)):
            found.append(d)
            continue
        beside = d.weights_bytes if holds else vae.weights_bytes  # what the GPU holds through the decode

        def decoding(working: int, d=d, beside=beside) -> DeviceUsage:
            return d.model_copy(
                update={"compute_bytes": max(d.compute_bytes, beside + working - d.weights_bytes)}
            )

        usage = decoding(whole)
        if not usage.fits:
            usage, tiled = decoding(tile), True
        found.append(usage)
    return tuple(found), tiled


def decode_formula() -> str:
    """How the decode is sized, for the page's "how it was computed"."""
    return (
        f"the VAE's decode of one image ≈ {DECODE_BYTES_PER_LATENT_PIXEL // 64} × 64 × latent pixels (the picture "
        f"÷ {VAE_DOWNSCALE} each side) × 2 bytes, ComfyUI's estimate; in 512² tiles where it does not fit; the "
        "larger of the two on the GPU that decodes"
    )


def decode_substituted(model: DiffusionSpec, w: DiffusionWorkload) -> str:
    """The decode's sum in the question's numbers."""
    vae = next(c for c in model.components if c.role == "vae")
    height, width = -(-w.height // VAE_DOWNSCALE), -(-w.width // VAE_DOWNSCALE)
    return (
        f"decode: {w.width}×{w.height} → {width}×{height} latent pixels × {DECODE_BYTES_PER_LATENT_PIXEL:,} × "
        f"{vae.bytes_per_param:g} bytes = {format_bytes(decode_bytes(model, w))}"
    )


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
