"""The bounded GGUF header reader: valid headers read back, hostile ones refused at once and clearly.

Hostile files are built byte by byte with `struct`, following the GGUF spec (magic, version, tensor
count, metadata count, metadata, tensor infos); valid ones come from the gguf package's own writer.
"""

import contextlib
import functools
import struct
import tempfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from gguf import GGUFReader, GGUFWriter
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import byo, gguf_header
from catalog.byo import ModelFileError
from catalog.gguf_header import read_header
from tests.catalog.test_byo import write_tiny_gguf
from tests.conftest import make_gpu, make_quant

UINT8, INT32, UINT32, FLOAT32, BOOL, STRING, ARRAY, UINT64 = 0, 5, 4, 6, 7, 8, 9, 10


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def string(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return u64(len(raw)) + raw


def kv(key: str, kind: int, payload: bytes) -> bytes:
    return string(key) + u32(kind) + payload


def tensor(name: str, *dims: int) -> bytes:
    return string(name) + u32(len(dims)) + b"".join(map(u64, dims)) + u32(0) + u64(0)


LLAMA = [
    kv("general.architecture", STRING, string("llama")),
    kv("llama.block_count", UINT32, u32(2)),
    kv("llama.embedding_length", UINT32, u32(64)),
    kv("llama.attention.head_count", UINT32, u32(4)),
    kv("llama.vocab_size", UINT32, u32(32)),
]


def gguf(kvs=LLAMA, tensors=(), *, tensor_count=None, kv_count=None, version=3) -> bytes:
    """A GGUF header; the counts default to what is given, or claim something else."""
    counts = u64(len(tensors) if tensor_count is None else tensor_count) + u64(
        len(kvs) if kv_count is None else kv_count
    )
    return b"GGUF" + u32(version) + counts + b"".join(kvs) + b"".join(tensors)


# The findings of issue 12, each as the old reader (gguf.GGUFReader) met it
A_MILLION_TENSORS = gguf(tensor_count=10**6).ljust(372, b"\0")  # took minutes and 4.6 GB
A_MILLION_ELEMENT_ARRAY = gguf([kv("a", ARRAY, u32(UINT8) + u64(10**6))]).ljust(102, b"\0")  # took 17 s
A_MILLION_STRINGS = gguf([kv("a", ARRAY, u32(STRING) + u64(10**6))]).ljust(102, b"\0")
A_DUPLICATE_KEY = gguf([*LLAMA, kv("llama.block_count", UINT32, u32(3))])  # KeyError, a 500
A_2_40_BYTE_STRING = gguf([kv("general.name", STRING, u64(2**40) + b"x" * 16)])  # MemoryError, a 500

FINDINGS = [
    pytest.param(A_MILLION_TENSORS, "claims 1,000,000 tensors; at most 100,000", id="million-tensors"),
    pytest.param(A_MILLION_ELEMENT_ARRAY, "array 'a' of 1,000,000 uint8 needs 1,000,000 bytes", id="array"),
    pytest.param(A_MILLION_STRINGS, "array 'a' of 1,000,000 strings needs 8,000,000 bytes", id="strings"),
    pytest.param(A_DUPLICATE_KEY, "metadata key 'llama.block_count' twice", id="duplicate-key"),
    pytest.param(
        A_2_40_BYTE_STRING, "needs 1,099,511,627,776 bytes at byte 56, but only 16", id="2^40-string"
    ),
]


@pytest.mark.parametrize(("data", "message"), FINDINGS)
def test_hostile_headers_are_refused_at_once_with_the_reason(data, message):
    with pytest.raises(ModelFileError, match=message):
        read_header(data)
    with pytest.raises(ModelFileError, match=message):  # the upload path, which used GGUFReader
        byo.upload_to_config(data, filename="evil.gguf")


# key: (GGUFWriter method, value): one of every value type, and enough of a llama for byo to size it
WRITTEN = {
    "general.name": ("add_string", "Rich Llama"),
    "llama.block_count": ("add_uint32", 2),
    "llama.embedding_length": ("add_uint32", 64),
    "llama.attention.head_count": ("add_uint32", 4),
    "llama.attention.head_count_kv": ("add_uint32", 2),
    "llama.context_length": ("add_uint64", 2048),
    "llama.attention.layer_norm_rms_epsilon": ("add_float32", 0.5),
    "test.uint8": ("add_uint8", 255),
    "test.int8": ("add_int8", -128),
    "test.uint16": ("add_uint16", 65535),
    "test.int16": ("add_int16", -2),
    "test.int32": ("add_int32", -7),
    "test.int64": ("add_int64", -(2**40)),
    "test.uint64": ("add_uint64", 2**64 - 1),
    "test.float64": ("add_float64", 0.1),
    "test.bool": ("add_bool", True),
    "tokenizer.ggml.tokens": ("add_array", ["<s>", "</s>", "héllo", "", "▁the"]),
    "tokenizer.ggml.scores": ("add_array", [0.0, -1.5, 2.0, 0.25, 1.0]),
    "llama.rope.dimension_sections": ("add_array", [16, 24, 24, 0]),
}


TENSORS = {"token_embd.weight": (5, 64), "blk.0.attn_q.weight": (64, 64), "output.weight": (5, 64)}


@functools.cache
def written_by_gguf() -> bytes:
    """A complete little GGUF file from the gguf package's writer: WRITTEN and TENSORS."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rich.gguf"
        writer = GGUFWriter(str(path), "llama")
        for key, (method, value) in WRITTEN.items():
            getattr(writer, method)(key, value)
        for name, shape in TENSORS.items():
            writer.add_tensor(name, np.zeros(shape, dtype=np.float16))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()


def test_a_header_from_the_gguf_writer_reads_back_as_written():
    header = read_header(written_by_gguf())
    expected = {
        key: len(v) if isinstance(v, list) else v for key, (_, v) in WRITTEN.items()
    }  # arrays: length
    assert header.metadata == {"general.architecture": "llama", **expected}
    assert type(header.metadata["test.bool"]) is bool and type(header.metadata["test.float64"]) is float
    assert (header.version, header.tensor_count, header.tensors_read) == (3, 3, 3)
    assert header.tensor_table_complete and header.has_output_weight
    assert header.n_elements == 5 * 64 + 64 * 64 + 5 * 64


def test_it_agrees_with_the_gguf_packages_reader_on_a_valid_file(tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    theirs = GGUFReader(path, "r")
    ours = read_header(path.read_bytes())
    assert ours.n_elements == sum(int(t.n_elements) for t in theirs.tensors)
    assert ours.tensor_count == len(theirs.tensors)
    assert set(ours.metadata) == set(theirs.fields) - {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}


def test_only_the_kept_keys_are_stored():
    header = read_header(written_by_gguf(), keep=byo._gguf_wanted)
    assert "tokenizer.ggml.scores" not in header.metadata and "test.bool" not in header.metadata
    assert header.metadata["tokenizer.ggml.tokens"] == 5 and header.metadata["llama.block_count"] == 2


def test_a_tensor_table_cut_off_leaves_the_parameter_count_unknown(tmp_path):
    data = written_by_gguf()
    cut = data[: data.index(b"output.weight") + 3]  # `head -c` stopped inside the third tensor info
    header = read_header(cut)
    assert (header.tensor_count, header.tensors_read, header.tensor_table_complete) == (3, 2, False)
    assert header.n_elements == 5 * 64 + 64 * 64 and not header.has_output_weight

    config = byo._gguf_header_config(cut)[0]
    assert "num_parameters" not in config and "tie_word_embeddings" not in config
    path = tmp_path / "header.gguf"
    path.write_bytes(cut)
    fields = byo.from_gguf(path)
    assert fields["source"].endswith(
        "2 of 3 tensors (the file is cut off there), parameters estimated from the dimensions"
    )
    assert fields["num_hidden_layers"] == 2 and fields["name"] == "Rich Llama"


def test_the_whole_table_gives_the_exact_count_and_tied_embeddings_when_output_is_absent():
    data = gguf(tensors=[tensor("token_embd.weight", 64, 32), tensor("blk.0.attn_q.weight", 64, 64)])
    config = byo._gguf_header_config(data)[0]
    assert config["num_parameters"] == 64 * 32 + 64 * 64 and config["tie_word_embeddings"] is True


def test_metadata_cut_off_is_an_error_naming_where():
    data = written_by_gguf()
    with pytest.raises(gguf_header.CutOff, match="cut off or damaged: the string value of 'general.name'"):
        read_header(data[: data.index(b"Rich Llama") + 2])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 a zip file", r"Not a readable GGUF file: it starts with b'PK\\x03\\x04'"),
        (gguf(version=1), "version 1; versions 2 and 3 are read"),
        (b"GGUF" + struct.pack(">I", 3) + bytes(16), "big-endian"),
        (b"GGUF\x03\x00", "the version needs 4 bytes at byte 4, but only 2 remain"),
        (gguf(kv_count=10**9), "claims 1,000,000,000 metadata keys; at most 10,000"),
        (gguf([kv("k" * 300, UINT8, b"\0")]), "metadata key 0 a length of 300 bytes; at most 256"),
        (gguf([kv("a", 13, b"")]), "'a' the unknown value type 13"),
        (gguf([kv("a", ARRAY, u32(99) + u64(1))]), "array 'a' the unknown element type 99"),
        (gguf([kv("a", ARRAY, u32(ARRAY) + u64(1) + u32(UINT8) + u64(0))]), "nests arrays in 'a'"),
        (gguf([kv("a", ARRAY, u32(STRING) + u64(2) + string("x") + u64(2**60))]), "strings of the array 'a'"),
        (gguf(tensors=[tensor("t", *[2] * 5)]), "tensor 't' 5 dimensions; ggml tensors have at most 4"),
        (gguf(tensors=[tensor("t", 2**32, 2**32)]), "tensor 't' 18,446,744,073,709,551,616 elements"),
        (gguf(tensors=[tensor("t" * 64, 1)]), "the name of tensor 0 a length of 64 bytes; at most 63"),
        (gguf([]), "no general.architecture"),
        (gguf(LLAMA[:2]), "lacks llama.embedding_length, llama.attention.head_count"),
    ],
)
def test_each_malformation_is_named(data, message):
    with pytest.raises(ModelFileError, match=message):
        byo._gguf_header_config(data)


def test_arrays_of_strings_are_walked_only_up_to_a_limit(monkeypatch):
    monkeypatch.setattr(gguf_header, "MAX_STRINGS_WALKED", 3)
    tokens = kv("tokenizer.ggml.tokens", ARRAY, u32(STRING) + u64(4) + string("a") * 4)
    with pytest.raises(ModelFileError, match="arrays hold over 3 strings in all"):
        read_header(gguf([tokens]))


def test_a_long_name_is_cut_to_what_the_catalog_holds_but_keys_are_compared_whole():
    long_keys = [kv("k" * 250, UINT8, b"\1"), kv("k" * 249 + "!", UINT8, b"\2")]
    data = gguf([*LLAMA, kv("general.name", STRING, string("n" * 100_000)), *long_keys])
    meta = read_header(data).metadata
    assert meta["general.name"] == "n" * gguf_header.MAX_TEXT_BYTES
    assert (meta["k" * 250], meta["k" * 249 + "!"]) == (1, 2)


# Property: bytes around a valid header (cut, flipped, with counts and lengths overwritten) are read or
# refused with a ModelFileError, never anything else, and each within Hypothesis's deadline.


@functools.cache
def field_offsets() -> list[int]:
    """Where the counts, lengths and types sit in `written_by_gguf()`: what splices aim at."""
    data = written_by_gguf()
    offsets = [4, 8, 16]  # version, tensor count, metadata count
    for name in [*read_header(data).metadata, *TENSORS]:
        at = data.index(name.encode()) + len(name)
        offsets += [at - len(name) - 8, at, at + 4, at + 8, at + 12]
    return [o for o in offsets if o < len(data)]


U64_VALUES = st.one_of(
    st.sampled_from(
        [0, 1, 2, 4, 5, 63, 64, 2**16, 2**31, 2**32 - 1, 2**32, 2**40, 2**63 - 1, 2**63, 2**64 - 1]
    ),
    st.integers(0, 2**64 - 1),
)
U32_VALUES = st.one_of(st.integers(0, 14), st.sampled_from([2**31, 2**32 - 1]), st.integers(0, 2**32 - 1))


@st.composite
def mutated_headers(draw) -> bytes:
    data = bytearray(written_by_gguf())
    position = st.one_of(st.sampled_from(field_offsets()), st.integers(4, len(data) - 1))  # past the magic
    for _ in range(draw(st.integers(1, 4))):
        match draw(st.sampled_from(["cut", "flip", "splice64", "splice32"])):
            case "cut":
                del data[draw(st.integers(0, len(data))) :]
            case "flip" if len(data) > 4:
                data[draw(st.integers(4, len(data) - 1))] ^= draw(st.integers(1, 255))
            case "splice64":
                at = draw(position)
                data[at : at + 8] = u64(draw(U64_VALUES))
            case "splice32":
                at = draw(position)
                data[at : at + 4] = u32(draw(U32_VALUES))
    return bytes(data)


# A deadline, not a timed assert: Hypothesis fails an example that is slow twice in a row. One second is
# the budget for a whole request; these bytes are a few KB, so a slow read means an unbounded loop.
@settings(max_examples=300, deadline=timedelta(seconds=1))
@given(mutated_headers())
def test_bytes_around_a_valid_header_are_read_or_refused_never_anything_else(data):
    try:
        header = read_header(data)
    except ModelFileError:
        pass
    else:
        assert header.tensors_read <= header.tensor_count and header.n_elements >= 0
    with contextlib.suppress(ModelFileError):
        byo.upload_to_config(data, filename="fuzzed.gguf")


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), FINDINGS)
def test_a_hostile_gguf_upload_gets_the_reason_next_to_the_field_not_a_500(client, data, message):
    make_gpu()
    make_quant()
    upload = SimpleUploadedFile("evil.gguf", data, "application/octet-stream")
    response = client.post(
        "/own-model/", {"quant": "q4_k_m", "gpu": "geforce-rtx-3090", "ctx": "8192", "file": upload}
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["config"])
