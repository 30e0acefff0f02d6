"""Link-preview images (1200×630 PNG, the Open Graph size) drawn from plain data.

No Django and no database: the caller passes the title, the verdict, a few lines of text and the
per-device memory bars; `render()` returns PNG bytes. The font is the one Pillow ships with its
FreeType build (a subset of Aileron, public domain under CC0), so a fresh machine needs no system fonts.
"""

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from PIL import Image, ImageColor, ImageDraw, ImageFont

VERSION = 3  # bump when the drawing changes: cached images are keyed on it
WIDTH, HEIGHT = 1200, 630
MARGIN = 64
MAX_BARS = 4  # more devices than this: the first MAX_BARS - 1 and "+ N more"

Tone = Literal["yes", "tight", "no"]
Kind = Literal["weights", "kv", "state", "compute", "overhead"]

# The page's colours (static/css/site.css), so the preview looks like the page it links to.
FG, MUTED, BG, ACCENT = "#1b1f24", "#57606a", "#ffffff", "#0a58ca"
TONES = {"yes": "#1a7f37", "tight": "#9a6700", "no": "#b42318"}
SEGMENT_COLORS = {
    "weights": "#3b6fd8",
    "kv": "#c2410c",
    "state": "#d4a106",
    "compute": "#7c3aed",
    "overhead": "#6b7280",
}
LEGEND = [
    ("Weights", "weights"),
    ("KV cache", "kv"),
    ("Recurrent state", "state"),
    ("Compute", "compute"),
    ("Overhead", "overhead"),
]
CAPACITY_FILL, CAPACITY_LINE = "#e4e8ed", "#1b1f24"


# Pillow's bundled Aileron is a subset: ASCII and these. Anything else is spelt with what it has.
GLYPHS = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("©«°±´·»‘’“”…‹›⁄™")
SUBSTITUTES = str.maketrans({"×": "x", "–": "-", "—": "-", "−": "-", "≈": "~", "µ": "u", "\u00a0": " "})


@dataclass(frozen=True)
class Segment:
    kind: Kind
    fraction: float  # of the bar's whole width


@dataclass(frozen=True)
class Bar:
    label: str  # "GeForce RTX 3090 · 40 layers"
    detail: str  # "21.3 GiB of 24.0 GiB"
    segments: tuple[Segment, ...]
    capacity: float = 1.0  # where the device's memory ends, as a fraction of the bar (< 1 when over)
    fits: bool = True


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def render(
    *, title: str, verdict: str, tone: Tone, lines: Sequence[str], bars: Sequence[Bar], footer: str = ""
) -> bytes:
    """The preview: title, verdict (two lines at most), `lines` of detail, then one bar per device."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BG)
    draw = ImageDraw.Draw(image)
    width = WIDTH - 2 * MARGIN
    draw.rectangle((0, 0, 13, HEIGHT), fill=TONES[tone])

    _text(draw, (MARGIN, 40), title, 34, ACCENT, bold=True)
    if footer:
        _text(draw, (WIDTH - MARGIN, 46), footer, 26, MUTED, anchor="ra")
    y = 100
    for line in wrap(verdict, font(48), width, max_lines=2):
        _text(draw, (MARGIN, y), line, 48, TONES[tone], bold=True)
        y += 60
    y += 8
    for line in lines:
        _text(draw, (MARGIN, y), ellipsize(line, font(28), width), 28, FG)
        y += 40

    legend_y = HEIGHT - 56
    shown, hidden = _visible(bars)
    if shown:
        _bars(draw, shown, hidden, top=y + 20, bottom=legend_y - 16, width=width)
        _legend(draw, legend_y, {s.kind for bar in shown for s in bar.segments})
    return _png(image)


def _png(image: Image.Image) -> bytes:
    """Every pixel is one of our colours or a blend of it with the white background (text edges), so
    a fixed 256-colour palette loses nothing visible and makes the PNG a third the size and 5× faster."""
    buffer = io.BytesIO()
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _palette() -> Image.Image:
    """The background, then each colour blended into it in steps; none close to the background, since
    Pillow matches colours on a 5-bit grid and would snap the background to a near-white neighbour."""
    background = ImageColor.getrgb(BG)
    inks = [FG, MUTED, ACCENT, *TONES.values(), *SEGMENT_COLORS.values(), CAPACITY_FILL]
    steps = 255 // len(inks)
    colors = [background]
    for ink in inks:
        rgb = ImageColor.getrgb(ink)
        for i in range(1, steps + 1):
            color = tuple(round(b + (c - b) * i / steps) for b, c in zip(background, rgb, strict=True))
            if max(abs(c - b) for b, c in zip(background, color, strict=True)) >= 16:
                colors.append(color)
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for color in colors + [background] * (256 - len(colors)) for v in color])
    return palette


def _text(draw: ImageDraw.ImageDraw, xy, text: str, size: int, fill: str, *, bold=False, anchor="la"):
    stroke = {"stroke_width": 1, "stroke_fill": fill} if bold else {}  # the bundled font has no bold
    draw.text(xy, printable(text), font=font(size), fill=fill, anchor=anchor, **stroke)


def _visible(bars: Sequence[Bar]) -> tuple[Sequence[Bar], int]:
    if len(bars) <= MAX_BARS:
        return bars, 0
    return bars[: MAX_BARS - 1], len(bars) - (MAX_BARS - 1)


def _bars(draw: ImageDraw.ImageDraw, bars: Sequence[Bar], hidden: int, *, top: int, bottom: int, width: int):
    rows = len(bars) + (1 if hidden else 0)
    row = min(100, (bottom - top) // rows)
    size = 24 if row >= 64 else 20
    bar_height = max(10, min(40, row - size - 24))
    y = top
    for bar in bars:
        detail_width = int(font(size).getlength(printable(bar.detail)))
        _text(draw, (MARGIN, y), ellipsize(bar.label, font(size), width - detail_width - 24), size, FG)
        _text(draw, (MARGIN + width, y), bar.detail, size, FG if bar.fits else TONES["no"], anchor="ra")
        _bar(draw, bar, x=MARGIN, y=y + size + 8, width=width, height=bar_height)
        y += row
    if hidden:
        _text(draw, (MARGIN, y), f"+ {hidden} more device{'s' if hidden > 1 else ''}", size, MUTED)


@dataclass(frozen=True)
class BarLayout:
    """A bar's pixel columns: each span is (kind, first, last), inclusive, with first <= last."""

    capacity_x: int
    spans: tuple[tuple[Kind, int, int], ...]
    end_x: int  # the column just past the last segment


