"""The errors knowledge base: its pages, its index, finding a page from a pasted error, and the links a
calculator result gives to the pages that matter to it."""

from datetime import date

import pytest
from django.http import QueryDict

from calculator import answer as answers
from calculator.forms import QuestionForm
from calculator.question import Question
from glossary.content import library
from glossary.errors import (
    CONTEXT_PAGES,
    LLAMA_CPP_OOM_PAGES,
    OOM_PAGES,
    RUNTIMES,
    SLOW_OFFLOAD_PAGE,
    by_runtime,
    match_rank,
    pages_for,
)
from glossary.sources import URL, citation_problems
from site_index.search import error_hits, search
from tests.glossary.test_pages import internal_links

ERRORS = sorted(library().errors.values(), key=lambda p: p.slug)


def test_there_are_at_least_25_error_pages():
    assert len(ERRORS) >= 25


@pytest.mark.parametrize("page", ERRORS, ids=lambda p: p.slug)
def test_every_page_has_its_exact_message_runtime_sources_and_date(page):
    assert page.messages and all(len(m) >= 10 for m in page.messages)
    assert page.runtime in RUNTIMES
    assert isinstance(page.checked, date)
    assert set(page.related) <= set(library().terms), page.slug
    # the page says what causes it and how to fix it, with at least one command or setting to copy
    assert "<h2>What it means</h2>" in page.html and "<h2>Fix it</h2>" in page.html
    assert "<code>" in page.html


@pytest.mark.parametrize("page", ERRORS, ids=lambda p: p.slug)
def test_every_page_cites_public_links_only(page):
    assert URL.search(page.html)
    assert citation_problems(page.html) == []


def test_every_llm_page_links_back_to_a_calculator_question():
    """Diffusion models have no calculator page yet: their pages link the diffusion guide instead."""
    for page in ERRORS:
        if page.runtime in ("ComfyUI", "diffusers"):
            assert "/guides/diffusion-models-dont-split-like-llms/" in page.html, page.slug
        else:
            assert page.calculators, page.slug


@pytest.mark.parametrize("page", ERRORS, ids=lambda p: p.slug)
def test_each_message_finds_its_own_page(page):
    for message in page.messages:
        hits = error_hits(message, ERRORS)
        assert hits and hits[0].rank == 0, message
        assert f"/errors/{page.slug}/" in [h.url for h in hits if h.rank == 0], message


@pytest.mark.django_db
def test_index_groups_pages_by_runtime(client):
    response = client.get("/errors/")
    assert response.status_code == 200
    html = response.content.decode()
    for runtime, pages in by_runtime(ERRORS):
        assert f'<h2 id="{runtime.lower().replace(".", "")}">{runtime}</h2>' in html
        for page in pages:
            assert f'href="/errors/{page.slug}/"' in html
    order = [runtime for runtime, _ in by_runtime(ERRORS)]
    assert order == [r for r in RUNTIMES if r in order]


