"""Search that ignores case, spaces, dashes and dots: "rtx4090" finds "GeForce RTX 4090"."""

import re

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def search_key(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def search_terms(query: str) -> list[str]:
    """Each word of the query, normalised; a row matches when it contains every one."""
    return [key for key in (search_key(word) for word in query.split()) if key]
