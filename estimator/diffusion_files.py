"""The published files the image-model commands name, and the one rule for the text encoder's precision.

- A GGUF of each model's denoiser: which repository and file holds it in each format, and which diffusers
  class loads it (`from_single_file` with a `GGUFQuantizationConfig`, diffusers' GGUF guide:
  https://huggingface.co/docs/diffusers/quantization/gguf). A model with none named here gets no GGUF format
  (`gguf_formats`, `NO_GGUF`): a name is never guessed.
- The T5-XXL text encoder's precision by the system RAM, as ComfyUI's examples choose its file (`t5_bits_tried`:
  16 bits with more than 32 GB, else 8), and the ComfyUI folders each file goes in.

Formats are the catalog's slugs (q4_k_s); a file name carries the same name in capitals (Q4_K_S).
"""

from dataclasses import dataclass

from .diffusion_schema import DiffusionSpec, DiffusionWorkload
from .units import GIB

# ---- GGUF denoisers ---------------------------------------------------------------------------------
# The formats people run as GGUF (city96's and QuantStack's conversions); the calculator offers the first four.
GGUF_FORMATS = ("q8_0", "q6_k", "q5_k_s", "q4_k_s", "q4_0")
_ALL = frozenset(GGUF_FORMATS)


@dataclass(frozen=True)
class GgufDenoiser:
    """Where the GGUF files of one model's denoiser are, and how diffusers loads them."""

    loader: str  # the diffusers class whose from_single_file reads the file (loaders/single_file_model.py)
    repo: str  # the Hugging Face repository holding the files
    files: tuple[str, ...]  # one per denoiser, in the pipeline's order ("{quant}": Q4_K_S)
    formats: frozenset[str] = _ALL  # the formats the repository holds, where it lacks some

    def urls(self, fmt: str) -> tuple[str, ...]:
        """Each denoiser's file in `fmt` as a page a visitor opens and from_single_file reads (the diffusers
        GGUF guide passes such /blob/ addresses)."""
        return tuple(
            f"https://huggingface.co/{self.repo}/blob/main/{f.format(quant=fmt.upper())}" for f in self.files
        )

    def names(self, fmt: str) -> tuple[str, ...]:
        """Each file's name, as it lands in a folder."""
        return tuple(f.format(quant=fmt.upper()).rsplit("/", 1)[-1] for f in self.files)


