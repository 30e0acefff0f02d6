"""LM Studio's `lms` commands (estimator/commands_lms.py): the artifact `lms get` fetches, the plan's
context and GPU offload on `lms load`, a comment for each choice no lms flag carries, and no command for
the plans lms cannot run. Every command parses against lms's documented flags (command_flags.py)."""

from command_flags import parse
from engine_specs import Q4_K_M, RTX_3090, deepseek_v3, gpt_oss_120b, llama_8b, llama_70b
from test_commands import BARTOWSKI, ORIGINAL

from calculator.present import reason
from estimator import QuantSpec, Workload
from estimator.commands import launch_commands, unavailable
from estimator.estimate import candidate_plans
from estimator.schema import ArtifactSpec
from estimator.units import GIB

MLX_4BIT = QuantSpec(slug="mlx-4bit", name="MLX 4-bit", bits_per_weight=4.5, format="mlx")


def lms_for(strategy, *, model, quant=Q4_K_M, devices=(RTX_3090, RTX_3090), workload=None):
    workload = workload or Workload(context_tokens=8192)
    found, _ = candidate_plans(model=model, quant=quant, devices=list(devices), workload=workload)
    plan = next(p for p in found if p.strategy == strategy)
    command = launch_commands(model=model, quant=quant, plan=plan, workload=workload).get("lms")
    if command:
        parse(command)
    return plan, command


def test_lms_fetches_the_published_gguf_and_loads_it_with_the_plans_context():
    _, cmd = lms_for("single", model=llama_8b(artifacts=(BARTOWSKI,)), devices=[RTX_3090])
    assert cmd.splitlines() == [
        "# lms load finds a model by the key lms ls lists for it; where this name finds none, it asks which "
        "to load",
        "lms get https://huggingface.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF@Q4_K_M",
        "lms load bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/Q4_K_M --context-length 8192 --gpu max",
        "lms server start",
    ]


def test_lms_load_names_the_file_exactly_where_the_catalog_knows_it():
    # since lmstudio-ai/lms 066002e a name is matched against the models' keys, and --exact matches a
    # path: the audit of the commands found paths that matched no key. A pattern that determines the file
    # loads it by path; one that does not ("*-{QUANT}*.gguf") can only name the repository and format.
    named = ArtifactSpec(
        kind="gguf", repo="b/Llama-8B-GGUF", tag="Llama-8B-{QUANT}.gguf", formats=("q4_k_m", "q8_0")
    )
    _, cmd = lms_for("single", model=llama_8b(artifacts=(named,)), devices=[RTX_3090])
    assert "\nlms load b/Llama-8B-GGUF/Llama-8B-Q4_K_M.gguf --exact --context-length" in cmd
    assert "asks which" not in cmd
    _, cmd = lms_for("single", model=llama_8b(artifacts=(BARTOWSKI,)), devices=[RTX_3090])
    assert "--exact" not in cmd and "lms ls lists" in cmd.splitlines()[0]


def test_what_no_lms_flag_carries_is_said_in_a_comment_line():
    w = Workload(context_tokens=16384, batch=2, kv_cache_type="q8_0")
    plan, cmd = lms_for("layer_split", model=llama_8b(artifacts=(BARTOWSKI,)), workload=w)
    split, kv = cmd.splitlines()[:2]
    layers = " and ".join(str(d.layers) for d in plan.gpu_devices) + " layers"
    assert split.startswith("# lms load has no flag for how layers split over GPUs") and layers in split
    assert kv == "# lms load has no KV cache type flag: LM Studio's own setting applies, not this plan's q8_0"
    # two conversations at once: --parallel (lmstudio-ai/lms 687cf96), sharing the context loaded, as
    # llama-server's -np slots share -c: twice the plan's context (a review of the diff found each user given
    # half of it)
    assert "--context-length 32768 --gpu max --parallel 2" in cmd and "at once" not in cmd


def test_max_concurrent_predictions_is_not_claimed_for_lm_studios_mlx_engine():
    # "supported for LM Studio's llama.cpp engine, with MLX coming soon" (docs/app/advanced/parallel-requests)
    mlx = ArtifactSpec(
        kind="mlx", repo="mlx-community/Meta-Llama-3.1-8B-Instruct-4bit", formats=("mlx-4bit",)
    )
    w = Workload(context_tokens=8192, batch=8, runtime="mlx")
    _, cmd = lms_for(
        "single", model=llama_8b(artifacts=(mlx,)), quant=MLX_4BIT, devices=[RTX_3090], workload=w
    )
    assert "Max Concurrent Predictions" not in cmd
    assert cmd.splitlines()[0] == (
        "# lms load has no flag for 8 conversations at once, and LM Studio documents parallel requests "
        "for its llama.cpp engine only"
    )


def test_cpu_offload_gives_lms_the_share_of_layers_on_the_gpu():
    model = llama_70b(artifacts=(ArtifactSpec(kind="gguf", repo="x/Llama-70B-GGUF", formats=("q4_k_m",)),))
    w = Workload(context_tokens=8192, ram_bytes=128 * GIB)
    plan, cmd = lms_for("cpu_offload", model=model, devices=[RTX_3090], workload=w)
    ratio = float(cmd.split("--gpu ")[1].split()[0])
    # rounded down: never more layers on the GPU than the plan holds there (80 layers and the head)
    assert ratio <= plan.gpu_layers / 81 < ratio + 0.01 and 0 < ratio < 1


