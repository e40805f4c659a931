"""What `make demo` does, end to end: migrate a fresh instance, load the demo, serve it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.services import free_port

GONGKAI = str(Path(sys.executable).with_name("gongkai"))


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


SERVED: dict = {}  # the environment of the served demo (its instance folder)


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory):
    instance = tmp_path_factory.mktemp("demo-instance")
    env = {**os.environ, "GONGKAI_INSTANCE_PATH": str(instance)}
    env.pop("GONGKAI_DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    for args in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(
            [GONGKAI, *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    port = free_port()
    server = subprocess.Popen(
        [GONGKAI, "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if fetch(base + "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail(
            "the demo server did not start: " + (server.stdout.read() if server.stdout else "")
        )
    SERVED["env"] = env
    yield base
    server.terminate()
    server.wait(timeout=10)


def test_demo_serves_the_five_counties(served_demo):
    status, html = fetch(served_demo + "/")
    assert status == 200
    for name in (
        "中共喀什市委员会",
        "中共洪江市委员会",
        "中共孝义市委员会",
        "中共呈贡县委员会",
        "中共衡东县委员会",
    ):
        assert name in html


def test_demo_kindergarten_in_uyghur_is_rtl(served_demo):
    status, html = fetch(served_demo + "/o/kashgar-kg3/?lang=ug")
    assert status == 200
    assert 'dir="rtl"' in html
    assert 'lang="ug"' in html


def test_demo_agriculture_bureau_lists_its_six_branches(served_demo):
    status, html = fetch(served_demo + "/o/hongjiang-agri/")
    assert status == 200
    for code in (
        "bamianshan",
        "agritech",
        "horticulture",
        "agri-institute",
        "seed-farm",
        "retirees",
    ):
        assert f'href="/o/hongjiang-{code}/"' in html


def test_demo_readyz_reports_the_database(served_demo):
    status, body = fetch(served_demo + "/readyz")
    assert status == 200
    assert '"database":"ok"' in body.replace(" ", "")


def test_the_outside_verifier_passes_on_the_demo(served_demo):
    """Issue 13: the demo's registers, checked over HTTP only after their heads were signed."""
    env = SERVED["env"]
    signed = subprocess.run(
        [GONGKAI, "register", "checkpoint"], env=env, capture_output=True, text=True, timeout=300
    )
    assert signed.returncode == 0, signed.stderr
    assert "checkpoints signed" in signed.stdout
    for code in ("hongjiang-agri", "kashgar-kg3", "hengdong-tts"):
        done = subprocess.run(
            [GONGKAI, "register", "verify", "--remote", served_demo, "--org", code],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("OK:") and "1 checkpoint" in done.stdout, done.stdout
    status, body = fetch(served_demo + "/o/hongjiang-agri/data/items.csv")
    assert status == 200 and body.startswith("\ufeffid,url,")


def signed_in_opener(base: str, username: str):
    """A browser-like opener (cookies kept) signed in as ``username`` through the login form."""
    import http.cookiejar
    import re
    import urllib.parse

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    form = opener.open(base + "/auth/login?lang=en", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)[1]
    data = urllib.parse.urlencode(
        {"username": username, "password": "gongkai-demo", "csrf_token": token}
    ).encode()
    home = opener.open(base + "/auth/login", data=data, timeout=10)
    assert home.status == 200 and "/auth/login" not in home.url, home.url
    return opener


def test_a_unit_admins_inbox_holds_the_waiting_work_only(served_demo):
    """Issue 11: the demo's own past hand-offs are read; what stays unread is one notification
    for each piece of work that waits for the person (a row of their My work). The server's
    reminder sweeps may add reminders of that same waiting work meanwhile."""
    import re

    from sqlalchemy import select

    from core import db
    from core.app import create_app
    from core.notifications import demo as inbox
    from core.notifications.models import Notification
    from tenants.models import User

    username = "hongjiang-agri-admin"  # the demo's busiest unit: its workflows ran for a year
    page = signed_in_opener(served_demo, username).open(served_demo + "/admin", timeout=10)
    badge = re.search(r'badge-count">(\d+)', page.read().decode())
    shown = int(badge[1]) if badge else 0
    assert 0 < shown <= 25, shown

    instance = Path(SERVED["env"]["GONGKAI_INSTANCE_PATH"])
    app = create_app(
        env="testing",
        instance_path=str(instance),
        database_url=f"sqlite:///{instance / 'gongkai.sqlite'}",
        secret_key="test-secret-key",
        redis_url=None,
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        notes = db.session.scalars(select(Notification).where(Notification.user_id == user.id))
        notes = list(notes)
        handoffs = [n for n in notes if n.dedup_key is None]  # reminders carry a dedup key
        unread = [inbox._path(n.link) for n in handoffs if n.unread]
        handed = {inbox._path(n.link) for n in handoffs}
        reminded = {inbox._path(n.link) for n in notes if n.unread and n.dedup_key}
        waiting = inbox.waiting_links(user)
        db.session.remove()
    assert len(notes) > 100  # the demo's workflows told them of every step …
    assert len(unread) <= shown  # … the inbox keeps one per piece of work still waiting
    assert len(set(unread)) == len(unread) and set(unread) == waiting & handed, (unread, waiting)
    assert reminded <= waiting
