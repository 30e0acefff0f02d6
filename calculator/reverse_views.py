"""Shim for this session only: the reverse questions moved to reverse_questions/. calculator/views.py,
costs/views.py and tests/test_fuzz.py still import these names here; remove this module once they read
calculator.snapshots.KINDS, config.htmx.respond and reverse_questions.forms instead."""

from collections.abc import Iterator, Mapping

from config.htmx import respond as _respond
from reverse_questions.forms import WhatHardwareForm, WhatRunsForm

from .snapshots import KINDS

__all__ = ["ANSWERS", "WhatHardwareForm", "WhatRunsForm", "_respond", "shared_context"]


class _Answers(Mapping):
    """kind -> the page's answer for a query, as the kinds registered in calculator.snapshots.KINDS."""

    def __getitem__(self, kind: str):
        return KINDS[kind].answer

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


ANSWERS = _Answers()


def shared_context() -> dict:
    return {}  # KINDS[kind].show() gives the whole context now
