"""Background jobs: RQ on Redis, or the same queues in-process on fakeredis.

* :func:`enqueue` adds a row to the ``job_outbox`` table in the current unit of work. Only
  after the transaction commits is the job sent to its RQ queue; a job whose transaction rolls
  back never leaves. A job that cannot be sent (Redis down) stays in the outbox and
  :func:`resend_outbox` (a periodic sweep) sends it later: nothing is lost.
* Jobs are named by dotted path and receive plain arguments (ids, never objects); they run
  inside an application context, with ``g.org`` set to the organisation they carry, as their
  own unit of work that commits once (:func:`run_job`).
* Delivery is at least once, effect exactly once: a job's outbox row is marked finished in the
  job's own transaction, under a row lock, so a second delivery of the same job (a retry after
  its worker died, a resend) finds it finished and does nothing. What a job does outside the
  database (a mail, a message through a channel) it wraps in :func:`once`: the effect is
  remembered in Redis the moment it happened, so a retry of a job whose commit failed after
  it (PostgreSQL went down) does not do it again.
* A job that fails — it raised, or its worker died in the middle of it (RQ's "abandoned" job,
  found by the workers' maintenance) — runs again after :data:`RETRY_INTERVALS`. A job that
  RQ no longer knows (Redis lost it) is sent again from its outbox row by the
  ``resend_outbox`` sweep.
* Only the outermost commit sends (releasing a SAVEPOINT does not); jobs enqueued in a
  SAVEPOINT that rolls back are not sent.
* :func:`periodic` registers a sweep; ``gongkai scheduler`` runs them through RQ's
  :class:`rq.cron.CronScheduler` (exactly one at a time: it holds a Redis lock; a second one
  waits and takes over when the first one stops or dies).
* With no ``REDIS_URL`` (the embedded default) the queues live in an in-memory
  ``fakeredis[lua]`` server and :class:`EmbeddedRunner` runs RQ's ``SimpleWorker`` (with the
  scheduler for delayed jobs) and the sweeps in a background thread.
"""

from __future__ import annotations

import _thread
import contextlib
import functools
import importlib
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import g
from sqlalchemy import ForeignKey, Integer, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import db

log = logging.getLogger(__name__)

QUEUES = ("default", "mail", "render")
RESEND_AFTER = timedelta(seconds=30)
"""An unsent outbox row older than this is re-sent by the sweep."""
RETRY_INTERVALS = [5, 30, 120, 600, 1800]
"""Seconds before each new attempt of a job that failed (an exception, or its worker died)."""
LOST_AFTER = timedelta(minutes=10)
"""A sent job not finished after this long, which RQ no longer holds, is sent again."""
MAX_SENDS = 3
"""How many times the sweep sends a job that RQ lost, at most."""
SCHEDULER_LOCK = "gongkai:scheduler:lock"
SCHEDULER_LOCK_TTL = 30
"""Seconds after which the lock of a scheduler that died expires (a standby then takes over)."""
WORKER_SETTINGS = {
    # the worker's heartbeat while it runs a job: a job whose worker died is found abandoned
    # about a minute after the last beat (RQ adds 60 s), and run again (RETRY_INTERVALS)
    "job_monitoring_interval": 10,
    # how often a worker looks for abandoned jobs (RQ's default: every 10 minutes)
    "maintenance_interval": 30,
    # an idle worker waits for a job this long minus 15 s, then does its maintenance
    "worker_ttl": 45,
}
ONCE_TTL = timedelta(days=2)
"""How long :func:`once` remembers an effect: longer than every retry of a job takes."""
_OUTBOX_KEY = "gongkai_outbox"  # Session.info: ids enqueued in the current transaction


class OutboxEntry(db.CountyKey, db.Base):
    """A job enqueued inside a transaction; ``sent_at`` is set once RQ accepted it,
    ``finished_at`` in the transaction of the job's own work (see :func:`run_job`); ``runs``
    counts the times a worker started it."""

    __tablename__ = "job_outbox"
    __county_optional__ = True

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
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)


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
    from rq import Retry

    q = _queue_for(entry.queue)
    call = (entry.func, entry.args, entry.kwargs, entry.org_id, entry.id)
    retry = Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)
    if entry.run_at is not None and entry.run_at > db.utcnow():
        q.enqueue_at(_second_up(entry.run_at), run_job, *call, job_id=job_id, retry=retry)
    else:
        q.enqueue(run_job, *call, job_id=job_id, retry=retry)


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


def unfinished(*, older_than: timedelta = LOST_AFTER) -> list[OutboxEntry]:
    """Outbox rows sent longer than ``older_than`` ago that have not finished (failing, or
    waiting for a retry)."""
    return list(
        db.session.scalars(
            select(OutboxEntry)
            .where(
                OutboxEntry.sent_at.is_not(None),
                OutboxEntry.finished_at.is_(None),
                OutboxEntry.sent_at <= db.utcnow() - older_than,
            )
            .order_by(OutboxEntry.id)
        )
    )


