"""Every way to run an image or video model over the hardware, defined once: how the page writes it, the
glossary term that explains it, whether it runs several pipelines at once, why it is recommended, and how
ComfyUI and diffusers run it. The engine, the launch commands and the page all read it here; so are the
ways the calculator does not size (`NOT_OFFERED`).

The order is the order of preference when several fit and none runs pipelines in parallel (fastest
first; `diffusion.estimate_diffusion`).
"""

from dataclasses import dataclass, replace
from typing import Literal

# In the order the API's schema lists them (DiffusionPlan.strategy), which is not the preference's.
DiffusionStrategy = Literal[
    "all_on_gpu",
    "component_offload",
    "sequential_offload",
    "one_image_per_gpu",
    "offload_per_gpu",
    "pipeline_per_pair",
]


@dataclass(frozen=True)
class WholePipelineInRam:
    """The diffusers code of a plan of one process per GPU, each process loading its whole pipeline into
    system RAM (`diffusion_commands.diffusers_ram_bytes`): for how long it holds it there, and what to do
    when the RAM is short of that for every process."""

    held: str
    if_short: str
    # said only where the pipeline as loaded is larger than the plan's components (a plan that keeps all of
    # them in system RAM once, as sequential offload does)
    beyond_plan: bool = False


@dataclass(frozen=True)
class DiffusionStrategyInfo:
    title: str  # a heading or a table cell: "One image per GPU"
    term: str  # the glossary page that explains it
    # several pipelines at once, one process each: the plan's images per minute are theirs added up
    parallel: bool
    # DiffusionEstimate.reason when it is recommended, filled with `str.format`: {denoiser} (its name),
    # {gpu} (the largest GPU's), {gpus} (how many the plan uses); sequential offload's {streamed} and {cost}
    reason: str
    # ComfyUI's memory flag (comfy/cli_args.py vram_group: --gpu-only "Store and run everything (text
    # encoders/CLIP models, etc... on the GPU)"; --normalvram, its default, unloads models to RAM after use;
    # --lowvram "Split the unet in parts to use less vram"); None: ComfyUI's core runs no such plan
    comfyui_flag: str | None
    # what the diffusers code does with the loaded pipeline ({device}: "cuda", or "mps" on Apple silicon)
    diffusers_call: str
    # over two GPUs, one pipeline's components spread between them (diffusers' device_map="balanced")
    balanced: bool = False
    # where each process of the diffusers code holds its whole pipeline in system RAM, more than the plan's
    diffusers_ram: WholePipelineInRam | None = None
    # the diffusers code loads a T5-XXL sized at 8 bits with bitsandbytes, as diffusers' bitsandbytes guide does
    # for FLUX (https://huggingface.co/docs/diffusers/quantization/bitsandbytes: pipe.to() or
    # enable_model_cpu_offload(), device_map); False where the plan's offload is not documented with 8-bit models
    bitsandbytes: bool = True

    @property
    def label(self) -> str:
        """The title inside a sentence: "everything on one GPU", "component offload"."""
        return self.title[0].lower() + self.title[1:]

    def worded(self, video: bool) -> "DiffusionStrategyInfo":
        """The strategy as a video model's answer words it: "One video per GPU", not "One image" (a review: Wan
        2.1 read "with one image per GPU ... 2 videos at a time"); its label follows its title."""
        if not video:
            return self
        return replace(
            self, title=self.title.replace("image", "video"), reason=self.reason.replace("image", "video")
        )


