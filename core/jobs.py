"""Background jobs: RQ on Redis, or the same queues in-process on fakeredis.

* :func:`enqueue` adds a row to the ``job_outbox`` table in the current unit of work. Only
  after the transaction commits is the job sent to its RQ queue; a job whose transaction rolls
  back never leaves. A job that cannot be sent (Redis down) stays in the outbox and
  :func:`resend_outbox` (a periodic sweep) sends it later: nothing is lost.
* Jobs are named by dotted path and receive plain arguments (ids, never objects); they run
  inside an application context, with ``g.org`` set to the organisation they carry, as their
  own unit of work that commits once (:func:`run_job`). Delivery is at least once.
* Only the outermost commit sends (releasing a SAVEPOINT does not); jobs enqueued in a
  SAVEPOINT that rolls back are not sent.
* :func:`periodic` registers a sweep; ``gongkai scheduler`` runs them through RQ's
  :class:`rq.cron.CronScheduler` (exactly one such process: it holds a Redis lock).
* With no ``REDIS_URL`` (the embedded default) the queues live in an in-memory
  ``fakeredis[lua]`` server and :class:`EmbeddedRunner` runs RQ's ``SimpleWorker`` (with the
  scheduler for delayed jobs) and the sweeps in a background thread.
"""

from __future__ import annotations

import _thread
import importlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import g
from sqlalchemy import ForeignKey, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import db

log = logging.getLogger(__name__)

QUEUES = ("default", "mail", "render")
RESEND_AFTER = timedelta(seconds=30)
"""An unsent outbox row older than this is re-sent by the sweep."""
SCHEDULER_LOCK = "gongkai:scheduler:lock"
_OUTBOX_KEY = "gongkai_outbox"  # Session.info: ids enqueued in the current transaction


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
    args: tuple = ()  # plain JSON values (a plugin's periodic job: its plugin and job names)


_sweeps: dict[str, Sweep] = {}
_state: dict[str, Any] = {"app": None, "redis": None, "runner": None}


def func_path(func: Callable | str) -> str:
    """The dotted path a worker imports ``func`` by; refuse what a worker could not import."""
    if isinstance(func, str):
        return func
    module, name = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or module == "__main__" or not name or "." in name:
        raise ValueError(
            f"Jobs must be importable module-level functions, not {func!r} "
            "(no __main__, no nested functions, lambdas or methods)."
        )
    return f"{module}.{name}"


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


def register_sweep(name: str, func: Callable | str, interval: int, *, args: tuple = ()) -> Sweep:
    """Register a sweep run every ``interval`` seconds as ``func(*args)`` (plugins' jobs)."""
    sweep = _sweeps[name] = Sweep(name, func_path(func), interval, tuple(args))
    return sweep


def sweeps() -> list[Sweep]:
    return list(_sweeps.values())


# --- connection and queues -------------------------------------------------------------------


def set_org_loader(load: Callable[[int], Any]) -> None:
    """How a job finds its organisation from its id (the composition passes the tenants' model;
    the kernel knows no model of a later layer)."""
    _state["load_org"] = load


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


_fake: dict[str, Any] = {}


def _fake_server():
    import fakeredis

    if "server" not in _fake:
        _fake["server"] = fakeredis.FakeServer()
    return _fake["server"]


