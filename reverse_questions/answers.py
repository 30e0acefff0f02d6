"""How the reverse pages present their answers: speed tiers and sort orders of "what runs on my
hardware?", the side-by-side firsts of "what hardware runs this model?". The answers themselves come
from catalog/fitting.py, shared with the catalog pages."""

import html
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date, floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from calculator.answer import STRATEGY_TERMS, STRATEGY_TITLES
from catalog.fitting import DEFAULTS, DeviceSet, HardwareAnswer, RunsRow, sort_rows
from catalog.runtimes import RUNTIME_CHOICES
from estimator.units import format_bytes, format_rate

SORTS = {"size": "Size", "speed": "Speed", "name": "Name"}  # the first is the default
# Speed tiers of "what runs on my hardware", decode tok/s for one user: reading speed is 5-10 tok/s,
# so 30 feels instant, 10 is comfortable to read along, 3 is a wait; below that (or not fitting) no.
TIERS = (
    ("great", "Runs great", 30.0, "30 tok/s or more"),
    ("usable", "Usable", 10.0, "10 to 30 tok/s"),
    ("slow", "Slow", 3.0, "3 to 10 tok/s"),
    ("none", "Won't run", 0.0, "under 3 tok/s, or does not fit"),
)


@dataclass(frozen=True)
class Tier:
    key: str
    title: str
    meaning: str
    rows: list[RunsRow]

    @property
    def best(self) -> RunsRow | None:
        """The largest model of the tier (parameters stored, a stand-in for quality), the fastest first."""
        return max(self.rows, key=lambda r: (r.model.total_params_b, r.plan.decode_tok_s or 0), default=None)

    @property
    def html(self) -> SafeString:
        """The tier's table rows (`runs_rows_html`)."""
        return runs_rows_html(self.rows)


def tier_key(row: RunsRow) -> str:
    speed = (row.plan.decode_tok_s or 0.0) if row.fits else 0.0
    return next(key for key, _, floor, _ in TIERS if speed >= floor and (row.fits or key == "none"))


def tiers(rows: Iterable[RunsRow], sort: str) -> list[Tier]:
    """The rows in speed tiers (TIERS), each sorted by `sort`; the last tier holds what does not fit."""
    keyed = [(tier_key(r), r) for r in sort_rows(rows, sort)]
    return [Tier(key, title, meaning, [r for k, r in keyed if k == key]) for key, title, _, meaning in TIERS]


def firsts(answer: HardwareAnswer) -> list[tuple[str, DeviceSet]]:
    """The smallest, the cheapest (when priced) and the fastest set, for the side-by-side summary."""
    picks = [
        ("Smallest", answer.smallest),
        ("Cheapest", answer.cheapest if answer.priced else []),
        ("Fastest", answer.fastest),
    ]
    return [(title, sets[0]) for title, sets in picks if sets]


def runs_rows_html(rows: Iterable[RunsRow]) -> SafeString:
    """The what-runs table's rows, as the template's loop over them wrote them, byte for byte (the same
    filters on the same values, every value escaped as the template escapes a plain string). A page has
    ~150 rows of ~25 values: through the template engine they were a third of the page's CPU."""
    glossary = esc(reverse("glossary:glossary"))
    models = esc(reverse("catalog:model-list"))  # a model's page is /models/<slug>/
    runtimes = dict(RUNTIME_CHOICES)
    out = []
    for row in rows:
        model, plan = row.model, row.plan
        nofit = "" if row.fits else ' class="nofit"'
        own = ""
        if row.ctx:
            own = f' <small data-testid="own-context">at its maximum, {_count(row.ctx)} tokens</small>'
        out.append(
            f'\n        <tr{nofit} data-model="{esc(model.slug)}">'
            f'\n          <th scope="row"><a href="{models}{esc(model.slug)}/">{esc(model.name)}</a>{own}</th>'
            f'\n          <td data-label="Parameters">{_parameters(model.total_params_b, model.is_moe and model.active_params_b)}</td>\n          '
        )
        if plan is not None:
            runtime = ""
            if row.runtime != DEFAULTS["runtime"]:
                runtime = f" <small>({esc(runtimes.get(row.runtime))})</small>"
            tight = " (tight)" if plan.tight else ""
            if row.longest_ctx == model.max_position_embeddings:
                longest = f'{_count(row.longest_ctx)} <abbr title="the longest context the model reads">(max)</abbr>'
            else:
                longest = f"at least {_count(row.longest_ctx)}"
            out.append(
                f'\n          <td data-label="Format" data-testid="format">{esc(row.quant.name)}{runtime}</td>'
                f'\n          <td data-label="Decode tok/s" data-testid="decode">{esc(format_rate(plan.decode_tok_s))} '
                f"<small>({esc(format_rate(plan.decode_tok_s_low))}–{esc(format_rate(plan.decode_tok_s_high))})</small></td>"
                f'\n          <td data-label="Plan"><a href="{glossary}{esc(STRATEGY_TERMS.get(plan.strategy))}/">'
                f"{esc(STRATEGY_TITLES.get(plan.strategy))}</a>{tight}</td>"
                f'\n          <td data-label="Longest context" data-testid="longest">{longest}</td>\n          '
            )
        else:
            out.append(
                f'\n          <td colspan="4" data-testid="format">Does not fit: {esc(row.why_not)}</td>\n          '
            )
        link = ""
        if row.permalink:
            link = f'<a href="{esc(row.permalink)}">{"Details" if row.fits else "Why not"}</a>'
        out.append(f"\n          <td>{link}</td>\n        </tr>\n      ")
    return mark_safe("".join(out))


