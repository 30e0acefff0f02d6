"""Search that ignores case, spaces, dashes and dots: "rtx4090" finds "GeForce RTX 4090"."""

import re

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def search_key(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def search_terms(query: str) -> list[str]:
    """Each word of the query, normalised; a row matches when it contains every one."""
    return [key for key in (search_key(word) for word in query.split()) if key]


def by_relevance(rows: list, query: str) -> list:
    """Rows (with `name`, `slug` and `listed`) that match `query`, the one a visitor most likely meant first:
    the exact name or slug; a name that starts with what was typed ("qwen3 32b": Qwen3 32B, not
    DeepSeek-R1-Distill-Qwen-32B); every word in the name itself, in the order typed, not only in the row's
    other search text ("llama 3.1 8b": not LLM-jp-3 1.8B, of the llama family); listed; a base model after its
    tuned release unless "base" was typed; the shortest name ("flux dev": FLUX.1 [dev] before FLUX.1 Kontext
    [dev])."""
    typed, exact = search_key(query), query.strip().lower()
    terms = search_terms(query)

    def rank(row) -> tuple:
        name = search_key(row.name)
        return (
            exact not in (row.name.lower(), row.slug),
            not name.startswith(typed),
            not _in_order(name, terms),
            not row.listed,
            "base" in name and "base" not in terms,
            len(row.name),
            row.name,
        )

    return sorted(rows, key=rank)


def _in_order(key: str, terms: list[str]) -> bool:
    """Whether every term appears in `key`, each after the one before."""
    at = 0
    for term in terms:
        found = key.find(term, at)
        if found < 0:
            return False
        at = found + len(term)
    return True
