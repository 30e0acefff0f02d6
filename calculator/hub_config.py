"""A Hugging Face id typed on the public page → the model's config.json and the formats its repo holds.

Within one deadline for the whole (catalog/hub.py: nothing runs on after it), the Hub is asked for the
repo's config.json, then for its file list (`/api/models/{id}`, huggingface_hub's `model_info`): GGUF
files by the quant in their names (`*-Q4_K_M.gguf`, split ones as one), safetensors as the checkpoint,
whose config.json's quantization_config says its format (AWQ, GPTQ, FP8, MXFP4, MLX...). A repo without
config.json (GGUF only) is read from the first megabytes of one of its GGUF files. The answer then uses
the format found: an AWQ checkpoint is sized as AWQ (the form fills in the format its config.json declares,
as for a config.json pasted or uploaded: calculator/forms.py `own_format`), a GGUF repo as one of its own
quants.

Each repo is asked once per day (an answer is cached; a refusal for a few minutes, so a visitor retrying
a typo does not hit the Hub each time, and a timeout for a minute). The config and the format are kept in
the permalink, so the answer reproduces without the Hub later; the list of files is shown while cached.
"""

import hashlib
import json
import re
import time
from dataclasses import dataclass, field, replace

import pydantic
from django.core.cache import cache

from catalog import byo, hub
from catalog.models import LlmModel, Quantization

from .forms import put_own_model

TIMEOUT_S = 5
FOUND_TTL_S = 24 * 3600
REFUSED_TTL_S = 300  # a gated, missing or malformed repo; a timeout is tried again after a minute
TIMEOUT_TTL_S = 60
MAX_LISTING_BYTES = byo.MAX_CONFIG_BYTES  # ~4,000 files with their sizes; a larger repo is not listed
GGUF_HEADER_BYTES = 16 * 2**20  # metadata with a 150k-token vocabulary and its merges fits in ~10 MB
PREFERRED_GGUF = "q4_k_m"  # when the visitor's format is not among a GGUF repo's files

# The llama.cpp file types as GGUF repos name their files (`Model-Q4_K_M.gguf`, `model-q8_0.gguf`,
# unsloth's `UD-Q4_K_XL`), after tools/quantize/quantize.cpp's QUANT_OPTIONS.
GGUF_QUANT = re.compile(
    r"(?<![A-Za-z0-9])((?:UD-)?(?:IQ[1-4]_(?:XXS|XS|NL|S|M)|Q[2-8]_K(?:_[SMLX]{1,2})?|Q[4-8]_[01]|TQ[12]_0"
    r"|MXFP4(?:_MOE)?|BF16|F16|F32))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
GGUF_SHARD = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
UNQUANTIZED = {"bfloat16": "bf16", "float16": "f16", "float32": "f32"}  # config.json's torch_dtype
NOT_THE_MODEL = re.compile(r"(^|/)(mmproj|imatrix)[^/]*$", re.IGNORECASE)  # vision projector, calibration


@dataclass(frozen=True)
class Variant:
    """One way the repo holds the weights: a GGUF quant (one file, or the shards of one), or the
    safetensors checkpoint."""

    label: str  # "Q4_K_M", or "safetensors" for the checkpoint
    quant: str  # the catalog format it is sized as ("q4_k_m", "awq-4bit"), "" when the catalog has none
    files: tuple[str, ...]
    size_bytes: int | None


@dataclass(frozen=True)
class HubModel:
    repo_id: str
    config: (
        str  # canonical config.json text, named after the repo (with its checkpoint's format, if declared)
    )
    variants: tuple[Variant, ...] = ()
    note: str = ""  # why the file list is missing, in words for the visitor
    quant_names: dict[str, str] = field(default_factory=dict)  # slug -> the catalog's name

    @property
    def gguf_only(self) -> bool:
        return bool(self.variants) and all(v.label != "safetensors" for v in self.variants)

    def quant_for(self, chosen: str) -> str:
        """The format its files say to size: for a GGUF-only repo the visitor's choice if the repo has it,
        else Q4_K_M, else its smallest; "" otherwise (a checkpoint's own format is the one its config.json
        declares, which the form fills in)."""
        if self.gguf_only:
            offered = [v.quant for v in self.variants if v.quant]
            for quant in (chosen, PREFERRED_GGUF, *offered):
                if quant in offered:
                    return quant
        return ""

    def fill(self, query) -> None:
        """Put this model into the question (a mutable QueryDict): its config, and the format its repo
        holds (calculator/forms.py `put_own_model`, as for an uploaded file)."""
        put_own_model(query, self.config, self.quant_for(query.get("quant", "")))


def fill_question(query, repo_id: str) -> None:
    """Put the model at `repo_id` into the question: the catalog's model of that Hugging Face id, with its
    published files and without asking the Hub (a visitor typed Qwen/Qwen3-32B into "Use my own model"),
    else what the Hub answers (`model_from_hub`)."""
    repo_id = byo.check_repo_id(repo_id)
    known = LlmModel.objects.filter(hf_id__iexact=repo_id).only("slug").first()
    if known is None:
        model_from_hub(repo_id).fill(query)
        return
    query.setlist("model", [known.slug])
    query.pop("config", None)


def config_from_hub(repo_id: str) -> str:
    """The canonical config.json text of `repo_id` (see `model_from_hub`)."""
    return model_from_hub(repo_id).config


def _key(repo_id: str) -> str:
    return "hub-model:" + hashlib.sha256(repo_id.encode()).hexdigest()[:32]


def model_from_hub(repo_id: str) -> HubModel:
    """`repo_id`'s config.json, checkpoint format and variants. Raises byo.ModelFileError with a message
    for the visitor: not an id, gated, missing, not a model we can size, or the Hub too slow."""
    repo_id = byo.check_repo_id(repo_id)
    key = _key(repo_id)
    if (kept := cache.get(key)) is not None:
        found, value = kept
        if not found:
            raise byo.ModelFileError(value)
        return value
    try:
        found = _fetch(repo_id, deadline=time.monotonic() + TIMEOUT_S)
    except byo.ModelFileError as e:
        cache.set(key, (False, str(e)), TIMEOUT_TTL_S if isinstance(e, byo.HubTooSlow) else REFUSED_TTL_S)
        raise
    cache.set(key, (True, found), TIMEOUT_TTL_S if found.note else FOUND_TTL_S)
    return found


def cached(repo_id: str) -> HubModel | None:
    """What the Hub answered for `repo_id`, if it is still cached; the Hub is not asked."""
    if not byo.HF_REPO_ID.match(repo_id or ""):
        return None
    kept = cache.get(_key(repo_id))
    return kept[1] if kept and kept[0] else None


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.001)


