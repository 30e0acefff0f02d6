"""The verdict in one sentence, never contradicting itself: how it fits, that one GPU of several is enough,
that a miss is only the safety margin (borderline: what to expect, what to change), or by how much not."""

import html as markup
import re

import pytest

from calculator.memory import group_name
from calculator.present import verdict
from estimator import Workload, estimate
from estimator.units import GIB
from tests.engine.engine_specs import Q4_K_M, llama_8b, llama_70b, make_gpu

LLAMA_8B, LLAMA_70B = llama_8b(), llama_70b()


def rtx_3090(**changes):
    return make_gpu(slug="geforce-rtx-3090", name="GeForce RTX 3090", bandwidth_gb_s=936.2, **changes)


def test_one_gpu_of_several_is_said_so():
    e = estimate(model=LLAMA_8B, quant=Q4_K_M, devices=[rtx_3090()] * 2, workload=Workload())
    v = verdict(e, "2× GeForce RTX 3090")
    assert v.text.startswith("Yes: one GeForce RTX 3090 of your 2× GeForce RTX 3090 holds it alone, about ")
    assert "on one GPU" not in v.text and v.css == "yes"


def test_a_split_names_how_and_a_single_card_needs_no_more_words():
    split = estimate(
        model=LLAMA_70B, quant=Q4_K_M, devices=[rtx_3090()] * 2, workload=Workload(context_tokens=8192)
    )
    assert (
        ": fits on 2× GeForce RTX 3090 with a layer split, about "
        in verdict(split, "2× GeForce RTX 3090").text
    )
    one = estimate(model=LLAMA_8B, quant=Q4_K_M, devices=[rtx_3090()], workload=Workload())
    assert verdict(one, "1× GeForce RTX 3090").text.startswith("Yes: fits on 1× GeForce RTX 3090, about ")


