"""Commands that run as copied: every command the site can print, for every listed model × listed format ×
runtime × plan strategy, parses against its tool's documented flags (tests/engine/command_flags.py) and
names only artifacts the catalog lists for that model and format, or the model's own checkpoint it
converts (llama.cpp's convert_hf_to_gguf.py and llama-quantize, mlx_lm.convert). No listed model gets
a placeholder path: where nothing is published nor can be made, the tool gets no command and
`commands.unavailable()` says why. The quick suite checks one case in nineteen, the `slow` run all."""

import contextlib
import functools
import html
import re
import shlex
import types

import pytest

from calculator import present
from catalog.models import Artifact, LlmModel, Quantization, Runtime
from catalog.runtimes import COMMAND_FOR_RUNTIME, ENGINE_RUNTIME
from estimator import commands
from estimator.artifacts import in_parts
from estimator.schema import DeviceUsage, Plan, Workload
from tests.engine import command_flags
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


def runs_somewhere(runtime: Runtime, family: str) -> bool:
    return any(family in families for families in runtime.formats.values())


def check_names(command: str, *, model: LlmModel, quant: Quantization, published: dict, spec=None) -> None:
    """Every repository or tag the command names is a catalog artifact of this model in this format, or
    the model's own checkpoint that the command's own lines download and convert; no placeholder path;
    Ollama pulls from the Hub only a GGUF in one file (`spec`: the model as the engine has it)."""
    invocations, _ = parse(command)
    where = f"{model.slug} {quant.slug}: {command}"
    assert "/path/to/" not in command and "your own" not in command, where

    def lists(kinds, repo, tag=None) -> bool:
        return any(
            kind in kinds and r == repo and (tag is None or t == tag) and quant.slug in formats
            for (kind, r, t), formats in published.items()
        )

    def served_weights(repo: str, flags: dict) -> bool:
        kinds = commands.CHECKPOINT_KINDS.get(quant.as_spec().format, ())
        if lists(kinds, repo):
            return True  # the checkpoint of this format
        floats = any(k == "safetensors" and r == repo and f for (k, r, _), f in published.items())
        return floats and ("--dtype" in flags or flags.get("--quantization") == "fp8")

    made: list[str] = []  # files and directories the command's own lines write, in order
    downloads = []
    fetched = []  # repositories lms get fetched
    for i in invocations:
        if i.program == ("hf", "download"):
            repo = i.positional[0]
            if "--include" in i.flags:  # a published GGUF folder
                assert lists({"gguf"}, repo), where
            else:  # the model's own checkpoint, to convert
                assert repo == model.hf_id and any(r == repo for (_, r, _) in published), where
            downloads.append(i.flags["--local-dir"])
        elif i.program == ("python", "convert_hf_to_gguf.py"):
            assert i.positional[0] in downloads, where
            made.append(i.flags["--outfile"])
        elif i.program == ("llama-quantize",):
            source, out, kind = i.positional
            assert source in made and kind == quant.slug.upper(), where
            made.append(out)
        elif i.program == ("mlx_lm.convert",):
            assert any(k in commands.MLX_CONVERTS and r == i.flags["--hf-path"] for k, r, _ in published), (
                where
            )
            assert i.flags["--q-bits"] == quant.slug.removeprefix("mlx-").removesuffix("bit"), where
            made.append(i.flags["--mlx-path"])
        elif i.program == ("llama-server",):
            if "-hf" in i.flags:
                repo, _, tag = i.flags["-hf"].partition(":")
                assert lists({"gguf"}, repo), where
                assert tag in ("", quant.slug.upper()), where
            else:
                path = i.flags["-m"]
                assert path in made or any(path.startswith(f"{d}/") for d in downloads), where
        elif i.program == ("vllm", "serve"):
            assert served_weights(i.positional[0], i.flags), where
        elif i.program == ("python", "-m", "sglang.launch_server"):
            assert served_weights(i.flags["--model-path"], i.flags), where
        elif i.program == ("mlx_lm.server",):
            repo = i.flags["--model"]
            assert repo in made or lists({"mlx", "safetensors"}, repo), where
        elif i.program == ("lms", "get"):
            repo, _, tag = i.positional[0].removeprefix("https://huggingface.co/").partition("@")
            assert lists({"gguf", "mlx"}, repo) and tag in ("", quant.slug.upper()), where
            fetched.append(repo)
        elif i.program == ("lms", "import"):
            source, user_repo = i.positional[0], i.flags["--user-repo"]
            assert source in made and user_repo == model.hf_id, where  # filed under its own checkpoint
            made.append(f"{user_repo}/{source.rsplit('/', 1)[-1]}")
        elif i.program == ("lms", "load"):
            path = i.positional[0]
            assert path in made or any(path == r or path.startswith(f"{r}/") for r in fetched), where
        elif i.program == ("ollama", "create"):
            # a file the lines made, or a published GGUF's parts downloaded into a folder (Ollama 0.30 merges them)
            source = re.search(r"^echo 'FROM \./(.+)' > Modelfile$", command, re.M).group(1)
            assert (made and source == made[-1]) or any(
                source == d or source.startswith(f"{d}/") for d in downloads
            ), where
        elif i.program == ("ollama", "run"):
            name = i.positional[0]
            if name.startswith("hf.co/"):
                repo, _, tag = name.removeprefix("hf.co/").partition(":")
                assert lists({"gguf"}, repo) and tag == quant.slug.upper(), where
                if spec is not None:  # the Hub's Ollama registry refuses a sharded GGUF
                    pulled = [a for a in spec.artifacts if a.repo == repo and quant.slug in a.formats]
                    assert not any(in_parts(a, spec, quant.as_spec()) for a in pulled), where
            elif not any(c.program == ("ollama", "create") and c.positional == [name] for c in invocations):
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


