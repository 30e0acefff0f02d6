"""An image or video model's pipeline, the question asked of it and the plans answered: the frozen specs of
`estimate_diffusion`, which also give the API its schema (calculator/diffusion_answer.py)."""

from typing import Literal

from pydantic import Field

from .diffusion_speed import DenoiserShape, Timing
from .diffusion_strategies import DiffusionStrategy
from .schema import DeviceUsage, Explanation, Frozen
from .units import MIB

Role = Literal["denoiser", "text_encoder", "vae", "other"]
DEFAULT_HEADROOM_BYTES = 512 * MIB


class DiffusionComponent(Frozen):
    name: str
    params_b: float = Field(gt=0)
    bytes_per_param: float = Field(gt=0, le=4, description="2 for bf16/fp16, 1 for fp8, 0.5 for 4-bit")
    role: Role = "other"

    @property
    def weights_bytes(self) -> int:
        return int(self.params_b * 1e9 * self.bytes_per_param)


class DiffusionSpec(Frozen):
    slug: str
    name: str
    components: tuple[DiffusionComponent, ...] = Field(min_length=1)
    hf_id: str | None = None
    shape: DenoiserShape | None = Field(default=None, description="the denoiser's geometry, for its speed")
    diffusers_repo: str | None = Field(default=None, description="the diffusers-format repository")

    @property
    def denoiser(self) -> DiffusionComponent:
        """The denoiser that runs first (the one kept on the GPU by the offload plans)."""
        return self.denoisers[0]

    @property
    def denoisers(self) -> tuple[DiffusionComponent, ...]:
        """Every denoiser of the pipeline, the first one first: Wan 2.2 A14B has two experts, diffusers'
        WanPipeline `transformer` (high-noise steps) and `transformer_2` (low-noise steps), both stored in
        the denoiser's format. A pipeline with none marked: its largest component."""
        return tuple(c for c in self.components if c.role == "denoiser") or (
            max(self.components, key=lambda c: c.params_b),
        )

    @property
    def parameters_text(self) -> str:
        """Its size as people know it, the denoiser apart from the text encoders: "12 B denoiser + 4.9 B text
        encoders" (FLUX.1 [dev]: CLIP-L 0.123 B + T5-XXL 4.762 B beside its 12 B transformer; a review read
        "17 B parameters" against the 12B everyone names), "2 × 14 B denoisers + 5.7 B text encoder" (Wan 2.2
        A14B's experts). The VAE, a few tenths of a billion where known, is left out."""
        denoisers = self.denoisers
        sizes = {d.params_b for d in denoisers}
        text = (
            f"{billions(denoisers[0].params_b)} denoiser"
            if len(denoisers) == 1
            else f"{len(denoisers)} × {billions(denoisers[0].params_b)} denoisers"
            if len(sizes) == 1
            else f"{billions(sum(d.params_b for d in denoisers))} of denoisers"
        )
        encoders = [c for c in self.components if c.role == "text_encoder"]
        if encoders:
            plural = "s" if len(encoders) > 1 else ""
            text += f" + {billions(sum(c.params_b for c in encoders))} text encoder{plural}"
        return text


def billions(params_b: float) -> str:
    """12.0 → "12 B", 4.885 → "4.9 B", 0.86 → "0.86 B": a tenth of a billion from one up, two figures below."""
    figure = f"{params_b:.1f}" if params_b >= 1 else f"{params_b:.2g}"
    return figure.removesuffix(".0") + " B"


class DiffusionWorkload(Frozen):
    width: int = Field(default=1024, gt=0, le=8192)
    height: int = Field(default=1024, gt=0, le=8192)
    images: int = Field(default=1, gt=0, le=64, description="images per batch")
    steps: int = Field(default=28, gt=0, le=1000)
    frames: int = Field(default=1, gt=0, le=1024, description="video frames; 1 for an image")
    denoiser_format: str = Field(default="bf16", max_length=20, description="weight format of the denoiser")
    denoiser_bits: float | None = Field(
        default=None, gt=0, le=32, description="bits per weight of the denoiser; None: as released"
    )
    ram_bytes: int | None = Field(default=None, gt=0)
    headroom_bytes: int = Field(default=DEFAULT_HEADROOM_BYTES, ge=0)


class DiffusionPlan(Frozen):
    strategy: DiffusionStrategy
    devices: tuple[DeviceUsage, ...]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    images_in_parallel: int = 1
    vae_tiled: bool = Field(
        default=False,
        description="the VAE decodes the picture in tiles: its whole decode does not fit on the GPU that runs it",
    )
    rank: int = 0
    placement: dict[str, str] = Field(default_factory=dict, description="component name -> device name")
    timing: Timing | None = Field(default=None, description="one image or video on the slowest GPU")
    images_per_minute: float | None = None
    commands: dict[str, str] = Field(default_factory=dict, description="comfyui, diffusers")
    command_timing: dict[str, Timing] = Field(
        default_factory=dict, description="each command's time per image or video, by the key of `commands`"
    )
    command_ram_bytes: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "the system RAM a command needs where it is more than the plan's, by the key of `commands`: the "
            "diffusers code of one process per GPU, each holding its whole pipeline there"
        ),
    )
    processes: tuple[tuple[int, ...], ...] = Field(
        default=(),
        description=(
            "where the plan runs one process per pipeline: each one's GPUs by their place in the question's "
            "list, from 0 (CUDA_VISIBLE_DEVICES, ComfyUI's --cuda-device); the denoiser's first"
        ),
    )

    @property
    def fits(self) -> bool:
        return bool(self.devices) and all(d.fits for d in self.devices)

    @property
    def gpus_used(self) -> int:
        """How many GPUs the plan puts something on: a verdict over more GPUs than that says so."""
        return sum(1 for d in self.devices if d.kind != "host")

    @property
    def tight(self) -> bool:
        """Fits with less than a tenth of a device free (DeviceUsage.tight), as an LLM plan."""
        return self.fits and any(d.tight for d in self.devices)


class DiffusionEstimate(Frozen):
    model: str
    plans: tuple[DiffusionPlan, ...]
    recommended: DiffusionStrategy | None
    reason: str
    not_supported: dict[str, str]
    explanations: dict[str, Explanation]
    text_encoder: str = Field(
        default="", description="the T5-XXL text encoder file the memory and times assume; empty without a T5"
    )

    @property
    def recommended_plan(self) -> DiffusionPlan | None:
        return next((p for p in self.plans if p.strategy == self.recommended), None)


class DiffusionSuggestion(Frozen):
    """A computed "what to change" for an image or video question (`diffusion_suggest`): the question with
    `changes` (query parameters: {"quant": "q6_k"}, {"width": 768, "height": 768}, {"ram_gb": 32}) runs by
    `plan`, and does better than as asked for the reasons `why`."""

    kind: Literal["wider_format", "smaller_format", "smaller_picture", "ram"]
    changes: dict[str, str | int]
    plan: DiffusionPlan
    ram_bytes: int = Field(
        description="the system RAM it needs in the question's terms: the size its answer assumed where the "
        "question gives none, else what the plan keeps there; 0 on the GPUs alone"
    )
    why: tuple[Literal["fits", "less_ram", "faster", "keeps_more"], ...]
