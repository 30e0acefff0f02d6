"""Launch commands: the artifact they name (or make from the model's own checkpoint), the plan's choices
they carry, and only documented flags (command_flags.py). Hand-made artifacts; the catalog-wide check
of every listed model × format × runtime × strategy is tests/calculator/test_launch_commands.py."""

import re

import pytest
from command_flags import parse
from engine_specs import (
    AWQ,
    MXFP4,
    Q4_K_M,
    Q8_0,
    RTX_3060,
    RTX_3090,
    deepseek_v3,
    gpt_oss_120b,
    llama_8b,
    llama_70b,
)

from calculator.present import reason
from estimator import QuantSpec, Workload, estimate
from estimator.commands import launch_commands, unavailable
from estimator.estimate import candidate_plans
from estimator.schema import ArtifactSpec
from estimator.units import GIB

BF16 = QuantSpec(slug="bf16", name="BF16", bits_per_weight=16.0, format="safetensors")
FP8 = QuantSpec(slug="fp8", name="FP8 (E4M3)", bits_per_weight=8.0, format="fp8")
BARTOWSKI = ArtifactSpec(
    kind="gguf",
    repo="bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
    tag="*-{QUANT}*.gguf",
    formats=("q4_k_m", "q8_0"),
)
ORIGINAL = ArtifactSpec(kind="safetensors", repo="meta-llama/Llama-3.1-8B-Instruct", formats=("bf16",))


RTX_4090_LIKE = RTX_3090.model_copy(update={"slug": "rtx-4090", "name": "RTX 4090"})


def plan_of(strategy, *, model, quant=Q4_K_M, devices=(RTX_3090, RTX_3090), workload=None):
    workload = workload or Workload(context_tokens=8192)
    found, _ = candidate_plans(model=model, quant=quant, devices=list(devices), workload=workload)
    return next(p for p in found if p.strategy == strategy)


def commands_for(strategy, *, model, quant=Q4_K_M, devices=(RTX_3090, RTX_3090), workload=None):
    workload = workload or Workload(context_tokens=8192)
    plan = plan_of(strategy, model=model, quant=quant, devices=devices, workload=workload)
    found = launch_commands(model=model, quant=quant, plan=plan, workload=workload)
    for command in found.values():
        parse(command)  # every flag documented, every value a choice the tool takes
    return found


def test_llama_server_names_the_published_gguf_and_the_plan_choices():
    model = llama_8b(artifacts=(BARTOWSKI,))
    w = Workload(context_tokens=16384, batch=2, kv_cache_type="q8_0")
    cmd = commands_for("layer_split", model=model, workload=w)["llama-server"]
    assert cmd.startswith("llama-server -hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M ")
    # 16K per sequence × 2 sequences; every layer and the head on the GPUs, split by the plan's ratios
    assert "-c 32768 -np 2 -ngl 33 -sm layer -ts " in cmd
    assert "-fa on -ctk q8_0 -ctv q8_0" in cmd


def test_a_format_nobody_published_is_made_from_the_models_own_checkpoint():
    model = llama_8b(artifacts=(BARTOWSKI, ORIGINAL))  # a published GGUF: the converter reads Llama
    cmd = commands_for("single", model=model, quant=QuantSpec(slug="q2_k", name="Q2_K", bits_per_weight=3.16))
    note, disk, download, convert, quantize, serve = cmd["llama-server"].splitlines()
    assert note.startswith("# No published Q2_K GGUF of Llama 3.1 8B is known to this site: make it")
    # what it writes to disk (a visitor review: a 1T model's 2 TB BF16 file went unsaid)
    assert re.fullmatch(
        r"# disk: the BF16 file about 16 GB and the Q2_K file about \d GB, beside the download", disk
    )
    # without the repository's other copies of the weights (Meta's original/ .pth files: 16 GB more)
    assert download == (
        "hf download meta-llama/Llama-3.1-8B-Instruct --exclude 'original/*' --exclude 'metal/*' "
        "--local-dir models/Llama-3.1-8B-Instruct"
    )
    assert convert == (
        "python convert_hf_to_gguf.py models/Llama-3.1-8B-Instruct --outtype bf16 "
        "--outfile models/Llama-3.1-8B-Instruct-BF16.gguf"
    )
    assert quantize == (
        "llama-quantize models/Llama-3.1-8B-Instruct-BF16.gguf models/Llama-3.1-8B-Instruct-Q2_K.gguf Q2_K"
    )
    assert serve.startswith("llama-server -m models/Llama-3.1-8B-Instruct-Q2_K.gguf -c 8192")
    ollama = cmd["ollama"]
    assert quantize in ollama and "echo 'FROM ./models/Llama-3.1-8B-Instruct-Q2_K.gguf' > Modelfile" in ollama
    assert "ollama create llama-3.1-8b-q2_k -f Modelfile\nollama run llama-3.1-8b-q2_k" in ollama
    assert "/path/to/" not in cmd["llama-server"] + ollama
    # a 16-bit format is what the converter writes itself: no llama-quantize
    bf16 = commands_for("single", model=model, quant=BF16)["llama-server"]
    assert "--outtype bf16 --outfile models/Llama-3.1-8B-Instruct-BF16.gguf" in bf16
    assert "llama-quantize" not in bf16 and "-m models/Llama-3.1-8B-Instruct-BF16.gguf" in bf16
    assert "# disk: the BF16 file about 16 GB, beside the download" in bf16


