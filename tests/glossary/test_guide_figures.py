"""Every calculator number a guide quotes is the calculator's number today.

A guide lists the figures it quotes in its front matter, under `figures`, one per number:

    figures:
      - says: "the layer split is {2.6 GiB} short"
        of: plans[layer_split].short_by_bytes
        ask: 0

`says` is text of the guide, word for word, with the quoted number in braces; `of` is where the number
is in the calculator's answer (a list when `says` has several numbers in braces: one path each, in order); `ask` is the question: an index into the guide's `calculators`, or a query
string; without it, the calculator link whose text holds `says`. `workload` (optional) changes an input
the page does not offer (`{flash_attention: false}`), as the charts do.

`of` is a path into the answer (`calculator.question.Question.estimate()`, what the page and the API
show): names of fields and properties joined by dots; `[key]` picks from a list, by position, by
`strategy` (plans) or by `kind` (suggestions), and `[*]` takes them all, summed at the end; `shown` is
the plan the page shows (the recommended one, or the closest when none fits). Terms may be added or
subtracted, multiplied or divided, left to right (`memory.weights_bytes -
plans[layer_split].devices[*].weights_bytes`), numbers too (`32768 - suggestions[context].changes.ctx`),
and a term `path@N` or `path@query` reads the answer to another question (`calculators[N]` or a query
string), for a ratio of two answers. `unit` (optional)
is the unit of a number written without one, as the first of "{208}–{330} MiB".

The number is compared at the guide's own precision and unit: "{2.6 GiB}" against the bytes in GiB to
one decimal, "{17,152}" exactly, "{about 15}" to the unit, "{about 320}" to the ten.
"""

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import frontmatter
import pytest
from django.conf import settings
from django.http import QueryDict

from calculator import present
from calculator.forms import QuestionForm
from calculator.question import Question
from estimator import estimate
from glossary.examples import text_links

pytestmark = pytest.mark.django_db

UNITS = {"GiB": 2**30, "MiB": 2**20, "KiB": 2**10, "GB": 1e9, "MB": 1e6, "K": 1024}  # K: tokens, as in "32K"
QUOTED = re.compile(r"\{([^}]*)\}")
NUMBER = re.compile(r"(?:about |~)?(-?[\d,]*\d(?:\.\d+)?)\s*(GiB|MiB|KiB|GB|MB|K)?")
# What the calculator answers (memory in GiB, speeds), not what a visitor asks ("a 48 GB card")
OUTPUT = re.compile(r"\d\s*(GiB|MiB|tok/s|tokens/s|tokens per second)")
SEGMENT = re.compile(r"(\w+)(?:\[([\w*-]+)\])?")


@dataclass(frozen=True)
class Figure:
    guide: str
    says: str
    of: tuple[str, ...]
    query: str
    workload: tuple = ()
    unit: str = ""  # of a number in braces written without one

    @property
    def text(self) -> str:
        """What the guide says, without the braces."""
        return QUOTED.sub(r"\1", self.says)

    @property
    def quoted(self) -> list[tuple[str, str]]:
        """Each number as the guide writes it, and its unit ('' for a count or a rate)."""
        found = QUOTED.findall(self.says)
        assert len(found) == len(self.of), f"{self.guide}: {len(found)} numbers, {len(self.of)} paths"
        numbers = []
        for said in found:
            number = NUMBER.fullmatch(said.strip())
            assert number, f"{self.guide}: {said!r} is not a number"
            numbers.append((number.group(1).replace(",", ""), number.group(2) or self.unit))
        return numbers


def guides() -> dict[str, tuple[dict, str]]:
    return {
        path.stem: (post.metadata, post.content)
        for path in sorted((Path(settings.CONTENT_DIR) / "guides").glob("*.md"))
        for post in [frontmatter.load(path)]
    }


def figures(slug: str, meta: dict, body: str) -> list[Figure]:
    found = []
    links = text_links(body)
    calculators = meta.get("calculators") or []

    def other(match: re.Match) -> str:  # "@2": the guide's calculators[2]
        return "@" + calculators[int(match.group(1))]

    for entry in meta.get("figures") or []:
        ask = entry.get("ask")
        text = QUOTED.sub(r"\1", entry["says"])
        if ask is None:
            around = [query for link_text, query, _ in links if text in link_text]
            assert len(around) == 1, f"{slug}: no one calculator link holds {text!r}; give `ask`"
            query = around[0]
        elif isinstance(ask, int):
            query = calculators[ask]
        else:
            query = str(ask).lstrip("/?")
        workload = tuple(sorted((entry.get("workload") or {}).items()))
        paths = entry["of"] if isinstance(entry["of"], list) else [entry["of"]]
        paths = [re.sub(r"@(\d+)\b", other, p) for p in paths]
        found.append(Figure(slug, entry["says"], tuple(paths), query, workload, entry.get("unit", "")))
    return found


class Answer:
    """The estimate of a question, with the plan the page shows (`shown`)."""

    def __init__(self, result):
        self.result = result
        self.shown = result.recommended_plan or present.closest_plan(result)

    def __getattr__(self, name):
        return getattr(self.result, name)


