"""The deployment files: gunicorn.conf.py, compose.yaml, deploy/nginx.conf, deploy/healthcheck.py.

No Docker engine or nginx runs here: these check what the files say, and run what runs without them.
"""

import http.server
import json
import os
import re
import runpy
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml  # PyYAML comes with gguf and huggingface_hub
from gunicorn.config import Config
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_ENV = [
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_BIND",
    "BIND",
    "PORT",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_PRELOAD",
    "GUNICORN_ACCESS_LOG",
    "GUNICORN_CONTROL_SOCKET",
    "FORWARDED_ALLOW_IPS",
]


def gunicorn_conf(monkeypatch, **env) -> dict:
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def gunicorn_config(conf: dict) -> Config:
    """Gunicorn's own Config, fed the file's settings the way gunicorn does: its validators run."""
    cfg = Config()
    for name, value in conf.items():
        if name in cfg.settings:
            cfg.set(name, value)
    return cfg


def test_gunicorn_conf_reads_the_environment(monkeypatch):
    conf = gunicorn_conf(
        monkeypatch,
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="3",
        BIND="127.0.0.1",
        PORT="18123",
        GUNICORN_TIMEOUT="90",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_KEEPALIVE="7",
        GUNICORN_MAX_REQUESTS="500",
        GUNICORN_MAX_REQUESTS_JITTER="50",
        GUNICORN_PRELOAD="0",
        GUNICORN_ACCESS_LOG="off",
        FORWARDED_ALLOW_IPS="*",
    )
    cfg = gunicorn_config(conf)
    assert cfg.workers == 5
    assert cfg.threads == 3
    assert cfg.worker_class_str == "config.gunicorn_workers.SiteThreadWorker"  # gthread, with the site's 414
    assert issubclass(cfg.worker_class, ThreadWorker)
    assert cfg.bind == ["127.0.0.1:18123"]
    assert (cfg.timeout, cfg.graceful_timeout, cfg.keepalive) == (90, 20, 7)
    assert (cfg.max_requests, cfg.max_requests_jitter) == (500, 50)
    assert cfg.preload_app is False
    assert cfg.accesslog is None
    assert cfg.forwarded_allow_ips == ["*"]
    assert cfg.wsgi_app == "config.wsgi:application"


def test_gunicorn_bind_takes_several_addresses(monkeypatch):
    conf = gunicorn_conf(monkeypatch, GUNICORN_BIND="unix:/tmp/wir.sock, 127.0.0.1:18124", PORT="1")
    assert gunicorn_config(conf).bind == ["unix:/tmp/wir.sock", "127.0.0.1:18124"]


def test_gunicorn_defaults_serve_on_port_8000_with_sync_workers_and_no_second_access_log(monkeypatch):
    """Sync workers, 2 x CPUs + 1 of them (bench/README.md, "Load"); the site logs requests itself."""
    cfg = gunicorn_config(gunicorn_conf(monkeypatch))
    assert cfg.bind == ["0.0.0.0:8000"]
    assert cfg.workers == 2 * len(os.sched_getaffinity(0)) + 1
    assert cfg.threads == 1
    assert issubclass(cfg.worker_class, SyncWorker)  # with the site's 414 (config/gunicorn_workers.py)
    assert cfg.accesslog is None
    assert cfg.preload_app is True
    assert cfg.max_requests == 0  # no recycling unless asked (bench/README.md, "Load")
    # several servers on one machine must not share gunicorn's default control socket in $HOME
    assert cfg.control_socket_disable is True


def test_one_thread_means_sync_workers(monkeypatch):
    assert issubclass(
        gunicorn_config(gunicorn_conf(monkeypatch, GUNICORN_THREADS="1")).worker_class, SyncWorker
    )