# By the catalog's model slug. The loader classes are those diffusers' from_single_file reads
# (SINGLE_FILE_LOADABLE_CLASSES, src/diffusers/loaders/single_file_model.py, github:huggingface/diffusers at
# 58eb52c0). Repositories, file names and formats:
# - xinference's model specs (github:xorbitsai/inference at 7ecec16b, xinference/model/image/model_spec.json
#   and video/model_spec.json: gguf_model_id, gguf_model_file_name_template, gguf_quantizations) for FLUX.1
#   [dev], [schnell] and Kontext, SD 3.5 Large (F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 only) and Medium, Qwen-Image
#   and HunyuanVideo;
# - diffusers' own GGUF examples and tests for the file naming of city96's FLUX.1 [dev], SD 3.5, HiDream-I1 and
#   LTX-Video repositories and QuantStack's Wan 2.2 ones (docs/source/en/quantization/gguf.md,
#   docs/source/en/api/models/hidream_image_transformer.md, docs/source/en/api/pipelines/ltx_video.md,
#   tests/models/transformers/test_models_transformer_wan.py, tests/pipelines/testing_utils/quantization.py);
# - model downloaders' file lists for the formats of HiDream-I1-Full (Q8_0 to Q2_K), Wan 2.1 14B (Q8_0, Q6_K,
#   Q5_K_S, Q4_K_S), Wan 2.2 A14B and TI2V-5B (Q8_0, Q6_K, Q5_K_S, Q4_K_S), Wan 2.1 1.3B (Q8_0, Q4_K_S, Q4_0
#   found) and LTX-Video (Q8_0, Q6_K, Q4_K_S found); a format not found is not offered.
GGUF_DENOISERS: dict[str, GgufDenoiser] = {
    "flux-1-dev": GgufDenoiser(
        "FluxTransformer2DModel", "city96/FLUX.1-dev-gguf", ("flux1-dev-{quant}.gguf",)
    ),
    "flux-1-schnell": GgufDenoiser(
        "FluxTransformer2DModel", "city96/FLUX.1-schnell-gguf", ("flux1-schnell-{quant}.gguf",)
    ),
    "flux-1-kontext-dev": GgufDenoiser(
        "FluxTransformer2DModel",
        "bullerwins/FLUX.1-Kontext-dev-GGUF",
        ("flux1-kontext-dev-{quant}.gguf",),
        frozenset({"q8_0", "q6_k", "q5_k_s", "q4_k_s"}),
    ),
    "stable-diffusion-3-5-large": GgufDenoiser(
        "SD3Transformer2DModel",
        "city96/stable-diffusion-3.5-large-gguf",
        ("sd3.5_large-{quant}.gguf",),
        frozenset({"q8_0", "q4_0"}),
    ),
    "stable-diffusion-3-5-medium": GgufDenoiser(
        "SD3Transformer2DModel", "city96/stable-diffusion-3.5-medium-gguf", ("sd3.5_medium-{quant}.gguf",)
    ),
    "hidream-i1-full": GgufDenoiser(
        "HiDreamImageTransformer2DModel", "city96/HiDream-I1-Full-gguf", ("hidream-i1-full-{quant}.gguf",)
    ),
    "qwen-image": GgufDenoiser(
        "QwenImageTransformer2DModel", "city96/Qwen-Image-gguf", ("qwen-image-{quant}.gguf",)
    ),
    "hunyuanvideo": GgufDenoiser(
        "HunyuanVideoTransformer3DModel", "city96/HunyuanVideo-gguf", ("hunyuan-video-t2v-720p-{quant}.gguf",)
    ),
    "ltx-video": GgufDenoiser(
        "LTXVideoTransformer3DModel",
        "city96/LTX-Video-gguf",
        ("ltx-video-2b-v0.9-{quant}.gguf",),
        frozenset({"q8_0", "q6_k", "q4_k_s"}),
    ),
    "wan-2-1-t2v-1-3b": GgufDenoiser(
        "WanTransformer3DModel",
        "samuelchristlie/Wan2.1-T2V-1.3B-GGUF",
        ("Wan2.1-T2V-1.3B-{quant}.gguf",),
        frozenset({"q8_0", "q4_k_s", "q4_0"}),
    ),
    "wan-2-1-t2v-14b": GgufDenoiser(
        "WanTransformer3DModel",
        "city96/Wan2.1-T2V-14B-gguf",
        ("wan2.1-t2v-14b-{quant}.gguf",),
        frozenset({"q8_0", "q6_k", "q5_k_s", "q4_k_s"}),
    ),
    # two experts: `transformer` runs the high-noise steps, `transformer_2` the low-noise ones (WanPipeline)
    "wan-2-2-t2v-a14b": GgufDenoiser(
        "WanTransformer3DModel",
        "QuantStack/Wan2.2-T2V-A14B-GGUF",
        (
            "HighNoise/Wan2.2-T2V-A14B-HighNoise-{quant}.gguf",
            "LowNoise/Wan2.2-T2V-A14B-LowNoise-{quant}.gguf",
        ),
        frozenset({"q8_0", "q6_k", "q5_k_s", "q4_k_s"}),
    ),
    "wan-2-2-ti2v-5b": GgufDenoiser(
        "WanTransformer3DModel",
        "QuantStack/Wan2.2-TI2V-5B-GGUF",
        ("Wan2.2-TI2V-5B-{quant}.gguf",),
        frozenset({"q8_0", "q6_k", "q5_k_s", "q4_k_s", "q4_0"}),
    ),
}
# Models whose denoiser has no GGUF the commands could load, and why (a GGUF format is not offered for them).
NO_GGUF = {
    # CogVideoXTransformer3DModel is not among the classes from_single_file reads (SINGLE_FILE_LOADABLE_CLASSES)
    "cogvideox-2b": "diffusers reads no GGUF of CogVideoX's transformer",
    "cogvideox-5b": "diffusers reads no GGUF of CogVideoX's transformer",
    # ComfyUI-GGUF's README: "quantization wasn't feasible for regular UNET models (conv2d)"
    "stable-diffusion-1-5": "no GGUF of its UNet is published for ComfyUI-GGUF or diffusers",
    "stable-diffusion-xl": "no GGUF of its UNet is published for ComfyUI-GGUF or diffusers",
}
WHY_NOT_NAMED = "no GGUF file of it is named here"


