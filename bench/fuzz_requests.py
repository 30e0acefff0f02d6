"""Generated requests across every endpoint against gunicorn: reports each 5xx and each slow request.

    .venv/bin/python bench/fuzz_requests.py                      # 20,000 requests, seed 12
    .venv/bin/python bench/fuzz_requests.py -n 2000 --seed 3 --concurrency 1

The server is bench/load.py's (`serve()`: a throwaway PostgreSQL database with the catalog, gunicorn with
bench.settings, rate limits off). A superuser logs in to the admin first. Then --concurrency threads send
generated requests until -n are sent: calculator pages and their HTMX partials, /og.png, /compare/, the
reverse pages, /hardware-row/, /own-model/ uploads (config.json and GGUF bytes, valid and damaged),
shares (POST /r/) and the snapshots they make, every /api/v1/ endpoint with right and wrong methods,
the catalog, glossary, guide and search pages, robots, sitemap, health checks, unknown paths, and the
admin: changelists with their filters, searches, orderings and pages, change and add forms posted with
generated values, history pages and the LLM import. Values are valid questions from the catalog
fixtures (bench/load.py) or deliberately bad ones: unknown slugs, absurd numbers, broken JSON, junk
text, NUL bytes, wrong methods. No Hypothesis: group and request i come from random.Random(seed, i), so a
run is reproducible up to what concurrent admin edits and shares change on the way.

Each request carries X-Request-ID f<n>; the site logs it with the status and its own time (ms), so the
report gives the server's time per request, any 5xx with the traceback gunicorn's log holds for that
path, and every request over --slow seconds (server time, or the client's when the server never logged
it), with its URL. Exit status 1 when there is any.
"""

import argparse
import concurrent.futures
import html
import http.client
import http.cookies
import itertools
import json
import os
import random
import re
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from load import tracebacks, worker_rss_mb
from questions import ROOT, Catalog, calculator_query, malformed, what_hardware_query, what_runs_query
from server import add_server_arguments, serve

ADMIN_USER, ADMIN_PASSWORD = "fuzz", "fuzz-only-password-7c1e"
API = ["estimate", "gpus", "models", "quantizations", "interconnects", "runtimes", "diffusion-models"]
METHODS = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
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


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage | None
    body: bytes
    seconds: float


@dataclass
class Sent:
    group: str
    method: str
    url: str
    status: int  # 0: no answer (the connection failed)
    seconds: float
    error: str = ""
    location: str = ""  # where a redirect points


@dataclass
class Session:
    """Cookies of one browser (the admin's), kept across requests."""

    cookies: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def header(self) -> str:
        with self.lock:
            return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def keep(self, headers: http.client.HTTPMessage | None) -> None:
        for line in (headers.get_all("Set-Cookie") or []) if headers else []:
            cookie = http.cookies.SimpleCookie(line)
            with self.lock:
                self.cookies |= {k: m.value for k, m in cookie.items()}


class Client:
    """Sends requests to the server, numbering each (X-Request-ID f<n>) and keeping what came back."""

    def __init__(self, base: str, total: int):
        parts = urlsplit(base)
        self.host, self.port, self.origin = parts.hostname, parts.port, base
        self.total, self.numbers, self.lock = total, itertools.count(1), threading.Lock()
        self.sent: dict[str, Sent] = {}
        self.admin = Session()
        self.snapshots: list[str] = []

    def send(self, group, method, path, *, headers=(), body=b"", content_type="", session=None) -> Reply:
        request_id = f"f{next(self.numbers)}"
        headers = {"X-Request-ID": request_id, **dict(headers)}
        if content_type:
            headers["Content-Type"] = content_type
        if session and (cookie := session.header()):
            headers["Cookie"] = cookie
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read(), 0.0)
        except (OSError, http.client.HTTPException) as error:
            reply = Reply(0, None, str(error).encode(), 0.0)
        finally:
            connection.close()
        reply.seconds = time.monotonic() - started
        if session:
            session.keep(reply.headers)
        error = reply.body[:200].decode(errors="replace") if reply.status == 0 else ""
        location = reply.headers.get("Location", "") if reply.headers else ""
        with self.lock:
            self.sent[request_id] = Sent(group, method, path, reply.status, reply.seconds, error, location)
        return reply

    @property
    def done(self) -> bool:
        return len(self.sent) >= self.total

    def post_form(self, group, path, fields, *, session=None, files=(), headers=()) -> Reply:
        if files:
            content_type, body = multipart(fields, list(files))
        else:
            content_type, body = "application/x-www-form-urlencoded", urlencode(fields).encode()
        referer = (("Referer", f"{self.origin}{path}"),) if session else ()
        return self.send(
            group,
            "POST",
            path,
            body=body,
            content_type=content_type,
            session=session,
            headers=referer + headers,
        )


