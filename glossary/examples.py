"""What a page's calculator links answer, and whether that agrees with what the page says about them.

A term's front matter can state what its worked example must show, `expect: fits, layer_split` or
`expect: does not fit`. A link written inside the text says it in its own words, as in
"[does not fit](/?model=...)" or "[fits, tight](/?model=...)", or in its Markdown title, which readers see as
the link's tooltip: `[Compare](/?model=... "fits, tensor parallelism")`. `contradictions()` compares any of
these with the engine's answer, so a change in the engine or the catalog that turns a page's claim false
fails a test.

Words an expectation may use, separated by commas, all of which must hold:
  fits, tight, borderline, does not fit   the verdict (fits includes tight; does not fit includes borderline)
  single, layer_split, tensor_parallel,   the plan the calculator recommends (only when something fits), by
  replicas, cpu_offload, expert_offload,  its key or by the name the answer page uses ("a layer split",
  rpc_cluster                             "tensor parallelism", "MoE expert offload", ...)
"""

import re
from dataclasses import dataclass

from django.http import QueryDict
from pydantic import ValidationError

from calculator import answer as answers
from calculator import diffusion_answer, present
from calculator.forms import QuestionForm, device_summary
from calculator.question import Question
from catalog.fitting import DEFAULTS
from catalog.runtimes import BY_SLUG

VERDICTS = ("fits", "tight", "borderline", "does not fit")
STRATEGIES = tuple(answers.STRATEGY_NAMES)
STRATEGY_BY_NAME = {name.casefold(): key for key, name in answers.STRATEGY_NAMES.items()}
# A calculator link in Markdown: its text, its query string and its optional title.
LINK = re.compile(r'\[([^\]]+)\]\(/\?([^)\s]+)(?:\s+"([^"]*)")?\)')
# Link texts that make a claim about the answer, read from their start: "fits, tight", "does not fit, 2.6 GiB short".
CLAIMS = (
    (re.compile(r"^does not fit\b", re.I), "does not fit"),
    (re.compile(r"^borderline\b", re.I), "borderline"),
    (re.compile(r"^fits, tight\b", re.I), "tight"),
    (re.compile(r"^fits\b", re.I), "fits"),
)


@dataclass(frozen=True)
class Outcome:
    """The calculator's answer to one query, in the words an expectation uses."""

    query: str
    errors: str = ""  # the form's errors when the query is not a valid question
    fits: bool = False
    tight: bool = False
    borderline: bool = False
    strategy: str = ""  # the plan the chosen runtime runs (as the page recommends), when one fits
    text: str = ""  # the verdict sentence

    @property
    def valid(self) -> bool:
        return not self.errors


