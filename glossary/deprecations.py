"""Flags, metrics and options that runtimes have deprecated or renamed: what replaced each, and who says so.

A page may still name one of them in a sentence that says it is deprecated, renamed or removed
(`MARKERS`), for readers who meet the old name in older material; anywhere else it is an error, which
`tests/glossary/test_currency.py` reports.
"""

import re
from dataclasses import dataclass

LLAMA_CPP_MULTI_GPU = (
    "https://github.com/ggml-org/llama.cpp/blob/5815cb840bfe5be1895c6ca6afcf9ce05d8b486f/docs/multi-gpu.md"
)
LLAMA_CPP_SERVER = "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md"
LLAMA_CPP_LOAD_MODE = "https://github.com/ggml-org/llama.cpp/pull/20834"
VLLM_METRICS = "https://github.com/vllm-project/vllm/blob/005a810bc40faa25b8870fbc8559c3462581eee3/vllm/v1/metrics/loggers.py"

MARKERS = re.compile(r"\b(deprecated|renamed|removed|superseded)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Deprecation:
    runtime: str
    old: str  # as a reader would type it
    pattern: re.Pattern[str]  # finds it in Markdown, in any of its spellings
    replacement: str
    source: str  # a public page that says it is deprecated


DEPRECATIONS: tuple[Deprecation, ...] = (
    Deprecation(
        "llama.cpp",
        "--split-mode row",
        re.compile(r"(?:--split-mode|-sm)[ =]+`?row\b"),
        "--split-mode tensor (experimental) for tensor parallelism, or the default --split-mode layer",
        LLAMA_CPP_MULTI_GPU,
    ),
    Deprecation(
        "vLLM",
        "vllm:gpu_cache_usage_perc",
        re.compile(r"\bgpu_cache_usage_perc\b"),
        "vllm:kv_cache_usage_perc",
        VLLM_METRICS,
    ),
    Deprecation(
        "vLLM",
        "vllm:gpu_prefix_cache_queries and vllm:gpu_prefix_cache_hits",
        re.compile(r"\bgpu_prefix_cache_(?:queries|hits)\b"),
        "vllm:prefix_cache_queries and vllm:prefix_cache_hits",
        VLLM_METRICS,
    ),
    Deprecation(
        "llama.cpp",
        "--defrag-thold",
        re.compile(r"--defrag-thold\b"),
        "nothing: the option is marked DEPRECATED in llama-server's help",
        LLAMA_CPP_SERVER,
    ),
    Deprecation(
        "llama.cpp",
        "--mmap, --no-mmap, --mlock and --direct-io",
        re.compile(r"--(?:no-)?mmap\b|--mlock\b|--direct-io\b"),
        "--load-mode (the old flags are marked DEPRECATED in favor of --load-mode)",
        LLAMA_CPP_LOAD_MODE,
    ),
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or line) of `text` that contains text[start:end]."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return text[left : right.start() if right else len(text)]


def deprecated_uses(text: str) -> list[tuple[Deprecation, str]]:
    """Each use of a deprecated name in `text` whose sentence does not say it is deprecated."""
    found = []
    for deprecation in DEPRECATIONS:
        for match in deprecation.pattern.finditer(text):
            sentence = sentence_around(text, match.start(), match.end())
            if not MARKERS.search(sentence):
                found.append((deprecation, sentence.strip()))
    return found