def reset_embedded() -> None:
    """Forget the in-process queues of the embedded mode (tests start from empty queues)."""
    _fake.clear()
    if embedded():
        _state["redis"] = None


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
    """Queue ``func(*args, **kwargs)`` to run after the current transaction commits.

    Arguments must be plain JSON values (ids, never objects); ``at`` (timezone-aware) delays the
    job, to the second: it never runs before ``at``. ``org_id`` is the organisation the job
    works for: the job sees it as ``g.org``.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    path = func_path(func)
    try:
        json.dumps([args, kwargs])
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"job arguments must be plain JSON values (ids, not objects): {exc}"
        ) from None
    if at is not None and at.tzinfo is None:
        raise ValueError("`at` must be a timezone-aware datetime")
    entry = OutboxEntry(
        queue=queue, func=path, args=list(args), kwargs=kwargs, org_id=org_id, run_at=at,
    )  # fmt: skip
    db.session.add(entry)
    db.session.flush()
    db.session.info.setdefault(_OUTBOX_KEY, []).append(entry.id)
    return entry


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Releasing a SAVEPOINT also fires after_commit: only the outermost commit sends.
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_OUTBOX_KEY, None)
    if not ids:
        return
    try:
        send(ids, bind=session.get_bind())
    except Exception:  # the user's transaction is committed: never fail it; the sweep resends
        log.exception("could not send jobs %s; the resend_outbox sweep will", ids)
    runner = _state.get("runner")
    if runner is not None:
        runner.wake()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    # The outermost transaction ended (committed and sent above, rolled back, or closed): a
    # rolled-back row is gone. Rows rolled back with a SAVEPOINT are skipped by send().
    if transaction.parent is None:
        session.info.pop(_OUTBOX_KEY, None)


def send(ids: list[int] | None = None, *, bind, older_than: timedelta | None = None) -> int:
    """Send unsent outbox rows (``ids``, or all older than ``older_than``) to RQ in their own
    short transaction; return how many were sent.

    Delivery is at least once: a row that RQ accepted but that could not be marked sent
    (database error just then) is sent again by the sweep.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    query = select(OutboxEntry).where(OutboxEntry.sent_at.is_(None))
    if ids is not None:
        query = query.where(OutboxEntry.id.in_(set(ids)))
    if older_than is not None:
        query = query.where(OutboxEntry.created_at <= db.utcnow() - older_than)
    # two senders (commit hook, sweep) never send the same row (PostgreSQL; SQLite has one writer)
    query = query.order_by(OutboxEntry.id).with_for_update(skip_locked=True)
    sent = 0
    down: str | None = None  # Redis unreachable: don't wait for it once per row
    with Session(bind=bind, expire_on_commit=False) as s:
        for entry in s.scalars(query):
            entry.attempts += 1
            job_id = f"outbox-{entry.id}"
            error = down
            if error is None:
                try:
                    _send_one(entry, job_id)
                except Exception as exc:  # Redis down, timeout ...: keep the row for the sweep
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
                        down = error
            if error is not None:
                entry.last_error = error
                log.warning("job %s kept in the outbox: %s", entry.id, error)
                continue
            entry.sent_at = db.utcnow()
            entry.job_id = job_id
            entry.last_error = None
            sent += 1
        s.commit()
    return sent


def _send_one(entry: OutboxEntry, job_id: str) -> None:
    q = _queue_for(entry.queue)
    call = (entry.func, entry.args, entry.kwargs, entry.org_id)
    if entry.run_at is not None and entry.run_at > db.utcnow():
        q.enqueue_at(_second_up(entry.run_at), run_job, *call, job_id=job_id)
    else:
        q.enqueue(run_job, *call, job_id=job_id)


def _second_up(when: datetime) -> datetime:
    """RQ schedules to the whole second (rounding down); round up so a job never runs early."""
    if when.microsecond:
        when = when.replace(microsecond=0) + timedelta(seconds=1)
    return when


def _queue_for(name: str):
    return queue(name)


def pending(*, older_than: timedelta = timedelta(0)) -> list[OutboxEntry]:
    """Outbox rows not sent yet (read in the current session)."""
    cutoff = db.utcnow() - older_than
    return list(
        db.session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.sent_at.is_(None), OutboxEntry.created_at <= cutoff)
            .order_by(OutboxEntry.id)
        )
    )


def resend_outbox(older_than: timedelta = RESEND_AFTER) -> int:
    """Send every outbox row still unsent (older than ``older_than``, so that rows whose
    transaction just committed are left to their own commit hook)."""
    return send(bind=db.session.get_bind(), older_than=older_than)


@periodic(interval=60, name="resend_outbox")
def resend_outbox_sweep() -> int:
    return resend_outbox()


# --- running ---------------------------------------------------------------------------------


