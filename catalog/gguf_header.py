"""A GGUF file's header, read within the bytes it has: metadata and tensor shapes, never tensor data.

GGUF is llama.cpp's model file (spec: ggml-org/ggml `docs/gguf.md`). Versions 2 and 3, little endian:

    magic "GGUF", version u32, tensor_count u64, kv_count u64,
    kv_count × (key: string, value type: u32, value),
    tensor_count × (name: string, n_dims: u32, n_dims × dim: u64, ggml type: u32, offset: u64),
    then the tensor data.

A string is a u64 byte length and that many UTF-8 bytes; an array is an element type u32, a u64
count and the elements. Every count and length here is checked against the bytes actually present
before anything is allocated or looped over, so a few hundred bytes claiming 10^6 tensors or a 2^40
byte string fail at once with a message naming the problem. Of the metadata only what the caller
keeps is stored (scalars, strings cut to MAX_TEXT_BYTES, arrays as their length); array bodies are
skipped by arithmetic when their elements have a fixed size and walked, bounded, when they are strings.

Uploads are often just the file's first megabytes (`head -c 32M model.gguf`), so the tensor table may
be cut off: then the header says how many tensor infos it read, and the parameter count is unknown.
Cut-off metadata is an error: the model's dimensions may be in the part that is missing.
"""

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

from catalog.config_json import ModelFileError

MAGIC = b"GGUF"
VERSIONS = (2, 3)  # version 1 had u32 counts; llama.cpp's gguf.cpp refuses it too

# Limits on what a header may claim. Real headers hold a few dozen metadata keys and a few thousand
# tensors; the limits are far above that and keep the work per upload to a fraction of a second.
MAX_KEYS = 10_000
MAX_KEY_BYTES = 256  # keys are dotted names such as `llama.attention.head_count_kv`
MAX_TENSORS = 100_000
MAX_DIMS = 4  # GGML_MAX_DIMS: gguf.cpp refuses a tensor with more dimensions
MAX_TENSOR_NAME_BYTES = 63  # GGML_MAX_NAME is 64 with the NUL; gguf.cpp refuses longer names
MAX_ELEMENTS = 2**63 - 1  # ggml counts a tensor's elements in an int64; gguf.cpp checks the same
MAX_STRINGS_WALKED = 2_000_000  # strings inside arrays (vocabulary, merges), over the whole header
MAX_TEXT_BYTES = 200  # a kept string value is cut to this (the catalog's name field holds 200)

STRING, ARRAY = 8, 9
# The other value types, each a fixed-size number: type → (name, struct format)
SCALAR_TYPES = {
    0: ("uint8", "<B"),
    1: ("int8", "<b"),
    2: ("uint16", "<H"),
    3: ("int16", "<h"),
    4: ("uint32", "<I"),
    5: ("int32", "<i"),
    6: ("float32", "<f"),
    7: ("bool", "<?"),
    10: ("uint64", "<Q"),
    11: ("int64", "<q"),
    12: ("float64", "<d"),
}
SCALARS = {kind: struct.Struct(fmt) for kind, (_, fmt) in SCALAR_TYPES.items()}
TYPE_NAMES = {kind: name for kind, (name, _) in SCALAR_TYPES.items()}
U32, U64 = SCALARS[4], SCALARS[10]
# What follows a tensor's dimension count: its dimensions (u64 each), ggml type (u32), data offset (u64)
TENSOR_REST = [struct.Struct(f"<{n}QIQ") for n in range(MAX_DIMS + 1)]
OUTPUT_WEIGHT = b"output.weight"


class GgufError(ModelFileError):
    """The bytes are not a GGUF header we can read; the message says where and why."""


class CutOff(GgufError):
    """The bytes end before what the header describes: a damaged file, or only the file's first bytes."""


Value = int | float | bool | str | tuple[int, ...]
# A per-layer array a caller asks for whole is stored as its integers (else as its length), up to this many:
# llama.cpp writes attention.head_count_kv and feed_forward_length per layer for hybrids (0 in a layer with no
# attention or no FFN: convert_hf_to_gguf.py's GraniteHybridModel and NemotronHModel)
MAX_LAYER_ARRAY = 4096
INTEGER_TYPES = (0, 1, 2, 3, 4, 5, 10, 11)


