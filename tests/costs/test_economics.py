"""The cost arithmetic, checked by hand on round numbers (no database)."""

import pytest

from costs.chart import cost_chart, nice
from costs.economics import (
    Linear,
    SelfHosted,
    break_even_tokens_per_day,
    rented_usd_per_million,
    tokens_text,
    usd_text,
)

# $3,650 over 1 year: $10 a day. 10 tok/s all day: 864,000 tokens. 1,000 W at $0.36/kWh: $0.36 an hour
# for 36,000 tokens, $10 per million.
ROUND = SelfHosted(
    hardware_usd=3650, lifetime_years=1, utilisation=1.0, tok_s=10, power_w=1000, usd_per_kwh=0.36
)


def test_hardware_is_spread_evenly_over_its_lifetime():
    assert ROUND.hardware_usd_per_day == pytest.approx(10.0)
    assert ROUND.capacity_tokens_per_day == 864_000
    assert ROUND.electricity_usd_per_token * 1e6 == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("tokens", "sets", "usd_per_day"),
    [
        (100_000, 1, 10 + 1.0),  # one set: $10 + 0.1 M × $10
        (864_000, 1, 10 + 8.64),  # its whole day
        (864_001, 2, 20 + 8.64001),  # one token more takes a second set
        (2_000_000, 3, 30 + 20.0),
    ],
)
def test_more_tokens_than_one_set_makes_take_another_set(tokens, sets, usd_per_day):
    assert ROUND.sets_needed(tokens) == sets
    assert ROUND.usd_per_day(tokens) == pytest.approx(usd_per_day)


def test_utilisation_caps_what_a_set_makes_and_raises_its_cost_per_token():
    half = SelfHosted(
        hardware_usd=3650, lifetime_years=1, utilisation=0.5, tok_s=10, power_w=1000, usd_per_kwh=0.36
    )
    assert half.capacity_tokens_per_day == 432_000
    # $10 + 0.432 M × $10 = $14.32 a day for 0.432 M tokens: $33.15 per million, against $21.57 at 100%
    assert half.usd_per_million_busy == pytest.approx(14.32 / 0.432)
    assert ROUND.usd_per_million_busy == pytest.approx(18.64 / 0.864)


def test_unknown_board_power_leaves_electricity_out():
    quiet = SelfHosted(
        hardware_usd=3650, lifetime_years=1, utilisation=1, tok_s=10, power_w=None, usd_per_kwh=0.36
    )
    assert quiet.electricity_usd_per_token == 0
    assert quiet.usd_per_day(100_000) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("rent_per_million", "break_even"),
    [
        (30.0, 500_000),  # $10 a day / ($30 - $10 electricity per million) = 0.5 M tokens a day
        # 1 M tokens a day, past one set's 864 k: its whole day costs $18.64 against renting's $17.28, and a
        # second set pays off only above 2 M, past its 1.728 M: never
        (20.0, None),
        (10.0, None),  # no cheaper than the electricity: buying never pays off
        (5.0, None),
    ],
)
def test_break_even_is_the_hardware_a_day_over_the_saving_per_token(rent_per_million, break_even):
    found = break_even_tokens_per_day(ROUND, Linear(rent_per_million))
    assert found == (pytest.approx(break_even) if break_even else None)


def test_a_rented_instance_costs_its_hourly_price_over_its_tokens_an_hour():
    # $2.69/h at 34.6 tok/s: 124,560 tokens an hour, $21.596 per million
    assert rented_usd_per_million(usd_per_hour=2.69, tok_s=34.6) == pytest.approx(21.596, abs=1e-3)
    assert Linear(21.596).usd_per_day(2_000_000) == pytest.approx(43.192)


@pytest.mark.parametrize(
    ("tokens", "text"),
    [(950, "950"), (45_000, "45 k"), (63_865, "63.9 k"), (1_300_000, "1.3 M"), (2e6, "2 M")],
)
def test_tokens_read_as_people_say_them(tokens, text):
    assert tokens_text(tokens) == text


def test_dollars_keep_cents_only_where_they_matter():
    assert usd_text(0.004) == "<$0.01"
    assert usd_text(6.989) == "$6.99"
    assert usd_text(1400) == "$1,400"


def test_the_chart_marks_the_break_even_point_on_the_bought_line():
    chart = cost_chart(
        own=ROUND,
        own_label="Buy",
        others=[("Rent", Linear(20.0))],
        tokens_per_day=400_000,
        break_even=1_000_000,
    )
    assert [s.css for s in chart.series] == ["weights", "kv"]
    assert chart.marker is not None  # 1.25 × 1 M, rounded up: a 2 M axis
    assert chart.x_ticks[-1].label == "2 M"
    assert "Buy:" in chart.summary and "Rent:" in chart.summary


@pytest.mark.parametrize(
    ("value", "rounded"), [(0.7, 1), (1.3, 2), (2.2, 2.5), (3, 5), (7, 10), (1250, 2000)]
)
def test_axis_ends_are_round_numbers(value, rounded):
    assert nice(value) == pytest.approx(rounded)
