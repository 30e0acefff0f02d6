"""The one formatter of durations (TTFT, queue waits, image times): milliseconds under a second, then
seconds, minutes and hours."""

import pytest

from estimator.units import format_bytes, format_seconds


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


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (300 * 2**20, "300 MiB"),
        (1000 * 2**20, "1.0 GiB"),
        (1023 * 2**10, "1 MiB"),
    ],
)
def test_bytes_never_read_four_digits_of_a_smaller_unit_nor_nothing_as_kib(n, text):
    """A visitor review: "Runtime overhead 1000 MiB" beside GiB elsewhere; "Overhead 0 KiB" on every Mac."""
    assert format_bytes(n) == text
