"""The oldest release of each program a launch command needs, read from the flags and forms it uses.

A visitor on an older build who copies a command gets "unknown argument", or a setting silently ignored.
`FORMS` is the one table: each flag or form a command may use that some releases lack, the first release
that takes it and the public source that shows it. A command needs, per program, the newest release among
the forms it uses (`releases_needed`); a program none of whose forms it uses is not named.

Each release was read in the program's own history, not guessed:
- Ollama: `git tag --contains` of the commit that brought the variable or code (github:ollama/ollama at
  fb307609), checked against the release before it (`git grep` at that tag finds none).
- huggingface_hub: the same, in github:huggingface/huggingface_hub at ee0a4510.
- mlx-lm: the same, in github:ml-explore/mlx-lm at d78bf58e (v0.30.5's server.py has no --decode-concurrency).
- vLLM: the source distributions on PyPI (vllm-0.11.0, 0.11.1, 0.11.2, 0.12.0 .tar.gz): the first whose
  vllm/engine/arg_utils.py or vllm/transformers_utils/config.py holds the code, the one before it without.

Left out, for want of a release that could be established from the sources at hand (ask before adding one):
llama.cpp's forms (-fa on|off, -sm tensor, -fit, --n-cpu-moe, --no-mmproj, -hf repo:quant; its releases,
bNNNN, count commits on master, and its history was too large to fetch here), SGLang's, LM Studio's lms,
ComfyUI's and diffusers'.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from .schema import CommandRelease

# Each program's public page of a release, by its tag.
RELEASE_PAGES = {
    "Ollama": "https://github.com/ollama/ollama/releases/tag/{}",
    "huggingface_hub": "https://github.com/huggingface/huggingface_hub/releases/tag/{}",
    "mlx-lm": "https://github.com/ml-explore/mlx-lm/releases/tag/{}",
    "vLLM": "https://github.com/vllm-project/vllm/releases/tag/{}",
}


@dataclass(frozen=True)
class Form:
    program: str  # a key of RELEASE_PAGES
    flag: str  # the flag or form as the page names it
    pattern: str  # found in one line of the command, its comment lines left out
    release: str  # the first release that takes it (a tag)
    source: str  # the commit, pull request or release file that shows it

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", self.release))


FORMS = (
    # ---- Ollama: the server's environment, `ollama create` ----
    Form(
        "Ollama",
        "OLLAMA_NUM_PARALLEL",
        r"\bOLLAMA_NUM_PARALLEL=",
        "v0.1.33",
        "https://github.com/ollama/ollama/commit/b123be5b71bb25bbeac581b1355b8a44ee9b1fe6",
    ),
    Form(
        "Ollama",
        "OLLAMA_FLASH_ATTENTION",
        r"\bOLLAMA_FLASH_ATTENTION=",
        "v0.1.39",
        "https://github.com/ollama/ollama/pull/4580",
    ),
    Form(
        "Ollama",
        "OLLAMA_SCHED_SPREAD",
        r"\bOLLAMA_SCHED_SPREAD=",
        "v0.1.45",
        "https://github.com/ollama/ollama/commit/5e8ff556cb23d80e41cf5c018775b10a431e31ba",
    ),
    Form(
        "Ollama",
        "OLLAMA_KV_CACHE_TYPE",
        r"\bOLLAMA_KV_CACHE_TYPE=",
        "v0.5.0",
        "https://github.com/ollama/ollama/pull/6279",
    ),
    Form(
        "Ollama",
        "OLLAMA_CONTEXT_LENGTH",
        r"\bOLLAMA_CONTEXT_LENGTH=",
        "v0.5.13",
        "https://github.com/ollama/ollama/pull/8938",
    ),
    Form(  # a Modelfile FROM a folder (not a .gguf file): a GGUF's parts, merged by `ollama create`
        "Ollama",
        "a Modelfile FROM a folder of GGUF parts",
        r"echo 'FROM (?!\S*\.gguf')[./]\S*' > Modelfile",
        "v0.30.0",
        "https://github.com/ollama/ollama/pull/16031",
    ),
    # ---- huggingface_hub's CLI ----
    Form(
        "huggingface_hub",
        "hf download",
        r"(^|\s)hf download\s",
        "v0.34.0",
        "https://github.com/huggingface/huggingface_hub/pull/3229",
    ),
    # before v1.0 --exclude was one argparse option (nargs="*"): a second --exclude replaced the first
    Form(
        "huggingface_hub",
        "a second --exclude",
        r"(^|\s)hf download\s.*--exclude\s.*--exclude\s",
        "v1.0.0",
        "https://github.com/huggingface/huggingface_hub/commit/52c718a543825c97e143f33f1f4f6a22866811a0",
    ),
    # ---- mlx-lm ----
    Form(
        "mlx-lm",
        "--decode-concurrency",
        r"\bmlx_lm\.server\s.*--decode-concurrency\b",
        "v0.30.6",
        "https://github.com/ml-explore/mlx-lm/pull/741",
    ),
    # ---- vLLM ----
    Form(  # over machines without Ray: absent from v0.11.0's arg_utils.py
        "vLLM",
        "--nnodes, --node-rank, --master-addr",
        r"\bvllm serve\s.*--nnodes\b",
        "v0.11.1",
        "https://github.com/vllm-project/vllm/blob/v0.11.1/vllm/engine/arg_utils.py",
    ),
    Form(  # before it, a rope_parameters override was set on the config and never read
        "vLLM",
        "--hf-overrides with rope_parameters",
        r"\bvllm serve\s.*--hf-overrides\s+'\{\"rope_parameters\"",
        "v0.12.0",
        "https://github.com/vllm-project/vllm/pull/28542",
    ),
)
_COMPILED = tuple((form, re.compile(form.pattern)) for form in FORMS)


@lru_cache(maxsize=4096)
def releases_needed(command: str) -> tuple[CommandRelease, ...]:
    """Per program whose forms `command` uses, the newest release among them (the oldest release that
    runs the whole command), in the order the command first uses each program; comment lines are read
    as words, not run, and so left out."""
    lines = [line for line in command.splitlines() if not line.lstrip().startswith("#")]
    used: dict[str, list[tuple[int, Form]]] = {}
    for n, line in enumerate(lines):
        for form, pattern in _COMPILED:
            if pattern.search(line):
                used.setdefault(form.program, []).append((n, form))
    needs = []
    for program, found in sorted(used.items(), key=lambda item: min(n for n, _ in item[1])):
        forms = list(dict.fromkeys(form for _, form in found))
        newest = max(forms, key=lambda form: form.order)
        needs.append(
            CommandRelease(
                program=program,
                release=newest.release,
                url=RELEASE_PAGES[program].format(newest.release),
                flags=tuple(form.flag for form in forms if form.release == newest.release),
            )
        )
    return tuple(needs)


def command_releases(commands: dict[str, str]) -> dict[str, tuple[CommandRelease, ...]]:
    """`releases_needed` of each command that needs a release named, by the key of `commands`."""
    return {tool: needs for tool, command in commands.items() if (needs := releases_needed(command))}