def test_plans_lms_cannot_run_get_no_lms_command():
    model = llama_70b(artifacts=(ArtifactSpec(kind="gguf", repo="x/Llama-70B-GGUF", formats=("q4_k_m",)),))
    for strategy in ("tensor_parallel", "replicas"):
        assert lms_for(strategy, model=model)[1] is None
    assert lms_for("rpc_cluster", model=model, workload=Workload(context_tokens=8192, hosts=2))[1] is None
    parts = ArtifactSpec(
        kind="gguf", repo="u/DeepSeek-V3-GGUF", tag="DeepSeek-V3-{QUANT}/x-*.gguf", formats=("q4_k_m",)
    )
    w = Workload(context_tokens=4096, ram_bytes=512 * GIB)
    assert (
        lms_for("expert_offload", model=deepseek_v3(artifacts=(parts,)), devices=[RTX_3090] * 8, workload=w)[
            1
        ]
        is None
    )


def test_a_gguf_in_parts_is_made_in_one_file_from_the_own_checkpoint_or_said_why_not():
    # lms get's documentation (Hugging Face's LM Studio page, get.ts) does not say it fetches a GGUF in
    # parts, and lms import takes one file (importCmd.ts): as Ollama, lms imports one made from the
    # model's own checkpoint, or, where none can be made, says so
    parts = ArtifactSpec(
        kind="gguf", repo="u/DeepSeek-V3-GGUF", tag="DeepSeek-V3-{QUANT}/x-*.gguf", formats=("q4_k_m",)
    )
    assert reason(unavailable(deepseek_v3(artifacts=(parts,)), Q4_K_M, "lms")) == (
        "u/DeepSeek-V3-GGUF holds the Q4_K_M GGUF of DeepSeek-V3 in parts, LM Studio does not document "
        "lms get for a GGUF in parts, and lms import takes one file."
    )
    own = ArtifactSpec(kind="fp8", repo="deepseek-ai/DeepSeek-V3", formats=("fp8",))
    model = deepseek_v3(artifacts=(parts, own))
    assert unavailable(model, Q4_K_M, "lms") is None
    w = Workload(context_tokens=4096, ram_bytes=512 * GIB)
    _, cmd = lms_for("cpu_offload", model=model, devices=[RTX_3090] * 2, workload=w)
    lines = cmd.splitlines()
    assert (
        "# u/DeepSeek-V3-GGUF holds it in parts, and LM Studio does not document lms get for a GGUF in "
        "parts: make it from its own checkpoint with llama.cpp (from a llama.cpp checkout, after pip "
        "install -r requirements.txt)"
    ) in lines
    assert "lms import models/DeepSeek-V3-Q4_K_M.gguf --user-repo deepseek-ai/DeepSeek-V3" in lines


def test_a_gguf_made_from_the_own_checkpoint_is_imported_under_its_repository():
    _, cmd = lms_for(
        "single",
        model=llama_8b(artifacts=(BARTOWSKI, ORIGINAL)),
        quant=QuantSpec(slug="q2_k", name="Q2_K", bits_per_weight=3.16),
        devices=[RTX_3090],
    )
    lines = cmd.splitlines()
    assert (
        "llama-quantize models/Llama-3.1-8B-Instruct-BF16.gguf models/Llama-3.1-8B-Instruct-Q2_K.gguf Q2_K"
        in lines
    )
    assert lines[-3:] == [
        "lms import models/Llama-3.1-8B-Instruct-Q2_K.gguf --user-repo meta-llama/Llama-3.1-8B-Instruct",
        "lms load meta-llama/Llama-3.1-8B-Instruct/Llama-3.1-8B-Instruct-Q2_K.gguf --exact --context-length 8192 "
        "--gpu max",
        "lms server start",
    ]


def test_a_named_file_and_an_mlx_conversion_are_fetched_as_published():
    one = ArtifactSpec(
        kind="gguf", repo="ggml-org/gpt-oss-120b-GGUF", tag="gpt-oss-120b-mxfp4.gguf", formats=("mxfp4",)
    )
    mxfp4 = QuantSpec(slug="mxfp4", name="MXFP4", bits_per_weight=4.25, format="mxfp4")
    _, cmd = lms_for("single", model=gpt_oss_120b(artifacts=(one,)), quant=mxfp4, devices=[RTX_3090] * 4)
    assert "lms load ggml-org/gpt-oss-120b-GGUF/gpt-oss-120b-mxfp4.gguf " in cmd
    mlx = ArtifactSpec(
        kind="mlx", repo="mlx-community/Meta-Llama-3.1-8B-Instruct-4bit", formats=("mlx-4bit",)
    )
    model = llama_8b(artifacts=(mlx,))
    _, cmd = lms_for(
        "single", model=model, quant=MLX_4BIT, devices=[RTX_3090], workload=Workload(runtime="mlx")
    )
    assert (
        cmd.splitlines()[0] == "lms get https://huggingface.co/mlx-community/Meta-Llama-3.1-8B-Instruct-4bit"
    )
    assert reason(unavailable(llama_8b(artifacts=(ORIGINAL,)), MLX_4BIT, "lms")) == (
        "No published MLX 4-bit conversion of Llama 3.1 8B is known to this site for lms get to fetch."
    )