def gguf_denoiser(model: DiffusionSpec, fmt: str) -> GgufDenoiser | None:
    """The GGUF files of `model`'s denoiser in `fmt`; None where there is none (or `fmt` is not a GGUF)."""
    found = GGUF_DENOISERS.get(model.slug)
    return found if found is not None and fmt in found.formats else None


def gguf_formats(slug: str) -> frozenset[str]:
    """The GGUF formats of a model's denoiser that a command can load."""
    found = GGUF_DENOISERS.get(slug)
    return found.formats if found else frozenset()


def why_no_gguf(slug: str, fmt: str) -> str | None:
    """Why the model's denoiser has no GGUF file in `fmt`; None where it has one or `fmt` is no GGUF."""
    if fmt not in GGUF_FORMATS or fmt in gguf_formats(slug):
        return None
    if slug in NO_GGUF:
        return NO_GGUF[slug]
    if slug in GGUF_DENOISERS:
        found = GGUF_DENOISERS[slug]
        held = ", ".join(f.upper() for f in GGUF_FORMATS if f in found.formats)
        return f"{found.repo} holds {held}, not {fmt.upper()}"
    return WHY_NOT_NAMED


# ---- The T5-XXL text encoder ---------------------------------------------------------------------------
# The catalog's name of the T5-v1.1-XXL encoder (FLUX.1, SD 3.5, HiDream-I1, LTX-Video, CogVideoX).
T5_XXL = "T5-v1.1-XXL encoder"
# ComfyUI's FLUX examples (github:comfyanonymous/ComfyUI_examples at f9431bb, flux/README.md): t5xxl_fp16 and
# clip_l from https://huggingface.co/comfyanonymous/flux_text_encoders; "You can use
# t5xxl_fp8_e4m3fn_scaled.safetensors instead for lower memory usage but the fp16 one is recommended if you have
# more than 32GB ram". Its SD 3.5 examples say the same (sd3/README.md: "t5xxl_fp16.safetensors if you have more
# than 32GB ram or t5xxl_fp8_e4m3fn_scaled.safetensors if you don't"). The 8-bit file named there is the scaled
# one since 2b87d86 ("Recommend the scaled fp8 t5xxl instead of the regular fp8 one"; the same repository holds
# both); either holds 1 byte a weight, 4.8 GB, and loads in ComfyUI only (the diffusers code uses bitsandbytes).
T5_REPO = "comfyanonymous/flux_text_encoders"
T5_FILES = {8: "t5xxl_fp8_e4m3fn_scaled.safetensors", 16: "t5xxl_fp16.safetensors"}
# "more than 32GB ram": the calculator's RAM sizes are GiB (ram_gb × 2³⁰), as a PC's modules are counted.
T5_16_BIT_ABOVE_RAM_BYTES = 32 * GIB
# FLUX.1's other text encoder, CLIP-L, from the same repository (its top level, beside the T5-XXL files; ComfyUI's
# FLUX examples at f9431bb: "If you don't have t5xxl_fp16.safetensors or clip_l.safetensors already in your
# ComfyUI/models/text_encoders/ directory you can find them on: [this link.]"; FLUX.1 Kontext [dev] is among its
# "Flux Extras", which "might require that you have some of the regular flux files"). HiDream's and SD 3.5's
# CLIP files come from their own repositories; LTX-Video has the T5-XXL alone.
CLIP_L_FILE = "clip_l.safetensors"
CLIP_L_BESIDE_T5 = frozenset({"flux-1-dev", "flux-1-schnell", "flux-1-kontext-dev"})
# Where ComfyUI looks for each file (folder_paths.py: "text_encoders" is models/text_encoders or models/clip,
# "diffusion_models" is models/unet or models/diffusion_models; the ComfyUI-GGUF README and its Unet Loader
# (GGUF) node's page, github:city96/ComfyUI-GGUF web/docs/UnetLoaderGGUF.md, name both for a .gguf).
COMFY_DENOISER_FOLDER = "ComfyUI/models/diffusion_models/ (or models/unet/)"
COMFY_TEXT_ENCODER_FOLDER = "ComfyUI/models/text_encoders/ (or models/clip/)"
COMFY_VAE_FOLDER = "ComfyUI/models/vae/"
COMFY_GGUF_NODE = "https://github.com/city96/ComfyUI-GGUF"
# The pipeline attribute holding the T5 (each pipeline's __init__, src/diffusers/pipelines/: FluxPipeline and
# FluxKontextPipeline `text_encoder_2`, StableDiffusion3Pipeline and HiDreamImagePipeline `text_encoder_3`,
# CogVideoXPipeline and LTXPipeline `text_encoder`), by the diffusers repository.
T5_ATTRIBUTES = {
    "black-forest-labs/FLUX.1-dev": "text_encoder_2",
    "black-forest-labs/FLUX.1-schnell": "text_encoder_2",
    "black-forest-labs/FLUX.1-Kontext-dev": "text_encoder_2",
    "stabilityai/stable-diffusion-3.5-large": "text_encoder_3",
    "stabilityai/stable-diffusion-3.5-medium": "text_encoder_3",
    "HiDream-ai/HiDream-I1-Full": "text_encoder_3",
    "THUDM/CogVideoX-5b": "text_encoder",
    "THUDM/CogVideoX-2b": "text_encoder",
    "Lightricks/LTX-Video": "text_encoder",
}
NO_FLOAT8_BACKENDS = ("metal",)  # PyTorch on Apple silicon (MPS) has no float8 type: no FP8 file loads there