# --- The admin: discovered from its own pages ----------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of a page's forms (by form id): what a browser would submit, and each select's options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, list[list]] = {}
        self.options: dict[str, list[str]] = {}
        self._form, self._select, self._textarea = None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = self.forms.setdefault(a.get("id") or f"form{len(self.forms)}", [])
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"submit", "button", "image", "file", "reset"}:
                self._form.append([a["name"], a.get("value") or ""])
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a:
                self._form.append([self._select, a.get("value", "")])
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._form.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def links(body: bytes) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"#]*)"', body.decode(errors="replace"))]


@dataclass
class AdminModel:
    changelist: str
    filters: list[str]
    objects: list[str]
    can_add: bool

    @property
    def editable(self) -> bool:
        """Forms to post: not the users' and groups' (an edit of the fuzz user would log it out)."""
        return not self.changelist.startswith("/admin/auth/") and bool(self.objects or self.can_add)


def login(client: Client) -> None:
    page = client.send("admin login", "GET", "/admin/login/", session=client.admin)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    fields = [("csrfmiddlewaretoken", token.group(1).decode()), ("username", ADMIN_USER)]
    fields += [("password", ADMIN_PASSWORD), ("next", "/admin/")]
    reply = client.post_form("admin login", "/admin/login/", fields, session=client.admin)
    if reply.status != 302:
        sys.exit(f"admin login failed: {reply.status}\n{reply.body[:2000].decode(errors='replace')}")


def discover_admin(client: Client) -> list[AdminModel]:
    index = client.send("admin", "GET", "/admin/", session=client.admin)
    found = []
    for changelist in sorted({u for u in links(index.body) if re.fullmatch(r"/admin/\w+/\w+/", u)}):
        page = client.send("admin", "GET", changelist, session=client.admin)
        hrefs = links(page.body)
        objects = sorted({urlsplit(h).path for h in hrefs if re.fullmatch(rf"{changelist}[^/]+/change/", h)})
        filters = sorted({h for h in hrefs if h.startswith("?")})
        found.append(AdminModel(changelist, filters, objects, f"{changelist}add/" in hrefs))
    return found


def _edited(rng: random.Random, fields: list[list], options: dict[str, list[str]]) -> list[tuple[str, str]]:
    """A change form's fields with one to four values replaced: a plausible neighbour or junk."""
    editable = [
        i
        for i, (name, _) in enumerate(fields)
        if name != "csrfmiddlewaretoken" and not name.endswith("_FORMS")
    ]
    fields = [list(f) for f in fields]
    for i in rng.sample(editable, min(len(editable), rng.randint(1, 4))) if rng.random() < 0.85 else []:
        name, value = fields[i]
        if name in options and rng.random() < 0.5:
            fields[i][1] = rng.choice(options[name] or [""])
        elif re.fullmatch(r"-?\d+(\.\d+)?", value) and rng.random() < 0.6:
            number = float(value) * rng.choice([0, -1, 0.5, 2, 10, 1000, 1e9]) + rng.choice([0, 1])
            fields[i][1] = str(int(number)) if "." not in value else str(number)
        else:
            fields[i][1] = junk(rng)
    fields.append(["change_reason", rng.choice(["fuzz", "", junk(rng)])])
    return [(k, v) for k, v in fields]


