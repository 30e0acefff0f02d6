"""The calculator's branch for image and video models: the same page and API URL, another form and partial.

`views.will_it_run` and `api.estimate` hand a question to this module when its `model` is a diffusion
model (and, for HTMX, when the visitor switches between the two kinds: the form's fields differ, so the
whole page is loaded again with HX-Redirect)."""

from urllib.parse import urlencode

from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect, push_url
from pydantic import ValidationError

from catalog import pages, slugs
from catalog.models import DiffusionModel, Quantization
from catalog.search import by_relevance

from .diffusion_api import bad_parameters, estimate_json
from .diffusion_devices import devices_that_fit
from .diffusion_estimate import answered
from .diffusion_form import DiffusionForm
from .diffusion_formats import FORMATS
from .diffusion_result import result_context
from .diffusion_shapes import is_diffusion
from .fixes import problems  # the LLM page's errors and fixes
from .forms import FIRST_VISIT
from .page import form_pickers, inputs_url  # the LLM page's pickers (GPUs, rows, links), its URL

KIND_FIELD = "kind"  # a hidden input of the diffusion form: its HTMX requests say where they come from


def page_or_none(request):
    """The diffusion page (or partial) for a diffusion question; a full reload when the visitor switches
    kind of model with HTMX; None for an LLM question from the LLM page."""
    slug = request.GET.get("model", "")
    diffusion = is_diffusion(slug)
    came_from_diffusion = request.GET.get(KIND_FIELD) == "diffusion"
    if request.htmx and not request.htmx.history_restore_request and diffusion != came_from_diffusion:
        # the other kind's form: keep the model and the hardware; formats and workloads differ
        keep = {"model", "gpu", "count", "ram_gb"}
        query = QueryDict(mutable=True)
        for name in (n for n in request.GET if n in keep):
            query.setlist(
                name,
                [v for v in request.GET.getlist(name) if v]
                if name == "ram_gb"
                else request.GET.getlist(name),
            )
        return HttpResponseClientRedirect(f"/?{query.urlencode()}")
    return page(request, DiffusionForm(request.GET)) if diffusion else None


def page(request, form: DiffusionForm):
    context = {"form": form, "diffusion": True, "kind_field": KIND_FIELD}
    context["diffusion_models"] = DiffusionModel.objects.only("slug", "name").order_by("name")
    context["quants"] = [q for q in Quantization.objects.filter(slug__in=FORMATS) if q.slug != "bf16"]
    valid = form.is_valid()
    shape = form.shape if valid else None
    context["video"] = bool(shape and shape.video)
    context["picture"] = {  # what the inputs show: the defaults of the model once valid, else as typed
        name: form.cleaned_data.get(name) if valid else form.data.get(name, "")
        for name in ("width", "height", "steps", "frames")
    }
    if valid:
        try:
            context |= result_context(answered(form), form)
        except ValidationError as error:
            form.add_error(None, "; ".join(e["msg"] for e in error.errors()))
    context = form_pickers(form) | context  # after the answer: the format select names the usual one
    if form.errors:
        context["problems"] = problems(form)
    template = "calculator/page.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#result"
        context["partial"] = True
    response = TemplateResponse(request, template, context)
    if request.htmx:
        response = push_url(response, context.get("permalink") or inputs_url(form))
    return response


def api_or_none(request):
    """/api/v1/estimate for a diffusion model: 200 with its plans, 400 naming each bad parameter."""
    if not is_diffusion(request.GET.get("model", "")):
        return None
    errors = bad_parameters(request.GET)
    form = DiffusionForm(request.GET)
    if not form.is_valid() or errors:
        errors |= {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    try:
        result = answered(form)
    except ValidationError as error:
        return JsonResponse({"errors": {"__all__": [e["msg"] for e in error.errors()]}}, status=400)
    return JsonResponse(estimate_json(result, form))


@require_GET
def detail(request, slug: str):
    """An image or video model's address (site search links here): the calculator, asked about it with
    the rest of the question given (`?gpu=...&quant=...`), else on the first visit's GPU. A slug no model
    has is a 404, as a language model's page is (a renamed one's old slug: a 301 to the new)."""
    model = DiffusionModel.objects.filter(slug=slug).only("slug").first()
    if model is None:
        return slugs.redirect_or_404(DiffusionModel, slug, "calculator:diffusion-detail")
    asked = [(k, v) for k in request.GET if k in DiffusionForm.FIELDS[1:] for v in request.GET.getlist(k)]
    if "gpu" not in request.GET:  # a card alone that runs it as asked, a popular one first
        query = QueryDict(urlencode([("model", model.slug), *asked]))
        alone = next((g.slug for g, n in devices_that_fit(query) if n == 1), FIRST_VISIT["gpu"][0])
        asked.insert(0, ("gpu", alone))
    return redirect(f"/?{urlencode([('model', model.slug), *asked])}")


@require_GET
def model_pick(request):
    """The model picker's options: LLMs (catalog.pages.pick_models), then image and video models."""
    query = request.GET.get("q", "")[:100].replace("\x00", "")
    found = pages.pick_models(query)
    if query.strip():
        images = by_relevance(
            list(DiffusionModel.objects.search(query).only("slug", "name", "listed")), query
        )
    else:
        images = DiffusionModel.objects.listed().only("slug", "name").order_by("name")
    context = {"found": found, "images": images, "query": query}
    return TemplateResponse(request, "calculator/_diffusion_options.html", context)