def resend_outbox(older_than: timedelta = RESEND_AFTER) -> int:
    """Send every outbox row still unsent (older than ``older_than``, so that rows whose
    transaction just committed are left to their own commit hook), and again the jobs that
    Redis lost (:func:`resend_lost`)."""
    bind = db.session.get_bind()
    return send(bind=bind, older_than=older_than) + resend_lost(bind=bind)


def resend_lost(*, bind, older_than: timedelta = LOST_AFTER) -> int:
    """Send again the jobs sent longer than ``older_than`` ago and not finished that RQ no
    longer holds (Redis restarted without its data, or evicted them), at most
    :data:`MAX_SENDS` times each. A job RQ still holds — waiting, running, scheduled for a
    retry, or failed for good (``gongkai outbox`` lists those) — is left alone."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    query = (
        select(OutboxEntry)
        .where(
            OutboxEntry.sent_at.is_not(None),
            OutboxEntry.finished_at.is_(None),
            OutboxEntry.sent_at <= db.utcnow() - older_than,
            OutboxEntry.attempts < MAX_SENDS,
        )
        .order_by(OutboxEntry.id)
        .with_for_update(skip_locked=True)
    )
    sent = 0
    with Session(bind=bind, expire_on_commit=False) as s:
        for entry in s.scalars(query):
            job_id = entry.job_id or f"outbox-{entry.id}"
            try:
                Job.fetch(job_id, connection=redis_connection())
                continue
            except NoSuchJobError:
                pass
            entry.attempts += 1
            _send_one(entry, job_id)
            entry.sent_at, entry.last_error = db.utcnow(), "sent again: Redis had lost the job"
            log.warning("job %s (%s) was lost by Redis: sent again", entry.id, entry.func)
            sent += 1
        s.commit()
    return sent


@periodic(interval=60, name="resend_outbox")
def resend_outbox_sweep() -> int:
    return resend_outbox()


# --- running ---------------------------------------------------------------------------------


def run_job(
    func: str, args: list, kwargs: dict, org_id: int | None = None, outbox_id: int | None = None
) -> Any:
    """Entry point of every job: run ``func`` in an app context as one unit of work.

    ``g.org`` is the job's organisation (``None`` without one, or when it was deleted since).
    A job sent from the outbox (``outbox_id``) runs once in effect: its row is locked while it
    runs and marked finished in the same commit as its work; a delivery that finds the row
    finished does nothing and returns ``None``.
    """
    app = _state.get("app")
    if app is None:
        raise RuntimeError("core.jobs.init_app() was not called in this process")
    with _own_session(), db.writing(), app.app_context():
        entry = None
        if outbox_id is not None:
            if not _count_run(outbox_id):
                return None
            entry = db.session.get(OutboxEntry, outbox_id, with_for_update={"of": OutboxEntry})
            if entry is None or entry.finished_at is not None:  # a twin finished meanwhile
                db.session.rollback()
                return None
        g.org = None
        load_org = _state.get("load_org")
        if org_id is not None and load_org is not None:
            g.org = load_org(org_id)
        result = resolve(func)(*args, **kwargs)
        if entry is not None:
            entry.finished_at = db.utcnow()
        db.commit()
        return result


def once(key: str, effect: Callable[[], Any]) -> bool:
    """Do ``effect`` (something outside the database: a mail, an SMS) unless it was done under
    ``key`` already; True when it was done now.

    A job commits what it did after doing it; should that commit fail (PostgreSQL went down in
    between), the job runs again and would do the effect twice. So the effect is remembered in
    Redis the moment it returns, for :data:`ONCE_TTL`, and a later run under the same key only
    records it. ``key`` must name one effect for good (``notification.12.<created>``: an id
    alone comes back after a database is loaded again). Redis unreachable: the effect is done
    (at least once rather than not at all) and the memory is skipped, with a warning."""
    name = f"gongkai:once:{key}"
    try:
        if redis_connection().exists(name):
            log.info("%s was done already: not again", key)
            return False
    except Exception as exc:  # Redis down: do it (at least once)
        log.warning("could not ask Redis whether %s was done: %s", key, exc)
    effect()
    try:
        redis_connection().set(name, db.utcnow().isoformat(), ex=ONCE_TTL)
    except Exception as exc:  # the effect happened: the job goes on
        log.warning("could not remember in Redis that %s was done: %s", key, exc)
    return True


def _count_run(outbox_id: int) -> bool:
    """Count a start of the outbox job ``outbox_id`` (committed at once, so that the runs of a
    job killed in the middle are counted too); False when it has finished already."""
    now = db.utcnow()
    counted = db.session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == outbox_id, OutboxEntry.finished_at.is_(None))
        .values(runs=OutboxEntry.runs + 1, started_at=now)
    ).rowcount
    db.commit()
    return bool(counted)


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


class _PromptUnsubscribeMixin:
    """RQ's ``unsubscribe``, without waiting for the thread that listens for commands.

    RQ listens for ``rq`` commands (stop a job, shut down) in a redis-py thread that waits up
    to 60 s for a message — and, once the worker has unsubscribed, up to 60 s for a new
    subscription. redis-py 8's ``stop()`` joins that thread until it ends: a worker whose
    thread saw the unsubscription before being told to stop took a minute to finish (a burst
    worker, ``gongkai worker --burst``; a worker stopped by a deployment, past its grace
    period). The thread is a daemon and ends on its own within the minute."""

    def unsubscribe(self):
        thread = getattr(self, "pubsub_thread", None)
        if thread is None:
            return
        self.pubsub.unsubscribe()
        try:
            thread.stop(timeout=0)  # redis-py 8: ask it to end, without joining
        except TypeError:  # redis-py before 8: stop() never joined
            thread.stop()


class _ThreadWorkerMixin(_PromptUnsubscribeMixin):
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
    """Another scheduler holds the lock: ``holder`` names it (host and process)."""

    def __init__(self, holder: str):
        super().__init__(f"another scheduler is running ({holder})")
        self.holder = holder


_RENEW_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def run_scheduler(*, lock_ttl: int = SCHEDULER_LOCK_TTL, wait: bool = True,
                  poll: float | None = None) -> None:  # fmt: skip
    """Run the periodic sweeps with RQ's CronScheduler, one scheduler at a time.

    The one running holds a Redis lock and renews it; it releases it when it stops, and the
    lock expires ``lock_ttl`` seconds after a crash. Another one waits for the lock (a
    standby; with ``wait=False`` it raises :class:`SchedulerAlreadyRunning` instead) and runs
    the sweeps once it has it. While Redis is unreachable the scheduler waits for it; a
    scheduler that finds its lock taken by another one stops.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq.cron import CronScheduler
    from rq.exceptions import StopRequested

    unreachable = (RedisConnectionError, RedisTimeoutError)
    conn = redis_connection()
    me = f"{socket.gethostname()}:{os.getpid()}"
    waiting = False
    while True:
        try:
            if conn.set(SCHEDULER_LOCK, me, nx=True, ex=lock_ttl):
                break
            holder = conn.get(SCHEDULER_LOCK)
        except unreachable as exc:
            log.warning("scheduler: Redis unreachable (%s); trying again", exc)
            time.sleep(poll or lock_ttl / 6)
            continue
        holder = holder.decode(errors="replace") if isinstance(holder, bytes) else holder
        if not wait:
            raise SchedulerAlreadyRunning(holder)
        if not waiting:
            log.warning("another scheduler is running (%s): this one waits to take over", holder)
            waiting = True
        time.sleep(poll or lock_ttl / 6)
    log.warning("scheduler %s holds the lock %s and runs the sweeps", me, SCHEDULER_LOCK)
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
        while True:
            try:
                cron.start()  # returns on SIGTERM/SIGINT, or when the lock was lost
                break
            except unreachable as exc:  # Redis restarting: keep the schedule, wait for it
                log.warning("scheduler: Redis unreachable (%s); resuming when it is back", exc)
                time.sleep(poll or 2)
    except (KeyboardInterrupt, StopRequested):
        pass
    finally:
        stop.set()
        try:
            release(keys=[SCHEDULER_LOCK], args=[me])
        except unreachable:  # the lock expires by itself
            log.warning("scheduler: could not release the lock; it expires in %s s", lock_ttl)