@pytest.mark.django_db
def test_a_page_shows_its_message_fix_sources_and_calculator_link(client):
    page = library().errors["vllm-no-available-memory-for-the-cache-blocks"]
    response = client.get("/errors/vllm-no-available-memory-for-the-cache-blocks/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No available memory for the cache blocks. Try increasing `gpu_memory_utilization`" in html
    assert "--gpu-memory-utilization" in html
    assert 'href="https://github.com/vllm-project/vllm/issues/2248"' in html
    assert f'href="/?{page.calculators[0].replace("&", "&amp;")}"' in html
    assert 'Checked on <time datetime="2026-12-03">' in html


@pytest.mark.django_db
def test_unknown_error_page_is_a_404(client):
    assert client.get("/errors/no-such-error/").status_code == 404


@pytest.mark.django_db
def test_error_pages_are_in_the_sitemap(client, catalog):
    xml = client.get("/sitemap.xml").content.decode()
    assert "/errors/</loc>" in xml
    assert "/errors/llama-cpp-cudamalloc-failed-out-of-memory/</loc>" in xml


PASTED_OOM = (
    "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 23456.78 MiB on device 1: cudaMalloc failed: "
    "out of memory\nalloc_tensor_range: failed to allocate CUDA1 buffer of size 24596543488\n"
    "llama_model_load: error loading model: unable to allocate CUDA1 buffer"
)


@pytest.mark.django_db
def test_pasting_an_oom_error_with_other_numbers_finds_its_page_first(client, catalog):
    response = client.get("/search/", {"q": PASTED_OOM})
    assert response.status_code == 200
    first = response.context["groups"][0]
    assert first.kind == "error"
    assert first.hits[0].url == "/errors/llama-cpp-cudamalloc-failed-out-of-memory/"


@pytest.mark.django_db
def test_pasting_part_of_an_error_finds_its_page_first(catalog):
    groups = search("The model's max seq len (32768) is larger than the maximum number of tokens")
    assert groups[0].kind == "error"
    assert groups[0].hits[0].url == "/errors/vllm-max-seq-len-larger-than-kv-cache/"


@pytest.mark.django_db
def test_a_long_paste_searches_only_the_error_pages(catalog, django_assert_num_queries):
    log = "(EngineCore_DP0 pid=223840) ERROR 10-25 13:08:43 [core.py:708] " * 3 + (
        "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when "
        "initializing the engine."
    )
    with django_assert_num_queries(0):  # no catalog query for a pasted log
        groups = search(log)
    assert [g.kind for g in groups] == ["error"]
    assert groups[0].hits[0].url == "/errors/vllm-no-available-memory-for-the-cache-blocks/"


def test_a_few_words_are_a_word_search_not_a_pasted_error():
    page = library().errors["llama-cpp-cudamalloc-failed-out-of-memory"]
    assert match_rank("out of", page) is None
    assert match_rank("the rain in spain falls mainly", page) is None


def result_for(query: str, *, with_suggestions: bool = False):
    form = QuestionForm(QueryDict(query))
    assert form.is_valid(), form.errors
    question = Question.from_form(form)
    result = question.estimate(with_suggestions=with_suggestions)
    return form, result, answers.result_context(result, question)


@pytest.mark.django_db
def test_a_result_that_does_not_fit_links_the_oom_page_of_its_runtime(catalog):
    form, result, context = result_for(
        "model=llama-3-1-70b-instruct&quant=q8_0&gpu=geforce-rtx-3060-12-gb&ctx=8192&batch=1&runtime=llama-cpp"
    )
    assert result.recommended_plan is None
    slugs = [p.slug for p in context["error_pages"]]
    assert slugs[0] == OOM_PAGES["llama-cpp"]


@pytest.mark.django_db
def test_a_tight_result_links_the_oom_page_and_the_result_shows_it(client, catalog):
    query = (
        "model=llama-3-1-8b-instruct&quant=q8_0&gpu=geforce-rtx-3060-12-gb&ctx=24576&batch=1&runtime=ollama"
    )
    form, result, context = result_for(query)
    assert result.recommended_plan is not None and result.recommended_plan.tight, "pick a tight example"
    assert [p.slug for p in context["error_pages"]][0] == OOM_PAGES["ollama"]
    html = client.get(f"/?{query}").content.decode()
    assert f'href="/errors/{OOM_PAGES["ollama"]}/"' in html


@pytest.mark.django_db
def test_a_roomy_result_links_no_error_page(catalog):
    _, result, context = result_for(
        "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=4096&batch=1&runtime=llama-cpp"
    )
    assert not result.recommended_plan.tight
    assert context["error_pages"] == []


@pytest.mark.django_db
def test_a_cpu_offload_plan_links_the_slow_offload_page(catalog):
    _, result, context = result_for(
        "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=8192&batch=1&ram_gb=64"
    )
    assert context["shown_plan"].strategy == "cpu_offload"
    assert SLOW_OFFLOAD_PAGE in [
        p.slug for p in pages_for(result, "llama-cpp", "cuda", context["shown_plan"])
    ]
    assert SLOW_OFFLOAD_PAGE in [p.slug for p in context["error_pages"]]


@pytest.mark.django_db
def test_llama_cpp_on_a_mac_links_the_metal_page(catalog):
    _, result, context = result_for(
        "model=llama-3-1-405b-instruct&quant=q4_k_m&gpu=apple-m4-pro-24gb&ctx=8192&batch=1&runtime=llama-cpp"
    )
    assert result.recommended_plan is None
    assert [p.slug for p in context["error_pages"]][0] == LLAMA_CPP_OOM_PAGES["metal"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("gpu", "page"),
    [
        ("radeon-rx-7900-xtx", "llama-cpp-rocm-out-of-memory"),  # the HIP build's own buffers and words
        ("arc-a770", None),  # SYCL prints neither cudaMalloc nor ROCm0: no page rather than CUDA's
        ("geforce-rtx-4090", "llama-cpp-cudamalloc-failed-out-of-memory"),
    ],
)
def test_llama_cpp_links_the_out_of_memory_page_of_the_backend_it_runs_on(catalog, gpu, page):
    _, result, context = result_for(f"model=llama-3-1-70b-instruct&quant=q8_0&gpu={gpu}&ctx=8192&batch=1")
    assert result.recommended_plan is None
    oom = [p.slug for p in context["error_pages"] if p.slug != SLOW_OFFLOAD_PAGE]
    assert oom == ([page] if page else [])


def test_every_page_a_result_can_link_exists():
    assert set(OOM_PAGES.values()) | set(LLAMA_CPP_OOM_PAGES.values()) | {SLOW_OFFLOAD_PAGE} <= set(
        library().errors
    )


@pytest.mark.django_db
def test_every_internal_link_on_the_error_pages_answers(client, catalog):
    """The crawler starts from the home page, which does not link /errors/ yet: check these pages' links here."""
    links = set(internal_links(client.get("/errors/").content.decode()))
    for page in ERRORS:
        links |= set(internal_links(client.get(f"/errors/{page.slug}/").content.decode()))
    broken = [url for url in sorted(links) if client.get(url).status_code != 200]
    assert broken == []


@pytest.mark.django_db
def test_sglang_links_no_vllm_message(catalog):
    """The engine models SGLang as vLLM, but SGLang prints its own errors: a tight SGLang answer linked vLLM's
    "No available memory for the cache blocks" (the review)."""
    query = (
        "model=llama-3-1-70b-instruct&quant=bf16&gpu=geforce-rtx-4090&ctx=4096&batch=1&runtime={}"  # no fit
    )
    _, result, context = result_for(query.format("vllm"))
    assert OOM_PAGES["vllm"] in [p.slug for p in pages_for(result, "vllm", "cuda", context["shown_plan"])]
    assert pages_for(result, "sglang", "cuda", context["shown_plan"]) == []


@pytest.mark.django_db
def test_vllm_failing_only_on_its_context_links_the_max_seq_len_page(catalog):
    """Llama 3.1 8B in BF16 on one 4090 at its full 128K: the weights load and vLLM stops with "max seq len
    (131072) is larger than the maximum number of tokens that can be stored in KV cache"; the page linked
    was "No available memory for the cache blocks" (the review). Where no context fits, that one stays."""
    query = "model=llama-3-1-8b-instruct&quant=bf16&gpu=geforce-rtx-4090&ctx={}&batch=1&runtime=vllm"
    _, result, context = result_for(query.format(131072), with_suggestions=True)  # as the page asks
    assert result.recommended_plan is None
    assert [p.slug for p in pages_for(result, "vllm", "cuda", context["shown_plan"])] == [
        CONTEXT_PAGES["vllm"]
    ]
    _, result, context = result_for(
        "model=llama-3-1-70b-instruct&quant=bf16&gpu=geforce-rtx-4090&ctx=4096&batch=1&runtime=vllm",
        with_suggestions=True,
    )
    assert [p.slug for p in pages_for(result, "vllm", "cuda", context["shown_plan"])] == [OOM_PAGES["vllm"]]
