"""The reverse questions for image and video models: which run on the visitor's GPUs (what-runs' second
section)."""

import html as markup
import re

import pytest

from calculator.diffusion_answer import ASSUMED_RAM_GB, is_diffusion
from catalog.models import DiffusionModel
from tests.reverse_questions.answers import M4_MAX, RTX_3090, calculator_image_answer

pytestmark = pytest.mark.django_db

RTX_3060 = "geforce-rtx-3060-12-gb"
HX = {"HX-Request": "true"}


def text(html: str, testid: str) -> str:
    """The text of the element with that data-testid, tags removed."""
    found = re.search(rf'<(p|td|section)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, testid
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", "", found.group(2))).split())


def row_html(html: str, slug: str) -> str:
    return re.search(rf'<tr[^>]*data-image-model="{slug}">(.*?)</tr>', html, re.S).group(1)


def by_slug(response) -> dict:
    return {row.model.slug: row for row in response.context["images"]}


# ---- What runs on my hardware? ------------------------------------------------------------------


def test_what_runs_lists_every_image_and_video_model_with_the_calculators_plan_time_and_link(client, catalog):
    response = client.get(f"/what-runs/?gpu={RTX_3090}&count=2")
    rows = response.context["images"]
    answered = {slug for slug in DiffusionModel.objects.values_list("slug", flat=True) if is_diffusion(slug)}
    assert {r.model.slug for r in rows} == answered
    for row in rows:  # each link opens the calculator's image answer, with the same plan and time
        result, canonical, assumed = calculator_image_answer(row.permalink)
        assert canonical == row.permalink
        assert result.recommended == (row.plan.strategy if row.plan else None)
        if row.plan:
            assert result.recommended_plan.timing.total_s == pytest.approx(row.seconds)
            assert assumed == row.assumed_ram_gb
    html = response.text
    assert "15 of 17 image and video models run on 2× GeForce RTX 3090." in text(html, "images-verdict")
    assert 'href="#images" data-testid="images-jump"' in html  # from the top of the page, on a phone too
    flux = row_html(html, "flux-1-dev")
    assert "Component offload" in flux and "Image, 1024×1024, 28 steps" in flux
    assert re.search(r"about 1\.1 min per image <small>\(\d+ s – \d\.\d min\)</small>", flux)
    assert 'href="/?model=flux-1-dev&amp;gpu=geforce-rtx-3090&amp;count=2">Details</a>' in flux
    cogvideo = row_html(html, "cogvideox-5b")  # a pipeline on each card: two videos at once
    assert "One image per GPU" in cogvideo and "per video" in cogvideo and "2 videos at a time" in cogvideo
    assert "Video, 720×480, 49 frames (6.1 s), 50 steps" in cogvideo


def test_an_image_model_that_needs_offload_says_the_ram_it_assumed_or_that_the_ram_given_is_short(
    client, catalog
):
    assumed = by_slug(client.get(f"/what-runs/?gpu={RTX_3060}"))["flux-1-dev"]
    assert assumed.fits and assumed.assumed_ram_gb in ASSUMED_RAM_GB
    assert "ram_gb" not in assumed.permalink  # the calculator assumes the same RAM itself
    html = client.get(f"/what-runs/?gpu={RTX_3060}").text
    assert f"with {assumed.assumed_ram_gb} GB of system RAM or more" in row_html(html, "flux-1-dev")
    response = client.get(f"/what-runs/?gpu={RTX_3060}&ram_gb=16")
    short = by_slug(response)["flux-1-dev"]
    assert not short.fits and short.permalink.endswith("&ram_gb=16")
    assert calculator_image_answer(short.permalink)[0].recommended is None
    assert "Does not fit, even offloaded to 16 GB of system RAM." in row_html(response.text, "flux-1-dev")
    assert 'data-testid="images-none"' in response.text  # folded away, below those that run


def test_image_models_sort_as_the_language_models_do(client, catalog):
    def order(sort: str) -> list:
        return [r for r in client.get(f"/what-runs/?gpu={RTX_3090}&sort={sort}").context["images"] if r.fits]

    speed, name, size = order("speed"), order("name"), order("size")
    assert [r.seconds for r in speed] == sorted(r.seconds for r in speed)
    assert [r.model.name for r in name] == sorted((r.model.name for r in name), key=str.casefold)
    assert [r.params_b for r in size] == sorted((r.params_b for r in size), reverse=True)


def test_on_a_mac_image_models_are_asked_without_system_ram(client, catalog):
    """The calculator refuses a system RAM beside Apple silicon (the GPU's memory is the system memory)."""
    rows = client.get(f"/what-runs/?gpu={M4_MAX}&ram_gb=64").context["images"]
    assert rows and all(r.fits and "ram_gb" not in r.permalink for r in rows)
    calculator_image_answer(rows[0].permalink)


def test_a_mac_beside_another_gpu_says_the_calculator_asks_about_each_alone(client, catalog):
    response = client.get(f"/what-runs/?gpu={M4_MAX}&count=1&gpu={RTX_3090}&count=1")
    assert response.context["images"] == [] and response.context["rows"]
    assert "is a whole computer that takes no other GPU" in text(response.text, "images-mac")


def test_models_named_finds_image_models_and_says_so_where_no_language_model_is(client, catalog):
    response = client.get(f"/what-runs/?gpu={RTX_3090}&q=flux")
    assert response.context["rows"] == []
    assert sorted(by_slug(response)) == ["flux-1-dev", "flux-1-kontext-dev", "flux-1-schnell"]
    assert text(response.text, "verdict") == (
        "3 of 3 image and video models named “flux” run on 1× GeForce RTX 3090."
    )
    assert 'data-testid="permalink"' in response.text


def test_a_speed_tier_alone_shows_no_image_model_and_htmx_swaps_them_in(client, catalog):
    assert "images" not in client.get(f"/what-runs/?gpu={RTX_3090}&tier=great").context
    partial = client.get(f"/what-runs/?gpu={RTX_3090}", headers=HX)
    assert partial.template_name == "reverse_questions/what_runs.html#result"
    assert 'data-testid="images"' in partial.text
