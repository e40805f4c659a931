"""The production topology on one machine, under load, with faults (issue 14).

nginx (deploy/nginx/gongkai.conf) in front of two gunicorn servers, two RQ workers and one
scheduler — each started with its deploy/Procfile line — on a PostgreSQL cluster and a
redis-server of their own (append-only, as deploy/README.md asks), with ``GONGKAI_ENV=production``
and a local SMTP server (aiosmtpd) for the mail. A bounded locust run (tests/topology_load.py,
headless, on loopback) mixes anonymous reading and searching, feedback and objections, signed-in
workflow steps in the console and through the API. During it:

1. an RQ worker is killed with SIGKILL in the middle of a job (a mail job, held in the SMTP
   conversation), and started again as a process manager would;
2. the scheduler is killed with SIGKILL and a second one is started (it takes over when the
   lock of the dead one expires);
3. Redis is stopped and started again;
4. PostgreSQL is stopped (fast: sessions cut off) and started again;
5. a gunicorn worker process is killed with SIGKILL (its master starts another one).

Afterwards, once every job has run: every submission that got a success answer is stored exactly
once; every job ran to completion exactly once in effect (one mail per notification, one register
entry per event, one search-index row per published item); the register verifies; no request got
a 5xx except while PostgreSQL was down, and those got the translated error page. The counts are
printed (``-s`` shows them). Finally both web servers are stopped and nginx shows its
maintenance page (502, three languages, ``Retry-After``).

Why locust in its own process: it is gevent-based and monkey-patches sockets and threads, which
must not happen inside pytest (PostgreSQL, Redis and subprocess clients of the test itself); run
as a command it is exactly what an operator runs, and it writes one line per request for the
checks.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.notifications.debug_smtp import DebugSMTPServer, _Handler
from core.notifications.debug_smtp import messages as stored_messages
from tests import deploy_files as files
from tests.services import PostgresServer, RedisServer, free_port, unavailable, wait_for_port

pytestmark = pytest.mark.topology

BIN = Path(sys.executable).parent
LOAD_SECONDS = int(os.environ.get("GONGKAI_TOPOLOGY_SECONDS", "60"))
USERS = 10
DRAIN_SECONDS = 150


# --- the parts -------------------------------------------------------------------------------


class StallingHandler(_Handler):
    """The debugging SMTP server's handler, able to hold one conversation (the next one after
    :meth:`stall_next`) before it accepts the recipient, until :meth:`release`."""

    def __init__(self, directory: Path):
        super().__init__(directory)
        self._stall = False
        self.stalled = threading.Event()
        self._released = threading.Event()

    def stall_next(self) -> None:
        self.stalled.clear()
        self._released.clear()
        self._stall = True

    def release(self) -> None:
        self._stall = False
        self._released.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._stall:
            self._stall = False
            self.peer = session.peer  # the client's (address, port): the job's connection
            self.stalled.set()
            deadline = time.monotonic() + 60
            while not self._released.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


class Sink(DebugSMTPServer):
    def start(self) -> Sink:
        from aiosmtpd.controller import Controller

        self.directory.mkdir(parents=True, exist_ok=True)
        self.handler = StallingHandler(self.directory)
        self._controller = Controller(self.handler, hostname=self.host, port=self.port,
                                      enable_SMTPUTF8=True, ready_timeout=10)  # fmt: skip
        self._controller.start()
        return self


class Processes:
    """The Procfile's processes, each in its own session (process group) with its own log."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder = folder
        self.env = env
        self.procfile = files.procfile()
        self.running: dict[str, subprocess.Popen] = {}
        self.count = collections.Counter()

    def start(self, kind: str, **extra: str) -> str:
        self.count[kind] += 1
        name = f"{kind}-{self.count[kind]}"
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115
        self.running[name] = subprocess.Popen(
            shlex.split(self.procfile[kind]), cwd=files.ROOT, env={**self.env, **extra},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return name

    def run(self, kind: str, timeout: float = 300) -> str:
        name = self.start(kind)
        assert self.running[name].wait(timeout=timeout) == 0, self.log(name)
        return name

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the process and everything it started (an RQ worker's work horse)."""
        os.killpg(self.running[name].pid, sig)
        self.running[name].wait(timeout=30)

    def by_pid(self, pid: int) -> str:
        return next(n for n, p in self.running.items() if p.pid == pid)

    def alive(self, name: str) -> bool:
        return self.running[name].poll() is None

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.running.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _get(url: str, ca: str) -> tuple[int, str, dict]:
    import ssl

    context = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as answer:
            return answer.status, answer.read().decode("utf-8"), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


def _wait(predicate, timeout: float, step: float = 0.5, what: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(step)


# --- the test --------------------------------------------------------------------------------


@pytest.fixture
def topology(tmp_path):
    for binary in ("nginx", "redis-server"):
        if not shutil.which(binary):
            unavailable(f"{binary} is not installed")
    if not (BIN / "locust").exists():
        unavailable("locust is not installed (the test extras)")
    postgres = PostgresServer().start()
    redis = RedisServer(tmp_path / "redis", persistent=True).start()
    sink = Sink(tmp_path / "mail", port=free_port()).start()
    web_ports = [free_port(), free_port()]
    http_port, https_port = free_port(), free_port()
    env = {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "GONGKAI_ENV": "production",
        "SECRET_KEY": "topology-test-secret-key-0123456789abcdefghijkl",
        "GONGKAI_DATABASE_URL": postgres.create_database("topology"),
        "REDIS_URL": redis.url,
        "GONGKAI_INSTANCE_PATH": str(tmp_path / "instance"),
        "GONGKAI_SMTP_URL": sink.url,
        "GONGKAI_MAIL_FROM": "Gongkai <noreply@topology.example.org>",
        "GONGKAI_BASE_URL": f"https://127.0.0.1:{https_port}",
        # locust stands for a CDN in front of nginx that passes each visitor's address
        "GONGKAI_TRUSTED_PROXIES": "2",
        "GUNICORN_WORKERS": "2",
        "PYTHONUNBUFFERED": "1",  # the logs up to the moment a process is killed
        "GUNICORN_THREADS": "4",
    }
    procs = Processes(tmp_path, env)
    nginx = None
    try:
        procs.run("migrate")
        world_file = tmp_path / "world.json"
        subprocess.run([sys.executable, "-m", "tests.topology_world", str(world_file)],
                       cwd=files.ROOT, env=env, check=True, timeout=300)  # fmt: skip
        for port in web_ports:
            procs.start("web", GUNICORN_BIND=f"127.0.0.1:{port}")
        procs.start("worker")
        procs.start("worker")
        procs.start("scheduler")
        from tests.deploy_nginx import nginx_config

        folder = tmp_path / "nginx"
        conf = nginx_config(folder, upstream=[f"127.0.0.1:{p}" for p in web_ports],
                            http_port=http_port, https_port=https_port)  # fmt: skip
        nginx = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(conf),
                                  "-e", str(folder / "error.log")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        wait_for_port(https_port)
        ca = str(folder / "certs" / "fullchain.pem")
        for port in web_ports:
            _wait(lambda port=port: _ready(port), 90, what=f"web on {port}")
        yield {
            "postgres": postgres, "redis": redis, "sink": sink, "procs": procs, "env": env,
            "folder": tmp_path, "world": json.loads(world_file.read_text(encoding="utf-8")),
            "world_file": world_file, "ca": ca, "base": f"https://127.0.0.1:{https_port}",
            "web_ports": web_ports,
        }  # fmt: skip
    finally:
        procs.stop_all()
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        sink.stop()
        redis.stop()
        postgres.stop()


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as r:
            return r.status == 200
    except OSError:
        return False


def test_the_production_topology_survives_its_faults_and_loses_nothing(topology):
    t = topology
    procs: Processes = t["procs"]
    redis_server: RedisServer = t["redis"]
    postgres: PostgresServer = t["postgres"]
    sink: Sink = t["sink"]
    records_file = t["folder"] / "requests.jsonl"
    load = subprocess.Popen(
        [str(BIN / "locust"), "-f", str(files.ROOT / "tests" / "topology_load.py"), "--headless",
         "--users", str(USERS), "--spawn-rate", str(USERS), "--run-time", f"{LOAD_SECONDS}s",
         "--stop-timeout", "10", "--host", t["base"], "--only-summary", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"],
        cwd=t["folder"], env={**t["env"], "TOPOLOGY_WORLD": str(t["world_file"]),
                              "TOPOLOGY_RECORDS": str(records_file), "TOPOLOGY_CA": t["ca"]},
        stdout=open(t["folder"] / "locust.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    started = time.monotonic()
    faults: dict[str, object] = {}

    def at(second: float) -> None:
        time.sleep(max(0.0, started + second - time.monotonic()))

    from redis import Redis

    redis = Redis.from_url(t["env"]["REDIS_URL"])

    # 1. a worker killed with SIGKILL in the middle of a (mail) job; a process manager starts
    #    another one
    at(5)
    sink.handler.stall_next()
    assert sink.handler.stalled.wait(40), "no mail job reached the SMTP server"
    killed_job = _kill_the_worker_running_a_mail_job(procs, redis, sink.handler.peer)
    faults["worker killed in job"] = killed_job
    sink.handler.release()
    time.sleep(2)
    procs.start("worker")

    # 2. the scheduler killed, a second one started
    at(15)
    procs.kill("scheduler-1")
    second_scheduler = procs.start("scheduler")

    # 3. Redis stopped and started again
    at(22)
    redis_server.stop()
    time.sleep(5)
    redis_server.start()

    # 4. PostgreSQL stopped and started again
    at(32)
    pg_down = time.time()
    postgres.halt()
    time.sleep(5)
    postgres.resume()
    pg_up = time.time()

    # 5. a gunicorn worker killed with SIGKILL
    at(45)
    master = procs.running["web-1"].pid
    victim = _children(master)[0]
    web_killed = time.time()
    os.kill(victim, signal.SIGKILL)
    faults["gunicorn worker killed"] = victim

    assert load.wait(timeout=LOAD_SECONDS + 60) == 0, (t["folder"] / "locust.log").read_text()
    records = [json.loads(line) for line in records_file.read_text(encoding="utf-8").splitlines()]

    # every job done: the queues and the outbox empty, the killed worker's job run again
    from core.db import normalise_url

    engine = create_engine(normalise_url(t["env"]["GONGKAI_DATABASE_URL"]))
    with engine.connect() as db:
        _drain(db, redis, DRAIN_SECONDS)
        # the second scheduler took over from the killed one
        holder = _wait(lambda: redis.get("gongkai:scheduler:lock"), 10, what="a scheduler lock")
        assert holder.decode().endswith(f":{procs.running[second_scheduler].pid}"), holder
        assert procs.alive(second_scheduler), procs.log(second_scheduler)
        counts = _check_everything(db, records, sink, (pg_down, pg_up), web_killed, redis)
        # the job whose worker was killed ran again, to completion, once in effect
        outbox_id = int(killed_job.removeprefix("outbox-"))
        runs, finished = db.execute(
            text("SELECT runs, finished_at IS NOT NULL FROM job_outbox WHERE id = :id"),
            {"id": outbox_id},
        ).one()
        assert runs >= 2 and finished, (killed_job, runs, finished)
        counts["faults"] = faults
    engine.dispose()

    verified = subprocess.run([str(BIN / "gongkai"), "register", "verify"], env=t["env"],
                              cwd=files.ROOT, capture_output=True, text=True)  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    counts["register"] = verified.stdout.strip()

    # both web servers restarting: nginx answers with its maintenance page
    for name in ("web-1", "web-2"):
        procs.kill(name, signal.SIGTERM)
    status, html, headers = _get(t["base"] + "/o/tp-unit-a/", t["ca"])
    assert status == 502 and headers.get("Retry-After") == "30"
    assert "系统正在维护" in html and 'dir="rtl"' in html  # Chinese, English and Uyghur
    counts["nginx while both web servers are down"] = f"{status}, its maintenance page"
    print("\n" + json.dumps(counts, ensure_ascii=False, indent=1))
    for name in ("web-1", "web-2"):  # the database's absence was no error of the application
        assert "unhandled error" not in procs.log(name), procs.log(name)


def _kill_the_worker_running_a_mail_job(procs: Processes, redis, peer) -> str:
    """SIGKILL the worker whose mail job the SMTP server holds: the process that owns the
    client end of the held connection is its work horse, a child of the worker."""
    from rq import Worker

    port = f"{peer[1]:04X}"
    inode = next(
        line.split()[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{port}")
    )
    horse = next(
        int(fd.parts[2])
        for fd in Path("/proc").glob("[0-9]*/fd/*")
        if _link(fd) == f"socket:[{inode}]"
    )
    status = Path(f"/proc/{horse}/status").read_text()
    parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid")))
    name = procs.by_pid(parent)  # `gongkai worker`; RQ gives the horse a session of its own
    worker = next(w for w in Worker.all(connection=redis) if w.pid == parent)
    job_id = worker.get_current_job_id()
    os.kill(horse, signal.SIGKILL)  # the worker and its horse, as a container's end kills both
    procs.kill(name)
    return job_id


def _link(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _not_drained(db, redis) -> dict:
    """What is still to do (empty once every job has run and every mail has gone)."""
    from rq import Queue
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    db.rollback()
    left: dict[str, object] = {}
    unfinished = db.execute(text(
        "SELECT id, func, runs, sent_at IS NOT NULL FROM job_outbox WHERE finished_at IS NULL"
    )).all()  # fmt: skip
    if unfinished:
        left["outbox rows not finished"] = [tuple(r) for r in unfinished[:10]]
    for name in ("default", "mail", "render"):
        queue = Queue(name, connection=redis)
        if queue.count:
            left[f"queued in {name}"] = queue.count
        if StartedJobRegistry(queue=queue).count:
            left[f"started in {name}"] = StartedJobRegistry(queue=queue).get_job_ids()
        if ScheduledJobRegistry(queue=queue).get_jobs_to_schedule(int(time.time())):
            left[f"due in {name}"] = True
    mails = db.execute(text(
        "SELECT count(*) FROM notifications WHERE email = 'immediate' AND emailed_at IS NULL"
    )).scalar()  # fmt: skip
    if mails:
        left["notifications not mailed"] = mails
    return left


def _drain(db, redis, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while left := _not_drained(db, redis):
        if time.monotonic() > deadline:
            raise AssertionError(f"not every job finished within {timeout} s: {left}")
        time.sleep(2)


def _check_everything(db, records, sink: Sink, pg_window, web_killed: float, redis) -> dict:
    counts: dict[str, object] = {"requests": len(records)}
    ok = [r for r in records if 200 <= r["status"] < 400]
    counts["successes"] = len(ok)
    kinds = collections.Counter()
    for r in records:
        if not r["status"]:
            kinds["no answer (connection)"] += 1
        elif r["status"] >= 400:
            kinds[f"HTTP {r['status']}"] += 1
    counts["errors by kind"] = dict(kinds)

    # no 5xx except while PostgreSQL was down, and those are the translated error page; and
    # the requests in flight in the web worker process killed with SIGKILL: nginx sends a GET
    # on to the other server, but not a form (it may have been stored before the process
    # died): that visitor sees nginx's maintenance page
    pg_down, pg_up = pg_window
    cut_off = [r for r in records if r["status"] == 502 and r["maintenance"]
               and r["method"] == "POST" and r["t0"] <= web_killed <= r["t1"]]  # fmt: skip
    assert len(cut_off) <= 4, cut_off  # GUNICORN_THREADS: at most one per thread
    counts["forms cut off by the killed web worker (nginx's 502 page)"] = len(cut_off)
    server_errors = [r for r in records if r["status"] >= 500 and r not in cut_off]
    outside = [r for r in server_errors if r["t1"] < pg_down or r["t0"] > pg_up]
    assert not outside, outside[:5]
    for r in server_errors:  # "temporarily unavailable", in Chinese (or the API's JSON)
        assert r["status"] == 503, r
        if r.get("json"):
            assert '"unavailable"' in r["json"], r
        else:
            assert r["lang"] and not r["maintenance"], r
            assert r["title"].startswith("服务暂时不可用"), r
    counts["5xx while PostgreSQL was down (503, translated)"] = len(server_errors)

    # every submission answered with a success is stored exactly once (and none twice)
    stored = {
        "feedback": "SELECT count(*) FROM feedback_entries WHERE content LIKE :mark",
        "objection": "SELECT count(*) FROM item_objections WHERE text LIKE :mark",
    }
    submitted = collections.Counter()
    for r in records:
        if r.get("kind") in stored and r["method"] == "POST":
            n = db.execute(text(stored[r["kind"]]), {"mark": f"%{r['mark']}"}).scalar()
            success = r["status"] == 303
            assert n == 1 if success else n <= 1, (r, n)
            submitted[f"{r['kind']} stored" if success else f"{r['kind']} not answered"] += 1
    counts["submissions"] = dict(submitted)

    steps = collections.Counter()
    scheduled = []
    for r in records:
        if r.get("kind") == "step" and 200 <= r["status"] < 400:
            names = ("approve", "escalate") if r["transition"] == "approve" else (r["transition"],)
            n = db.execute(
                text("SELECT count(*) FROM workflow_steps WHERE object_type = 'item' AND "
                     "object_id = :id AND transition IN :names").bindparams(
                    _expanding("names")),
                {"id": r["item"], "names": list(names)},
            ).scalar()  # fmt: skip
            assert n == 1, (r, n)
            steps[r["transition"]] += 1
            if r["transition"] == "schedule":
                scheduled.append(r["item"])
    counts["workflow steps answered with success, each stored once"] = dict(steps)
    assert steps["schedule"] > 0, "no item went through the whole workflow"

    # the publication jobs: each scheduled item published once, registered once, indexed once
    for item in scheduled:
        row = db.execute(text(
            "SELECT state, (SELECT count(*) FROM workflow_steps WHERE object_type = 'item' AND "
            "object_id = :id AND transition = 'publish'), "
            "(SELECT count(*) FROM register_entries WHERE object_type = 'item' AND "
            "object_id = :sid AND action = 'publish'), "
            "(SELECT count(*) FROM search_documents WHERE item_id = :id) FROM items WHERE id = :id"
        ), {"id": item, "sid": str(item)}).one()  # fmt: skip
        assert tuple(row) == ("published", 1, 1, 1), (item, row)
    counts["scheduled items published, registered and indexed once"] = len(scheduled)
    duplicates = db.execute(text(
        "SELECT org_id, action, object_type, object_id, object_version, count(*) "
        "FROM register_entries GROUP BY org_id, action, object_type, object_id, object_version "
        "HAVING count(*) > 1"
    )).all()  # fmt: skip
    assert not duplicates, duplicates

    # one mail per notification
    messages = stored_messages(sink.directory)
    ids = collections.Counter(str(m["Message-ID"]) for m in messages)
    assert all(n == 1 for n in ids.values()), [i for i, n in ids.items() if n > 1]
    mailed = db.execute(text(
        "SELECT id FROM notifications WHERE email = 'immediate' AND emailed_at IS NOT NULL"
    )).scalars().all()  # fmt: skip
    expected = {f"<gongkai.notification.{n}@topology.example.org>" for n in mailed}
    assert set(ids) >= expected, sorted(expected - set(ids))[:5]
    counts["mails (one per notification)"] = len(messages)

    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    rows = db.execute(text("SELECT job_id, runs, finished_at FROM job_outbox")).all()
    retried = 0
    for job_id, runs, _finished in rows:
        try:  # RQ counts the retries of a job that raised or was abandoned
            failed_before = bool(Job.fetch(job_id, connection=redis).number_of_retries)
        except NoSuchJobError:
            failed_before = False
        retried += runs > 1 or failed_before
    counts["jobs"] = len(rows)
    counts["jobs retried"] = retried
    counts["jobs lost"] = sum(1 for r in rows if r.finished_at is None)
    assert counts["jobs lost"] == 0
    return counts


def _expanding(name: str):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)