def _fetch(repo_id: str, *, deadline: float) -> HubModel:
    missing, raw, config = None, None, ""
    try:
        raw = byo.hub_config(repo_id, timeout_s=TIMEOUT_S)
        config = byo.canonical_config(json.dumps({**raw, "_name_or_path": repo_id}))
    except byo.NoConfigJson as e:
        missing = e  # a GGUF-only repo: its file list says which GGUF to read
    try:
        listing, note = _listing(repo_id, timeout_s=_left(deadline)), ""
    except byo.ModelFileError as e:
        if isinstance(e, byo.HubTooSlow) and missing:
            raise byo.HubTooSlow.after(TIMEOUT_S, repo_id) from None
        if missing:
            raise missing from None
        listing, note = [], f"{e} The answer uses its config.json alone."
    variants = _variants(listing, raw)
    names = dict(
        Quantization.objects.filter(slug__in={v.quant for v in variants}).values_list("slug", "name")
    )
    variants = tuple(v if v.quant in names else replace(v, quant="") for v in variants)
    if not config:
        config = _config_from_gguf(repo_id, variants, deadline=deadline)
    return HubModel(repo_id, config, variants, note, names)


def _listing(repo_id: str, *, timeout_s: float) -> list[tuple[str, int | None]]:
    """(file name, size) of every file in the repo. ModelFileError for the visitor otherwise."""
    try:
        data = hub.model_info(repo_id, timeout_s=timeout_s, max_bytes=MAX_LISTING_BYTES)
    except hub.HubTimeout:
        raise byo.HubTooSlow(f"The Hub did not list {repo_id}'s files within {TIMEOUT_S} s.") from None
    except hub.HubTooLarge:
        raise byo.ModelFileError(
            f"{repo_id} lists too many files to read here (over {MAX_LISTING_BYTES:,} bytes)."
        ) from None
    except hub.HubNotFound:
        raise byo.ModelFileError(f"The Hub gave no file list for {repo_id} (HTTP 404).") from None
    except hub.HubError as e:
        raise byo.ModelFileError(f"Its file list could not be read: {e}") from None
    try:
        info = _ModelInfo.model_validate(byo.loads_bounded(data, what=f"The file list of {repo_id}"))
    except pydantic.ValidationError:
        raise byo.ModelFileError(f"The Hub's file list of {repo_id} is not one we can read.") from None
    return [(s.rfilename, s.size) for s in info.siblings]