def layout(bar: Bar, *, x: int, width: int) -> BarLayout:
    """Each segment's edges are rounded from the running total of the fractions, not from its own width, so
    edges never go backwards, neighbours never overlap or leave a gap, and the bar stays in [x, x + width]
    whatever the fractions (zero, tiny, over 100%, negative, NaN, infinite)."""
    width = max(0, width)
    edges, total = [x], 0.0
    for segment in bar.segments:
        total = min(1.0, total + _clamp(segment.fraction))
        edges.append(x + round(width * total))
    spans = tuple(
        (segment.kind, left, right - 1)
        for segment, (left, right) in zip(bar.segments, pairwise(edges), strict=True)
        if right > left
    )
    return BarLayout(capacity_x=x + round(width * _clamp(bar.capacity)), spans=spans, end_x=edges[-1])


def _bar(draw: ImageDraw.ImageDraw, bar: Bar, *, x: int, y: int, width: int, height: int):
    geometry = layout(bar, x=x, width=width)
    bottom = y + max(0, height)
    draw.rectangle((x, y, geometry.capacity_x, bottom), fill=CAPACITY_FILL)
    for kind, left, right in geometry.spans:
        draw.rectangle((left, y, right, bottom), fill=SEGMENT_COLORS[kind])
    if geometry.end_x > geometry.capacity_x + 1:  # more than the device holds: outline the overflow
        draw.rectangle((geometry.capacity_x, y, geometry.end_x, bottom), outline=TONES["no"], width=3)
    draw.line((geometry.capacity_x, y - 5, geometry.capacity_x, bottom + 5), fill=CAPACITY_LINE, width=3)


def _legend(draw: ImageDraw.ImageDraw, y: int, kinds: set[str]):
    """The colours' keys; a hybrid model's recurrent state only where a bar shows one."""
    x = MARGIN
    for label, kind in [*((label, k) for label, k in LEGEND if k != "state" or k in kinds), ("Free", "")]:
        fill = SEGMENT_COLORS.get(kind, CAPACITY_FILL)
        draw.rectangle((x, y + 4, x + 22, y + 26), fill=fill, outline=None if kind else MUTED)
        _text(draw, (x + 32, y), label, 24, MUTED)
        x += 32 + int(font(24).getlength(label)) + 36


def _clamp(value: float) -> float:
    """The value within [0, 1]; NaN counts as 0."""
    return min(1.0, value) if value > 0 else 0.0


def printable(text: str) -> str:
    """The text with only glyphs the font has: 2× -> 2x, é -> e, anything else -> ?."""
    text = unicodedata.normalize("NFD", text.translate(SUBSTITUTES))
    return "".join(c if c in GLYPHS else "?" for c in text if c in GLYPHS or not unicodedata.combining(c))


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int, *, max_lines: int) -> list[str]:
    """Greedy word wrap to `width` pixels; the last line is cut with an ellipsis if text remains."""
    lines: list[str] = []
    words = printable(text).split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and face.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = ellipsize(f"{lines[-1]} {' '.join(words)}", face, width)
    return [ellipsize(line, face, width) for line in lines]


def ellipsize(text: str, face: ImageFont.FreeTypeFont, width: int) -> str:
    text = printable(text)
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(f"{text}…") > width:
        text = text[:-1]
    return f"{text.rstrip()}…"
