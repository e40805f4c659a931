"""deploy/Procfile on one machine: honcho runs the migration, then web, worker and scheduler in
production mode against real PostgreSQL and Redis; the web process is ready (database and Redis
reachable), the scheduler's sweeps are run by the worker, and all of it stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from redis import Redis

from core.jobs import SCHEDULER_LOCK
from tests import deploy_files as files
from tests.services import free_port, worker_number


def _honcho(*args: str, env_file: Path) -> list[str]:
    return [str(Path(sys.executable).parent / "honcho"), "-f", "deploy/Procfile",
            "-e", str(env_file), *args]  # fmt: skip


def test_honcho_runs_the_procfile_against_postgresql_and_redis(
    postgres_server, redis_server, tmp_path
):
    database = postgres_server.create_database(f"procfile_{worker_number()}")
    redis = Redis.from_url(redis_server.url)
    redis.flushdb()
    port = free_port()
    env_file = tmp_path / "gongkai.env"
    env_file.write_text(
        "\n".join([
            "GONGKAI_ENV=production",
            "SECRET_KEY=procfile-test-secret-key-0123456789abcdefghijkl",
            f"GONGKAI_DATABASE_URL={database}",
            f"REDIS_URL={redis_server.url}",
            f"GONGKAI_INSTANCE_PATH={tmp_path / 'instance'}",
            f"GUNICORN_BIND=127.0.0.1:{port}",
            "GUNICORN_WORKERS=1",
            "GUNICORN_THREADS=2",
        ]) + "\n"
    )  # fmt: skip
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }

    migrate = subprocess.run(_honcho("start", "migrate", env_file=env_file),
                             cwd=files.ROOT, env=env, capture_output=True, text=True,
                             timeout=300)  # fmt: skip
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert "Database at revision" in migrate.stdout

    honcho = subprocess.Popen(
        _honcho("start", "web", "worker", "scheduler", env_file=env_file),
        cwd=files.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        ready = finished = None
        while time.monotonic() < deadline and not (ready and finished):
            time.sleep(0.5)
            assert honcho.poll() is None, honcho.stdout.read().decode()
            if ready is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as r:
                        ready = json.load(r)
                except OSError:
                    continue
            from rq import Queue
            from rq.registry import FinishedJobRegistry

            registry = FinishedJobRegistry(queue=Queue("default", connection=redis))
            finished = registry.get_job_ids()
        assert ready == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
        assert finished, "no job ran: the scheduler's sweeps never reached the worker"
        from rq.job import Job

        job = Job.fetch(finished[0], connection=redis)
        assert job.func_name == "core.jobs.run_job"
        assert redis.get(SCHEDULER_LOCK)  # the one scheduler holds the lock
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            output = honcho.communicate(timeout=60)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            output = honcho.communicate()[0].decode("utf-8", "replace")
    for process in ("web", "worker", "scheduler"):
        assert f"{process}.1" in output, output
    assert redis.get(SCHEDULER_LOCK) is None, "the scheduler releases its lock when it stops"
    assert "Traceback" not in output, output
    redis.flushdb()
