"""/api/: the JSON API's page for people, rendered from the OpenAPI document the API serves."""

import html as markup
import re

import pytest

from calculator.openapi import schema

pytestmark = pytest.mark.django_db


def sections(html: str) -> dict[str, str]:
    """Each operation's section of the page, by its path."""
    found = re.findall(
        r'<section class="api-operation" data-testid="operation" data-path="([^"]+)">(.*?)</section>',
        html,
        re.S,
    )
    return dict(found)


def test_every_operation_and_parameter_of_the_schema_is_on_the_page(client, catalog):
    html = client.get("/api/").content.decode()
    document = schema()
    ops = sections(html)
    assert set(ops) == set(document["paths"])
    for path, methods in document["paths"].items():
        for param in methods["get"].get("parameters", []):
            assert f"<code>{param['name']}</code>" in ops[path], (path, param["name"])
    estimate = markup.unescape(ops["/api/v1/estimate"])
    assert re.search(r"<code>ctx</code>.*?integer.*?at least 1; at most 10485760", estimate, re.S)
    assert "one of: llama-cpp, ollama, vllm, sglang, mlx" in estimate  # the runtime enum
    assert "array of string" in estimate and "at most 64 values" in estimate  # repeated gpu=
    assert 'href="#schema-Estimate"' in estimate and 'href="#schema-DiffusionEstimate"' in estimate
    assert 'href="#schema-Errors"' in estimate  # the 400's shape


def test_every_example_request_answers(client, catalog):
    html = client.get("/api/").content.decode()
    examples = re.findall(r'<a href="([^"]+)" data-testid="example">', html)
    assert len(examples) == len(schema()["paths"])
    for url in examples:
        response = client.get(markup.unescape(url))
        assert response.status_code == 200 and response["Content-Type"] == "application/json", url
    estimate = next(u for u in examples if u.startswith("/api/v1/estimate?"))
    assert "gpu=geforce-rtx-3090&amp;gpu=geforce-rtx-3090" in estimate


def test_every_answer_shape_the_api_uses_is_described(client, catalog):
    html = client.get("/api/").content.decode()
    linked = set(re.findall(r'href="#schema-(\w+)"', html))
    described = set(re.findall(r'<h3 id="schema-(\w+)">', html))
    assert linked <= described
    assert {"Estimate", "Plan", "DeviceUsage", "MemoryBreakdown", "GpuList", "Gpu", "Errors"} <= described
    plan = html.split('id="schema-Plan"')[1].split("</section>")[0]
    assert "<code>decode_tok_s_at_context</code>" in plan and "at context_tokens cached" in plan


def test_the_page_is_linked_from_the_footer_and_the_sitemap_and_runs_no_script_of_its_own(client, catalog):
    home = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090").content.decode()
    assert '<a href="/api/">JSON API</a>' in home
    assert "/api/</loc>" in client.get("/sitemap.xml").content.decode()
    html = client.get("/api/").content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert all('src="/static/' in s for s in scripts)  # the site's own, as every page; none inline
    assert 'href="/api/v1/openapi.json"' in html


def test_the_rate_limit_is_said_in_numbers_from_the_settings(client, catalog, settings):
    from calculator import api_docs, openapi

    # the schema is built once a process (settings do not change in production): a test that set another
    # limit may have built it in this worker first
    openapi.schema.cache_clear()
    api_docs.page_context.cache_clear()
    text = markup.unescape(client.get("/api/").content.decode())
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
    assert (
        f"<strong>429</strong> Rate limit reached: at most {limit} requests per {window} s from one address"
        in text
    )
    assert "API_RATE" not in text


def test_the_api_describes_its_parameters_in_its_own_words_and_the_form_keeps_its_own(client, catalog):
    from calculator.forms import QuestionForm

    described = {
        p["name"]: p["description"] for p in schema()["paths"]["/api/v1/estimate"]["get"]["parameters"]
    }
    assert described["config"].startswith("A model's config.json as JSON text, instead of `model`")
    assert "paste" not in described["config"]
    assert QuestionForm.base_fields["config"].label == "Or paste a config.json"  # the page's wording
    assert "llama-cpp if absent" not in described["runtime"]
    assert "If absent, the usual runtime for the format on these GPUs" in described["runtime"]
    # as the API answers: AWQ runs on vLLM when no runtime is named
    answer = client.get("/api/v1/estimate?model=llama-3-1-8b-instruct&quant=awq-4bit&gpu=geforce-rtx-3090")
    assert answer.json()["permalink"].endswith("&runtime=vllm")
    assert "vllm for AWQ" in described["runtime"]