@cache
def answer(query: str, workload: tuple = ()) -> Answer:
    """The calculator's answer to a query, as the page and the API compute it; with `workload` changes,
    as the charts do (Question.workload(**changes) into the engine)."""
    form = QuestionForm(QueryDict(query))
    assert form.is_valid(), f"{query}: {form.errors.as_text()}"
    question = Question.from_form(form)
    if not workload:
        return Answer(question.estimate())
    return Answer(
        estimate(
            model=question.model.as_spec(),
            quant=question.quant.as_spec(),
            devices=[g.as_spec() for g in question.devices],
            workload=question.workload(**dict(workload)),
            with_suggestions=False,
        )
    )


def pick(items, key: str):
    if key == "*":
        return list(items)
    if key.isdigit():
        return items[int(key)]
    chosen = [i for i in items if key in (getattr(i, "strategy", None), getattr(i, "kind", None))]
    assert len(chosen) == 1, f"{len(chosen)} items are {key!r}"
    return chosen[0]


def get(value, name: str):
    if isinstance(value, list):
        return [get(v, name) for v in value]
    return value[name] if isinstance(value, dict) else getattr(value, name)


def resolve(root, path: str) -> float:
    """A path's value in the answer (see the module's docstring); a list is summed."""
    if re.fullmatch(r"\d+(\.\d+)?", path):
        return float(path)  # a number the guide also says, as the context it asked for
    value = root
    for segment in path.split("."):
        name, key = SEGMENT.fullmatch(segment).groups()
        value = get(value, name)
        if key is not None:
            value = pick(value, key)
    return sum(value) if isinstance(value, list) else value


def value_of(figure: Figure, path: str) -> float:
    """The expression's value, left to right; a term `path@query` reads another question's answer."""

    def term(text: str) -> float:
        path, _, query = text.partition("@")
        return resolve(answer(query or figure.query, () if query else figure.workload), path)

    parts = re.split(r"\s+([-+*/])\s+", path.strip())
    total = term(parts[0])
    for op, part in zip(parts[1::2], parts[2::2], strict=True):
        value = term(part)
        total = {"+": total + value, "-": total - value, "*": total * value, "/": total / value}[op]
    return total


def as_quoted(value: float, number: str, unit: str) -> str:
    """The engine's value written as the guide writes its number: same unit, same decimals; a whole
    number's trailing zeros are not significant ("about 320" is 315 to 324)."""
    scaled = value / UNITS.get(unit, 1)
    if "." in number:
        return f"{scaled:.{len(number.split('.')[1])}f}"
    step = 10 ** (len(number) - len(number.rstrip("0"))) if number.strip("0") else 1
    return str(math.floor(scaled / step + 0.5) * step)


def disagreements(slug: str, meta: dict, body: str) -> list[str]:
    wrong = []
    for figure in figures(slug, meta, body):
        if figure.text not in body:
            wrong.append(f"{slug}: the guide no longer says {figure.text!r}")
            continue
        for (number, unit), path in zip(figure.quoted, figure.of, strict=True):
            engine = as_quoted(value_of(figure, path), number, unit)
            if engine != number:
                wrong.append(
                    f"{slug}: says {figure.text!r}; the calculator gives {engine}{' ' * bool(unit)}{unit} "
                    f"({path} of /?{figure.query})"
                )
    return wrong


GUIDES = guides()


@pytest.mark.parametrize("slug", sorted(GUIDES))
def test_every_number_a_guide_quotes_is_the_calculators(catalog, slug):
    meta, body = GUIDES[slug]
    wrong = disagreements(slug, meta, body)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("slug", sorted(GUIDES))
def test_every_number_in_a_calculator_link_is_a_checked_figure(slug):
    """A link to the calculator whose words give an amount of memory or a speed ("[fits, about 15
    tokens/s](/?...)") quotes the calculator: it must be one of the guide's figures."""
    meta, body = GUIDES[slug]
    checked = [QUOTED.sub(r"\1", f["says"]) for f in meta.get("figures") or []]
    unchecked = [
        text
        for text, _, _ in text_links(body)
        if OUTPUT.search(text) and not any(said in text for said in checked)
    ]
    assert not unchecked


def test_a_figure_that_drifted_from_the_engine_is_reported(catalog):
    """The check itself: a guide quoting another number than the calculator's fails, naming both."""
    query = "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768"
    short = answer(query).result.plans
    tp = next(p for p in short if p.strategy == "tensor_parallel").short_by_bytes / 2**30
    drifted = f"{tp + 0.3:.1f}"
    meta = {
        "calculators": [query],
        "figures": [
            {
                "says": f"tensor parallel is {{{drifted} GiB}} short",
                "of": "plans[tensor_parallel].short_by_bytes",
                "ask": 0,
            },
            {
                "says": f"tensor parallel is {{{tp:.1f} GiB}} short!",
                "of": "plans[tensor_parallel].short_by_bytes",
                "ask": 0,
            },
        ],
    }
    body = f"Here tensor parallel is {drifted} GiB short, there tensor parallel is {tp:.1f} GiB short!"
    assert disagreements("example", meta, body) == [
        f"example: says 'tensor parallel is {drifted} GiB short'; the calculator gives {tp:.1f} GiB "
        f"(plans[tensor_parallel].short_by_bytes of /?{query})"
    ]
