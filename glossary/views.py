from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from calculator import answer as answers
from calculator import present
from calculator.forms import QuestionForm
from calculator.question import Question
from config import http_cache

from . import accuracy as speed_accuracy
from .content import library
from .errors import by_runtime
from .examples import question_words


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def term_index(request):
    terms = sorted(library().terms.values(), key=lambda p: p.title.lower())
    return TemplateResponse(
        request, "glossary/index.html", {"terms": terms, "guides": library().guides.values()}
    )


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def term(request, slug):
    lib = library()
    page = lib.terms.get(slug)
    if page is None:
        raise Http404("No such glossary entry.")
    context = {
        "page": page,
        "related": [lib.terms[s] for s in page.related if s in lib.terms],
        "guides": [lib.guides[s] for s in page.used_by if s in lib.guides],
        "tries": [(query, question_words(query)) for query in page.calculators],
        **worked_example(page.example),
    }
    return TemplateResponse(request, "glossary/term.html", context)


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def accuracy(request):
    return TemplateResponse(request, "glossary/accuracy.html", {"figures": speed_accuracy.figures()})


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def guide_index(request):
    return TemplateResponse(request, "glossary/guides.html", {"guides": library().guides.values()})


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def guide(request, slug):
    return _page(request, library().guides.get(slug), "glossary/guide.html", "No such guide.")


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def error_index(request):
    """Every error page, grouped by the runtime that prints it."""
    return TemplateResponse(
        request, "glossary/errors.html", {"groups": by_runtime(library().errors.values())}
    )


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def error(request, slug):
    return _page(request, library().errors.get(slug), "glossary/error.html", "No such error page.")


def _page(request, page, template: str, missing: str):
    """A guide or an error page with the glossary terms it names and its calculator questions, worded."""
    if page is None:
        raise Http404(missing)
    terms = library().terms
    tries = [(query, question_words(query)) for query in page.calculators]
    return TemplateResponse(
        request,
        template,
        {"page": page, "terms": [terms[s] for s in page.related if s in terms], "tries": tries},
    )


def worked_example(query) -> dict:
    """The engine's live answer for an entry's example inputs (no number in an entry is typed by hand)."""
    if query is None:
        return {}
    form = QuestionForm(query)
    if not form.is_valid():
        return {"example_errors": form.errors}
    question = Question.from_form(form)
    # as the calculator: the plan the chosen runtime runs, or another runtime's as that one prices it
    result, fit = answers.as_shown(question.estimate(with_suggestions=False), question)
    return {
        "example": result,
        "example_plan": answers.shown_plan(result, fit),
        "example_verdict": present.verdict(result, question.hardware, users=question.batch, fit=fit),
        "example_permalink": question.permalink(),
    }


@require_GET
def robots_txt(request):
    """Crawl everything public; not the admin, the snapshot endpoint, the API or search results."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /r/",
        "Disallow: /api/v1/",  # the endpoints; their docs, /api/, are a page for people
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri(reverse('site_index:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
