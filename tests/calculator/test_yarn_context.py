"""A context past the one a model is released with, where its card extends it with YaRN (Qwen3 8B: 40,960
tokens, 131,072 with YaRN): answered under the runtimes whose command turns YaRN on, with the page saying
so and linking the card; refused with its fixes under the others and past 131,072; the charts and the
reverse questions reach it too."""

import html as markup
import re

import pytest

from catalog.runtimes import RUNTIMES

pytestmark = pytest.mark.django_db

QWEN = "model=qwen3-8b&gpu=geforce-rtx-4090&quant=q4_k_m"


def api(client, query: str):
    return client.get(f"/api/v1/estimate?{query}")


def text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|section)>', html, re.S)
    assert found, testid
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def test_the_whole_yarn_context_is_answered_with_the_flags_that_turn_it_on(client, catalog):
    found = api(client, f"{QWEN}&ctx=131072")
    assert found.status_code == 200
    plan = found.json()["plans"][0]
    assert plan["fits"]
    assert "--rope-scaling yarn --rope-scale 4 --yarn-orig-ctx 32768" in plan["commands"]["llama-server"]
    page = client.get(f"/?{QWEN}&ctx=131072").content.decode()
    said = text(page, "yarn")
    assert said.startswith("Past 40,960 tokens Qwen3 8B reads its context with YaRN")
    # a visitor review read "the command sets a factor of 2, this context over the original 32,768 tokens
    # rounded up to a quarter": the factor's sum, written out
    assert (
        "the command sets a YaRN factor of 4 (131,072 ÷ the model's original 32,768 tokens), and its "
        "model card gives YaRN up to 131,072 tokens." in said
    )
    at_100k = text(client.get(f"/?{QWEN}&ctx=100000").content.decode(), "yarn")
    # the site's rounding, not the card's 4
    assert (
        "a YaRN factor of 3.25 (100,000 ÷ the model's original 32,768 tokens, rounded up to a quarter)"
        in at_100k
    )
    assert 'href="https://huggingface.co/Qwen/Qwen3-8B"' in page and 'href="/glossary/rope-scaling/"' in page
    assert "--yarn-orig-ctx" in text(page, "launch-command")
    # within the released context: no YaRN, nothing said
    short = client.get(f"/?{QWEN}&ctx=32768").content.decode()
    assert 'data-testid="yarn"' not in short and "--rope-scaling" not in short


def test_a_runtime_whose_command_cannot_turn_yarn_on_is_refused_with_its_fixes(client, catalog):
    found = api(client, f"{QWEN}&ctx=65536&runtime=ollama")
    assert found.status_code == 400
    assert found.json()["errors"]["ctx"] == [
        "Past 40,960 tokens Qwen3 8B reads its context with YaRN, which Ollama's command cannot turn on: "
        "pick llama.cpp, vLLM or SGLang, or 40,960 tokens."
    ]
    page = client.get(f"/?{QWEN}&ctx=65536&runtime=ollama").content.decode()
    problems = text(page, "problems")
    assert "Use llama.cpp with Q4_K_M" in problems and "Use 40,960 tokens of context" in problems
    # vLLM and SGLang would change the format (BF16, which does not fit here): named in the message, not linked
    assert "Use vLLM" not in problems and "Use SGLang" not in problems
    # a fix leads to an answer: llama.cpp at the same context
    fix = re.search(r'<a class="fix" href="([^"]*)"[^>]*>Use llama.cpp with Q4_K_M</a>', page).group(1)
    answered = api(client, markup.unescape(fix).partition("?")[2])
    assert (
        answered.status_code == 200
        and "--rope-scale 2" in answered.json()["plans"][0]["commands"]["llama-server"]
    )


def test_past_the_yarn_context_the_limit_names_yarn(client, catalog):
    found = api(client, f"{QWEN}&ctx=200000")
    assert found.status_code == 400
    assert found.json()["errors"]["ctx"] == ["Qwen3 8B reads at most 131,072 tokens of context with YaRN."]
    # the fix is the most the runtime reads: without YaRN under MLX, whose command cannot turn it on
    mac = client.get("/?model=qwen3-8b&gpu=apple-m4-max-128gb&runtime=mlx&ctx=200000").content.decode()
    assert "Use 40,960 tokens of context" in text(mac, "problems")
    # a model without YaRN: as released
    plain = api(client, "model=llama-3-70b-instruct&gpu=geforce-rtx-4090&ctx=16384").json()
    assert plain["errors"]["ctx"] == ["Llama 3 70B Instruct reads at most 8,192 tokens of context."]


