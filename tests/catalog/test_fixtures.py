import pytest
from django.core.management import call_command

from catalog.models import Gpu, LlmModel, Quantization

pytestmark = pytest.mark.django_db

REQUIRED_GPUS = [
    "geforce-rtx-3060-12-gb",
    "geforce-rtx-3090",
    "geforce-rtx-4090",
    "geforce-rtx-5090",
    "a100-sxm4-80-gb",
    "h100-sxm5-80-gb",
    "l40s",
    "radeon-rx-7900-xtx",
    "apple-m2-ultra-192gb",
    "apple-m3-max-128gb",
]
REQUIRED_MODELS = [
    "llama-2-7b",
    "llama-3-1-8b-instruct",
    "llama-3-1-70b-instruct",
    "qwen2-5-7b-instruct",
    "qwen2-5-32b-instruct",
    "qwen2-5-72b-instruct",
    "mixtral-8x7b-v0-1",
    "gpt-oss-20b",
]
REQUIRED_QUANTS = ["f16", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0", "q3_k_m", "q2_k"]


def test_every_fixture_row_loads_and_becomes_an_engine_spec(catalog):
    assert set(REQUIRED_GPUS) <= set(Gpu.objects.values_list("slug", flat=True))
    assert set(REQUIRED_MODELS) <= set(LlmModel.objects.values_list("slug", flat=True))
    assert set(REQUIRED_QUANTS) <= set(Quantization.objects.values_list("slug", flat=True))
    for model in (Gpu, LlmModel, Quantization):
        for row in model.objects.all():
            assert row.as_spec().slug == row.slug


def test_loading_twice_changes_nothing(catalog, capsys):
    history = Gpu.history.count() + LlmModel.history.count() + Quantization.history.count()
    call_command("load_catalog", "--fixtures-only")
    out = capsys.readouterr().out
    assert "0 created, 0 updated" in out
    assert "created, 0 updated" in out
    assert Gpu.history.count() + LlmModel.history.count() + Quantization.history.count() == history


def test_dry_run_saves_nothing(db, capsys):
    call_command("load_catalog", "--fixtures-only", "--dry-run")
    assert Gpu.objects.count() == 0
    assert "created" in capsys.readouterr().out


def test_unified_memory_counts_only_the_gpu_share(catalog):
    m2 = Gpu.objects.get(slug="apple-m2-ultra-192gb")
    assert m2.unified_memory
    assert 0 < m2.as_spec().usable_bytes < m2.memory_bytes
