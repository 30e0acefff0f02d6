"""The usual format of an image question (the one it is answered in where none is asked) is a function of the
question and the catalog: the same whether or not the form was answered before, and in whatever order."""

import re

from django.core.cache import cache
from django.http import QueryDict

from calculator.diffusion_estimate import answered, usual_format
from calculator.diffusion_form import DiffusionForm

# FLUX.1 [dev] in BF16 on a 12 GB card runs only by sequential offload; Q6_K runs by component offload,
# faster and in less system RAM: Q6_K is the usual format there (diffusion_estimate.usual)
ON_A_3060 = "model=flux-1-dev&gpu=geforce-rtx-3060-12-gb"
ON_A_4090 = "model=flux-1-dev&gpu=geforce-rtx-4090"


def form(query: str) -> DiffusionForm:
    bound = DiffusionForm(QueryDict(query))
    assert bound.is_valid(), bound.errors
    return bound


def test_the_usual_format_of_a_question_never_answered_is_known(catalog):
    cache.clear()  # no answer of it cached either
    assert usual_format(form(ON_A_3060)).slug == "q6_k"
    assert usual_format(form(ON_A_4090)).slug == "bf16"  # where BF16 runs another way: as released


def test_the_usual_format_is_the_same_before_and_after_the_answer_and_after_the_cache_is_emptied(catalog):
    cache.clear()
    question = form(ON_A_3060)
    before = usual_format(question)
    answered(question)
    assert (
        question.cleaned_data["quant"].slug == "q6_k"
    )  # the question now names the format it is answered in
    cache.clear()  # answered again from the question, not from what the form says by now
    answered(question)
    assert question.cleaned_data["quant"] == before == usual_format(question) == usual_format(form(ON_A_3060))


def test_a_question_that_asks_a_format_is_answered_in_it_and_still_knows_the_usual_one(catalog):
    asked = form(ON_A_3060 + "&quant=bf16")
    answered(asked)
    assert asked.cleaned_data["quant"].slug == "bf16"
    assert usual_format(asked).slug == "q6_k"


def test_an_invalid_question_has_no_usual_format(catalog):
    assert usual_format(DiffusionForm(QueryDict("model=flux-1-dev"))) is None  # no GPU


def quant_select(client, query: str) -> str:
    html = client.get(f"/?{query}").content.decode()
    return re.search(r'<select name="quant" id="id_quant">(.*?)</select>', html, re.S)[1]


def test_before_a_gpu_is_chosen_the_select_names_the_released_format_as_such(client, catalog):
    """The usual format follows what the GPU holds (Q6_K on a 12 GB card, BF16 on a 24 GB one): before a GPU is
    chosen none is known, and "Usual for the model: BF16" read as a recommendation. The select says the usual
    one waits for the GPU and names the format the model is released in, and BF16 can be picked itself."""
    flux = quant_select(client, "model=flux-1-dev")
    assert '<option value="" selected>Usual per GPU; released: BF16</option>' in flux
    assert '<option value="bf16">BF16 (16 bits)</option>' in flux
    assert "Usual for the model" not in flux
    # SDXL's UNet is released in FP16, as the catalog's components say
    assert "Usual per GPU; released: FP16" in quant_select(client, "model=stable-diffusion-xl")


def test_once_a_gpu_is_chosen_the_select_names_the_usual_format_on_it(client, catalog):
    assert '<option value="" selected>Usual on this GPU: Q6_K</option>' in quant_select(client, ON_A_3060)
    assert '<option value="" selected>Usual on this GPU: BF16</option>' in quant_select(client, ON_A_4090)
    two = quant_select(client, ON_A_3060 + "&count=2")
    assert re.search(r'<option value="" selected>Usual on these GPUs: [^<]+</option>', two)