@dataclass(frozen=True)
class GgufHeader:
    version: int
    metadata: dict[
        str, Value
    ]  # the kept keys; an array's value is its length, or its integers if asked whole
    tensor_count: int  # as the header states it
    tensors_read: int  # tensor infos within the bytes given (fewer when the table is cut off)
    n_elements: int  # summed over the tensors read
    has_output_weight: bool  # an `output.weight` among the tensors read (else the embeddings are tied)

    @property
    def tensor_table_complete(self) -> bool:
        return self.tensors_read == self.tensor_count


class _Cursor:
    """A position in the bytes; every read first checks that what it needs is there.

    `what` names the part being read, for the error message: a template filled with `args` only when
    there is an error, so the loops over tensors and strings format nothing.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.strings_walked = 0

    def need(self, n: int, what: str, *args: object) -> None:
        left = len(self.data) - self.pos
        if n > left:
            raise CutOff(
                f"The GGUF header is cut off or damaged: {what.format(*args)} needs {n:,} bytes at byte "
                f"{self.pos:,}, but only {left:,} remain."
            )

    def unpack(self, fmt: struct.Struct, what: str, *args: object) -> tuple:
        self.need(fmt.size, what, *args)
        self.pos += fmt.size
        return fmt.unpack_from(self.data, self.pos - fmt.size)

    def u32(self, what: str, *args: object) -> int:
        return self.unpack(U32, what, *args)[0]

    def u64(self, what: str, *args: object) -> int:
        return self.unpack(U64, what, *args)[0]

    def string(self, what: str, *args: object, limit: int | None = None) -> bytes:
        """A string's bytes, refused if longer than `limit`; without a limit, its first MAX_TEXT_BYTES."""
        n = self.u64("the length of " + what, *args)
        if limit is not None and n > limit:
            raise GgufError(
                f"The GGUF header gives {what.format(*args)} a length of {n:,} bytes; at most {limit} are allowed."
            )
        self.need(n, what, *args)
        start, self.pos = self.pos, self.pos + n
        return self.data[start : start + min(n, limit or MAX_TEXT_BYTES)]

    def value(self, kind: int, key: str, *, keep: bool, whole: bool = False) -> Value | None:
        """One metadata value: returned if kept (an array as its length, or `whole`: a short integer
        array's elements), else skipped."""
        if kind in SCALARS:
            value = self.unpack(SCALARS[kind], "the {} value of {!r}", TYPE_NAMES[kind], key)[0]
            return value if keep else None
        if kind == STRING:
            text = self.string("the string value of {!r}", key)
            return text.decode("utf-8", errors="replace") if keep else None
        if kind == ARRAY:
            kind = self.u32("the element type of the array {!r}", key)
            count = self.u64("the length of the array {!r}", key)
            if keep and whole and kind in INTEGER_TYPES and count <= MAX_LAYER_ARRAY:
                item = SCALARS[kind]
                self.need(item.size * count, "the array {!r} of {:,} {}", key, count, TYPE_NAMES[kind])
                start, self.pos = self.pos, self.pos + item.size * count
                return tuple(v for (v,) in item.iter_unpack(self.data[start : self.pos]))
            return self.skip_array(key, kind, count)
        raise GgufError(f"The GGUF header gives {key!r} the unknown value type {kind:,}.")

    def skip_array(self, key: str, kind: int, count: int) -> int:
        """Step over an array (its element type and length read) without storing it; its length."""
        if kind in SCALARS:
            size = SCALARS[kind].size * count
            self.need(size, "the array {!r} of {:,} {}", key, count, TYPE_NAMES[kind])
            self.pos += size
        elif kind == STRING:
            self.need(count * 8, "the array {!r} of {:,} strings", key, count)
            self.strings_walked += count
            if self.strings_walked > MAX_STRINGS_WALKED:
                raise GgufError(
                    f"The GGUF header's arrays hold over {MAX_STRINGS_WALKED:,} strings in all (at {key!r}); "
                    "a vocabulary and its merges are far fewer."
                )
            cut = CutOff(
                f"The GGUF header is cut off or damaged: the {count:,} strings of the array {key!r} "
                f"run past the end of the {len(self.data):,} bytes."
            )
            data, pos, end, length = self.data, self.pos, len(self.data), U64.unpack_from
            for _ in range(count):  # the hot loop of a real header: its vocabulary and merges
                if pos + 8 > end:
                    raise cut
                pos += 8 + length(data, pos)[0]
            if pos > end:
                raise cut
            self.pos = pos
        elif kind == ARRAY:
            raise GgufError(f"The GGUF header nests arrays in {key!r}; gguf.cpp refuses them too.")
        else:
            raise GgufError(f"The GGUF header gives the array {key!r} the unknown element type {kind:,}.")
        return count


