"""/api/v1/openapi.json is valid OpenAPI 3.1, names every /api/v1/ URL, and the API keeps to it.

The schemathesis tests call the WSGI application in-process: each loads the catalog once and runs
every operation's examples inside that one test (a lazy schema runs them as subtests).
"""

from copy import deepcopy

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.hypothesis.reporting import ignore_hypothesis_output
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calculator import openapi
from calculator.forms import QuestionForm
from catalog.models import Gpu, Interconnect, KvCacheType, LlmModel, Quantization, RamPreset

pytestmark = pytest.mark.django_db

URL = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


def api_urls(resolver=None, prefix="") -> set[str]:
    """Every /api/v1/ route in the URLconf, as "/api/v1/..."."""
    found = set()
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found |= api_urls(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            found.add("/" + route)
    return found


def test_schema_is_valid_openapi_3_1(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = response.json()
    assert document == openapi.schema()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_url_is_in_the_schema():
    urls = api_urls()
    assert "/api/v1/estimate" in urls and "/api/v1/gpus" in urls
    assert urls == set(openapi.schema()["paths"])


def test_query_parameters_are_the_forms_fields():
    params = openapi.schema()["paths"]["/api/v1/estimate"]["get"]["parameters"]
    by_name = {p["name"]: p for p in params}
    assert list(by_name) == QuestionForm.FIELDS + ["width", "height", "steps", "frames"]  # + image models
    assert by_name["ctx"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 10_485_760}
    assert by_name["gpu"]["required"] is True
    gpus = openapi.schema()["paths"]["/api/v1/gpus"]["get"]["parameters"]
    assert {p["name"]: p["schema"]["type"] for p in gpus}["min_memory_gb"] == "number"


def test_estimate_response_matches_its_schema(client, catalog):
    """The documented example request answers 200 with every key the schema lists, and no other."""
    query = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&gpu=geforce-rtx-3090&ram_gb=64"
    body = client.get(f"/api/v1/estimate?{query}").json()
    schemas = openapi.schema()["components"]["schemas"]
    assert set(body) == set(schemas["Estimate"]["properties"])
    assert set(body["memory"]) == set(schemas["MemoryBreakdown"]["properties"])
    plan = body["plans"][0]
    assert set(plan) == set(schemas["Plan"]["properties"])
    assert set(plan["devices"][0]) == set(schemas["DeviceUsage"]["properties"])


@pytest.fixture
def wsgi_app(settings):
    """Django's WSGI handler, inside the test's transaction: requests must not close the connection
    (the test client disconnects the same signal), and no rate limit."""
    settings.API_RATE_LIMIT = 0
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def catalog_strategy(catalog):
    """The estimate's query with the catalog's slugs as enums, so most generated questions reach the
    engine (the served schema's free-form slugs are nearly always unknown: a 400)."""
    document = deepcopy(openapi.schema())
    enums = {
        "model": list(LlmModel.objects.values_list("slug", flat=True)),
        "quant": list(Quantization.objects.values_list("slug", flat=True)),
        "link": list(Interconnect.objects.values_list("slug", flat=True)),
        "kv": list(KvCacheType.objects.values_list("slug", flat=True)),
        "ram_preset": list(RamPreset.objects.values_list("slug", flat=True)),
    }
    operation = document["paths"]["/api/v1/estimate"]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] != "config"]
    for param in operation["parameters"]:
        if param["name"] in enums:
            param["schema"] = {"type": "string", "enum": enums[param["name"]]}
            param["required"] = param["name"] in ("model", "quant")
        elif param["name"] == "gpu":
            slugs = list(Gpu.objects.listed().values_list("slug", flat=True))
            param["schema"] = {"type": "array", "items": {"enum": slugs}, "minItems": 1, "maxItems": 4}
        elif param["name"] == "count":
            param["schema"] = {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 8},
                "maxItems": 1,
            }
        elif param["name"] in ("ctx", "prompt"):
            param["schema"]["maximum"] = 131_072 if param["name"] == "ctx" else 2048
    return schemathesis.openapi.from_dict(document)["/api/v1/estimate"]["GET"].as_strategy()


# Built at import: schemathesis's lazy `from_fixture` schemas touch pytest internals that pytest 9.2
# renamed (Function._nodeid), so the served schema is loaded eagerly; the served document is the same
# dict (test_schema_is_valid_openapi_3_1).
schema = schemathesis.openapi.from_dict(openapi.schema())


def operations(schema) -> dict:
    """A schema's operations by label ("GET /api/v1/gpus"), to parametrize a test with."""
    return {operation.label: operation for operation in (r.ok() for r in schema.get_all_operations())}


def run_operation(schema, operation, test_func, **fixtures) -> None:
    """What `@schema.parametrize()` runs for one operation: its Hypothesis test from the same builder,
    the schema's configuration and phases, `test_func`'s settings (FUZZ) and checks, called with the
    test's fixtures."""
    load_all_checks()
    test = build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=test_func,
        given_kwargs={},
        feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
    )
    with ignore_hypothesis_output():
        test(**fixtures)


# Its operations are read at import, but each one's Hypothesis test (its explicit examples, coverage cases
# and fuzzing) is built by the test that runs it. `@schema.parametrize()` built all of them while pytest
# collected, twice over, in every pytest-xdist worker, whether or not the worker ran them: ~2.3 s of
# each worker's ~5.5 s of CPU collecting the quick suite (December 2026).
OPERATIONS = operations(schema)


@pytest.mark.parametrize("label", list(OPERATIONS))
def test_api_never_answers_500_and_keeps_to_its_schema(label, catalog, wsgi_app):
    """Each operation's examples, coverage cases and fuzzing, the checks inside."""

    @FUZZ
    def call_and_validate(case, catalog, wsgi_app):
        case.call_and_validate(app=wsgi_app, checks=CHECKS)

    run_operation(schema, OPERATIONS[label], call_and_validate, catalog=catalog, wsgi_app=wsgi_app)


def test_estimates_of_catalog_questions_keep_to_the_schema(catalog_strategy, wsgi_app):
    checks = [c for c in CHECKS if c is not negative_data_rejection]

    @FUZZ
    @given(case=catalog_strategy)
    def run(case):
        case.call_and_validate(app=wsgi_app, checks=checks)

    run()
