"""How the reverse pages present their answers: speed tiers and sort orders of "what runs on my
hardware?", the side-by-side firsts of "what hardware runs this model?". The answers themselves come
from catalog/fitting.py, shared with the catalog pages."""

from collections.abc import Iterable
from dataclasses import dataclass

from catalog.fitting import DeviceSet, HardwareAnswer, RunsRow, sort_rows

SORTS = {"size": "Size", "speed": "Speed", "name": "Name"}  # the first is the default
# Speed tiers of "what runs on my hardware", decode tok/s for one user: reading speed is 5-10 tok/s,
# so 30 feels instant, 10 is comfortable to read along, 3 is a wait; below that (or not fitting) no.
TIERS = (
    ("great", "Runs great", 30.0, "30 tok/s or more"),
    ("usable", "Usable", 10.0, "10 to 30 tok/s"),
    ("slow", "Slow", 3.0, "3 to 10 tok/s"),
    ("none", "Won't run", 0.0, "under 3 tok/s, or does not fit"),
)


@dataclass(frozen=True)
class Tier:
    key: str
    title: str
    meaning: str
    rows: list[RunsRow]

    @property
    def best(self) -> RunsRow | None:
        """The largest model of the tier (parameters stored, a stand-in for quality), the fastest first."""
        return max(self.rows, key=lambda r: (r.model.total_params_b, r.plan.decode_tok_s or 0), default=None)


def tier_key(row: RunsRow) -> str:
    speed = (row.plan.decode_tok_s or 0.0) if row.fits else 0.0
    return next(key for key, _, floor, _ in TIERS if speed >= floor and (row.fits or key == "none"))


def tiers(rows: Iterable[RunsRow], sort: str) -> list[Tier]:
    """The rows in speed tiers (TIERS), each sorted by `sort`; the last tier holds what does not fit."""
    rows = sort_rows(rows, sort)
    return [
        Tier(key, title, meaning, [r for r in rows if tier_key(r) == key]) for key, title, _, meaning in TIERS
    ]


def firsts(answer: HardwareAnswer) -> list[tuple[str, DeviceSet]]:
    """The smallest, the cheapest (when priced) and the fastest set, for the side-by-side summary."""
    picks = [
        ("Smallest", answer.smallest),
        ("Cheapest", answer.cheapest if answer.priced else []),
        ("Fastest", answer.fastest),
    ]
    return [(title, sets[0]) for title, sets in picks if sets]
