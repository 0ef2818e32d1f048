"""Engine and sessions, created on first use from DATABASE_URL.

Nothing here connects at import time, so the app (and /health) starts without a database.
"""

import functools
import os
from collections.abc import Iterator

from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker


class DatabaseNotConfigured(RuntimeError):
    """DATABASE_URL is missing or empty."""


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        raise DatabaseNotConfigured(
            "DATABASE_URL is not set; expected e.g. postgresql://user:password@host:5432/dbname"
        )
    return url


def psycopg2_url(url: str) -> URL:
    """The URL with the psycopg2 driver made explicit.

    SQLAlchemy 2.1 maps a bare postgresql:// to psycopg (version 3), which this app does not
    install; psycopg2 is the driver the course compiles.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


@functools.cache
def _engine_for(url: str) -> Engine:
    # A short connect timeout makes an unreachable server a quick 503, not a hung request.
    return create_engine(
        psycopg2_url(url), pool_pre_ping=True, connect_args={"connect_timeout": 5}
    )


@functools.cache
def _sessions_for(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def get_engine() -> Engine:
    """The engine for the current DATABASE_URL (read on every call, engines are cached)."""
    return _engine_for(database_url())


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards."""
    with _sessions_for(get_engine())() as session:
        yield session


def describe_database_error(error: Exception) -> str:
    """One line for an API client: the driver's own first line, without SQLAlchemy's wrapping."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return f"database unreachable: {lines[0] if lines else type(original).__name__}"
