"""Measurements carry their date, runtime build, flags and a source-quality choice; edits their reason."""

import pytest

from catalog.models import Measurement
from tests.conftest import make_gpu
from tests.test_migrations import apps_at


@pytest.mark.django_db
def test_shipped_measurements_have_a_source_quality_choice(catalog):
    qualities = set(Measurement.objects.values_list("source_quality", flat=True))
    assert qualities <= set(Measurement.SourceQuality.values) and qualities
    detailed = Measurement.objects.filter(
        notes__contains="Source quality: secondary transcription (not cross"
    )
    assert detailed.exists() and {m.source_quality for m in detailed} == {"secondary"}


@pytest.mark.django_db
def test_a_change_reason_longer_than_100_characters_is_kept_in_history():
    gpu = make_gpu()
    gpu.bandwidth_gb_s = 1000.0
    gpu._change_reason = "Corrected from the datasheet: " + "x" * 200
    gpu.save()
    assert gpu.history.first().history_change_reason == gpu._change_reason


@pytest.mark.slow  # a migration round trip or a script run: make test and CI run it
@pytest.mark.django_db(transaction=True)
def test_free_text_source_quality_becomes_a_choice_and_comes_back_when_migrating_back():
    texts = {
        "a": "secondary transcription (cross-checked)",
        "b": "secondary transcription (not independently cross-checked)",
        "c": "secondary transcription (not cross-checked; live scoreboard changes with builds)",
        "d": "",
    }
    with apps_at(("catalog", "0004_prices"), from_empty=True) as old:
        gpu = old.get_model("catalog", "Gpu").objects.create(
            slug="g", name="G", vendor="nvidia", memory_bytes=1 << 30, bandwidth_gb_s=1.0
        )
        llm = old.get_model("catalog", "LlmModel").objects.create(
            slug="m", name="M", num_hidden_layers=1, hidden_size=64, num_attention_heads=1,
            num_key_value_heads=1, vocab_size=10, total_params_b=1.0,
        )  # fmt: skip
        quant = old.get_model("catalog", "Quantization").objects.create(
            slug="q", name="Q", family="gguf", bits_per_weight=4.0
        )
        for slug, text in texts.items():
            old.get_model("catalog", "Measurement").objects.create(
                slug=slug, gpu=gpu, llm=llm, quantization=quant, backend="cuda", metric="decode_tok_s",
                value=1.0, source="https://example.com/", source_quality=text, notes="tg128.",
            )  # fmt: skip

    rows = {m.slug: (m.source_quality, m.notes) for m in Measurement.objects.all()}
    assert rows == {
        "a": ("secondary_checked", "tg128."),
        "b": ("secondary", "tg128."),
        "c": ("secondary", f"tg128. Source quality: {texts['c']}."),
        "d": ("unassessed", "tg128."),
    }

    with apps_at(("catalog", "0004_prices")) as old:  # unapplying 0005 with these rows
        back = {
            m.slug: (m.source_quality, m.notes) for m in old.get_model("catalog", "Measurement").objects.all()
        }
    assert back == {
        "a": (texts["a"], "tg128."),
        "b": ("secondary transcription (not cross-checked)", "tg128."),  # the one text of that choice
        "c": (texts["c"], "tg128."),
        "d": ("", "tg128."),
    }