def test_where_nothing_can_be_made_the_tool_gets_no_command_and_says_why():
    laguna = llama_8b(
        slug="laguna-xs-2",
        name="Laguna XS.2",
        hf_id="poolside/Laguna-XS.2",
        artifacts=(ArtifactSpec(kind="safetensors", repo="poolside/Laguna-XS.2", formats=("bf16",)),),
    )
    found = commands_for("single", model=laguna)
    assert "llama-server" not in found and "ollama" not in found
    assert reason(unavailable(laguna, Q4_K_M, "llama-server")) == (
        "llama.cpp cannot load LagunaForCausalLM yet (convert_hf_to_gguf.py at 0024aa74), "
        "so no GGUF of Laguna XS.2 can be made."
    )
    iq = QuantSpec(slug="iq4_xs", name="IQ4_XS", bits_per_weight=4.46)
    model = llama_8b(artifacts=(BARTOWSKI, ORIGINAL))
    assert "importance matrix" in reason(unavailable(model, iq, "llama-server"))
    assert "llama-server" not in commands_for("single", model=model, quant=iq)
    # vLLM and SGLang make no AWQ checkpoint as they load
    assert reason(unavailable(model, AWQ, "vllm")) == (
        "No published AWQ 4-bit checkpoint of Llama 3.1 8B is known to this site, and vLLM makes no AWQ 4-bit "
        "weights from another format as it loads."
    )
    assert not commands_for("single", model=model, quant=AWQ, devices=[RTX_3090])
    # gpt-oss's own checkpoint is MXFP4: only its published MXFP4 GGUF, nothing converted from it
    oss = gpt_oss_120b(
        artifacts=(ArtifactSpec(kind="mxfp4", repo="openai/gpt-oss-120b", formats=("mxfp4",)),)
    )
    assert "MXFP4 checkpoint" in reason(unavailable(oss, Q4_K_M, "llama-server"))


def test_a_model_of_the_visitors_own_leaves_a_path_for_their_file():
    cmd = commands_for(
        "single", model=llama_8b(), quant=QuantSpec(slug="q2_k", name="Q2_K", bits_per_weight=3.16)
    )
    first, command = cmd["llama-server"].splitlines()
    assert first == (
        "# No published Q2_K GGUF of Llama 3.1 8B is known to this site: put your own file's path after -m."
    )
    assert command.startswith("llama-server -m /path/to/llama-3.1-8b-Q2_K.gguf -c 8192")


def test_the_model_makers_own_gguf_comes_first_then_llama_cpps():
    own = ArtifactSpec(kind="gguf", repo="meta-llama/Llama-3.1-8B-Instruct-GGUF", formats=("q4_k_m",))
    ggml = ArtifactSpec(kind="gguf", repo="ggml-org/Llama-3.1-8B-Instruct-GGUF", formats=("q4_k_m",))
    assert (
        "-hf ggml-org/" in commands_for("single", model=llama_8b(artifacts=(BARTOWSKI, ggml)))["llama-server"]
    )
    assert "-hf meta-llama/" in commands_for("single", model=llama_8b(artifacts=(ggml, own)))["llama-server"]


