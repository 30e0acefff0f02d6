"""Measurements from visitors: the form, its checks and abuse limits, the admin's review, the calculator's
"measured by visitors", and the export for bench/accuracy.py."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from community import measured
from community.models import VisitorMeasurement
from tests.community.test_parse import BENCH_DEPTH, BENCH_NKVO, BENCH_THREE_FORMATS, OLLAMA_VERBOSE

SUBMIT = "/measurements/submit/"
QUESTION = "/?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-3090-ti"
CHANGELIST = "/admin/community/visitormeasurement/"


def submit(client, paste=BENCH_NKVO, **fields):
    return client.post(SUBMIT, {"model": "llama-2-7b", "paste": paste, **fields})


def thanks(response) -> str:
    """Where a submission sends the visitor, without the signed ids of its rows (`&rows=`)."""
    return response["Location"].split("&rows=")[0]


def review(admin_client, action: str, rows=None):
    ids = (
        [r.pk for r in rows]
        if rows is not None
        else list(VisitorMeasurement.objects.values_list("pk", flat=True))
    )
    return admin_client.post(CHANGELIST, {"action": action, "_selected_action": ids})


def test_the_form_page_is_filled_in_from_the_calculators_question(client, catalog):
    html = client.get(
        SUBMIT + "?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-3090-ti&count=2"
    ).content.decode()
    assert '<option value="llama-2-7b" selected>' in html
    assert (
        '<option value="q4_0" selected>' in html and '<option value="geforce-rtx-3090-ti" selected>' in html
    )
    assert 'name="website"' in html and 'tabindex="-1"' in html  # the honeypot, out of people's way


def test_a_llama_bench_table_is_stored_waiting_for_review_with_what_the_parser_read(client, catalog):
    response = submit(client)
    assert response.status_code == 303 and thanks(response) == SUBMIT + "?sent=2"
    pp, tg = VisitorMeasurement.objects.order_by("test")
    assert (pp.test, pp.tok_s, tg.test, tg.tok_s) == ("pp512", 4035.47, "tg128", 127.43)
    assert tg.status == VisitorMeasurement.Status.PENDING and tg.submission == pp.submission
    assert (tg.gpu.slug, tg.gpu_count, tg.quantization.slug, tg.backend) == (
        "geforce-rtx-3090-ti",
        1,
        "q4_0",
        "cuda",
    )
    assert (tg.device_name, tg.runtime_build, tg.tool, tg.flags) == (
        "NVIDIA GeForce RTX 3090 Ti",
        "32d9f7d9 (1786)",
        "llama-bench",
        "ngl=99 nkvo=0",
    )
    assert "Current results" not in tg.pasted and tg.pasted.endswith("build: 32d9f7d9 (1786)")
    assert tg.history.count() == 1
    assert "2 results wait for review" in client.get(response["Location"]).content.decode()


def test_pending_rows_show_nowhere_until_an_admin_approves_them(client, admin_client, catalog):
    submit(client)
    assert 'data-testid="visitor-measured"' not in client.get(QUESTION).content.decode()
    assert review(admin_client, "approve").status_code == 302
    html = client.get(QUESTION).content.decode()
    assert 'data-testid="visitor-measured"' in html
    assert "Measured by visitors (llama.cpp, near an empty context): decode 127.4 tok/s (1 result); " in html
    assert "prefill 4035 tok/s (1 result). <a href=" in html
    row = VisitorMeasurement.objects.first()
    assert row.status == "approved" and row.reviewer.username == "admin" and row.reviewed_at
    assert row.history.first().history_change_reason == "Approved by admin"


def test_rejecting_an_approved_row_takes_it_off_the_page_at_once(client, admin_client, catalog):
    submit(client)
    review(admin_client, "approve")
    shown = client.get(QUESTION)
    review(admin_client, "reject")
    again = client.get(QUESTION, headers={"If-None-Match": shown["ETag"]})
    assert again.status_code == 200 and 'data-testid="visitor-measured"' not in again.content.decode()


def test_several_visitors_give_a_median_and_a_range(client, admin_client, catalog):
    submit(client)
    submit(client, paste=BENCH_NKVO.replace("127.43", "120.00"), gpu="geforce-rtx-3090-ti")
    submit(client, paste=BENCH_NKVO.replace("127.43", "130.00"))
    review(admin_client, "approve")
    html = client.get(QUESTION).content.decode()
    assert "decode 127.4 tok/s (median of 3 results, 120.0–130.0)" in html


def test_only_exactly_that_hardware_shows_the_runs(client, admin_client, catalog):
    submit(client)
    review(admin_client, "approve")
    for other in (QUESTION + "&count=2", QUESTION.replace("q4_0", "q8_0"), QUESTION + "&runtime=vllm"):
        assert 'data-testid="visitor-measured"' not in client.get(other).content.decode()


def test_the_summary_costs_one_query_then_none_until_an_approval(
    client, admin_client, catalog, django_assert_num_queries
):
    submit(client)
    review(admin_client, "approve")
    with django_assert_num_queries(1):
        first = measured.for_question(gpus=["geforce-rtx-3090-ti"], llm="llama-2-7b", quant="q4_0")
    with django_assert_num_queries(0):
        again = measured.for_question(gpus=["geforce-rtx-3090-ti"], llm="llama-2-7b", quant="q4_0")
    assert first == again and first.decode.count == 1


def test_ollama_timings_need_the_gpu_and_format_chosen_and_a_short_prompt_is_not_shown(
    client, admin_client, catalog
):
    response = submit(client, paste=OLLAMA_VERBOSE, model="mistral-7b-instruct-v0-3")
    errors = response.context["form"].errors
    assert response.status_code == 400
    assert "Choose the format" in errors["quant"][0] and "Choose the GPU" in errors["gpu"][0]
    ok = submit(
        client, paste=OLLAMA_VERBOSE, model="mistral-7b-instruct-v0-3", quant="q4_0", gpu="geforce-rtx-4090"
    )
    assert ok.status_code == 303
    rows = VisitorMeasurement.objects.order_by("test")
    assert [(r.test, r.runtime, r.backend) for r in rows] == [
        ("pp11", "ollama", "cuda"),
        ("tg120@d11", "ollama", "cuda"),
    ]
    review(admin_client, "approve")
    html = client.get(
        "/?model=mistral-7b-instruct-v0-3&quant=q4_0&gpu=geforce-rtx-4090&runtime=ollama"
    ).content.decode()
    shown = html.split('data-testid="visitor-measured"')[1].split("</p>")[0]
    assert "decode 24.6 tok/s (1 result)." in shown and "prefill" not in shown  # an 11-token prompt


def test_the_gpu_and_format_come_from_the_paste_and_a_depth_run_is_stored_not_shown(
    client, admin_client, catalog
):
    response = submit(client, paste=BENCH_DEPTH, model="gpt-oss-20b")
    assert response.status_code == 303
    row = VisitorMeasurement.objects.get(test="tg32@d32768")
    assert (row.gpu.slug, row.quantization.slug, row.backend, row.depth) == (
        "amd-ryzen-ai-max-395-128gb",
        "mxfp4",
        "vulkan",
        32768,
    )
    review(admin_client, "approve")
    html = client.get("/?model=gpt-oss-20b&quant=mxfp4&gpu=amd-ryzen-ai-max-395-128gb").content.decode()
    assert 'data-testid="visitor-measured"' not in html  # both runs are 32K tokens deep


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"model": ""}, "model", "This field is required"),
        (
            {"model": "llama-3-1-8b-instruct"},
            "model",
            "The table's model has 6.74 B parameters; Llama 3.1 8B",
        ),
        ({"quant": "q8_0"}, "quant", "The table says Q4_0; you chose Q8_0."),
        (
            {"gpu": "geforce-rtx-4090"},
            "gpu",
            "The device lines say GeForce RTX 3090 Ti; you chose GeForce RTX 4090",
        ),
        (
            {"paste": "I got about 50 tokens per second"},
            "paste",
            "No llama-bench table, llama-server timings",
        ),
        ({"paste": BENCH_THREE_FORMATS}, "paste", "several models: paste one model at a time"),
        (
            {"paste": BENCH_NKVO.replace("llama 7B Q4_0", "<b>llama 7B Q4_0</b>")},
            "paste",
            "no links or markup",
        ),
    ],
)
def test_what_does_not_add_up_is_said_next_to_its_field(client, catalog, fields, field, message):
    response = submit(client, **fields)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="error-{field}">' in response.content.decode()
    assert not VisitorMeasurement.objects.exists()


def test_the_honeypot_thanks_a_robot_and_stores_nothing(client, catalog):
    response = submit(client, website="https://spam.example")
    assert response.status_code == 303 and response["Location"].endswith("?sent=0")
    assert not VisitorMeasurement.objects.exists()


def test_a_form_on_another_site_is_refused(client, catalog):
    response = client.post(
        SUBMIT, {"model": "llama-2-7b", "paste": BENCH_NKVO}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403 and not VisitorMeasurement.objects.exists()


def test_a_paste_too_large_is_refused_before_it_is_read(client, catalog):
    response = submit(client, paste="|" * 70_000)
    assert response.status_code == 400 and "over 64 KB" in response.content.decode()
    long = submit(client, paste=BENCH_NKVO + "x" * 17_000)
    assert long.status_code == 400 and "at most 16384 characters" in " ".join(
        long.context["form"].errors["paste"]
    )


def test_submissions_count_toward_the_share_rate_limit(client, catalog, settings):
    settings.SHARE_RATE_LIMIT = 1
    assert submit(client).status_code == 303
    assert submit(client).status_code == 429
    assert client.get(SUBMIT).status_code == 200  # reading the form is not limited


def test_the_admin_lists_rows_and_shows_the_lines_read_escaped(admin_client, client, catalog):
    submit(client)
    row = VisitorMeasurement.objects.first()
    row.pasted = "<script>alert(1)</script>"
    row.save()
    assert admin_client.get(CHANGELIST + "?status__exact=pending").status_code == 200
    page = admin_client.get(f"{CHANGELIST}{row.pk}/change/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)</script>" not in page
    assert admin_client.get(f"{CHANGELIST}{row.pk}/history/").status_code == 200


def test_export_writes_the_approved_rows_in_the_public_measurements_shape(client, admin_client, catalog):
    submit(client)
    submit(client, paste=BENCH_DEPTH, model="gpt-oss-20b")
    review(admin_client, "approve", VisitorMeasurement.objects.filter(llm__slug="llama-2-7b"))
    out = io.StringIO()
    call_command("export_visitor_measurements", stdout=out)
    rows = json.loads(out.getvalue())
    public = json.loads(Path("bench/data/public_measurements.json").read_text())[0]
    assert len(rows) == 2 and set(public) <= set(rows[0])
    tg = next(r for r in rows if r["test"] == "tg128")
    assert (tg["device"], tg["model"], tg["format"], tg["backend"], tg["tok_s"]) == (
        "NVIDIA GeForce RTX 3090 Ti",
        "llama 7B Q4_0",
        "Q4_0",
        "CUDA",
        127.43,
    )
    assert tg["quote"].endswith("tg 128     |    127.43 ± 0.18 |") and tg["source"].startswith(
        "visitor-measurement:"
    )
    assert (tg["gpu_slug"], tg["llm_slug"], tg["quant_slug"]) == ("geforce-rtx-3090-ti", "llama-2-7b", "q4_0")
