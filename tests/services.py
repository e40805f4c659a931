"""Throwaway PostgreSQL and Redis servers for the test suite (real processes on loopback).

When a binary is missing the tests that need it are skipped, unless ``GONGKAI_REQUIRE_SERVICES=1``
(CI), where a missing service is a failure.

Started once per run: ``python -m tests.services COMMAND...`` (what ``make test`` does) starts one
PostgreSQL cluster and one redis-server, runs COMMAND (pytest with its parallel workers) with
their addresses in ``GONGKAI_TEST_POSTGRES`` and ``GONGKAI_TEST_REDIS``, and stops them. The
session fixtures of tests/conftest.py use those servers when the variables are set — each pytest
worker in its own database and its own Redis database number — and start their own otherwise.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REQUIRE = os.environ.get("GONGKAI_REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f"{reason} (GONGKAI_REQUIRE_SERVICES=1: services are required)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class RedisServer:
    """A redis-server on a loopback port; ``stop()``, then ``start()`` again on the same port."""

    def __init__(self, workdir: Path, port: int | None = None, *, persistent: bool = False):
        self.binary = shutil.which("redis-server")
        self.workdir = workdir
        self.port = port or free_port()
        self.persistent = persistent  # append-only file, as production runs it (deploy/README.md)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if not self.binary:
            unavailable("redis-server is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.persistent else "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def _pg_bindir() -> str | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if os.path.exists(os.path.join(folder, "initdb")):
            return folder
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class PostgresServer:
    """A throwaway PostgreSQL cluster (C.UTF-8, trust auth) on a loopback port."""

    def __init__(self):
        self.bindir = _pg_bindir()
        # pytest's temporary folders are private to root; PostgreSQL runs as its own user
        self.workdir = Path(tempfile.mkdtemp(prefix="gongkai-pg-"))
        self.port = free_port()
        self.datadir = self.workdir / "pgdata"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PostgresServer:
        if not self.bindir:
            unavailable("PostgreSQL (initdb) is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self._run(f"{self.bindir}/initdb", "-D", str(self.datadir), "-E", "UTF8",
                  "--locale=C.UTF-8", "-U", "postgres", "-A", "trust")  # fmt: skip
        self.resume()
        return self

    def halt(self) -> None:
        """Stop the server (fast shutdown: sessions are cut off) and keep the cluster."""
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the cluster on its port (again, after :meth:`halt`)."""
        self._run(
            f"{self.bindir}/pg_ctl", "-D", str(self.datadir), "-l", str(self.workdir / "pg.log"),
            "-w", "-o", f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start",
        )  # fmt: skip

    def create_database(self, name: str) -> str:
        """Create the database ``name`` unless it exists; its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def copy_database(self, template: str, name: str) -> str:
        """A new database ``name`` made as a copy of ``template`` (which nobody may be connected
        to); its URL. An older one of that name is replaced."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.datadir.exists():
            self._run(f"{self.bindir}/pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)


class LoopbackHTTPServer:
    """An HTTP server of a test on loopback (``handler``: a ``BaseHTTPRequestHandler`` class),
    served from a thread inside ``with``; ``base`` is its address."""

    def __init__(self, handler, host: str = "127.0.0.1"):
        import threading
        from http.server import ThreadingHTTPServer

        self.server = ThreadingHTTPServer((host, 0), handler)
        self.base = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SharedPostgres(PostgresServer):
    """The cluster ``python -m tests.services`` started for the whole run (not stopped here)."""

    def __init__(self, url: str):
        from urllib.parse import urlsplit

        self.port = urlsplit(url).port
        self.datadir = None

    def start(self) -> SharedPostgres:
        return self

    def stop(self) -> None:
        pass


class SharedRedis(RedisServer):
    """The redis-server of the run; each pytest worker uses its own database number."""

    def __init__(self, url: str, database: int):
        from urllib.parse import urlsplit

        self.port = urlsplit(url).port
        self.database = database
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.database}"

    def start(self) -> SharedRedis:
        return self

    def stop(self) -> None:
        pass


def worker_number() -> int:
    """0 without pytest-xdist, else 1 + the worker's number (gw0 → 1)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) + 1 if worker.startswith("gw") else 0


def main(argv: list[str]) -> int:
    """Start PostgreSQL and Redis (those whose binaries exist), run ``argv``, stop them."""
    import signal

    env = dict(os.environ)
    started: list = []
    try:
        if _pg_bindir():
            postgres = PostgresServer().start()
            started.append(postgres)
            env["GONGKAI_TEST_POSTGRES"] = postgres.url("postgres")
        if shutil.which("redis-server"):
            workdir = Path(tempfile.mkdtemp(prefix="gongkai-redis-"))
            redis = RedisServer(workdir)
            redis.start()
            started.append(redis)
            env["GONGKAI_TEST_REDIS"] = redis.url
        child = subprocess.Popen(argv, env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
    finally:
        for server in reversed(started):
            server.stop()


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 2:
        sys.exit("usage: python -m tests.services COMMAND [ARG...]")
    sys.exit(main(sys.argv[1:]))