def read_header(
    data: bytes,
    *,
    keep: Callable[[str], bool] | None = None,
    whole: Callable[[str], bool] | None = None,
) -> GgufHeader:
    """The header at the start of `data`: a whole GGUF file, or its first bytes.

    `keep(key)` says which metadata values to store (all when None), `whole(key)` which kept integer arrays
    to store as their elements (up to MAX_LAYER_ARRAY of them) rather than their length. Raises GgufError (a
    ModelFileError) naming what is wrong; a tensor table cut off by the end of `data` is not an error.
    """
    if not data.startswith(MAGIC):
        raise GgufError(f"Not a readable GGUF file: it starts with {bytes(data[:4])!r}, not {MAGIC!r}.")
    c = _Cursor(data)
    c.pos = len(MAGIC)
    version = c.u32("the version")
    if int.from_bytes(version.to_bytes(4, "little"), "big") in VERSIONS:
        raise GgufError("Not a readable GGUF file: it is big-endian; only little-endian files are read.")
    if version not in VERSIONS:
        raise GgufError(f"Not a readable GGUF file: version {version:,}; versions 2 and 3 are read.")
    tensor_count = c.u64("the tensor count")
    kv_count = c.u64("the metadata count")
    if tensor_count > MAX_TENSORS:
        raise GgufError(f"The GGUF header claims {tensor_count:,} tensors; at most {MAX_TENSORS:,} are read.")
    if kv_count > MAX_KEYS:
        raise GgufError(f"The GGUF header claims {kv_count:,} metadata keys; at most {MAX_KEYS:,} are read.")

    metadata: dict[str, Value] = {}
    seen: set[str] = set()
    for i in range(kv_count):
        key = c.string("metadata key {:,}", i, limit=MAX_KEY_BYTES).decode("utf-8", errors="replace")
        if key in seen:
            raise GgufError(f"The GGUF header has the metadata key {key!r} twice.")
        seen.add(key)
        kept = keep is None or keep(key)
        wanted_whole = kept and whole is not None and whole(key)
        value = c.value(c.u32("the value type of {!r}", key), key, keep=kept, whole=wanted_whole)
        if kept:
            metadata[key] = value

    tensors_read, n_elements, has_output = _tensor_table(c, tensor_count)
    return GgufHeader(version, metadata, tensor_count, tensors_read, n_elements, has_output)


def _tensor_table(c: _Cursor, count: int) -> tuple[int, int, bool]:
    """(tensor infos read, their elements, is `output.weight` among them), up to `count` infos or the end
    of the bytes: an upload that ends inside the table is read as far as it goes.

    A tight loop (up to MAX_TENSORS times) rather than the cursor's checked reads, each bound checked here.
    """
    data, pos, end = c.data, c.pos, len(c.data)
    read, elements, has_output = 0, 0, False
    while read < count and pos + 8 <= end:
        (n,) = U64.unpack_from(data, pos)
        if n > MAX_TENSOR_NAME_BYTES:
            raise GgufError(
                f"The GGUF header gives the name of tensor {read:,} a length of {n:,} bytes; "
                f"at most {MAX_TENSOR_NAME_BYTES} are allowed."
            )
        name, pos = data[pos + 8 : pos + 8 + n], pos + 8 + n
        if pos + 4 > end:
            break
        (n_dims,) = U32.unpack_from(data, pos)
        if n_dims > MAX_DIMS:
            raise GgufError(
                f"The GGUF header gives tensor {name.decode(errors='replace')!r} {n_dims:,} dimensions; "
                f"ggml tensors have at most {MAX_DIMS}."
            )
        rest = TENSOR_REST[n_dims]
        if pos + 4 + rest.size > end:
            break
        *dims, _ggml_type, _offset = rest.unpack_from(data, pos + 4)
        pos += 4 + rest.size
        size = math.prod(dims)
        if size > MAX_ELEMENTS:
            raise GgufError(
                f"The GGUF header gives tensor {name.decode(errors='replace')!r} {size:,} elements; "
                "ggml counts them in an int64."
            )
        read, elements, has_output = read + 1, elements + size, has_output or name == OUTPUT_WEIGHT
    return read, elements, has_output