def outcome(query: QueryDict | str) -> Outcome:
    """Ask the calculator, as the worked example on a term page and the calculator page itself do."""
    data = query if isinstance(query, QueryDict) else QueryDict(query.lstrip("/?"))
    text = data.urlencode()
    if diffusion_answer.is_diffusion(data.get("model")):
        return _image_outcome(data, text)
    form = QuestionForm(data)
    if not form.is_valid():
        return Outcome(text, errors="; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    question = Question.from_form(form)
    # as the calculator: the plan the chosen runtime runs, or another runtime's as that one prices it
    result, fit = answers.as_shown(question.estimate(with_suggestions=False), question)
    verdict = present.verdict(result, question.hardware, users=question.batch, fit=fit)
    plan = fit.plan if fit else result.recommended_plan
    return Outcome(
        text,
        fits=verdict.fits,
        tight=verdict.fits and verdict.tight,
        borderline=verdict.borderline,
        strategy=plan.strategy if plan else "",
        text=verdict.text,
    )


def _image_outcome(data: QueryDict, text: str) -> Outcome:
    """An image or video model's question, answered as the calculator page answers it (its verdict, and the
    recommended plan's strategy)."""
    form = diffusion_answer.DiffusionForm(data)
    if not form.is_valid():
        return Outcome(text, errors="; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    result = diffusion_answer.answered(form)  # with no format asked, in the usual one, as the page
    verdict = diffusion_answer.verdict(result, form, diffusion_answer.smaller_formats(form))
    return Outcome(
        text,
        fits=verdict.fits,
        tight=verdict.fits and verdict.tight,
        strategy=result.recommended or "",
        text=verdict.text,
    )


def _image_question_words(data: QueryDict) -> str | None:
    """An image or video question in words, as the calculator's folded summary says it: "FLUX.1 [dev], BF16,
    on 1× GeForce RTX 3060 12 GB, 1024×1024, 28 steps"; None where the calculator does not take it."""
    form = diffusion_answer.DiffusionForm(data)
    if not form.is_valid():
        return None
    try:
        diffusion_answer.answered(form)  # with no format asked, the usual one names it
    except ValidationError:
        return None
    d = form.cleaned_data
    video = f", {d['frames']} frames" if form.shape and form.shape.video else ""
    said = [d["model"].name, d["quant"].name, f"on {device_summary(form.devices)}"]
    said += [f"{d['width']}×{d['height']}{video}", f"{d['steps']} steps"]
    said += [f"{d['ram_gb']} GB of system RAM"] if d.get("ram_gb") else []
    return ", ".join(said)


def question_words(query: str) -> str:
    """A calculator link's question in words, to tell it from the page's other links: "Llama 3.3 70B
    Instruct, Q4_K_M, on 2× GeForce RTX 3090, 32K context, llama.cpp, KV cache in q8_0". A query the
    calculator does not take (tests/glossary/test_examples.py fails on one) reads as it is."""
    data = QueryDict(query.lstrip("/?"))
    if diffusion_answer.is_diffusion(data.get("model")):
        return _image_question_words(data) or query
    form = QuestionForm(data)
    if not form.is_valid():
        return query
    q = Question.from_form(form)
    context = f"{q.ctx // 1024}K" if q.ctx % 1024 == 0 else f"{q.ctx:,}-token"
    on = f"{q.hosts} machines of {q.hardware}" if q.hosts > 1 else q.hardware
    said = [q.model.name, q.quant.name, f"on {on}", f"{context} context", BY_SLUG[q.runtime].label]
    said += [f"{q.batch} users at once"] if q.batch > 1 else []
    said += [f"KV cache in {q.kv}"] if q.kv != DEFAULTS["kv"] else []
    said += [f"{q.ram_gb} GB of system RAM"] if q.ram_gb else []
    said += [f"{q.ram_preset} RAM"] if q.ram_preset else []
    said += [f"linked by {q.link.name}"] if q.link else []
    return ", ".join(said)


def words(expect: str) -> list[str]:
    """The expectation's words, checked against the vocabulary (a typo must not pass silently)."""
    found = [w.strip() for w in expect.split(",")]
    found = [STRATEGY_BY_NAME.get(w.casefold().removeprefix("with "), w) for w in found]
    unknown = [w for w in found if w not in VERDICTS and w not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown expectation {', '.join(unknown)}; use {', '.join(VERDICTS + STRATEGIES)}")
    return found


def contradictions(expect: str, answer: Outcome) -> list[str]:
    """What in `expect` the answer does not bear out (empty when it agrees)."""
    if not answer.valid:
        return [f"not a valid question: {answer.errors}"]
    wrong = []
    for word in words(expect):
        holds = {
            "fits": answer.fits,
            "tight": answer.tight,
            "borderline": answer.borderline,
            "does not fit": not answer.fits,
        }.get(word, answer.strategy == word)
        if not holds:
            wrong.append(word)
    if not wrong:
        return []
    return [
        f"expected {', '.join(wrong)}; the calculator says: {answer.text} (plan: {answer.strategy or 'none'})"
    ]


def claim(link_text: str) -> str | None:
    """What a link's own words say its answer is, if anything."""
    return next((said for pattern, said in CLAIMS if pattern.search(link_text.strip())), None)


def text_links(markdown: str) -> list[tuple[str, str, str | None]]:
    """(link text, query, what the link says it shows) for every calculator link in a page's text: its title
    when it has one, else a claim its words make, else None."""
    return [(text, query, title or claim(text)) for text, query, title in LINK.findall(markdown)]
