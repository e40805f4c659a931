"""The county key in a migration: add ``county_id`` to tables that exist and fill it from the
data (the model side is :class:`core.db.CountyKey`).

``add_county_key(tables)`` takes ``(table, source column, source table, optional)`` tuples, the
tables a row's county comes from first (``items`` before ``item_versions``). For each table it
adds the column, fills it — the root of the row's organisation (``coalesce(root_id, id)`` of
``organisations``), or the county of the row it belongs to — and then makes it ``NOT NULL``
(unless optional), a foreign key to ``organisations`` and indexed.

No table is rebuilt, so the rows keep their ids and other tables' foreign keys, and the
register's guard triggers stay (DESIGN: the register is append-only):

* PostgreSQL: the guard triggers of the table are disabled for the one UPDATE that fills the
  column (``DISABLE TRIGGER USER``; foreign keys stay enforced) and enabled again.
* SQLite: ``ADD COLUMN`` with its foreign key inline; the table's triggers are dropped for the
  UPDATE and created again from their stored text; ``NOT NULL`` is then written into the
  table's stored definition (SQLite cannot add it with ``ALTER TABLE``, and a batch rebuild
  would drop the table its children point to while foreign keys are enforced). The text edit
  changes no stored row; the migration first checks that no row is left without a county.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

Keyed = tuple[str, str, str, bool]
"""(table, source column, source table, optional)."""


def _fill(table: str, column: str, source: str) -> str:
    """The UPDATE that fills ``county_id`` (names of the schema, not input: S608 does not apply)."""
    key = "coalesce(s.root_id, s.id)" if source == "organisations" else "s.county_id"
    value = f"SELECT {key} FROM {source} s WHERE s.id = {table}.{column}"  # noqa: S608
    return f"UPDATE {table} SET county_id = ({value})"  # noqa: S608


def add_county_key(tables: Sequence[Keyed]) -> None:
    bind = op.get_bind()
    for table, column, source, optional in tables:
        fk = f"fk_{table}_county_id_organisations"
        if bind.dialect.name == "sqlite":
            _add_sqlite(bind, table, column, source, fk)
        else:
            op.add_column(table, sa.Column("county_id", sa.Integer(), nullable=True))
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            op.execute(_fill(table, column, source))
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            op.create_foreign_key(op.f(fk), table, "organisations", ["county_id"], ["id"])
        missing = bind.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE county_id IS NULL")  # noqa: S608
            if not optional
            else sa.text(
                f"SELECT count(*) FROM {table} WHERE county_id IS NULL AND {column} IS NOT NULL"  # noqa: S608
            )
        ).scalar()
        if missing:
            raise RuntimeError(f"{table}: {missing} rows whose county cannot be found")
        if not optional:
            if bind.dialect.name == "sqlite":
                _sqlite_definition(bind, table, "county_id INTEGER CONSTRAINT",
                                   "county_id INTEGER NOT NULL CONSTRAINT")  # fmt: skip
            else:
                op.alter_column(table, "county_id", existing_type=sa.Integer(), nullable=False)
        op.create_index(op.f(f"ix_{table}_county_id"), table, ["county_id"])


def drop_county_key(tables: Sequence[Keyed]) -> None:
    """The downgrade of :func:`add_county_key` (children first: pass the same list)."""
    bind = op.get_bind()
    for table, *_ in reversed(tables):
        op.drop_index(op.f(f"ix_{table}_county_id"), table_name=table)
        fk = f"fk_{table}_county_id_organisations"
        if bind.dialect.name == "sqlite":  # DROP COLUMN refuses a column with a foreign key
            text = bind.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                {"t": table},
            ).scalar()
            start = text.index("county_id INTEGER")
            _sqlite_definition(bind, table, text[start : text.index(")", start) + 1],
                               "county_id INTEGER")  # fmt: skip
        else:
            op.drop_constraint(op.f(fk), table, type_="foreignkey")
        op.drop_column(table, "county_id")


def _add_sqlite(bind, table: str, column: str, source: str, fk: str) -> None:
    op.execute(
        f"ALTER TABLE {table} ADD COLUMN county_id INTEGER "
        f"CONSTRAINT {fk} REFERENCES organisations (id)"
    )
    triggers = bind.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    ).all()
    for name, _sql in triggers:
        op.execute(f"DROP TRIGGER {name}")
    op.execute(_fill(table, column, source))
    for _name, sql in triggers:
        op.execute(sql)


def _sqlite_definition(bind, table: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the stored ``CREATE TABLE`` of ``table`` (SQLite's
    documented schema edit: ``writable_schema``, then a new ``schema_version`` so that every
    connection reads the definition again)."""
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar()
    op.execute("PRAGMA writable_schema = ON")
    changed = bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
            "WHERE type = 'table' AND name = :t AND instr(sql, :old) > 0"
        ),
        {"old": old, "new": new, "t": table},
    ).rowcount
    op.execute(f"PRAGMA schema_version = {version + 1}")
    op.execute("PRAGMA writable_schema = OFF")
    if changed != 1:
        raise RuntimeError(f"{table}: the definition of county_id was not found")
