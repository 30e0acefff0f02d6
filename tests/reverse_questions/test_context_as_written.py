"""A context written 32k or 32,768 reads as 32,768 tokens on the reverse questions and Choose my GPU, as on the
calculator (catalog/form_fields.py `tokens`): a number input sent "32k" as nothing."""

import pytest

from tests.reverse_questions.answers import RTX_3090

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        f"/what-runs/?gpu={RTX_3090}&ctx=",
        "/what-hardware/?model=llama-3-1-8b-instruct&ctx=",
        "/choose/?budget=2000&model=llama-3-1-8b-instruct&ctx=",
    ],
)
def test_a_context_written_32k_or_with_commas_is_32768_tokens(client, catalog, path):
    for written in ("32k", "32K", "32,768"):
        response = client.get(path + written)
        assert response.status_code == 200
        assert response.context["form"].cleaned_data["ctx"] == 32768, written
        assert "32,768 tokens" in response.content.decode()
    garbage = client.get(path + "lots")
    assert "Enter a number of tokens" in garbage.content.decode()
