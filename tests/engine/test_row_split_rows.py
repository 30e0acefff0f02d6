"""Rows split by rows (`-sm row`, or llama.cpp before PR 4766) are not a split the engine prices: the bench leaves
them out, counted (bench/speed_rows.py `ROW_SPLIT`), and scores the same rig's layer split."""

import copy
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_a_row_split_is_left_out_and_a_layer_split_of_the_same_rig_scored():
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import speed_rows

    layer = {
        "device": "NVIDIA GeForce RTX 3090",
        "device_count": 2,
        "model": "llama 7B Q4_0",
        "params_b": 6.74,
        "format": "Q4_0",
        "size_gib": 3.56,
        "runtime": "llama.cpp",
        "backend": "CUDA",
        "test": "tg128",
        "tok_s": 120.0,
        "fa": "1",
        "date": "2025-06-01",
        "split_mode": "layer",
        "source": "https://example.org/rig",
        "quote": "tg128 120.0",
    }
    row = copy.deepcopy(layer) | {"split_mode": "row", "tok_s": 100.0}
    out = speed_rows.Loaded([], speed_rows.Counter())
    for r in (layer, row):
        speed_rows.add_public(out, r)
    assert [(m.kind, m.count, m.value) for m in out.rows] == [("decode", 2, 120.0)]
    assert out.skipped == {speed_rows.ROW_SPLIT: 1}
