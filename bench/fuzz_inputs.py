"""What bench/fuzz_requests.py sends in bodies and fields: junk values, generated config.json files
and GGUF headers (valid or damaged), multipart uploads."""

import json
import random
import struct

JUNK_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "%%",
    "_",
    "\\",
    "ünïcødé ✓ 日本語",
    "\u202e\ufeff",
    "../../etc/passwd",
    "null",
    "[]",
    "{}",
]


def junk(rng: random.Random) -> str:
    """A bad value for any field: text, numbers out of every range, or a long string."""
    return rng.choice(
        [
            rng.choice(JUNK_TEXT),
            str(rng.choice([0, -1, -(10 ** rng.randint(1, 40)), 10 ** rng.randint(5, 40)])),
            "9" * rng.randint(300, 4400),
            rng.choice(["1e309", "-1e309", "nan", "inf", "-0", "0.5", "1,5", "0x1f", "1_000", "²"]),
            "".join(rng.choices("abcdefghijklmnopqrstuvwxyz-_0123456789", k=rng.randint(1, 80))),
            "x" * rng.randint(200, 6000),
        ]
    )


# --- Generated files: config.json and GGUF headers -------------------------------------------------------


def config_json(rng: random.Random) -> bytes:
    """A Hugging Face config.json: plausible (dense or MoE), or damaged in one of many ways."""
    heads = rng.choice([8, 16, 32, 40, 64, 128])
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": rng.choice(["llama", "qwen2", "mistral", "mixtral", "gemma2", "deepseek_v3"]),
        "num_hidden_layers": rng.choice([2, 16, 24, 32, 48, 80, 126]),
        "hidden_size": heads * rng.choice([64, 128]),
        "intermediate_size": rng.choice([1024, 8192, 14336, 28672]),
        "num_attention_heads": heads,
        "num_key_value_heads": rng.choice([h for h in (1, 2, 4, 8, heads) if heads % h == 0]),
        "vocab_size": rng.choice([32000, 128256, 151936]),
        "max_position_embeddings": rng.choice([2048, 8192, 32768, 131072]),
        "torch_dtype": rng.choice(["bfloat16", "float16", "float32"]),
    }
    if rng.random() < 0.3:
        config |= {
            "num_local_experts": rng.choice([8, 64, 128]),
            "num_experts_per_tok": rng.choice([1, 2, 8]),
        }
    if rng.random() < 0.4:
        return json.dumps(config).encode()
    damage = rng.randrange(9)
    if damage == 0:
        config[rng.choice(list(config))] = rng.choice(
            [10**6, 10**9, 10**20, -1, 0, 1.5, "12", None, [], {}, True, 1e308]
        )
    elif damage == 1:
        config.pop(rng.choice(["num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size"]))
    elif damage == 2:
        config["num_key_value_heads"] = config["num_attention_heads"] * rng.choice([2, 3, 64])
    elif damage == 3:  # nested deep
        depth = rng.randint(20, 3000)
        return (b'{"text_config": ' + b"[" * depth + b"1" + b"]" * depth + b"}")[: rng.choice([None, 5000])]
    elif damage == 4:
        return json.dumps(config).encode()[: rng.randint(0, 200)]  # cut short
    elif damage == 5:
        return b'{"hidden_size": ' + b"7" * rng.randint(4000, 5000) + b"}"
    elif damage == 6:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000)))
    elif damage == 7:
        config["text_config"] = {**config, "num_hidden_layers": rng.choice([10**6, -3, "x"])}
    else:
        return b"\xef\xbb\xbf" + json.dumps(config).encode() + rng.choice([b"", b",", b"}", b"\x00"])
    return json.dumps(config).encode()


def _gguf_string(text: str | bytes, length: int | None = None) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data) if length is None else length) + data


def gguf_bytes(rng: random.Random) -> bytes:
    """The start of a GGUF file (llama.cpp's format: catalog/gguf_header.py), plausible or damaged."""
    arch = rng.choice(["llama", "qwen2", "gemma3", "phi3", "x" * rng.randint(1, 300)])
    heads = rng.choice([8, 32, 64])
    meta = [
        ("general.architecture", 8, _gguf_string(arch)),
        ("general.name", 8, _gguf_string(rng.choice(["Fuzz 7B", "x" * 5000, "ünï"]))),
        (f"{arch}.block_count", 4, struct.pack("<I", rng.choice([1, 32, 80, 2**31, 10**6]))),
        (f"{arch}.embedding_length", 4, struct.pack("<I", heads * 128)),
        (f"{arch}.feed_forward_length", 4, struct.pack("<I", rng.choice([0, 11008, 2**32 - 1]))),
        (f"{arch}.attention.head_count", 4, struct.pack("<I", heads)),
        (f"{arch}.attention.head_count_kv", 4, struct.pack("<I", rng.choice([1, 8, heads, heads * 4]))),
        (f"{arch}.context_length", 10, struct.pack("<Q", rng.choice([4096, 131072, 2**63]))),
    ]
    tokens = rng.choice([0, 10, 1000, 32000])
    vocab = b"".join(_gguf_string(f"t{i}") for i in range(tokens))
    meta.append(("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, tokens) + vocab))
    tensors = [
        _gguf_string(f"blk.{i}.attn_q.weight")
        + struct.pack("<I", 2)
        + struct.pack("<QQIQ", 4096, 4096, 12, i)
        for i in range(rng.choice([0, 3, 50]))
    ]
    tensor_count, kv_count, version = len(tensors), len(meta), 3
    damage = rng.randrange(12)
    if damage == 0:
        tensor_count = rng.choice([10**6, 2**63, 2**64 - 1])
    elif damage == 1:
        kv_count = rng.choice([10**6, 2**40, len(meta) + 5])
    elif damage == 2:
        meta.append(("general.name", 8, _gguf_string("b", length=2**40)))  # a string claiming 1 TB
    elif damage == 3:
        meta.append(meta[0])  # a duplicate key
    elif damage == 4:
        meta.append(("big.array", 9, struct.pack("<IQ", 4, 10**6)))  # 10^6 elements, no bytes
    elif damage == 5:
        version = rng.choice([0, 1, 4, 2**32 - 1])
    elif damage == 6:
        meta[2] = (meta[2][0], 8, _gguf_string("thirty-two"))  # a string where a number belongs
    elif damage == 7:
        meta.append(("nested", 9, struct.pack("<IQ", 9, 3) + struct.pack("<IQ", 9, 2**30)))
    elif damage == 8:
        meta.append(("bad.type", rng.choice([13, 99, 2**32 - 1]), b"\x00" * 8))
    head = struct.pack("<4sIQQ", b"GGUF", version, tensor_count, kv_count)
    body = head + b"".join(_gguf_string(k) + struct.pack("<I", t) + v for k, t, v in meta) + b"".join(tensors)
    if damage == 9:
        body = body[: rng.randint(4, len(body))]  # cut off
    elif damage == 10:
        body = bytearray(body)
        for _ in range(rng.randint(1, 20)):
            body[rng.randrange(len(body))] = rng.getrandbits(8)
        body = bytes(body)
    return body


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[str, bytes]:
    boundary = f"fuzz{random.getrandbits(64):x}"
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        parts.append(value.encode(errors="surrogatepass") + b"\r\n")
    for name, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        parts.append(data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


# --- HTTP ------------------------------------------------------------------------------------------------
