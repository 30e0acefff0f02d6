"""What the calculator page shows for a question, apart from its views: the answer to a valid form (its
estimate and charts, cached on question, catalog and engine), the form's pickers, and the page's URLs (the
question as asked, or its permalink). The page, the compare page, the preview images and the image-model
page (calculator/diffusion_views.py) build their context here."""

from django.http import QueryDict
from django.urls import reverse

from catalog import cache
from estimator.speed import shared_steps

from . import answer as answers
from . import charts, diffusion_picker, hub_config, pickers, registry
from .diffusion_answer import DiffusionForm
from .forms import CONTEXT_PRESETS, DEFAULTS, FIRST_VISIT, MAX_DEVICES, QuestionForm
from .question import EngineRefused, Question


def first_visit() -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in FIRST_VISIT.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def computed(form: QuestionForm) -> dict:
    """The result of a valid form (cached on question, catalog and engine), or the engine's refusal
    (added to the form's errors)."""
    question = Question.from_form(form)
    try:
        result, chart_list = cached_result(question)
    except EngineRefused as refusal:
        form.add_error(None, str(refusal))
        return {}
    context = answers.result_context(result, question) | {"charts": chart_list}
    context["hub_files"] = hub_config.for_page(question)  # a model read from the Hub: its files there
    return context | registry.result_context(question)  # e.g. visitors' approved runs (community/measured.py)


def cached_result(question: Question) -> tuple:
    """The question's estimate and its two charts, cached on question, catalog and engine."""

    def compute():
        # one scope for the estimate and its charts: the charts' points time the stages the estimate timed
        with shared_steps():
            result = question.estimate()  # also the charts' point of the question itself
            return result, [
                charts.speed_vs_context(question, result),
                charts.speed_vs_users(question, result),
            ]

    return cache.get_or_compute("result", question.query(), compute)


def form_pickers(form: QuestionForm) -> dict:
    """The form's pickers (calculator/pickers.py): listed rows, plus whatever the question already names."""
    rows = pickers.catalog_rows()
    data = form.data
    chosen = [s for s in data.getlist("gpu") if s]
    hardware = [
        (g, c) for g, c in zip(form.gpu_slugs, form.counts_raw or ["1"] * len(form.gpu_slugs), strict=False)
    ]
    try:
        wanted = min(int(data.get("rows", 1)), MAX_DEVICES)
    except ValueError:
        wanted = 1
    while len(hardware) < wanted:
        hardware.append(("", "1"))
    without_config = None
    if data.get("config"):
        query = data.copy()
        query.pop("config")
        query["model"] = query.get("model") or FIRST_VISIT["model"]
        without_config = f"{page_url()}?{query.urlencode()}"
    model_query = data.get("q", "")[:100].replace("\x00", "")
    return {
        "without_config": without_config,
        "model_query": model_query,
        "model_options": pickers.model_options(data.get("model", ""), model_query),
        "hardware_rows": [(g, c, pickers.gpu_options(rows["gpus"], g, chosen=chosen)) for g, c in hardware],
        "context_presets": CONTEXT_PRESETS,
        "ram_options": pickers.ram_options(data.get("ram_preset")),
        **combination_pickers(form),
    }


def combination_pickers(form: QuestionForm) -> dict:
    """The runtime, format and KV cache selects, which follow the hardware and each other: on the page,
    and swapped out of band with every HTMX answer."""
    ram_off = {"ram_off": pickers.ram_unused(form)}
    if isinstance(form, DiffusionForm):  # no runtime or KV cache; formats of the denoiser
        return {"quant_options": diffusion_picker.quant_options(form)} | ram_off
    return ram_off | {
        "runtime_options": pickers.runtime_options(form),
        "backend_options": pickers.backend_options(form),
        "quant_options": pickers.quant_options(form),
        "kv_options": pickers.kv_options(form),
        "link_off": (off := pickers.link_unused(form)),
        "link_options": pickers.link_options(form.data.get("link"), off),
    }


# Inputs whose default means the same as leaving them out (an explicit runtime or prompt does not).
SAME_AS_EMPTY = {name: str(DEFAULTS[name]) for name in ("ctx", "batch", "kv", "hosts")} | {"fa": "on"}


def inputs_url(form: QuestionForm) -> str:
    """The page's URL for a question as asked, valid or not: its non-empty inputs in the form's order,
    those left at their defaults dropped (the finder's text, the model id and the rows button too), a
    count of one per GPU row left out: what the address bar shows while the errors are fixed."""
    data, query = form.data, QueryDict(mutable=True)
    counts = form.counts_raw if len(form.counts_raw) in (1, len(form.gpu_slugs)) else []
    for name in form.FIELDS:
        if name == "gpu":
            values = form.gpu_slugs
        elif name == "count":
            values = [] if all(c.strip() == "1" for c in counts) else counts
        else:
            values = [v for v in data.getlist(name) if v.strip() and v.strip() != SAME_AS_EMPTY.get(name)]
        if values:
            query.setlist(name, values)
    return f"{page_url()}?{query.urlencode()}"


def page_url() -> str:
    """The calculator page's path, before its query string."""
    return reverse("calculator:will-it-run")


def permalink_or_page(form: QuestionForm) -> str:
    """A valid question's permalink; else the page with the query as given, where the errors show."""
    return (
        Question.from_form(form).permalink() if form.is_valid() else f"{page_url()}?{form.data.urlencode()}"
    )
