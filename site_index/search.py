"""Site search: error pages, glossary terms and guides (in memory) and the catalog (one bounded query
per kind).

A pasted error finds its page: `errors.match_rank()` compares the words of the paste with each page's
exact messages, leaving out the sizes and addresses that change from run to run. A query longer than
WORD_SEARCH_LENGTH is such a paste, and only the error pages are searched for it.

Every group is ranked the same way: an exact title (or alias, or slug) match first, then titles that
start with the query, then titles that hold every word, then the rest; except that a catalog row whose
name holds more of the query's words whole comes first ("a100": the A100s, DRIVE A100 PROD too, before the
A100X and the RTX A1000). Terms and guides also match their summary and body text; catalog rows match on
their `search_key` like `Searchable.search()`, so "rtx3090" finds "GeForce RTX 3090". Rows and pages that
match as well as each other are ordered by relevance (`ranking`): a title with fewer words the query did
not ask for, then the newest release ("llama 70b":
Llama 3.3 before 3.1, 3 and 2), then, for text, the pages that hold the query's words most (BM25).
A row with only some of the words is shown only where nothing has them all.
"""

import html
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import reduce

from django import forms
from django.db.models import Case, ExpressionWrapper, IntegerField, Q, Value, When
from django.db.models.functions import Length, Replace
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

from catalog.models import DiffusionModel, Gpu, LlmModel
from catalog.search import search_key, search_terms
from estimator.units import format_bytes
from glossary import errors as error_pages
from glossary.content import Page, library
from glossary.errors import words  # the same words an error page's messages are compared by

from . import ranking

LIMIT = 10  # results per group: one query of at most WINDOW rows per catalog kind
WINDOW = 5 * LIMIT  # the rows of a catalog kind read to rank in Python: SQL has ordered them by their words
MAX_QUERY_LENGTH = 2000  # room for a pasted error with its log prefix
WORD_SEARCH_LENGTH = 200  # longer queries are pasted errors: no catalog query, no glossary text search

_TAG = re.compile(r"<[^>]+>")


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "error-q"}),
    )


@dataclass(frozen=True)
class Hit:
    url: str
    title: str
    description: str
    rank: int = 0  # 0 exact, 1 prefix, 2 every word in the title, 3 summary (or a row's other search text),
    # 4 body, 5 some words only


@dataclass(frozen=True)
class Group:
    kind: str
    label: str
    hits: list[Hit]  # the best LIMIT
    more: bool = False  # more than LIMIT matched
    more_url: str | None = None  # a page that lists every match
    partial: bool = False  # no row had every word: these are the nearest

    @property
    def best(self) -> int:
        return self.hits[0].rank


def group(kind: str, label: str, hits: list[Hit], more_url: str | None = None, *, partial=False) -> Group:
    """The first LIMIT of `hits` (of which LIMIT + 1 or more say there are more)."""
    more = len(hits) > LIMIT
    return Group(kind, label, hits[:LIMIT], more, more_url if more else None, partial)


def search(query: str) -> list[Group]:
    """The non-empty groups of results for `query`: errors, glossary, guides, GPUs, LLMs, diffusion models."""
    lib = library()
    errors = group("error", "Errors", error_hits(query, lib.errors.values()))
    if len(query) > WORD_SEARCH_LENGTH:
        return [errors] if errors.hits else []
    terms = group("term", "Glossary", page_hits(query, lib.terms.values(), "glossary:term"))
    guides = group("guide", "Guides", page_hits(query, lib.guides.values(), "glossary:guide"))
    catalog = catalog_groups(query)
    # The nearest rows of a kind (some words only) are noise where the query was found: in an error page (a
    # paste: "STG-2000, 1 MiB"), another kind of row ("qwen 32b coder": the coder, not Qwen-Image) or the
    # title of a page ("sliding window attention": the glossary term, not GLM-5's "sparse attention")
    found = any(g.hits and not g.partial for g in catalog) or any(
        g.hits and g.best <= 2 for g in (terms, guides)
    )
    if errors.hits or found:
        catalog = [g for g in catalog if not g.partial]
    groups = [errors, terms, guides, *catalog]
    return sorted((g for g in groups if g.hits), key=lambda g: g.best)  # "3090": GPUs before glossary text


# Glossary terms and guides: a few dozen Markdown pages, ranked in memory.


