"""Transformer LLMs, in the field names of their config.json."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, get_args

from django.db import models
from django.db.models import F, Q

from estimator import ModelSpec
from estimator.schema import LINEAR_ATTENTION_KINDS, MambaSsmDtype, longest_context

from ..llm_spec import llm_spec
from ..runtimes import BY_SLUG
from .base import Searchable, catalog_history

if TYPE_CHECKING:
    from .artifacts import Artifact


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
    # YaRN where the model card extends the context with it and config.json leaves it off (estimator ModelSpec)
    yarn_factor = models.FloatField(
        "YaRN factor",
        null=True,
        blank=True,
        help_text='config.json rope_scaling "factor" the model card gives for YaRN (Qwen3: 4.0); empty: no YaRN.',
    )
    yarn_original_context = models.PositiveIntegerField(
        "YaRN original context (tokens)",
        null=True,
        blank=True,
        help_text='rope_scaling "original_max_position_embeddings" (Qwen3: 32768): the context YaRN scales.',
    )
    rope_theta = models.FloatField(
        "RoPE theta",
        null=True,
        blank=True,
        help_text="config.json rope_theta (vLLM's YaRN override repeats it).",
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
    # Hybrid models: linear-attention (Gated DeltaNet: Qwen3-Next, Qwen3.5) or Mamba-2 (Granite 4.0-H) layers
    # keep a fixed-size state per sequence instead of a KV cache (`estimator.kv_cache.recurrent_state_values_per_layer`)
    linear_attention_layers = models.PositiveIntegerField(
        default=0,
        help_text='Layers of linear attention (config.json layer_types "linear_attention"): a recurrent '
        "state per sequence, no KV cache. 0 for a transformer whose layers all attend.",
    )
    linear_attention_kind = models.CharField(
        max_length=20,
        blank=True,
        choices=[("gated_delta_net", "Gated DeltaNet"), ("mamba2", "Mamba-2")],
        help_text='What the linear layers are. Mamba-2 (config.json layer_types "mamba") is spelled in the '
        "same fields: key heads = mamba_n_groups, key head size = mamba_d_state, value heads = mamba_n_heads, "
        "value head size = mamba_d_head, conv kernel = mamba_d_conv. Empty without linear layers.",
    )
    linear_num_key_heads = models.PositiveIntegerField(
        null=True, blank=True, help_text="Linear attention: query/key heads per layer."
    )
    linear_num_value_heads = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Linear attention: value heads per layer (a multiple of the key heads).",
    )
    linear_key_head_dim = models.PositiveIntegerField(
        null=True, blank=True, help_text="Linear attention: values per key head."
    )
    linear_value_head_dim = models.PositiveIntegerField(
        null=True, blank=True, help_text="Linear attention: values per value head."
    )
    linear_conv_kernel_dim = models.PositiveIntegerField(
        null=True, blank=True, help_text="Linear attention: width of the short convolution over q, k, v (4)."
    )
    mamba_ssm_dtype = models.CharField(
        "mamba_ssm_dtype",
        max_length=10,
        blank=True,
        choices=[(dtype, dtype) for dtype in get_args(MambaSsmDtype)],
        help_text="Linear attention: config.json's mamba_ssm_dtype, the dtype vLLM keeps the state's matrix in "
        "(empty: the model's own 16 bits).",
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
            models.CheckConstraint(
                condition=Q(linear_attention_layers__lte=F("num_hidden_layers")),
                name="llm_linear_layers_range",
                violation_error_message="Linear-attention layers cannot outnumber the model's layers.",
            ),
            # the recurrent state is sized from these five (`estimator.kv_cache.recurrent_state_values_per_layer`):
            # a fixture load, which skips clean(), must not store a hybrid model without them
            models.CheckConstraint(
                condition=Q(linear_attention_layers=0)
                | Q(
                    linear_num_key_heads__isnull=False,
                    linear_num_value_heads__isnull=False,
                    linear_key_head_dim__isnull=False,
                    linear_value_head_dim__isnull=False,
                    linear_conv_kernel_dim__isnull=False,
                ),
                name="llm_linear_dims_given",
                violation_error_message="Linear-attention layers need their heads, head sizes and conv kernel.",
            ),
            # the weights of a linear layer depend on its kind (`estimator.memory.linear_attention_params`)
            models.CheckConstraint(
                condition=Q(linear_attention_kind__in=LINEAR_ATTENTION_KINDS) | Q(linear_attention_layers=0),
                name="llm_linear_kind_given",
                violation_error_message="Linear-attention layers need their kind: Gated DeltaNet or Mamba-2.",
            ),
            models.CheckConstraint(
                condition=Q(linear_attention_kind__in=("", *LINEAR_ATTENTION_KINDS)),
                name="llm_linear_kind_known",
                violation_error_message="The linear layers' kind is Gated DeltaNet, Mamba-2 or empty.",
            ),
            models.CheckConstraint(
                condition=Q(yarn_factor__isnull=True, yarn_original_context__isnull=True)
                | Q(yarn_factor__gt=1, yarn_original_context__isnull=False),
                name="llm_yarn_together",
                violation_error_message="YaRN needs its factor (over 1) and the original context it scales.",
            ),
            models.CheckConstraint(
                condition=Q(linear_attention_layers=0)
                | Q(sliding_window_layers=0)
                | Q(sliding_window__isnull=True),
                name="llm_linear_or_window",
                violation_error_message="Sliding-window and linear-attention layers in one model are not supported.",
            ),
        ]

    def search_text(self) -> str:
        return f"{self.name} {self.slug} {self.hf_id} {self.family}"

    @property
    def params_read_b(self) -> float:
        """Billions of parameters a token reads: an MoE's active ones, else all (as `ModelSpec.active_params`)."""
        return self.active_params_b or self.total_params_b or 0.0

    @property
    def is_moe(self) -> bool:
        return bool(self.num_experts and self.num_experts > 1)

    @property
    def longest_context(self) -> int | None:
        """The longest context it reads, with YaRN where it has it (the engine's `longest_context`)."""
        return longest_context(self.max_position_embeddings, self.yarn_factor, self.yarn_original_context)

    def context_limit(self, runtime: str) -> int | None:
        """The longest context under a runtime of the calculator (its slug): with YaRN where that
        runtime's command turns it on (`RuntimeInfo.yarn`), else as released."""
        info = BY_SLUG.get(runtime)
        return self.longest_context if info is not None and info.yarn else self.max_position_embeddings

    def as_spec(self, *, artifacts: Iterable["Artifact"] = ()) -> ModelSpec:
        """The engine's model (catalog/llm_spec.py, as bench/ reads the fixture); `artifacts` (this model's
        published weights) go into the launch commands."""
        fields = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}
        return llm_spec(fields, artifacts=(a.as_spec() for a in artifacts))
