"""The bench's published measurements beside the estimate (issue 14): a question measured by a public
benchmark shows its rows, the nearest few first, each linking its own source."""

import re


def measured(text: str, testid: str = "measured-decode") -> str:
    return re.search(rf'data-testid="{testid}">(.*?)</span>', text, re.S).group(1)


def test_a_bench_row_shows_with_its_source_link(client, catalog):
    # llama_bench_llama3.json: Meta-Llama-3-8B Q4_K_M on two 3090s (layer split), tg512 111.67 tok/s
    text = client.get("/?model=llama-3-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2").text
    decode = measured(text)
    assert "111.7 tok/s</a> (CUDA, llama-bench tg512)" in decode
    assert 'href="https://github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference/blob/' in decode
    assert "pp512" in measured(text, "measured-prefill")


def test_the_arc_pro_b70_answers_with_its_measurements(client, catalog):
    response = client.get("/?model=gpt-oss-20b&gpu=arc-pro-b70")
    assert response.status_code == 200 and "Unknown GPU" not in response.text
    assert response.context["shown_plan"].decode_tok_s > 0
    decode = measured(response.text)
    # the card's own backend (SYCL) first, the test nearest the prompt first; the rest counted
    assert decode.startswith('measured: <a href="https://github.com/kyuz0/intel-b70-ai-toolboxes/')
    assert "(SYCL, llama-bench tg128, May 2026)" in decode  # kyuz0's run of 6 May 2026
    assert re.search(r'; <a href="/gpus/arc-pro-b70/#measured">\d+ more</a>$', decode)  # listed on its page


def test_a_second_row_of_the_same_test_goes_after_the_other_tests(client, catalog):
    # Strix Halo, Qwen3-30B-A3B: lhl's runs with flash attention on and off share backend and test
    text = client.get("/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=amd-ryzen-ai-max-395-128gb").text
    shown = re.findall(r"\((\w+), llama-bench (\w+)(?:, \w+ \d{4})?\)", measured(text))
    assert len(shown) == 2 and len(set(shown)) == 2


def test_a_vllm_question_shows_vllm_rows_and_sglang_none(client, catalog):
    # AccelMark: Llama 3.1 8B BF16 on one RTX 5090, `vllm bench serve` at one request at a time
    base = "/?model=llama-3-1-8b-instruct&quant=bf16&gpu=geforce-rtx-5090&ctx=32768"
    assert "(CUDA, vLLM 1 stream, Apr 2026)" in measured(client.get(base + "&runtime=vllm").text)
    assert 'data-testid="measured-decode"' not in client.get(base + "&runtime=sglang").text
