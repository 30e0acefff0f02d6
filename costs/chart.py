"""Cost a day against tokens a day, as server-rendered SVG geometry (the page draws it inline)."""

import math
from dataclasses import dataclass

from .economics import KeptUp, Linear, SelfHosted, tokens_text, usd_text

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 420, 210, 48, 24, 10, 16
STEPS = 48


# The site's --weights, --kv and --compute colours (static/css/site.css), as SVG presentation attributes:
# the bars' legend swatches already carry these classes, and the page's stylesheet stays as it is.
COLOURS = {"weights": "#3b6fd8", "kv": "#c2410c", "compute": "#7c3aed"}


@dataclass(frozen=True)
class Series:
    label: str
    css: str  # the legend swatch's class
    line: str  # SVG polyline points

    @property
    def colour(self) -> str:
        return COLOURS[self.css]


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class CostChart:
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    marker: tuple[float, float] | None  # the break-even point
    asked_x: float  # the visitor's tokens a day
    summary: str  # the same in words, for screen readers
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PAD_LEFT
    bottom: int = HEIGHT - PAD_BOTTOM


def nice(value: float) -> float:
    """The next of 1, 2, 2.5, 5 × a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    return next((s * exponent for s in (1, 2, 2.5, 5, 10) if value <= s * exponent + 1e-12), 10 * exponent)


def drawn_to(tokens_per_day: float, break_even: float | None) -> float:
    """The tokens a day the chart reaches: about twice the visitor's, or a little past the break-even point."""
    x_max = 2 * tokens_per_day
    if break_even and break_even < 20 * tokens_per_day:
        x_max = max(x_max, 1.25 * break_even)
    return nice(x_max)


def cost_chart(
    *,
    own: SelfHosted | None,
    own_label: str,
    others: list[tuple[str, Linear | KeptUp]],
    tokens_per_day: float,
    break_even: float | None,
) -> CostChart:
    """`own` (a step up at each further set of hardware) and each of `others` (straight lines, or steps
    for a rental kept up its hours) from 0 to `drawn_to`."""
    x_max = drawn_to(tokens_per_day, break_even)
    curves: list[tuple[str, str, list[float]]] = []
    xs = [x_max * i / STEPS for i in range(STEPS + 1)]
    if own is not None:
        curves.append((own_label, "weights", [own.usd_per_day(x) for x in xs]))
    for css, (label, price) in zip(("kv", "compute"), others, strict=False):  # the site's legend colours
        curves.append((label, css, [price.usd_per_day(x) for x in xs]))
    y_max = nice(max([v for _, _, values in curves for v in values] + [1.0]))
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def xy(x: float, y: float) -> tuple[float, float]:
        return round(PAD_LEFT + inner_w * x / x_max, 1), round(
            PAD_TOP + inner_h * (1 - min(y, y_max) / y_max), 1
        )

    series = [
        Series(
            label,
            css,
            " ".join(f"{px},{py}" for px, py in (xy(x, v) for x, v in zip(xs, values, strict=True))),
        )
        for label, css, values in curves
    ]
    x_ticks = [Tick(xy(x, 0)[0], tokens_text(x)) for x in (0, x_max / 2, x_max)]
    # one precision on the axis: whole dollars where its top has no cents (a review: "$0.00 / $50.00 / $100")
    y_ticks = [
        Tick(xy(0, y)[1], f"${y:,.0f}" if y_max >= 100 else usd_text(y)) for y in (0, y_max / 2, y_max)
    ]
    marker = None
    if own is not None and break_even and break_even <= x_max:
        marker = xy(break_even, own.usd_per_day(break_even))
    words = [
        f"{label}: {usd_text(values[-1])} a day at {tokens_text(x_max)} tokens" for label, _, values in curves
    ]
    return CostChart(series, x_ticks, y_ticks, marker, xy(tokens_per_day, 0)[0], "; ".join(words))
