"""What the models refuse, each message next to the field it is about; labels that say their unit."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from catalog.export import catalog_models
from catalog.models import Gpu, LlmModel, RamPreset, constraint_field
from tests.conftest import make_gpu, make_llm

pytestmark = pytest.mark.django_db


def errors(row) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        row.full_clean()
    return excinfo.value.message_dict


def test_a_second_gpu_of_one_name_and_vendor_is_refused_next_to_the_name():
    make_gpu()
    twin = Gpu(
        slug="rtx-3090-again",
        name="GeForce rtx 3090",
        vendor="nvidia",
        memory_bytes=1 << 30,
        bandwidth_gb_s=1.0,
    )
    assert errors(twin) == {"name": ["This vendor already has a GPU of this name."]}
    twin.vendor = "other"  # another vendor may use the name
    twin.full_clean()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fp16_tflops", -5.0, "Ensure this value is greater than or equal to 0."),
        ("bf16_tflops", 1e30, "Ensure this value is less than or equal to 100000.0."),
        ("launch_price_usd", -1, "Ensure this value is greater than or equal to 0."),
        ("bandwidth_gb_s", 1e30, "Input should be less than or equal to 100000"),  # the engine's own check
    ],
)
def test_numbers_outside_physical_ranges_are_refused_next_to_their_field(field, value, message):
    gpu = make_gpu()
    setattr(gpu, field, value)
    assert list(errors(gpu)) == [field]
    assert message in " ".join(errors(gpu)[field])


def test_a_constraint_only_the_database_knew_reads_as_a_sentence_by_its_field():
    preset = RamPreset(
        slug="ddr5", name="DDR5", memory_type="ddr5", channels=0, transfer_rate_mt_s=4800, bandwidth_gb_s=1
    )
    assert errors(preset) == {"channels": ["At least one channel."]}


def test_a_hybrid_without_the_kind_of_its_linear_layers_is_refused_next_to_the_kind():
    # Granite 4.0-H Small's Mamba-2 mixer in the linear fields: the kind decides what its weights are
    hybrid = make_llm(slug="granite-like")
    dims = {"linear_num_key_heads": 1, "linear_key_head_dim": 128, "linear_num_value_heads": 128}
    for name, value in {**dims, "linear_value_head_dim": 64, "linear_conv_kernel_dim": 4}.items():
        setattr(hybrid, name, value)
    hybrid.linear_attention_layers = 24
    assert errors(hybrid) == {
        "linear_attention_kind": ["Linear-attention layers need their kind: Gated DeltaNet or Mamba-2."]
    }
    hybrid.linear_attention_kind = "mamba2"
    hybrid.full_clean()


def test_each_constraint_names_the_field_its_message_goes_to():
    for model in catalog_models():
        for constraint in model._meta.constraints:
            field = constraint_field(constraint)
            assert field in {f.name for f in model._meta.concrete_fields}, constraint.name
            assert "is violated" not in str(constraint.get_violation_error_message()), constraint.name


def test_every_number_of_every_catalog_table_has_help_text_and_a_unit_in_its_label():
    for model in catalog_models():
        for field in model._meta.concrete_fields:
            numeric = isinstance(field, models.IntegerField | models.FloatField | models.DecimalField)
            if not numeric or field.primary_key:
                continue
            assert field.help_text, f"{model.__name__}.{field.name}"
    labels = {f.name: str(f.verbose_name) for f in Gpu._meta.fields}
    assert (labels["bandwidth_gb_s"], labels["tdp_w"], labels["memory_bytes"]) == (
        "bandwidth (GB/s)",
        "TDP (W)",
        "memory (bytes)",
    )
    assert "dense" in Gpu._meta.get_field("fp8_tflops").help_text.lower()
    assert "10^9 bytes" in Gpu._meta.get_field("bandwidth_gb_s").help_text
    assert str(LlmModel._meta.get_field("num_key_value_heads").verbose_name) == "KV heads"


@pytest.mark.slow  # a migration round trip or a script run: make test and CI run it
@pytest.mark.django_db(transaction=True)
def test_rows_saved_before_the_checks_are_mended_by_the_migration_with_a_reason():
    from tests.test_migrations import apps_at

    with apps_at(("catalog", "0006_edits_survive_loads")) as old:
        fields = {"vendor": "nvidia", "memory_bytes": 32 << 30, "bandwidth_gb_s": 1792.0}
        old.get_model("catalog", "Gpu").objects.create(
            slug="geforce-rtx-5090", name="GeForce RTX 5090", **fields
        )
        old.get_model("catalog", "Gpu").objects.create(
            slug="geforce-rtx-5090-2", name="GeForce RTX 5090", fp16_tflops=-5.0, **fields
        )

    first, second = Gpu.objects.order_by("pk")
    assert first.name == "GeForce RTX 5090"
    assert (second.name, second.fp16_tflops) == ("GeForce RTX 5090 (geforce-rtx-5090-2)", None)
    reasons = list(second.history.values_list("history_change_reason", flat=True))
    assert reasons == [
        "migration 0007: renamed: this vendor already had a GPU of this name",
        "migration 0007: negative fp16_tflops emptied (no rate or price is negative)",
    ]
