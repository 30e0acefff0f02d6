"""The relevance order of site search's equal matches: pure functions, no database."""

import pytest

from site_index.ranking import bm25, extra_words, name_words, version, whole_terms


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Llama 3.3 70B Instruct", ["llama", "3.3", "70b", "instruct"]),
        ("Llama 3.1 70B (base)", ["llama", "3.1", "70b"]),  # what parentheses say is no part of the name
        ("Qwen3 30B-A3B", ["qwen", "3", "30b-a3b"]),  # an MoE's total-active size is one word
        ("DeepSeek-R1-Distill-Llama-70B", ["deepseek", "r", "1", "distill", "llama", "70b"]),
        ("FLUX.1 [dev]", ["flux", "1", "dev"]),
    ],
)
def test_name_words(name, words):
    assert name_words(name) == words


@pytest.mark.parametrize(
    ("name", "terms", "extra"),
    [
        ("Llama 3.3 70B Instruct", ["llama", "70b"], 0),  # a version left out and "Instruct" are no extra
        ("Llama 2 70B", ["llama", "70b"], 0),
        ("DeepSeek-R1-Distill-Llama-70B", ["llama", "70b"], 3),  # deepseek, r, distill
        ("Qwen2.5 Coder 32B Instruct", ["qwen", "32b", "coder"], 0),
        ("Qwen3 8B", ["qwen3"], 1),  # 8b
        ("Qwen3.5 9B", ["qwen3"], 2),  # 9b, and 3.5, a version other than the one typed
        ("GeForce RTX 3090", ["rtx3090"], 1),  # one term covers rtx and 3090: geforce
        ("GeForce RTX 3090 Ti", ["3090"], 3),
        ("A100 PCIe 80 GB", ["a100"], 1),  # pcie; a memory size is no extra
    ],
)
def test_extra_words(name, terms, extra):
    assert extra_words(name, terms) == extra


@pytest.mark.parametrize(
    ("name", "terms", "whole"),
    [
        ("A100 PCIe 80 GB", ["a100"], 1),
        ("DRIVE A100 PROD", ["a100"], 1),
        ("RTX A1000", ["a100"], 0),  # another GPU whose word starts with the query's
        ("A100X", ["a100"], 0),
        ("A100 PCIe 80 GB", ["a10"], 0),
        ("A10 PCIe", ["a10"], 1),
        ("GeForce RTX 3090", ["rtx3090"], 1),  # one term over two words, whole at both ends
        ("GeForce RTX 3090", ["rtx", "3090"], 2),
        ("GeForce RTX 3090 Ti", ["309"], 0),
        ("Llama 3.1 70B", ["llama", "3"], 1),  # 3 starts 3.1, another version
        ("Qwen3 30B-A3B", ["qwen3", "30b"], 2),  # a part of an MoE's total-active size is a word
        ("Qwen3 30B-A3B", ["a3"], 0),
        ("DeepSeek-R1-Distill-Llama-70B", ["deepseekr1", "70b"], 2),
        ("Llama 3.1 8B (base)", ["base"], 0),  # what parentheses say is no part of the name
    ],
)
def test_whole_terms(name, terms, whole):
    assert whole_terms(name, terms) == whole


def test_versions_sort_newest_first():
    names = ["Llama 2 70B", "Llama 3.1 70B", "Llama 3 70B", "Llama 3.3 70B", "Yi 34B"]
    assert sorted(names, key=version, reverse=True) == [
        "Llama 3.3 70B",
        "Llama 3.1 70B",
        "Llama 3 70B",
        "Llama 2 70B",
        "Yi 34B",  # no version: last
    ]


def test_bm25_prefers_more_mentions_of_rarer_words_in_shorter_pages():
    more = bm25([5], [3], 10, length=1000, mean_length=1000)
    assert more > bm25([1], [3], 10, length=1000, mean_length=1000)
    assert bm25([2], [3], 10, length=500, mean_length=1000) > bm25(
        [2], [3], 10, length=2000, mean_length=1000
    )
    assert bm25([1], [1], 10, 1000, 1000) > bm25([1], [9], 10, 1000, 1000)  # a rarer word weighs more
