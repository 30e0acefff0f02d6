"""bench/questions.py draws the load test's distinct questions (bench/load.py) and the fuzz run's
(bench/fuzz_requests.py) from the fixtures. Each must be one the calculator answers: a question it
refuses is counted as an error there, and hides nothing of what the site costs. The form's rules move
(a Mac takes no other GPU, no System RAM beside unified memory): this asks the API, which binds the
same form as the page, what it makes of a sample of them."""

import random
import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from questions import Catalog, calculator_query  # noqa: E402

pytestmark = pytest.mark.django_db


def test_the_load_tests_calculator_questions_are_ones_the_calculator_answers(client, catalog, settings):
    """The first 50 drawn, and the first 150 of the rest that ask about unified memory, where the form's
    rules are the most particular."""
    settings.API_RATE_LIMIT = 0
    rng, fixtures = random.Random(12), Catalog.from_fixtures()
    unified = {slug for slug, is_unified in fixtures.gpus if is_unified}
    queries = [calculator_query(rng, fixtures) for _ in range(1000)]
    asked = queries[:50] + [q for q in queries[50:] if unified & set(parse_qs(q)["gpu"])][:150]
    assert len(asked) == 200
    for query in asked:
        response = client.get(f"/api/v1/estimate?{query}")
        assert response.status_code == 200, (query, response.json())