# ---- The files ComfyUI loads as released ------------------------------------------------------------------
COMFY_CHECKPOINT_FOLDER = "ComfyUI/models/checkpoints/"


@dataclass(frozen=True)
class ComfyFiles:
    """The files of one model that ComfyUI loads where its denoiser is not a GGUF (BF16 as released, or FP8 cast
    from it by --fp8_e4m3fn-unet): each denoiser's file and the VAE's, by repository and path, whether the
    denoiser's is a checkpoint holding the VAE (and, `encoders_inside`, the text encoders), and whether its
    repository is gated (a licence to accept on its page before anything downloads)."""

    repo: str  # the Hugging Face repository holding the denoiser's file(s)
    files: tuple[str, ...]  # one per denoiser, paths inside `repo`, in the pipeline's order
    vae: tuple[str, str] | None = None  # (repository, path); None: inside the checkpoint
    encoders: tuple[str, str] | None = None  # (repository, folder) of the text encoders other than the T5-XXL
    checkpoint: bool = False  # a checkpoint (models/checkpoints/, loaded whole) rather than a diffusion model
    encoders_inside: bool = False  # the checkpoint holds the text encoders too
    gated: bool = False
    # where `vae` is a copy in another model's repository: what it is, and its maker's own file (repository, path)
    vae_copy_of: str | None = None
    vae_official: tuple[str, str] | None = None

    @property
    def folder(self) -> str:
        return COMFY_CHECKPOINT_FOLDER if self.checkpoint else COMFY_DENOISER_FOLDER

    def names(self) -> tuple[str, ...]:
        return tuple(f.rsplit("/", 1)[-1] for f in self.files)


