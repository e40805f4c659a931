"""Throwaway PostgreSQL and Redis servers for the test suite (real processes on loopback).

When a binary is missing the tests that need it are skipped, unless ``GONGKAI_REQUIRE_SERVICES=1``
(CI), where a missing service is a failure.
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

    def __init__(self, workdir: Path, port: int | None = None):
        self.binary = shutil.which("redis-server")
        self.workdir = workdir
        self.port = port or free_port()
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
             "--appendonly", "no", "--dir", str(self.workdir)],
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
        self._run(
            f"{self.bindir}/pg_ctl", "-D", str(self.datadir), "-l", str(self.workdir / "pg.log"),
            "-w", "-o", f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start",
        )  # fmt: skip
        return self

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

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