def test_a_miss_within_the_safety_margin_is_borderline_with_what_to_change():
    w = Workload(context_tokens=8192)
    roomy = estimate(model=LLAMA_8B, quant=Q4_K_M, devices=[rtx_3090(memory_bytes=80 * GIB)], workload=w)
    used = roomy.recommended_plan.devices[0].used_bytes
    e = estimate(model=LLAMA_8B, quant=Q4_K_M, devices=[rtx_3090(memory_bytes=used + GIB // 4)], workload=w)
    v = verdict(e, "1× GeForce RTX 3090")
    assert not v.fits and v.borderline and v.css == "tight"
    # a short headline (the sticky verdict bar shows it), naming the GPUs once; the detail below it
    assert v.text == "Borderline: it fits on 1× GeForce RTX 3090 only inside the safety margin."
    assert v.detail.startswith(
        "It needs 768 MiB of the 1.0 GiB kept free on GeForce RTX 3090: it may fail to start, or later, when "
        "another program takes memory on that GPU (llama.cpp, Ollama, vLLM and SGLang set the whole context's "
        "cache aside as they start; MLX grows it as the conversation goes on). "
    )  # not "a long conversation" for llama.cpp, which sets the cache aside at start-up (a review)
    assert v.detail.endswith((".", "makes room."))  # then the first change that makes it fit
    assert v.headroom == (
        "fits only with 768 MiB of the 1.0 GiB safety margin used: 256 MiB left free on GeForce RTX 3090"
    )


def test_a_real_miss_says_no_and_by_how_much():
    e = estimate(model=LLAMA_70B, quant=Q4_K_M, devices=[rtx_3090()], workload=Workload(context_tokens=8192))
    v = verdict(e, "1× GeForce RTX 3090")
    assert v.text == "No: it does not fit on 1× GeForce RTX 3090." and v.css == "no" and not v.borderline


def test_every_verdict_names_the_machines_in_one_phrase(client, catalog):
    """The review: a borderline RPC answer said "it fits on 1× Apple M3 Ultra" and one GPU of two
    machines "of your 2× GeForce RTX 4090", where the yes and no answers counted the machines."""
    borderline = client.get("/?model=deepseek-r1&gpu=apple-m3-ultra-256gb&hosts=2&ctx=65536").context[
        "verdict"
    ]
    assert borderline.text.startswith(
        "Borderline: it fits on 2 GPUs over 2 machines (1× Apple M3 Ultra (60-core GPU) 256 GB each) only inside"
    )
    alone = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&count=2&hosts=2").context[
        "verdict"
    ]
    assert alone.text.startswith(
        "Yes: one GeForce RTX 4090 of your 4 GPUs over 2 machines (2× GeForce RTX 4090 each) holds it alone"
    )


def test_a_borderline_headroom_agrees_with_its_verdict(client, catalog):
    """The review: "fits … only inside the safety margin" over a headroom line "No plan fits with 1.0 GiB
    kept free"."""
    url = "/?model=llama-3-1-8b-instruct&quant=q8_0&gpu=geforce-rtx-3060-12-gb&ctx=28000"
    response = client.get(url)
    assert response.context["verdict"].headroom == (
        "fits only with 427 MiB of the 1.0 GiB safety margin used: 597 MiB left free on GeForce RTX 3060 12 GB"
    )
    assert "No plan fits" not in response.content.decode()


def test_a_no_reads_one_closest_plan_everywhere(client, catalog):
    """The review: 70B at 32K on two RTX 3090s said "2.0 GiB short in the closest plan" (tensor parallel's
    miss) beside "The closest, layer split, needs 2.3 GiB more", with tensor parallel's memory panel and
    29.5 tok/s under a nearest measurement of the layer split. The engine's closest plan (the layer split:
    llama.cpp's tensor parallel is experimental) is the one the verdict, the panel and the totals read."""
    response = client.get(
        "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768"
    )
    context, html = response.context, response.content.decode()
    result = context["result"]
    assert result.recommended_plan is None and result.plans[0].strategy == "layer_split"
    assert context["shown_plan"] is result.plans[0]
    short = re.search(r"([\d.]+) GiB short in the closest plan", context["verdict"].headroom).group(1)
    assert f"The closest, layer split, needs {short} GiB more" in html
    # said once, by the reason (a visitor review: "9.8 GiB short in the closest plan. No plan fits. The closest,
    # one GPU, needs 9.8 GiB more")
    assert "short in the closest plan" not in re.search(r'<p class="headroom">.*?</p>', html).group(0)
    assert "(Layer split)" in html.split("Totals")[0]  # the memory panel's plan


def test_tensor_parallel_over_fewer_gpus_than_asked_says_how_many(client, catalog):
    """The review: "fits on 3× GeForce RTX 4090 with tensor parallelism" over a command of
    --tensor-parallel-size 2 (64 heads do not divide by 3)."""
    page = client.get("/?model=qwen3-32b&gpu=geforce-rtx-4090&count=3&ctx=32768&runtime=vllm&quant=awq-4bit")
    text = page.context["verdict"].text
    assert text.startswith("Yes: fits on 2 of your 3× GeForce RTX 4090 with tensor parallelism, about ")
    assert "--tensor-parallel-size 2" in page.content.decode()
    whole = client.get("/?model=qwen3-32b&gpu=geforce-rtx-4090&count=4&ctx=32768&runtime=vllm&quant=awq-4bit")
    assert whole.context["verdict"].text.startswith(
        "Yes: fits on 4× GeForce RTX 4090 with tensor parallelism"
    )


def test_a_format_with_no_weights_to_load_is_no_plain_yes(client, catalog):
    """The review: Gemma 3 27B at GPTQ under vLLM on a 4090 said "Yes: fits … 51.7 tok/s" above a launch box
    saying no GPTQ checkpoint of it is published, whose alternatives left out Q4_K_M, which fits."""
    page = client.get("/?model=gemma-3-27b-it&gpu=geforce-rtx-4090&ctx=8192&runtime=vllm&quant=gptq-4bit")
    verdict = page.context["verdict"]
    assert verdict.text.startswith(
        "Yes, if you make it in GPTQ 4-bit g128 (no release of it is known): fits on 1× "
    )
    assert verdict.css == "tight"
    html = page.content.decode()
    assert "# Here it runs as Q4_K_M (llama.cpp, Ollama, LM Studio), " in html
    usual = client.get("/?model=gemma-3-27b-it&gpu=geforce-rtx-4090&ctx=8192&runtime=vllm&quant=bf16")
    assert not usual.context["verdict"].text.startswith("No ")


def test_vllm_or_sglang_over_machines_is_sized_as_tensor_times_pipeline_parallel(client, catalog):
    """DeepSeek-R1 at FP8 on two machines of eight H100s under SGLang was "Not sized here": the engine sized
    llama.cpp's RPC cluster alone over machines. SGLang and vLLM run tensor parallel in each machine and
    pipeline parallel across them, one launch line per machine; the memory bars name each machine's ranks once."""
    page = client.get(
        "/?model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8&hosts=2&link=infiniband-ndr&ctx=32768&runtime=sglang&quant=fp8"
    )
    verdict = page.context["verdict"]
    assert verdict.text.startswith(
        "Yes: fits on 16 GPUs over 2 machines (8× H100 SXM5 80 GB each) with tensor parallelism in each machine "
        "and pipeline parallelism across them, about "
    )
    assert verdict.css == "yes"
    html = page.content.decode()
    assert "8 × H100 SXM5 80 GB (host 1, ranks 0–7), each" in html
    assert "8 × H100 SXM5 80 GB (host 2, ranks 0–7), each" in html
    assert "· 2 machines of 8× H100 SXM5 80 GB ·" in html  # the folded question says the machines too
    launch = re.sub(r"<[^>]+>", "", re.search(r"<pre[^>]*>(.*?)</pre>", html, re.S)[1])
    assert launch.count("--tp-size 8 --pp-size 2 ") == 2
    for rank in (0, 1):
        assert f"--nnodes 2 --node-rank {rank} --dist-init-addr HOST1:20000" in launch


def test_the_plans_table_names_a_group_of_identical_devices_once(client, catalog):
    """Sixteen H100s over two machines made a "Memory per device" cell forty lines tall; eight tensor-parallel
    ranks are one line, as the memory bars group them."""
    html = client.get(
        "/?model=deepseek-r1&gpu=h200-sxm-141-gb&count=8&ctx=32768&runtime=vllm&quant=fp8"
    ).content.decode()
    cells = re.findall(r'<td data-label="Memory per device"><ul class="plain">(.*?)</ul></td>', html)
    assert cells[0].count("<li>") == 1 and "8 × H200 SXM 141 GB (ranks 0–7), each: " in cells[0]


def test_the_review_of_the_diff_no_weights_in_snapshots_and_not_sized_for_vllm_alone(client, catalog):
    """A second review: a snapshot of the no-weights answer said "Yes"; "Not sized here" was said for Ollama,
    which serves over no machines (its "cannot run" stands), and was styled and worded as a No."""
    gptq = "model=gemma-3-27b-it&quant=gptq-4bit&gpu=geforce-rtx-4090&ctx=8192&runtime=vllm"
    shared = client.post("/r/", {"q": gptq})
    html = client.get(shared["Location"]).content.decode()
    assert (
        "Yes, if you make it in GPTQ 4-bit g128 (no release of it is known)" in html
        and 'data-testid="same"' in html
    )
    ollama = client.get("/?model=llama-3-1-70b-instruct&gpu=geforce-rtx-4090&hosts=2&ctx=8192&runtime=ollama")
    assert ollama.context["verdict"].text.startswith("No: Ollama cannot run any plan that fits")
    # unlike GPUs over machines: vLLM would pipeline the layers over all of them, which is not sized here
    unlike = "&".join(["gpu=h100-sxm5-80-gb"] * 4 + ["gpu=a100-sxm4-80-gb"] * 4)
    vllm = client.get(
        f"/?model=deepseek-r1&{unlike}&hosts=2&link=infiniband-ndr&ctx=32768&runtime=vllm&quant=fp8"
    )
    assert vllm.context["verdict"].text == "Not sized here: vLLM over 2 machines of unlike GPUs."
    assert (
        vllm.context["verdict"].css == "tight" and 'data-testid="no-fit-speeds"' not in vllm.content.decode()
    )


def test_over_several_machines_no_count_of_gpus_in_one_is_suggested(client, catalog):
    """The review: two machines of eight H100s were told "10 × H100 SXM5 80 GB would fit it", fewer GPUs than
    asked, in one machine, behind a link that kept two machines (20 GPUs). Over machines, no such suggestion."""
    query = "model=deepseek-r1&gpu=h100-sxm5-80-gb&ctx=32768&runtime=sglang&quant=fp8"
    over = client.get(f"/api/v1/estimate?{query}&count=8&hosts=2").json()
    assert not [s for s in over["suggestions"] if s["kind"] == "gpu_count"]
    one = client.get(f"/api/v1/estimate?{query}&count=4").json()
    assert not [s for s in one["suggestions"] if s["kind"] == "gpu_count"]
    # one machine holds 8 SXM GPUs (an HGX board): not "10 × H100 SXM5", machines of 8 (the review)
    (more,) = [s for s in one["suggestions"] if s["kind"] == "hosts"]
    assert more["changes"] == {"count": 8, "hosts": 2}  # the API's parameters
    assert more["text"].startswith(
        "2 machines of 8× H100 SXM5 80 GB, joined over the network, would fit it ("
    )
    awq = query.replace("quant=fp8", "quant=awq-4bit")
    fits_in_one = client.get(f"/api/v1/estimate?{awq}&count=2").json()  # 5 GPUs hold it
    assert [s["changes"] for s in fits_in_one["suggestions"] if s["kind"] in ("gpu_count", "hosts")] == [
        {"count": 5}
    ]


def test_a_vllm_answer_quotes_beside_its_plan_only_plans_vllm_runs(client, catalog):
    """The review: two machines of eight H100s under vLLM read "the fastest plan that fits (next: RPC
    cluster, 28.0)", llama.cpp's way over machines, which has no vLLM command; its row said only "Fits"."""
    query = "model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8&quant=fp8&runtime=vllm&hosts=2"
    plans = {p["strategy"]: p for p in client.get(f"/api/v1/estimate?{query}").json()["plans"]}
    assert plans["pipeline_parallel"]["reason"].startswith("Tensor × pipeline parallel is recommended: ")
    assert "RPC" not in plans["pipeline_parallel"]["reason"]
    assert plans["rpc_cluster"]["fits"] and plans["rpc_cluster"]["commands"] == {}
    assert plans["rpc_cluster"]["reason"].endswith(", but vLLM does not run it.")


def test_the_plan_another_runtime_runs_is_shown_as_that_runtime_prices_it(client, catalog):
    """A visitor review: under vLLM, gpt-oss-120b on a 4090 with 64 GB of RAM showed "With llama.cpp: expert
    offload" at 30.8 tok/s, 1.2 GiB of compute buffers and 60.7 GiB of weights (vLLM's pricing of llama.cpp's
    plan), where the page its Switch link opens says 34.0, 404 MiB and 58.8: the panel is llama.cpp's own."""
    question = "/?model=gpt-oss-120b&gpu=geforce-rtx-4090&ram_gb=64&ctx=8192"
    vllm, theirs = client.get(f"{question}&runtime=vllm"), client.get(question)
    assert vllm.context["verdict"].text.startswith("No: vLLM cannot run any plan that fits")
    assert vllm.context["fit"].other == "llama-cpp"  # the default: its permalink names no runtime
    assert str(vllm.context["per_user"]) == str(theirs.context["per_user"])
    assert vllm.context["result"].memory == theirs.context["result"].memory
    assert [b["device"].used_bytes for b in vllm.context["bars"]] == [
        b["device"].used_bytes for b in theirs.context["bars"]
    ]
    assert 'data-testid="no-fit-speeds"' not in vllm.content.decode()  # the plan shown fits
    # shared, it reads the same as today's answer: both priced as the chosen runtime stored it
    shared = client.post("/r/", {"q": f"{question.removeprefix('/?')}&runtime=vllm"})
    assert 'data-testid="same"' in client.get(shared["Location"]).content.decode()


def test_copies_are_copies_and_a_missing_endpoint_says_so_plainly(client):
    """A visitor review: "2 × GeForce RTX 3090 (copys 1–2)"; "the API's are listed at /api/"."""
    assert group_name(["RTX 3090 (copy 1)", "RTX 3090 (copy 2)"]) == "2 × RTX 3090 (copies 1–2), each"
    assert group_name(["H100 (rank 0)", "H100 (rank 1)"]) == "2 × H100 (ranks 0–1), each"
    assert client.get("/api/v1/nothing").json()["errors"]["__all__"] == [
        "No such endpoint: the endpoints are listed at /api/."
    ]


def test_over_machines_words_for_one_gpu_each_unlike_gpus_and_runtimes_of_one_machine(client, catalog):
    """The diff's review: one GPU a machine read "with tensor parallelism in each machine"; "Over several
    machines Ollama runs an RPC cluster"; "4 machines of 2× RTX 4090" for machines of a 4090 and a 3090."""
    one = client.get(
        "/?model=llama-3-1-70b-instruct&quant=bf16&gpu=h100-sxm5-80-gb&hosts=2&ctx=8192&runtime=vllm"
    )
    assert one.context["verdict"].text.startswith(
        "Yes: fits on 2 GPUs over 2 machines (1× H100 SXM5 80 GB each) with pipeline parallelism, about "
    )
    api = "/api/v1/estimate?model=llama-3-1-405b-instruct&gpu=geforce-rtx-4090&gpu=geforce-rtx-3090&hosts=2&ctx=8192"
    [more] = [s["text"] for s in client.get(api).json()["suggestions"] if s["kind"] == "hosts"]
    assert more.startswith("6 machines of GeForce RTX 4090 + GeForce RTX 3090, joined over the network")
    ollama = client.get(
        "/api/v1/estimate?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&hosts=2&runtime=ollama"
    )
    assert ollama.json()["unavailable"]["pipeline_parallel"].startswith("Ollama serves from one machine; ")
    # an RPC cluster's alike GPUs group across machines, as before: a machine's ranks group within it (the
    # other machines first, llama-server's last: estimator layouts.rpc_hosts)
    rpc = client.get("/?model=llama-3-1-405b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&hosts=12&ctx=8192")
    assert "6 × GeForce RTX 4090 (hosts 2–7), each" in rpc.content.decode()


def test_an_rpc_cluster_names_each_machine_and_llama_server_s_holds_the_head(client, catalog):
    """The audit of the commands: llama.cpp lists the RPC servers' GPUs before its own, so -ts gave the
    first layers to the other machine and the head to the one running llama-server, the reverse of the
    page. Grouped across machines in that order, the bars read "3 × GeForce RTX 4090 (hosts 2–1)"."""
    page = client.get(
        "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&count=2&hosts=2&runtime=llama-cpp"
    )
    rpc = next(p for p in page.context["result"].plans if p.strategy == "rpc_cluster")
    assert [d.host for d in rpc.devices] == [1, 1, 0, 0] and "output" in rpc.devices[-1].tensors
    html = page.content.decode()
    assert "2 × GeForce RTX 4090 (host 2), each" in html and "(hosts " not in html


def test_a_70b_at_32k_on_two_3090s_is_told_what_the_site_guide_says_first(client, catalog):
    """The review: "To make it fit" said "Q3_K_M fits", where the guide on this very case (a 70B at 32K on
    two 24 GB cards) puts a q8_0 KV cache first; and with that cache at 36K it said "Q4_0 fits", a legacy
    format that loses more than the IQ4_XS that also fits (llama-quantize's figures)."""
    query = "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2"
    page = client.get(f"/?{query}&ctx=32768")
    assert page.context["first_fix"]["text"].startswith("A q8_0 KV cache makes it fit")
    kinds = [s["kind"] for s in client.get(f"/api/v1/estimate?{query}&ctx=32768").json()["suggestions"]]
    assert kinds[:2] == ["kv_cache", "quant"]
    smaller = client.get(f"/api/v1/estimate?{query}&ctx=36000&kv=q8_0").json()["suggestions"][0]
    assert smaller["changes"] == {"quant": "iq4_xs"}


def test_a_legacy_format_keeps_the_width_of_the_k_quant_that_loses_as_much():
    from estimator import QuantSpec
    from estimator.suggest import kept_bits

    def kept(name, bits):
        return round(kept_bits(QuantSpec(slug=name.lower(), name=name, bits_per_weight=bits)), 2)

    # between Q3_K_L (4.30 bits, +0.5562) and Q4_K_S (4.67, +0.2689): Q4_0's +0.4685
    assert kept("Q4_0", 4.6425) == 4.41 and kept("Q5_0", 5.5731) == 5.31
    assert kept("IQ4_XS", 4.4597) == 4.46 and kept("Q4_K_M", 4.8944) == 4.89  # their own widths


def test_replicas_that_seat_fewer_users_say_their_copies_caches_hold_them():
    """Each copy of a replicas plan admits the sequences its own cache holds (admission.py, per copy): the
    verdict names the copies' caches, not one cache (serve review: "Its KV cache holds 4" over 4 copies)."""
    gpus = [rtx_3090()] * 4
    e = estimate(
        model=LLAMA_8B,
        quant=Q4_K_M,
        devices=gpus,
        workload=Workload(runtime="vllm", batch=64, context_tokens=32768),
    )
    replicas = next(p for p in e.plans if p.strategy == "replicas")
    assert replicas.queue_s and replicas.seated(64) < 64
    v = verdict(e.model_copy(update={"recommended": "replicas"}), "4× GeForce RTX 3090", users=64)
    assert f"Its copies' KV caches hold {replicas.seated(64)} full-length conversations at once" in v.detail
    single = next(p for p in e.plans if p.strategy == "single")
    if single.queue_s:
        v = verdict(e.model_copy(update={"recommended": "single"}), "4× GeForce RTX 3090", users=64)
        assert "Its KV cache holds " in v.detail


@pytest.mark.django_db
def test_system_ram_as_the_fullest_device_is_called_system_ram(client, catalog):
    """Review 11 (F12): 63.3 of 64.0 GiB of system RAM was "on the fullest GPU", and "another program takes
    memory on that GPU"."""
    page = client.get(
        "/?model=qwen3-235b-a22b-thinking-2507&quant=q2_k&gpu=geforce-rtx-4090&ctx=32768&ram_gb=64"
    ).content.decode()
    facts = markup.unescape(
        re.sub(r"<[^>]+>", "", re.search(r'<ul class="verdict-facts">(.*?)</ul>', page, re.S)[1])
    )
    assert "of 64.0 GiB in system RAM" in " ".join(facts.split())
    detail = markup.unescape(re.search(r'data-testid="verdict-detail">(.*?)</p>', page, re.S)[1])
    assert "kept free in system RAM: it may fail" in detail
    assert "takes memory in system RAM" in detail and "GPU" not in detail.split("(")[0]


@pytest.mark.django_db
def test_a_likely_range_wider_than_twofold_is_in_the_verdict_with_why(client, catalog):
    """Review 11 (F10): "about 115 tok/s per user" for 50 users of vLLM's tensor parallel, whose likely range
    was 57.5–217 (3.8×), said nowhere near it; a narrow one (llama.cpp on one GPU) stays out of the verdict."""
    page = client.get(
        "/?model=llama-3-3-70b-instruct&quant=fp8&gpu=h100-sxm5-80-gb&count=8&ctx=8192&batch=50&runtime=vllm"
    ).content.decode()
    text = markup.unescape(re.search(r'data-testid="verdict">(.*?)</p>', page, re.S)[1])
    low, high = map(float, re.search(r"per user \(likely ([\d.]+)–([\d.]+)\)", text).groups())
    assert high > 2 * low
    detail = re.search(r'data-testid="verdict-detail">(.*?)</p>', page, re.S)[1]
    assert "The likely range is this wide because" in detail and 'href="/accuracy/"' in detail
    narrow = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090").content.decode()
    assert "(likely" not in re.search(r'data-testid="verdict">(.*?)</p>', narrow, re.S)[1]