# By the catalog's model slug. ComfyUI's own examples (github:comfyanonymous/ComfyUI_examples at f9431bb, the
# README of flux/, sd3/, hidream/, qwen_image/, wan/, wan22/, hunyuan_video/, ltxv/ and ltxv/README_old.md) name
# each file and folder; where they name only another precision of a repackaged file (Wan 2.1 14B's and Wan 2.2
# A14B's fp16 files, Qwen-Image's bf16 one), the name is the one public ComfyUI provisioning scripts download
# from the same repository's split_files/diffusion_models/; SDXL's and SD 1.5's checkpoints, the files of their
# repositories that ComfyUI workflows and stable-diffusion.cpp's README load (sd_xl_base_1.0.safetensors,
# v1-5-pruned-emaonly.safetensors). Gated: FLUX.1 [dev] ("You'll need to be logged into HuggingFace for FLUX.1
# [dev] weights", github:black-forest-labs/flux README), SD 3.5 Large (its licence-free copies are published as
# "stable-diffusion-3.5-large-ungated"). A model with no row (CogVideoX) gets no file named.
# flux/README.md's link ("The VAE can be found [here](https://huggingface.co/Comfy-Org/Lumina_Image_2.0_Repackaged/
# blob/main/split_files/vae/ae.safetensors)", at f9431bb, its newest commit): the FLUX VAE, which Lumina Image 2.0
# shares, in an ungated repository. Black Forest Labs' own file is ae.safetensors of black-forest-labs/FLUX.1-schnell
# (github:black-forest-labs/flux at 802fb47, src/flux/util.py: "flux-schnell" loads repo_ae="ae.safetensors" from
# repo_id="black-forest-labs/FLUX.1-schnell"; its README: the autoencoder's weights are under apache-2.0 "and can be
# found in the HuggingFace repos above"). A visitor review read the Lumina repository as another model's VAE.
_FLUX_VAE = ("Comfy-Org/Lumina_Image_2.0_Repackaged", "split_files/vae/ae.safetensors")
_FLUX_VAE_WORDS = {
    "vae_copy_of": "the FLUX VAE as ComfyUI's FLUX examples link it (an ungated copy)",
    "vae_official": ("black-forest-labs/FLUX.1-schnell", "ae.safetensors"),
}
_WAN21 = "Comfy-Org/Wan_2.1_ComfyUI_repackaged"
_WAN22 = "Comfy-Org/Wan_2.2_ComfyUI_Repackaged"
COMFY_FILES: dict[str, ComfyFiles] = {
    "flux-1-dev": ComfyFiles(
        "black-forest-labs/FLUX.1-dev", ("flux1-dev.safetensors",), _FLUX_VAE, gated=True, **_FLUX_VAE_WORDS
    ),
    "flux-1-schnell": ComfyFiles(
        "black-forest-labs/FLUX.1-schnell", ("flux1-schnell.safetensors",), _FLUX_VAE, **_FLUX_VAE_WORDS
    ),
    "flux-1-kontext-dev": ComfyFiles(
        "black-forest-labs/FLUX.1-Kontext-dev",
        ("flux1-kontext-dev.safetensors",),
        _FLUX_VAE,
        **_FLUX_VAE_WORDS,
    ),
    "stable-diffusion-3-5-large": ComfyFiles(
        "stabilityai/stable-diffusion-3.5-large",
        ("sd3.5_large.safetensors",),
        encoders=("Comfy-Org/stable-diffusion-3.5-fp8", "text_encoders/"),
        checkpoint=True,
        gated=True,
    ),
    "stable-diffusion-3-5-medium": ComfyFiles(
        "stabilityai/stable-diffusion-3.5-medium",
        ("sd3.5_medium.safetensors",),
        encoders=("Comfy-Org/stable-diffusion-3.5-fp8", "text_encoders/"),
        checkpoint=True,
    ),
    "stable-diffusion-xl": ComfyFiles(
        "stabilityai/stable-diffusion-xl-base-1.0",
        ("sd_xl_base_1.0.safetensors",),
        checkpoint=True,
        encoders_inside=True,
    ),
    "stable-diffusion-1-5": ComfyFiles(
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        ("v1-5-pruned-emaonly.safetensors",),
        checkpoint=True,
        encoders_inside=True,
    ),
    "hidream-i1-full": ComfyFiles(
        "Comfy-Org/HiDream-I1_ComfyUI",
        ("split_files/diffusion_models/hidream_i1_full_fp16.safetensors",),
        ("Comfy-Org/HiDream-I1_ComfyUI", "split_files/vae/ae.safetensors"),
        ("Comfy-Org/HiDream-I1_ComfyUI", "split_files/text_encoders/"),
    ),
    "qwen-image": ComfyFiles(
        "Comfy-Org/Qwen-Image_ComfyUI",
        ("split_files/diffusion_models/qwen_image_bf16.safetensors",),
        ("Comfy-Org/Qwen-Image_ComfyUI", "split_files/vae/qwen_image_vae.safetensors"),
        ("Comfy-Org/Qwen-Image_ComfyUI", "split_files/text_encoders/"),
    ),
    "wan-2-1-t2v-1-3b": ComfyFiles(
        _WAN21,
        ("split_files/diffusion_models/wan2.1_t2v_1.3B_fp16.safetensors",),
        (_WAN21, "split_files/vae/wan_2.1_vae.safetensors"),
        (_WAN21, "split_files/text_encoders/"),
    ),
    "wan-2-1-t2v-14b": ComfyFiles(
        _WAN21,
        ("split_files/diffusion_models/wan2.1_t2v_14B_fp16.safetensors",),
        (_WAN21, "split_files/vae/wan_2.1_vae.safetensors"),
        (_WAN21, "split_files/text_encoders/"),
    ),
    "wan-2-2-t2v-a14b": ComfyFiles(
        _WAN22,
        (
            "split_files/diffusion_models/wan2.2_t2v_high_noise_14B_fp16.safetensors",
            "split_files/diffusion_models/wan2.2_t2v_low_noise_14B_fp16.safetensors",
        ),
        (_WAN22, "split_files/vae/wan_2.1_vae.safetensors"),
        (_WAN22, "split_files/text_encoders/"),
    ),
    "wan-2-2-ti2v-5b": ComfyFiles(
        _WAN22,
        ("split_files/diffusion_models/wan2.2_ti2v_5B_fp16.safetensors",),
        (_WAN22, "split_files/vae/wan2.2_vae.safetensors"),
        (_WAN22, "split_files/text_encoders/"),
    ),
    "hunyuanvideo": ComfyFiles(
        "Comfy-Org/HunyuanVideo_repackaged",
        ("split_files/diffusion_models/hunyuan_video_t2v_720p_bf16.safetensors",),
        ("Comfy-Org/HunyuanVideo_repackaged", "split_files/vae/hunyuan_video_vae_bf16.safetensors"),
        ("Comfy-Org/HunyuanVideo_repackaged", "split_files/text_encoders/"),
    ),
    # the v0.9 checkpoint, the release city96's GGUF is converted from (ltx-video-2b-v0.9-*.gguf)
    "ltx-video": ComfyFiles("Lightricks/LTX-Video", ("ltx-video-2b-v0.9.safetensors",), checkpoint=True),
}
# The gated repositories above, each also its model's diffusers one: from_pretrained needs the licence accepted
# and a login there too.
GATED_REPOS = frozenset(f.repo for f in COMFY_FILES.values() if f.gated)


