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
def test_an_error_gets_the_sites_500_with_a_link_home(settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("broken/", broken)]})
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and 'href="/"' in html
