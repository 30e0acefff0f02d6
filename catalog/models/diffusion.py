"""Image and video diffusion pipelines."""

from typing import Literal

import pydantic
from django.core.exceptions import ValidationError
from django.db import models

from estimator import DiffusionComponent, DiffusionSpec

from .base import Searchable, catalog_history

DTYPE_BYTES = {"float32": 4.0, "float16": 2.0, "bfloat16": 2.0, "float8": 1.0, "int8": 1.0, "int4": 0.5}


class ComponentRow(pydantic.BaseModel):
    """One entry of DiffusionModel.components."""

    model_config = pydantic.ConfigDict(extra="forbid")

    name: str = pydantic.Field(min_length=1)
    role: Literal["text_encoder", "denoiser", "vae", "other"]
    params_b: float | None = pydantic.Field(gt=0)
    dtype: Literal["float32", "float16", "bfloat16", "float8", "int8", "int4"]
    source: str = ""


class DiffusionModel(Searchable):
    """An image or video diffusion pipeline: text encoders, a denoiser and a VAE, each with its size."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGE, db_index=True)
    hf_id = models.CharField("Hugging Face id", max_length=200, blank=True)
    components = models.JSONField(
        default=list,
        help_text='[{"name": ..., "role": "text_encoder|denoiser|vae", "params_b": ..., "dtype": ...}]',
    )
    license = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    history = catalog_history()

    class Meta(Searchable.Meta):
        verbose_name = "diffusion model"

    def search_text(self) -> str:
        return f"{self.name} {self.slug} {self.hf_id}"

    def clean(self):
        if not isinstance(self.components, list) or not self.components:
            raise ValidationError({"components": "Give at least one component."})
        for i, component in enumerate(self.components):
            try:
                ComponentRow.model_validate(component)
            except pydantic.ValidationError as e:
                problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
                raise ValidationError({"components": f"Component {i + 1}: {problems}"}) from None
        if not any(c["role"] == "denoiser" and c.get("params_b") for c in self.components):
            raise ValidationError({"components": "One component must be the denoiser, with its size."})
        super().clean()

    @property
    def total_params_b(self) -> float:
        return sum(c.get("params_b") or 0 for c in self.components)

    @property
    def denoiser_params_b(self) -> float | None:
        return next((c["params_b"] for c in self.components if c["role"] == "denoiser"), None)

    def as_spec(self) -> DiffusionSpec:
        """Components whose size no source gave (params_b null) are left out; the notes say which."""
        return DiffusionSpec(
            slug=self.slug,
            name=self.name,
            hf_id=self.hf_id or None,
            components=tuple(
                DiffusionComponent(
                    name=c["name"],
                    role=c["role"],
                    params_b=c["params_b"],
                    bytes_per_param=DTYPE_BYTES[c["dtype"]],
                )
                for c in self.components
                if c.get("params_b")
            ),
        )
