"""The ASGI app: `uvicorn main:app` from this folder."""

import psycopg2.errors
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError, ProgrammingError

import api
import health
from db import DatabaseNotConfigured, describe_database_error

app = FastAPI(title="Lean Python Images sample app", version="1.0.0")
app.include_router(health.router)
app.include_router(api.router)


@app.exception_handler(DatabaseNotConfigured)
async def _database_not_configured(_: Request, error: DatabaseNotConfigured) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": str(error)})


@app.exception_handler(OperationalError)
async def _database_unreachable(_: Request, error: OperationalError) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": describe_database_error(error)})


@app.exception_handler(ProgrammingError)
async def _schema_missing(request: Request, error: ProgrammingError) -> JSONResponse:
    # The usual first-run mistake is starting the app before migrating; say so plainly.
    if isinstance(getattr(error, "orig", None), psycopg2.errors.UndefinedTable):
        detail = "the database has no notes table yet: run `alembic upgrade head` first"
        return JSONResponse(status_code=503, content={"detail": detail})
    raise error
