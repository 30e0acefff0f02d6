"""The reverse questions' warm-up before a worker's first request (reverse_questions/warm.py, run by
gunicorn.conf.py `warm`)."""

import pytest

from reverse_questions.warm import warm
from tests.reverse_questions.answers import RTX_3090

pytestmark = pytest.mark.django_db


def test_after_the_warm_up_a_first_question_of_either_page_reads_nothing_from_the_database(
    client, catalog, django_assert_num_queries
):
    """The warm-up asks both pages' first-visit questions, which read every catalog table they share: a
    worker's first question, on other devices or another model, finds them (a 4090 + 3090 with 64 GB of RAM
    took ~2.5 times as long first as after)."""
    warm()
    with django_assert_num_queries(0):
        response = client.get(f"/what-runs/?gpu=geforce-rtx-4090&count=1&gpu={RTX_3090}&count=1&ram_gb=64")
    assert response.status_code == 200 and response.context["rows"] and response.context["images"]
    with django_assert_num_queries(0):
        response = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20")
    assert response.status_code == 200 and response.context["ram_sets"]
