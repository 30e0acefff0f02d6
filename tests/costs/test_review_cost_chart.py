"""/cost/'s inline chart draws its ticks, grid and dashed line as the calculator's chart.svg does.

Inline, an SVG's text takes the page's font size (then scaled up with the chart) and black, and its lines take
no stroke at all unless the SVG or site.css says otherwise; site.css has no rules for this chart."""

import re

import pytest

pytestmark = pytest.mark.django_db

QUESTION = "/cost/?model=llama-3-3-70b-instruct&gpu=geforce-rtx-3090&count=2"


def chart_svg(client) -> str:
    html = client.get(QUESTION).content.decode()
    found = re.search(r'<figure class="chart cost-chart">.*?(<svg .*?</svg>)', html, re.S)
    assert found, "no cost chart on the page"
    return found.group(1)


def test_the_cost_charts_labels_are_chart_sized_grey_and_right_aligned_on_the_y_axis(client, costs):
    svg = chart_svg(client)
    assert re.match(r'<svg [^>]*font-size="9"', svg)  # chart.svg's size, in the chart's own units
    y_labels = re.findall(r'<text [^>]*text-anchor="end" dominant-baseline="middle">([^<]+)</text>', svg)
    assert len(y_labels) == 3
    # one precision on the axis (a review: "$0.00 / $50.00 / $100")
    cents = [bool(re.search(r"\.\d\d$", label)) for label in y_labels]
    assert len(set(cents)) == 1, y_labels
    texts = re.findall(r"<text [^>]*>", svg)
    assert len(texts) == 6 and all('fill="#6e7681"' in t for t in texts)


def test_the_cost_charts_grid_is_drawn_and_the_visitors_tokens_a_day_line_is_dashed(client, costs):
    svg = chart_svg(client)
    assert len(re.findall(r'<line [^>]*stroke="#8c959f" stroke-width=".5"/>', svg)) == 3  # one per y tick
    dashed = re.findall(r'<line x1="([\d.]+)" x2="\1" [^>]*stroke-dasharray="3 2"/>', svg)
    assert len(dashed) == 1
    # site.css's bar rule (1 1 dashes, 0.4 px) would override these attributes
    assert "headroom-line" not in svg