def admin_request(client: Client, rng: random.Random, models: list[AdminModel]) -> None:
    model = rng.choice(models)
    choice = rng.random()
    if choice < 0.35:  # the changelist: filters, search, ordering, page
        query = dict(re.findall(r"([^?&=]+)=([^&]*)", rng.choice(model.filters or ["?"])))
        if rng.random() < 0.5:
            query["q"] = quote(rng.choice([rng.choice(["rtx", "llama", "q4", "3090", "apple"]), junk(rng)]))
        if rng.random() < 0.3:
            query["o"] = rng.choice(["1", "-2", "2.1", "99", "x", "-1.-2"])
        if rng.random() < 0.2:
            query["p"] = rng.choice(["1", "2", "99", "-1", "x"])
        path = model.changelist + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        client.send("admin list", "GET", path, session=client.admin)
    elif choice < 0.5 and model.objects:
        url = rng.choice(model.objects)
        client.send("admin history", "GET", url.replace("/change/", "/history/"), session=client.admin)
    elif choice < 0.9 and model.editable:
        url = rng.choice(model.objects) if model.objects and rng.random() < 0.8 else f"{model.changelist}add/"
        page = client.send("admin form", "GET", url, session=client.admin)
        if page.status != 200:
            return
        parser = FormFields()
        parser.feed(page.body.decode(errors="replace"))
        form = next((f for name, f in parser.forms.items() if name.endswith("_form")), None)
        if form is not None:
            fields = _edited(rng, form, parser.options) + [(rng.choice(["_save", "_continue"]), "Save")]
            client.post_form("admin post", url, fields, session=client.admin)
    else:
        admin_import(client, rng)


def admin_import(client: Client, rng: random.Random) -> None:
    """The LLM import: a pasted or uploaded config.json, or a GGUF header (the Hub is left alone)."""
    url = "/admin/catalog/llmmodel/import/"
    page = client.send("admin import", "GET", url, session=client.admin)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if not token:
        return
    fields = [("csrfmiddlewaretoken", token.group(1).decode()), ("name", rng.choice(["", "Fuzz", junk(rng)]))]
    if rng.random() < 0.4:
        fields.append(("config", config_json(rng).decode(errors="replace")))
        client.post_form("admin import", url, fields, session=client.admin)
    else:
        data, name = (gguf_bytes(rng), "m.gguf") if rng.random() < 0.5 else (config_json(rng), "config.json")
        client.post_form("admin import", url, fields, session=client.admin, files=[("file", name, data)])


# --- The public site ---------------------------------------------------------------------------------------


def _maybe_htmx(rng: random.Random) -> tuple:
    roll = rng.random()
    if roll < 0.3:
        return (("HX-Request", "true"),)
    if roll < 0.35:
        return (("HX-Request", "true"), ("HX-History-Restore-Request", "true"))
    return ()


def _question(rng: random.Random, catalog: Catalog) -> str:
    """A calculator query: valid three times in four, else with one value made bad."""
    query = calculator_query(rng, catalog)
    if rng.random() < 0.25:
        key = rng.choice(
            ["model", "quant", "gpu", "count", "ctx", "batch", "prompt", "kv", "runtime", "link"]
        )
        query += f"&{key}={quote(junk(rng))}"
    return query


