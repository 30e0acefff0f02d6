import io
import os

import hypothesis
import pytest
from django.core.management import call_command

from catalog.models import Gpu, LlmModel, Quantization

GIB = 1 << 30

# Property and fuzz tests draw the same examples on every run ("ci"), so a red CI is a regression that
# reproduces on any clone, never a lucky draw. HYPOTHESIS_PROFILE=explore draws new examples each run.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)
hypothesis.settings.register_profile("explore", derandomize=False)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _no_page_rate_limits(settings):
    """Tests ask many questions from one client; tests/test_rate_limit.py sets its own limits."""
    settings.PAGE_RATE_LIMIT = settings.SHARE_RATE_LIMIT = 0


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no cached estimates."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def catalog(db):
    """The whole shipped catalog (fixtures/catalog), loaded as `make run` loads it."""
    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())


def make_gpu(**overrides) -> Gpu:
    fields = {
        "slug": "geforce-rtx-3090",
        "name": "GeForce RTX 3090",
        "vendor": "nvidia",
        "memory_bytes": 24 * GIB,
        "bandwidth_gb_s": 936.2,
        "fp16_tflops": 35.58,
        "listed": True,
    }
    fields.update(overrides)
    return Gpu.objects.create(**fields)


def make_llm(**overrides) -> LlmModel:
    """Llama 3.1 8B Instruct, as in ../shared/reference/models.json."""
    fields = {
        "slug": "llama-3-1-8b-instruct",
        "name": "Llama 3.1 8B Instruct",
        "family": "llama3.1",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "vocab_size": 128256,
        "total_params_b": 8.03,
        "max_position_embeddings": 131072,
        "listed": True,
    }
    fields.update(overrides)
    return LlmModel.objects.create(**fields)


def make_quant(**overrides) -> Quantization:
    fields = {"slug": "q4_k_m", "name": "Q4_K_M", "family": "gguf", "bits_per_weight": 4.8944, "listed": True}
    fields.update(overrides)
    return Quantization.objects.create(**fields)
