"""Speed against context length and against concurrent users, as server-rendered SVG geometry.

Each point is the engine's estimate for the question with one input changed, for the plan the
calculator recommends for that question: the plan the page would show if the visitor asked it. Against
context, the point is decode with that whole context cached (the result's "At full context"), since
decode at the start of an answer hardly depends on how long the context may grow. A point that fits only
once the memory kept free for safety is spent is drawn amber, as the page's borderline answer; the asked
context is labelled as the visitor wrote it ("28k" for 28000), the others in binary k ("4k" for 4096).
"""

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

from estimator import Estimate, Plan
from estimator.estimate import best_plan, fits
from estimator.speed import shared_steps
from estimator.strategies import STRATEGIES

from .memory import status
from .present import closest_plan
from .question import Question

# Room for "128k" under the last point, the x axis's name under the labels and the unit above the y axis
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 320, 176, 40, 34, 16, 16
# Under the plot, where the line switches plans, the note saying so: 11 px a line of at most 64 characters
# (9 px system-ui averages under 5 px a character)
NOTE_LINE, NOTE_CHARS = 11, 64


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    low: float | None
    high: float | None
    fits: bool
    current: bool
    margin: bool = False  # fits only inside the memory kept free for safety: drawn amber, as the page says
    plan: str = ""  # the strategy of the plan recommended at this point

    @property
    def drawn(self) -> bool:
        """Plotted as a dot on the line: it fits, or fits inside the safety margin (the page's borderline)."""
        return bool((self.fits or self.margin) and self.value)


@dataclass(frozen=True)
class Chart:
    kind: str  # "context" or "users": the chart's name in /chart.svg?chart=
    title: str
    unit: str  # of the y axis: "tok/s"
    x_name: str  # what the x axis counts: "tokens of context", "users at once"
    points: list[Point]
    line: str  # SVG polyline points of the estimate, where it fits
    band: str  # SVG polygon points of the low-high range
    dots: list[dict]
    y_max: float
    y_ticks: list[dict]
    width: int = WIDTH

    @property
    def height(self) -> int:
        """The plot, and a line under it for each line of `plans_note`."""
        return HEIGHT + NOTE_LINE * len(self.note_lines)

    @property
    def x_name_y(self) -> int:
        return HEIGHT - 3

    @property
    def note_lines(self) -> list[dict]:
        """`plans_note` in lines that fit the image's width, and where each sits under the x axis's name."""
        lines: list[str] = []
        for word in self.plans_note.split(" ") if self.plans_note else []:
            if lines and len(lines[-1]) + 1 + len(word) <= NOTE_CHARS:
                lines[-1] += f" {word}"
            else:
                lines.append(word)
        return [{"y": HEIGHT - 3 + NOTE_LINE * (n + 1), "text": text} for n, text in enumerate(lines)]

    @property
    def alt(self) -> str:
        """What is measured and the points in words, for the image's alt text and the SVG's title:
        'Decode speed per user at full context, in tok/s, by tokens of context: 1k 16.5; 64k does not fit'."""
        values = [
            f"{p.label} {p.value:.1f}{' inside the safety margin' if p.margin else ''}"
            if p.drawn
            else f"{p.label} does not fit"
            for p in self.points
        ]
        return f"{self.title}, in {self.unit}, by {self.x_name}: {'; '.join(values)}"

    @property
    def empty(self) -> bool:
        """No point fits: the page draws no chart, only says so (`nothing_fits`), where a review found an
        empty 0-1 axis over a row of ×."""
        return not any(p.drawn for p in self.points)

    @property
    def span(self) -> str:
        """The points' range, as `nothing_fits` says it: '1k–128k tokens of context'."""
        return f"{self.points[0].label}–{self.points[-1].label} {self.x_name}"

    @property
    def misses(self) -> bool:
        """Some point does not fit: the chart's legend explains its ×."""
        return any(not p.drawn for p in self.points)

    @property
    def margins(self) -> bool:
        """Some point fits only inside the safety margin: the legend explains its amber dot."""
        return any(p.margin and p.drawn for p in self.points)

    @property
    def plan_changes(self) -> list[tuple[int, Point]]:
        """Each drawn point whose plan differs from the drawn point before it, with its index: where the
        line switches plans (2 GPUs: one GPU at 1k, tensor parallel from 8k)."""
        drawn = [(i, p) for i, p in enumerate(self.points) if p.drawn]
        return [
            (i, p) for (_, before), (i, p) in zip(drawn, drawn[1:], strict=False) if p.plan != before.plan
        ]

    @property
    def plans_note(self) -> str:
        """'Each point is the plan recommended there: one GPU from 1k, tensor parallel from 8k.' when the
        line switches plans, else empty."""
        changes = self.plan_changes
        if not changes:
            return ""
        first = next(p for p in self.points if p.drawn)
        steps = [(first.label, first.plan)] + [(p.label, p.plan) for _, p in changes]
        words = ", ".join(f"{STRATEGIES[plan].phrase} from {label}" for label, plan in steps)
        return f"Each point is the plan recommended there: {words}."

    @property
    def change_xs(self) -> list[float]:
        """Where the SVG draws a dashed line: halfway between a plan change and the point before it."""
        n = max(len(self.points) - 1, 1)
        inner = self.width - PAD_LEFT - PAD_RIGHT
        return [round(PAD_LEFT + inner * (i - 0.5) / n, 1) for i, _ in self.plan_changes]

    @property
    def x_name_x(self) -> float:
        """Where the x axis's name is centred: the middle of the plotted width."""
        return PAD_LEFT + (self.width - PAD_LEFT - PAD_RIGHT) / 2