class _Sibling(pydantic.BaseModel):
    """One file in `siblings` (huggingface_hub's RepoSibling: rfilename, size, blobId, lfs)."""

    model_config = pydantic.ConfigDict(extra="ignore")
    rfilename: str = pydantic.Field(min_length=1, max_length=1000)
    size: int | None = pydantic.Field(default=None, ge=0)


class _ModelInfo(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")
    siblings: list[_Sibling] = pydantic.Field(default_factory=list)


def _variants(files: list[tuple[str, int | None]], raw: dict | None) -> tuple[Variant, ...]:
    """The GGUF quants (smallest first), then the safetensors checkpoint, from the repo's file list."""
    ggufs: dict[tuple[str, str], list[tuple[str, int | None]]] = {}
    weights = []
    for name, size in files:
        lower = name.lower()
        if lower.endswith(".safetensors"):
            weights.append((name, size))
        if not lower.endswith(".gguf") or NOT_THE_MODEL.search(name):
            continue
        label = gguf_label(name)
        ggufs.setdefault((name.rsplit("/", 1)[0] if "/" in name else "", label), []).append((name, size))
    found = [_variant(label, label.lower(), shards) for (_, label), shards in ggufs.items()]
    found.sort(key=lambda v: (v.size_bytes is None, v.size_bytes or 0, v.files))
    if weights:
        dtype = str((raw or {}).get("torch_dtype") or (raw or {}).get("dtype") or "")
        quant = byo.checkpoint_format(raw or {}) or UNQUANTIZED.get(dtype, "")
        found.append(_variant("safetensors", quant, weights))
    return tuple(found)


def gguf_label(filename: str) -> str:
    """The llama.cpp file type a GGUF's name gives ("Q4_K_M"), the last one named; "" if none."""
    quants = GGUF_QUANT.findall(GGUF_SHARD.sub("", filename.rsplit("/", 1)[-1]))
    return quants[-1].upper() if quants else ""


def _variant(label: str, quant: str, files: list[tuple[str, int | None]]) -> Variant:
    sizes = [size for _, size in files]
    total = None if None in sizes else sum(sizes)
    return Variant(label or "GGUF", quant, tuple(sorted(name for name, _ in files)), total)


def _config_from_gguf(repo_id: str, variants: tuple[Variant, ...], *, deadline: float) -> str:
    """A GGUF-only repo's model, from the header of its smallest GGUF (every quant has the same one)."""
    ggufs = [v for v in variants if v.label != "safetensors"]
    if not ggufs:
        raise byo.ModelFileError(
            f"{repo_id} has neither a config.json nor a GGUF file: paste its model's config.json instead."
        ) from None
    first = ggufs[0].files[0]
    try:
        data = hub.get_file(
            repo_id, first, timeout_s=_left(deadline), max_bytes=GGUF_HEADER_BYTES, first_bytes=True
        )
    except hub.HubTimeout:
        raise byo.HubTooSlow.after(TIMEOUT_S, repo_id) from None
    except hub.HubError as e:
        raise byo.ModelFileError(str(e)) from None
    try:
        return byo.gguf_start_config(data, name=repo_id, one_shard_of_several=len(ggufs[0].files) > 1)
    except byo.ModelFileError as e:
        raise byo.ModelFileError(
            f"{repo_id} has no config.json, and the first {GGUF_HEADER_BYTES:,} bytes of {first} could "
            f"not be read as a GGUF header ({e}) Upload its first 32 MB instead: "
            "head -c 32M model.gguf > header.gguf"
        ) from None


@dataclass(frozen=True)
class Row:
    variant: Variant
    name: str  # "Q4_K_M", "safetensors, AWQ 4-bit g128"
    href: str  # the same question with this format, "" when it is the one shown or the catalog has none
    current: bool


@dataclass(frozen=True)
class Listing:
    hub: HubModel
    rows: tuple[Row, ...]


def for_page(question) -> Listing | None:
    """The Hub's files for the page's own model (a calculator Question), when that model was read from
    the Hub and the answer is still cached; the Hub is never asked here."""
    config = question.config
    if not config:
        return None
    found = cached(json.loads(config).get("_name_or_path", ""))
    if found is None or found.config != config:
        return None
    shown = question.quant.slug
    rows = tuple(
        Row(
            v,
            f"{v.label}, {found.quant_names[v.quant]}" if v.label == "safetensors" and v.quant else v.label,
            question.permalink(quant=v.quant) if v.quant and v.quant != shown else "",
            bool(v.quant) and v.quant == shown,
        )
        for v in found.variants
    )
    return Listing(found, rows)