def public_request(client: Client, rng: random.Random, catalog: Catalog, group: str) -> None:
    send = client.send
    gpu, _ = rng.choice(catalog.gpus)
    model, _ = rng.choice(catalog.models)
    if group == "page":
        send(group, "GET", f"/?{_question(rng, catalog)}", headers=_maybe_htmx(rng))
    elif group == "malformed":
        bad = malformed(rng, catalog)
        send(group, bad.method, bad.path, headers=bad.headers)
    elif group == "og":
        send(group, rng.choice(["GET", "GET", "HEAD"]), f"/og.png?{_question(rng, catalog)}")
    elif group == "compare":
        qs = [_question(rng, catalog) for _ in range(rng.randint(0, 5))]
        qs += [junk(rng)] if rng.random() < 0.2 else []
        send(group, "GET", "/compare/?" + urlencode([("q", q) for q in qs]))
    elif group == "reverse":
        if rng.random() < 0.5:
            query = what_runs_query(rng, catalog)
            extra = ["gpu", "count", "ctx", "ram_gb", "sort"]
            path = "/what-runs/"
        else:
            query = what_hardware_query(rng, catalog)
            extra = ["model", "quant", "ctx", "tok_s"]
            path = "/what-hardware/"
        if rng.random() < 0.3:
            query += f"&{rng.choice(extra)}={quote(junk(rng))}"
        send(group, "GET", f"{path}?{query}" if rng.random() < 0.95 else path, headers=_maybe_htmx(rng))
    elif group == "hardware-row":
        rows = rng.choice(["1", "3", "64", "999999", junk(rng)])
        send(group, "GET", f"/hardware-row/?gpu={gpu}&gpu={gpu}&rows={quote(rows)}")
    elif group == "own-model":
        data, name = (
            (gguf_bytes(rng), "model.gguf") if rng.random() < 0.5 else (config_json(rng), "config.json")
        )
        fields = [("quant", rng.choice(catalog.listed_quants)), ("gpu", gpu)]
        fields += [("ctx", rng.choice(["4096", "32768", junk(rng)]))] if rng.random() < 0.5 else []
        files = [(rng.choice(["file", "file", "other"]), name, data)] if rng.random() < 0.95 else []
        client.post_form(group, "/own-model/", fields, files=files, headers=_maybe_htmx(rng))
    elif group == "share":
        share(client, rng, catalog)
    elif group == "snapshot":
        known = client.snapshots
        snapshot = rng.choice(known) if known and rng.random() < 0.8 else quote(junk(rng)[:40], safe="")
        send(group, "GET", rng.choice([f"/r/{snapshot}", f"/r/{snapshot}/og.png"]))
    elif group == "api":
        name = rng.choice(API)
        if name == "estimate":
            path = f"/api/v1/estimate?{_question(rng, catalog)}"
        else:
            params = [
                ("q", rng.choice(["rtx", "llama", "", junk(rng)])),
                ("listed", rng.choice(["1", "no", "x"])),
            ]
            params += [(rng.choice(["vendor", "min_memory_gb", "unified", "family"]), junk(rng))]
            path = f"/api/v1/{name}?" + urlencode(rng.sample(params, rng.randint(0, len(params))))
        method = "GET" if rng.random() < 0.7 else rng.choice(METHODS)
        send(group, method, path, body=b"{}" if method in {"POST", "PUT", "PATCH"} else b"")
    elif group == "catalog":
        send(group, "GET", rng.choice(catalog_paths(rng, catalog, gpu, model)))
    elif group == "content":
        term = rng.choice(catalog.terms) if rng.random() < 0.8 else junk(rng)[:60]
        path = rng.choice(
            [
                "/glossary/",
                f"/glossary/{quote(term)}/",
                "/guides/",
                f"/guides/{quote(rng.choice([*GUIDES, 'nope']))}/",
                "/search/?" + urlencode({"q": rng.choice([term, "3090", "kv cache", "", junk(rng)])}),
                "/sitemap.xml",
                "/robots.txt",
                "/healthz",
                "/readyz",
                "/api/v1/openapi.json",
            ]
        )
        send(group, "GET", path, headers=_maybe_htmx(rng) if path.startswith("/search/") else ())
    else:  # unknown paths and wrong methods on pages
        path = rng.choice(
            ["/", "/gpus/", "/what-runs/", "/r/", "/own-model/", "/og.png", f"/{junk(rng)[:80]}"]
        )
        send(group, rng.choice(["GET", *METHODS]), quote(path, safe="/?=&"), body=b"x=1")


