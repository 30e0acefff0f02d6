"""The one formatter of durations (TTFT, queue waits, image times): milliseconds under a second, then
seconds, minutes and hours."""

import pytest

from estimator.units import format_seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "–"),
        (0.079, "79 ms"),
        (6.29, "6.3 s"),
        (42.4, "42 s"),
        (66.5, "1.1 min"),
        (6293.5, "1.7 h"),
    ],
)
def test_durations_over_a_minute_read_in_minutes_or_hours(seconds, text):
    assert format_seconds(seconds) == text
