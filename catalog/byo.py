"""Bring your own model: a Hugging Face config.json, a Hub repo id, or a GGUF file's header → a model.

Every entry point returns an unsaved `LlmModel` (`to_llm`) or the engine's `ModelSpec` (`to_spec`);
whatever is wrong with the input raises `ModelFileError` (a ValueError) with a message naming it.
"""

import json
import re
from pathlib import Path

import pydantic

from estimator import ModelSpec

from .config_json import (
    HF_REPO_ID,
    MAX_CONFIG_BYTES,
    MAX_JSON_DEPTH,
    HfConfig,
    ModelFileError,
    canonical_config,
    estimate_params,
    json_too_deep,
    loads_bounded,
    parse_config,
)
from .gguf_config import (
    GGUF_KEYS,
    GGUF_MAGIC,
    MAX_UPLOAD_BYTES,
    _gguf_header_config,  # noqa: F401  (tests read the header parts apart)
    _gguf_wanted,  # noqa: F401
    from_gguf,
    gguf_config,
    gguf_start_config,
)
from .quantization_config import DeclaredFormat, checkpoint_format, declared_format

__all__ = [
    "GGUF_KEYS",
    "GGUF_MAGIC",
    "HF_REPO_ID",
    "DeclaredFormat",
    "MAX_CONFIG_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_UPLOAD_BYTES",
    "HfConfig",
    "HubTooSlow",
    "ModelFileError",
    "NoConfigJson",
    "canonical_config",
    "check_repo_id",
    "checkpoint_format",
    "declared_format",
    "estimate_params",
    "from_gguf",
    "from_hub",
    "gguf_config",
    "gguf_start_config",
    "hub_config",
    "json_too_deep",
    "loads_bounded",
    "parse_config",
    "to_llm",
    "to_spec",
    "upload_to_config",
]


def to_llm(fields: dict):
    """An unsaved LlmModel from parsed fields, validated as the admin would."""
    from django.core.exceptions import ValidationError

    from .models import LlmModel

    model = LlmModel(**fields)
    try:
        model.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as e:
        raise ModelFileError(f"The model is not valid: {'; '.join(e.messages)}") from None
    return model


def to_spec(fields: dict) -> ModelSpec:
    """The engine's ModelSpec from parsed fields (nothing saved), for "use my own model"."""
    known = set(ModelSpec.model_fields)
    try:
        return ModelSpec(**{k: v for k, v in fields.items() if k in known})
    except pydantic.ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg'].lower()}" for err in e.errors())
        raise ModelFileError(f"The model is not consistent: {problems}.") from None


class NoConfigJson(ModelFileError):
    """The Hub repo has no config.json (a GGUF-only repo has none); the message says so."""


class HubTooSlow(ModelFileError):
    """The Hub did not answer within the deadline; worth trying again soon, unlike a refusal."""

    @classmethod
    def after(cls, timeout_s: float, repo_id: str) -> "HubTooSlow":
        return cls(
            f"The Hugging Face Hub did not answer within {timeout_s:g} s: paste {repo_id}'s config.json "
            "instead."
        )


# A model page's address pasted for its id (a visitor review: https://huggingface.co/Qwen/Qwen3-32B was refused)
HUB_ADDRESS = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<id>[^/?#\s]+/[^/?#\s]+)")


def check_repo_id(text: str) -> str:
    """A Hugging Face repo id as typed, stripped, or taken from its page's address (`HUB_ADDRESS`, its
    /tree/main and the like dropped); ModelFileError if it is not one (asked nowhere)."""
    repo_id = text.strip()
    if address := HUB_ADDRESS.match(repo_id):
        repo_id = address["id"]
    if not HF_REPO_ID.match(repo_id):
        raise ModelFileError(
            f"“{repo_id[:100]}” is not a Hugging Face repo id: owner/name, as in Qwen/Qwen3-8B."
        )
    return repo_id


def hub_config(repo_id: str, *, timeout_s: float, revision: str = "main") -> dict:
    """config.json of a Hugging Face repo (public, or with HF_TOKEN) as a JSON object, fetched within
    `timeout_s` in this thread (catalog/hub.py). The admin import and the public page both fetch through
    here; every failure is a ModelFileError saying what to do, NoConfigJson when the repo has none."""
    from . import hub

    repo_id = check_repo_id(repo_id)
    try:
        data = hub.get_file(
            repo_id, "config.json", revision=revision, timeout_s=timeout_s, max_bytes=MAX_CONFIG_BYTES
        )
    except hub.HubTimeout:
        raise HubTooSlow.after(timeout_s, repo_id) from None
    except hub.HubNotFound as e:
        raise NoConfigJson(str(e)) from None
    except hub.HubError as e:  # the Hub's refusals name the repository and what to do
        raise ModelFileError(str(e)) from None
    raw = loads_bounded(data, what=f"config.json of {repo_id}")
    if not isinstance(raw, dict):
        raise ModelFileError(f"config.json of {repo_id} is not a JSON object.")
    return raw


def from_hub(repo_id: str, *, revision: str = "main", timeout_s: float = 10) -> dict:
    """LlmModel fields from the config.json of a Hugging Face repo (`hub_config`), for the admin."""
    repo_id = check_repo_id(repo_id)
    raw = hub_config(repo_id, revision=revision, timeout_s=timeout_s)
    return parse_config(json.dumps(raw), hf_id=repo_id)


# The first bytes of the images a visitor may pick by mistake: PNG, JPEG, GIF, WebP (RIFF....WEBP)
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def upload_to_config(data: bytes, *, filename: str = "") -> str:
    """An uploaded config.json or GGUF file (or just its first megabytes) → canonical config.json text. A
    refusal names the file and what it is: empty, an image, a .gguf that is not one, JSON that is not valid."""
    name = Path(filename).name[:100] or "The file"
    if len(data) > MAX_UPLOAD_BYTES:
        raise ModelFileError(
            f"{name} is {len(data) / 2**20:,.0f} MiB; upload at most "
            f"{MAX_UPLOAD_BYTES // 2**20} MiB. For a GGUF, its header is enough: "
            "head -c 32M model.gguf > header.gguf"
        )
    if not data:
        raise ModelFileError(f"{name} is empty: choose a config.json, or a GGUF file's first megabytes.")
    if data.startswith(GGUF_MAGIC):
        return gguf_start_config(data, fallback_name=Path(filename).stem)
    if data.startswith(IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise ModelFileError(f"{name} is an image, not a config.json or GGUF file.")
    if name.lower().endswith(".gguf"):
        raise ModelFileError(
            f"{name} does not start with GGUF (its first bytes are {data[:4]!r}): it is not a GGUF file, or "
            "not its beginning. The start of one is enough: head -c 32M model.gguf > header.gguf"
        )
    return canonical_config(data, what=name if filename else "config.json")