@functools.cache
def stopping_worker_class():
    """RQ's forking worker, whose stop handler does nothing in a work horse (and which does not
    wait for its listening thread, see :class:`_PromptUnsubscribeMixin`).

    A stop signal sent to the worker's process group (a process manager stopping it) can reach
    a work horse just forked, before the horse set its own handlers: the worker's handler then
    ran in the horse, where stopping the worker's scheduler failed with a traceback. The
    worker, which got the signal too, stops once the horse's job is done."""
    from rq import Worker

    class StoppingWorker(_PromptUnsubscribeMixin, Worker):
        def request_stop(self, signum, frame):
            if os.getpid() != self.pid:  # a work horse
                return
            super().request_stop(signum, frame)

    return StoppingWorker


def run_worker(queues=QUEUES, *, burst: bool = False, poll: float = 2.0) -> bool:
    """``gongkai worker``: an RQ worker with its scheduler, in the app's context.

    RQ's worker quits when Redis goes away under it (a restart, a failover); this one waits
    for Redis and starts working again, so that a Redis restart needs no restart of the
    workers. It stops on SIGTERM or SIGINT (warm shutdown: the current job finishes first)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    worked = False
    while True:
        worker = stopping_worker_class()(
            [queue(q) for q in queues], connection=redis_connection(), **WORKER_SETTINGS
        )
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError):  # (its teardown)
            worked = worker.work(burst=burst, with_scheduler=True) or worked
        if burst or getattr(worker, "_shutdown_requested_date", None) is not None:
            return worked
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # stop at once while waiting for Redis
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log.warning("worker %s stopped without being asked to (Redis unreachable?): "
                    "starting again once Redis answers", worker.name)  # fmt: skip
        _wait_for_redis(poll)


def _wait_for_redis(poll: float) -> None:
    while True:
        try:
            redis_connection().ping()
            return
        except Exception as exc:
            log.warning("Redis unreachable (%s): trying again in %s s", exc, poll)
            time.sleep(poll)
