"""Liveness (/health, never touches the database) and readiness (/health/db)."""

import platform

import psycopg2
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from db import DatabaseNotConfigured, describe_database_error, get_engine

router = APIRouter(prefix="/health", tags=["health"])


def libpq_version(number: int = psycopg2.__libpq_version__) -> str:
    """Render libpq's integer version: 150010 -> '15.10', 90624 -> '9.6.24'."""
    major, rest = divmod(number, 10000)
    if major >= 10:
        return f"{major}.{rest}"
    minor, patch = divmod(rest, 100)
    return f"{major}.{minor}.{patch}"


@router.get("")
def health() -> dict[str, str]:
    return {
        "status": "ok",
        "python": platform.python_version(),
        "psycopg2": psycopg2.__version__.split()[0],
        "libpq": libpq_version(),
    }


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"status": "unavailable", "detail": detail})


@router.get("/db")
def health_db() -> JSONResponse:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
    except DatabaseNotConfigured as error:
        return _unavailable(str(error))
    except SQLAlchemyError as error:
        return _unavailable(describe_database_error(error))
    return JSONResponse({"status": "ok", "database": "reachable"})

