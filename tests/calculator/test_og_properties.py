"""The preview image never fails: every listed model × format on a spread of hardware, and any bar at all.

The cross product runs the engine and draws each device's bar the way /og.png does, without HTTP or PNG
encoding: the quick suite asks each listed model once, with the formats and hardware sets in turn; the
`slow` run (`make test`, CI) asks every model × format on every set. A handful of questions go through
/og.png and /r/<id>/og.png end to end.
"""

import io
import math

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from calculator import og, og_image, present
from calculator.forms import QuestionForm
from calculator.memory import memory_bars
from calculator.question import EngineRefused, Question
from catalog.models import LlmModel, Quantization

REGRESSION = "model=deepseek-r1&quant=q4_k_m&gpu=geforce-rtx-3090"  # a 0.5-1.5 px segment: 500 before
HARDWARE = {
    "one small GPU": "gpu=geforce-rtx-3060-12-gb",
    "one RTX 3090": "gpu=geforce-rtx-3090",
    "two RTX 3090": "gpu=geforce-rtx-3090&count=2",
    "mixed GPUs": "gpu=geforce-rtx-4090&count=1&gpu=geforce-rtx-3060-12-gb&count=1",
    "eight H100": "gpu=h100-sxm5-80-gb&count=8",
    "512 GB of unified memory": "gpu=apple-m3-ultra-512gb",
}
BAR_WIDTH = og_image.WIDTH - 2 * og_image.MARGIN  # as render() draws it


def assert_valid(geometry: og_image.BarLayout, *, x: int, width: int):
    assert x <= geometry.capacity_x <= x + width
    assert x <= geometry.end_x <= x + width
    edge = x
    for _kind, first, last in geometry.spans:
        assert first == edge and first <= last  # each starts where the last ended, never inverted
        edge = last + 1
    assert edge == geometry.end_x


def draw_bar(bar: og_image.Bar, *, width: int = BAR_WIDTH, height: int = 10):
    image = Image.new("RGB", (og_image.WIDTH, 40), og_image.BG)
    og_image._bar(ImageDraw.Draw(image), bar, x=og_image.MARGIN, y=10, width=width, height=height)


@pytest.mark.django_db
def test_the_reported_question_draws_its_preview(client, catalog):
    """deepseek-r1 Q4_K_M on one RTX 3090: a segment 0.5-1.5 px wide used to invert its rectangle."""
    response = client.get(f"{reverse('calculator:og-image')}?{REGRESSION}")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (og_image.WIDTH, og_image.HEIGHT)


def listed() -> tuple[list[str], list[str]]:
    models = LlmModel.objects.listed().order_by("slug").values_list("slug", flat=True)
    quants = Quantization.objects.listed().order_by("slug").values_list("slug", flat=True)
    return list(models), list(quants)


def draws_the_bars_of(questions: list[str]) -> None:
    """Each question's preview bars lie within the image and draw; the engine refuses at most 10%."""
    drawn = asked = 0
    for question in questions:
        form = QuestionForm(QueryDict(question))
        if not form.is_valid():  # a 400, not a preview (e.g. AWQ or FP8 on a Mac: no runtime runs it)
            continue
        asked += 1
        try:
            result = Question.from_form(form).estimate(with_suggestions=False)
        except EngineRefused:  # a 400 too
            continue
        plan = result.recommended_plan or present.closest_plan(result)
        for bar in map(og._bar, memory_bars(plan)):
            assert_valid(
                og_image.layout(bar, x=og_image.MARGIN, width=BAR_WIDTH),
                x=og_image.MARGIN,
                width=BAR_WIDTH,
            )
            draw_bar(bar)
        drawn += 1
    assert asked and drawn >= 0.9 * asked  # all of them today: the engine refuses none


def test_every_listed_model_and_every_format_draws_its_bars(catalog):
    """Each model once, with the formats and hardware sets in turn: every format and set is asked."""
    models, quants = listed()
    hardware = list(HARDWARE.values())
    assert len(models) >= len(quants)
    draws_the_bars_of(
        [
            f"model={model}&quant={quants[i % len(quants)]}&{hardware[i % len(hardware)]}"
            for i, model in enumerate(models)
        ]
    )


