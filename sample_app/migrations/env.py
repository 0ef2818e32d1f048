"""Alembic environment: the URL comes from DATABASE_URL, the metadata from models.py."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import URL, create_engine, pool

from db import DatabaseNotConfigured, database_url, psycopg2_url
from models import Base

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name)

target_metadata = Base.metadata


def _url() -> URL:
    try:
        return psycopg2_url(database_url())
    except DatabaseNotConfigured as error:
        raise SystemExit(f"alembic: {error}") from None


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
