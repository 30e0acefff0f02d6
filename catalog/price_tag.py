"""A GPU's price as the pages show it: amount, when and where it was seen, new or used, at launch or not.

No Django here: `catalog.fitting` ranks device sets by it and the GPU pages print it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

# A price seen within this many days of a GPU's release is its launch price (MSRP rows are dated by it).
LAUNCH_WINDOW_DAYS = 45
# A launch price older than this, with no newer one published, is what the card cost then: two years on a
# card is often sold out or repriced (the RTX 3090's $1,499 of 2020, the RTX 3060's $329 of 2021).
OLD_LAUNCH_DAYS = 730


@dataclass(frozen=True)
class PriceTag:
    """One device's newest published price: amount (USD), the day it was seen (None: a launch price no
    source dates), where, new or used (Price.Condition), and whether it is the price at release: a
    ranking by price puts a used card of today beside a new one's launch price, so each says which."""

    amount_usd: Decimal
    date: datetime.date | None
    source_url: str
    condition: str = "new"
    launch: bool = False
    old: bool = False  # a launch price over OLD_LAUNCH_DAYS old, the newest there is: said "none newer"
    weak: bool = False  # from a blog or an aggregator (Price.weak_source): said "weak source"

    @classmethod
    def seen(
        cls,
        amount_usd: Decimal,
        date: datetime.date | None,
        source_url: str,
        condition: str = "new",
        release_date: datetime.date | None = None,
        weak: bool = False,
    ) -> "PriceTag":
        """The tag of a price seen on `date`: a launch price when undated or within LAUNCH_WINDOW_DAYS of
        the GPU's `release_date`."""
        launch = date is None or (
            release_date is not None and abs((date - release_date).days) <= LAUNCH_WINDOW_DAYS
        )
        launch = launch and condition == "new"
        seen = date or release_date
        old = launch and seen is not None and (datetime.date.today() - seen).days > OLD_LAUNCH_DAYS
        return cls(amount_usd, date, source_url, condition, launch, old, weak)

    @property
    def when(self) -> str:
        """'used, Dec 2026', 'launch, Jan 2021, none newer', 'May 2026, weak source'; 'launch' undated."""
        words = [
            w for w in ("used" if self.condition == "used" else "", "launch" if self.launch else "") if w
        ]
        if self.date is not None:
            words.append(self.date.strftime("%b %Y"))
        if self.old:
            words.append("none newer")
        if self.weak:
            words.append("weak source")
        return ", ".join(words)


def price_rank(tag: PriceTag | None) -> tuple[bool, bool]:
    """Where a price ranks before its amount is compared: today's prices, then old launch prices
    (`PriceTag.old`), then no price at all. Every ranking by price reads it: the catalog's sets, the buyer's
    pages, what-hardware's sets with system RAM."""
    return (tag is None, tag is not None and tag.old)
