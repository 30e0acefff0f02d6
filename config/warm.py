"""What a process does once, before its first request instead of inside it (gunicorn.conf.py `warm`).

Django imports the URLconf, and with it every view module and what they import, on the first request it
resolves; compiles each template on its first render (the cached loader keeps it for the process); and the
response cache's key asks once per process for the release digest (`http_cache.release`, a read of every
template, static file and module of the project). A worker's first question paid all three: ~0.2 s of CPU
with the modules' bytecode cached, ~0.4 s without (the image sets PYTHONDONTWRITEBYTECODE). Each page of the
site answers the same, only sooner. Nothing here reads the database.
"""

from pathlib import Path

from django.template import engines
from django.urls import get_resolver

from . import http_cache


def warm_process() -> None:
    get_resolver().url_patterns  # noqa: B018 (the property imports every app's URLconf and views)
    for backend in engines.all():  # the project's own templates (settings.TEMPLATES' DIRS), not the admin's
        for folder in backend.dirs:
            for path in sorted(Path(folder).rglob("*.html")):
                backend.get_template(path.relative_to(folder).as_posix())
    http_cache.release()
