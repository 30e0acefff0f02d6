"""Result pages carry an ETag and `Cache-Control: public` so a proxy or CDN can serve them."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from django.test import RequestFactory

from catalog.models import Gpu
from config.http_cache import PublicResponseMiddleware, data_version, kept_key, public, release

pytestmark = pytest.mark.django_db

QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_a_permalink_page_is_publicly_cacheable_with_an_etag(client, catalog):
    response = client.get(QUESTION)
    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert "public" in response["Cache-Control"] and "s-maxage=300" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]  # browsers revalidate, so edits show at once
    assert "HX-Request" in response["Vary"]
    assert b"csrfmiddlewaretoken" not in response.content  # nothing per-visitor in a shared page
    assert "Set-Cookie" not in response


def test_if_none_match_gets_a_304_without_computing(client, catalog, django_assert_max_num_queries):
    etag = client.get(QUESTION)["ETag"]
    with django_assert_max_num_queries(0):
        again = client.get(QUESTION, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag


def test_the_partial_and_the_page_have_different_etags(client, catalog):
    page = client.get(QUESTION)["ETag"]
    partial = client.get(QUESTION, headers={"HX-Request": "true"})["ETag"]
    assert page != partial


def test_an_admin_edit_changes_the_etag(client, catalog):
    before = client.get(QUESTION)["ETag"]
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    gpu.bandwidth_gb_s = 900
    gpu.save()
    after = client.get(QUESTION, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after["ETag"] != before


def test_only_successful_answers_are_public_an_upload_error_is_not(client, catalog):
    response = client.get("/?model=no-such-model&quant=q4_k_m&gpu=geforce-rtx-3090")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]  # the page itself is the same for everyone
    bad_upload = client.post("/own-model/", {"model": "llama-3-1-8b-instruct"})
    assert bad_upload.status_code == 400
    assert "public" not in bad_upload.get("Cache-Control", "")


def test_a_snapshot_page_is_cacheable_and_revalidates(client, catalog):
    location = client.post("/r/", {"q": QUESTION[2:]})["Location"]
    first = client.get(location)
    assert first.status_code == 200 and "public" in first["Cache-Control"]
    assert client.get(location, headers={"If-None-Match": first["ETag"]}).status_code == 304


def test_an_unknown_snapshot_is_a_404_not_cached_publicly(client, catalog):
    response = client.get("/r/zzzzzzzzzz")
    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")


def test_a_repeated_question_is_served_from_the_cache_without_queries(
    client, catalog, django_assert_max_num_queries
):
    first = client.get(QUESTION, headers={"HX-Request": "true"})
    with django_assert_max_num_queries(0):
        again = client.get(QUESTION, headers={"HX-Request": "true"})
    assert again.status_code == 200
    assert again.content == first.content
    assert again["HX-Push-Url"] == first["HX-Push-Url"]
    assert again["Content-Type"] == first["Content-Type"]


def test_the_api_and_the_page_of_one_query_are_kept_apart(client, catalog, django_assert_max_num_queries):
    page = client.get(QUESTION)
    api = client.get("/api/v1/estimate" + QUESTION[1:])
    assert api["Content-Type"] == "application/json" and page["ETag"] != api["ETag"]
    with django_assert_max_num_queries(0):
        again = client.get("/api/v1/estimate" + QUESTION[1:])
    assert again.json() == api.json() and "public" in again["Cache-Control"]


def test_reverse_questions_are_cached_too(client, catalog, django_assert_max_num_queries):
    first = client.get("/what-runs/?gpu=geforce-rtx-3090&count=2")
    assert first.status_code == 200 and first["ETag"]
    with django_assert_max_num_queries(0):
        assert client.get("/what-runs/?gpu=geforce-rtx-3090&count=2").content == first.content


@pytest.mark.parametrize(
    "url",
    [
        "/gpus/?vendor=nvidia&sort=-memory",
        "/gpus/geforce-rtx-3090/",
        "/gpus/compare/?gpu=geforce-rtx-3090&gpu=geforce-rtx-4090",
        "/models/",
        "/models/llama-3-1-8b-instruct/",
        "/glossary/",
        "/glossary/kv-cache/",
        "/guides/",
    ],
)
def test_catalog_and_glossary_pages_are_cached_and_revalidate(
    client, catalog, url, django_assert_max_num_queries
):
    first = client.get(url)
    assert first.status_code == 200 and "public" in first["Cache-Control"], url
    with django_assert_max_num_queries(0):
        again = client.get(url)
        not_modified = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.content == first.content
    assert not_modified.status_code == 304


def test_an_admin_edit_shows_on_the_gpu_page_at_once(client, catalog):
    url = "/gpus/geforce-rtx-3090/"
    before = client.get(url)
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    gpu.name = "GeForce RTX 3090 (edited)"
    gpu.save()
    after = client.get(url, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert b"GeForce RTX 3090 (edited)" in after.content


def test_unknown_catalog_and_glossary_pages_are_404s_not_cached_publicly(client, catalog):
    for url in ("/gpus/no-such-gpu/", "/models/no-such-model/", "/glossary/no-such-term/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "public" not in response.get("Cache-Control", ""), url


def test_a_change_to_the_glossary_content_changes_the_release(settings, tmp_path):
    (tmp_path / "terms").mkdir()
    page = tmp_path / "terms" / "kv-cache.md"
    page.write_text("one")
    settings.CONTENT_DIR = tmp_path
    assert release_changes(lambda: page.write_text("two"))


def test_a_repeated_page_keeps_every_header_of_the_middleware_and_gets_its_own_request_id(
    client, catalog, django_assert_max_num_queries
):
    first = client.get(QUESTION)
    with django_assert_max_num_queries(0):
        again = client.get(QUESTION)
    assert again.content == first.content
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "ETag",
        "Cache-Control",
        "Vary",
        "Content-Length",
        "Content-Type",
    ):
        assert again[header] == first[header], header
    assert again["X-Request-ID"] != first["X-Request-ID"]


def test_a_kept_page_is_still_refused_to_a_host_not_allowed(client, catalog):
    assert client.get(QUESTION).status_code == 200
    assert client.get(QUESTION, HTTP_HOST="evil.example").status_code == 400


def test_each_host_gets_its_own_links_in_a_kept_page(client, catalog, settings):
    settings.ALLOWED_HOSTS = ["a.example", "b.example"]
    for _ in range(2):
        for host in ("a.example", "b.example"):
            page = client.get(QUESTION, HTTP_HOST=host)
            assert f'content="http://{host}/?'.encode() in page.content, host


def test_a_page_is_not_kept_when_it_sets_a_cookie():
    @public(etag=lambda request: '"fixed"')
    def view(request):
        response = HttpResponse("hello")
        response.set_cookie("visitor", "1")
        return response

    middleware = PublicResponseMiddleware(view)
    request = RequestFactory().get("/cookie-test/")
    assert middleware(request).cookies
    assert middleware(RequestFactory().get("/cookie-test/")).cookies  # the view ran again: nothing kept


def test_a_page_is_kept_compressed_with_its_data_version_and_served_only_for_it():
    from django.core.cache import cache

    @public(etag=lambda request: '"fixed"')
    def view(request):
        return HttpResponse("hello " * 100)

    middleware = PublicResponseMiddleware(view)
    request = RequestFactory().get("/kept-test/")
    key = kept_key(request)
    first = middleware(request)
    version, body, _ = cache.get(key)  # compressed: pages are most of a worker's response cache
    assert version == data_version() and len(body) < len(first.content) / 4
    assert middleware(RequestFactory().get("/kept-test/")).content == first.content
    cache.set(key, ("an earlier catalog", body, {"Content-Type": "text/plain"}))
    again = middleware(RequestFactory().get("/kept-test/"))  # computed again, and kept for this version
    assert again.content == first.content and cache.get(key)[0] == version


class CountedCache(LocMemCache):
    """A local-memory cache that counts what a shared cache would answer with one round trip each."""

    calls: list[str] = []

    def get(self, *args, **kwargs):
        type(self).calls.append("get")
        return super().get(*args, **kwargs)

    def get_many(self, keys, version=None):
        type(self).calls.append("get_many")
        return {k: v for k in keys if (v := LocMemCache.get(self, k, self, version=version)) is not self}


def test_a_kept_page_costs_one_read_of_the_cache_catalog_version_included(client, catalog, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.CountedCache", "LOCATION": "counted"}}
    first = client.get(QUESTION)
    CountedCache.calls.clear()
    again = client.get(QUESTION)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert CountedCache.calls == ["get_many"]


def test_a_history_restore_request_is_kept_apart_from_the_htmx_fragment(client, catalog):
    restore = client.get(QUESTION, headers={"HX-History-Restore-Request": "true"})
    assert b"<html" in restore.content  # django-htmx: not a fragment request
    fragment = client.get(QUESTION, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content
    both = client.get(QUESTION, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in both.content
    assert "HX-History-Restore-Request" in fragment["Vary"]


def test_a_change_to_the_python_code_changes_the_release(settings, tmp_path):
    for folder in ("templates", "static", "content", "config", "calculator", "catalog", "glossary"):
        (tmp_path / folder).mkdir()
    view = tmp_path / "calculator" / "views.py"
    view.write_text("ANSWER = 1\n")
    settings.BASE_DIR, settings.CONTENT_DIR = tmp_path, tmp_path / "content"
    assert release_changes(lambda: view.write_text("ANSWER = 2\n"))


def release_changes(change) -> bool:
    """Whether `release()` differs after `change()` (each computed afresh, the cache left clear)."""
    release.cache_clear()
    try:
        before = release()
        change()
        release.cache_clear()
        return release() != before
    finally:
        release.cache_clear()