def test_the_runtimes_said_to_turn_yarn_on_are_those_whose_command_does(client, catalog):
    query = "model=qwen3-8b&gpu=geforce-rtx-4090&ctx=65536"
    for runtime in RUNTIMES:
        found = api(client, f"{query}&runtime={runtime.slug}")
        if runtime.yarn:
            assert found.status_code == 200, runtime.slug
            commands = found.json()["plans"][0]["commands"]
            assert runtime.command in commands, runtime.slug
        else:
            assert found.status_code == 400, runtime.slug


def test_the_context_chart_and_the_reverse_questions_reach_the_yarn_context(client, catalog):
    page = client.get(f"/?{QWEN}&ctx=8192").content.decode()
    assert "131,072" in page or "128K" in page or "128k" in page  # the chart's last point
    hardware = client.get("/what-hardware/?model=qwen3-8b&ctx=131072")
    assert hardware.status_code == 200 and "reads at most" not in hardware.content.decode()
    refused = client.get("/what-hardware/?model=qwen3-8b&ctx=200000").content.decode()
    assert "reads at most 131,072 tokens of context with YaRN." in refused
    runs = client.get("/what-runs/?gpu=geforce-rtx-4090&count=1&ctx=131072&q=qwen3-8b").content.decode()
    row = re.search(r'<tr[^>]*data-model="qwen3-8b">(.*?)</tr>', runs, re.S).group(1)
    assert 'data-testid="own-context"' not in row  # asked at 131,072, not cut to 40,960
    assert "131,072" in row and "the longest context the model reads with YaRN" in row
    # the verdict does not count a 32K model as fitting at 131,072 without saying so
    verdict = text(
        client.get("/what-runs/?gpu=geforce-rtx-4090&count=1&ctx=131072").content.decode(), "verdict"
    )
    assert re.search(
        r"fit on 1× GeForce RTX 4090 at 131,072 tokens of context \(\d+ of them only at their own", verdict
    )


def test_runtimes_without_yarn_get_no_yarn_anywhere(client, catalog):
    """The review of the diff: LM Studio (modelled as llama.cpp) was suggested contexts "with YaRN on" that the form
    then refused; what-runs and what-hardware asked MLX conversions at YaRN contexts; past the YaRN context, MLX's
    refusal said "at most 131,072 with YaRN" beside a fix of 40,960."""
    lms = api(client, "model=qwen3-8b&quant=q4_k_m&gpu=geforce-rtx-4090&runtime=lm-studio").json()
    assert not any("YaRN" in s["text"] for s in lms["suggestions"])
    assert all(s["changes"].get("ctx", 0) <= 40960 for s in lms["suggestions"])
    mac = client.get("/what-hardware/?model=qwen3-8b&quant=mlx-4bit&ctx=131072").content.decode()
    assert "reads at most 40,960 tokens of context." in mac
    runs = client.get(
        "/what-runs/?gpu=apple-m4-max-128gb&count=1&quant=mlx-4bit&ctx=131072&q=qwen3-8b"
    ).content.decode()
    row = re.search(r'<tr[^>]*data-model="qwen3-8b">(.*?)</tr>', runs, re.S).group(1)
    assert "at its maximum, 40,960 tokens" in markup.unescape(re.sub(r"<[^>]+>", " ", row))
    refused = api(client, "model=qwen3-8b&gpu=apple-m4-max-128gb&runtime=mlx&ctx=200000").json()
    assert refused["errors"]["ctx"] == [
        "Qwen3 8B reads at most 40,960 tokens of context under MLX (131,072 with YaRN: llama.cpp, vLLM, SGLang)."
    ]


def test_asked_past_the_released_context_the_longest_is_not_cut_back_to_it(client, catalog):
    """Asked at 44,000 tokens (YaRN on), the longest-context suggestion is not "40,960" though a few thousand more
    tokens only would fit: the visitor has YaRN on already."""
    # Qwen3 8B Q8_0 on a 16 GB card holds 50,176 tokens: under 1.25 × 40,960, suggested because YaRN is on already
    found = api(client, "model=qwen3-8b&quant=q8_0&gpu=geforce-rtx-4060-ti-16-gb&ctx=44032").json()
    context = next(s for s in found["suggestions"] if s["kind"] == "context")
    assert context["changes"] == {"ctx": 50176} and "with YaRN on" in context["text"]
    # asked within the released context, the same card is told 40,960, not YaRN for 9,216 tokens more
    within = api(client, "model=qwen3-8b&quant=q8_0&gpu=geforce-rtx-4060-ti-16-gb&ctx=8192").json()
    assert next(s for s in within["suggestions"] if s["kind"] == "context")["changes"] == {"ctx": 40960}