def _phrase(text: str) -> str:
    return f" {' '.join(words(text))} "


@dataclass(frozen=True)
class PageText:
    """A page's words as search reads them, each text as one " word word " phrase."""

    names: tuple[str, ...]  # the title, slug and aliases
    summary: str
    body: str
    length: int  # words in all three


_TEXTS: dict[int, tuple[Page, PageText]] = {}  # id(page) → the page and its words: library() never changes


def page_text(page: Page) -> PageText:
    """The page's words, read once per process (the library is read once per process too)."""
    kept = _TEXTS.get(id(page))
    if kept is None or kept[0] is not page:
        names = tuple(_phrase(n) for n in (page.title, page.slug, *getattr(page, "aliases", ())))
        summary, body = _phrase(page.summary), _phrase(html.unescape(_TAG.sub(" ", page.html)))
        length = sum(len(t.split()) for t in (*names, summary, body))
        kept = _TEXTS[id(page)] = (page, PageText(names, summary, body, length))
    return kept[1]


def page_rank(query: str, page: Page) -> int | None:
    """0 exact title, alias or slug; 1 title prefix; 2 words in the title; 3 in the summary; 4 in the body."""
    key, needles = search_key(query), words(query)
    if not needles:
        return None
    text = page_text(page)
    keys = [search_key(name) for name in (page.title, page.slug, *getattr(page, "aliases", ()))]
    if key and key in keys:
        return 0
    if key and any(k.startswith(key) for k in keys):
        return 1
    haystack = ""
    for rank, phrase in ((2, "".join(text.names)), (3, text.summary), (4, text.body)):
        haystack += phrase
        if all(needle in haystack for needle in needles):
            return rank
    return None


def relevance(query: str, pages: list[Page]) -> dict[str, tuple]:
    """Each page's sort key (smaller first) among pages of the same rank, by slug: a title match with
    fewer words the query did not ask for; then pages whose title holds more of the query's words; then
    the BM25 score of the words in the whole page ("3090": the guides that talk about it most first)."""
    needles = list(dict.fromkeys(words(query)))
    texts = [page_text(page) for page in pages]
    counts = [
        [3 * "".join(t.names).count(n) + 2 * t.summary.count(n) + t.body.count(n) for n in needles]
        for t in texts
    ]
    df = [sum(1 for c in counts if c[i]) for i in range(len(needles))]
    mean = sum(t.length for t in texts) / (len(texts) or 1)
    keys = {}
    for page, text, count in zip(pages, texts, counts, strict=True):
        title_words = min((len(n.split()) for n in text.names if all(x in n for x in needles)), default=0)
        in_names = sum(any(x in n for n in text.names) for x in needles)
        keys[page.slug] = (title_words, -in_names, -ranking.bm25(count, df, len(pages), text.length, mean))
    return keys


def page_hits(query: str, pages: Iterable[Page], url_name: str) -> list[Hit]:
    """The first LIMIT + 1 matching pages (their URL: `url_name` with the slug), best first: by rank, then
    `relevance()`."""
    pages = list(pages)
    order = relevance(query, pages)
    found = sorted(
        (rank, order[page.slug], page.title.casefold(), page)
        for page in pages
        if (rank := page_rank(query, page)) is not None
    )
    return [
        Hit(reverse(url_name, args=[page.slug]), page.title, page.summary, rank)
        for rank, _, _, page in found[: LIMIT + 1]  # one more than a group shows says there are more
    ]


def error_hits(query: str, pages: Iterable[Page]) -> list[Hit]:
    """Error pages whose message the query holds (or is a large part of) first, then pages that match the
    words in their title or text. Among the first, `paste_order()` puts the page the paste is about on top;
    among the others, `relevance()`."""
    pages = list(pages)
    asked = error_pages.significant_words(query)
    order = relevance(query, pages) if len(query) <= WORD_SEARCH_LENGTH else {}
    found = []
    for page in pages:
        pasted, worded = error_pages.match_rank(query, page), page_rank(query, page)
        if pasted is None and worded is None:
            continue
        rank, closer = min((r, i) for i, r in enumerate((pasted, worded)) if r is not None)
        keys = (paste_order(asked, page), order.get(page.slug, ()))
        found.append((rank, *(keys if closer == 0 else keys[::-1]), page.title.casefold(), page))
    return [
        Hit(reverse("glossary:error", args=[page.slug]), page.title, page.summary, rank)
        for rank, *_, page in sorted(found)[: LIMIT + 1]
    ]


