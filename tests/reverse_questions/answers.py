"""What the reverse pages' tests share: two hardware slugs, their rows, the calculator's answer to a link, and
test prices."""

import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from django.http import QueryDict

from calculator.forms import QuestionForm
from calculator.question import Question
from catalog import fitting
from catalog.models import Gpu, Price

M4_MAX = "apple-m4-max-128gb"
RTX_3090 = "geforce-rtx-3090"
# test prices (`set_prices`) of four GPU kinds what-hardware ranks
PRICES = {
    RTX_3090: "1499",
    "geforce-rtx-4090": "1599",
    "geforce-rtx-5090": "1999",
    "h100-sxm5-80-gb": "30000",
}


def rows_of(response) -> list[fitting.RunsRow]:
    return response.context["rows"]


def row_for(response, slug: str) -> fitting.RunsRow:
    return next(r for r in rows_of(response) if r.model.slug == slug)


def calculator_answer(permalink: str):
    """What the calculator page computes for a permalink, and its own canonical form of that link."""
    form = QuestionForm(QueryDict(urlsplit(permalink).query))
    assert form.is_valid(), form.errors
    question = Question.from_form(form)
    return question.estimate(with_suggestions=False), question.permalink()


def set_prices(prices: dict[str, str]):
    """Only these prices, whatever the catalog ships: one dated USD price per GPU, with its source."""
    Price.objects.all().delete()
    for slug, amount in prices.items():
        gpu = Gpu.objects.get(slug=slug)
        Price.objects.create(
            slug=f"{slug}-test",
            gpu=gpu,
            amount=Decimal(amount),
            currency="USD",
            region="US",
            date=datetime.date(2026, 11, 1),
            source_url=f"https://example.com/{slug}",
        )


def calculator_image_answer(permalink: str):
    """What the calculator's image page computes for a permalink: its answer, its own canonical form of the link
    and the system RAM it assumed (None where given or not needed)."""
    from calculator.diffusion_answer import DiffusionForm, answered, assumed_ram_gb

    form = DiffusionForm(QueryDict(urlsplit(permalink).query))
    assert form.is_valid(), form.errors
    result = answered(form)  # with no format asked, in the usual one (diffusion_answer.usual), as the page
    return result, f"/?{form.canonical_query()}", assumed_ram_gb(result, form)
