"""Database kernel: declarative base, naming convention, the engine and the session.

Kernel module: imports nothing else of the project.

One transaction per request (or command, or job): code calls :data:`session`, operations
flush, and the request/command boundary commits once (:func:`commit`). Reactions that must
leave only after the commit (jobs, mail) listen to the session's ``after_commit`` event.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    object_session,
    scoped_session,
    sessionmaker,
)
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


class CountyKey:
    """Mixin of every tenant-owned table: ``county_id``, the hosted county (the root of the
    organisation tree) that the row belongs to — set on insert, never by hand.

    Every row of a county can then be found by one column: the county's export and deletion
    (``gongkai county``), and growing past one PostgreSQL (a county per database, or Citus
    with ``county_id`` as the distribution key; deploy/README.md). ``tests/test_county_key.py``
    checks that every table is either county-keyed or named as platform-wide.

    The county comes from ``__county_from__`` = (column, table): by default the row's
    ``org_id`` (the root of that organisation); a row that belongs to another row names it,
    e.g. ``("item_id", "items")`` takes the item's county. A table whose rows may also be
    platform-wide (an audit entry without organisation) sets ``__county_optional__``: its
    ``county_id`` is NULL exactly when the source column is.
    """

    __county_from__: ClassVar[tuple[str, str]] = ("org_id", "organisations")
    __county_optional__: ClassVar[bool] = False

    @declared_attr
    def county_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("organisations.id"), index=True, nullable=cls.__county_optional__
        )


def county_of(connection, table: str, row_id: int | None) -> int | None:
    """The county of the row ``row_id`` of ``table`` (of an organisation: its root)."""
    if row_id is None:
        return None
    if table == "organisations":
        sql = "SELECT coalesce(root_id, id) FROM organisations WHERE id = :id"
    else:
        sql = f"SELECT county_id FROM {table} WHERE id = :id"  # noqa: S608 (a model's own name)
    return connection.execute(text(sql), {"id": row_id}).scalar()


@event.listens_for(CountyKey, "before_insert", propagate=True)
def _set_county_key(_mapper, connection, target: CountyKey) -> None:
    if target.county_id is not None:
        return
    column, table = target.__county_from__
    source = getattr(target, column)
    cache = object_session(target).info.setdefault("gongkai_county_keys", {})
    key = (table, source)
    if key not in cache:
        cache[key] = county_of(connection, table, source)
    target.county_id = cache[key]
    if target.county_id is None and not (target.__county_optional__ and source is None):
        raise ValueError(f"{type(target).__name__}: no county for {column} = {source!r}")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_county_keys(sess: Session) -> None:
    """Forget the counties looked up in the transaction (a row deleted since may give its id
    to another)."""
    sess.info.pop("gongkai_county_keys", None)


session = scoped_session(sessionmaker(expire_on_commit=False))
"""The one session of the current thread (a request, a command or a job)."""


MEMO_KEY = "gongkai_memo"


def remembered(key: tuple, build: Callable[[], Any]) -> Any:
    """``build()``, asked once per transaction for ``key`` while nothing changes: a read that
    one page asks for several times (the effective catalogue version of a unit). Forgotten at
    every flush, commit and rollback and at any UPDATE or DELETE statement; while the session
    holds changes not yet flushed, ``build()`` runs every time (it flushes them first)."""
    sess = session()
    memo = sess.info.get(MEMO_KEY)
    pending = bool(sess.new or sess.dirty or sess.deleted)
    if memo is not None and key in memo and not pending:
        return memo[key]
    value = build()  # a query flushes what is pending first (autoflush)
    if not (sess.new or sess.dirty or sess.deleted):
        sess.info.setdefault(MEMO_KEY, {})[key] = value
    return value


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_memo(sess: Session, *_args) -> None:
    sess.info.pop(MEMO_KEY, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_memo_on_write(state) -> None:
    if not state.is_select:
        state.session.info.pop(MEMO_KEY, None)


_engines: dict[str, Engine] = {}


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite write waits for another one (a sweep, a job) before it gives up."""
SQLITE_MMAP_BYTES = 2**31 - 2**16
"""SQLite reads the database file through a memory map of up to this size (its compiled maximum,
2 GB, caps it), not with a read call per page: a search that reads a thousand scattered
documents of a large database (the search budget's 300,000 items) takes a third of the time.
The pages are the operating system's file cache, shared by every connection and process."""

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
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
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


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached just now (down, restarting, the
    connection cut), rather than that a statement was wrong."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):  # a busy or unreadable file, not SQL
        return any(s in str(exc.orig) for s in ("locked", "unable to open", "disk I/O"))
    return True


def rows(statement) -> Any:
    """The rows of a statement of plain columns (an aggregate, a list of ids), read through the
    session's connection without the ORM's row processing: for reads of thousands of rows (a
    compliance table's figures of every unit), where it is most of the cost. Autoflushes first,
    as :meth:`Session.execute` does."""
    session.flush()
    return session.connection().execute(statement)


KEPT = "gongkai.kept"
"""Where :func:`keep` lists the facts that outlive a rollback (the session's ``info``)."""


def keep(build: Callable[[], Any]) -> Any:
    """Add the row ``build()`` makes to the unit of work, and keep it even if the unit of work
    rolls back: :func:`rollback` adds a fresh ``build()`` again, alone, and commits it.

    For the facts about a refused attempt that must stay although the attempt changed nothing
    (a notice someone tried to close before its period ended: SUP-2). A commit of the unit of
    work takes the row along like any other."""
    row = build()
    session.add(row)
    session.info.setdefault(KEPT, []).append(build)
    return row


def commit() -> None:
    """Commit the unit of work; roll back and re-raise when it fails."""
    try:
        session.commit()
    except Exception:
        rollback()
        raise
    session.info.pop(KEPT, None)


def rollback() -> None:
    """Roll the unit of work back, then commit what :func:`keep` kept, in a transaction of its
    own (nothing else of the unit of work)."""
    kept = session.info.pop(KEPT, [])
    session.rollback()
    if kept:
        for build in kept:
            session.add(build())
        session.commit()
