"""Browser tests: a live Gongkai server in a thread and headless Chromium driven by Playwright.

* ``live_server`` (session): the application on a loopback port (werkzeug ``make_server`` in a
  thread), on its own migrated SQLite file holding the items tests' world
  (:func:`tests.items_helpers.build_world`) with a few public items and a notice in its period.
  No job runner is started: a scheduled item waits for "Publish now", as in the console tests.
* ``browser`` (session): Debian's ``/usr/bin/chromium`` (``$GONGKAI_CHROMIUM``) through
  Playwright; never ``playwright install`` (it downloads browsers). Without Chromium or the
  ``playwright`` package the tests are skipped, and fail under ``GONGKAI_REQUIRE_SERVICES=1``.
* ``context``/``page``: a fresh browser context per test (no cookies carried over), Chinese as
  the browser's language, short timeouts; ``sign_in(username)`` opens another context signed in
  through the real login form. A page's JavaScript errors and console errors fail the test.
* On failure a full-page screenshot of every open page goes to ``tests/browser/artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.world import NAMES, UNIT_DETAILS, seed
from tests.services import unavailable

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("GONGKAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "long-enough-pw"  # tests.items_helpers.user
TIMEOUT_MS = 10_000


@dataclass
class LiveServer:
    url: str
    database: Path
    app: Any
    ids: dict[str, int] = field(default_factory=dict)

    def query(self, sql: str, *params) -> list[tuple]:
        """Read the server's database directly (its own connection; the server keeps running)."""
        with contextlib.closing(sqlite3.connect(self.database)) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from werkzeug.serving import make_server

    from core import db, migrations
    from core.app import create_app
    from tenants import operations

    folder = tmp_path_factory.mktemp("browser")
    database = folder / "gongkai-browser.sqlite"
    url = f"sqlite:///{database}"
    migrations.upgrade(url)
    app = create_app(
        env="testing",
        instance_path=str(folder / "instance"),
        database_url=url,
        secret_key="browser-test-secret-key",
        redis_url=None,
        outbound_allow="127.0.0.1",  # the OIDC provider processes of the tests run on loopback
    )
    app.config["GONGKAI_PASSWORD_HASH"] = "pbkdf2:sha256:1000"  # fast; still verified

    def make_org(code, *, parent=None, type_code="branch", sector="agency", **fields):
        names = NAMES.get(code, {"zh_Hans_CN": {"full": f"{code} 党组织", "short": code}})
        extra = UNIT_DETAILS if code == "it-unit" else {}
        org = operations.create_organisation(
            code, parent=parent, type_code=type_code, sector=sector, names=names,
            locales=["zh_Hans_CN", "ug", "en"], **extra, **fields,
        )  # fmt: skip
        db.session.commit()
        return org

    with app.app_context():
        ids = seed(make_org)
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="gongkai-live", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", database, app, ids)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(autouse=True)
def _bound_to_live_server(browser, live_server):
    """The database session and job state are process-wide: an app made by another test since
    the server started would have rebound them to its own database. (``browser`` first: without
    Chromium the test is skipped before the server is built.)"""
    from core import db, jobs

    db.bind(f"sqlite:///{live_server.database}")
    jobs.init_app(live_server.app)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium is not installed at {CHROMIUM} (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


class Pages:
    """The contexts a test opened, with the errors their pages reported."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.errors: list[str] = []

    def new_context(self, **options):
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", self.watch)
        self.contexts.append(context)
        return context

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: self.console(page, msg))

    def console(self, page, msg) -> None:
        # Chromium asks for /favicon.ico by itself; the pages name no icon, so it is a 404
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{page.url}: {msg.text} ({msg.location.get('url')})")

    def screenshots(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        for c, context in enumerate(self.contexts):
            for p, page in enumerate(context.pages):
                with contextlib.suppress(Exception):
                    page.screenshot(path=ARTIFACTS / f"FAILED-{name}-{c}-{p}.png", full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture
def pages(request, browser, live_server):
    opened = Pages(browser, live_server.url)
    yield opened
    if request.node.stash.get(FAILED, False):
        opened.screenshots(request.node.name)
    opened.close()
    if opened.errors and not request.node.stash.get(FAILED, False):
        pytest.fail("errors in the browser:\n" + "\n".join(opened.errors), pytrace=False)


@pytest.fixture
def artifacts() -> Path:
    """The folder for screenshots (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def context(pages):
    """A fresh, anonymous browser context."""
    return pages.new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def sign_in(pages):
    """``sign_in(username)``: a page in a new context, signed in through the login form."""

    def do_sign_in(username: str):
        page = pages.new_context().new_page()
        page.goto("/auth/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("form[action='/auth/login'] button[type=submit]")
        page.wait_for_selector(".signed-in")
        return page

    return do_sign_in
