"""What every benchmark does before it measures: the project on the import path, Django's settings, and for
the benchmarks that load a million rows, a database of their own (never the demo county's)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def set_up_django(*, database: str | None = None) -> None:
    """Make the project importable and set Django up. With `database`, Django uses BENCH_DATABASE_URL, or that
    database on the local server, created when missing."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_mgmt.settings.development")
    if database is not None:
        url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
        os.environ["DATABASE_URL"] = url
        _create_database_if_missing(url)
    import django

    django.setup()


def _create_database_if_missing(url: str) -> None:
    """CREATE DATABASE through the server's maintenance database (Django cannot connect to a missing one)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"creating database {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()
