"""Every /api/v1/ URL answers a method other than GET and HEAD with a JSON 405 and an Allow header,
never Django's HTML CSRF page (the client below checks CSRF as a browser's request would be)."""

import pytest
import schemathesis
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from calculator import openapi
from tests.test_openapi import FUZZ, api_urls, operations, run_operation
from tests.test_openapi import wsgi_app as _wsgi_app

pytestmark = pytest.mark.django_db
wsgi_app = _wsgi_app  # the fixture: Django's WSGI handler in the test's transaction, no rate limit

API_URLS = sorted(api_urls())
WRONG_METHODS = ["post", "put", "patch", "delete", "options"]


@pytest.fixture
def browser():
    """A client that checks CSRF tokens as Django does for real requests (the test client skips it)."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("method", WRONG_METHODS)
@pytest.mark.parametrize("url", API_URLS)
def test_a_wrong_method_is_a_json_405_with_allow(browser, url, method):
    response = getattr(browser, method)(url, data="{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"errors": {"__all__": ["Method not allowed: use GET, HEAD."]}}


def test_every_api_url_is_checked():
    assert len(API_URLS) == 8  # estimate, openapi.json and the six catalog lists


def test_head_still_answers(browser):
    response = browser.head("/api/v1/gpus")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_a_post_to_a_page_still_needs_its_csrf_token():
    """The exemption is the API's only: the admin's forms still check their token."""
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403


def test_the_schema_documents_the_405_of_every_operation():
    document = openapi.schema()
    for path, item in document["paths"].items():
        assert item["get"]["responses"]["405"] == {"$ref": "#/components/responses/MethodNotAllowed"}, path
    allow = document["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"]
    assert allow["schema"]["const"] == "GET, HEAD"


# Schemathesis's coverage phase alone: it sends every operation each method the schema does not list
# (PUT, POST, DELETE, PATCH, TRACE, QUERY, OPTIONS) and `unsupported_method` wants 405 with Allow.
COVERAGE_ONLY = SchemathesisConfig.from_dict(
    {
        "phases": {
            "examples": {"enabled": False},
            "fuzzing": {"enabled": False},
            "stateful": {"enabled": False},
        }
    }
)
schema = schemathesis.openapi.from_dict(openapi.schema(), config=COVERAGE_ONLY)
OPERATIONS = operations(schema)


# One test per operation, built when it runs (tests/test_openapi.py, `run_operation`): `@schema.parametrize()`
# built all eight while pytest collected, twice over, in every pytest-xdist worker (~1 s of CPU each).
@pytest.mark.parametrize("label", list(OPERATIONS))
def test_schemathesis_wrong_methods_get_405_and_the_schema_holds(label, wsgi_app):
    checks = [
        not_a_server_error,
        unsupported_method,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]

    @FUZZ
    def call_and_validate(case, wsgi_app):
        case.call_and_validate(app=wsgi_app, checks=checks)

    run_operation(schema, OPERATIONS[label], call_and_validate, wsgi_app=wsgi_app)
