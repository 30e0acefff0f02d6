"""The formats an image or video model's denoiser is offered in: which load on a backend, and which have a
file for the commands to load (the engine's `diffusion_files` names each)."""

from estimator.diffusion_files import NO_FLOAT8_BACKENDS, why_no_gguf

# The denoiser's formats people run: 16-bit as released, FP8 (ComfyUI's fp8_e4m3fn, the Comfy-Org and
# Kijai repackages), GGUF quants of the transformer (city96's conversions); text encoders and VAE stay as
# released. The catalog's Quantization rows give their bits per weight.
FORMATS = ["bf16", "fp8", "q8_0", "q6_k", "q5_k_s", "q4_k_s"]
RELEASED = FORMATS[0]  # the denoiser as released: the usual format, unless `usual` finds a better one
# Formats the denoiser cannot be loaded in on a backend, and why. PyTorch's Metal backend (MPS) has no
# float8 type: "Trying to convert Float8_e4m3fn to the MPS backend but it does not have support for that
# dtype" (pytorch/pytorch#148420, open; Comfy-Org/ComfyUI#6859 with FLUX.1 on an M4 Mac).
NOT_ON_BACKEND = {("fp8", b): "PyTorch on Apple silicon (MPS) has no float8 type" for b in NO_FLOAT8_BACKENDS}


def not_on(quant: str, backends) -> str | None:
    """Why the denoiser cannot be loaded in this format on one of these backends; None where it can."""
    return next((why for b in sorted(backends) if (why := NOT_ON_BACKEND.get((quant, b)))), None)


def no_file(quant: str, model: str | None) -> str | None:
    """Why the model's denoiser has no file in this GGUF format for the commands to load (the engine's
    `diffusion_files`, which names each file); None where it has one, or the format is no GGUF."""
    return why_no_gguf(model, quant) if model else None


def offered(model: str, backends) -> list[str]:
    """The denoiser's formats offered for the model on these backends, widest first: those that load there
    and have a file for the commands to load."""
    return [slug for slug in FORMATS if not not_on(slug, backends) and not no_file(slug, model)]
