"""The hardware list grows a row at a time: HTMX appends one, and without JavaScript `rows=N` renders N."""

import re

import pytest

pytestmark = pytest.mark.django_db

QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_htmx_gets_one_numbered_empty_row(client, catalog):
    response = client.get("/hardware-row/?gpu=geforce-rtx-3090&gpu=", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith('<div class="row">')
    assert 'id="id_gpu_3"' in html and 'for="id_gpu_3"' in html and 'id="id_count_3"' in html
    assert '<option value="">— none —</option>' in html
    assert "geforce-rtx-4090" in html  # the listed GPUs to choose from
    assert "selected" not in html


def test_without_javascript_the_add_button_submits_rows(client, catalog):
    html = client.get(QUESTION + "&rows=4").content.decode()
    assert len(re.findall(r'<select name="gpu"', html)) == 4
    assert 'name="rows" value="5"' in html


def test_rows_is_not_part_of_the_permalink_and_nonsense_is_ignored(client, catalog):
    response = client.get(QUESTION + "&rows=999999999999999999999")
    assert response.status_code == 200
    assert "rows" not in response.context["permalink"]
    assert client.get(QUESTION + "&rows=abc").status_code == 200


def test_a_mixed_rig_from_added_rows_is_answered(client, catalog):
    response = client.get(
        "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&count=1&gpu=geforce-rtx-3090&count=1"
        "&gpu=&count=1&ctx=8192"
    )
    assert "1× GeForce RTX 4090 + 1× GeForce RTX 3090" in response.content.decode()
