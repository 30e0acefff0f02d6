"""Branded 404 and 500 pages that link home (issue 16), served with the right status."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_an_unknown_address_gets_the_sites_404_with_links_home(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html and 'href="/"' in html and 'class="site-header"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v2/estimate", "/api/v1/nothing", "/api/estimate", "/api/v1/gpus/x"])
def test_a_missing_api_address_is_a_json_404_pointing_to_the_docs(client, url):
    """A visitor review: /api/v2/estimate answered the site's HTML 404 to a script that reads JSON."""
    response = client.get(url)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": {"__all__": ["No such endpoint: the endpoints are listed at /api/."]}
    }


@pytest.mark.django_db
def test_the_api_docs_are_still_a_page(client):
    response = client.get("/api/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_an_error_gets_the_sites_500_with_a_link_home(settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("broken/", broken)]})
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and 'href="/"' in html
