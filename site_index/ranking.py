"""How site search orders rows that match equally well on the surface: pure functions, no Django.

A catalog name is read as words ("Llama 3.3 70B Instruct": llama, 3.3, 70b, instruct), leaving out what it
says in parentheses ("(base)", "(671B MoE, MLA)", "(it, multimodal)"). Among rows that hold every word of the
query in their name, the closer match is the one with fewer words the query did not ask for
(`extra_words`): a version number the query left out ("Llama 2 70B" for "llama 70b") and the words every
release carries ("Instruct", "GB") are no extra words, but another product's name ("DeepSeek-R1-Distill")
or a version the query names differently ("Qwen3.5" for "qwen3") are. Then the newest release first
(`version`: the first number of the name, "3.3" > "3.1" > "3" > "2"), where no release date says it.
Before all these, even before a name that starts with the query or a listed row, the name that holds more
of the query's terms as whole words (`whole_terms`): "a100" is a word of "A100 PCIe 80 GB" and of "DRIVE A100
PROD", only the start of one in "RTX A1000" (another GPU) or "A100X"; "a10" is a word of "A10 PCIe", not of
"A100 PCIe 80 GB".

Text pages (glossary terms, guides, error pages) that hold the query only in their text are ordered by
BM25 (`bm25`), the usual text-retrieval score: more of the rarer words, in a shorter page, first.
"""

import math
import re
from itertools import accumulate

_PARENTHESES = re.compile(r"\([^)]*\)")
# a total-active MoE size ("30B-A3B", "80B-A3B") is one word; a number with its unit ("70b", "0.6b") one word
_WORD = re.compile(r"[0-9]+(?:\.[0-9]+)?b-a[0-9]+(?:\.[0-9]+)?b|[0-9]+(?:\.[0-9]+)*[a-z]*|[a-z]+")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*")
# words most names of a kind carry, which say nothing about which row was meant
NEUTRAL = frozenset({"instruct", "chat", "it", "gb"})
VERSION_PARTS = 3  # "3.3" → (3, 3, -1): "3" (3, -1, -1) sorts after "3.1" (3, 1, -1)


def name_words(name: str) -> list[str]:
    """The words of a name outside parentheses, lower-cased, numbers with their dots."""
    return _WORD.findall(_PARENTHESES.sub(" ", name.lower()))


def _key(word: str) -> str:
    return word.replace(".", "").replace("-", "")


def extra_words(name: str, terms: list[str]) -> int:
    """How many words of `name` the query's `terms` (search keys: lower-case letters and digits) do not
    cover: "llama 70b" leaves none of "Llama 3.3 70B Instruct" and three of "DeepSeek-R1-Distill-Llama-70B".

    A term covers the words its occurrences in the name's key span ("rtx3090" covers rtx and 3090). A word
    covered only in part counts ("qwen3" in "Qwen3.5"), a word not covered at all does not when it is a
    bare number (a version or size the query left out) or a `NEUTRAL` word.
    """
    found = name_words(name)
    key = "".join(_key(w) for w in found)
    covered = [False] * len(key)
    for term in terms:
        at = key.find(term)
        while at >= 0:
            covered[at : at + len(term)] = [True] * len(term)
            at = key.find(term, at + 1)
    extra = start = 0
    for word in found:
        end = start + len(_key(word))
        share = covered[start:end]
        if not all(share) and (any(share) or not (_NUMBER.fullmatch(word) or word in NEUTRAL)):
            extra += 1
        start = end
    return extra


def whole_terms(name: str, terms: list[str]) -> int:
    """How many of the query's `terms` (search keys) the name holds as whole words: somewhere in the name's
    key, a term starts where a word starts and ends where a word ends ("rtx3090" in "GeForce RTX 3090",
    two words; "30b" in "Qwen3 30B-A3B", whose MoE size has two), not only inside a longer word ("a100" in
    "RTX A1000" or "A100X", "3" in "Llama 3.1")."""
    parts = [_key(part) for word in name_words(name) for part in word.split("-")]
    key, bounds = "".join(parts), set(accumulate(map(len, parts), initial=0))
    whole = 0
    for term in terms:
        at = key.find(term)
        while at >= 0 and not (at in bounds and at + len(term) in bounds):
            at = key.find(term, at + 1)
        whole += at >= 0
    return whole


def version(name: str) -> tuple[int, ...]:
    """The first bare number of a name as a tuple sorted like versions, (-1, -1, -1) when there is none:
    "Llama 3.3 70B" (3, 3, -1) > "Llama 3.1 70B" (3, 1, -1) > "Llama 3 70B" (3, -1, -1) > "Llama 2 70B"."""
    for word in name_words(name):
        if _NUMBER.fullmatch(word):
            parts = [int(p) for p in word.split(".")][:VERSION_PARTS]
            return (*parts, *[-1] * (VERSION_PARTS - len(parts)))
    return (-1,) * VERSION_PARTS


K1, B = 1.2, 0.75  # BM25's usual constants: how fast repeats stop counting, how much length matters


def bm25(counts: list[int], document_frequency: list[int], documents: int, length: int, mean_length: float):
    """The BM25 score of one page: `counts[i]` occurrences of the query's word i in a page of `length`
    words, a word found in `document_frequency[i]` of `documents` pages whose mean length is `mean_length`."""
    score = 0.0
    for count, df in zip(counts, document_frequency, strict=True):
        idf = math.log(1 + (documents - df + 0.5) / (df + 0.5))
        norm = 1 - B + B * length / (mean_length or 1)
        score += idf * count * (K1 + 1) / (count + K1 * norm)
    return score