def shell_words(line: str) -> tuple[str, ...]:
    """The words `shlex.split` finds in a line: where the line has no quote, no backslash and no
    whitespace but single spaces between words, they are its words between the spaces (shlex would read
    them a character at a time to the same end); any other line goes to shlex."""
    if "'" in line or '"' in line or "\\" in line or " ".join(line.split()) != line:
        return tuple(shlex.split(line))
    return tuple(line.split(" "))


@contextlib.contextmanager
def each_line_split_once():
    """`parse()` reads each line of a command with `shlex.split`, a character at a time: 70% of the
    cross product's time, where its ~390,000 lines are ~94,000 distinct ones (the same download or
    conversion line in each plan's command, say). Meanwhile each distinct line is split once, into the
    same words (`shell_words`), and a line met again gets them as a new list (`parse()` takes words off
    it). One model's lines are met together, so the last 8,192 distinct lines are kept."""
    words = functools.lru_cache(maxsize=8192)(shell_words)
    command_flags.shlex = types.SimpleNamespace(split=lambda line: list(words(line)))
    try:
        yield
    finally:
        command_flags.shlex = shlex


def commands_parse_and_name_catalog_artifacts(checked: list[tuple], unavailable: set | None = None) -> int:
    """Check the commands of each case, for each plan strategy; how many commands were checked.

    Each command is built once: the cases of one model, format, KV cache type and batch differ only by
    runtime, and `launch_commands` builds every tool's command from the workload's context, batch, KV
    type, flash attention and hosts, never its runtime, so they share one call per plan. A command text
    met again for the same model and format is not parsed again (one in nine repeats, e.g. across KV
    types a tool ignores). `unavailable` collects the (model, format, tool) the site offers no command
    for, with commands.unavailable() saying why."""
    unavailable = set() if unavailable is None else unavailable
    artifacts: dict[int, dict] = {}
    for a in Artifact.objects.filter(variant=False):
        artifacts.setdefault(a.llm_id, {})[(a.kind, a.repo, a.tag)] = a.formats
    with each_line_split_once():
        return commands_checked(checked, unavailable, artifacts)