@pytest.mark.slow
@pytest.mark.parametrize("hardware", HARDWARE.values(), ids=HARDWARE.keys())
def test_every_listed_model_and_format_draws_its_bars(catalog, hardware):
    models, quants = listed()
    draws_the_bars_of([f"model={model}&quant={quant}&{hardware}" for model in models for quant in quants])


@pytest.mark.django_db
@pytest.mark.parametrize("hardware", HARDWARE.values(), ids=HARDWARE.keys())
def test_previews_and_snapshot_previews_answer_200(client, catalog, hardware):
    query = f"model=deepseek-r1&quant=q4_k_m&{hardware}"
    assert client.get(f"{reverse('calculator:og-image')}?{query}").status_code == 200
    snapshot_id = client.post(reverse("calculator:share"), {"q": query})["Location"].rsplit("/", 1)[-1]
    response = client.get(reverse("calculator:snapshot-og-image", args=[snapshot_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


fractions = st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=0, max_value=1.5)
segments = st.lists(
    st.builds(og_image.Segment, st.sampled_from(list(og_image.SEGMENT_COLORS)), fractions), max_size=6
)
bars = st.builds(
    og_image.Bar,
    label=st.text(max_size=40),
    detail=st.text(max_size=20),
    segments=segments.map(tuple),
    capacity=fractions,
    fits=st.booleans(),
)


@given(bar=bars, x=st.integers(0, 100), width=st.integers(-10, 1100))
def test_any_bar_lays_out_in_order_within_its_width(bar, x, width):
    geometry = og_image.layout(bar, x=x, width=width)
    assert_valid(geometry, x=x, width=max(0, width))


@given(bar=bars, width=st.integers(-10, og_image.WIDTH - 2 * og_image.MARGIN), height=st.integers(-10, 40))
def test_any_bar_draws(bar, width, height):
    draw_bar(bar, width=width, height=height)


@given(
    bars=st.lists(bars, max_size=6),
    lines=st.lists(st.text(max_size=80), max_size=8),
    verdict=st.text(max_size=200),
)
def test_any_preview_renders_a_1200_by_630_png(bars, lines, verdict):
    png = og_image.render(title="Will it run?", verdict=verdict, tone="no", lines=lines, bars=bars)
    assert Image.open(io.BytesIO(png)).size == (og_image.WIDTH, og_image.HEIGHT)


SUBPIXEL = 1 / BAR_WIDTH  # one pixel of the bar, as a fraction


@pytest.mark.parametrize(
    "fractions",
    [
        pytest.param((0.6 * SUBPIXEL, 0.5 * SUBPIXEL), id="two sub-pixel segments (inverted before)"),
        pytest.param((0.0, 0.0), id="zero"),
        pytest.param((1e-9, 0.9), id="tiny"),
        pytest.param((0.0004, 0.0004, 0.0004), id="several under a pixel"),
        pytest.param((0.6, 0.6), id="over 100%"),
        pytest.param((math.nan, 0.5), id="NaN"),
        pytest.param((-1, 2), id="negative"),
        pytest.param((math.inf, 0.1), id="infinite"),
    ],
)
def test_tiny_zero_overfull_and_nan_segments_draw(fractions):
    bar = og_image.Bar("GPU", "x", tuple(og_image.Segment("weights", f) for f in fractions), capacity=0.8)
    assert_valid(og_image.layout(bar, x=og_image.MARGIN, width=BAR_WIDTH), x=og_image.MARGIN, width=BAR_WIDTH)
    draw_bar(bar)


def test_segment_edges_round_from_the_running_total():
    """Three segments of 0.4 px each cover 1.2 px together: one pixel, not none and not three."""
    bar = og_image.Bar(
        "GPU", "x", tuple(og_image.Segment(k, 0.4 / 1000) for k in ("weights", "kv", "compute"))
    )
    assert og_image.layout(bar, x=0, width=1000).spans == (("kv", 0, 0),)
    half = og_image.Bar(
        "GPU", "x", (og_image.Segment("weights", 0.5), og_image.Segment("kv", 0.7)), capacity=0.8
    )
    geometry = og_image.layout(half, x=10, width=1000)
    assert geometry.spans == (("weights", 10, 509), ("kv", 510, 1009))  # the bar ends at its width
    assert (geometry.capacity_x, geometry.end_x) == (810, 1010)  # the overflow is outlined from 810
