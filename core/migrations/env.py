"""Alembic environment: the URL and metadata come from the running application."""

from __future__ import annotations

from alembic import context

from core import db
from core.migrations import import_all_models, include_name, include_object

import_all_models()
config = context.config
target_metadata = db.Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_name=include_name,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = db.get_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _pragma(connection, statement: str) -> list:
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement)
        return cursor.fetchall()
    finally:
        cursor.close()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table (create a copy, copy the rows, drop, rename). With
        # foreign keys enforced the drop deletes every row that refers to the table (ON DELETE
        # CASCADE) or fails: they are off while the migrations run (the pragma is ignored inside
        # a transaction: it goes to the driver's connection before SQLAlchemy begins one) and
        # checked after them.
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        if connection.in_transaction():
            connection.commit()
        broken = _pragma(connection, "PRAGMA foreign_key_check")
        _pragma(connection, "PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"the migrated database has broken references: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
