"""A suggestion's speed is what each user sees, as the verdict of the page it links to says it, and a
duration over a minute reads in minutes or hours (estimator.units.format_seconds)."""

import re

import pytest

from calculator import present
from estimator.units import format_rate

pytestmark = pytest.mark.django_db

MANY_USERS = "/?model=llama-3-3-70b-instruct&gpu=h100-sxm5-80-gb&count=2&runtime=vllm&batch=512&ctx=131072"


def test_more_gpus_for_many_users_quotes_the_speed_per_user_its_page_shows(client, catalog):
    """The review: "3 × H100 SXM5 80 GB would fit it (layer split, 20.7 tok/s)" linked to a page that
    says "about 0.04 tok/s per user"."""
    [more] = [s for s in client.get(MANY_USERS).context["suggestions"] if s["kind"] == "gpu_count"]
    page = client.get(more["url"]).context
    plan = page["shown_plan"]
    if plan.seated(512) < 512:  # vLLM seats fewer: the speed each seated one sees, as the verdict says
        quoted = f"{plan.seated(512)} of the 512 users at once, about {format_rate(plan.seated_tok_s(512))} tok/s each"
    else:
        quoted = f"about {format_rate(present.per_user(plan, 512).value)} tok/s per user"
    assert f"{quoted})" in more["text"]
    assert quoted in page["verdict"].text


def test_a_time_to_first_token_of_hours_reads_in_hours(client, catalog):
    """The review: the linked page gave its time to first token as "6293.5 s"."""
    [more] = [s for s in client.get(MANY_USERS).context["suggestions"] if s["kind"] == "gpu_count"]
    html = client.get(more["url"]).content.decode()
    ttft = re.search(r'data-testid="ttft">([^<]*)<', html).group(1)
    assert re.fullmatch(r"\d+\.\d h", ttft), ttft
