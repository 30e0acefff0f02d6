"""Why a runtime has no weights of a format (`commands.unavailable`) is computed once per model, format and
tool value (`combination.unavailable`), not again for each page that asks it."""

import pytest

from calculator import combination
from catalog.models import LlmModel
from catalog.published import listed_formats, model_spec

pytestmark = pytest.mark.django_db


def test_an_equal_model_spec_is_answered_from_the_cache(catalog, monkeypatch):
    model = LlmModel.objects.get(slug="llama-3-1-70b-instruct")
    quant = listed_formats()[0][0]
    first = combination.unavailable(model_spec(model), quant, "llama-server")
    computed = []
    monkeypatch.setattr(combination.commands, "unavailable", lambda *a: computed.append(a))
    again = model_spec(model)  # a new object, as each page builds
    assert combination.unavailable(again, quant, "llama-server") == first
    assert computed == []