def catalog_paths(rng: random.Random, catalog: Catalog, gpu: str, model: str) -> list[str]:
    gpus = [rng.choice(catalog.gpus)[0] for _ in range(rng.randint(0, 6))]
    listing = {
        "q": rng.choice(["", "rtx", "apple m", junk(rng)]),
        "vendor": rng.choice(["", "nvidia", "amd", "apple", junk(rng)]),
        "min_memory_gib": rng.choice(["", "24", "0.5", junk(rng)]),
        "unified": rng.choice(["", "yes", "no", junk(rng)]),
        "sort": rng.choice(["", "-memory", "price", "name", junk(rng)]),
        "page": rng.choice(["1", "2", "99", "-1", junk(rng)]),
    }
    listing = dict(rng.sample(list(listing.items()), rng.randint(0, len(listing))))
    return [
        "/gpus/?" + urlencode(listing),
        f"/gpus/{gpu}/",
        f"/gpus/{quote(junk(rng)[:60])}/",
        "/gpus/compare/?"
        + urlencode([("gpu", g) for g in gpus] + [("gpu", junk(rng))] * (rng.random() < 0.2)),
        "/gpus/pick/?" + urlencode({"q": rng.choice(["40", "rtx 3090", "m4 max", "", junk(rng)])}),
        "/models/",
        f"/models/{model}/",
        f"/models/{quote(junk(rng)[:60])}/",
        "/models/pick/?" + urlencode({"q": rng.choice(["llama", "qwen 7", "", junk(rng)])}),
    ]


def share(client: Client, rng: random.Random, catalog: Catalog) -> None:
    """POST /r/ as the site's pages do (or from elsewhere), then open the snapshot and its image."""
    kind = rng.choice(["estimate", "estimate", "what-runs", "what-hardware", junk(rng)[:30]])
    query = {
        "what-runs": what_runs_query,
        "what-hardware": what_hardware_query,
    }.get(kind, calculator_query)(rng, catalog)
    if rng.random() < 0.15:
        query = rng.choice([junk(rng), query + "&ctx=" + junk(rng), query * rng.randint(2, 200)])
    origin = rng.choice([client.origin] * 6 + ["https://evil.example", "null", ""])
    headers = (("Origin", origin),) if origin else ()
    reply = client.post_form("share", "/r/", [("q", query), ("kind", kind)], headers=headers)
    location = reply.headers.get("Location", "") if reply.headers else ""
    if match := re.fullmatch(r"/r/([\w-]+)", location):
        client.snapshots.append(match.group(1))
        client.send("snapshot", "GET", location)
        client.send("snapshot", "GET", f"{location}/og.png")


GUIDES = sorted(p.stem for p in (ROOT / "content" / "guides").glob("*.md"))
# group -> share of the requests
GROUPS = {
    "page": 0.12,
    "malformed": 0.06,
    "og": 0.05,
    "compare": 0.03,
    "reverse": 0.08,
    "hardware-row": 0.01,
    "own-model": 0.07,
    "share": 0.04,
    "snapshot": 0.03,
    "api": 0.13,
    "catalog": 0.10,
    "content": 0.06,
    "other": 0.03,
    "admin": 0.19,
}


def run(client: Client, catalog: Catalog, models: list[AdminModel], *, seed: int, concurrency: int) -> None:
    """Generate and send until the client has sent its total; job i draws from Random(f"{seed}:{i}")."""
    jobs = itertools.count()
    groups, weights = list(GROUPS), list(GROUPS.values())

    def worker():
        while not client.done:
            rng = random.Random(f"{seed}:{next(jobs)}")
            group = rng.choices(groups, weights)[0]
            if group == "admin":
                admin_request(client, rng, models)
            else:
                public_request(client, rng, catalog, group)

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()


# --- Report --------------------------------------------------------------------------------------------


def server_times(log: Path, offset: int) -> dict[str, tuple[int, float]]:
    """request id -> (status, server ms), from the site's JSON request lines."""
    found = {}
    with open(log, "rb") as lines:
        lines.seek(offset)
        for line in lines:
            if line.startswith(b'{"request_id": "f'):
                record = json.loads(line)
                found[record["request_id"]] = (record["status"], record["ms"])
    return found