def run_job(func: str, args: list, kwargs: dict, org_id: int | None = None) -> Any:
    """Entry point of every job: run ``func`` in an app context as one unit of work.

    ``g.org`` is the job's organisation (``None`` without one, or when it was deleted since).
    """
    app = _state.get("app")
    if app is None:
        raise RuntimeError("core.jobs.init_app() was not called in this process")
    with _own_session(), db.writing(), app.app_context():
        g.org = None
        load_org = _state.get("load_org")
        if org_id is not None and load_org is not None:
            g.org = load_org(org_id)
        result = resolve(func)(*args, **kwargs)
        db.commit()
        return result


@contextmanager
def _own_session() -> Iterator[None]:
    """A job is its own unit of work, even when run in a thread that has one in progress
    (``work_burst()`` called from a request, a command or a test): park the thread's session
    and give it back afterwards, untouched."""
    registry = db.session.registry
    outer = registry() if registry.has() else None
    if outer is not None:
        registry.clear()
    try:
        yield
    finally:
        db.session.remove()
        if outer is not None:
            registry.set(outer)


def run_sweep(name: str) -> Any:
    """Run the sweep ``name`` now, in this process (used by tests and ``gongkai sweep``)."""
    sweep = _sweeps[name]
    return run_job(sweep.func, list(sweep.args), {})


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

    def __init__(self, tick: float = 1.0, grace: float = 10.0):
        self.tick = tick
        self.grace = grace  # seconds after start before the first sweep: the first requests
        self._started = time.monotonic()
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
        """Enqueue the one sweep that is most overdue (one a tick, so that the sweeps due at
        start-up take turns with the requests instead of holding the database together), once
        the start-up grace period is over."""
        now = time.monotonic()
        if now < self._started + self.grace:
            return
        due = [s for s in sweeps() if now - self._last.get(s.name, -1e9) >= s.interval]
        if due:
            sweep = min(due, key=lambda s: self._last.get(s.name, -1e9) + s.interval)
            self._last[sweep.name] = now
            queue("default").enqueue(run_job, sweep.func, list(sweep.args), {}, None)

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


_RENEW_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def run_scheduler(*, lock_ttl: int = 60) -> None:
    """Run the periodic sweeps with RQ's CronScheduler; refuse if another one holds the lock.

    The lock expires ``lock_ttl`` seconds after this process stops renewing it (crash); a
    scheduler that finds its lock taken by another one stops.
    """
    from rq.cron import CronScheduler

    conn = redis_connection()
    me = f"{socket.gethostname()}:{os.getpid()}"
    if not conn.set(SCHEDULER_LOCK, me, nx=True, ex=lock_ttl):
        holder = conn.get(SCHEDULER_LOCK)
        holder = holder.decode(errors="replace") if isinstance(holder, bytes) else holder
        raise SchedulerAlreadyRunning(f"another scheduler is running ({holder})")
    renew, release = conn.register_script(_RENEW_LOCK), conn.register_script(_RELEASE_LOCK)
    stop = threading.Event()

    def keep_lock():
        while not stop.wait(lock_ttl / 3):
            try:
                if not renew(keys=[SCHEDULER_LOCK], args=[me, lock_ttl]):
                    log.error("scheduler lock %s lost to another process: stopping", SCHEDULER_LOCK)
                    _thread.interrupt_main()  # CronScheduler.start() stops on KeyboardInterrupt
                    return
            except Exception:  # Redis hiccup: try again at the next renewal
                log.exception("could not renew the scheduler lock")

    cron = CronScheduler(connection=conn)
    for sweep in sweeps():
        cron.register(run_job, queue_name="default", args=(sweep.func, list(sweep.args), {}, None),
                      interval=sweep.interval, name=sweep.name)  # fmt: skip
    threading.Thread(target=keep_lock, name="gongkai-scheduler-lock", daemon=True).start()
    try:
        cron.start()
    finally:
        stop.set()
        release(keys=[SCHEDULER_LOCK], args=[me])


def run_worker(queues=QUEUES, *, burst: bool = False) -> bool:
    """``gongkai worker``: an RQ worker with its scheduler, in the app's context."""
    from rq import Worker

    worker = Worker([queue(q) for q in queues], connection=redis_connection())
    return worker.work(burst=burst, with_scheduler=True)
