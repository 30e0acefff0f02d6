"""What the apps above the calculator add to its result, registered from their AppConfig.ready() so that
the calculator imports none of them (ARCHITECTURE.md), as the reverse questions' snapshot kinds are
(`snapshots.KINDS`): the error pages a result links (the glossary's `errors.pages_for`, and for an image model
`errors.image_pages_for`) and more context
for the result (the visitors' measurements, community/measured.py)."""

from collections.abc import Callable

from estimator import DiffusionEstimate, Estimate, Plan

from .question import Question

# (result, the form's runtime, the backend it runs on, the plan shown) -> the pages to link, each with `slug`, `title`
ERROR_PAGES: list[Callable[[Estimate, str, str, Plan], list]] = []
# an image or video model's answer, the backend it runs on -> the pages to link, each with `slug`, `title`
IMAGE_ERROR_PAGES: list[Callable[[DiffusionEstimate, str], list]] = []
# a valid Question -> more keys for the #result partial's context
RESULT_CONTEXT: list[Callable[[Question], dict]] = []


def register_error_pages(find: Callable[[Estimate, str, str, Plan], list]) -> None:
    if find not in ERROR_PAGES:
        ERROR_PAGES.append(find)


def register_image_error_pages(find: Callable[[DiffusionEstimate, str], list]) -> None:
    if find not in IMAGE_ERROR_PAGES:
        IMAGE_ERROR_PAGES.append(find)


def register_result_context(add: Callable[[Question], dict]) -> None:
    if add not in RESULT_CONTEXT:
        RESULT_CONTEXT.append(add)


def error_pages(result: Estimate, runtime: str, backend: str, shown: Plan) -> list:
    """Every registered app's pages for this result, in the order the apps registered."""
    return [page for find in ERROR_PAGES for page in find(result, runtime, backend, shown)]


def image_error_pages(result: DiffusionEstimate, backend: str) -> list:
    """The error pages of an image or video model's answer (ComfyUI's and diffusers'), as `error_pages`."""
    return [page for find in IMAGE_ERROR_PAGES for page in find(result, backend)]


def result_context(question: Question) -> dict:
    """What every registered app adds to a valid question's result."""
    context: dict = {}
    for add in RESULT_CONTEXT:
        context |= add(question)
    return context
