"""A migrated PostgreSQL database holding the shipped catalog, which each test database is copied from.

Migrating an empty database takes ~5 s of CPU and loading the catalog ~2 s, in each pytest-xdist worker
at each run; `CREATE DATABASE ... TEMPLATE` copies the finished one in a fraction of a second. Django
does the copy itself when `DATABASES["default"]["TEST"]["TEMPLATE"]` names the template
(tests/conftest.py sets it); its `migrate` then finds nothing to apply.

The template is named `test_<database>_template` and carries, as its comment, a hash of what it was
built from: every .py file of the project outside tests/, bench/ and scripts/ (migrations, models, the
loader and what they import) and every file of fixtures/. A change to any of them builds it anew on the
next run; changes to tests, templates or static files reuse it. It also holds the `test_catalog_snapshot`
schema, the copy of the catalog's tables that transactional tests get back (tests/conftest.py).

`python tests/db_template.py` builds it if it is missing or stale (scripts/test.sh runs it while the
linters run); tests/conftest.py runs it when a worker finds no template that fits. A PostgreSQL advisory
lock makes every other caller wait for the one building.
"""

import hashlib
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_READ_BY_THE_BUILD = {"tests", "bench", "scripts", "build", "deploy", "static", "staticfiles", "templates"}
SNAPSHOT = "test_catalog_snapshot"
LOCK = 0x77697472  # any constant: pg_advisory_lock's key, shared by every process building a template


def source_hash() -> str:
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    for top in sorted(ROOT.iterdir()):
        if not top.is_dir() or top.name.startswith(".") or top.name in NOT_READ_BY_THE_BUILD:
            continue
        for path in sorted(top.rglob("*")):
            if path.is_file() and (top.name == "fixtures" or path.suffix == ".py"):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def template_name(database: str) -> str:
    return f"test_{database}_template"


def description(cursor, name: str) -> dict | None:
    """What the template says it holds (`key`, `tables`), or None if there is none."""
    cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
    row = cursor.fetchone()
    if not row or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


def fitting(cursor, name: str, key: str) -> dict | None:
    found = description(cursor, name)
    return found if found and found.get("key") == key else None


def build() -> dict:
    """Build the template unless one built from the same sources exists; what it holds."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    key = source_hash()
    name = template_name(connection.settings_dict["NAME"])
    with connection._nodb_cursor() as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        try:
            found = fitting(admin, name, key)
            if found:
                return found
            quoted = connection.ops.quote_name(name)
            admin.execute(f"DROP DATABASE IF EXISTS {quoted}")
            admin.execute(f"CREATE DATABASE {quoted}")
            connection.settings_dict["NAME"] = name
            try:
                call_command("migrate", verbosity=0, interactive=False)
                before = row_counts(connection)
                call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())
                after = row_counts(connection)
                tables = sorted(table for table, rows in after.items() if rows != before[table])
                if any(before[table] for table in tables):
                    raise RuntimeError("the catalog load adds to a migration's rows")
                with connection.cursor() as cursor:
                    cursor.execute(f"CREATE SCHEMA {SNAPSHOT}")
                    for table in tables:
                        quoted_table = connection.ops.quote_name(table)
                        cursor.execute(f"CREATE TABLE {SNAPSHOT}.{quoted_table} AS TABLE {quoted_table}")
            finally:
                connection.close()
            built = {"key": key, "tables": tables}
            admin.execute(f"COMMENT ON DATABASE {quoted} IS %s", [json.dumps(built)])
            return built
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", [LOCK])


def row_counts(connection) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
        return counts


if __name__ == "__main__":
    sys.stdout.write(json.dumps(build()) + "\n")  # the last line: what tests/conftest.py reads
