import pytest

from catalog.models import LlmModel, Measurement
from glossary.content import library
from site_index.search import LIMIT, MAX_QUERY_LENGTH, page_text, search
from tests.conftest import make_gpu

pytestmark = pytest.mark.django_db


def groups_of(response) -> dict[str, list[str]]:
    """Each group's kind → the URLs it links to, in order."""
    return {g.kind: [h.url for h in g.hits] for g in response.context["groups"]}


def test_empty_query_shows_the_form_and_a_hint(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get("/search/")
    assert response.status_code == 200
    assert response.template_name == "site_index/search.html"
    html = response.content.decode()
    assert 'role="search"' in html and 'name="q"' in html and 'data-testid="hint"' in html
    assert response.context["groups"] == []
    assert "<title>Search – Will it run?</title>" in html
    assert '<nav class="breadcrumbs"' in html and 'content="noindex"' not in html


def test_tensor_parallelism_finds_its_glossary_term_first(client, catalog):
    response = client.get("/search/", {"q": "tensor parallelism"})
    assert groups_of(response)["term"][0] == "/glossary/tensor-parallelism/"
    assert response.context["groups"][0].kind == "term"
    html = response.content.decode()
    assert 'href="/glossary/tensor-parallelism/"' in html
    assert "<title>Search: tensor parallelism – Will it run?</title>" in html
    assert '<meta name="robots" content="noindex">' in html


def test_a_term_matches_its_slug_and_its_body_text():
    by_slug = {g.kind: g for g in search("gqa")}
    assert by_slug["term"].hits[0].url == "/glossary/gqa/"
    # "Megatron" is only in the body of the tensor parallelism entry, not its title or summary
    by_body = {g.kind: g for g in search("megatron")}
    assert "/glossary/tensor-parallelism/" in [h.url for h in by_body["term"].hits]


def test_title_matches_rank_before_body_matches():
    urls = [h.url for h in {g.kind: g for g in search("kv cache")}["term"].hits]
    assert urls[0] == "/glossary/kv-cache/"
    assert len(urls) > 1  # other entries mention the KV cache in their text, after it


def test_a_guide_is_found_by_its_title(client, catalog):
    response = client.get("/search/", {"q": "memory math"})
    assert groups_of(response)["guide"][0] == "/guides/memory-math/"
    assert 'href="/guides/memory-math/"' in response.content.decode()


def test_3090_finds_the_rtx_3090_before_the_ti(client, catalog):
    response = client.get("/search/", {"q": "3090"})
    assert groups_of(response)["gpu"][:2] == ["/gpus/geforce-rtx-3090/", "/gpus/geforce-rtx-3090-ti/"]
    # guides that merely mention a 3090 in their text come after the GPUs
    assert [g.kind for g in response.context["groups"]][0] == "gpu"
    html = response.content.decode()
    assert 'href="/gpus/geforce-rtx-3090/"' in html
    assert "NVIDIA, 24.0 GiB, 936 GB/s" in html


def test_a_gpu_is_found_without_spaces_or_with_its_exact_name(client, catalog):
    assert groups_of(client.get("/search/", {"q": "rtx3090"}))["gpu"][0] == "/gpus/geforce-rtx-3090/"
    exact = client.get("/search/", {"q": "geforce rtx 3090 ti"})
    assert groups_of(exact)["gpu"][0] == "/gpus/geforce-rtx-3090-ti/"


def test_70b_finds_the_70b_models(client, catalog):
    response = client.get("/search/", {"q": "70b"})
    models = groups_of(response)["model"]
    assert {"/models/llama-3-1-70b-instruct/", "/models/llama-3-3-70b-instruct/"} <= set(models)
    assert all("70b" in url for url in models)
    assert 'href="/models/llama-3-1-70b-instruct/"' in response.content.decode()


def test_qwen_coder_finds_the_coder_models(client, catalog):
    response = client.get("/search/", {"q": "qwen coder"})
    assert set(groups_of(response)["model"]) == {
        "/models/qwen2-5-coder-7b-instruct/",
        "/models/qwen2-5-coder-32b-instruct/",
        "/models/qwen3-coder-30b-a3b-instruct/",
        "/models/qwen3-coder-480b-a35b-instruct/",
    }


def test_qwen_coder_shows_the_nearest_qwen_models_when_no_coder_is_in_the_catalog(client, catalog):
    coders = LlmModel.objects.filter(slug__contains="coder")
    Measurement.objects.filter(llm__in=coders).delete()  # published rows protect their model
    coders.delete()
    response = client.get("/search/", {"q": "qwen coder"})
    (models,) = [g for g in response.context["groups"] if g.kind == "model"]
    urls = [h.url for h in models.hits]
    assert models.partial and {"/models/qwen3-32b/", "/models/qwen3-8b/"} <= set(urls)
    assert "None has every word of “qwen coder”; the nearest:" in response.content.decode()


def test_diffusion_models_are_found(client, catalog):
    flux = groups_of(client.get("/search/", {"q": "flux"}))["diffusion"]
    assert "/image-models/flux-1-dev/" in flux  # with schnell and Kontext since issue 15


def test_each_group_stops_at_its_limit_and_links_to_the_full_gpu_list(client, db):
    for n in range(LIMIT + 5):
        make_gpu(slug=f"test-card-{n}", name=f"Test Card {n}")
    response = client.get("/search/", {"q": "test card"})
    (gpus,) = [g for g in response.context["groups"] if g.kind == "gpu"]
    assert len(gpus.hits) == LIMIT and gpus.more
    assert 'href="/gpus/?q=test+card"' in response.content.decode()


def test_a_broad_query_runs_one_query_per_catalog_kind(client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # GPUs, LLMs, diffusion models: each LIMIT + 1 rows at most
        response = client.get("/search/", {"q": "a"})
    assert all(len(g.hits) <= LIMIT for g in response.context["groups"])
    assert {"term", "gpu", "model"} <= set(groups_of(response))


@pytest.mark.parametrize(
    "q",
    [
        "%",
        "%%",
        "_",
        "\\",
        "'; drop table catalog_gpu; --",
        "日本語",
        "ü",
        "<script>alert(1)</script>",
        "a b c d e f",
        " ",
    ],
)
def test_odd_queries_never_fail(client, catalog, q, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_percent_does_not_match_everything(client, catalog):
    response = client.get("/search/", {"q": "%"})
    assert response.context["groups"] == []
    assert 'data-testid="no-results"' in response.content.decode()


@pytest.mark.parametrize("q", ["x" * (MAX_QUERY_LENGTH + 1), "3090\x00"])
def test_a_query_the_form_refuses_is_said_next_to_the_field(client, db, q, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
    assert 'id="error-q">' in response.content.decode()


def test_htmx_request_gets_only_the_results_partial(client, catalog):
    response = client.get("/search/", {"q": "3090"}, headers={"HX-Request": "true"})
    assert response.template_name == "site_index/search.html#results"
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"') and 'role="search"' not in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/search/", {"q": "3090"})
    assert full.template_name == "site_index/search.html" and "<header" in full.content.decode()


def test_the_header_has_a_labelled_search_box_that_works_without_javascript(client, catalog):
    html = client.get("/").content.decode()
    assert '<form class="site-search" role="search" method="get" action="/search/">' in html
    assert '<label for="site-search-q"' in html and 'id="site-search-q" name="q"' in html


def test_the_search_page_has_one_search_box(client, db):
    html = client.get("/search/").content.decode()
    assert 'class="site-search"' not in html and html.count('role="search"') == 1


def test_search_is_get_only(client, db):
    assert client.post("/search/", {"q": "3090"}).status_code == 405


def test_a_model_says_its_size_and_an_moe_its_active_parameters(catalog):
    (models,) = [g for g in search("qwen3") if g.kind == "model"]
    described = {h.url: h.description for h in models.hits}
    assert described["/models/qwen3-32b/"].endswith(" B parameters")
    assert described["/models/qwen3-30b-a3b/"].endswith(" B active per token")


def test_a_pasted_error_lists_no_nearest_gpus_or_models(client, catalog):
    """The review: "CUDA out of memory. Tried to allocate 2.00 GiB" found vLLM's and diffusers' pages, then
    "the nearest" GPUs ("STG-2000, 1 MiB, 0 GB/s") and models, which no word of it names."""
    html = client.get("/search/", {"q": "CUDA out of memory. Tried to allocate 2.00 GiB"}).content.decode()
    assert "/errors/vllm-cuda-out-of-memory/" in html
    assert "the nearest" not in html and "STG-2000" not in html
    # a word search still gets the nearest rows
    assert "the nearest" in client.get("/search/", {"q": "qwen coder zzz"}).content.decode()


# Relevance, not the alphabet (the visitor review): "llama 70b", "qwen 32b coder", "3090".


def test_llama_70b_lists_the_newest_llama_first_and_the_distill_last(client, catalog):
    response = client.get("/search/", {"q": "llama 70b"})
    assert response.context["groups"][0].kind == "model"
    assert groups_of(response)["model"] == [
        "/models/llama-3-3-70b-instruct/",
        "/models/llama-3-1-70b-instruct/",
        "/models/llama-3-1-70b/",  # the base model after its tuned release
        "/models/llama-3-70b-instruct/",
        "/models/llama-2-70b/",
        "/models/deepseek-r1-distill-llama-70b/",  # three words the query did not ask for
    ]


def test_llama_70b_glossary_starts_with_a_term_that_names_llama(client, catalog):
    """Every term that mentions both words only in its text matched before; All-reduce and Bits per weight
    came first because they come first in the alphabet."""
    (terms,) = [g for g in search("llama 70b") if g.kind == "term"]
    assert "llama" in terms.hits[0].title.lower()
    assert [h.title for h in terms.hits[:2]] != ["All-reduce", "Bits per weight (bpw)"]


def test_qwen_32b_coder_finds_the_coder_and_not_qwen_image(client, catalog):
    response = client.get("/search/", {"q": "qwen 32b coder"})
    found = groups_of(response)
    assert found["model"][0] == "/models/qwen2-5-coder-32b-instruct/"
    assert "diffusion" not in found  # Qwen-Image has neither "32b" nor "coder"
    assert not any(g.partial for g in response.context["groups"])
    assert "Qwen-Image" not in response.content.decode()


def test_3090_lists_the_guides_that_talk_about_it_most_first(client, catalog):
    response = client.get("/search/", {"q": "3090"})
    guides = groups_of(response)["guide"]
    # the one whose summary names it, then the one that names it most (nine times), not the alphabet
    assert guides[:2] == ["/guides/70b-at-32k-on-two-24-gb-cards/", "/guides/building-a-multi-gpu-rig/"]
    lib = library().guides
    mentions = [page_text(lib[url.split("/")[2]]).body.count("3090") for url in guides[1:]]
    many, once = [i for i, m in enumerate(mentions) if m > 1], [i for i, m in enumerate(mentions) if m == 1]
    assert many and once and max(many) < min(once)


def test_a_newer_release_comes_first_among_equal_matches(catalog):
    (models,) = [g for g in search("qwen coder") if g.kind == "model"]
    assert [h.url for h in models.hits][:2] == [
        "/models/qwen3-coder-30b-a3b-instruct/",
        "/models/qwen3-coder-480b-a35b-instruct/",
    ]


def test_a_version_the_query_names_comes_before_a_newer_one_it_does_not(catalog):
    """ "qwen3": the Qwen3 models, not Qwen3.5 (newer, but another version than the one typed)."""
    (models,) = [g for g in search("qwen3") if g.kind == "model"]
    urls = [h.url for h in models.hits]
    assert "/models/qwen3-30b-a3b/" in urls  # an MoE's size is one word the query left out, as a dense one's
    assert not any(url.startswith("/models/qwen3-5-") for url in urls[:8])


def test_a_word_only_in_a_rows_other_search_text_ranks_after_the_name(catalog):
    """ "llama 3.1 8b": LLM-jp-3 1.8B holds every word only through its family (llama) and its digits."""
    (models,) = [g for g in search("llama 3.1 8b") if g.kind == "model"]
    assert [h.url for h in models.hits][:2] == ["/models/llama-3-1-8b-instruct/", "/models/llama-3-1-8b/"]
    assert models.hits[-1].url == "/models/llm-jp-3-1-8b/" and models.hits[-1].rank == 3


def test_a_page_title_match_drops_the_nearest_catalog_rows(client, catalog):
    """ "sliding window attention" is a glossary term: DeepSeek-V3.2's "sparse attention" is not "the
    nearest" of anything."""
    response = client.get("/search/", {"q": "sliding window attention"})
    assert groups_of(response)["term"][0] == "/glossary/sliding-window-attention/"
    assert not any(g.partial for g in response.context["groups"])
    assert "the nearest" not in response.content.decode()


def test_ranking_reads_a_bounded_window_per_kind(client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # GPUs, LLMs, diffusion models: each WINDOW rows at most
        response = client.get("/search/", {"q": "llama 70b"})
    assert len(groups_of(response)["model"]) == 6


def test_a100_lists_the_a100_cards_before_the_a1000(catalog):
    """A review: "a100" listed the RTX A1000, another GPU, among the A100s (A100X and RTX A1000 before
    DRIVE A100 PROD): a name that holds a word of the query whole comes before one where the word only starts
    a longer one. The catalog's other A100s and A1000s, unlisted as there."""
    for slug, name in [
        ("rtx-a1000", "RTX A1000"),
        ("a100x", "A100X"),
        ("drive-a100-prod", "DRIVE A100 PROD"),
        ("a100-pcie-40-gb", "A100 PCIe 40 GB"),
    ]:
        make_gpu(slug=slug, name=name, listed=False)
    (gpus,) = [g for g in search("a100") if g.kind == "gpu"]
    titles = [h.title for h in gpus.hits]
    assert titles[:2] == ["A100 PCIe 80 GB", "A100 SXM4 80 GB"]  # the listed ones first still
    whole = ["A100" in title.split() for title in titles]
    assert whole == sorted(whole, reverse=True), titles  # every A100, then the A100X and the RTX A1000
    assert whole.count(True) == 4 and "RTX A1000" in titles


def test_a10_finds_the_a10_before_the_a100(catalog):
    make_gpu(slug="a10-pcie", name="A10 PCIe", listed=False)
    (gpus,) = [g for g in search("a10") if g.kind == "gpu"]
    assert [h.title for h in gpus.hits][:2] == ["A10 PCIe", "A100 PCIe 80 GB"]


def test_an_image_model_says_its_denoiser_and_its_text_encoders_apart(catalog):
    """A visitor review: search listed FLUX.1 [dev] as "17 B parameters", where people know it as a 12B model:
    the other 4.9 B are its text encoders (CLIP-L 0.123 B + T5-XXL 4.762 B, the catalog's components)."""
    (found,) = [g for g in search("flux") if g.kind == "diffusion"]
    described = {h.title: h.description for h in found.hits}
    assert described["FLUX.1 [dev]"] == "Image diffusion model, 12 B denoiser + 4.9 B text encoders"
    (wan,) = [g for g in search("wan 2.2") if g.kind == "diffusion"]
    described = {h.title: h.description for h in wan.hits}
    assert described["Wan 2.2 T2V A14B"] == "Video diffusion model, 2 × 14 B denoisers + 5.7 B text encoder"
    (sd,) = [g for g in search("stable diffusion 1.5") if g.kind == "diffusion"]
    assert {h.title: h.description for h in sd.hits}["Stable Diffusion 1.5"] == (
        "Image diffusion model, 0.86 B denoiser + 0.12 B text encoder"
    )