def esc(value) -> str:
    """A value as the template writes a plain (not safe) string: django.utils.html.escape without its
    lazy-string wrapper, which was a third of the rows' time."""
    return html.escape(str(value))


@lru_cache(maxsize=4096)
def _count(n: int | None) -> str:
    """`{{ n|intcomma }}`: the same few thousand context lengths come back on every page."""
    return esc(intcomma(n))


@lru_cache(maxsize=1024)
def _parameters(total_b: float, active_b: float | None) -> str:
    """The parameters cell: `floatformat:"-1"` (Decimal arithmetic) once per catalog value."""
    active = f" ({floatformat(active_b, '-1')} B active)" if active_b else ""
    return f"{floatformat(total_b, '-1')} B{active}"


def set_rows(answer: HardwareAnswer) -> dict[str, SafeString]:
    """The what-hardware tables' rows by ranking (smallest, cheapest, fastest), as the template's loop
    over them wrote them, byte for byte (as `runs_rows_html`): three tables of up to ten rows were a
    third of the page's CPU. A set in several rankings is written once."""
    glossary, cost = esc(reverse("glossary:glossary")), esc(reverse("costs:cost"))
    runtimes = dict(RUNTIME_CHOICES)
    written: dict[int, str] = {}

    def row(s: DeviceSet) -> str:
        plan = s.plan
        extra = " (tight)" if plan.tight else ""
        if s.runtime != DEFAULTS["runtime"]:
            extra += f", {esc(runtimes.get(s.runtime))}"
        if s.price_usd is not None:
            when = esc(date(s.price_date, "M Y")) if s.price_date else "launch price"
            price = (
                f"${floatformat(s.price_usd, '0g')} "
                f'<small>(<a href="{esc(s.price_source)}" rel="nofollow noopener">{when}</a>)</small>'
            )
        else:
            price = "no price published"
        return (
            f'\n    <tr data-gpu="{esc(s.device.slug)}" data-count="{s.count}">'
            f'\n      <th scope="row">{s.count}× {esc(s.device.name)}</th>'
            f'\n      <td data-label="Memory">{esc(format_bytes(s.memory_bytes))}</td>'
            f'\n      <td data-label="Decode tok/s">{esc(format_rate(plan.decode_tok_s))} '
            f"<small>({esc(format_rate(plan.decode_tok_s_low))}–{esc(format_rate(plan.decode_tok_s_high))})</small></td>"
            f'\n      <td data-label="Plan"><a href="{glossary}{esc(STRATEGY_TERMS.get(plan.strategy))}/">'
            f"{esc(STRATEGY_TITLES.get(plan.strategy))}</a>{extra}</td>"
            f'\n      <td data-label="Price">{price}</td>'
            f'\n      <td><a href="{esc(s.permalink)}">Details</a> · '
            f'<a href="{cost}{esc(s.permalink[1:])}">Cost</a></td>\n    </tr>\n  '
        )

    def rows(sets: list[DeviceSet]) -> SafeString:
        for s in sets:
            if id(s) not in written:
                written[id(s)] = row(s)
        return mark_safe("".join(written[id(s)] for s in sets))

    return {
        "smallest": rows(answer.smallest),
        "cheapest": rows(answer.cheapest),
        "fastest": rows(answer.fastest),
    }
