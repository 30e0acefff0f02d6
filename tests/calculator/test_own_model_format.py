"""'Use my own model' with a quantized checkpoint's config.json: the format its `quantization_config`
declares is the one asked about when none is chosen (as for a Hugging Face id), kept in the permalink, and
said under "Your model"; one the catalog has none of, or no runtime runs here, is said too."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import byo
from tests.catalog.test_byo import LLAMA_31_8B

pytestmark = pytest.mark.django_db

# Qwen2.5-72B-Instruct-AWQ's shape, AutoAWQ's quantization_config (a reviewer's file: 72B at F16 was 71 GiB a
# card on two RTX 3090s under vLLM, and the page told them to buy 8)
QWEN_72B_AWQ = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_size": 8192,
    "intermediate_size": 29568,
    "num_attention_heads": 64,
    "num_hidden_layers": 80,
    "num_key_value_heads": 8,
    "vocab_size": 152064,
    "max_position_embeddings": 32768,
    "torch_dtype": "float16",
    "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True},
}
TWO_3090 = {"gpu": "geforce-rtx-3090", "count": "2", "ctx": "8192"}


def ask(client, config: dict, **params):
    return client.get("/?" + urlencode({**TWO_3090, "config": json.dumps(config), **params}))


def note(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="own-format"')
    return html[start : html.index("</p>", start)]


def test_an_awq_config_is_sized_as_awq_when_no_format_is_chosen(client, catalog):
    response = ask(client, QWEN_72B_AWQ)
    data = response.context["form"].cleaned_data
    assert data["quant"].slug == "awq-4bit" and data["runtime"] != "llama-cpp"  # a runtime that runs AWQ
    # 70.2 B parameters at 4.156 bits and the 2.5 B of embedding and output kept at 16 bits: 41.5 GB of
    # weights, not the 145 GB of F16
    assert response.context["result"].memory.weights_bytes == pytest.approx(
        70.2e9 * 4.15625 / 8 + 2.49e9 * 2, rel=0.01
    )
    assert "quant=awq-4bit" in response.context["permalink"]
    said = note(response)
    assert "Its config.json says the weights are AWQ 4-bit, groups of 128" in said
    assert "the answer is sized in that format, AWQ 4-bit g128." in said
    # the permalink's canonical config keeps the declared format: it reproduces the answer and the note
    again = client.get(response.context["permalink"])
    assert again.context["result"] == response.context["result"] and note(again) == said


def test_a_format_chosen_by_the_visitor_is_kept_and_the_checkpoint_one_offered(client, catalog):
    response = ask(client, QWEN_72B_AWQ, quant="q4_k_m")
    assert response.context["form"].cleaned_data["quant"].slug == "q4_k_m"
    said = note(response)
    assert "AWQ 4-bit, groups of 128 (AWQ 4-bit g128); the answer is sized at Q4_K_M." in said
    link = parse_qs(urlsplit(said.split('href="')[1].split('"')[0].replace("&amp;", "&")).query)
    assert link["quant"] == ["awq-4bit"] and "runtime" not in link
    assert "Size it as AWQ 4-bit g128</a>" in said


def test_an_fp8_checkpoint_is_sized_as_fp8_not_as_the_usual_gguf(client, catalog):
    config = {**LLAMA_31_8B, "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}
    response = client.get(
        "/?" + urlencode({"gpu": "h100-sxm5-80-gb", "ctx": "8192", "config": json.dumps(config)})
    )
    assert response.context["form"].cleaned_data["quant"].slug == "fp8"
    assert "the weights are FP8: the answer is sized in that format" in note(response)


def test_a_format_the_catalog_has_none_of_is_said_and_the_usual_one_sized(client, catalog):
    config = {**LLAMA_31_8B, "quantization_config": {"quant_method": "gptq", "bits": 8, "group_size": 128}}
    response = ask(client, config)
    assert response.context["form"].cleaned_data["quant"].slug != "gptq-4bit"
    said = note(response)
    assert "GPTQ 8-bit, groups of 128, a format this site has none of" in said
    assert "Pick the nearest in Format." in said


def test_a_format_no_runtime_runs_here_is_said_and_the_usual_one_sized(client, catalog):
    response = client.get(
        "/?" + urlencode({"gpu": "apple-m2-ultra-192gb", "ctx": "8192", "config": json.dumps(QWEN_72B_AWQ)})
    )
    assert response.status_code == 200 and not response.context["form"].errors
    assert response.context["form"].cleaned_data["quant"].family != "awq"
    assert "(AWQ 4-bit g128), which no runtime runs on Apple silicon" in note(response)


def test_an_unquantized_config_says_nothing_of_a_format(client, catalog):
    response = ask(client, LLAMA_31_8B)
    assert 'data-testid="own-format"' not in response.content.decode()


def test_an_uploaded_awq_config_replaces_the_format_chosen_for_the_model_before(client, catalog):
    """As a Hugging Face id does (hub_config.HubModel.fill): the same function puts either into the question."""
    chosen_before = {**TWO_3090, "quant": "q4_k_m", "runtime": "llama-cpp"}
    file = SimpleUploadedFile("config.json", json.dumps(QWEN_72B_AWQ).encode())
    location = client.post("/own-model/", chosen_before | {"file": file})["Location"]
    query = parse_qs(urlsplit(location).query)
    assert (query["quant"], query["runtime"]) == (["awq-4bit"], ["vllm"])  # the first that runs AWQ
    assert byo.checkpoint_format(json.loads(query["config"][0])) == "awq-4bit"


def test_the_api_sizes_the_declared_format(client, catalog):
    response = client.get("/api/v1/estimate?" + urlencode({**TWO_3090, "config": json.dumps(QWEN_72B_AWQ)}))
    assert response.status_code == 200
    body = response.json()
    assert body["quant"] == "awq-4bit" and "quant=awq-4bit" in body["permalink"]