def comfy_files(model: DiffusionSpec) -> ComfyFiles | None:
    """The files ComfyUI loads for `model` as released; None where none is named here."""
    return COMFY_FILES.get(model.slug)


def t5_bits_tried(workload: DiffusionWorkload, backends) -> tuple[int, ...]:
    """The T5-XXL's bits per weight the answer is sized with, in order: the first one some plan fits with is
    kept (`diffusion.estimate_diffusion`), else the last.

    - 16 where the devices load no float8 (PyTorch on Apple silicon): the 8-bit file does not load there;
    - with the system RAM given (or assumed by the calculator), ComfyUI's examples' rule (T5_FILES' comment):
      16 with more than 32 GB, else 8. With more, the 16-bit one is the better encoder and the RAM holds it
      wherever ComfyUI offloads it; with less, it is the file those examples give "for lower memory usage";
    - without it (nothing asked of the system RAM: the GPUs alone), 16 where the GPUs hold it, else 8.
    """
    if any(b in NO_FLOAT8_BACKENDS for b in backends):
        return (16,)
    if workload.ram_bytes is None:
        return (16, 8)
    return (16,) if workload.ram_bytes > T5_16_BIT_ABOVE_RAM_BYTES else (8,)


def t5_bits(model: DiffusionSpec) -> int | None:
    """The T5-XXL's bits per weight in `model` as sized (`diffusion._in_format`); None without a T5."""
    t5 = next((c for c in model.components if c.name == T5_XXL), None)
    return None if t5 is None else round(t5.bytes_per_param * 8)
