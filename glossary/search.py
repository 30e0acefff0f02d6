"""Shim for this session only: site search moved to site_index/search.py. glossary/views.py (its old
search view), glossary/errors.py (`words`) and tests/glossary/test_errors.py still import these names
here; remove this module once `words` lives in glossary/errors.py, site_index.search imports it from
there, and the others import site_index.search (glossary/views.py dropping the view that
site_index/views.py replaced)."""

from site_index.search import SearchForm, error_hits, search, words

__all__ = ["SearchForm", "error_hits", "search", "words"]
