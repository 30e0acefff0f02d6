"""Commands that run as copied: every command the site can print, for every listed model × listed format ×
runtime × plan strategy, parses against its tool's documented flags (tests/engine/command_flags.py) and
names only artifacts the catalog lists for that model and format; where none is known it says so and
leaves a placeholder path. The quick suite checks one case in nineteen, the `slow` run all of them."""

import pytest

from calculator.answer import COMMAND_FOR_RUNTIME
from calculator.forms import ENGINE_RUNTIME
from catalog.models import Artifact, LlmModel, Quantization, Runtime
from estimator import commands
from estimator.schema import DeviceUsage, Plan, Workload
from tests.engine.command_flags import parse

pytestmark = pytest.mark.django_db

GIB = 1 << 30


def gpu(i: int, layers: int, kind: str = "gpu") -> DeviceUsage:
    return DeviceUsage(
        gpu=f"gpu-{i}",
        name=f"GPU {i}",
        layers=layers,
        weights_bytes=GIB,
        kv_cache_bytes=0,
        compute_bytes=0,
        overhead_bytes=0,
        capacity_bytes=24 * GIB,
        headroom_bytes=GIB,
        kind=kind,
    )


def plans_of(n: int, moe: bool) -> list[Plan]:
    """One plan of each strategy the engine emits, with the fields the commands read, for an n-layer model."""
    two = (gpu(0, n // 2), gpu(1, n - n // 2))
    host = gpu(9, 0, kind="host")
    out = [
        Plan(strategy="single", devices=(gpu(0, n),), decode_tok_s=None, gpu_layers=n + 1),
        Plan(
            strategy="layer_split",
            devices=two,
            decode_tok_s=None,
            gpu_layers=n + 1,
            tensor_split=(0.5, 0.5),
            pipeline_parallel_size=2,
        ),
        Plan(
            strategy="tensor_parallel",
            devices=two,
            decode_tok_s=None,
            gpu_layers=n + 1,
            tensor_parallel_size=2,
        ),
        Plan(strategy="replicas", devices=two, decode_tok_s=None, gpu_layers=n + 1, replicas=2),
        Plan(strategy="cpu_offload", devices=(*two, host), decode_tok_s=None, gpu_layers=n // 2),
        Plan(
            strategy="rpc_cluster",
            devices=(*two, gpu(2, 0), gpu(3, 0)),
            decode_tok_s=None,
            gpu_layers=n + 1,
            tensor_split=(0.25, 0.25, 0.25, 0.25),
        ),
    ]
    if moe:
        out.append(
            Plan(
                strategy="expert_offload",
                devices=(*two, host),
                decode_tok_s=None,
                gpu_layers=n + 1,
                n_cpu_moe=4,
            )
        )
    return out


# mlx_lm.convert's flags (ml-explore/mlx-lm mlx_lm/convert.py configure_parser() at
# d78bf58e217c904ec282ed8da9b947491f78c022): flag -> None (a switch) or the values it takes (empty: any).
MLX_LM_CONVERT = {
    **dict.fromkeys(["--hf-path", "--model", "--mlx-path", "--q-group-size", "--upload-repo"], set()),
    "--q-bits": {"2", "3", "4", "5", "6", "8"},
    "--q-mode": {"affine", "mxfp4", "nvfp4", "mxfp8"},
    "--dtype": {"float16", "bfloat16", "float32"},
    **dict.fromkeys(["-q", "--quantize", "-d", "--dequantize", "--trust-remote-code"], None),
}
CONVERT_HINT = "# or make it from the original weights: "


def parse_convert(line: str) -> dict[str, str | None]:
    """The flags of an `mlx_lm.convert` line; AssertionError on a flag or value the tool refuses."""
    words = line.split()
    assert words[0] == "mlx_lm.convert", line
    flags: dict[str, str | None] = {}
    rest = words[1:]
    while rest:
        word = rest.pop(0)
        assert word in MLX_LM_CONVERT, f"mlx_lm.convert has no flag {word}: {line}"
        choices = MLX_LM_CONVERT[word]
        value = None if choices is None else rest.pop(0)
        assert choices is None or not choices or value in choices, f"{word} {value}: {line}"
        flags[word] = value
    return flags


def runs_somewhere(runtime: Runtime, family: str) -> bool:
    return any(family in families for families in runtime.formats.values())


def check_names(command: str, *, model: LlmModel, quant: Quantization, published: dict) -> None:
    """Every repository or tag the command names is a catalog artifact of this model in this format;
    a placeholder path comes with a comment saying no artifact is known."""
    invocations, comments = parse(command)

    def lists(kinds, repo, tag=None) -> bool:
        return any(
            kind in kinds and r == repo and (tag is None or t == tag) and quant.slug in formats
            for (kind, r, t), formats in published.items()
        )

    def placeholder(path: str) -> bool:
        return path.startswith("/path/to/") and any(c.startswith("# No published") for c in comments)

    def served_weights(repo: str, flags: dict) -> bool:
        kinds = commands.CHECKPOINT_KINDS.get(quant.as_spec().format, ())
        if lists(kinds, repo):
            return True  # the checkpoint of this format
        floats = any(k == "safetensors" and r == repo and f for (k, r, _), f in published.items())
        return floats and ("--dtype" in flags or flags.get("--quantization") == "fp8")

    downloads = [i.positional[0] for i in invocations if i.program == ("hf", "download")]
    created = [i.positional[0] for i in invocations if i.program == ("ollama", "create")]
    for i in invocations:
        where = f"{model.slug} {quant.slug}: {command}"
        if i.program == ("llama-server",):
            if "-hf" in i.flags:
                repo, _, tag = i.flags["-hf"].partition(":")
                assert lists({"gguf"}, repo), where
                assert tag in ("", quant.slug.upper()), where
            else:
                path = i.flags["-m"]
                assert placeholder(path) or (path.startswith("models/") and downloads), where
        elif i.program == ("hf", "download"):
            assert lists({"gguf"}, i.positional[0]), where
        elif i.program == ("vllm", "serve"):
            repo = i.positional[0]
            assert placeholder(repo) or served_weights(repo, i.flags), where
        elif i.program == ("python", "-m", "sglang.launch_server"):
            repo = i.flags["--model-path"]
            assert placeholder(repo) or served_weights(repo, i.flags), where
        elif i.program == ("mlx_lm.server",):
            repo = i.flags["--model"]
            assert placeholder(repo) or lists({"mlx", "safetensors"}, repo), where
            for hint in (c.removeprefix(CONVERT_HINT) for c in comments if c.startswith(CONVERT_HINT)):
                flags = parse_convert(hint)  # makes the placeholder directory from the original weights
                assert flags["--mlx-path"] == repo and placeholder(repo), where
                assert any(k == "safetensors" and r == flags["--hf-path"] for k, r, _ in published), where
        elif i.program == ("ollama", "run"):
            name = i.positional[0]
            if name.startswith("hf.co/"):
                repo, _, tag = name.removeprefix("hf.co/").partition(":")
                assert lists({"gguf"}, repo) and tag == quant.slug.upper(), where
            elif name in created:
                assert any(c.startswith("# No published") for c in comments), where
            else:
                repo, _, tag = name.partition(":")
                assert lists({"ollama"}, repo, tag), where


def cases():
    """Every listed model × listed format × runtime × KV cache type × batch the site can print a command for;
    every MLX width too (3, 5 and 6-bit are not in the picker, but MLX artifacts provide them)."""
    quants = list(Quantization.objects.listed() | Quantization.objects.filter(family="mlx"))
    runtimes = {r.slug: r for r in Runtime.objects.filter(slug__in=COMMAND_FOR_RUNTIME)}
    for model in LlmModel.objects.listed().order_by("slug").prefetch_related("artifacts"):
        for quant in quants:
            for slug in COMMAND_FOR_RUNTIME:
                runtime = runtimes[slug]
                if not runs_somewhere(runtime, quant.family):
                    continue
                for kv in runtime.kv_cache_types:
                    for batch in (1, 4):
                        yield model, quant, slug, kv, batch


def commands_parse_and_name_catalog_artifacts(checked: list[tuple]) -> int:
    """Check the commands of each case, for each plan strategy; how many commands were checked.

    Each command is built once: the cases of one model, format, KV cache type and batch differ only by
    runtime, and `launch_commands` builds every tool's command from the workload's context, batch, KV
    type, flash attention and hosts, never its runtime, so they share one call per plan. A command text
    met again for the same model and format is not parsed again (one in nine repeats, e.g. across KV
    types a tool ignores)."""
    artifacts: dict[int, dict] = {}
    for a in Artifact.objects.all():
        artifacts.setdefault(a.llm_id, {})[(a.kind, a.repo, a.tag)] = a.formats
    built, model_pk, spec, plans, by_question, parsed = 0, None, None, [], {}, set()
    for model, quant, slug, kv, batch in checked:  # in model order: one model's commands kept at a time
        if model.pk != model_pk:
            model_pk, by_question, parsed = model.pk, {}, set()
            spec = model.as_spec(artifacts=model.artifacts.all())
            plans = plans_of(model.num_hidden_layers, model.is_moe)
        tool = COMMAND_FOR_RUNTIME[slug]
        if (quant.slug, kv, batch) not in by_question:
            workload = Workload(
                context_tokens=8192, batch=batch, kv_cache_type=kv, runtime=ENGINE_RUNTIME[slug], hosts=2
            )
            quant_spec = quant.as_spec()
            by_question[quant.slug, kv, batch] = [
                (plan, commands.launch_commands(model=spec, quant=quant_spec, plan=plan, workload=workload))
                for plan in plans
            ]
        for plan, found in by_question[quant.slug, kv, batch]:
            if plan.strategy == "single":  # every runtime runs one GPU
                assert tool in found, (model.slug, quant.slug, slug, kv)
            if tool in found:
                if (quant.slug, found[tool]) not in parsed:
                    check_names(found[tool], model=model, quant=quant, published=artifacts.get(model.pk, {}))
                    parsed.add((quant.slug, found[tool]))
                built += 1
    return built


def test_one_case_in_nineteen_parses_and_names_only_catalog_artifacts(catalog):
    """A stride through the cases that still reaches every model, format, runtime, KV type and batch
    (19, not 7: ~2,000 cases of ~38,000, a third of the time); the `slow` run (make test, CI) checks
    every case."""
    every = list(cases())
    sample = every[::19]
    for i in range(5):  # model, format, runtime, KV cache type, batch
        assert {case[i] for case in sample} == {case[i] for case in every}
    assert commands_parse_and_name_catalog_artifacts(sample) > 10_000 // 19


@pytest.mark.slow
def test_every_command_parses_and_names_only_catalog_artifacts(catalog):
    assert commands_parse_and_name_catalog_artifacts(list(cases())) > 10_000


@pytest.mark.parametrize(
    ("query", "tool", "names"),
    [
        # the examples: each now names a repository the catalog lists, with its source
        (
            "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192",
            "llama-server",
            "-hf bartowski/Llama-3.3-70B-Instruct-GGUF:Q4_K_M",
        ),
        ("model=gpt-oss-120b&gpu=h100-sxm5-80-gb&runtime=ollama", "ollama", "ollama run gpt-oss:120b"),
        (
            "model=llama-3-3-70b-instruct&quant=fp8&gpu=h100-sxm5-80-gb&runtime=vllm",
            "vllm",
            "vllm serve RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
        ),
        ("model=gpt-oss-20b&gpu=geforce-rtx-4090", "llama-server", "-hf ggml-org/gpt-oss-20b-GGUF --hf-file"),
        (
            "model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8&runtime=sglang",
            "sglang",
            "--model-path deepseek-ai/DeepSeek-R1",
        ),
        (
            "model=qwen3-8b&gpu=apple-m4-max-128gb&runtime=mlx",
            "mlx_lm",
            "mlx_lm.server --model mlx-community/Qwen3-8B-4bit",
        ),
        (
            "model=qwen3-8b&quant=bf16&gpu=apple-m4-max-128gb&runtime=mlx",
            "mlx_lm",
            "mlx_lm.server --model Qwen/Qwen3-8B",  # 16-bit: mlx-lm loads the original safetensors
        ),
    ],
)
def test_the_api_commands_name_real_artifacts(client, catalog, query, tool, names):
    plan = client.get(f"/api/v1/estimate?{query}").json()["plans"][0]
    command = plan["commands"][tool]
    assert names in command
    parse(command)


def test_a_format_nobody_published_says_so_and_leaves_a_path(client, catalog):
    # no source lists a Q4_K_M GGUF of Llama 3.1 405B (fixtures/sources/model_artifacts.md)
    answer = client.get(
        "/api/v1/estimate?model=llama-3-1-405b-instruct&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=8"
    )
    command = answer.json()["plans"][0]["commands"]["llama-server"]
    assert command.startswith("# No published Q4_K_M GGUF of Llama 3.1 405B")
    assert "-m /path/to/llama-3-1-405b-instruct-Q4_K_M.gguf" in command


def test_commands_offer_only_runtimes_the_hardware_runs(client, catalog):
    on_a_mac = client.get("/api/v1/estimate?model=qwen3-8b&quant=bf16&gpu=apple-m4-max-128gb").json()
    assert set(on_a_mac["plans"][0]["commands"]) == {"llama-server", "ollama", "mlx_lm"}
    on_a_3090 = client.get("/api/v1/estimate?model=qwen3-8b&quant=bf16&gpu=geforce-rtx-3090").json()
    assert set(on_a_3090["plans"][0]["commands"]) == {"llama-server", "ollama", "vllm", "sglang"}