def test_a_folder_of_parts_is_downloaded_then_its_first_part_loaded():
    parts = ArtifactSpec(
        kind="gguf",
        repo="unsloth/DeepSeek-V3-GGUF",
        tag="DeepSeek-V3-{QUANT}/DeepSeek-V3-{QUANT}-*.gguf",
        formats=("q4_k_m",),
    )
    model = deepseek_v3(artifacts=(parts,))
    devices = [RTX_3090] * 8
    w = Workload(context_tokens=4096, ram_bytes=512 * GIB)
    found = commands_for("expert_offload", model=model, devices=devices, workload=w)
    download, serve = found["llama-server"].splitlines()
    assert (
        download
        == 'hf download unsloth/DeepSeek-V3-GGUF --include "DeepSeek-V3-Q4_K_M/*" --local-dir models/DeepSeek-V3-GGUF'
    )
    assert serve.startswith(
        "llama-server -m models/DeepSeek-V3-GGUF/DeepSeek-V3-Q4_K_M/DeepSeek-V3-Q4_K_M-00001-of-*.gguf"
    )
    assert "--n-cpu-moe " in serve


def test_a_named_single_file_is_asked_for_by_name():
    one = ArtifactSpec(
        kind="gguf", repo="ggml-org/gpt-oss-120b-GGUF", tag="gpt-oss-120b-mxfp4.gguf", formats=("mxfp4",)
    )
    library = ArtifactSpec(kind="ollama", repo="gpt-oss", tag="120b", formats=("mxfp4",))
    found = commands_for(
        "single", model=gpt_oss_120b(artifacts=(one, library)), quant=MXFP4, devices=[RTX_3090]
    )
    assert "-hf ggml-org/gpt-oss-120b-GGUF --hf-file gpt-oss-120b-mxfp4.gguf" in found["llama-server"]
    assert found["ollama"].endswith("ollama run gpt-oss:120b")


def test_tensor_parallel_uses_split_mode_tensor_never_the_deprecated_row():
    model = llama_70b(artifacts=())
    cmd = commands_for("tensor_parallel", model=model)["llama-server"]
    assert "-sm tensor -fit off" in cmd and "-fa on" in cmd and "-sm row" not in cmd
    assert "experimental" in cmd.splitlines()[1]
    # llama.cpp refuses --split-mode tensor with a quantized KV cache, and for DeepSeek2 (MLA): the engine
    # does not offer the plan then (tests/engine/test_engine_tensor_split_and_dense_layers.py), and the
    # command builder refuses it too
    quantized_kv = Workload(context_tokens=8192, kv_cache_type="q8_0")
    plan = plan_of("tensor_parallel", model=model, quant=Q4_K_M, devices=(RTX_3090, RTX_3090))
    assert "llama-server" not in launch_commands(model=model, quant=Q4_K_M, plan=plan, workload=quantized_kv)


def test_replicas_start_one_server_per_gpu_on_its_own_port():
    cmd = commands_for("replicas", model=llama_8b(artifacts=(BARTOWSKI,)))["llama-server"]
    servers = [line for line in cmd.splitlines() if line.startswith("llama-server")]
    assert [s.split(" -mg ")[1] for s in servers] == ["0 --port 8080 &", "1 --port 8081 &"]
    assert all("-sm none" in s for s in servers)


def test_each_replica_server_gets_its_own_copys_sequences_and_context():
    # 16 sequences over 2 copies: 8 each (the plan's "8 sequence(s) each"), 4K per sequence × 8 slots
    w = Workload(context_tokens=4096, batch=16)
    plan = plan_of("replicas", model=llama_8b(artifacts=(BARTOWSKI,)), workload=w)
    assert plan.notes[0].values == {"copies": 2, "sequences": 8}  # "2 independent copies, 8 sequence(s) each"
    cmd = commands_for("replicas", model=llama_8b(artifacts=(BARTOWSKI,)), workload=w)
    servers = [line for line in cmd["llama-server"].splitlines() if line.startswith("llama-server")]
    assert len(servers) == 2 and all(" -c 32768 -np 8 " in s for s in servers)
    # 15 do not divide by 2: each copy seats 8, as the plan's memory does
    odd = commands_for(
        "replicas", model=llama_8b(artifacts=(BARTOWSKI,)), workload=w.model_copy(update={"batch": 15})
    )
    assert " -c 32768 -np 8 " in odd["llama-server"]


