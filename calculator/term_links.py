"""The field's words in the engine's sentences (a plan's notes and warnings), linked to their glossary entry:
a visitor review found "160 all-reduces per token", "an NVLink bridge cuts that" and "Needs a router in front"
with no way to learn what they mean, though the glossary explains each."""

import re
from functools import cache

from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# The words as the sentences of calculator/sentences.py write them -> the glossary entry (content/glossary/).
# Longest first where one holds another; each entry is linked once a sentence, at its first appearance.
TERM_WORDS = {
    "all-reduces": "all-reduce",
    "NVLink": "nvlink",
    "PCIe": "pcie",
    "router": "request-routing",
    "data parallel": "data-parallelism",
    "Pipeline bubble": "pipeline-bubble",
    "MLA's latent KV cache": "mla",
    "KV cache": "kv-cache",
    "KV heads": "gqa",
    "--n-cpu-moe": "moe-expert-offload",
    "Expert layers in RAM": "moe-expert-offload",
    "-ngl": "cpu-offload",
    "RAM bandwidth": "memory-bandwidth",
    "--split-mode tensor": "tensor-parallelism",
}


@cache
def _escaped() -> tuple[dict[str, str], re.Pattern]:
    """The words as escaped text -> their entry, and a pattern of them, longest first, not inside a word."""
    words = {str(conditional_escape(w)): slug for w, slug in TERM_WORDS.items()}
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return words, re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])")


def linked(sentence: str) -> SafeString:
    """`sentence` escaped, with each glossary entry's words linked at their first appearance."""
    words, pattern = _escaped()
    glossary = conditional_escape(reverse("glossary:glossary"))
    seen: set[str] = set()

    def link(match: re.Match) -> str:
        slug = words[match.group(0)]
        if slug in seen:
            return match.group(0)
        seen.add(slug)
        return f'<a href="{glossary}{slug}/">{match.group(0)}</a>'

    return mark_safe(pattern.sub(link, str(conditional_escape(sentence))))
