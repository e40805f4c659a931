"""Schema migrations through Alembic, driven by the application's database URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from core import db

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.normalise_url(url).replace("%", "%%"))
    return cfg


def database_only(metadata=None) -> dict[str, set[str]]:
    """Objects that exist only in the database, not in the models: dialect-specific DDL (a
    full-text table, a generated column, its index) that a migration creates by hand.

    A table declares them in ``info["database_only"]``: ``{"tables": (...), "columns": (...),
    "indexes": (...)}`` (columns of that table; tables and indexes by name).
    """
    names: dict[str, set[str]] = {"table": set(), "column": set(), "index": set()}
    for table in (metadata or db.Base.metadata).tables.values():
        declared = table.info.get("database_only", {})
        names["table"].update(declared.get("tables", ()))
        names["column"].update(f"{table.name}.{c}" for c in declared.get("columns", ()))
        names["index"].update(declared.get("indexes", ()))
    return names


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: leave the :func:`database_only` objects out of comparisons
    (autogenerate would otherwise drop them, and the models-vs-migrations test report them)."""
    if name is None:
        return True
    hidden = database_only()
    if type_ == "column":
        return f"{parent_names.get('table_name')}.{name}" not in hidden["column"]
    return name not in hidden.get(type_, set())


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    from alembic.migration import MigrationContext

    with db.get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def revision(url: str, message: str) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)
