"""The Dockerfile's steps, run the way the image runs them (no Docker engine runs here)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from config.middleware import MAX_URL_CHARS

ROOT = Path(__file__).resolve().parent.parent


def raw_get(port: int, target: str) -> bytes:
    """The whole answer to a GET of `target`, sent as it is (urllib would send it too, but not read a
    response to a line the server stopped reading)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # a migration round trip or a script run: make test and CI run it
@pytest.mark.django_db(transaction=True)
def test_image_build_and_start_scripts_serve_the_page(tmp_path):
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "SKIP_INSTALL": "1",  # the packages are already in this environment
        "DEBUG": "0",
        "SECRET_KEY": "container-test",
        "BIND": "127.0.0.1",
        "PORT": str(port := free_port()),
        "WEB_CONCURRENCY": "1",
    }
    if db["ENGINE"].endswith("postgresql"):
        # the test database pytest-django created, reached the same way the app is
        host = db.get("HOST") or ""
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{host.replace('/', '%2F')}/{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'container.sqlite3'}"
    subprocess.run(["bash", "scripts/container-build.sh"], cwd=ROOT, env=env, check=True)
    assert (ROOT / "staticfiles" / "staticfiles.json").exists()
    server = subprocess.Popen(["bash", "scripts/container-start.sh"], cwd=ROOT, env=env)
    try:
        body = ""
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert "Will it run?" in body
        assert "fits on 2× GeForce RTX 3090" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/site.css", timeout=5) as response:
            assert response.status == 200
        # an address too long to read: the site's 414 page, from Django up to gunicorn's request line and
        # from gunicorn's worker past it (tests/test_long_urls.py), never gunicorn's bare one
        for length in (MAX_URL_CHARS + 50, 9000):
            answer = raw_get(port, "/?config=" + "x" * (length - len("/?config=")))
            assert answer.startswith(b"HTTP/1.1 414 ") and b"charset=utf-8" in answer
            assert b'class="site-header"' in answer and "“Read it”".encode() in answer
    finally:
        server.terminate()
        server.wait(timeout=30)
