"""What runs on one set of hardware, in speed tiers: the what-runs page's answer (reverse_questions) and a GPU
page's (catalog/views.py), one definition for both. The rows come from catalog/fitting.py; `runs_rows_html`
writes their table rows, `templates/catalog/_tiers.html` the summary and the tables around them."""

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from estimator import STRATEGIES
from estimator.units import format_params, format_rate

from .fitting import DEFAULTS, RunsRow, kv_article, kv_words, sort_rows
from .runtimes import ENGINE_RUNTIME, RUNTIME_CHOICES

SORTS = {"size": "Size", "speed": "Speed", "name": "Name"}  # the first is the default
# Speed tiers of "what runs on my hardware", decode tok/s for one user with the whole context asked cached
# (`RunsRow.tok_s_at_context`, as what-hardware holds its floor): reading speed is 5-10 tok/s, so 30 feels
# instant, 10 is comfortable to read along, 3 is a wait; below that too slow to use, if it fits at all (the
# calculator still says such a model fits: the last tier's title says both). A visitor review: the start of an
# answer put gpt-oss-120b at 131,072 tokens in "Runs great" on a card where the calculator says 21.3 once the
# context fills.
TIERS = (
    ("great", "Runs great", 30.0, "30 tok/s or more with the context cached"),
    ("usable", "Usable", 10.0, "10 to 30 tok/s with the context cached"),
    ("slow", "Slow", 3.0, "3 to 10 tok/s with the context cached"),
    ("none", "Too slow or doesn't fit", 0.0, "under 3 tok/s with the context cached, or does not fit"),
)
# A tier's table shows its first rows and links to the rest (the tier alone, `tiers(only=...)`): 161 models
# of one tier after another were 40,000 px on a phone. Ten is a screen of cards or two.
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class Tier:
    key: str
    title: str
    meaning: str
    rows: list[RunsRow]
    shown: int  # the first rows the table shows
    more_url: str = ""  # the tier alone, every row: where `hidden` rows are

    @property
    def hidden(self) -> int:
        return len(self.rows) - self.shown

    @property
    def best(self) -> RunsRow | None:
        """The largest model of the tier (parameters stored, a stand-in for quality), the fastest with the
        context cached first."""
        return max(self.rows, key=lambda r: (r.model.total_params_b, r.tok_s_at_context), default=None)

    @property
    def best_kv_words(self) -> str:
        """'with a q8_0 KV cache' where the tier's best row takes one other than the question's
        (`fitting.kv_words`), else '': the summary's line says what the row's Details link asks."""
        best = self.best
        return kv_words(getattr(best, "kv", "")) if best is not None else ""

    @property
    def html(self) -> SafeString:
        """The tier's table rows (`runs_rows_html`), the first `shown`."""
        return runs_rows_html(self.rows[: self.shown])


def tier_key(row: RunsRow) -> str:
    """The row's tier (TIERS) by its decode with the whole context asked cached."""
    speed = row.tok_s_at_context if row.fits else 0.0
    return next(key for key, _, floor, _ in TIERS if speed >= floor and (row.fits or key == "none"))


