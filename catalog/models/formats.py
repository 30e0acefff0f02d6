"""Weight formats and KV cache element types."""

from django.db import models
from django.db.models import Q

from estimator import QuantSpec

from ..runtimes import loads_checkpoint
from .base import Searchable, catalog_history


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

    # Checkpoints whose tool quantizes the decoder's linear layers only, keeping the token embeddings
    # and the output head at 16 bits: AutoAWQ replaces the linears of `get_model_layers` (the decoder
    # blocks) and moves `embed_tokens` aside untouched
    # (https://github.com/casper-hansen/AutoAWQ/blob/727172e91ddfd3f5f50efd7cf38a141168186335/awq/models/llama.py);
    # llm-compressor's FP8 and GPTQ recipes target "Linear" with ignore=["lm_head"]
    # (https://github.com/vllm-project/llm-compressor/blob/main/examples/big_models_with_accelerate/cpu_offloading_fp8.py),
    # and an embedding is not a Linear; bitsandbytes skips lm_head by default. Llama 3.1 8B in AWQ is
    # then ~5.7 GB, not the 4.2 GB of 4.16 bits throughout.
    SIXTEEN_BIT_ENDS = {Family.AWQ, Family.GPTQ, Family.FP8, Family.BITSANDBYTES}

    # The publisher's MXFP4 checkpoint, which vLLM and SGLang load (no GGUF), quantizes the routed experts
    # only: openai/gpt-oss-120b's config.json has "quantization_config": {"quant_method": "mxfp4",
    # "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
    # "model.embed_tokens", "lm_head"]} (https://huggingface.co/openai/gpt-oss-120b/blob/main/config.json),
    # and those stay BF16: 114.7 B experts × 4.25 bits + 2.1 B × 16 = 65.2 GB, the size of the release,
    # ~2 GB more than the GGUF mix's Q8_0 rest.
    CHECKPOINT_REST_BITS = 16.0

    def widths(self, checkpoint: bool = False) -> dict[str, float | None]:
        """The engine's bits per weight of each tensor class: the row's own, else its family's default
        (an MXFP4 row with one width is llama.cpp's MXFP4_MOE mix in a GGUF, and BF16 around the experts
        in an MoE's published checkpoint, which `checkpoint` runtimes load; AWQ, GPTQ, FP8 and
        bitsandbytes keep 16-bit embeddings and head)."""
        if self.family == self.Family.MXFP4 and self.expert_bits_per_weight is None:
            if checkpoint:
                rest = self.CHECKPOINT_REST_BITS
                return {
                    "bits_per_weight": rest,
                    "expert_bits_per_weight": self.bits_per_weight,
                    "output_bits_per_weight": rest,
                    "embedding_bits_per_weight": rest,
                }
            return {
                "bits_per_weight": self.Q8_0_BITS_PER_WEIGHT,
                "expert_bits_per_weight": self.bits_per_weight,
                "output_bits_per_weight": self.output_bits_per_weight or self.Q8_0_BITS_PER_WEIGHT,
            }
        sixteen = 16.0 if self.family in self.SIXTEEN_BIT_ENDS else None
        return {
            "bits_per_weight": self.bits_per_weight,
            "expert_bits_per_weight": self.expert_bits_per_weight,
            "output_bits_per_weight": self.output_bits_per_weight or sixteen,
            "embedding_bits_per_weight": sixteen,
        }

    def as_spec(self, runtime: str | None = None, *, moe: bool = False) -> QuantSpec:
        """The format as the engine sees it, as the calculator's `runtime` (a slug) holds it for an MoE
        (`moe`) or a dense model: one that loads the publisher's checkpoint rather than a GGUF (vLLM,
        SGLang) reads an MoE's MXFP4 with BF16 around the experts; none given: a GGUF's. (No dense model
        is published in MXFP4: one is sized as the GGUF mix, Q8_0 throughout, whatever the runtime.)"""
        return QuantSpec(
            slug=self.slug,
            name=self.name,
            format=self.ENGINE_FORMAT.get(self.family, self.family),
            catalog_width=True,  # a llama.cpp mix's width is re-derived for each model (memory.sized)
            **self.widths(moe and loads_checkpoint(runtime)),
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
