import re

import pytest
from django.core.cache import cache
from django.template import engines

from calculator import pickers
from calculator.pickers import PICKER_MODELS
from catalog.models import DiffusionModel, Gpu, LlmModel, Quantization
from tests.conftest import make_gpu, make_llm

pytestmark = pytest.mark.django_db

QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_full_page_without_htmx(client, catalog):
    response = client.get(QUESTION)
    assert response.status_code == 200
    assert response.template_name == "calculator/page.html"
    html = response.content.decode()
    assert "<form" in html and 'id="result"' in html
    assert "fits on 2× GeForce RTX 3090 with a layer split" in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_htmx_request_gets_only_the_result_partial_and_the_canonical_url(client, catalog):
    response = client.get(
        "/?ctx=8192&gpu=geforce-rtx-3090&count=2&quant=q4_k_m&model=llama-3-1-70b-instruct&batch=1",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.template_name == "calculator/page.html#result"
    html = response.content.decode()
    # the tab's title (htmx sets it from the fragment's own <title>), then the result
    assert re.match(r'\s*<title>Yes: fits on 2× GeForce RTX 3090[^<]*</title>\s*<section id="result"', html)
    assert 'id="question"' not in html
    assert response["HX-Push-Url"] == QUESTION


def test_an_htmx_answer_for_the_address_shown_is_a_204_that_htmx_neither_swaps_nor_pushes(client, catalog):
    """The context field's `change` fires when the mouse goes down on a suggestion link and asks the
    question the page already shows; its answer's pushState cancelled the link (a flaky browser test)."""
    typed = "/?ctx=8192&gpu=geforce-rtx-3090&count=2&quant=q4_k_m&model=llama-3-1-70b-instruct&batch=1"
    shown = {"HX-Request": "true", "HX-Current-URL": "http://testserver" + QUESTION}
    elsewhere = {"HX-Request": "true", "HX-Current-URL": "http://testserver/?model=llama-3-1-8b-instruct"}
    revalidated = shown | {"If-None-Match": client.get(typed, headers={"HX-Request": "true"})["ETag"]}
    for headers, status in ((shown, 204), (elsewhere, 200), (shown, 204), (revalidated, 204)):
        again = client.get(typed, headers=headers)  # computed, then kept answers, then asked again
        assert again.status_code == status
        assert (not again.content and "HX-Push-Url" not in again) if status == 204 else again["HX-Push-Url"]
    restored = client.get(QUESTION, headers=shown | {"HX-History-Restore-Request": "true"})
    assert restored.status_code == 200 and restored.template_name == "calculator/page.html"
    assert client.get(typed, headers={"HX-Current-URL": "http://testserver" + QUESTION}).status_code == 200


def test_history_restore_gets_the_full_page(client, catalog):
    response = client.get(QUESTION, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert response.template_name == "calculator/page.html"


def test_permalink_reproduces_the_result(client, catalog):
    first = client.get("/?model=qwen2-5-32b-instruct&quant=q5_k_m&gpu=geforce-rtx-4090&ctx=16384&batch=2")
    permalink = first.context["permalink"]
    cache.clear()  # compute it anew, not the response kept under its ETag
    again = client.get(permalink)
    assert again.context["result"] == first.context["result"]
    assert again.context["permalink"] == permalink


def test_first_visit_already_shows_an_answer(client, catalog):
    response = client.get("/")
    assert response.context["verdict"].fits
    assert "GeForce RTX 3090" in response.context["verdict"].text


def test_too_big_a_model_says_no(client, catalog):
    response = client.get("/?model=llama-3-1-70b-instruct&quant=f16&gpu=geforce-rtx-3060-12-gb")
    assert response.status_code == 200
    assert response.context["verdict"].fits is False
    assert "No: it does not fit" in response.content.decode()


def test_bad_input_shows_a_message_next_to_the_field(client, catalog):
    response = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=banana")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="error" id="error-ctx">Enter a number of tokens: 32768, 32,768 or 32k.</span>' in html
    assert "Fix the highlighted fields" in html
    # what the visitor typed is kept
    assert 'value="banana"' in html or "banana" in html


def test_bad_input_over_htmx_swaps_the_error_next_to_the_field(client, catalog):
    response = client.get("/?model=nope&quant=q4_k_m&gpu=geforce-rtx-3090", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="error-model" hx-swap-oob="true">Unknown model “nope”.' in html


def test_every_result_number_links_to_its_glossary_entry(client, catalog):
    html = client.get(QUESTION).content.decode()
    for slug in ("model-weights", "kv-cache", "compute-buffer", "runtime-overhead", "decode", "layer-split"):
        assert f'href="/glossary/{slug}/"' in html


def test_page_query_count_is_bounded(client, catalog, django_assert_num_queries):
    # answer: model, quant, GPUs, listed formats (suggestions), measurements, visitors' measurements;
    # runtimes table, KV cache types, artifacts; the nearest published measurement and the row the
    # engine estimates for it (both cached per catalog version); pickers: models, formats, GPUs, links,
    # RAM presets
    with django_assert_num_queries(16):
        client.get(QUESTION)


def test_htmx_partial_skips_the_pickers_queries(client, catalog, django_assert_num_queries):
    # model, quant, GPUs, listed formats, measurements, visitors' measurements, runtimes, KV cache types,
    # artifacts, the nearest published measurement and its row; the format and link pickers' rows (they
    # follow the hardware, swapped out of band)
    with django_assert_num_queries(13):
        client.get(QUESTION, headers={"HX-Request": "true"})


def model_options(html: str) -> list[str]:
    """The values of the page's model picker, in order; the selected one marked with a "*"."""
    select = re.search(r'<select name="model".*?</select>', html, re.S).group(0)
    return [v + ("*" if sel else "") for v, sel in re.findall(r'<option value="([^"]*)"( selected)?', select)]


def test_the_model_picker_shows_a_fixed_number_of_models_as_the_catalog_grows(client, catalog):
    before = client.get(QUESTION).content
    assert len(model_options(before.decode())) in (PICKER_MODELS, PICKER_MODELS + 1)  # +1: the asked one
    for n in range(200):  # each its own family, the smallest of it: every one would rank first
        make_llm(slug=f"grown-{n}", name=f"Grown model {n:03}", family=f"grown-{n}", total_params_b=1.0)
    after = client.get(QUESTION).content
    options = model_options(after.decode())
    # the asked-about 70B is pushed out of the first options, and kept as the selected first one
    assert options[0] == "llama-3-1-70b-instruct*" and len(options) == PICKER_MODELS + 1
    assert len(after) - len(before) < 200  # the page weighs the same, not 200 options more


def test_the_most_asked_models_stay_in_the_picker_as_the_catalog_grows(client, catalog):
    for n in range(200):
        make_llm(slug=f"grown-{n}", name=f"Grown model {n:03}", family=f"grown-{n}", total_params_b=1.0)
    options = model_options(client.get("/").content.decode())
    listed = set(LlmModel.objects.filter(listed=True).values_list("slug", flat=True))
    assert {s for s in pickers.FEATURED_FIRST if s in listed} <= {o.rstrip("*") for o in options}
    assert "llama-3-3-70b-instruct" in listed  # the calculator's first example, picked from the list


def test_every_model_can_be_found_by_name_without_javascript(catalog):
    """The finder's `q` (a plain GET with the form when JavaScript is off) lists any model by its name."""
    for model in [*LlmModel.objects.all(), *DiffusionModel.objects.all()]:
        found = pickers.model_options("llama-3-1-70b-instruct", model.name)
        assert f'<option value="{model.slug}"' in found, model.name


def test_the_finder_submitted_without_javascript_lists_its_matches_and_keeps_the_question(client, catalog):
    html = client.get(QUESTION + "&q=qwen+coder").content.decode()
    options = model_options(html)
    assert options[0] == "llama-3-1-70b-instruct*"  # still the question's model, until another is picked
    assert len(options) > 2 and all("coder" in o for o in options[1:])
    assert 'name="q" value="qwen coder"' in html and "fits on 2× GeForce RTX 3090" in html
    assert "No model matches “zzz”" in client.get(QUESTION + "&q=zzz").content.decode()


def test_a_model_outside_the_first_options_is_shown_selected(client, catalog):
    assert not LlmModel.objects.get(slug="qwen2-7b").listed
    options = model_options(client.get("/?model=qwen2-7b&gpu=geforce-rtx-3090").content.decode())
    assert options[0] == "qwen2-7b*" and options.count("qwen2-7b") == 0


def test_the_catalog_tables_are_read_once_per_catalog_version(client, catalog, django_assert_num_queries):
    client.get(QUESTION)
    # none: the form's model, format and GPU rows (catalog/slugs.py `current`), the pickers, runtimes
    # table, artifacts, listed formats and which questions have measurements (calculator/answer.py) are
    # read once per catalog version
    with django_assert_num_queries(0):
        client.get(QUESTION.replace("ctx=8192", "ctx=4096"))
    make_gpu(slug="brand-new-card", name="Brand-new card")  # a catalog edit: read again
    assert "Brand-new card" in client.get(QUESTION.replace("ctx=8192", "ctx=2048")).content.decode()


def test_picker_markup_is_what_the_template_loops_wrote(catalog):
    make_gpu(slug="odd-card", name='Card "X" & <Y>', listed=False)
    loop = engines["django"].from_string(
        '{% for g in gpus %}<option value="{{ g.slug }}"{% if g.slug == slug %} selected{% endif %}>'
        "{{ g.name }}</option>{% endfor %}"
    )
    gpus = Gpu.objects.filter(listed=True) | Gpu.objects.filter(slug="odd-card")
    rows = pickers.catalog_rows()
    assert pickers.options(rows["gpus"], "odd-card", chosen=["odd-card"]) == loop.render(
        {"gpus": gpus, "slug": "odd-card"}
    )
    quants = engines["django"].from_string(
        '{% for q in quants %}<option value="{{ q.slug }}"{% if q.slug == slug %} selected{% endif %}>'
        "{{ q.name }} ({{ q.bits_per_weight|floatformat:-2 }} bits)</option>{% endfor %}"
    )
    expected = quants.render({"quants": Quantization.objects.listed(), "slug": "q4_k_m"})
    assert pickers.options(pickers.format_rows()["rows"], "q4_k_m") == expected


def test_a_model_the_catalog_lacks_is_shown_as_asked_not_as_the_first_model(client, catalog):
    html = client.get("/?model=no-such-model&gpu=geforce-rtx-3090").content.decode()
    options = model_options(html)
    assert options[0] == "no-such-model*" and options.count("no-such-model") == 0  # selected once, on top
    assert "no-such-model (not in the catalog)</option>" in html and "Unknown model “no-such-model”." in html


def test_a_400_answer_is_swapped_in_under_debug_too(client, catalog, settings):
    """django-htmx's debug helper puts any 400 HTMX answer in place of the whole page; `make run` runs with
    DEBUG on, and this site answers a form's errors with a 400 that htmx swaps in (base.html's htmx-config)."""
    settings.DEBUG = True
    html = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090").content.decode()
    assert "htmx-2.min.js" in html and "django-htmx.js" not in html


def test_a_gpu_the_catalog_lacks_is_shown_as_asked_not_as_the_first_gpu(client, catalog):
    html = client.get("/?model=llama-3-1-8b-instruct&gpu=no-such-gpu").content.decode()
    select = re.search(r'<select name="gpu".*?</select>', html, re.S).group(0)
    values = [
        v + ("*" if sel else "") for v, sel in re.findall(r'<option value="([^"]*)"( selected)?', select)
    ]
    assert values[0] == "no-such-gpu*" and values.count("no-such-gpu") == 0  # selected once, on top
    assert "no-such-gpu (not in the catalog)</option>" in select and "Unknown GPU “no-such-gpu”." in html
    known = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090").content.decode()
    assert "(not in the catalog)" not in known