def at_full_context(plan: Plan) -> tuple[float | None, float | None, float | None]:
    """Decode per user with the whole context cached, and its range: the result's "At full context"."""
    return plan.decode_tok_s_at_context, plan.decode_tok_s_at_context_low, plan.decode_tok_s_at_context_high


def all_users(plan: Plan) -> tuple[float | None, float | None, float | None]:
    """Decode of every user together, its range scaled from the per-user range."""
    value = plan.decode_tok_s_aggregate
    scale = (value or 0) / plan.decode_tok_s if plan.decode_tok_s else 1
    low = plan.decode_tok_s_low * scale if plan.decode_tok_s_low else value
    high = plan.decode_tok_s_high * scale if plan.decode_tok_s_high else value
    return value, low, high


@shared_steps()  # the points time the question's stages at other contexts or users: each step once
def _series(
    question: Question,
    changes: list[dict],
    *,
    speed: Callable[[Plan], tuple[float | None, float | None, float | None]],
    current: int,
    answered: Estimate | None,
) -> list[tuple]:
    """One point per change of the question, `speed` of the plan the calculator recommends for it; the
    point of the question itself (`current`) is its answer's recommended plan when `answered` is given,
    the plan fits() finds for it."""
    model, quant = question.model_spec, question.quant_spec  # the estimate's: its plans read the same fields
    devices = question.device_specs  # on the backend the answer is timed on (asked, or the runtime's)
    out = []
    # The points go from the least memory to the most: until one does not fit, the next is expected to,
    # and its plan is built as the reverse pages build theirs (best_plan: alone where no other plan can
    # be recommended over it, else without fits()'s memory-only check first): the same plan either way
    probe = False
    for i, change in enumerate(changes):
        margin = False
        try:  # fits(): estimate()'s ranking without the commands and explanations a chart does not show
            workload = question.workload_at(**change)
            if i == current and answered is not None and answered.recommended_plan is not None:
                plan = answered.recommended_plan
            elif i == current and answered is not None and status(closest_plan(answered)) == "margin":
                # the page's borderline plan, as its verdict reads it
                plan, margin = closest_plan(answered), True
            else:
                ask = fits if probe else partial(best_plan, probe=False)
                plan = ask(model=model, quant=quant, devices=devices, workload=workload, reasoned=False)
            if plan is None:  # the page's borderline: it fits once the safety margin is spent
                probe = True
                # the memory kept free is vLLM's 1 - --gpu-memory-utilization where that is more (a review: a
                # vLLM borderline answer's own point drawn as "does not fit", the headroom alone given up)
                unkept = workload.model_copy(update={"headroom_bytes": 0, "gpu_memory_utilization": 1.0})
                plan = fits(model=model, quant=quant, devices=devices, workload=unkept, reasoned=False)
                margin = plan is not None
        except ValueError:
            out.append((None, None, None, False, False, ""))
            continue
        if plan is None:
            out.append((None, None, None, False, False, ""))
            continue
        value, low, high = speed(plan)
        out.append((value, low or value, high or value, plan.fits and not margin, margin, plan.strategy))
    return out


def _chart(
    kind: str, title: str, unit: str, x_name: str, labels: list[str], series: list[tuple], current: int
) -> Chart:
    points = [
        Point(label, v, lo, hi, fits, i == current, margin, plan)
        for i, (label, (v, lo, hi, fits, margin, plan)) in enumerate(zip(labels, series, strict=True))
    ]
    return drawn(kind, title, unit, x_name, points)


