"""The Question: one immutable value built from a valid form, whose query, permalink and workload every
page reads (calculator/question.py)."""

import dataclasses

import pytest
from django.http import QueryDict

from calculator.forms import QuestionForm
from calculator.question import Question
from estimator.units import GIB

pytestmark = pytest.mark.django_db

BASE = "model=llama-3-1-70b-instruct&quant=q4_k_m"


def question(query: str) -> Question:
    form = QuestionForm(QueryDict(query))
    assert form.is_valid(), form.errors
    return Question.from_form(form)


def test_an_invalid_form_makes_no_question(catalog):
    form = QuestionForm(QueryDict("model=llama-3-1-70b-instruct&gpu=no-such-gpu"))
    with pytest.raises(ValueError, match="valid form"):
        Question.from_form(form)


def test_a_question_cannot_be_changed_in_place(catalog):
    asked = question(f"{BASE}&gpu=geforce-rtx-3090")
    with pytest.raises(dataclasses.FrozenInstanceError):
        asked.ctx = 4096


def test_both_spellings_of_two_cards_are_one_question_with_one_permalink(catalog):
    repeated = question(f"{BASE}&gpu=geforce-rtx-3090&gpu=geforce-rtx-3090")
    counted = question(f"{BASE}&gpu=geforce-rtx-3090&count=2")
    assert repeated == counted
    assert counted.permalink() == f"/?{BASE}&gpu=geforce-rtx-3090&count=2"
    assert counted.hardware == "2× GeForce RTX 3090"


def test_a_suggestions_changes_rewrite_the_permalink_not_the_question(catalog):
    asked = question(f"{BASE}&gpu=geforce-rtx-3060-12-gb&gpu=geforce-rtx-3090&ctx=32768")
    # gpu_count: that many of the question's largest card; the context back at its default is left out
    assert asked.permalink(gpu_count=3, ctx=4096) == f"/?{BASE}&gpu=geforce-rtx-3090&count=3"
    assert asked.permalink(quant="q8_0").startswith("/?model=llama-3-1-70b-instruct&quant=q8_0&")
    assert asked.ctx == 32768 and len(asked.devices) == 2


def test_a_shorter_context_shortens_the_default_prompt_but_not_a_given_one(catalog):
    default = question(f"{BASE}&gpu=geforce-rtx-3090&ctx=32768")
    given = question(f"{BASE}&gpu=geforce-rtx-3090&ctx=32768&prompt=3000")
    assert "prompt" not in default.permalink(ctx=1024)
    assert "prompt=3000" in given.permalink(ctx=1024)


def test_the_workload_carries_the_ram_in_gib_and_takes_changes(catalog):
    asked = question(f"{BASE}&gpu=geforce-rtx-3090&ram_gb=64&ctx=16384")
    workload = asked.workload()
    assert (workload.ram_bytes, workload.context_tokens) == (64 * GIB, 16384)
    assert asked.workload(context_tokens=1024).prompt_tokens <= 1024  # the prompt fits the context


def test_the_estimate_and_its_charts_time_their_steps_in_one_scope(catalog, monkeypatch):
    """`page.cached_result`: the charts' points reuse the steps the estimate timed (`speed.shared_steps`)."""
    from calculator import charts, page
    from estimator import speed

    scopes = []
    for name in ("speed_vs_context", "speed_vs_users"):
        real = getattr(charts, name)

        def spy(*args, real=real, **kw):
            scopes.append(speed._SHARED_STEPS.get())
            return real(*args, **kw)

        monkeypatch.setattr(charts, name, spy)
    asked = question(f"{BASE}&gpu=geforce-rtx-3090&count=2&ctx=8192")
    real_estimate = Question.estimate
    monkeypatch.setattr(
        Question,
        "estimate",
        lambda self, **kw: (scopes.append(speed._SHARED_STEPS.get()), real_estimate(self, **kw))[1],
    )
    page.cached_result(asked)
    assert len(scopes) == 3 and scopes[0] is not None
    assert all(s is scopes[0] for s in scopes)
