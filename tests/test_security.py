"""Security headers, the API rate limit, health checks and the production settings check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_pages_carry_csp_without_inline_script_and_deny_framing(client):
    response = client.get("/glossary/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_policy_built_once_is_django_csps_and_follows_the_settings(client, settings):
    from csp.utils import build_policy

    assert client.get("/healthz")["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"script-src": ["'self'"]}}
    response = client.get("/healthz")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_a_view_that_changes_the_policy_gets_django_csps_own_path(rf):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    from config.middleware import CSPMiddleware

    @csp_update({"img-src": ["https://example.org"]})
    def view(request):
        return HttpResponse("ok")

    request = rf.get("/")
    middleware = CSPMiddleware(view)
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    assert "img-src 'self' data: https://example.org" in response["Content-Security-Policy"]


def test_the_admins_middleware_runs_for_the_admin_only(client, catalog, admin_user):
    from django.urls import reverse

    from config.middleware import ADMIN_PREFIX

    assert reverse("admin:index") == ADMIN_PREFIX
    public = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090")
    assert public.status_code == 200
    assert not hasattr(public.wsgi_request, "user") and not hasattr(public.wsgi_request, "session")
    assert not public.cookies
    client.force_login(admin_user)
    admin = client.get("/admin/catalog/gpu/")
    assert admin.status_code == 200 and admin.wsgi_request.user == admin_user


def test_hsts_and_secure_cookies_when_served_over_https(client, settings):
    response = client.get("/healthz", secure=True)
    assert "max-age=31536000" in response["Strict-Transport-Security"]
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE


def test_no_page_has_an_inline_script(client, catalog):
    html = client.get("/").content.decode()
    assert "<script>" not in html
    assert all("src=" in tag for tag in html.split("<script")[1:])


def test_api_rate_limit_answers_429_with_retry_after(client, settings):
    settings.API_RATE_LIMIT = 3
    statuses = [client.get("/api/v1/gpus").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    response = client.get("/api/v1/gpus")
    assert 1 <= int(response["Retry-After"]) <= settings.API_RATE_WINDOW
    assert "Too many requests" in response.json()["errors"]["__all__"][0]


def test_rate_limit_is_per_client(client, settings):
    settings.API_RATE_LIMIT = 1
    assert client.get("/api/v1/gpus", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.get("/api/v1/gpus", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/api/v1/gpus", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_pages_are_not_rate_limited(client, settings):
    settings.API_RATE_LIMIT = 1
    assert [client.get("/glossary/").status_code for _ in range(3)] == [200, 200, 200]


def test_every_response_has_a_request_id(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc"})["X-Request-ID"] == "abc"


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "willitrun.example",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_PRELOAD": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_secret_key_refuses_to_start():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_answers_served_from_the_response_cache_count_toward_the_limit(client, settings, catalog):
    settings.API_RATE_LIMIT = 2
    url = "/api/v1/estimate?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_sharing_is_rate_limited_too(client, settings, catalog):
    settings.SHARE_RATE_LIMIT = 2
    statuses = [client.post("/r/", {"q": "model=llama-3-1-8b-instruct"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