def test_rpc_cluster_names_the_other_machines_and_how_to_start_them():
    w = Workload(context_tokens=8192, hosts=3)
    cmd = commands_for("rpc_cluster", model=llama_70b(), workload=w)["llama-server"]
    assert "rpc-server -H 0.0.0.0 -p 50052" in cmd and "on a private network only" in cmd
    # a review: --rpc exists only in a build with the RPC backend (common/arg.cpp: llama_supports_rpc())
    assert "-DGGML_RPC=ON" in cmd
    assert "--rpc HOST2:50052,HOST3:50052" in cmd and "-sm layer -ts " in cmd


def test_a_split_over_unlike_gpus_says_which_share_is_which_card():
    """A review: llama.cpp gives -ts shares to devices in its own order (CUDA's: fastest first), so with a 3060
    listed before a 4090 the large share could land on the small card; the command names the order."""
    unlike = commands_for("layer_split", model=llama_70b(), devices=(RTX_3090, RTX_4090_LIKE))["llama-server"]
    line = next(line for line in unlike.splitlines() if line.startswith("# -ts "))
    assert "the RTX 3090, then RTX 4090" in line and "llama-server --list-devices" in line
    assert "CUDA_DEVICE_ORDER=PCI_BUS_ID" in line
    alike = commands_for("layer_split", model=llama_70b())["llama-server"]
    assert "# -ts " not in alike and " -ts " in alike


def test_cpu_offload_carries_the_gpu_layers_to_llama_cpp_and_ollama():
    w = Workload(context_tokens=8192, ram_bytes=128 * GIB)
    plan = plan_of("cpu_offload", model=llama_70b(), quant=Q8_0, devices=[RTX_3090], workload=w)
    found = launch_commands(model=llama_70b(), quant=Q8_0, plan=plan, workload=w)
    assert f"-ngl {plan.gpu_layers} " in found["llama-server"]
    assert found["ollama"].endswith(f"/set parameter num_gpu {plan.gpu_layers}")


def test_vllm_and_sglang_serve_the_published_checkpoint_with_the_plan_sizes():
    awq = ArtifactSpec(
        kind="awq", repo="hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4", formats=("awq",)
    )
    model = llama_70b(artifacts=(awq,))
    w = Workload(context_tokens=8192, runtime="vllm", batch=8, kv_cache_type="fp8")
    found = commands_for("tensor_parallel", model=model, quant=AWQ, workload=w)
    assert found["vllm"] == (
        "vllm serve hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4 --tensor-parallel-size 2 --max-model-len 8192 "
        "--gpu-memory-utilization 0.92 --max-num-seqs 8 --kv-cache-dtype fp8"
    )
    assert found["sglang"] == (
        "python -m sglang.launch_server --model-path hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4 --tp-size 2 "
        "--context-length 8192 --max-running-requests 8 --kv-cache-dtype fp8_e4m3"
    )  # no --mem-fraction-static: SGLang's excludes activations and CUDA graphs, vLLM's 0.92 counts them
    assert "llama-server" not in found  # AWQ is not a GGUF
    split = commands_for("layer_split", model=model, quant=AWQ, workload=w)
    assert "--pipeline-parallel-size 2" in split["vllm"] and "--pp-size 2" in split["sglang"]
    replicas = commands_for("replicas", model=model, quant=AWQ, workload=w)
    assert "--data-parallel-size 2" in replicas["vllm"] and "--dp-size 2" in replicas["sglang"]
    # vLLM's --max-num-seqs caps each data-parallel engine, and so does SGLang's --max-running-requests:
    # its worker divides it by --dp-size only under DP attention (the audit of the commands found 8 here,
    # 16 sequences in all)
    assert "--max-num-seqs 4" in replicas["vllm"] and "--max-running-requests 4" in replicas["sglang"]


def test_without_an_fp8_checkpoint_vllm_quantizes_the_16_bit_weights_as_it_loads():
    found = commands_for("single", model=llama_8b(artifacts=(ORIGINAL,)), quant=FP8, devices=[RTX_3090])
    assert (
        found["vllm"]
        .splitlines()[1]
        .startswith("vllm serve meta-llama/Llama-3.1-8B-Instruct --quantization fp8 --max-model-len 8192")
    )
    assert "FP8 as it loads them" in found["vllm"].splitlines()[0]


def test_kv_cache_types_a_tool_lacks_leave_that_tool_out():
    model = llama_8b(artifacts=(ORIGINAL, BARTOWSKI))
    found = commands_for("single", model=model, quant=BF16, workload=Workload(kv_cache_type="q8_0"))
    assert "vllm" not in found and "sglang" not in found and "llama-server" in found


