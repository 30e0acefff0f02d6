"""Where a model's weights are published."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import slugify

from estimator.schema import ArtifactSpec

from .. import artifacts as artifact_shape
from .base import CatalogRow, catalog_history, free_slug
from .llms import LlmModel


class Artifact(CatalogRow):
    """Where a model's weights are published in one kind of file: a Hugging Face repository (GGUF
    files, an MLX conversion, the original safetensors, AWQ, GPTQ, FP8, MXFP4) or an Ollama library tag.

    The launch commands name only these (`as_spec()` hands them to the engine); where none is known
    for the chosen format, the command says so and leaves the visitor's own path. Each row says which
    page shows it exists (fixtures/sources/model_artifacts.md tells how they were checked).
    """

    class Kind(models.TextChoices):
        GGUF = "gguf", "GGUF (llama.cpp, Ollama)"
        OLLAMA = "ollama", "Ollama library"
        MLX = "mlx", "MLX (mlx-lm)"
        SAFETENSORS = "safetensors", "Safetensors (original weights)"
        AWQ = "awq", "AWQ"
        GPTQ = "gptq", "GPTQ"
        FP8 = "fp8", "FP8"
        MXFP4 = "mxfp4", "MXFP4"

    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        help_text="Stable identity for fixture loads; left empty, it is made from the model, kind, "
        "repository and tag.",
    )
    llm = models.ForeignKey(LlmModel, on_delete=models.CASCADE, related_name="artifacts", verbose_name="LLM")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    repo = models.CharField(
        "repository",
        max_length=200,
        help_text="Hugging Face repo id (owner/name); for Ollama, the library name (llama3.3).",
    )
    tag = models.CharField(
        max_length=300,
        blank=True,
        help_text="GGUF: the file pattern, {QUANT} for the upper-case format name (Q4_K_M), {quant} for "
        "lower case, * where names vary. Ollama: the tag (70b, latest). MLX: the bits (4bit, bf16). "
        "Others: empty.",
    )
    formats = models.JSONField(
        default=list,
        blank=True,
        help_text='Catalog format slugs it provides, only those a source lists: ["q4_k_m", "q8_0"].',
    )
    files = models.JSONField(
        default=dict,
        blank=True,
        help_text='GGUF: how many files a source lists for a format, where it lists them: {"q4_k_m": 2, '
        '"q3_k_m": 1}. More than one: llama.cpp\'s parts (<name>-00001-of-00002.gguf).',
    )
    part_gb = models.FloatField(
        "largest file (GB)",
        null=True,
        blank=True,
        help_text="GGUF: the largest file the publisher uploads, where it splits files below the Hub's own "
        "limit (Qwen's Qwen2.5 repositories: 4). Empty: the Hub's limit when the catalog's repositories "
        "were uploaded, 50 GB.",
    )
    parts_tag = models.CharField(
        "parts pattern",
        max_length=300,
        blank=True,
        help_text="GGUF: where a format's parts are, when not beside the file the tag names: "
        "Name-{QUANT}/Name-{QUANT}-*.gguf.",
    )
    variant = models.BooleanField(
        default=False,
        help_text="Another checkpoint than this model's (its Instruct fine-tune, a later revision): listed "
        "here, never named by the launch commands.",
    )
    publisher = models.CharField(max_length=100, blank=True)
    source_url = models.URLField(
        "source URL", max_length=500, help_text="A page that shows this repository or tag exists."
    )
    checked = models.DateField(null=True, blank=True, help_text="When the source was last checked.")
    note = models.TextField(blank=True, help_text="What the source says; variants, gating, split files.")
    history = catalog_history()

    class Meta:
        ordering = ["llm", "kind", "repo", "tag"]
        constraints = [
            models.UniqueConstraint(
                fields=["llm", "kind", "repo", "tag"],
                name="artifact_unique",
                violation_error_message="This model already has this artifact.",
            ),
            models.CheckConstraint(
                condition=Q(part_gb__isnull=True) | Q(part_gb__gt=0),
                name="artifact_part_gb_positive",
                violation_error_message="The largest file is more than 0 GB.",
            ),
        ]

    def __str__(self):
        return f"{self.repo}:{self.tag}" if self.tag else self.repo

    def save(self, *args, **kwargs):
        """A new row without a slug gets one from its model, kind, repository and tag (see Price.save)."""
        if not self.slug:
            self.slug = free_slug(
                Artifact, slugify(f"{self.llm.slug} {self.kind} {self.repo} {self.tag}")[:190]
            )
        super().save(*args, **kwargs)

    def clean(self):
        """The shape of the repository id and tag for this kind (catalog/artifacts.py); whether the
        formats exist is checked by the admin form and `manage.py check_artifacts`, which can read them
        all at once."""
        super().clean()
        found = artifact_shape.problems(
            kind=self.kind,
            repo=self.repo,
            tag=self.tag,
            formats=self.formats,
            families=None,
            files=self.files,
            part_gb=self.part_gb,
            parts_tag=self.parts_tag,
        )
        if not isinstance(self.formats, list) or not all(isinstance(f, str) for f in self.formats):
            found["formats"] = ['Formats are a list of catalog format slugs, like ["q4_k_m", "q8_0"].']
        if found:
            raise ValidationError(found)

    @property
    def url(self) -> str:
        """The artifact's page: its Hub repository, or its Ollama library page."""
        if self.kind == self.Kind.OLLAMA:
            page = self.repo if "/" in self.repo else f"library/{self.repo}"
            return f"https://ollama.com/{page}:{self.tag}" if self.tag else f"https://ollama.com/{page}"
        return f"https://huggingface.co/{self.repo}"

    def as_spec(self) -> ArtifactSpec:
        return ArtifactSpec(
            kind=self.kind,
            repo=self.repo,
            tag=self.tag or None,
            formats=tuple(self.formats or ()),
            files=tuple(sorted((self.files or {}).items())),
            part_gb=self.part_gb,
            parts_tag=self.parts_tag or None,
        )