def test_access_log_lines_are_json_even_with_quotes_in_the_user_agent(monkeypatch):
    conf = gunicorn_conf(monkeypatch)
    cfg = gunicorn_config(conf)
    logger = conf["JsonAccessLogger"](cfg)
    agent = 'curl/8 "quoted" \\ back\nslash'
    resp = SimpleNamespace(status="200 OK", sent=1234, headers=[("X-Request-ID", "abc123")])
    req = SimpleNamespace(headers=[("USER-AGENT", agent), ("X-FORWARDED-FOR", "203.0.113.9")])
    environ = {
        "REMOTE_ADDR": "10.0.0.2",
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/estimate?model=x",
        "PATH_INFO": "/api/v1/estimate",
        "QUERY_STRING": "model=x",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": agent,
    }
    atoms = logger.atoms_wrapper_class(logger.atoms(resp, req, environ, timedelta(milliseconds=12)))
    line = json.loads(cfg.access_log_format % atoms)
    assert line["user_agent"] == agent
    assert line["path"] == "/api/v1/estimate" and line["query"] == "model=x"
    assert (line["status"], line["ms"], line["bytes"]) == (200, 12, "1234")
    assert (line["request_id"], line["forwarded_for"]) == ("abc123", "203.0.113.9")


def test_container_start_script_uses_gunicorn_conf_and_can_only_migrate():
    script = (ROOT / "scripts" / "container-start.sh").read_text()
    assert "gunicorn --config gunicorn.conf.py" in script
    assert "MIGRATE_ON_START" in script
    result = subprocess.run(["bash", "scripts/container-start.sh", "nonsense"], cwd=ROOT, capture_output=True)
    assert result.returncode == 2
    assert b"usage" in result.stderr


def test_dockerfile_starts_with_the_start_script_and_checks_health():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["bash", "scripts/container-start.sh"]' in dockerfile
    assert "deploy/healthcheck.py" in dockerfile
    assert '".[redis]"' in dockerfile  # CACHE_URL=redis:// needs the redis package
    assert "USER app" in dockerfile


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_nginx_app_replicas_postgresql_15_and_redis_7(compose):
    services = compose["services"]
    assert {"nginx", "app", "db", "redis", "migrate"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["app"]["image"] == services["migrate"]["image"]
    assert services["app"]["build"] == "."
    replicas = services["app"]["deploy"]["replicas"]
    assert int(re.sub(r"\$\{APP_REPLICAS:-(\d+)\}", r"\1", str(replicas))) >= 2
    assert "ports" not in services["app"]  # only nginx is published
    assert services["nginx"]["ports"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]


def test_compose_app_waits_for_its_database_cache_and_migrations(compose):
    depends = compose["services"]["app"]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert compose["services"]["migrate"]["command"][-1] == "migrate"
    assert compose["services"]["app"]["environment"]["MIGRATE_ON_START"] == "0"
    assert compose["services"]["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_compose_healthchecks_ask_the_app_for_readyz_and_healthz(compose):
    services = compose["services"]
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["nginx"]["healthcheck"]["test"])
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]


def test_compose_app_environment_is_production_and_every_variable_is_read(compose):
    env = compose["services"]["app"]["environment"]
    assert env["DEBUG"] == "0"
    assert env["BEHIND_PROXY"] == "1"
    assert env["CACHE_URL"].startswith("redis://redis:")
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # required, never a default
    # gunicorn reads WEB_CONCURRENCY as a number on import, before gunicorn.conf.py: never empty
    assert re.fullmatch(r"\$\{WEB_CONCURRENCY:-[1-9][0-9]*\}", env["WEB_CONCURRENCY"])
    readers = "".join(
        (ROOT / p).read_text()
        for p in ("config/settings.py", "gunicorn.conf.py", "scripts/container-start.sh")
    )
    unread = [name for name in env if not re.search(rf"\b{name}\b", readers)]
    assert not unread, f"set in compose.yaml but read nowhere: {unread}"


