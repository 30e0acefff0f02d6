"""A shared image or video answer (/r/<id> of kind "diffusion"): the visitor review found the image and video
answers alone without "Share a snapshot". It keeps its own numbers after the catalog changes and says so."""

import re
from html import unescape

import pytest
from django.core.cache import cache

from calculator.models import Snapshot
from catalog.models import DiffusionModel, Gpu

pytestmark = pytest.mark.django_db

FLUX = "model=flux-1-dev&gpu=geforce-rtx-4090"


def shown(client, snapshot: Snapshot) -> str:
    cache.clear()  # render anew, not the response kept in the cache
    response = client.get(snapshot.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def time_shown(html: str) -> str:
    return re.search(r'data-testid="time">[^<]*<strong>([^<]+)</strong>', html).group(1)


def test_an_image_answer_is_shared_from_its_page_and_keeps_its_numbers(client, catalog):
    page = client.get(f"/?{FLUX}").content.decode()
    form = re.search(r'<form class="share" method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form[2]))
    assert fields["kind"] == "diffusion"
    response = client.post(form[1], {name: unescape(value) for name, value in fields.items()})
    assert response.status_code == 302
    snapshot = Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))
    assert snapshot.kind == "diffusion"
    before = shown(client, snapshot)
    # titled with the format answered in, as an LLM's snapshot is (a second review: FLUX's had none)
    assert 'data-testid="same"' in before and "FLUX.1 [dev] at BF16 on 1× GeForce RTX 4090" in before
    assert time_shown(before) == time_shown(page) and "Share a snapshot" not in before

    Gpu.objects.filter(slug="geforce-rtx-4090").update(fp16_tflops=20)
    Gpu.objects.get(slug="geforce-rtx-4090").save()  # as the admin does: bumps the catalog version
    after = shown(client, snapshot)
    assert time_shown(after) == time_shown(before)
    # the link names the format it was answered in: without one, the usual format may change
    assert (
        'data-testid="differs"' in after
        and 'href="/?model=flux-1-dev&amp;quant=bf16&amp;gpu=geforce-rtx-4090"' in after
    )
    assert time_shown(client.get(f"/?{FLUX}").content.decode()) != time_shown(before)


def test_a_snapshot_whose_model_left_the_catalog_says_so(client, catalog):
    response = client.post("/r/", {"kind": "diffusion", "q": FLUX})
    snapshot = Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))
    DiffusionModel.objects.filter(slug="flux-1-dev").delete()
    html = shown(client, snapshot)
    assert "The catalog no longer has one of its inputs." in html
    assert snapshot.specs["verdict"] in unescape(html)  # the headline as it read


def test_an_invalid_image_question_goes_back_to_its_page(client, catalog):
    response = client.post("/r/", {"kind": "diffusion", "q": "model=flux-1-dev&gpu=geforce-rtx-4090&steps=0"})
    assert response.status_code == 302 and response["Location"].startswith("/?model=flux-1-dev")
    assert not Snapshot.objects.exists()


def test_a_snapshot_names_its_format_and_an_old_one_without_is_read_as_bf16(client, catalog):
    """A question without a format is answered in the usual one, which may be a smaller format than BF16
    (diffusion_answer.usual): FLUX.1 [dev] on a 3060 in Q6_K. A snapshot names the format it was answered in,
    and one saved before, without a format, was answered in BF16 and is still read in it."""
    usual = "model=flux-1-dev&gpu=geforce-rtx-3060-12-gb"
    response = client.post("/r/", {"kind": "diffusion", "q": usual})
    snapshot = Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))
    named = "model=flux-1-dev&quant=q6_k&gpu=geforce-rtx-3060-12-gb"
    assert snapshot.query == named
    html = shown(client, snapshot)
    assert 'data-testid="same"' in html and f'href="/?{named.replace("&", "&amp;")}"' in html
    # saved before: the query without its format, the answer in BF16
    bf16 = client.post("/r/", {"kind": "diffusion", "q": usual + "&quant=bf16"})
    old = Snapshot.objects.get(id=bf16["Location"].removeprefix("/r/"))
    assert old.query == "model=flux-1-dev&quant=bf16&gpu=geforce-rtx-3060-12-gb"
    Snapshot.objects.filter(id=old.id).update(query=usual)
    old.refresh_from_db()
    html = shown(client, old)
    assert 'data-testid="same"' in html and "sequential offload" in html
    assert f'href="/?{usual.replace("&", "&amp;")}&amp;quant=bf16"' in html
