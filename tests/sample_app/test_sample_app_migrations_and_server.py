"""alembic and uvicorn run from the app folder, as the README and the Dockerfiles run them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psycopg2
import pytest

from sample_app_support import SAMPLE_APP_DIR, migrate, run_alembic
from pgserver import PostgresServer, free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
def empty_database(postgres_server: PostgresServer) -> Iterator[str]:
    yield postgres_server.create_database("migration_check")
    postgres_server.drop_database("migration_check")


def columns_of_notes(url: str) -> dict[str, tuple[str, str]]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = 'notes'"
        )
        return {name: (data_type, nullable) for name, data_type, nullable in cursor.fetchall()}


def test_upgrade_head_creates_the_notes_table_and_downgrade_removes_it(empty_database):
    migrate(empty_database)

    assert columns_of_notes(empty_database) == {
        "id": ("integer", "NO"),
        "title": ("character varying", "NO"),
        "body": ("text", "NO"),
        "created_at": ("timestamp with time zone", "NO"),
    }
    assert "0001 (head)" in run_alembic(empty_database, "current").stdout

    downgrade = run_alembic(empty_database, "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr
    assert columns_of_notes(empty_database) == {}


def test_alembic_without_database_url_exits_with_a_clear_message():
    result = run_alembic(None, "upgrade", "head")

    assert result.returncode != 0
    assert "alembic: DATABASE_URL is not set" in result.stderr


def test_models_match_the_migrated_schema(empty_database):
    """Autogenerate finds nothing to do when models.py and the migrations agree."""
    migrate(empty_database)

    result = run_alembic(empty_database, "check")

    assert result.returncode == 0, result.stdout + result.stderr


def test_uvicorn_main_app_serves_from_the_app_folder(migrated_database_url):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": migrated_database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=SAMPLE_APP_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/health", server)

        assert httpx.get(f"{base}/health/db").status_code == 200
        created = httpx.post(f"{base}/notes", json={"title": "over real HTTP"})
        assert created.status_code == 201
        assert httpx.get(f"{base}/notes/{created.json()['id']}").json() == created.json()
        assert httpx.delete(f"{base}/notes/{created.json()['id']}").status_code == 204
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until_serving(url: str, server: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"uvicorn exited with {server.returncode}:\n{server.stdout.read()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"uvicorn did not answer {url} within {timeout}s")
