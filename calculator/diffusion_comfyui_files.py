"""The files the ComfyUI command names, as its sources name them: the engine's comment lines
(estimator/diffusion_commands.py, from estimator/diffusion_files.py) with what they leave out said, for the page,
a shared answer and the API alike.

- FLUX.1's second text encoder: the engine names the T5-XXL file "with the other text encoders"; FLUX.1 has one
  other, CLIP-L, in the same repository.
- The folder of a repository a VAE is in: the Comfy-Org repackages keep it under split_files/vae/, where the
  repository's top level does not show it.
"""

from estimator.diffusion_files import COMFY_FILES, COMFY_TEXT_ENCODER_FOLDER, COMFY_VAE_FOLDER, T5_REPO
from estimator.diffusion_schema import DiffusionPlan

# ComfyUI's FLUX examples (github:comfyanonymous/ComfyUI_examples at f9431bb, flux/README.md, "Files to download
# for the regular version"): "If you don't have t5xxl_fp16.safetensors or clip_l.safetensors already in your
# ComfyUI/models/text_encoders/ directory you can find them on: [this link.]
# (https://huggingface.co/comfyanonymous/flux_text_encoders/tree/main)" (the engine's T5_REPO); FLUX.1 Kontext
# [dev] is among its "Flux Extras", which "might require that you have some of the regular flux files". The
# repository holds clip_l.safetensors at its top level, beside the T5-XXL files (its file list; commit 168aff5,
# "Add model").
CLIP_L = "clip_l.safetensors"
WITH_CLIP_L = frozenset({"flux-1-dev", "flux-1-schnell", "flux-1-kontext-dev"})
OTHER_ENCODERS = f" from https://huggingface.co/{T5_REPO}, with the other text encoders"  # the engine's words


def named_commands(plan: DiffusionPlan, model: str) -> dict[str, str]:
    """The plan's commands for `model` (a catalog slug), the ComfyUI one naming its files (`comfyui_files_named`)."""
    return {
        key: comfyui_files_named(command, model) if key == "comfyui" else command
        for key, command in plan.commands.items()
    }


def comfyui_files_named(command: str, model: str) -> str:
    """The ComfyUI command of `model` (a catalog slug), its comment lines naming FLUX.1's CLIP-L beside the
    T5-XXL and the folder a VAE is in inside its repository; every other line as the engine wrote it."""
    return "\n".join(_named(line, model) for line in command.split("\n"))


def _named(line: str, model: str) -> str:
    if (
        model in WITH_CLIP_L
        and line.startswith(f"# {COMFY_TEXT_ENCODER_FOLDER}: ")
        and line.endswith(OTHER_ENCODERS)
    ):
        return (
            f"{line.removesuffix(OTHER_ENCODERS)} and {CLIP_L} (CLIP-L) from https://huggingface.co/{T5_REPO}"
        )
    files = COMFY_FILES.get(model)
    if files is None or files.vae is None or "/" not in files.vae[1]:
        return line
    repo, path = files.vae
    folder, name = path.rsplit("/", 1)
    if line == f"# {COMFY_VAE_FOLDER}: {name} (the VAE) from https://huggingface.co/{repo}":
        return f"{line} ({folder}/)"
    return line
