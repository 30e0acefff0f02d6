"""An upload refused says what the file is and what is wrong with it, never blaming "config.json" for a
GGUF, an image or an empty file (catalog/byo.py upload_to_config)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from gguf import GGUFWriter

from catalog import byo

# The first bytes of a PNG (its signature and the start of its IHDR chunk)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def gguf_bytes(tmp_path, *, tokens: bool, heads: int = 4) -> bytes:
    """A tiny Llama's GGUF header: with its vocabulary (tokenizer.ggml.tokens) or without one."""
    path = tmp_path / "tiny.gguf"
    writer = GGUFWriter(str(path), "llama")
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(heads)
    writer.add_head_count_kv(2)
    if tokens:
        writer.add_token_list([f"t{i}" for i in range(32)])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.gguf", "x.gguf is empty: choose a config.json, or a GGUF file's first megabytes."),
        (b"", "config.json", "config.json is empty"),
        (
            b"PK\x03\x04" + b"\0" * 60,
            "x.gguf",
            "x.gguf does not start with GGUF (its first bytes are b'PK\\x03\\x04')",
        ),
        (PNG, "cat.png", "cat.png is an image, not a config.json or GGUF file."),
        (PNG, "config.json", "config.json is an image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo.jpg", "photo.jpg is an image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "cat.webp", "cat.webp is an image"),
        (b"hello", "notes.txt", "notes.txt is not valid JSON"),
        (b"[1, 2]", "list.json", "list.json must be a JSON object"),
        (b'{"hidden_size": 4096}', "mine.json", "mine.json cannot describe a transformer: num_hidden_layers"),
    ],
)
def test_a_refused_upload_names_the_file_and_what_is_wrong(data, filename, message):
    with pytest.raises(byo.ModelFileError) as refused:
        byo.upload_to_config(data, filename=filename)
    assert str(refused.value).startswith(message)


def test_a_gguf_header_without_a_vocabulary_says_so(tmp_path):
    with pytest.raises(byo.ModelFileError) as refused:
        byo.upload_to_config(gguf_bytes(tmp_path, tokens=False), filename="tiny.gguf")
    assert str(refused.value) == (
        "The GGUF header has no tokenizer.ggml.tokens (nor llama.vocab_size), so the vocabulary size is unknown."
    )
    assert "config.json" not in str(refused.value)
    assert byo.upload_to_config(gguf_bytes(tmp_path, tokens=True), filename="tiny.gguf")  # with one: read


def test_a_gguf_headers_impossible_sizes_are_the_headers_not_a_config_jsons(tmp_path):
    with pytest.raises(
        byo.ModelFileError, match=r"^The GGUF header cannot describe a transformer: num_attention"
    ):
        byo.upload_to_config(gguf_bytes(tmp_path, tokens=True, heads=0), filename="tiny.gguf")


def test_the_page_says_it_next_to_the_field_with_a_400(client, catalog):
    question = {"quant": "q4_k_m", "gpu": "geforce-rtx-3090", "model": "llama-3-1-8b-instruct"}
    response = client.post(
        "/own-model/", {**question, "file": SimpleUploadedFile("cat.png", PNG, "image/png")}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["config"] == [
        "cat.png is an image, not a config.json or GGUF file."
    ]
    assert "cat.png is an image, not a config.json or GGUF file." in response.content.decode()
    assert "verdict" not in response.context  # no answer: it would be the previous model's, under the message
    empty = client.post("/own-model/", {**question, "file": SimpleUploadedFile("x.gguf", b"")})
    assert empty.status_code == 400 and "x.gguf is empty" in empty.content.decode()
