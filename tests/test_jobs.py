"""Background jobs: the outbox, RQ on a real Redis, the embedded runner, sweeps and the scheduler.

Every test runs on SQLite and PostgreSQL (tests/conftest.py). Redis is a real ``redis-server``;
the embedded mode uses the in-process fakeredis server of :mod:`core.jobs`. Job functions live
in :mod:`tests.jobfuncs` because RQ workers import jobs by dotted path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import request
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from core import audit, db, jobs
from core.app import create_app
from core.audit import AuditEntry
from core.cli import main as gongkai_cli
from core.jobs import OutboxEntry
from tests import jobfuncs
from tests.services import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent


# --- helpers ---------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], object], timeout: float = 5.0, step: float = 0.05):
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def ran(tag: str) -> list[AuditEntry]:
    """The audit entries written by :func:`tests.jobfuncs.record` for ``tag`` (fresh read)."""
    db.session.rollback()  # end our snapshot: see what workers and threads committed
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "job.ran", AuditEntry.object_id == tag)
        )
    )


def outbox_row(entry_id: int) -> OutboxEntry | None:
    db.session.rollback()
    return db.session.get(OutboxEntry, entry_id, populate_existing=True)


def outbox_count() -> int:
    db.session.rollback()
    return len(db.session.scalars(select(OutboxEntry.id)).all())


def rq_queue(url: str, name: str = "default") -> Queue:
    """A queue on its own connection: what Redis really holds, not what core.jobs believes."""
    return Queue(name, connection=Redis.from_url(url))


def gongkai_command() -> list[str]:
    script = shutil.which("gongkai", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from core.cli import main; main()"]


def gongkai_env(app_settings: dict, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.pop("REDIS_URL", None)
    env.update(
        GONGKAI_ENV="testing",
        GONGKAI_DATABASE_URL=app_settings["database_url"],
        GONGKAI_INSTANCE_PATH=app_settings["instance_path"],
        SECRET_KEY=app_settings["secret_key"],
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def run_gongkai(app_settings, redis_url, *args: str, timeout: float = 120):
    return subprocess.run(
        [*gongkai_command(), *args], env=gongkai_env(app_settings, redis_url), cwd=ROOT,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_jobs(app):
    """Each test starts with empty embedded queues and leaves core.jobs bound to ``app``."""
    jobs.reset_embedded()
    yield
    runner = jobs._state.get("runner")
    if runner is not None:
        runner.stop()
    jobs.init_app(app)
    jobs.reset_embedded()


@pytest.fixture
def redis_app(app, app_settings, redis_server):
    """The application on the real Redis of the session (emptied first)."""
    Redis.from_url(redis_server.url).flushdb()
    return create_app(**{**app_settings, "redis_url": redis_server.url})


# --- 1, 2: jobs leave after the commit, never after a rollback -------------------------------


def test_job_is_sent_to_redis_only_after_commit(redis_app, redis_server):
    q = rq_queue(redis_server.url)
    entry = jobs.enqueue(jobfuncs.record, "after-commit", note="hello")
    assert entry.id is not None
    assert q.count == 0, "sent before the commit"

    db.commit()

    assert q.job_ids == [f"outbox-{entry.id}"]
    job = q.fetch_job(f"outbox-{entry.id}")
    assert job.func_name == "core.jobs.run_job"
    # (func, args, kwargs, org_id, outbox id: the row the run marks finished)
    assert job.args == (
        "tests.jobfuncs.record",
        ["after-commit"],
        {"note": "hello"},
        None,
        entry.id,
    )
    row = outbox_row(entry.id)
    assert row.sent_at is not None
    assert row.job_id == f"outbox-{entry.id}"
    assert row.attempts == 1
    assert row.last_error is None
    assert jobs.pending() == []


def test_job_is_sent_to_its_queue(redis_app, redis_server):
    entry = jobs.enqueue(jobfuncs.record, "mail-job", queue="mail")
    db.commit()
    assert rq_queue(redis_server.url, "mail").job_ids == [f"outbox-{entry.id}"]
    assert rq_queue(redis_server.url, "default").count == 0
    with pytest.raises(ValueError, match="unknown queue"):
        jobs.enqueue(jobfuncs.record, "x", queue="nope")


def test_rolled_back_transaction_sends_nothing(redis_app, redis_server):
    q = rq_queue(redis_server.url)
    entry_id = jobs.enqueue(jobfuncs.record, "rolled-back").id
    db.session.rollback()

    assert outbox_row(entry_id) is None
    assert q.count == 0
    # later work in the same session commits without resurrecting the abandoned job
    audit.log("unrelated", "thing", 1)
    db.commit()
    assert q.count == 0
    assert outbox_count() == 0


def test_enqueue_refuses_what_a_worker_could_not_run(app):
    def local_function():
        pass

    with pytest.raises(ValueError, match="importable"):
        jobs.enqueue(local_function)
    with pytest.raises(TypeError, match="JSON"):
        jobs.enqueue(jobfuncs.record, object())
    with pytest.raises(ValueError, match="timezone"):
        jobs.enqueue(jobfuncs.record, "x", at=db.utcnow().replace(tzinfo=None))
    db.commit()  # the session is still usable: nothing half-added
    assert outbox_count() == 0


# --- 3: Redis down: the outbox keeps the job; resend and a real worker run it ----------------


def test_outbox_keeps_jobs_while_redis_is_down(app, app_settings, tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        redis_app = create_app(**{**app_settings, "redis_url": server.url})
        server.stop()

        # the user's data is saved even though the job cannot be sent
        audit.log("user.saved", "thing", 42)
        entry_id = jobs.enqueue(jobfuncs.record, "kept-while-down").id
        db.commit()

        db.session.rollback()
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.saved"))
        row = outbox_row(entry_id)
        assert row.sent_at is None
        assert row.attempts == 1
        assert "ConnectionError" in row.last_error

        listing = redis_app.test_cli_runner().invoke(gongkai_cli, ["outbox"])
        assert listing.exit_code == 0, listing.output
        assert f"{entry_id}\t" in listing.output
        assert "tests.jobfuncs.record" in listing.output
        assert "ConnectionError" in listing.output
        assert "1 unsent job(s)." in listing.output

        # still down: the sweep tries again and keeps the row
        assert jobs.resend_outbox(older_than=timedelta(0)) == 0
        assert outbox_row(entry_id).attempts == 2

        server.start()  # same port
        assert jobs.resend_outbox() == 0, "the sweep must leave recent rows alone"
        assert jobs.resend_outbox(older_than=timedelta(0)) == 1
        row = outbox_row(entry_id)
        assert row.sent_at is not None
        assert row.last_error is None
        assert rq_queue(server.url).job_ids == [f"outbox-{entry_id}"]
        assert ran("kept-while-down") == []

        worker = run_gongkai(app_settings, server.url, "worker", "--burst")
        assert worker.returncode == 0, worker.stdout + worker.stderr

        assert len(ran("kept-while-down")) == 1
        assert rq_queue(server.url).count == 0
        failed = FailedJobRegistry("default", connection=Redis.from_url(server.url))
        assert failed.get_job_ids() == []
        empty = redis_app.test_cli_runner().invoke(gongkai_cli, ["outbox"])
        assert "0 unsent job(s)." in empty.output
    finally:
        server.stop()


@pytest.mark.parametrize("make", ["worker", "burst"])
def test_a_worker_stops_without_waiting_a_minute_for_its_listening_thread(app, tmp_path, make):
    """RQ listens for commands in a redis-py thread that, once the worker has unsubscribed,
    waits up to 60 s for a new subscription; redis-py 8 joined that thread when the worker
    stopped, so a worker whose thread saw the unsubscription first took a minute to finish (a
    burst worker in CI, a worker stopped by a deployment). Here the thread is put in that state,
    and stopping the worker must not wait for it (the forking worker of ``gongkai worker`` and
    the in-thread one of the tests and the embedded mode)."""
    import threading

    server = RedisServer(tmp_path / "redis").start()
    try:
        connection = Redis.from_url(server.url)
        if make == "worker":
            worker = jobs.stopping_worker_class()(["default"], connection=connection)
        else:
            jobs._state["redis"] = connection
            worker = jobs.simple_worker(["default"])
        worker.subscribe()
        assert wait_until(lambda: worker.pubsub.subscribed)
        worker.pubsub.unsubscribe()  # the listening thread reads the answer first ...
        assert wait_until(lambda: not worker.pubsub.subscribed)
        time.sleep(0.2)  # ... and waits for a new subscription
        assert worker.pubsub_thread.is_alive()
        stopped = threading.Event()
        threading.Thread(target=lambda: (worker.unsubscribe(), stopped.set()), daemon=True).start()
        assert stopped.wait(10), "stopping the worker waited for its listening thread"
    finally:
        jobs._state["redis"] = None
        server.stop()


# --- 4: embedded mode (no REDIS_URL) ---------------------------------------------------------


def test_embedded_burst_runs_a_committed_job(app):
    assert jobs.embedded()
    entry = jobs.enqueue(jobfuncs.record, "embedded")
    db.commit()
    assert outbox_row(entry.id).sent_at is not None
    assert jobs.queue("default").count == 1
    assert ran("embedded") == []

    assert jobs.work_burst() is True

    assert len(ran("embedded")) == 1
    assert jobs.queue("default").count == 0
    assert jobs.work_burst() is False  # nothing left


def test_work_burst_keeps_the_callers_unit_of_work(app):
    jobs.enqueue(jobfuncs.record, "inner")
    db.commit()
    audit.log("outer.pending", "thing", 1)  # not committed by the caller
    jobs.work_burst()
    assert any(isinstance(o, AuditEntry) and o.action == "outer.pending" for o in db.session.new)
    db.session.rollback()
    assert len(ran("inner")) == 1
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outer.pending")) is None


def test_embedded_delayed_job_runs_at_its_time_not_before(app):
    at = db.utcnow() + timedelta(seconds=1)
    jobs.enqueue(jobfuncs.record, "delayed", at=at)
    db.commit()

    jobs.work_burst()
    assert ran("delayed") == [], "a delayed job ran before its time"

    def burst_and_check():
        jobs.work_burst()
        return ran("delayed")

    entries = wait_until(burst_and_check, timeout=5, step=0.1)
    assert len(entries) == 1, "the delayed job did not run within 5 s"
    assert entries[0].at >= at


def test_embedded_failing_job_is_recorded_and_the_next_job_still_runs(app):
    failing = jobs.enqueue(jobfuncs.fail, "boom in a job")
    jobs.enqueue(jobfuncs.record, "after-failure")
    db.commit()

    jobs.work_burst()  # does not raise

    assert len(ran("after-failure")) == 1
    job = jobs.queue("default").fetch_job(f"outbox-{failing.id}")
    # not lost: it runs again later (RETRY_INTERVALS), and fails for good after the last one
    assert job.get_status() == "scheduled"
    assert job.retries_left == len(jobs.RETRY_INTERVALS) - 1


def test_embedded_runner_runs_jobs_by_itself(app):
    runner = jobs.EmbeddedRunner(tick=0.2).start()
    try:
        jobs.enqueue(jobfuncs.record, "by-the-runner")
        jobs.enqueue(jobfuncs.fail)  # does not stop the runner
        db.commit()
        assert wait_until(lambda: ran("by-the-runner"), timeout=5)
        jobs.enqueue(jobfuncs.record, "second")
        db.commit()
        assert wait_until(lambda: ran("second"), timeout=5)
        assert runner.thread.is_alive()
    finally:
        runner.stop()
    assert not runner.thread.is_alive()
    assert jobs._state["runner"] is None


# --- 5: sweeps -------------------------------------------------------------------------------


def test_resend_outbox_is_a_registered_sweep(app):
    assert "resend_outbox" in {s.name for s in jobs.sweeps()}
    result = app.test_cli_runner().invoke(gongkai_cli, ["sweep"])
    assert result.exit_code == 0, result.output
    assert "resend_outbox\tevery 60s\tcore.jobs.resend_outbox_sweep" in result.output


def test_sweep_command_runs_the_sweep(app):
    # an old row that never left (as if Redis had been down when it was committed)
    db.session.add(
        OutboxEntry(
            func="tests.jobfuncs.record", args=["swept"], kwargs={}, attempts=1,
            created_at=db.utcnow() - timedelta(minutes=5), last_error="ConnectionError: down",
        )
    )  # fmt: skip
    db.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(gongkai_cli, ["sweep", "resend_outbox"])
    assert result.exit_code == 0, result.output
    assert "resend_outbox: 1" in result.output
    assert jobs.pending() == []
    jobs.work_burst()
    assert len(ran("swept")) == 1

    unknown = runner.invoke(gongkai_cli, ["sweep", "nope"])
    assert unknown.exit_code == 2
    assert "unknown sweep" in unknown.output


# --- 6: one scheduler; the worker needs Redis ------------------------------------------------


def test_second_scheduler_refuses_to_start(redis_app, redis_server):
    conn = Redis.from_url(redis_server.url)
    conn.set(jobs.SCHEDULER_LOCK, "otherhost:123", ex=30)
    with pytest.raises(jobs.SchedulerAlreadyRunning, match="otherhost:123"):
        jobs.run_scheduler(wait=False)  # (by default it waits as a standby)
    assert conn.get(jobs.SCHEDULER_LOCK) == b"otherhost:123", "the holder's lock was touched"


def test_scheduler_command_holds_the_lock(redis_app, redis_server, app_settings):
    conn = Redis.from_url(redis_server.url)
    first = subprocess.Popen(
        [*gongkai_command(), "scheduler"], env=gongkai_env(app_settings, redis_server.url),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: conn.get(jobs.SCHEDULER_LOCK), timeout=20), "no lock taken"
        # the sweeps are enqueued through RQ's cron (interval sweeps start at once)
        default = rq_queue(redis_server.url)
        assert wait_until(
            lambda: any(
                j.args and j.args[0] == "core.jobs.resend_outbox_sweep" for j in default.jobs
            ),
            timeout=10,
        )

        # a second one told not to stand by exits (by default it waits to take over)
        second = run_gongkai(app_settings, redis_server.url, "scheduler", "--no-wait")
        assert second.returncode == 2, second.stdout + second.stderr
        assert "another scheduler is running" in second.stderr
        assert first.poll() is None, "the first scheduler died"
    finally:
        first.terminate()
        output = first.communicate(timeout=15)[0]
    assert first.returncode == 0, output
    assert conn.get(jobs.SCHEDULER_LOCK) is None, "the lock was not released on shutdown"


def test_worker_and_scheduler_need_redis(app, app_settings):
    runner = app.test_cli_runner()
    for command in (["worker", "--burst"], ["scheduler"]):
        result = runner.invoke(gongkai_cli, command)
        assert result.exit_code == 2, result.output
        assert "REDIS_URL is not set" in result.output
    chinese = runner.invoke(gongkai_cli, ["worker"], env={"GONGKAI_CLI_LOCALE": "zh_Hans_CN"})
    assert chinese.exit_code == 2  # issue 11: in the operator's language
    assert "未设置 REDIS_URL：后台任务在 `gongkai run` 进程内运行（内嵌模式）。" in chinese.output

    unreachable = create_app(**{**app_settings, "redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    for command in (["worker", "--burst"], ["scheduler"]):
        started = time.monotonic()
        result = unreachable.test_cli_runner().invoke(gongkai_cli, [*command, "--redis-wait", "3"])
        assert result.exit_code == 1, result.output
        assert "cannot reach Redis" in result.output
        assert time.monotonic() - started >= 3  # it waited for Redis (restarting) first


# --- 7: jobs carry the organisation ----------------------------------------------------------


def test_job_carries_its_organisation(app, org):
    entry = jobs.enqueue(jobfuncs.record, "for-org", org_id=org.id)
    db.commit()
    assert outbox_row(entry.id).org_id == org.id
    job = jobs.queue("default").fetch_job(f"outbox-{entry.id}")
    assert job.args[3] == org.id

    jobs.work_burst()

    [entry] = ran("for-org")
    assert entry.org_id == org.id  # the job saw its organisation as g.org


def test_job_without_organisation_runs_without_one(app):
    jobs.enqueue(jobfuncs.record, "no-org")
    db.commit()
    jobs.work_burst()
    [entry] = ran("no-org")
    assert entry.org_id is None


def test_savepoints_do_not_send_early_nor_drop_the_outer_jobs(redis_app, redis_server):
    q = rq_queue(redis_server.url)
    outer = jobs.enqueue(jobfuncs.record, "outer")
    with db.session.begin_nested():
        released = jobs.enqueue(jobfuncs.record, "released-savepoint")
    assert q.count == 0, "releasing a savepoint is not the commit"
    savepoint = db.session.begin_nested()
    jobs.enqueue(jobfuncs.record, "rolled-back-savepoint")
    savepoint.rollback()
    assert q.count == 0

    db.commit()

    assert sorted(q.job_ids) == sorted([f"outbox-{outer.id}", f"outbox-{released.id}"])
    assert outbox_count() == 2
    assert jobs.pending() == []


def test_a_sign_in_racing_a_sweep_is_answered_not_refused(app, client):
    """Embedded mode (issue 16, finding 8): a job of the in-process runner writes and commits
    while a sign-in is under way — after the request read, before it writes. On SQLite a
    deferred transaction would then fail at once with "database is locked" (a 500 page); the
    request holds the write lock from its start instead, and the job waits for it."""
    import threading

    from sqlalchemy import text

    from core.plugins.testing import csrf_token
    from tenants import operations as tenants

    app.config["GONGKAI_ERROR_PAGES"] = True
    tenants.create_user("racer", password="long-enough-pw")
    db.session.commit()
    job = threading.Thread(target=lambda: jobs.run_job("tests.jobfuncs.record", ["race"], {}))

    def sweep_commits_meanwhile():
        if request.endpoint == "auth.login" and request.method == "POST":
            db.session.execute(text("select count(*) from users"))  # the request has read
            job.start()
            job.join(timeout=1.0)  # the sweep's write: it commits now, or waits for us

    app.before_request(sweep_commits_meanwhile)
    token = csrf_token(client)
    response = client.post(
        "/auth/login",
        data={"username": "racer", "password": "long-enough-pw", "csrf_token": token},
    )
    assert response.status_code == 302, response.status_code
    job.join(timeout=40)
    assert ran("race")  # and the sweep's work is done too


def test_a_stop_signal_that_reaches_a_work_horse_leaves_the_stopping_to_the_worker(redis_server):
    """A process manager's SIGTERM to the worker's group can reach a work horse just forked,
    before it set its own handlers: there the worker's handler does nothing (it used to stop
    the worker's scheduler from the horse, which failed with a traceback); in the worker it
    asks for the warm shutdown."""
    import signal

    from rq.exceptions import StopRequested

    worker = jobs.stopping_worker_class()(["default"], connection=Redis.from_url(redis_server.url))
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        worker.pid = os.getpid() + 1  # as in the horse: the worker is its parent
        worker.request_stop(signal.SIGTERM, None)
        assert worker._shutdown_requested_date is None
        worker.pid = os.getpid()
        with pytest.raises(StopRequested):  # idle: RQ stops the loop at once
            worker.request_stop(signal.SIGTERM, None)
        assert worker._shutdown_requested_date is not None
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