def tiers(
    rows: Iterable[RunsRow], sort: str, *, only: str = "", more_url: Callable[[str], str] | None = None
) -> list[Tier]:
    """The rows in speed tiers (TIERS), each sorted by `sort`; the last tier holds what does not fit.

    With `more_url` (tier key -> the page of that tier alone) each table shows its first PREVIEW_ROWS and
    links to the rest; `only` (a tier's key) is that page: its tier's table whole, the others' not shown
    (every tier keeps its rows for the summary). Neither: every row (a snapshot keeps every row it froze, where
    its page showed the first of each tier and linked the rest)."""
    keyed = [(tier_key(r), r) for r in sort_rows(rows, sort)]
    out = []
    for key, title, _, meaning in TIERS:
        tier_rows = [r for k, r in keyed if k == key]
        if only:
            shown = len(tier_rows) if key == only else 0
        else:
            shown = len(tier_rows) if more_url is None else min(len(tier_rows), PREVIEW_ROWS)
        out.append(Tier(key, title, meaning, tier_rows, shown, more_url(key) if more_url else ""))
    return out


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
            own = f' <small data-testid="own-context">at its maximum, {count_text(row.ctx)} tokens</small>'
        out.append(
            f'\n        <tr{nofit} data-model="{esc(model.slug)}">'
            f'\n          <th scope="row"><a href="{models}{esc(model.slug)}/">{esc(model.name)}</a>{own}</th>'
            f'\n          <td data-label="Parameters">{parameters_text(model.total_params_b, model.is_moe and model.active_params_b)}</td>\n          '
        )
        if plan is not None:
            runtime = ""
            if row.runtime != DEFAULTS["runtime"]:
                runtime = f" <small>({esc(runtimes.get(row.runtime))})</small>"
            tight = " (tight)" if plan.tight else ""
            native = model.max_position_embeddings
            yarn = " with YaRN" if native and row.longest_ctx and row.longest_ctx > native else ""
            if row.longest_ctx == model.context_limit(ENGINE_RUNTIME.get(row.runtime, "llama.cpp")):
                title = f"the longest context the model reads{yarn}"
                longest = f'{count_text(row.longest_ctx)} <abbr title="{title}">(max)</abbr>'
            else:
                longest = f"at least {count_text(row.longest_ctx)}"
            smaller = ""
            if row.instead_of:
                smaller = f' <small data-testid="instead-of">({esc(row.instead_of)} does not fit)</small>'
            if row.low_bit:
                smaller += (
                    f' <small data-testid="low-bit">(<a href="{glossary}quantization/">'
                    f"{row.quant.bits_per_weight:.1f} bits: quality drops</a>)</small>"
                )
            # after the format's notes, never instead of them: a review found the Q2_K fallbacks' q8_0 cache
            # (in their Details link) unsaid, where the calculator calls them Borderline with the default one
            if getattr(row, "kv", ""):  # older snapshots' rows have none
                smaller += kv_note(row.kv, glossary)
            start, full = row.speed_parts  # the start's range beside it, then the full context's speed
            full = f" → {esc(full)}" if full else ""
            out.append(
                f'\n          <td data-label="Format" data-testid="format">{esc(row.quant.name)}{runtime}{smaller}</td>'
                f'\n          <td data-label="Decode tok/s, start → full context" data-testid="decode">{esc(start)} '
                f"<small>({esc(format_rate(plan.decode_tok_s_low))}–{esc(format_rate(plan.decode_tok_s_high))})</small>{full}</td>"
                f'\n          <td data-label="Plan"><a href="{glossary}{esc(STRATEGIES[plan.strategy].term)}/">'
                f"{esc(STRATEGIES[plan.strategy].title)}</a>{tight}</td>"
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


def kv_note(kv: str, glossary: str) -> str:
    """A row's KV cache other than the question's (`fitting.kv_words`), linked to the glossary: what-runs' rows
    and what-hardware's sets (reverse_questions/answers.py) say it alike."""
    return (
        f' <small data-testid="kv">with {kv_article(kv)} <a href="{glossary}kv-cache/">'
        f"{esc(kv)} KV cache</a></small>"
    )


def esc(value) -> str:
    """A value as the template writes a plain (not safe) string: django.utils.html.escape without its
    lazy-string wrapper, which was a third of the rows' time."""
    return html.escape(str(value))


@lru_cache(maxsize=4096)
def count_text(n: int | None) -> str:
    """`{{ n|intcomma }}`: the same few thousand context lengths come back on every page."""
    return esc(intcomma(n))


@lru_cache(maxsize=1024)
def parameters_text(total_b: float, active_b: float | None) -> str:
    """The parameters cell: '228.7 B (11 B active)' (format_params), once per catalog value."""
    active = f" ({format_params(active_b)} B active)" if active_b else ""
    return f"{format_params(total_b)} B{active}"
