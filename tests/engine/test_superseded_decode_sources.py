"""Decode rows a source superseded on the same machine with a setting the engine does not describe
(bench/speed_rows.py `SUPERSEDED_DECODE_SOURCES`): zhaoyshine's two Arc A770s on the i915 kernel driver."""

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_i915_decode_row_is_left_out_and_its_prompt_row_kept():
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import speed_rows

    records = [
        r
        for r in json.loads((BENCH / "data" / "public_measurements.json").read_text())
        if r["source"].startswith("https://github.com/zhaoyshine/dual-intel-arc-a770-llm-bench/")
    ]
    out = speed_rows.Loaded([], speed_rows.Counter())
    for r in records:
        speed_rows.add_public(out, r)
    assert {r["test"] for r in records} == {"pp512", "tg128"}
    assert [row.kind for row in out.rows] == ["prefill"]
    why = speed_rows.SUPERSEDED_DECODE_SOURCES["https://github.com/zhaoyshine/dual-intel-arc-a770-llm-bench/"]
    assert out.skipped == {why: 1}
