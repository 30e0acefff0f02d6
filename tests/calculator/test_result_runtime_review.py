"""The review of a result whose runtime cannot run the recommended plan, one test per finding: the plans
table's row of that plan, the bars and totals of a runtime that runs no plan that fits, the glossary's
worked examples, and the wording of one GPU and of the context."""

import html as markup
import re

import pytest

pytestmark = pytest.mark.django_db

LMS_MOE = "/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=geforce-rtx-3060-12-gb&ram_gb=64&runtime=lm-studio"
VLLM_BF16 = "/?model=qwen3-30b-a3b&quant=bf16&gpu=geforce-rtx-3060-12-gb&runtime=vllm&ram_gb=64"


def words(html: str) -> str:
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def row(html: str, strategy: str) -> str:
    return re.search(rf'<tr class="[^"]*" data-strategy="{strategy}">.*?</tr>', html, re.S).group(0)


def test_the_row_of_a_plan_the_runtime_cannot_run_says_so_not_recommended(client, catalog):
    """The review: the expert offload row still said "Expert offload is recommended…" under LM Studio,
    whose lms has no flag for it; the badge belongs to CPU offload, the plan LM Studio runs."""
    response = client.get(LMS_MOE)
    html, fit = response.content.decode(), response.context["fit"]
    assert fit.faster.strategy == "expert_offload" and fit.plan.strategy == "cpu_offload"
    faster = words(row(html, "expert_offload"))
    assert "is recommended" not in faster and "recommended" not in faster
    assert (
        "LM Studio cannot run it: lms has no flag to keep a MoE model's experts in system RAM. llama.cpp can."
        in faster
    )
    recommended = re.findall(r'<tr class="[^"]*recommended" data-strategy="([a-z_]+)"', html)
    assert recommended == ["cpu_offload"]
    assert "<strong>recommended</strong>" in row(html, "cpu_offload")
    # the same question under llama.cpp keeps the engine's reason
    plain = client.get(LMS_MOE.replace("&runtime=lm-studio", "")).content.decode()
    assert "Expert offload is recommended" in words(row(plain, "expert_offload"))


def test_bars_and_totals_of_a_runtime_that_runs_no_plan_say_whose_plan_they_show(client, catalog):
    """The review: "No: vLLM cannot run any plan that fits … llama.cpp can." above bars and totals of
    the expert offload plan, llama.cpp's, unlabelled."""
    response = client.get(VLLM_BF16)
    html = words(response.content.decode())
    assert response.context["verdict"].text.startswith("No: vLLM cannot run any plan that fits")
    assert "Memory per device (With llama.cpp: expert offload)" in html
    assert "Totals (With llama.cpp: expert offload)" in html
    assert "vLLM cannot run it: its commands here have no way to keep a MoE model's experts" in html
    fits = words(client.get(LMS_MOE).content.decode())
    assert "Memory per device (CPU offload)" in fits and "Totals Weights" in fits  # a plan it runs: as before


@pytest.mark.parametrize("query", [LMS_MOE, VLLM_BF16])
def test_a_worked_example_agrees_with_the_calculator_under_the_same_runtime(client, catalog, query):
    """The review: the glossary's examples worded the verdict without the runtime, so under LM Studio a
    term's example said "expert offload, 55.2 tok/s" where the calculator says CPU offload, 43.5."""
    from django.http import QueryDict

    from glossary.examples import outcome
    from glossary.views import worked_example

    page = client.get(query).context
    assert outcome(query).text == page["verdict"].text
    assert outcome(query).strategy == (page["fit"].plan.strategy if page["fit"].plan else "")
    example = worked_example(QueryDict(query[2:]))
    assert example["example_verdict"] == page["verdict"]
    assert example["example_plan"] == page["shown_plan"]


def test_one_gpu_holds_the_weights_in_the_singular(client, catalog):
    one = client.get("/?model=llama-3-1-8b-instruct&quant=q8_0&gpu=geforce-rtx-3090").context
    assert one["weights_elsewhere"].startswith("The GPU holds ")
    two = client.get("/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2").context
    assert two["weights_elsewhere"].startswith("The GPUs hold ")


def test_the_question_summary_writes_the_context_with_thousands_separators(client, catalog):
    html = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090&ctx=28000").content.decode()
    summary = re.search(r'<span class="summary-text" id="summary">(.*?)</span>', html, re.S).group(1)
    assert summary.endswith("28,000 tokens")
    # and follows each HTMX answer (out of band: it sits in the form, outside #result)
    answer = client.get(
        "/?model=qwen3-30b-a3b&gpu=geforce-rtx-4090&ctx=32768", headers={"HX-Request": "true"}
    ).content.decode()
    summary = re.search(r'<span class="summary-text" id="summary" hx-swap-oob="true">(.*?)</span>', answer)
    assert summary.group(1) == "Qwen3 30B-A3B · Q4_K_M · 1× GeForce RTX 4090 · 32,768 tokens"