DIFFUSION_STRATEGIES: dict[DiffusionStrategy, DiffusionStrategyInfo] = {
    "all_on_gpu": DiffusionStrategyInfo(
        title="Everything on one GPU",
        term="vram",
        parallel=False,
        reason="Everything fits on one GPU, the fastest way.",
        comfyui_flag="--gpu-only",
        diffusers_call='pipe.to("{device}")',
    ),
    # the text encoders and VAE in system RAM, or on a second GPU where there is one
    "component_offload": DiffusionStrategyInfo(
        title="Component offload",
        term="component-offload",
        parallel=False,
        reason="{denoiser} alone fits on {gpu}; the other components go elsewhere.",
        comfyui_flag="--normalvram",
        diffusers_call="pipe.enable_model_cpu_offload()",
        balanced=True,
    ),
    "one_image_per_gpu": DiffusionStrategyInfo(
        title="One image per GPU",
        term="data-parallelism",
        parallel=True,
        reason="Each GPU holds the whole pipeline: one image per GPU at a time.",
        comfyui_flag="--gpu-only",
        diffusers_call='pipe.to("{device}")',
        # from_pretrained loads into system RAM and pipe.to() moves it: all at once, the processes starting together
        diffusers_ram=WholePipelineInRam(
            held="until pipe.to() moves it to its GPU, all processes at once as they start together",
            if_short="start each process once the one before has moved its pipeline to its GPU",
        ),
    ),
    "pipeline_per_pair": DiffusionStrategyInfo(
        title="One pipeline per GPU pair",
        term="data-parallelism",
        parallel=True,
        reason="{denoiser} alone fits on a GPU: one pipeline per pair of GPUs, the other components on the "
        "partner.",
        comfyui_flag=None,  # its core runs one GPU per process (--cuda-device)
        diffusers_call="",  # device_map="balanced" places each pipeline over its pair
        balanced=True,
    ),
    "offload_per_gpu": DiffusionStrategyInfo(
        title="One offloaded pipeline per GPU",
        term="component-offload",
        parallel=True,
        reason="{denoiser} fits on each of {gpus} GPUs: one pipeline per GPU, each process keeping its own copy "
        "of the other components in system RAM.",
        comfyui_flag="--normalvram",
        diffusers_call="pipe.enable_model_cpu_offload()",
        # enable_model_cpu_offload moves each model back to the CPU after its use, the denoiser too, where the
        # plan (as ComfyUI runs it) keeps the denoiser on the GPU and only the other components in RAM
        diffusers_ram=WholePipelineInRam(
            held="for as long as it runs (enable_model_cpu_offload moves each model back after use)",
            if_short="run the ComfyUI command, which keeps only the text encoders and VAE there",
        ),
    ),
    # the weights copied to the GPU as they run (component-offload's page, "The tools"), not layers computed by
    # the CPU (cpu-offload's page: llama.cpp's -ngl)
    "sequential_offload": DiffusionStrategyInfo(
        title="Sequential offload",
        term="component-offload",
        parallel=False,
        reason="Only sequential offload fits: {streamed} is copied from system RAM at every step{cost}.",
        comfyui_flag="--lowvram",
        diffusers_call="pipe.enable_sequential_cpu_offload()",
        # accelerate moves an 8-bit bitsandbytes model module by module only from accelerate 1.13 and
        # bitsandbytes 0.48 (diffusers' pipeline_utils.py at 58eb52c0, module_is_sequentially_offloaded): the T5
        # stays as released, and the RAM it then needs is said where it is more than the plan's
        bitsandbytes=False,
        diffusers_ram=WholePipelineInRam(
            held="as it loads it",
            if_short="run the ComfyUI command, which loads the smaller files",
            beyond_plan=True,
        ),
    ),
}


@dataclass(frozen=True)
class NotOffered:
    """A way to split a model that the calculator does not size for an image model, and why."""

    title: str
    why: str  # DiffusionEstimate.not_supported, of a diffusion transformer (FLUX.1, SD 3.5, Qwen-Image, Wan)
    source: tuple[str, str] | None = None  # where a visitor reads more: (its name, its URL)
    # the same of a UNet (SD 1.5, SDXL: DenoiserShape.kind "unet"), where it is worded otherwise
    unet_why: str | None = None

    def why_for(self, kind: str | None) -> str:
        """Why, in the words of the model's denoiser (its shape's kind; None: unknown, said as a transformer's):
        a review read "one pass of the whole transformer" on SDXL's result, whose denoiser is a UNet."""
        return self.unet_why if kind == "unet" and self.unet_why else self.why


NOT_OFFERED: dict[str, NotOffered] = {
    # diffusers splits a transformer's steps with ContextParallelConfig (Ring and Ulysses attention) and, from
    # v0.40.0, TensorParallelConfig (https://huggingface.co/docs/diffusers/v0.40.0/api/parallel); Wan2.1 and
    # HunyuanVideo's own scripts with xDiT. The calculator has no published timing of either to size them by.
    "tensor_parallel": NotOffered(
        title="Tensor or context parallelism",
        why=(
            "A denoising step is one pass of the whole transformer over all the latent's tokens (thousands for "
            "an image, tens of thousands for a video), repeated 20–50 times; splitting each step over GPUs "
            "exchanges activations inside every block at every step. diffusers does it for diffusion "
            "transformers (context parallelism with ContextParallelConfig, tensor parallelism with "
            "TensorParallelConfig), and Wan2.1's and HunyuanVideo's scripts with xDiT; ComfyUI's core runs one "
            "GPU per process. What it gains depends on the link between the GPUs, and no published timing "
            "calibrates it here, so the calculator does not size it. Component offload frees the memory, and "
            "one pipeline per GPU adds images per minute, without that traffic."
        ),
        source=("diffusers' parallelism API", "https://huggingface.co/docs/diffusers/v0.40.0/api/parallel"),
        # that page: "Parallelism strategies help speed up diffusion transformers by distributing computations
        # across multiple devices"
        unet_why=(
            "A denoising step is one pass of the whole UNet over the whole latent image, repeated 20–50 times; "
            "splitting each step over GPUs exchanges activations inside every block at every step. diffusers' "
            "parallelism (ContextParallelConfig, TensorParallelConfig) is for diffusion transformers, not a "
            "UNet, and ComfyUI's core runs one GPU per process. No published timing calibrates such a split "
            "here, so the calculator does not size it. Component offload frees the memory, and one pipeline "
            "per GPU adds images per minute, without that traffic."
        ),
    ),
    "layer_split": NotOffered(
        title="Layer split",
        why=(
            "Splitting the denoiser's layers over GPUs makes every step wait on each GPU in turn and hand the "
            "latents across at every step, with one image in flight there is nothing to overlap. Putting the "
            "text encoders and VAE on the second GPU frees the memory instead."
        ),
    ),
}
