"""Alembic environment: runs on the connection handed over by db.session."""

from alembic import context

from db.models import Base
from db.types import FixedDecimal

target_metadata = Base.metadata
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` command line during development
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _render_item(type_, obj, autogen_context):
    # Migrations must not depend on app types: FixedDecimal is a BIGINT in the schema.
    if type_ == "type" and isinstance(obj, FixedDecimal):
        return "sa.BigInteger()"
    return False


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies tables
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
