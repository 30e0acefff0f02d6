"""Query-string fuzz of the pages: whatever the query string holds, a page answers 200 (errors shown
next to the fields) or 400, never a 500.

Hypothesis draws (key, value) pairs over each page's real parameter names plus junk keys, with values
mixing catalog slugs, numbers, huge and negative numbers, empty strings, unicode, NUL, very long
strings, and the same key repeated. The Django test client re-raises a view's exception, so a 500
shows as its traceback.
"""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.forms import QuestionForm
from catalog.models import Gpu, Interconnect, LlmModel, Quantization
from catalog.pages import GpuListForm
from reverse_questions.forms import WhatHardwareForm, WhatRunsForm

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OK = {200, 400, 414}  # 414: an address over config.middleware.MAX_URL_CHARS, refused with the site's page
QUESTION = "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"
JUNK_KEYS = ["", "x", "gpu[]", "__proto__", "rows", "page", "q", "é", "a" * 300]
NUMBERS = st.one_of(
    st.integers(-5, 200_000).map(str),
    st.integers(10**15, 10**60).map(str),
    st.sampled_from(["-1", "0", "1.5", "1e308", "1e-308", "-0", "nan", "inf", "-inf", "0x10", "1_000", "٣"]),
)
TEXT = st.one_of(
    st.just(""),
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).map(lambda s: s * 400),
    st.sampled_from(["\x00", "a\x00b", " ", "%00", "null", "[]", "{}", '{"model_type": "llama"}', "../"]),
)


def catalog_values() -> st.SearchStrategy[str]:
    slugs = [
        *Gpu.objects.values_list("slug", flat=True),
        *LlmModel.objects.values_list("slug", flat=True),
        *Quantization.objects.values_list("slug", flat=True),
        *Interconnect.objects.values_list("slug", flat=True),
        "f16", "q8_0", "fp8", "vllm", "mlx", "ollama", "llama-cpp", "yes", "no", "-price", "speed", "memory",
    ]  # fmt: skip
    return st.sampled_from(slugs)


def queries(names: list[str], *, valid: str = "", nul: bool = True) -> st.SearchStrategy[str]:
    """A query string of 0-12 pairs; a third of the values are catalog slugs, some keys repeat.
    Half of them start from a `valid` question, so the fuzz also reaches the computation."""
    value = st.one_of(catalog_values(), catalog_values(), NUMBERS, TEXT)
    if not nul:
        value = value.map(lambda v: v.replace("\x00", ""))
    key = st.one_of(st.sampled_from(names), st.sampled_from(names), st.sampled_from(JUNK_KEYS))
    start = st.sampled_from(["", valid]) if valid else st.just("")
    pairs = st.lists(st.tuples(key, value), max_size=12).map(urlencode)
    return st.tuples(start, pairs).map(lambda parts: "&".join(p for p in parts if p))


def assert_never_500(client, url: str, *, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(url, headers=headers)
    assert response.status_code in OK, (url, response.status_code)


def test_calculator_page_never_answers_500(client, catalog):
    @FUZZ
    @given(query=queries(QuestionForm.FIELDS, valid=QUESTION))
    def run(query):
        assert_never_500(client, f"/?{query}")
        assert_never_500(client, f"/?{query}", htmx=True)

    run()


def test_compare_page_never_answers_500(client, catalog):
    @FUZZ
    @given(questions=st.lists(queries(QuestionForm.FIELDS, valid=QUESTION) | TEXT, max_size=5))
    def run(questions):
        assert_never_500(client, "/compare/?" + urlencode([("q", q) for q in questions]))

    run()


def test_reverse_pages_never_answer_500(client, catalog):
    @FUZZ
    @given(
        runs=queries(list(WhatRunsForm.base_fields), valid="gpu=geforce-rtx-3090&count=2"),
        hardware=queries(list(WhatHardwareForm.base_fields), valid="model=llama-3-1-8b-instruct"),
    )
    def run(runs, hardware):
        assert_never_500(client, f"/what-runs/?{runs}", htmx=True)
        assert_never_500(client, f"/what-hardware/?{hardware}")

    run()


def test_catalog_pages_never_answer_500(client, catalog):
    @FUZZ
    @given(
        listing=queries([*GpuListForm.base_fields, "page"], valid="vendor=nvidia"),
        compared=queries(["gpu"], valid="gpu=geforce-rtx-3090&gpu=geforce-rtx-4090"),
    )
    def run(listing, compared):
        assert_never_500(client, f"/gpus/?{listing}")
        assert_never_500(client, f"/gpus/compare/?{compared}")

    run()


@pytest.mark.parametrize(
    "url",
    [
        "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=a%00b",
        "/?model=llama-3-1-8b-instruct&quant=%00&gpu=geforce-rtx-3090",
        "/compare/?q=model%3Dllama-3-1-8b-instruct%26quant%3Dq4_k_m%26gpu%3D%2500",
        "/what-runs/?gpu=%00&count=1",
        "/what-hardware/?model=%00",
        "/gpus/compare/?gpu=geforce-rtx-3090&gpu=%00x",
        "/gpus/?q=%00",
        "/api/v1/estimate?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=%00",
        "/api/v1/gpus?q=%00",
    ],
)
def test_a_nul_byte_in_the_query_is_not_a_500(client, catalog, url):
    """PostgreSQL refuses NUL in text: slugs holding one are unknown without a query."""
    assert_never_500(client, url)


@pytest.mark.parametrize("url", ["/gpus/?min_memory_gib=1e308", "/api/v1/gpus?min_memory_gb=1e308"])
def test_a_huge_memory_filter_is_a_form_error_not_a_500(client, url):
    """1e308 GiB × 2^30 is infinite: it was an OverflowError in the query."""
    response = client.get(url)
    assert response.status_code in OK
    if url.startswith("/api/"):
        assert "min_memory_gb" in response.json()["errors"]
