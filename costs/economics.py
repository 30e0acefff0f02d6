"""What a million generated tokens cost: bought hardware, a rented GPU instance, a hosted API.

Plain Python, no Django: floats in US dollars, tokens, watts and hours, named by unit. Only generated
(decode) tokens are counted on every side; prompt tokens are not (an API prices them separately, and
prefill takes a small share of a machine's time in chat-length exchanges).

Self-hosted: the hardware's price spread evenly over its lifetime (no resale value, no interest), paid
every day whether it works or not, plus electricity at the devices' board power while it generates. One
set of hardware generates at most `utilisation` × 24 hours a day at the engine's aggregate decode speed
for the chosen number of users with each one's whole context cached (`tok_s`, the one speed its tokens
and its electricity are counted at); more tokens than that take another set. Rented: an instance billed
by the hour for the hours it is kept up (`KeptUp`: by default the same share of the day as the machine bought;
more tokens than one makes in them take another), or, spun up on demand, only while it generates
(`Linear`). API: the price per million output tokens.
"""

import math
from dataclasses import dataclass

SECONDS_PER_DAY = 86_400
DAYS_PER_YEAR = 365
MILLION = 1_000_000


@dataclass(frozen=True)
class SelfHosted:
    hardware_usd: float
    lifetime_years: float
    utilisation: float  # share of each day the hardware can spend generating, 0 < u <= 1
    tok_s: float  # aggregate decode speed, all users together, each one's whole context cached
    power_w: float | None  # board power of all devices; None: not known, electricity left out
    usd_per_kwh: float

    @property
    def hardware_usd_per_day(self) -> float:
        return self.hardware_usd / (self.lifetime_years * DAYS_PER_YEAR)

    @property
    def capacity_tokens_per_day(self) -> float:
        """The most one set generates in a day at the chosen utilisation."""
        return self.tok_s * SECONDS_PER_DAY * self.utilisation

    @property
    def electricity_usd_per_token(self) -> float:
        if not self.power_w:
            return 0.0
        return self.power_w / 1000 * self.usd_per_kwh / (self.tok_s * 3600)

    def sets_needed(self, tokens_per_day: float) -> int:
        return max(1, math.ceil(tokens_per_day / self.capacity_tokens_per_day - 1e-9))

    def usd_per_day(self, tokens_per_day: float) -> float:
        hardware = self.sets_needed(tokens_per_day) * self.hardware_usd_per_day
        return hardware + tokens_per_day * self.electricity_usd_per_token

    def usd_per_million(self, tokens_per_day: float) -> float:
        return self.usd_per_day(tokens_per_day) / tokens_per_day * MILLION

    @property
    def usd_per_million_busy(self) -> float:
        """Per million tokens when the hardware works its whole share of the day: the lowest it gets."""
        return self.usd_per_million(self.capacity_tokens_per_day)


@dataclass(frozen=True)
class Linear:
    """A price per million tokens: a rented instance (its hourly price over its speed) or an API."""

    usd_per_million: float

    def usd_per_day(self, tokens_per_day: float) -> float:
        return tokens_per_day / MILLION * self.usd_per_million


@dataclass(frozen=True)
class KeptUp:
    """A rented instance kept up `hours_per_day`, billed for all of them whether it generates or not (a
    server waiting for its users): a visitor review found an 8× H100 node for 20 users priced at $7.18 a
    day, billed only for the seconds it generated, beside a bought one paid every day."""

    usd_per_hour: float  # every instance rented together
    tok_s: float  # aggregate decode speed, all users together, each one's whole context cached
    hours_per_day: float

    @property
    def capacity_tokens_per_day(self) -> float:
        return self.tok_s * 3600 * self.hours_per_day

    @property
    def usd_per_million(self) -> float:
        """Per million tokens when it generates every hour it is kept up: the lowest it gets."""
        return rented_usd_per_million(usd_per_hour=self.usd_per_hour, tok_s=self.tok_s)

    def sets_needed(self, tokens_per_day: float) -> int:
        return max(1, math.ceil(tokens_per_day / self.capacity_tokens_per_day - 1e-9))

    def usd_per_day(self, tokens_per_day: float) -> float:
        return self.sets_needed(tokens_per_day) * self.usd_per_hour * self.hours_per_day


def break_even_hours(own: SelfHosted, rented: KeptUp) -> float | None:
    """Hours kept up a day above which one bought set costs less than one rented for the same hours: its
    hardware a day over what an hour of renting costs more than an hour of its electricity; None when
    that is more than a day (renting costs less at any hours)."""
    saving_per_hour = rented.usd_per_hour - (own.power_w or 0) / 1000 * own.usd_per_kwh
    if saving_per_hour <= 1e-9:
        return None
    hours = own.hardware_usd_per_day / saving_per_hour
    return hours if hours <= 24 else None


def rented_usd_per_million(*, usd_per_hour: float, tok_s: float) -> float:
    return usd_per_hour / (tok_s * 3600) * MILLION


def break_even_tokens_per_day(own: SelfHosted, rented: Linear) -> float | None:
    """Daily tokens above which bought hardware costs less than renting; None when it never does: renting
    costs less per token than the electricity alone, or than one set working its whole share of the day.

    One set pays for itself above its hardware a day over the saving per token (B). Past one set's day
    (C tokens) a second set is bought: n sets cost n times the hardware, and pay off above n × B, inside
    their n × C only if B < C. So with B ≥ C buying never pays off at any volume; with B < C it does above
    B, except just past each set's day (from (n − 1) × C to n × B), the chart's steps."""
    margin_per_million = rented.usd_per_million - own.electricity_usd_per_token * MILLION
    if margin_per_million <= 1e-9:  # equal up to rounding counts as never
        return None
    tokens = own.hardware_usd_per_day / margin_per_million * MILLION
    return tokens if tokens < own.capacity_tokens_per_day else None


def tokens_text(tokens: float) -> str:
    """1234567 -> '1.2 M'; 45000 -> '45 k'; 950 -> '950'."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if tokens >= size:
            value = tokens / size
            return f"{value:.{0 if value >= 100 else 1}f} {unit}".replace(".0 ", " ")
    return f"{tokens:.0f}"


def usd_text(usd: float) -> str:
    """Dollars with cents below $100, whole dollars above; fractions of a cent as '<$0.01'."""
    if 0 < usd < 0.01:
        return "<$0.01"
    return f"${usd:,.2f}" if usd < 100 else f"${usd:,.0f}"