def test_mlx_serves_the_mlx_community_conversion_before_the_original():
    mlx = ArtifactSpec(
        kind="mlx", repo="mlx-community/Meta-Llama-3.1-8B-Instruct-bf16", tag="bf16", formats=("bf16",)
    )
    devices = [RTX_3090]  # which tool suits the hardware is the catalog's question, not the command builder's
    w = Workload(runtime="mlx")
    assert commands_for(
        "single", model=llama_8b(artifacts=(ORIGINAL, mlx)), quant=BF16, devices=devices, workload=w
    )["mlx_lm"] == ("mlx_lm.server --model mlx-community/Meta-Llama-3.1-8B-Instruct-bf16")
    original = commands_for(
        "single", model=llama_8b(artifacts=(ORIGINAL,)), quant=BF16, devices=devices, workload=w
    )
    assert original["mlx_lm"] == "mlx_lm.server --model meta-llama/Llama-3.1-8B-Instruct"
    assert "mlx_lm" not in commands_for(
        "single", model=llama_8b(), devices=devices, workload=w
    )  # no GGUF in MLX


@pytest.mark.parametrize("strategy", ["single", "layer_split"])
def test_estimate_puts_the_commands_on_each_plan(strategy):
    e = estimate(
        model=llama_8b(artifacts=(BARTOWSKI,)), quant=Q4_K_M, devices=[RTX_3090] * 2, workload=Workload()
    )
    plan = next(p for p in e.plans if p.strategy == strategy)
    assert plan.commands["llama-server"].startswith("llama-server -hf bartowski/")


# ---- Which GPUs a plan runs on, and how many layers each stage holds (an audit of the commands) ------


def test_one_gpu_of_a_mixed_rig_is_pinned_for_every_server():
    """A single-GPU plan on [3060, 3090] runs on the 3090, GPU 1: llama-server's -sm none runs on
    --main-gpu (0 unless told), vLLM, SGLang and Ollama on what CUDA_VISIBLE_DEVICES shows them."""
    model = llama_8b(artifacts=(BARTOWSKI, ORIGINAL))
    plan = plan_of("single", model=model, devices=(RTX_3060, RTX_3090))
    assert plan.gpu_indices == (1,) and plan.devices[0].name == "RTX 3090"
    gguf = commands_for("single", model=model, devices=(RTX_3060, RTX_3090))
    assert " -sm none -mg 1 " in gguf["llama-server"]
    assert (
        "# -mg 1: the RTX 3090, GPU 2 as listed here; check its number with llama-server"
        in (gguf["llama-server"])
    )
    # Ollama's variable depends on the vendor (docs/gpu.mdx): said, not guessed
    assert "CUDA_VISIBLE_DEVICES=1 on NVIDIA, ROCR_VISIBLE_DEVICES=1 on AMD" in gguf["ollama"]
    assert "CUDA_VISIBLE_DEVICES=1 ollama" not in gguf["ollama"]
    served = commands_for("single", model=model, quant=BF16, devices=(RTX_3060, RTX_3090))
    assert served["vllm"].splitlines()[-1].startswith("CUDA_VISIBLE_DEVICES=1 vllm serve ")
    assert (
        served["sglang"].splitlines()[-1].startswith("CUDA_VISIBLE_DEVICES=1 python -m sglang.launch_server ")
    )
    assert served["vllm"].startswith(
        "# GPU 1: the RTX 3090, GPU 2 as listed here; its number is nvidia-smi -L's"
    )
    # the first GPU needs no pinning: each server starts there
    first = commands_for("single", model=model, devices=(RTX_3090, RTX_3060))
    first |= commands_for("single", model=model, quant=BF16, devices=(RTX_3090, RTX_3060))
    assert "-mg" not in first["llama-server"] and "CUDA_VISIBLE_DEVICES" not in "".join(first.values())