def paste_order(asked: list[str], page: Page) -> tuple[int, int, int, float]:
    """Sort key (smaller first) of an error page for a paste's significant words `asked`: the page with
    the longest run of one of its messages' words that the paste holds word for word; then the one with
    more of its messages in the paste; then the one whose headline (its title without a "llama.cpp: "
    prefix) the paste holds word for word; then `errors.closeness()`.

    Pages may share a message (llama.cpp prints the same cudaMalloc line before a weights, KV cache or
    ROCm failure): the other messages and the headline then say which failure it is.
    """
    messages = [error_pages.significant_words(m) for m in page.messages]
    run = max((_longest_run(asked, wanted) for wanted in messages), default=0)
    in_paste = sum(_holds(asked, wanted) for wanted in messages if wanted)
    headline = error_pages.significant_words(page.title.split(": ", 1)[-1])
    says_headline = len(headline) >= error_pages.MIN_WORDS and _phrase(" ".join(headline)) in _phrase(
        " ".join(asked)
    )
    closeness = error_pages.closeness(" ".join(asked), page)
    return (-run, -in_paste, -says_headline, -closeness)


def _holds(asked: list[str], wanted: list[str]) -> bool:
    """Whether the paste holds the message: at least `errors.PART` of its distinct words."""
    wanted_set = set(wanted)
    return len(wanted_set & set(asked)) >= error_pages.PART * len(wanted_set)


def _longest_run(asked: list[str], wanted: list[str]) -> int:
    """How many consecutive words of `wanted` the paste holds in the same order."""
    match = SequenceMatcher(None, asked, wanted, autojunk=False).find_longest_match()
    return match.size


# The catalog: one query per kind, whatever its size.


def _count(terms: list[str], held) -> ExpressionWrapper:
    """How many of `terms` the row holds by `held(term)` (a Q), as an SQL expression."""
    counts = [Case(When(held(t), then=Value(1)), default=Value(0)) for t in terms]
    return ExpressionWrapper(sum(counts[1:], start=counts[0]), output_field=IntegerField())


