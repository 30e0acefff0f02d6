"""A stand-in for the Hugging Face Hub, served from this process (the real Hub is unreachable here).

`fake_hub` (import `fake_hub_fixture`) points catalog.hub.HUB_URL at a local HTTP server whose answers a test chooses per path:
`hub.routes["/org/model/resolve/main/config.json"] = ok(b"{...}")`. Answers: `ok(body)`,
`status(404, "GatedRepo")` (with the Hub's X-Error-Code), `redirect("/elsewhere")`, `ranged(body)` (honours
an HTTP Range, as the Hub's file storage does), `silent()` (accepts, never answers), `trickle(body,
delay_s)` (the headers at once, then one byte per delay).

`model_info(repo_id, files)` builds the Hub's answer to `GET /api/models/{repo_id}?blobs=true` (what
huggingface_hub's `HfApi.model_info(files_metadata=True)` asks), shaped as the Hub sends it: the fields
huggingface_hub's ModelInfo reads (`id`, `modelId`, `author`, `sha`, `private`, `gated` false, "auto" or
"manual", `library_name`, `tags`, `siblings`...) and, per file, RepoSibling's `rfilename`, `size`,
`blobId` and, for LFS files, `lfs` {`size`, `sha256`, `pointerSize`}. The repos (acme/...) are made up.
"""

import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from catalog import hub

Answer = Callable[[BaseHTTPRequestHandler, threading.Event], None]


def ok(body: bytes) -> Answer:
    def answer(handler, _released):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def status(code: int, error_code: str = "") -> Answer:
    """A refusal; `error_code` is the Hub's X-Error-Code: RepoNotFound, GatedRepo, EntryNotFound."""

    def answer(handler, _released):
        handler.send_response(code)
        if error_code:
            handler.send_header("X-Error-Code", error_code)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def ranged(body: bytes) -> Answer:
    """A file that honours `Range: bytes=a-b` with a 206 and only those bytes, else a 200 with all."""

    def answer(handler, _released):
        asked = re.fullmatch(r"bytes=(\d+)-(\d+)", handler.headers.get("Range", ""))
        if not asked:
            return ok(body)(handler, _released)
        start, end = int(asked[1]), min(int(asked[2]), len(body) - 1)
        part = body[start : end + 1]
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
        handler.send_header("Content-Length", str(len(part)))
        handler.end_headers()
        handler.wfile.write(part)

    return answer


def redirect(location: str) -> Answer:
    def answer(handler, _released):
        handler.send_response(307)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def silent() -> Answer:
    def answer(_handler, released):
        released.wait(30)  # a Hub that takes the connection and never answers

    return answer


def trickle(body: bytes, delay_s: float) -> Answer:
    def answer(handler, released):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            if released.wait(delay_s):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return answer


class FakeHub:
    def __init__(self):
        self.routes: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict]] = []
        self.released = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append((self.path, dict(self.headers)))
                answer = fake.routes.get(self.path, status(404))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    answer(self, fake.released)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # `shutdown()` waits for the loop's next poll: 0.5 s by default, paid by each test at teardown.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-hub", daemon=True
        )

    def config_path(self, repo_id: str, revision: str = "main") -> str:
        return self.file_path(repo_id, "config.json", revision)

    def file_path(self, repo_id: str, filename: str, revision: str = "main") -> str:
        return f"/{repo_id}/resolve/{revision}/{filename}"

    def info_path(self, repo_id: str) -> str:
        return f"/api/models/{repo_id}?blobs=true"

    def asked(self) -> list[str]:
        return [path for path, _ in self.requests]


def model_info(repo_id: str, files: dict[str, int], *, gated: bool | str = False, **more) -> bytes:
    """The Hub's model-info JSON for a repo holding `files` (name -> size in bytes). Files over 10 MB
    are LFS files, as the Hub stores weights: their `lfs` entry carries the size and sha256."""
    siblings = []
    for name, size in files.items():
        digest = hashlib.sha256(f"{repo_id}/{name}".encode()).hexdigest()
        sibling = {"rfilename": name, "blobId": digest[:40], "size": size}
        if size > 10_000_000:
            sibling["lfs"] = {"size": size, "sha256": digest, "pointerSize": 135}
        siblings.append(sibling)
    author = repo_id.split("/")[0]
    info = {
        "_id": hashlib.sha256(repo_id.encode()).hexdigest()[:24],
        "id": repo_id,
        "modelId": repo_id,
        "author": author,
        "sha": hashlib.sha1(repo_id.encode()).hexdigest(),
        "lastModified": "2025-06-01T12:00:00.000Z",
        "createdAt": "2025-05-01T12:00:00.000Z",
        "private": False,
        "disabled": False,
        "gated": gated,
        "downloads": 0,
        "likes": 0,
        "tags": ["safetensors", "text-generation"],
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "cardData": {"license": "apache-2.0", "pipeline_tag": "text-generation"},
        "spaces": [],
        "siblings": siblings,
        "usedStorage": sum(files.values()),
    }
    return json.dumps(info | more).encode()


def server_thread(thread: threading.Thread) -> bool:
    """The fake Hub's own threads: the server loop and one per request."""
    return thread.name == "fake-hub" or "process_request_thread" in thread.name


@pytest.fixture(name="fake_hub")
def fake_hub_fixture(monkeypatch):
    """Import `fake_hub_fixture` into a test module to use `fake_hub`."""
    fake = FakeHub()
    fake.thread.start()
    monkeypatch.setattr(hub, "HUB_URL", fake.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield fake
    fake.released.set()
    fake.server.shutdown()
    fake.server.server_close()
