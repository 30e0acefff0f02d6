"""llama-bench's test names, as the catalog, a visitor's pasted table and the bench all read them."""

import pytest

from catalog.llama_bench import BenchTest, parse_test


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("pp512", BenchTest("pp", 512, 0)),
        ("tg128", BenchTest("tg", 128, 0)),
        ("pp 512", BenchTest("pp", 512, 0)),  # older builds
        ("tg32@d16384", BenchTest("tg", 32, 16384)),
        ("pp2048 @ d32768", BenchTest("pp", 2048, 32768)),
        ("tg", BenchTest("tg", None, 0)),  # a published table's decode of unstated length
        ("tg@d21000", BenchTest("tg", None, 21000)),
    ],
)
def test_names_llama_bench_prints_are_read(name, read):
    assert parse_test(name) == read


@pytest.mark.parametrize("name", ["pp", "pg512", "tg128x", "tg128@d", "xtg128", "", "512"])
def test_other_names_are_not_read(name):
    assert parse_test(name) is None
