"""Tampering with the register the way someone with database access would (tests only).

:func:`unguarded` goes around the database guards: PostgreSQL disables the tables' triggers inside
the transaction (``ALTER TABLE ... DISABLE TRIGGER USER``, enabled again before the commit);
SQLite drops the triggers and creates them again from their stored SQL in the same transaction.
"""

from __future__ import annotations

from contextlib import contextmanager

from core import db


@contextmanager
def unguarded(*tables: str):
    """Raw SQL past the triggers of ``tables`` (default: the entries), committed at the end (the
    triggers come back)."""
    tables = tables or ("register_entries",)
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        for name in tables:
            conn.exec_driver_sql(f"ALTER TABLE {name} DISABLE TRIGGER USER")
        yield conn
        for name in tables:
            conn.exec_driver_sql(f"ALTER TABLE {name} ENABLE TRIGGER USER")
    else:
        triggers = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ("
            + ", ".join(f"'{name}'" for name in tables)
            + ")"
        ).all()
        assert triggers, "the migrations created no triggers"
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield conn
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)
    db.session.commit()