def test_tensor_mode_on_fewer_gpus_than_the_machine_has_sees_only_them():
    # 32 heads over 3 GPUs: tensor parallel over 2, and -sm tensor would take all 3 it sees
    model = llama_8b(artifacts=(BARTOWSKI,))
    plan = plan_of("tensor_parallel", model=model, devices=(RTX_3090,) * 3)
    assert plan.tensor_parallel_size == 2 and plan.gpu_indices == (0, 1)
    command = commands_for("tensor_parallel", model=model, devices=(RTX_3090,) * 3)["llama-server"]
    assert command.splitlines()[-1].startswith("CUDA_VISIBLE_DEVICES=0,1 llama-server ")
    assert plan_of("tensor_parallel", model=model, devices=(RTX_3090,) * 2).gpu_indices == ()


def test_an_uneven_layer_split_tells_vllm_and_sglang_the_layers_of_each_stage():
    # 70B AWQ on a 3090 and a 3060: layers by free memory, which both servers would deal evenly
    model, w = llama_70b(), Workload(context_tokens=4096, runtime="vllm")
    plan = plan_of("layer_split", model=model, quant=AWQ, devices=(RTX_3090, RTX_3060), workload=w)
    counts = [d.layers for d in plan.devices]
    assert counts[0] > counts[1] and sum(counts) == 80
    found = commands_for("layer_split", model=model, quant=AWQ, devices=(RTX_3090, RTX_3060), workload=w)
    partition = ",".join(map(str, counts))
    assert found["vllm"].splitlines()[-1].startswith(f"VLLM_PP_LAYER_PARTITION={partition} vllm serve ")
    sglang = found["sglang"].splitlines()[-1]
    assert sglang.startswith(f"SGLANG_PP_LAYER_PARTITION={partition} python -m sglang.launch_server ")


def test_hf_downloads_leave_the_vision_projector_out_as_the_plan_does():
    # -hf also fetches and loads a repository's mmproj unless told --no-mmproj (llama.cpp
    # tools/server/README.md at 00dc8057): about 1 GB on the GPU the plan does not count
    ggml = ArtifactSpec(kind="gguf", repo="ggml-org/gemma-3-27b-it-GGUF", formats=("q4_k_m",))
    one = ArtifactSpec(
        kind="gguf", repo="ggml-org/gpt-oss-120b-GGUF", tag="gpt-oss-120b-mxfp4.gguf", formats=("mxfp4",)
    )
    by_tag = commands_for("single", model=llama_8b(artifacts=(ggml,)))["llama-server"]
    assert by_tag.startswith("llama-server -hf ggml-org/gemma-3-27b-it-GGUF:Q4_K_M --no-mmproj -c ")
    by_file = commands_for("single", model=gpt_oss_120b(artifacts=(one,)), quant=MXFP4, devices=[RTX_3090])
    assert "--hf-file gpt-oss-120b-mxfp4.gguf --no-mmproj " in by_file["llama-server"]
    # a file loaded with -m brings no projector: nothing to leave out
    parts = commands_for(
        "single", model=llama_8b(), quant=QuantSpec(slug="q2_k", name="Q2_K", bits_per_weight=3.16)
    )
    assert "--no-mmproj" not in parts["llama-server"]


@pytest.mark.parametrize(
    "family", ["qwen3-vl", "qwen3.5", "qwen3-next", "qwen3_vl_moe", "qwen3_5_moe", "mllama"]
)
def test_ollama_says_it_runs_some_architectures_one_request_at_a_time(family):
    # Ollama sets num_parallel to 1 for these GGUF architectures whatever OLLAMA_NUM_PARALLEL says
    # (server/sched.go `load`, ollama/ollama at fb307609, v0.33.0-rc2): the variable would do nothing
    model = llama_8b(artifacts=(BARTOWSKI,), family=family, name="Qwen3-VL 8B")
    cmd = commands_for("single", model=model, workload=Workload(context_tokens=8192, batch=4))["ollama"]
    assert "OLLAMA_NUM_PARALLEL=" not in cmd
    assert (
        "# Ollama runs Qwen3-VL 8B one request at a time (its architecture ignores OLLAMA_NUM_PARALLEL): "
        "the 4 conversations wait their turn" in cmd
    )
    alone = commands_for("single", model=model, workload=Workload(context_tokens=8192))["ollama"]
    assert "one request at a time" not in alone


def test_ollama_runs_other_architectures_in_parallel():
    model = llama_8b(artifacts=(BARTOWSKI,), family="qwen3")
    cmd = commands_for("single", model=model, workload=Workload(context_tokens=8192, batch=4))["ollama"]
    assert "OLLAMA_NUM_PARALLEL=4 " in cmd and "one request at a time" not in cmd