def commands_checked(checked: list[tuple], unavailable: set, artifacts: dict) -> int:
    built, model_pk, spec, plans, by_question, parsed = 0, None, None, [], {}, set()
    for model, quant, slug, kv, batch in checked:  # in model order: one model's commands kept at a time
        if model.pk != model_pk:
            model_pk, by_question, parsed = model.pk, {}, set()
            spec = model.as_spec(artifacts=model.artifacts.filter(variant=False))  # as published.model_spec
            plans = plans_of(model.num_hidden_layers, model.is_moe)
        tool = COMMAND_FOR_RUNTIME[slug]
        quant_spec = quant.as_spec()
        if (quant.slug, kv, batch) not in by_question:
            workload = Workload(
                context_tokens=8192, batch=batch, kv_cache_type=kv, runtime=ENGINE_RUNTIME[slug], hosts=2
            )
            by_question[quant.slug, kv, batch] = [
                (plan, commands.launch_commands(model=spec, quant=quant_spec, plan=plan, workload=workload))
                for plan in plans
            ]
        for plan, found in by_question[quant.slug, kv, batch]:
            if plan.strategy == "single":  # every runtime runs one GPU, given weights it can have
                reason = commands.unavailable(spec, quant_spec, tool)
                assert (tool in found) == (reason is None), (model.slug, quant.slug, slug, kv, reason)
                if reason:
                    unavailable.add((model.slug, quant.slug, tool))
            if tool in found:
                if (quant.slug, found[tool]) not in parsed:
                    published = artifacts.get(model.pk, {})
                    check_names(found[tool], model=model, quant=quant, published=published, spec=spec)
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
        (
            "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192&runtime=lm-studio",
            "lms",
            "lms get https://huggingface.co/bartowski/Llama-3.3-70B-Instruct-GGUF@Q4_K_M\n"
            "lms load bartowski/Llama-3.3-70B-Instruct-GGUF/Q4_K_M --context-length 8192 --gpu max\nlms server start",
        ),
        (
            "model=qwen3-8b&quant=mlx-4bit&gpu=apple-m4-max-128gb&runtime=lm-studio",
            "lms",
            "lms get https://huggingface.co/mlx-community/Qwen3-8B-4bit\nlms load mlx-community/Qwen3-8B-4bit",
        ),
    ],
)
def test_the_api_commands_name_real_artifacts(client, catalog, query, tool, names):
    plan = client.get(f"/api/v1/estimate?{query}").json()["plans"][0]
    command = plan["commands"][tool]
    assert names in command
    parse(command)


def test_a_format_nobody_published_is_made_from_the_models_own_checkpoint(client, catalog):
    # no source lists a Q4_K_M GGUF of Llama 3.1 405B (fixtures/sources/model_artifacts.md)
    answer = client.get(
        "/api/v1/estimate?model=llama-3-1-405b-instruct&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=8"
    )
    command = answer.json()["plans"][0]["commands"]["llama-server"]
    assert command.startswith("# No published Q4_K_M GGUF of Llama 3.1 405B")
    assert (
        "hf download meta-llama/Llama-3.1-405B-Instruct --exclude 'original/*' --exclude 'metal/*' "
        "--local-dir models/Llama-3.1-405B-Instruct" in command
    )
    assert "-m models/Llama-3.1-405B-Instruct-Q4_K_M.gguf" in command and "/path/to/" not in command
    parse(command)


def test_commands_offer_only_runtimes_the_hardware_runs(client, catalog):
    on_a_mac = client.get("/api/v1/estimate?model=qwen3-8b&quant=bf16&gpu=apple-m4-max-128gb").json()
    assert set(on_a_mac["plans"][0]["commands"]) == {"llama-server", "ollama", "mlx_lm", "lms"}
    on_a_3090 = client.get("/api/v1/estimate?model=qwen3-8b&quant=bf16&gpu=geforce-rtx-3090").json()
    assert set(on_a_3090["plans"][0]["commands"]) == {"llama-server", "ollama", "vllm", "sglang", "lms"}


