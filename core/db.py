"""Database kernel: declarative base, naming convention, the engine and the session.

Kernel module: imports nothing else of the project.

One transaction per request (or command, or job): code calls :data:`session`, operations
flush, and the request/command boundary commits once (:func:`commit`). Reactions that must
leave only after the commit (jobs, mail) listen to the session's ``after_commit`` event.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


def utcnow() -> datetime:
    return datetime.now(UTC)


session = scoped_session(sessionmaker(expire_on_commit=False))
"""The one session of the current thread (a request, a command or a job)."""

_engines: dict[str, Engine] = {}


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite write waits for another one (a sweep, a job) before it gives up."""

_writing: ContextVar[bool] = ContextVar("gongkai_writing", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """A unit of work that writes (a job, a sweep): on SQLite its transactions take the write
    lock when they begin (see :func:`_sqlite_begin`)."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _writes() -> bool:
    if _writing.get():
        return True
    from flask import has_request_context, request

    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def _sqlite_begin(conn) -> None:
    """SQLite: a request that may write (a form sent, an API write) and a job begin their
    transaction ``IMMEDIATE``, taking the write lock at once and waiting for it (busy timeout)
    while a sweep or another request holds it. A deferred transaction that read first and wants
    to write after another one committed would fail at once with "database is locked" (its
    snapshot is stale), whatever the busy timeout: the 500 of a sign-in in the first seconds
    after ``gongkai run`` (the start-up sweeps) and of a step racing the embedded scheduler."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _writes() else "BEGIN")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not pysqlite, begin transactions, so that SAVEPOINTs work (SQLAlchemy's
    # documented recipe for "serializable isolation / savepoints" with pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    # PostgreSQL's set_config()/current_setting() for custom settings, so that a guard trigger
    # can read a flag the same way on both databases. Per connection, not per transaction:
    # whoever sets a flag resets it (see core.register.models.purge_allowed).
    settings: dict[str, str] = {}

    def set_config(name: str, value: str, _is_local: bool) -> str:
        settings[name] = value
        return value

    dbapi_connection.create_function("set_config", 3, set_config)
    dbapi_connection.create_function("current_setting", -1, lambda name, *_: settings.get(name))


def get_engine(url: str) -> Engine:
    """One engine per URL per process (shared by apps made for the same database)."""
    url = normalise_url(url)
    engine = _engines.get(url)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(
                url, pool_pre_ping=True, connect_args={"prepare_threshold": None}
            )
        _engines[url] = engine
        # A forked worker must not reuse the parent's pooled connections.
        os.register_at_fork(after_in_child=lambda e=engine: e.dispose(close=False))
    return engine


def bind(url: str) -> Engine:
    """Bind the thread-scoped session to the database at ``url``."""
    engine = get_engine(url)
    session.remove()
    session.configure(bind=engine)
    return engine


def commit() -> None:
    """Commit the unit of work; roll back and re-raise when it fails."""
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