def nothing_fits(charts: list[Chart]) -> str:
    """In one line, the charts not drawn as no point of theirs fits: 'Nothing fits at any of 1k–128k tokens
    of context or 1–64 users at once: no speed charts.'; "" when each has a point that fits."""
    empty = [c for c in charts if c.empty]
    if not empty:
        return ""
    spans = " or ".join(c.span for c in empty)
    if len(empty) == len(charts):
        return f"Nothing fits at any of {spans}: no speed chart{'s' if len(empty) > 1 else ''}."
    return f"Nothing fits at any of {spans}: no chart of {empty[0].title[0].lower()}{empty[0].title[1:]}."


def stored(chart: Chart) -> dict:
    """The chart as JSON: what it measures and its points, all a snapshot keeps to draw it again."""
    return {
        "kind": chart.kind,
        "title": chart.title,
        "unit": chart.unit,
        "x_name": chart.x_name,
        "points": [asdict(p) for p in chart.points],
    }


def from_stored(data: dict) -> Chart:
    """A chart `stored` kept, drawn as it was (calculator/snapshots.py: a shared answer's charts)."""
    points = [Point(**p) for p in data["points"]]
    return drawn(data["kind"], data["title"], data["unit"], data["x_name"], points)


def drawn(kind: str, title: str, unit: str, x_name: str, points: list[Point]) -> Chart:
    """The SVG geometry of the points: the line and range band where they fit, the dots, the y axis."""
    y_max = max([p.high or p.value or 0 for p in points] + [1.0])
    y_max = _nice(y_max)
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    n = max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return PAD_LEFT + inner_w * i / n, PAD_TOP + inner_h * (1 - v / y_max)

    fitting = [(i, p) for i, p in enumerate(points) if p.drawn]
    line = " ".join(f"{x:.1f},{y:.1f}" for i, p in fitting for x, y in [xy(i, p.value)])
    upper = [xy(i, p.high) for i, p in fitting]
    lower = [xy(i, p.low) for i, p in reversed(fitting)]
    band = " ".join(f"{x:.1f},{y:.1f}" for x, y in upper + lower)
    dots = []
    for i, p in enumerate(points):
        x, y = xy(i, p.value if p.drawn else 0)
        dots.append({"x": round(x, 1), "y": round(y, 1), "point": p, "label_y": HEIGHT - PAD_BOTTOM + 12})
    ticks = [{"y": round(xy(0, v)[1], 1), "label": f"{v:g}"} for v in (0, y_max / 2, y_max)]
    return Chart(kind, title, unit, x_name, points, line, band, dots, y_max, ticks)


def _nice(value: float) -> float:
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _short(tokens: int) -> str:
    """'4k' for 4096, '2.9k' for 3000 (never rounded onto a neighbour's label), '512' under 1k."""
    if tokens < 1024:
        return str(tokens)
    k = tokens / 1024
    return f"{k:.0f}k" if k == int(k) else f"{k:.1f}k"


def _asked(tokens: int, others: list[str]) -> str:
    """The question's own context as the visitor wrote it: '28k' for 28000 (not 27.3k), '28,500' when
    not whole thousands or when its 'k' would read as a neighbour's label (4000 beside 4096's '4k')."""
    if tokens % 1024 == 0:
        return _short(tokens)
    k = f"{tokens // 1000}k"
    return k if tokens % 1000 == 0 and k not in others else f"{tokens:,}"


def speed_vs_context(question: Question, answered: Estimate | None = None) -> Chart:
    """`answered`: the question's own estimate, if computed already (it gives the current point)."""
    from .answer import CHART_CONTEXTS

    ctx = question.ctx
    limit = question.model.context_limit(question.runtime) or CHART_CONTEXTS[-1]
    contexts = sorted({c for c in CHART_CONTEXTS if c <= limit} | {ctx})
    changes = [{"context_tokens": c} for c in contexts]
    series = _series(question, changes, speed=at_full_context, current=contexts.index(ctx), answered=answered)
    who = "one user alone" if question.batch > 1 else "per user"  # the result's "At full context"
    return _chart(
        "context",
        f"Decode speed {who} at full context",
        "tok/s",
        "tokens of context",
        [_asked(c, [_short(o) for o in contexts if o != c]) if c == ctx else _short(c) for c in contexts],
        series,
        contexts.index(ctx),
    )


def speed_vs_users(question: Question, answered: Estimate | None = None) -> Chart:
    from .answer import CHART_USERS

    batch = question.batch
    users = sorted(set(CHART_USERS) | {batch})
    changes = [{"batch": b} for b in users]
    series = _series(question, changes, speed=all_users, current=users.index(batch), answered=answered)
    return _chart(
        "users",
        "Total decode speed against concurrent users",
        "tok/s",
        "users at once",
        [str(u) for u in users],
        series,
        users.index(batch),
    )