def test_only_models_llama_cpp_cannot_convert_lack_a_q4_k_m_command_and_each_says_why(catalog):
    """Of the listed models, only those whose architecture convert_hf_to_gguf.py does not register (or
    whose own checkpoint is MXFP4: gpt-oss, published in MXFP4 GGUF) have no Q4_K_M command."""
    q4 = Quantization.objects.get(slug="q4_k_m").as_spec()
    reasons = {}
    for model in LlmModel.objects.listed().prefetch_related("artifacts"):
        reason = commands.unavailable(model.as_spec(artifacts=model.artifacts.all()), q4, "llama-server")
        if reason:
            reasons[model.slug] = present.reason(reason)
    assert set(reasons) == {
        "gpt-oss-120b",
        "gpt-oss-20b",
        "hy3",
        "laguna-s-2-1",
        "laguna-xs-2",
        "mimo-7b-base",
        "minimax-m3",
        "muse-glimmer-30b",
        "step-3-7-flash",
    }
    assert reasons["laguna-xs-2"] == (
        "llama.cpp cannot load LagunaForCausalLM yet (convert_hf_to_gguf.py at 0024aa74), "
        "so no GGUF of Laguna XS.2 (MoE) can be made."
    )
    assert all(r.endswith(".") and ". " not in r for r in reasons.values())  # one plain sentence each


def test_the_page_says_why_a_runtime_has_no_command_and_what_runs_instead(client, catalog):
    page = client.get("/?model=laguna-xs-2&gpu=geforce-rtx-4090&runtime=llama-cpp").content.decode()
    assert "# llama.cpp cannot load LagunaForCausalLM yet (convert_hf_to_gguf.py at 0024aa74)" in page
    # vLLM and SGLang have its own BF16 release, 63 GiB: no other runtime is the way on a 4090 either
    assert "# Other runtimes have it as BF16 (vLLM, SGLang)" in page and "none fits this hardware." in page
    assert "# Here it runs as" not in page
    h100 = client.get("/?model=laguna-xs-2&gpu=h100-sxm5-80-gb&runtime=llama-cpp").content.decode()
    assert "# Here it runs as BF16 (vLLM, SGLang)" in h100  # where it fits, its own format first
    api = client.get("/api/v1/estimate?model=laguna-xs-2&gpu=geforce-rtx-4090").json()
    assert all("llama-server" not in p["commands"] for p in api["plans"])  # no command claimed
    assert "python convert_hf_to_gguf.py models/Llama-3.1-8B --outtype bf16" in launch_text(
        client, "model=llama-3-1-8b&gpu=geforce-rtx-4090"
    )


def launch_text(client, query: str) -> str:
    """The launch command as the page shows it, without the <span>s it wraps in (`command_lines`)."""
    page = client.get(f"/?{query}").content.decode()
    code = re.search(r'data-testid="launch-command"><code>(.*?)</code>', page, re.S).group(1)
    return html.unescape(re.sub(r"</?span[^>]*>", "", code))


def test_a_commands_comment_lines_wrap_and_its_commands_keep_their_lines(client, catalog):
    """Each comment line is in a <span> of its own and each command on its own line: a phone wraps them in
    the box (between arguments, `command_lines`), the newlines stay where the command has them."""
    query = "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768"
    page = client.get(f"/?{query}").content.decode()
    code = re.search(r'data-testid="launch-command"><code>(.*?)</code>', page, re.S).group(1)
    lines = code.split("\n")
    assert lines[0] == "<span># Does not fit as asked: see What to change below first.</span>"
    assert not [line for line in lines if line.startswith("#")]  # every comment line in its <span>
    assert [line for line in lines if line.startswith("<span class=a>llama-server</span> ")]  # its own line


