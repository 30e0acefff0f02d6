"""The measurement form's GPU without JavaScript: its finder is a plain text field sent with the form, the GPU
it names read by the server (community/forms.py `gpu_named`); with JavaScript it stays the type-to-find picker."""

import re

import pytest

from community.models import VisitorMeasurement
from tests.community.test_parse import OLLAMA_VERBOSE
from tests.community.test_submit import SUBMIT
from tests.conftest import GIB, make_gpu

# Ollama's timings name no GPU: the GPU is chosen on the form, or typed. Two cards of one name, not listed.
RUN = {"model": "mistral-7b-instruct-v0-3", "quant": "q4_0", "paste": OLLAMA_VERBOSE}


@pytest.fixture(autouse=True)
def a2000s(catalog):
    make_gpu(slug="rtx-a2000", name="RTX A2000", memory_bytes=6 * GIB, bandwidth_gb_s=288.0, listed=False)
    make_gpu(
        slug="rtx-a2000-12-gb",
        name="RTX A2000 12 GB",
        memory_bytes=12 * GIB,
        bandwidth_gb_s=288.0,
        listed=False,
    )


def options(html: str, label: str) -> list[str]:
    group = re.search(rf'<optgroup label="{label}">(.*?)</optgroup>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', group.group(1)) if group else []


def test_the_finder_is_a_field_of_the_form_seen_without_javascript(client):
    html = client.get(SUBMIT).content.decode()
    finder = re.search(r'<input type="search" class="picker-search" name="q"[^>]*>', html).group(0)
    assert " hidden" not in finder and 'form="no-form"' not in finder  # sent with the form, shown
    assert 'hx-get="/gpus/pick/"' in finder  # and with JavaScript, the type-to-find picker still
    assert (
        '<noscript><button type="submit" class="secondary" name="find" value="1" formnovalidate>Find' in html
    )
    assert 'value="rtx-a2000-12-gb"' not in html  # unlisted: in no list a visitor without JavaScript sees


def test_an_unlisted_gpu_typed_by_its_name_is_the_gpu_of_the_run(client):
    response = client.post(SUBMIT, {**RUN, "gpu": "", "q": "RTX A2000 12 GB"})
    assert response.status_code == 303
    assert {row.gpu.slug for row in VisitorMeasurement.objects.all()} == {"rtx-a2000-12-gb"}


def test_a_name_several_gpus_share_asks_which_and_lists_them_on_top(client):
    response = client.post(SUBMIT, {**RUN, "gpu": "", "q": "a2000"})
    html = response.content.decode()
    assert response.status_code == 400 and not VisitorMeasurement.objects.exists()
    assert "“a2000” names 2 GPUs: choose yours at the top of the list." in html.split('id="error-gpu">')[1]
    assert options(html, "Named “a2000”") == ["rtx-a2000", "rtx-a2000-12-gb"]
    assert 'name="q" value="a2000"' in html  # what was typed, kept
    chosen = client.post(SUBMIT, {**RUN, "gpu": "rtx-a2000-12-gb", "q": "a2000"})  # chosen among them
    assert chosen.status_code == 303
    assert VisitorMeasurement.objects.filter(gpu__slug="rtx-a2000-12-gb").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"gpu": "", "q": "zzzz 9999"}, "No catalog GPU is named “zzzz 9999”: try its model number alone"),
        (
            {"gpu": "geforce-rtx-4090", "q": "a2000"},
            "You chose GeForce RTX 4090 and typed “a2000”: clear the one",
        ),
    ],
)
def test_a_name_that_names_nothing_or_not_the_gpu_chosen_is_said(client, fields, message):
    response = client.post(SUBMIT, {**RUN, **fields})
    assert response.status_code == 400 and message in response.context["form"].errors["gpu"][0]


def test_find_lists_the_matches_and_keeps_the_form_without_sending_it(client):
    found = client.post(SUBMIT, {**RUN, "gpu": "", "q": "a2000", "find": "1"})
    html = found.content.decode()
    assert found.status_code == 200 and not VisitorMeasurement.objects.exists()
    assert options(html, "Named “a2000”") == ["rtx-a2000", "rtx-a2000-12-gb"]
    assert "names 2 GPUs: choose yours at the top of the list." in html
    assert '<option value="mistral-7b-instruct-v0-3" selected>' in html and "eval rate" in html  # kept
    assert "This field is required" not in html  # nothing checked yet
    one = client.post(SUBMIT, {**RUN, "gpu": "", "q": "rtx a2000 12gb", "find": "1"}).content.decode()
    assert '<option value="rtx-a2000-12-gb" selected>' in one
    again = client.post(SUBMIT, {**RUN, "gpu": "rtx-a2000-12-gb", "q": "a2000", "find": "1"}).content.decode()
    assert '<option value="rtx-a2000-12-gb" selected>' in again  # Find again keeps the one chosen among them
