"""Published speed measurements."""

from django.db import models
from django.db.models import Q

from .base import CatalogQuerySet, CatalogRow, catalog_history
from .formats import Quantization
from .gpus import Gpu
from .llms import LlmModel


class MeasurementQuerySet(CatalogQuerySet):
    def for_question(self, *, gpu: str, gpu_count: int, llm: str, quantization: str):
        """Measurements of this model at this format on `gpu_count` GPUs of kind `gpu` (slugs)."""
        return self.filter(gpu__slug=gpu, gpu_count=gpu_count, llm__slug=llm, quantization__slug=quantization)


class Measurement(CatalogRow):
    """A published speed measurement (llama-bench `tg128` / `pp512`, ...), shown beside the estimate."""

    class Metric(models.TextChoices):
        DECODE = "decode_tok_s", "Decode (tokens/s)"
        PREFILL = "prefill_tok_s", "Prompt processing (tokens/s)"

    class Backend(models.TextChoices):
        CUDA = "cuda", "CUDA"
        ROCM = "rocm", "ROCm"
        METAL = "metal", "Metal"
        VULKAN = "vulkan", "Vulkan"
        SYCL = "sycl", "SYCL"
        CPU = "cpu", "CPU"

    class SourceQuality(models.TextChoices):
        PRIMARY = "primary", "Primary: the measurer's own published result"
        SECONDARY_CHECKED = "secondary_checked", "Secondary transcription, cross-checked"
        SECONDARY = "secondary", "Secondary transcription, not cross-checked"
        UNASSESSED = "unassessed", "Not assessed"

    class SplitMode(models.TextChoices):
        NONE = "none", "One GPU (-sm none)"
        LAYER = "layer", "Layer split (-sm layer)"
        ROW = "row", "Row split (-sm row)"
        TENSOR_PARALLEL = "tensor_parallel", "Tensor parallel"

    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="Stable identity for fixture loads: model, format, GPU, test, source.",
    )
    gpu = models.ForeignKey(Gpu, on_delete=models.PROTECT, related_name="measurements")
    gpu_count = models.PositiveSmallIntegerField(
        "GPUs", default=1, help_text="GPUs of this kind the run used."
    )
    llm = models.ForeignKey(
        LlmModel, on_delete=models.PROTECT, related_name="measurements", verbose_name="LLM"
    )
    quantization = models.ForeignKey(Quantization, on_delete=models.PROTECT, related_name="measurements")
    runtime = models.CharField(max_length=40, default="llama.cpp", help_text="e.g. llama.cpp, vLLM")
    backend = models.CharField(max_length=20, choices=Backend.choices, db_index=True)
    metric = models.CharField(max_length=20, choices=Metric.choices, db_index=True)
    test = models.CharField(max_length=40, blank=True, help_text="llama-bench test: tg128, pp512, ...")
    value = models.FloatField("value (tokens/s)", help_text="Tokens per second, as published.")
    context_tokens = models.PositiveIntegerField(
        "context (tokens)",
        default=0,
        help_text="Tokens already in the context when measured (llama-bench: 0).",
    )
    split_mode = models.CharField(max_length=20, choices=SplitMode.choices, default=SplitMode.NONE)
    source = models.TextField(help_text="Where the number was published (URL and transcription).")
    source_quality = models.CharField(
        max_length=20,
        choices=SourceQuality.choices,
        default=SourceQuality.UNASSESSED,
        help_text="How directly the number comes from the measurement; details go in the notes.",
    )
    date = models.DateField(
        null=True, blank=True, help_text="When it was measured, or published where the source gives no date."
    )
    runtime_build = models.CharField(
        max_length=60,
        blank=True,
        help_text="The runtime's version or build: llama.cpp b4120, commit 8e672ef.",
    )
    flags = models.CharField(
        max_length=300, blank=True, help_text="Flags as run, e.g. llama-bench -p 512 -n 128 -ngl 99 -fa 1."
    )
    notes = models.TextField(blank=True)
    history = catalog_history()

    objects = MeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=0),
                name="measurement_value_positive",
                violation_error_message="A speed must be more than 0 tokens/s.",
            ),
            models.CheckConstraint(
                condition=Q(gpu_count__gt=0),
                name="measurement_gpu_count_positive",
                violation_error_message="At least one GPU.",
            ),
        ]
        indexes = [models.Index(fields=["llm", "quantization", "gpu", "gpu_count"])]

    def __str__(self):
        count = f"{self.gpu_count}× " if self.gpu_count > 1 else ""
        return f"{self.test or self.metric} {self.value:g} tok/s on {count}{self.gpu} ({self.backend})"

    @property
    def source_url(self) -> str:
        """The first URL of `source` (which goes on to say how the number was transcribed)."""
        first = self.source.split()[0] if self.source else ""
        return first if first.startswith(("https://", "http://")) else ""