def test_what_runs_instead_names_only_formats_the_runtime_has_a_command_for(client, catalog):
    """The formats offered instead under the chosen runtime are ones it has a command for (each one,
    asked for, gets its command), and where another runtime runs the chosen format that is said plainly."""
    query = "model=qwen3-8b&gpu=apple-m4-max-128gb&runtime=lm-studio"
    text = launch_text(client, f"{query}&quant=mlx-3bit")
    here = re.search(r"^# Here it runs as (.*) in LM Studio: choose one in the form\.$", text, re.M)
    assert here and "# Here it runs as MLX 3-bit in MLX: pick MLX." in text.splitlines()
    names = re.split(r", | or ", here.group(1))
    slugs = dict(Quantization.objects.values_list("name", "slug"))
    for name in names:
        api = client.get(f"/api/v1/estimate?{query}&quant={slugs[name]}").json()
        assert any("lms" in p["commands"] for p in api["plans"]), name


def test_lm_studio_makes_one_file_where_the_gguf_is_published_only_in_parts(client, catalog):
    """unsloth/DeepSeek-R1-GGUF holds its GGUFs in folders of parts, which lms get is not documented to
    fetch: LM Studio imports one file made from the model's own checkpoint, as Ollama does, instead of
    naming formats that are themselves unavailable to it."""
    for quant in ("", "&quant=q6_k"):
        query = f"model=deepseek-r1&gpu=geforce-rtx-3090&count=2&ram_gb=512&runtime=lm-studio{quant}"
        plans = client.get(f"/api/v1/estimate?{query}").json()["plans"]
        lms = [p["commands"]["lms"] for p in plans if "lms" in p["commands"]]
        assert lms, query
        for text in lms:
            assert "holds it in parts, and LM Studio does not document lms get for a GGUF in parts" in text
            assert "lms import models/DeepSeek-R1-" in text and "single files only" not in text


def test_the_command_of_a_plan_that_does_not_fit_says_so_first(client, catalog):
    query = "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768"
    command = launch_text(client, query)
    assert command.startswith("# Does not fit as asked: see What to change below first.\n")
    fits = client.get("/?" + query.replace("ctx=32768", "ctx=8192")).text
    assert "Does not fit as asked" not in fits


def test_lm_studio_is_sized_as_the_engine_it_runs_the_format_on(client, catalog):
    """LM Studio runs GGUF files on llama.cpp and MLX conversions on MLX (catalog/runtimes.py): the same
    plans and numbers as those runtimes, with its own lms command beside theirs."""
    for query, same_as in (
        ("model=qwen3-8b&gpu=geforce-rtx-3090&count=2", "llama-cpp"),
        ("model=qwen3-8b&quant=mlx-4bit&gpu=apple-m4-max-128gb", "mlx"),
    ):
        lms = client.get(f"/api/v1/estimate?{query}&runtime=lm-studio").json()
        other = client.get(f"/api/v1/estimate?{query}&runtime={same_as}").json()
        assert [(p["strategy"], p["decode_tok_s"]) for p in lms["plans"]] == [
            (p["strategy"], p["decode_tok_s"]) for p in other["plans"]
        ]
        assert [p["commands"].get("lms") for p in lms["plans"]] == [
            o["commands"].get("lms") for o in other["plans"]
        ]
        assert lms["plans"][0]["commands"]["lms"].startswith("lms get https://huggingface.co/")
    refused = client.get(
        "/api/v1/estimate?model=qwen3-8b&quant=mlx-4bit&gpu=geforce-rtx-3090&runtime=lm-studio"
    )
    assert refused.status_code == 400
    assert "LM Studio does not run MLX 4-bit" in refused.json()["errors"]["quant"][0]


