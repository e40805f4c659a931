"""Throughput budgets (DESIGN.md "Budgets"), as ratios to a bare Flask page on the same machine.

    make bench                                             # every benchmark
    .venv/bin/python -m pytest tests/bench/bench_throughput.py -s -p no:randomly

The production topology on loopback: a throwaway PostgreSQL and Redis (``tests.services``), the
demo loaded into it, Gongkai served by gunicorn with two sync workers and production settings
(``GONGKAI_ENV=production``, Redis for jobs, rate limits and the response cache), and beside it
:mod:`tests.bench.fixed_page` — one route answering a fixed 2 KB page — served the same way.
``wrk`` (Debian package ``wrk``) loads each page from its own process for
``GONGKAI_BENCH_SECONDS`` (default 10) with 4 connections, after a warm-up, and the fixed page
before and after the others (their mean is the reference). It prints requests per second and the
ratio for each page, then fails if a budget is missed:

* anonymous unit portal and item page: at least 0.5 of the fixed page;
* signed-in console home and item page: at least 0.1 — the unit admin's My work (``/admin``,
  where sign-in lands), the unit's console home (``/admin/o/<code>/``) and an item's console
  page. Sign-in and load come from one browser (:data:`USER_AGENT`), which, like a browser,
  opens the page the sign-in leads to and keeps the session cookie it answers with (the
  greeting shown once); each page is checked to answer itself (200, not the sign-in redirect)
  before and after its run. Read again unchanged, these pages come from the console's page
  cache (:mod:`core.console.page_cache`), as they would for a person.

The county compliance page at 3,000 units (under 300 ms) has its own benchmark:
:mod:`tests.bench.bench_compliance`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.services import PostgresServer, RedisServer, free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
UNIT = "hongjiang-agri"
SECONDS = int(os.environ.get("GONGKAI_BENCH_SECONDS", "10"))
CONNECTIONS = 4
PAGES = [
    # (name, path or a function of the ids, signed in, budget as a share of the fixed page)
    ("anonymous unit portal", f"/o/{UNIT}/", False, 0.5),
    ("anonymous item page", "/o/{unit}/items/{item}", False, 0.5),
    ("signed-in My work (the console home)", "/admin", True, 0.1),
    ("signed-in unit console home", f"/admin/o/{UNIT}/", True, 0.1),
    ("signed-in console item page", "/admin/o/{unit}/items/{item}", True, 0.1),
]  # fmt: skip


def _gunicorn(app: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "--workers", "2", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning", "--error-logfile", str(log), app,
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=REPO, env=env)
    wait_for_port(port, timeout=60)
    return proc


USER_AGENT = "gongkai-bench/1"
"""The one browser of the run: sign-in and load send the same ``User-Agent`` (the session is
bound to it, as Flask-Login's strong session protection binds it to a browser; with another
one every signed-in request would be answered with the sign-in page's redirect)."""


def _wrk(url: str, cookie: str | None, seconds: int) -> tuple[float, int]:
    """(requests per second, answers that were not 2xx/3xx)."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-H", f"User-Agent: {USER_AGENT}"]
    command.append(url)
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(errors.group(1)) if errors else 0


def _sign_in(base: str, username: str, password: str) -> str:
    """The session cookie (``name=value``) of a password sign-in through the real form."""
    agent = {"User-Agent": USER_AGENT}
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/auth/login", headers=agent)
    ) as response:
        page = response.read().decode()
        first = response.headers.get_all("Set-Cookie")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    cookie = "; ".join(c.split(";", 1)[0] for c in first)
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/auth/login", data=body, headers={"Cookie": cookie, **agent}
    )

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # keep the 302 and its cookie

    opener = urllib.request.build_opener(Keep)
    try:
        response = opener.open(request)
    except urllib.error.HTTPError as exc:  # the 302 arrives as an "error" without redirects
        response = exc
    cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
    session = [c for c in cookies if "session" in c.split("=", 1)[0]]
    assert response.status == 302 and session, f"sign-in failed: {response.status}"
    # like a browser: the page signed in to (it shows the greeting and takes it from the session)
    landing = urllib.parse.urljoin(f"{base}/", response.headers["Location"])
    try:
        after = opener.open(
            urllib.request.Request(landing, headers={"Cookie": session[-1], **agent})
        )
    except urllib.error.HTTPError as exc:
        after = exc
    cookies = [c.split(";", 1)[0] for c in after.headers.get_all("Set-Cookie") or []]
    return ([c for c in cookies if "session" in c.split("=", 1)[0]] or session)[-1]


def _answers_the_page(url: str, cookie: str | None) -> None:
    """The page itself answers (200, not a redirect to the sign-in page, which wrk would count
    as a success), to the run's browser and with the session when there is one."""

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    try:
        response = urllib.request.build_opener(Keep).open(
            urllib.request.Request(url, headers=headers)
        )
    except urllib.error.HTTPError as exc:
        response = exc
    assert response.status == 200, (url, response.status, response.headers.get("Location"))


def _sql(url: str, query: str) -> str:
    psql = shutil.which("psql") or "/usr/bin/psql"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(
        [psql, plain, "-At", "-c", query], capture_output=True, text=True, check=True
    ).stdout.strip()


def run() -> list[dict]:
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (Debian: apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    postgres = PostgresServer().start()
    redis = RedisServer(folder / "redis").start()
    servers: list[subprocess.Popen] = []
    try:
        url = postgres.create_database("bench")
        env = {
            **os.environ,
            "GONGKAI_ENV": "production",
            "SECRET_KEY": "bench-secret-key-" + "x" * 32,
            "GONGKAI_DATABASE_URL": url,
            "REDIS_URL": redis.url,
            "GONGKAI_INSTANCE_PATH": str(folder / "instance"),
            "GONGKAI_PROGRESS": "0",
        }
        gongkai = str(BIN / "gongkai")
        subprocess.run([gongkai, "db", "upgrade"], env=env, check=True, capture_output=True)
        began = time.perf_counter()
        subprocess.run([gongkai, "demo", "load"], env=env, check=True, capture_output=True)
        print(f"\n  demo loaded into PostgreSQL in {time.perf_counter() - began:.1f} s")
        item = _sql(
            url,
            "SELECT i.id FROM items i JOIN organisations o ON o.id = i.org_id "
            f"WHERE o.code = '{UNIT}' AND i.state = 'published' AND i.visible_scope = 'public' "
            "AND NOT i.is_notice ORDER BY i.published_at DESC LIMIT 1",
        )
        app_port, fixed_port = free_port(), free_port()
        servers.append(_gunicorn("core.app:create_app()", app_port, env, folder / "app.log"))
        servers.append(_gunicorn("tests.bench.fixed_page:app", fixed_port, env, folder / "f.log"))
        base = f"http://127.0.0.1:{app_port}"
        cookie = _sign_in(base, f"{UNIT}-admin", "gongkai-demo")
        fixed = f"http://127.0.0.1:{fixed_port}/"
        _wrk(fixed, None, 2)  # warm-up
        reference = [_wrk(fixed, None, SECONDS)[0]]
        results = []
        for name, path, signed_in, budget in PAGES:
            target = base + path.format(unit=UNIT, item=item)
            _answers_the_page(target, cookie if signed_in else None)
            _wrk(target, cookie if signed_in else None, 2)  # warm-up (and the cache)
            rate, errors = _wrk(target, cookie if signed_in else None, SECONDS)
            _answers_the_page(target, cookie if signed_in else None)  # still signed in
            results.append({"page": name, "path": path, "rate": rate, "errors": errors,
                            "budget": budget})  # fmt: skip
        reference.append(_wrk(fixed, None, SECONDS)[0])
        fixed_rate = sum(reference) / len(reference)
        print(
            f"  fixed 2 KB Flask page: {fixed_rate:,.0f} requests/s "
            f"(before {reference[0]:,.0f}, after {reference[1]:,.0f}); gunicorn 2 sync workers, "
            f"wrk {CONNECTIONS} connections, {SECONDS} s per page"
        )
        print(f"  {'page':70} {'req/s':>9} {'ratio':>6} {'budget':>7}")
        for r in results:
            r["ratio"] = r["rate"] / fixed_rate
            met = "met" if r["ratio"] >= r["budget"] and not r["errors"] else "MISSED"
            print(
                f"  {r['page']:70} {r['rate']:9,.0f} {r['ratio']:6.2f} {r['budget']:>7} {met}"
                + (f" ({r['errors']} errors)" if r["errors"] else "")
            )
        (folder / "results.json").write_text(json.dumps(results, indent=2))
        return results
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_throughput_budgets():
    results = run()
    missed = [r for r in results if r["ratio"] < r["budget"] or r["errors"]]
    assert not missed, missed


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    run()
