"""Background jobs: RQ on Redis, or the same queues in-process on fakeredis.

* :func:`enqueue` adds a row to the ``job_outbox`` table in the current unit of work. Only
  after the transaction commits is the job sent to its RQ queue; a job whose transaction rolls
  back never leaves. A job that cannot be sent (Redis down) stays in the outbox and
  :func:`resend_outbox` (a periodic sweep) sends it later: nothing is lost.
* Jobs are named by dotted path and receive plain arguments (ids, never objects); they run
  inside an application context and their unit of work commits once (:func:`run_job`).
* :func:`periodic` registers a sweep; ``gongkai scheduler`` runs them through RQ's
  :class:`rq.cron.CronScheduler` (exactly one such process: it holds a Redis lock).
* With no ``REDIS_URL`` (the embedded default) the queues live in an in-memory
  ``fakeredis[lua]`` server and :class:`EmbeddedRunner` runs RQ's ``SimpleWorker`` (with the
  scheduler for delayed jobs) and the sweeps in a background thread.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import db

log = logging.getLogger(__name__)

QUEUES = ("default", "mail", "render")
RESEND_AFTER = timedelta(seconds=30)
"""An unsent outbox row older than this is re-sent by the sweep."""
SCHEDULER_LOCK = "gongkai:scheduler:lock"


class OutboxEntry(db.Base):
    """A job enqueued inside a transaction; ``sent_at`` is set once RQ accepted it."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=db.utcnow)
    queue: Mapped[str] = mapped_column(String(40), default="default")
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[str]] = mapped_column(default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    run_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    job_id: Mapped[str | None] = mapped_column(String(80))


@dataclass
class Sweep:
    name: str
    func: str
    interval: int


_sweeps: dict[str, Sweep] = {}
_state: dict[str, Any] = {"app": None, "redis": None, "runner": None}


def func_path(func: Callable | str) -> str:
    if isinstance(func, str):
        return func
    if func.__module__ == "__main__":
        raise ValueError("Jobs must be importable functions, not from __main__.")
    return f"{func.__module__}.{func.__qualname__}"


def resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def periodic(interval: int, name: str | None = None):
    """Register the decorated function as a sweep run every ``interval`` seconds."""

    def decorator(func):
        path = func_path(func)
        _sweeps[name or path] = Sweep(name or path, path, interval)
        return func

    return decorator


def sweeps() -> list[Sweep]:
    return list(_sweeps.values())


# --- connection and queues -------------------------------------------------------------------


def init_app(app) -> None:
    """Remember the app (jobs run in its context) and connect to Redis or fakeredis."""
    _state["app"] = app
    _state["redis"] = None
    _state["redis_url"] = app.config.get("REDIS_URL")


def redis_connection():
    conn = _state["redis"]
    if conn is None:
        url = _state.get("redis_url")
        if url:
            from redis import Redis

            conn = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        else:
            import fakeredis

            conn = fakeredis.FakeStrictRedis(server=_fake_server())
        _state["redis"] = conn
    return conn


_fake = {}


def _fake_server():
    import fakeredis

    if "server" not in _fake:
        _fake["server"] = fakeredis.FakeServer()
    return _fake["server"]


def embedded() -> bool:
    return not _state.get("redis_url")


def queue(name: str = "default"):
    from rq import Queue

    return Queue(name, connection=redis_connection())


# --- enqueue and send ------------------------------------------------------------------------


def enqueue(
    func: Callable | str,
    *args: Any,
    queue: str = "default",
    org_id: int | None = None,
    at: datetime | None = None,
    **kwargs: Any,
) -> OutboxEntry:
    """Queue ``func(*args, **kwargs)`` to run after the current transaction commits."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    entry = OutboxEntry(
        queue=queue, func=func_path(func), args=list(args), kwargs=kwargs, org_id=org_id,
        run_at=at,
    )  # fmt: skip
    db.session.add(entry)
    db.session.flush()
    db.session.info.setdefault("gongkai_outbox", []).append(entry.id)
    return entry


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop("gongkai_outbox", None)
    if ids:
        send(ids, bind=session.get_bind())
        runner = _state.get("runner")
        if runner is not None:
            runner.wake()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("gongkai_outbox", None)


def send(ids: list[int], *, bind) -> int:
    """Send outbox rows to RQ in their own short transaction; return how many were sent."""
    sent = 0
    with Session(bind=bind, expire_on_commit=False) as s:
        for entry in s.scalars(
            select(OutboxEntry).where(OutboxEntry.id.in_(ids), OutboxEntry.sent_at.is_(None))
        ):
            entry.attempts += 1
            try:
                q = _queue_for(entry.queue)
                job_id = f"outbox-{entry.id}"
                call = (entry.func, entry.args, entry.kwargs, entry.org_id)
                if entry.run_at is not None and entry.run_at > db.utcnow():
                    q.enqueue_at(entry.run_at, run_job, *call, job_id=job_id)
                else:
                    q.enqueue(run_job, *call, job_id=job_id)
            except Exception as exc:  # Redis down, timeout ...: keep the row for the sweep
                entry.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                log.warning("job %s kept in the outbox: %s", entry.id, entry.last_error)
                continue
            entry.sent_at = db.utcnow()
            entry.job_id = job_id
            entry.last_error = None
            sent += 1
        s.commit()
    return sent


def _queue_for(name: str):
    return queue(name)


def pending(*, older_than: timedelta = timedelta(0)) -> list[OutboxEntry]:
    cutoff = db.utcnow() - older_than
    return list(
        db.session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.sent_at.is_(None), OutboxEntry.created_at <= cutoff)
            .order_by(OutboxEntry.id)
        )
    )


def resend_outbox(older_than: timedelta = RESEND_AFTER) -> int:
    """Send every outbox row still unsent (older than ``older_than``)."""
    ids = [e.id for e in pending(older_than=older_than)]
    if not ids:
        return 0
    return send(ids, bind=db.session.get_bind())


@periodic(interval=60, name="resend_outbox")
def resend_outbox_sweep() -> int:
    return resend_outbox()


# --- running ---------------------------------------------------------------------------------


def run_job(func: str, args: list, kwargs: dict, org_id: int | None = None) -> Any:
    """Entry point of every job: run ``func`` in an app context as one unit of work."""
    app = _state.get("app")
    if app is None:
        raise RuntimeError("core.jobs.init_app() was not called in this process")
    with app.app_context():
        try:
            result = resolve(func)(*args, **kwargs)
            db.commit()
            return result
        finally:
            db.session.remove()


def run_sweep(name: str) -> Any:
    """Run the sweep ``name`` now, in this process (used by tests and ``gongkai sweep``)."""
    sweep = _sweeps[name]
    return run_job(sweep.func, [], {})


class _ThreadWorkerMixin:
    """RQ worker usable off the main thread: no signal handlers, timer-based timeouts."""

    def _install_signal_handlers(self):
        pass


def simple_worker(queues=QUEUES):
    from rq.timeouts import TimerDeathPenalty
    from rq.worker import SimpleWorker

    class ThreadSimpleWorker(_ThreadWorkerMixin, SimpleWorker):
        death_penalty_class = TimerDeathPenalty

    conn = redis_connection()
    return ThreadSimpleWorker([queue(q) for q in queues], connection=conn)


def work_burst() -> bool:
    """Run every due job (scheduled ones included) in this thread, then return."""
    return simple_worker().work(burst=True, with_scheduler=True, logging_level="WARNING")


class EmbeddedRunner:
    """Runs queued jobs, delayed jobs and sweeps in a background thread (embedded mode)."""

    def __init__(self, tick: float = 1.0):
        self.tick = tick
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last: dict[str, float] = {}
        self.thread = threading.Thread(target=self._loop, name="gongkai-jobs", daemon=True)

    def start(self) -> EmbeddedRunner:
        _state["runner"] = self
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.thread.join(timeout=10)
        if _state.get("runner") is self:
            _state["runner"] = None

    def wake(self) -> None:
        self._wake.set()

    def enqueue_due_sweeps(self) -> None:
        now = time.monotonic()
        for sweep in sweeps():
            if now - self._last.get(sweep.name, -1e9) >= sweep.interval:
                self._last[sweep.name] = now
                queue("default").enqueue(run_job, sweep.func, [], {}, None)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.enqueue_due_sweeps()
                work_burst()
            except Exception:
                log.exception("embedded job runner")
            self._wake.wait(self.tick)
            self._wake.clear()


# --- the scheduler process -------------------------------------------------------------------


class SchedulerAlreadyRunning(RuntimeError):
    pass


def run_scheduler(*, lock_ttl: int = 60) -> None:
    """Run the periodic sweeps with RQ's CronScheduler; refuse if another one holds the lock."""
    from rq.cron import CronScheduler

    conn = redis_connection()
    me = f"{socket.gethostname()}:{os.getpid()}"
    if not conn.set(SCHEDULER_LOCK, me, nx=True, ex=lock_ttl):
        holder = conn.get(SCHEDULER_LOCK)
        raise SchedulerAlreadyRunning(f"another scheduler is running ({holder!r})")
    stop = threading.Event()

    def keep_lock():
        while not stop.wait(lock_ttl / 3):
            conn.set(SCHEDULER_LOCK, me, ex=lock_ttl)

    threading.Thread(target=keep_lock, daemon=True).start()
    cron = CronScheduler(connection=conn)
    for sweep in sweeps():
        cron.register(run_job, queue_name="default", args=(sweep.func, [], {}, None),
                      interval=sweep.interval)  # fmt: skip
    try:
        cron.start()
    finally:
        stop.set()
        if conn.get(SCHEDULER_LOCK) == me.encode():
            conn.delete(SCHEDULER_LOCK)


def run_worker(queues=QUEUES, *, burst: bool = False) -> bool:
    """``gongkai worker``: an RQ worker with its scheduler, in the app's context."""
    from rq import Worker

    worker = Worker([queue(q) for q in queues], connection=redis_connection())
    return worker.work(burst=burst, with_scheduler=True)
