"""Shim for this session only: the fitting moved to catalog/fitting.py (shared with the catalog pages)
and the reverse pages' tiers to reverse_questions/answers.py. calculator/answer.py, costs/ and
tests/costs/ still import these names here; remove once they import catalog.fitting."""

from catalog.fitting import (
    DEFAULT_FORMAT,
    MAX_SAME_GPUS,
    WIDEST_USEFUL_BITS,
    PriceTag,
    permalink,
    question_workload,
    recommended,
    what_hardware,
)

__all__ = [
    "DEFAULT_FORMAT",
    "MAX_SAME_GPUS",
    "WIDEST_USEFUL_BITS",
    "PriceTag",
    "permalink",
    "question_workload",
    "recommended",
    "what_hardware",
]
