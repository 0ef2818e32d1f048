"""Fixtures for the sample app: a real PostgreSQL server, a migrated database, the app itself."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from pgserver import PostgresError, PostgresServer, running_postgres
from sample_app_support import SAMPLE_APP_DIR, migrate

# The app's modules are imported by their top-level names, as `uvicorn main:app` does.
APP_MODULES = ("main", "api", "health", "db", "models", "schemas")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole session; never skipped, never SQLite."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def migrated_database_url(postgres_server: PostgresServer) -> str:
    """A database that `alembic upgrade head` has brought to the current schema."""
    url = postgres_server.create_database("sample_app")
    migrate(url)
    return url


@pytest.fixture(scope="session")
def sample_app_modules() -> Iterator[dict[str, ModuleType]]:
    """The app's modules, imported from sample_app/ and removed from sys.modules afterwards."""
    clashes = [name for name in APP_MODULES if name in sys.modules]
    assert not clashes, f"modules already imported under the sample app's names: {clashes}"
    sys.path.insert(0, str(SAMPLE_APP_DIR))
    try:
        yield {name: importlib.import_module(name) for name in APP_MODULES}
    finally:
        sys.path.remove(str(SAMPLE_APP_DIR))
        for name in APP_MODULES:
            sys.modules.pop(name, None)
