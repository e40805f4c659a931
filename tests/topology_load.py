"""The load of the multi-process test (tests/test_topology.py): a locustfile, run headless by the
test on loopback (``locust -f tests/topology_load.py --headless ...``) against nginx.

Readers browse and search anonymously (pages and the JSON API), visitors give feedback and lodge
objections to notices, staff push drafts through the workflow in the console (unit A: three
signed-in sessions, editor, reviewer and admin) and through the API with Bearer tokens (unit B).
Every request is written as one JSON line to ``TOPOLOGY_RECORDS`` (the test reads them): when it
started and ended, its answer, and for a submission or a workflow step what identifies it in the
database (a token in the text, or the item and the step), so that the test can check that what
was answered with a success is stored exactly once.

Environment: ``TOPOLOGY_WORLD`` (the JSON of tests/topology_world.py), ``TOPOLOGY_RECORDS``,
``TOPOLOGY_CA`` (nginx's certificate).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid

from locust import HttpUser, between, events, task
from locust.clients import HttpSession

WORLD = json.load(open(os.environ["TOPOLOGY_WORLD"], encoding="utf-8"))  # noqa: SIM115
CA = os.environ["TOPOLOGY_CA"]
_records = open(os.environ["TOPOLOGY_RECORDS"], "a", encoding="utf-8")  # noqa: SIM115
_addresses = itertools.count(1)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
SEARCHES = ("党费", "换届", "公示", "党务公开", "选举结果", "tp-unit")
UNIT_A, UNIT_B = sorted(WORLD["units"])
DRAFTS = {code: list(unit["drafts"]) for code, unit in WORLD["units"].items()}


@events.request.add_listener
def _record(request_type, name, response_time, response, context, exception, start_time,
            **_kwargs):  # fmt: skip
    status = getattr(response, "status_code", None) or 0
    line = {
        "t0": start_time,
        "t1": time.time(),
        "method": request_type,
        "name": name,
        "status": status,
        **(context or {}),
    }
    if exception is not None and not status:
        line["error"] = f"{type(exception).__name__}: {exception}"[:300]
    if status >= 500:
        text = response.content.decode("utf-8", "replace")
        title = TITLE.search(text)
        line["title"] = title.group(1).strip() if title else ""
        line["maintenance"] = "系统正在维护" in text  # nginx's page (deploy/nginx)
        line["lang"] = 'lang="zh-Hans-CN"' in text
        line["json"] = text[:300] if text.lstrip().startswith("{") else None
    _records.write(json.dumps(line, ensure_ascii=False) + "\n")
    _records.flush()


def _token(response) -> str | None:
    found = CSRF.search(response.text or "")
    return found.group(1) if found else None


def _address() -> str:
    """A visitor's own address, as a CDN in front of nginx passes it (X-Forwarded-For): the
    limits per address count each simulated visitor, not the load generator."""
    n = next(_addresses)
    return f"198.51.{100 + n // 250 % 50}.{n % 250 + 1}"


class _Base(HttpUser):
    abstract = True

    def on_start(self):
        self.setup(self.client)

    def setup(self, client: HttpSession) -> HttpSession:
        client.verify = CA
        # a browser's Referer on the forms it sends (Flask-WTF checks it against the host on
        # HTTPS). nginx passes the host without the port (deploy/nginx: Host $host), as for the
        # standard port of a deployment; the test's nginx listens on another one.
        client.headers["Referer"] = "https://127.0.0.1/"
        return client

    def session(self) -> HttpSession:
        return self.setup(HttpSession(base_url=self.host, user=self,
                                      request_event=self.environment.events.request))  # fmt: skip

    def sign_in(self, client: HttpSession, username: str) -> bool:
        page = client.get("/auth/login", name="sign-in form")
        token = _token(page)
        if token is None:
            return False
        answer = client.post(
            "/auth/login",
            data={"username": username, "password": WORLD["password"], "csrf_token": token},
            allow_redirects=False,
            name="sign in",
            context={"kind": "sign_in"},
        )
        return answer.status_code in (302, 303)


class Reader(_Base):
    """Anonymous reading and searching, pages and the JSON API."""

    weight = 4
    wait_time = between(0.2, 1.0)

    def unit(self) -> tuple[str, dict]:
        code = random.choice([UNIT_A, UNIT_B])
        return code, WORLD["units"][code]

    @task(3)
    def portal(self):
        code, _ = self.unit()
        self.client.get(f"/o/{code}/", name="/o/[unit]/")

    @task(3)
    def item(self):
        code, unit = self.unit()
        item = random.choice(unit["public_items"] + unit["notices"])
        self.client.get(f"/o/{code}/items/{item}", name="/o/[unit]/items/[id]")

    @task(2)
    def search(self):
        code, _ = self.unit()
        q = random.choice(SEARCHES)
        self.client.get(f"/o/{code}/search", params={"q": q}, name="/o/[unit]/search")

    @task(1)
    def feed(self):
        code, _ = self.unit()
        self.client.get(f"/o/{code}/feed.atom", name="/o/[unit]/feed.atom")

    @task(1)
    def api_items(self):
        code, _ = self.unit()
        self.client.get(f"/api/v1/orgs/{code}/items", name="/api/v1/orgs/[unit]/items")


class Visitor(_Base):
    """Anonymous feedback and objections to notices in their period."""

    weight = 2
    wait_time = between(0.5, 1.5)

    def visitor(self) -> dict:
        """A new visitor's address for each submission (the limits per address are not what
        this load is about)."""
        return {"X-Forwarded-For": _address()}

    @task(2)
    def feedback(self):
        code = random.choice([UNIT_A, UNIT_B])
        headers = self.visitor()
        form = self.client.get(f"/o/{code}/feedback", name="/o/[unit]/feedback", headers=headers)
        token = _token(form)
        if token is None:
            return
        mark = f"tp-fb-{uuid.uuid4().hex[:16]}"
        self.client.post(
            f"/o/{code}/feedback",
            data={"csrf_token": token, "content": f"建议及时更新公开栏。{mark}", "item": "",
                  "name": "", "contact": "", "website": ""},
            allow_redirects=False,
            name="POST /o/[unit]/feedback",
            headers=headers,
            context={"kind": "feedback", "mark": mark},
        )  # fmt: skip

    @task(1)
    def objection(self):
        code = random.choice([UNIT_A, UNIT_B])
        item = random.choice(WORLD["units"][code]["notices"])
        headers = self.visitor()
        page = self.client.get(f"/o/{code}/items/{item}", name="/o/[unit]/items/[id]",
                               headers=headers)  # fmt: skip
        token = _token(page)
        if token is None:
            return
        mark = f"tp-ob-{uuid.uuid4().hex[:16]}"
        self.client.post(
            f"/o/{code}/items/{item}/objections",
            data={"csrf_token": token, "text": f"对公示对象有异议。{mark}", "name": "",
                  "contact": ""},
            allow_redirects=False,
            name="POST /o/[unit]/items/[id]/objections",
            headers=headers,
            context={"kind": "objection", "mark": mark},
        )  # fmt: skip


REVIEW = {
    "secrecy_passed": "yes",
    "secrecy_basis": "《党务公开条例》第十条",
    "necessity_ok": "yes",
    "accuracy_ok": "yes",
    "outcome": "pass",
    "refuse_reason": "",
    "comment": "",
}


class Staff(_Base):
    """Unit A's editor, reviewer and admin push drafts through the console: propose, review,
    approve, schedule (the publication is then a job)."""

    fixed_count = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        super().on_start()
        people = WORLD["units"][UNIT_A]["people"]
        self.as_role = {"editor": self.client, "reviewer": self.session(), "admin": self.session()}
        self.ready = all(self.sign_in(c, people[r]) for r, c in self.as_role.items())

    def step(self, role: str, item: int, path: str, transition: str, data: dict) -> bool:
        client = self.as_role[role]
        detail = f"/admin/o/{UNIT_A}/items/{item}"
        token = _token(client.get(detail, name="/admin/o/[unit]/items/[id]"))
        if token is None:
            return False
        answer = client.post(
            f"{detail}/{path}",
            data={"csrf_token": token, **data},
            allow_redirects=False,
            name=f"POST /admin/o/[unit]/items/[id]/{path}",
            context={"kind": "step", "item": item, "transition": transition},
        )
        return answer.status_code in (302, 303)

    @task
    def push_a_draft(self):
        if not self.ready:
            self.ready = all(
                self.sign_in(c, WORLD["units"][UNIT_A]["people"][r])
                for r, c in self.as_role.items()
            )
            return
        if not DRAFTS[UNIT_A]:
            return
        item = DRAFTS[UNIT_A].pop()
        for role, path, transition, data in (
            ("editor", "propose", "propose", {}),
            ("reviewer", "review", "review", REVIEW),
            ("admin", "approve", "approve", {}),
            ("editor", "schedule", "schedule", {}),
        ):
            if not self.step(role, item, path, transition, data):
                return


class ApiClient(_Base):
    """Unit B's people run the same steps through the JSON API with their Bearer tokens."""

    fixed_count = 2
    wait_time = between(0.5, 1.5)

    def step(self, role: str, item: int, transition: str, body: dict | None = None) -> bool:
        token = WORLD["units"][UNIT_B]["tokens"][role]
        answer = self.client.post(
            f"/api/v1/items/{item}/transitions/{transition}",
            json=body or {},
            headers={"Authorization": f"Bearer {token}"},
            name=f"POST /api/v1/items/[id]/transitions/{transition}",
            context={"kind": "step", "item": item, "transition": transition},
        )
        return answer.status_code == 200

    @task
    def push_a_draft(self):
        if not DRAFTS[UNIT_B]:
            return
        item = DRAFTS[UNIT_B].pop()
        token = WORLD["units"][UNIT_B]["tokens"]["editor"]
        self.client.get(f"/api/v1/items/{item}/transitions", name="/api/v1/items/[id]/transitions",
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        review = {"secrecy_passed": True, "secrecy_basis": "《党务公开条例》第十条",
                  "necessity_ok": True, "accuracy_ok": True}  # fmt: skip
        for role, transition, body in (
            ("editor", "propose", None),
            ("reviewer", "review", review),
            ("admin", "approve", None),
            ("editor", "schedule", None),
        ):
            if not self.step(role, item, transition, body):
                return
