"""Per-client rate limits on the pages that compute, the preview images, uploads and shares: 429 with
Retry-After once a client has sent <SCOPE>_RATE_LIMIT requests in a window (config/middleware.py)."""

import pytest
from django.urls import reverse

from config.middleware import API_DOCS_PATH, COMPUTED_PAGES, SHARE_PATH, STORING_POSTS

pytestmark = pytest.mark.django_db

LIMITED_PAGES = ["/", "/what-runs/", "/what-hardware/", "/compare/", "/og.png", "/own-model/", "/r/abc"]
WINDOW = 86_400  # every scope's window in tests (tests/conftest.py: a minute's boundary made runs flaky)


@pytest.mark.parametrize("url", LIMITED_PAGES)
def test_a_page_answers_429_with_retry_after_past_the_limit(client, settings, url):
    settings.PAGE_RATE_LIMIT = 2
    statuses = [client.get(url).status_code for _ in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429
    response = client.get(url)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= settings.PAGE_RATE_WINDOW
    body = response.content.decode()
    if url.endswith(".png"):  # an image: a line of text
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert body.startswith(f"Too many requests: at most 2 per {WINDOW} s from one address.")
    else:  # the site's page, with its policy, and a link that asks again
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert "<h1>Too many requests</h1>" in body and 'class="site-header"' in body
        assert f"At most 2 per {WINDOW} s from one address: try again in " in body
        assert f'<a href="{url}">ask again</a>' in body
        assert "default-src" in response["Content-Security-Policy"]


def test_the_live_answer_over_the_limit_says_so_in_its_place(client, settings, catalog):
    """An HTMX request for the answer gets the answer's section with the message (base.html's htmx-config
    swaps a 429 in), not the whole page nor a silence that leaves the old answer standing."""
    settings.PAGE_RATE_LIMIT = 1
    url = "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=4096"
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "result"}
    assert client.get(url, **htmx).status_code == 200
    response = client.get(url, **htmx)
    assert response.status_code == 429
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="result"') and "<h1>" not in body
    assert f"Too many requests: at most 1 per {WINDOW} s" in body and "try again in" in body
    assert '{"code":"400|429","swap":true,"error":false}' in client.get("/glossary/").content.decode()


def test_uploads_count_toward_the_page_limit(client, settings):
    settings.PAGE_RATE_LIMIT = 1
    assert client.post("/own-model/", {"quant": "q4_k_m"}).status_code == 400  # no file chosen
    assert client.post("/own-model/", {"quant": "q4_k_m"}).status_code == 429


def test_the_page_limit_is_per_client(client, settings):
    settings.PAGE_RATE_LIMIT = 1
    assert client.get("/compare/", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.get("/compare/", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/compare/", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_behind_the_proxy_each_forwarded_client_has_its_own_count(client, settings):
    settings.PAGE_RATE_LIMIT, settings.BEHIND_PROXY = 1, True
    assert client.get("/compare/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get("/compare/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert client.get("/compare/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_pages_served_from_the_response_cache_count_too(client, settings, catalog):
    settings.PAGE_RATE_LIMIT = 2
    url = "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_scopes_are_counted_apart(client, settings):
    settings.PAGE_RATE_LIMIT = settings.API_RATE_LIMIT = 1
    assert client.get("/compare/").status_code == 200
    assert client.get("/compare/").status_code == 429
    assert client.get("/api/v1/gpus").status_code == 200  # the API has its own count
    assert client.post("/r/", {"q": "model=none"}).status_code == 302  # and sharing its own


def test_catalog_glossary_and_health_are_not_limited(client, settings):
    settings.PAGE_RATE_LIMIT = 1
    settings.API_RATE_LIMIT = 1
    for url in ["/gpus/", "/glossary/", "/api/", "/healthz", "/readyz"]:
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200], url


def test_a_limit_of_zero_turns_it_off(client, settings):
    settings.PAGE_RATE_LIMIT = 0
    assert {client.get("/compare/").status_code for _ in range(5)} == {200}


def test_shares_have_their_own_limit(client, settings, catalog):
    settings.SHARE_RATE_LIMIT = 2
    question = {"q": "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"}
    statuses = [client.post("/r/", question).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    response = client.post("/r/", question)
    assert 1 <= int(response["Retry-After"]) <= settings.SHARE_RATE_WINDOW
    assert client.get(client.post("/r/", question, REMOTE_ADDR="10.0.0.3")["Location"]).status_code == 200


def test_the_limited_paths_are_the_urlconfs():
    names = [
        "calculator:will-it-run",
        "reverse_questions:what-runs",
        "reverse_questions:what-hardware",
        "calculator:compare",
        "calculator:og-image",
        "calculator:chart-svg",
        "calculator:own-model",
        "calculator:paste-rig",
        "costs:cost",
        "costs:choose",
    ]
    assert {reverse(name) for name in names} == COMPUTED_PAGES
    assert reverse("calculator:share") == SHARE_PATH
    assert reverse("calculator:api-docs") == API_DOCS_PATH
    assert {reverse("calculator:share"), reverse("community:submit")} == STORING_POSTS
    assert reverse("calculator:snapshot", args=["abc"]).startswith(SHARE_PATH)
    assert reverse("calculator:snapshot-og-image", args=["abc"]).startswith(SHARE_PATH)
