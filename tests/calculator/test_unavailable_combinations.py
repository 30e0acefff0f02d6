"""Only combinations that exist, down to the weights: where a runtime can have no weights of a format for a
model (estimator.commands.unavailable: none published, none it can make), the calculator does not pick
that combination for a visitor who left the format or the runtime out."""

from html import escape

import pytest
from django.http import QueryDict

from calculator.forms import QuestionForm

pytestmark = pytest.mark.django_db

LAGUNA = "model=laguna-xs-2&gpu=geforce-rtx-3090&count=4"
WHY = (
    "llama.cpp cannot load LagunaForCausalLM yet (convert_hf_to_gguf.py at 0024aa74), so no GGUF of "
    "Laguna XS.2 (MoE) can be made."
)


def cleaned(query: str) -> dict:
    form = QuestionForm(QueryDict(query))
    assert form.is_valid(), form.errors
    return form.cleaned_data


def test_laguna_defaults_to_a_combination_with_a_command_and_a_consistent_verdict(client, catalog):
    data = cleaned(LAGUNA)
    assert (data["runtime"], data["quant"].slug) == ("vllm", "bf16")  # its own BF16, not llama.cpp's Q4_K_M
    answer = client.get(f"/api/v1/estimate?{LAGUNA}")
    assert answer.status_code == 200
    body = answer.json()
    plan = next(p for p in body["plans"] if p["strategy"] == body["recommended"]) if body["fits"] else None
    assert plan is not None and plan["commands"]["vllm"].startswith("vllm serve ")
    assert all("llama-server" not in p["commands"] for p in body["plans"])
    page = client.get(f"/?{LAGUNA}").content.decode()
    assert "vllm serve " in page and escape(WHY) not in page and "# llama.cpp cannot" not in page
    assert '<p class="verdict yes" data-testid="verdict">Yes: fits on 4× GeForce RTX 3090' in page


def test_a_format_or_a_runtime_alone_is_completed_with_one_that_has_weights(client, catalog):
    assert cleaned(f"{LAGUNA}&quant=bf16")["runtime"] == "vllm"  # llama.cpp runs BF16 GGUF, has none of it
    assert cleaned(f"{LAGUNA}&runtime=sglang")["quant"].slug == "bf16"
    # No GGUF of Laguna can be had: llama.cpp chosen alone keeps its usual format; the command says why.
    assert cleaned(f"{LAGUNA}&runtime=llama-cpp")["quant"].slug == "q4_k_m"
    page = client.get(f"/?{LAGUNA}&runtime=llama-cpp").content.decode()
    assert f"# {escape(WHY)}" in page


def test_gpt_oss_still_defaults_to_mxfp4_with_a_command(client, catalog):
    query = "model=gpt-oss-120b&gpu=geforce-rtx-3090&count=2&ram_gb=64"
    data = cleaned(query)
    assert (data["runtime"], data["quant"].slug) == ("llama-cpp", "mxfp4")
    plans = client.get(f"/api/v1/estimate?{query}").json()["plans"]
    assert any(p["commands"].get("llama-server", "").startswith("llama-server ") for p in plans)


def test_a_model_llama_cpp_converts_is_unaffected(client, catalog):
    query = "model=llama-3-1-8b&gpu=geforce-rtx-4090&quant=q4_k_m"
    assert cleaned(query)["runtime"] == "llama-cpp"
    assert cleaned("model=llama-3-1-8b&gpu=geforce-rtx-4090")["quant"].slug == "q4_k_m"
    plans = client.get(f"/api/v1/estimate?{query}").json()["plans"]
    assert (
        "python convert_hf_to_gguf.py models/Llama-3.1-8B --outtype bf16"
        in plans[0]["commands"]["llama-server"]
    )