def test_nginx_proxies_to_the_app_with_forwarded_headers_and_gzip():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert code.count("{") == code.count("}")
    assert re.search(r"upstream app \{[^}]*server app:8000", code)
    assert "proxy_pass http://app;" in code
    assert "proxy_set_header Host $host;" in code
    # overwritten, not appended: the rate limiter trusts the first X-Forwarded-For entry
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in code
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in code
    assert re.search(r"^\s*gzip on;", code, re.MULTILINE)
    assert "proxy_cache_key" in code and "$http_hx_request" in code  # page and HTMX partial apart
    # a request line past gunicorn's 8,190 bytes reaches it (its site page, not nginx's bare 414 at 8k)
    buffers = re.search(r"^\s*large_client_header_buffers (\d+) (\d+)k;", code, re.MULTILINE)
    assert buffers and int(buffers.group(2)) * 1024 > 8190


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/readyz" and self.headers["Host"] == "willitrun.example"
        self.send_response(200 if ok else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_healthcheck_script_asks_with_an_allowed_host(monkeypatch):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        healthcheck = runpy.run_path(str(ROOT / "deploy" / "healthcheck.py"))
        monkeypatch.setenv("PORT", str(server.server_address[1]))
        monkeypatch.setenv("ALLOWED_HOSTS", ".willitrun.example,localhost")
        monkeypatch.setattr("sys.argv", ["healthcheck.py"])
        assert healthcheck["main"]() == 0
        monkeypatch.setenv("ALLOWED_HOSTS", "localhost")
        assert healthcheck["main"]() == 1
    finally:
        server.shutdown()
        server.server_close()


def test_workers_fork_with_the_imported_project_frozen_out_of_the_collector(monkeypatch):
    import gc

    conf = gunicorn_conf(monkeypatch)
    try:
        conf["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_app_is_warmed_once_before_forking_or_by_each_worker_without_preloading(monkeypatch):
    """gunicorn.conf.py `warm` runs WARM_UPS (the URLconf and templates, the glossary, the reverse questions'
    tables): preloaded, in the master before its first fork (`when_ready`), so every worker starts with them;
    else in each worker before its first request (`post_worker_init`). One that fails (no database yet) is
    logged and the others still run."""
    ran, failed = [], []
    monkeypatch.setattr("config.warm.warm_process", lambda: ran.append("process"))
    monkeypatch.setattr("glossary.content.library", lambda: ran.append("glossary"))

    def no_database():
        raise RuntimeError("no database yet")

    monkeypatch.setattr("reverse_questions.warm.warm", no_database)
    log = SimpleNamespace(info=lambda *a: None, exception=lambda message, *a: failed.append(message % a))
    preloaded = gunicorn_conf(monkeypatch)
    preloaded["post_worker_init"](SimpleNamespace(log=log))
    assert ran == []
    preloaded["when_ready"](SimpleNamespace(log=log))
    assert ran == ["process", "glossary"]
    assert failed == ["reverse_questions.warm.warm failed before the first request"]
    ran.clear()
    each = gunicorn_conf(monkeypatch, GUNICORN_PRELOAD="0")
    each["when_ready"](SimpleNamespace(log=log))
    assert ran == []
    each["post_worker_init"](SimpleNamespace(log=log))
    assert ran == ["process", "glossary"]


def test_warming_a_process_compiles_every_template_and_reads_the_release_once():
    """config/warm.py: what a worker's first request did besides its answer (the release digest alone read
    every file of the project, ~60 ms), done before it."""
    from django.template import engines

    from config import http_cache
    from config.warm import warm_process

    backend = engines["django"]
    [cached] = backend.engine.template_loaders[0].loaders  # template_partials' loader around the cached one
    cached.reset()
    http_cache.release.cache_clear()
    warm_process()
    assert http_cache.release.cache_info().currsize == 1
    compiled = set(cached.get_template_cache)
    for folder in backend.dirs:
        names = {p.relative_to(folder).as_posix() for p in Path(folder).rglob("*.html")}
        assert names and names <= compiled