def ranked(queryset, query: str):
    """Rows whose search_key holds at least one word of `query`, best first as far as SQL can tell: most
    words (`matched`), exact name or slug, name prefix (`closeness`), most words in the name or slug
    itself (`in_title`: "llama 3.1 8b" is not LLM-jp-3 1.8B, of the llama family), listed, shortest name.

    The same test as `Searchable.search()` (which wants every word), in one query that also finds the
    nearest rows when no row has every word: "qwen coder" shows the Qwen models when no Coder is listed.
    """
    terms = list(dict.fromkeys(search_terms(query)))
    text = query.strip()
    closeness = Case(
        When(Q(name__iexact=text) | Q(slug=text.lower()), then=Value(0)),
        When(name__istartswith=text, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    # a word is in the title when the name has it or the slug without its dashes does ("rtx3090"); the name
    # without its punctuation, as search_key() makes it, would cost a regular expression per row
    slug_key = Replace("slug", Value("-"), Value(""))
    in_title = _count(terms, lambda t: Q(name__icontains=t) | Q(slug_key__contains=t))
    return (
        queryset.filter(reduce(operator.or_, (Q(search_key__contains=t) for t in terms)))
        .alias(slug_key=slug_key)
        .annotate(matched=_count(terms, lambda t: Q(search_key__contains=t)), in_title=in_title)
        .annotate(closeness=closeness)
        .order_by("-matched", "closeness", "-in_title", "-listed", Length("name"), "name", "slug")
    )


def closer(row, terms: list[str]) -> tuple:
    """The sort key (smaller first) of a catalog row that `ranked()` annotated: its order there, except that
    among rows with as many of the query's words, more of them whole words of the name first
    (`ranking.whole_terms`: "a100", the A100s before the RTX A1000, which SQL cannot tell apart), and among
    rows as good by those counts, fewer words the query did not ask for (`ranking.extra_words`), then the
    newest (a GPU's release date, else the version in its name: Llama 3.3 before 3.1, 3 and 2), then a
    tuned release before its base model unless "base" was typed."""
    if hasattr(row, "release_date"):  # a GPU: undated ones last
        newest = (-row.release_date.toordinal(),) if row.release_date else (1,)
    else:
        newest = tuple(-v for v in ranking.version(row.name))
    base = "base" in row.name.lower() and "base" not in terms
    return (
        -row.matched,
        -ranking.whole_terms(row.name, terms),
        row.closeness,
        -row.in_title,
        not row.listed,
        ranking.extra_words(row.name, terms),
        newest,
        base,
        len(row.name),
        row.name,
        row.slug,
    )


def best(queryset, query: str) -> tuple[list, bool]:
    """(Up to LIMIT + 1 rows with every word, False), or when none has every word (the nearest LIMIT, True).

    `ranked()` picks the first WINDOW rows, `closer()` orders them. Each row's `rank` is a Hit's: its
    closeness (0 exact, 1 prefix, 2 every word in its name), 3 when some word is only in its other search
    text (a GPU's vendor, a model's family or Hugging Face id), or 5 when partial.
    """
    terms = list(dict.fromkeys(search_terms(query)))
    rows = sorted(ranked(queryset, query)[:WINDOW], key=lambda row: closer(row, terms))[: LIMIT + 1]
    every = len(terms)
    partial = bool(rows) and rows[0].matched < every
    if not partial:
        rows = [row for row in rows if row.matched == every]
    for row in rows:
        row.rank = 5 if partial else row.closeness if row.closeness < 2 or row.in_title == every else 3
    return (rows[:LIMIT] if partial else rows), partial


def catalog_groups(query: str) -> list[Group]:
    """One query per kind, of at most LIMIT + 1 rows (the extra row says there are more)."""
    if not search_terms(query):  # "%" or "日本語": nothing a search_key can contain
        return []
    fields = ("slug", "name", "listed")
    gpus = best(Gpu.objects.only(*fields, "vendor", "memory_bytes", "bandwidth_gb_s", "release_date"), query)
    llms = best(LlmModel.objects.only(*fields, "total_params_b", "active_params_b"), query)
    diffusion = best(DiffusionModel.objects.only(*fields, "kind", "components", "hf_id"), query)  # as_spec()
    every_gpu = f"{reverse('catalog:gpu-list')}?{_querystring(query)}"
    return [
        group("gpu", "GPUs", [gpu_hit(g) for g in gpus[0]], every_gpu, partial=gpus[1]),
        group("model", "Models", [llm_hit(m) for m in llms[0]], partial=llms[1]),
        group(
            "diffusion", "Diffusion models", [diffusion_hit(d) for d in diffusion[0]], partial=diffusion[1]
        ),
    ]


def _querystring(query: str) -> str:
    params = QueryDict(mutable=True)
    params["q"] = query
    return params.urlencode()


def _billions(params_b: float) -> str:
    """32.764 → "32.8 B", 235.0 → "235 B"."""
    return f"{params_b:.1f}".removesuffix(".0") + " B"


def gpu_hit(gpu: Gpu) -> Hit:
    description = (
        f"{gpu.get_vendor_display()}, {format_bytes(gpu.memory_bytes)}, {gpu.bandwidth_gb_s:,.0f} GB/s"
    )
    return Hit(reverse("catalog:gpu-detail", args=[gpu.slug]), gpu.name, description, gpu.rank)


def llm_hit(model: LlmModel) -> Hit:
    description = f"{_billions(model.total_params_b)} parameters"
    if model.active_params_b and model.active_params_b < model.total_params_b:
        description += f", {_billions(model.active_params_b)} active per token"
    return Hit(reverse("catalog:model-detail", args=[model.slug]), model.name, description, model.rank)


def diffusion_hit(model: DiffusionModel) -> Hit:
    # the denoiser apart from the text encoders (DiffusionSpec.parameters_text), not their sum: FLUX.1 [dev] read
    # "17 B parameters" against the 12B everyone names it by
    description = f"{model.get_kind_display()} diffusion model, {model.as_spec().parameters_text}"
    try:
        url = reverse("calculator:diffusion-detail", args=[model.slug])
    except NoReverseMatch:  # no page of their own yet: the catalog API's entry
        url = f"{reverse('catalog:api-diffusion-models')}?{_querystring(model.slug)}"
    return Hit(url, model.name, description, model.rank)
