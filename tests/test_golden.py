"""The API's answers to 320 varied questions, pinned: a refactor lands only with them unchanged.

A change that moves numbers on purpose regenerates the file in the same commit and says why:
`GOLDEN_REGENERATE=1 bash scripts/test.sh tests/test_golden.py`. On a difference, the test names the
first question that differs and the first place in its answer.
"""

import gzip
import json
import os
from pathlib import Path

import pytest

from tests.golden.questions import questions

GOLDEN = Path(__file__).resolve().parent / "golden" / "estimate_answers.json.gz"

pytestmark = pytest.mark.django_db


def first_difference(old, new, path="$") -> str | None:
    if type(old) is not type(new):
        return f"{path}: {old!r} -> {new!r}"
    if isinstance(old, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                return f"{path}.{key}: {'added' if key in new else 'removed'}"
            if found := first_difference(old[key], new[key], f"{path}.{key}"):
                return found
        return None
    if isinstance(old, list):
        if len(old) != len(new):
            return f"{path}: {len(old)} items -> {len(new)}"
        return next(
            (
                d
                for i, (a, b) in enumerate(zip(old, new, strict=True))
                if (d := first_difference(a, b, f"{path}[{i}]"))
            ),
            None,
        )
    return None if old == new else f"{path}: {old!r} -> {new!r}"


def test_the_api_answers_the_golden_questions_as_before(client, catalog, settings):
    settings.API_RATE_LIMIT = 0  # 320 questions from one client
    answers = {}
    for query in questions():
        response = client.get(f"/api/v1/estimate?{query}")
        answers[query] = {"status": response.status_code, "body": response.json()}
    if os.environ.get("GOLDEN_REGENERATE"):
        GOLDEN.write_bytes(gzip.compress(json.dumps(answers, indent=1, sort_keys=True).encode(), mtime=0))
    pinned = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    assert sorted(pinned) == sorted(answers), "the golden questions changed: regenerate the file"
    for query, answer in answers.items():
        difference = first_difference(pinned[query], answer)
        assert difference is None, f"/api/v1/estimate?{query}\n{difference}"
    statuses = [a["status"] for a in answers.values()]
    assert statuses.count(200) >= 250  # varied questions, most of them answered
