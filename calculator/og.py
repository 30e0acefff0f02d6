"""Link previews: `/og.png?<question>` for a calculator result and `/r/<id>/og.png` for a snapshot.

The numbers come from the page's own path (QuestionForm and its Question, the cached estimate,
present.verdict and memory_bars); og_image draws them. The PNG bytes are cached under a key that hashes the question,
the catalog version, the engine version and og_image.VERSION, and that hash is also the ETag.
"""

import hashlib

from django.core.cache import cache as django_cache
from django.http import Http404, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from catalog import cache
from estimator import Estimate

from . import answer as answers
from . import og_image, present, snapshots
from .forms import QuestionForm
from .memory import memory_bars
from .models import Snapshot
from .page import computed
from .question import Question

TITLE = "Will it run?"
RESULT_MAX_AGE_S = 3600  # a catalog edit changes the answer: crawlers should ask again within the hour
SNAPSHOT_MAX_AGE_S = 7 * 24 * 3600  # a snapshot never changes


class NoPreview(ValueError):
    """The question is well formed but the engine refused it: nothing to draw."""


@require_safe
def question_image(request):
    form = QuestionForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    key = cache.key(f"og-image-{og_image.VERSION}", Question.from_form(form).query())
    return _png(request, key, RESULT_MAX_AGE_S, lambda: _draw_question(form))


@require_safe
def snapshot_image(request, snapshot_id):
    digest = hashlib.sha256(f"{og_image.VERSION}|{snapshot_id}".encode()).hexdigest()[:32]
    return _png(request, f"og-snapshot:{digest}", SNAPSHOT_MAX_AGE_S, lambda: _draw_snapshot(snapshot_id))


def _png(request, key: str, max_age_s: int, draw) -> HttpResponse:
    """The cached PNG (drawn on a miss), or 304 when the client already has this key's image."""
    etag = f'"{key.partition(":")[2]}"'  # the key is a hash of everything the image shows
    response = get_conditional_response(request, etag=etag)
    if response is None:
        png = django_cache.get(key)
        if png is None:
            try:
                png = draw()
            except NoPreview as refusal:
                return _bad_request(refusal.args[0])
            django_cache.set(key, png, cache.TIMEOUT_S)
        response = HttpResponse(png, content_type="image/png")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=max_age_s)
    return response


def _draw_question(form: QuestionForm) -> bytes:
    context = computed(form)  # the page's cached estimate
    if "result" not in context:  # the engine refused the question (computed() added the error)
        raise NoPreview(form)
    question = context["question"]
    return _draw(
        context["result"],
        context["verdict"],
        plan=context["shown_plan"],
        model=question.model.name,
        quant=question.quant.name,
        ctx=question.ctx,
        batch=question.batch,
    )


def _draw_snapshot(snapshot_id: str) -> bytes:
    try:
        snapshot = Snapshot.objects.get(id=snapshot_id, kind=Snapshot.ESTIMATE)  # reverse pages have none
    except Snapshot.DoesNotExist:
        raise Http404("No such shared result.") from None
    result = Estimate.model_validate(snapshot.result)
    specs, created = snapshot.specs, snapshot.created
    question = snapshots.todays_question(snapshot)
    fit = snapshots.runtime_fit(question, result)
    return _draw(
        result,
        present.verdict(
            result,
            specs["hardware"],
            users=specs["workload"].get("batch", 1),
            fit=fit,
            no_weights=snapshots.no_weights(question),
        ),
        plan=answers.shown_plan(result, fit),
        model=specs["model_name"],
        quant=specs["quant_name"],
        ctx=specs["workload"]["context_tokens"],
        batch=specs["workload"].get("batch", 1),
        footer=f"Shared {created.day} {created:%B %Y}",
    )


def _draw(
    result: Estimate, verdict, *, model: str, quant: str, ctx: int, batch: int, footer="", plan=None
) -> bytes:
    plan = plan or answers.shown_plan(result)
    users = f" · {batch} users" if batch > 1 else ""
    return og_image.render(
        title=TITLE,
        verdict=verdict.text,
        tone=verdict.css,  # borderline is amber, as on the page
        lines=[
            f"{model} · {quant} · {ctx:,} tokens of context{users}",
            f"{answers.STRATEGY_TITLES[plan.strategy]}: {verdict.headroom}",
        ],
        bars=[_bar(bar) for bar in memory_bars(plan)],
        footer=footer,
    )


def _bar(bar: dict) -> og_image.Bar:
    device = bar["device"]
    layers = f" · {device.layers} layers" if device.layers else ""
    return og_image.Bar(
        label=f"{device.name}{layers}",
        detail=f"{bar['used']} of {bar['capacity']}",
        segments=tuple(og_image.Segment(s.css, s.width / 100) for s in bar["segments"]),
        capacity=bar["capacity_x"] / 100,
        fits=bar["status"] != "no",  # inside the safety margin it still loads: not in red, as on the page
    )


def _bad_request(form: QuestionForm) -> HttpResponse:
    """Plain text: a preview crawler shows nothing for a 400 anyway, a person sees what to fix."""
    errors = form.errors.get_json_data()
    lines = [f"{field}: {e['message']}" for field, items in errors.items() for e in items]
    text = "No preview for this question.\n" + "\n".join(lines) + "\n"
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
