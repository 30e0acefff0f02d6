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

ROOT = Path(__file__).resolve().parent.parent


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
    finally:
        server.terminate()
        server.wait(timeout=30)