def test_granite_4_h_small_on_a_4090_fits_shows_its_state_and_downloads_ibms_gguf(client, catalog):
    # a Mamba-2 hybrid: IBM publishes its Q4_K_M GGUF (ibm-granite/gguf's collection mapping), and vLLM's
    # registry runs the checkpoint (vllm/model_executor/models/registry.py at 0002bff0)
    query = "model=granite-4-0-h-small&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=32768"
    answer = client.get(f"/api/v1/estimate?{query}").json()
    assert answer["memory"]["recurrent_state_bytes"] == 36 * 4_295_680  # 147 MiB, whatever the context
    assert answer["memory"]["kv_cache_bytes"] == 4 * 8 * 128 * 2 * 2 * 32768  # 4 attention layers of 40
    plan = answer["plans"][0]
    assert plan["strategy"] == "single"
    command = plan["commands"]["llama-server"]
    assert "-hf ibm-granite/granite-4.0-h-small-GGUF" in command and "convert_hf_to_gguf" not in command
    parse(command)
    # a format IBM's repository is not known to hold is still converted (convert_hf_to_gguf.py at 0024aa74
    # registers GraniteMoeHybridForCausalLM)
    q8 = client.get("/api/v1/estimate?model=granite-4-0-h-small&quant=q8_0&gpu=h100-sxm5-80-gb").json()
    assert (
        "python convert_hf_to_gguf.py models/granite-4.0-h-small --outtype bf16"
        in (q8["plans"][0]["commands"]["llama-server"])
    )
    page = client.get(f"/?{query}").content.decode()
    assert "Granite 4.0-H Small" in page and "147 MiB" in page
    bf16 = client.get("/api/v1/estimate?model=granite-4-0-h-small&quant=bf16&gpu=h100-sxm5-80-gb").json()
    vllm = bf16["plans"][0]["commands"]["vllm"]
    assert vllm.startswith("vllm serve ibm-granite/granite-4.0-h-small")
    parse(vllm)


def test_a_launch_command_wraps_between_its_arguments_and_copies_unchanged():
    """A phone shows the whole command (the review: only "vllm serve casperhansen/llama-3.3-70" was visible): each
    flag stays with its value, a long value may break, and the text Copy copies is the command as written."""
    from calculator.templatetags.calculator import command_lines

    text = "# a comment\nvllm serve casperhansen/llama-3.3-70b-instruct-awq --max-model-len 32768 --gpu-memory-utilization 0.92"
    marked = str(command_lines(text))
    assert html.unescape(re.sub(r"<[^>]+>", "", marked)) == text
    assert "<span class=a>--max-model-len 32768</span>" in marked
    assert "<span class=l><span class=a>--gpu-memory-utilization</span> 0.92</span>" in marked
    assert "<span class=l>casperhansen/llama-3.3-70b-instruct-awq</span>" in marked
    assert "vllm serve " in marked  # a word without a hyphen needs no span
    assert marked.startswith("<span># a comment</span>\n")


def test_what_runs_instead_names_only_formats_that_fit_the_hardware(client, catalog):
    """The review: AWQ for Qwen3-30B-A3B under vLLM on an RTX 4090 said "Here it runs as GPTQ 4-bit g128, FP8
    (E4M3) or BF16 in vLLM", where FP8 (~30 GB) and BF16 (57 GiB) do not fit 24 GB. Each format named fits."""
    query = "model=qwen3-30b-a3b&gpu=geforce-rtx-4090&runtime=vllm&ctx=32768"
    text = launch_text(client, f"{query}&quant=awq-4bit")
    here = re.search(r"^# Here it runs as (.*) in vLLM: choose one in the form\.$", text, re.M)
    assert here, text
    names = re.split(r", | or ", here.group(1))
    assert "BF16" not in names and "FP8 (E4M3)" not in names
    slugs = dict(Quantization.objects.values_list("name", "slug"))
    for name in names:
        api = client.get(f"/api/v1/estimate?{query}&quant={slugs[name]}").json()
        assert api["recommended"] is not None, name
