"""Glossary entries and guides: Markdown files with front matter in content/, rendered and sanitized once.

No inline HTML survives: Markdown's output goes through nh3 with a fixed allow-list.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import frontmatter
import markdown
import nh3
from django.conf import settings
from django.http import QueryDict

from .sources import URL

ALLOWED_TAGS = {
    "a", "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    html: str
    related: tuple[str, ...] = ()
    calculators: tuple[str, ...] = ()
    example: QueryDict | None = None
    checked: date | None = None  # when a person last checked the page against its sources
    used_by: tuple[str, ...] = field(default=())  # guides that use a glossary term
    messages: tuple[str, ...] = ()  # an error page's exact error texts, as runtimes print them
    runtime: str = ""  # an error page's runtime: "llama.cpp", "vLLM", "Ollama"...


@dataclass(frozen=True)
class Library:
    terms: dict[str, Page]
    guides: dict[str, Page]
    errors: dict[str, Page] = field(default_factory=dict)


def render_markdown(text: str) -> str:
    # lazy_ol=False: a list that goes on after a code block ("4." after steps 1-3 and a command) keeps
    # its numbers (<ol start="4">); fenced code cannot sit inside a list item in Python-Markdown
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"], lazy_ol=False)
    return carded(
        nh3.clean(autolinked(html), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel=None)
    )


PHONE_LINE = 40  # characters a 390 px phone's line holds at the site's body size
# A table whose widest cells, side by side, fill more than two phone lines is a pile of cards on a phone
# (site.css .cards): side by side, a 6-column guide table was wider than the screen and its rows 100-160 px
# tall, a word a line; narrower tables (a name and three numbers) and two columns (a term and what it
# means, which wrap well side by side) stay tables.
CARD_CHARACTERS = 2 * PHONE_LINE
CARD_COLUMNS = 3
TABLE = re.compile(r"<table>(.*?)</table>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t([hd])([^>]*)>(.*?)</t[hd]>", re.S)


def carded(html: str) -> str:
    """`html` (sanitized) with each table too wide for a phone marked as cards: each row's first cell its
    header (<th scope="row">, the card's title), each other cell labelled by its column's heading."""
    return TABLE.sub(_cards, html)


def _cards(table: re.Match) -> str:
    rows = [CELL.findall(row) for row in ROW.findall(table.group(1))]
    texts = [[TAG.sub("", text).strip() for _, _, text in row] for row in rows]
    widest = [max((len(row[i]) for row in texts if i < len(row)), default=0) for i in range(len(texts[0]))]
    if len(widest) < CARD_COLUMNS or sum(widest) <= CARD_CHARACTERS:
        return table.group(0)
    labels = [text.replace('"', "&quot;") for text in texts[0]]

    def row(match: re.Match) -> str:
        cells = CELL.findall(match.group(1))
        if cells[0][0] == "h":  # the heading row
            return match.group(0)
        (_, attrs, text), *rest = cells
        labelled = "".join(
            f'<td data-label="{label}"{a}>{t}</td>'
            for label, (_, a, t) in zip(labels[1:], rest, strict=False)
        )
        return f'<tr><th scope="row"{attrs}>{text}</th>{labelled}</tr>'

    return f'<table class="cards">{ROW.sub(row, table.group(1))}</table>'


TAG = re.compile(r"(<[^>]*>)")
UNLINKED = {"a", "code", "pre"}  # inside these a URL stays text: a link already, or a command to copy
TRAILING = ".,;:!?"  # a sentence's punctuation after a URL, not part of it


def autolinked(html: str) -> str:
    """`html` with each bare URL of its text a link: the sources a page cites ("Megatron-LM,
    https://arxiv.org/abs/1909.08053") open with a tap, as Python-Markdown links only <https://...>."""
    out, depth = [], 0
    for part in TAG.split(html):
        if part.startswith("<"):
            name = re.match(r"</?([a-z0-9]+)", part)
            if name and name.group(1) in UNLINKED:
                depth += -1 if part.startswith("</") else 1
            out.append(part)
        else:
            out.append(part if depth else URL.sub(_link, part))
    return "".join(out)


def _link(match: re.Match) -> str:
    url = match.group(0).rstrip(TRAILING)
    return f'<a href="{url}">{url}</a>{match.group(0)[len(url) :]}'


def example_query(example: dict | None) -> QueryDict | None:
    """The front matter's `example` as the calculator's query string."""
    if not example:
        return None
    query = QueryDict(mutable=True)
    for key, value in example.items():
        for item in value if isinstance(value, list) else [value]:
            query.appendlist(key, str(item))
    return query


def checked_date(value) -> date | None:
    """The front matter's `checked:` (YAML reads 2026-12-03 as a date; a quoted one is parsed)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _read(path: Path) -> tuple[dict, str]:
    post = frontmatter.load(path)
    return post.metadata, post.content


def _strings(value) -> tuple[str, ...]:
    """A front matter value that is one string or a list of them."""
    if not value:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _pages(directory: Path, list_key: str) -> dict[str, Page]:
    pages = {}
    for path in sorted(directory.glob("*.md")):
        meta, body = _read(path)
        pages[path.stem] = Page(
            slug=path.stem,
            title=str(meta["title"]),
            summary=str(meta.get("summary", "")),
            html=render_markdown(body),
            related=tuple(meta.get(list_key) or ()),
            calculators=tuple(meta.get("calculators") or ()),
            example=example_query(meta.get("example")),
            checked=checked_date(meta.get("checked")),
            messages=_strings(meta.get("message")),
            runtime=str(meta.get("runtime", "")),
        )
    return pages


@cache
def library() -> Library:
    root = Path(settings.CONTENT_DIR)
    terms = _pages(root / "glossary", "related")
    guides = _pages(root / "guides", "terms")
    used_by: dict[str, list[str]] = {}
    for guide in guides.values():
        for term in guide.related:
            used_by.setdefault(term, []).append(guide.slug)
    terms = {
        slug: Page(**{**page.__dict__, "used_by": tuple(used_by.get(slug, ()))})
        for slug, page in terms.items()
    }
    return Library(terms=terms, guides=guides, errors=_pages(root / "errors", "related"))