def report(client: Client, logged: dict, traces: list[str], *, slow_s: float, seconds: float) -> int:
    rows, failures, slow, unanswered = {}, [], [], []
    for request_id, sent in client.sent.items():
        status, ms = logged.get(request_id, (sent.status, None))
        rows.setdefault(sent.group, []).append((status, ms if ms is not None else sent.seconds * 1000))
        if status >= 500 or sent.status >= 500:
            failures.append((sent, status))
        if (ms or 0) > slow_s * 1000 or (ms is None and sent.seconds > slow_s):
            slow.append((sent, ms))
        if sent.status == 0:
            unanswered.append(sent)
    print(f"\n{len(client.sent):,} requests in {seconds:.0f} s ({len(client.sent) / seconds:.0f}/s)\n")
    print("| group | requests | statuses | server ms p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    for group, values in sorted(rows.items(), key=lambda item: -len(item[1])):
        ms = sorted(v for _, v in values)
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(Counter(s for s, _ in values).items()))
        pct = [ms[min(len(ms) - 1, int(len(ms) * p))] for p in (0.5, 0.95, 0.99)]
        print(
            f"| {group} | {len(values):,} | {statuses} | {pct[0]:.1f} | {pct[1]:.1f} | {pct[2]:.1f} | {ms[-1]:.0f} |"
        )
    print(f"\n5xx: {len(failures)}")
    for sent, status in failures:
        print(f"  {status} {sent.method} {sent.url[:400]}")
    print(f"over {slow_s:g} s: {len(slow)}")
    for sent, ms in sorted(slow, key=lambda s: -(s[1] or s[0].seconds * 1000)):
        shown = (
            f"{ms:.0f} ms server" if ms is not None else f"{sent.seconds * 1000:.0f} ms client, not logged"
        )
        print(f"  {shown}: {sent.method} {sent.url[:400]}")
    logged_out = [s for s in client.sent.values() if s.location.startswith("/admin/login/")]
    if logged_out:
        print(f"admin requests sent to the login page (the session was lost): {len(logged_out)}")
    print(f"no answer (connection failed): {len(unanswered)}")
    for sent in unanswered[:20]:
        print(f"  {sent.method} {sent.url[:300]}: {sent.error}")
    distinct = {}
    for trace in traces:
        last = trace.strip().splitlines()[-1]
        distinct.setdefault((trace.splitlines()[0][:200], last), trace)
    print(f"\nserver tracebacks: {len(traces)}, {len(distinct)} distinct (path, exception)")
    for trace in distinct.values():
        print(trace)
    return 1 if failures or slow or unanswered else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=20_000, help="requests to send (20,000)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight (default 2)")
    parser.add_argument("--slow", type=float, default=1.0, help="seconds that count as slow (default 1)")
    add_server_arguments(parser, port=18081, database="wir_fuzz")
    args = parser.parse_args()
    catalog = Catalog.from_fixtures()
    password = {"DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD}
    with serve(args) as server:
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--no-input", "--username", ADMIN_USER]
            + ["--email", "fuzz@example.com"],
            cwd=ROOT,
            env={**server.env, **password},
            check=False,  # already there on a kept database
            capture_output=True,
        )
        client = Client(server.base, args.requests)
        offset = server.error_log.stat().st_size
        login(client)
        models = discover_admin(client)
        print(
            f"gunicorn: {server.workers} workers; {args.concurrency} clients; admin: {len(models)} changelists, "
            f"{sum(len(m.objects) for m in models)} rows; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        rss_before, started = worker_rss_mb(server.pid), time.monotonic()
        run(client, catalog, models, seed=args.seed, concurrency=args.concurrency)
        seconds, rss_after = time.monotonic() - started, worker_rss_mb(server.pid)
        time.sleep(1)  # the last log lines
        logged = server_times(server.error_log, offset)
        traces = tracebacks(server.error_log, offset)
    status = report(client, logged, traces, slow_s=args.slow, seconds=seconds)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    print(
        "worker RSS MB, before -> after: "
        + ", ".join(
            f"{rss_before.get(p, 0):.0f} -> {rss_after.get(p, 0):.0f}" for p in sorted(rss_before | rss_after)
        )
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
