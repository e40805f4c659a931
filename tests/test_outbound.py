"""Outbound calls (issue 16, finding 1): one guarded client, ``core.outbound``.

A receiving server runs on loopback. Without the operator's allow-list the guard refuses it —
also when a host name resolves to it, and when an allowed address redirects to a refused one —
and nothing reaches the server; with ``GONGKAI_OUTBOUND_ALLOW`` naming it, calls go through.
Private, link-local, multicast and reserved addresses are checked by :func:`permitted` only
(the tests send no traffic outside loopback). The last test is the class check: no module of
the project calls out with another library.
"""

from __future__ import annotations

import ast
import ipaddress
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from core import db, outbound
from core.config import ConfigError, load_settings, parse_outbound_allow
from tests.services import LoopbackHTTPServer

ROOT = Path(__file__).resolve().parent.parent


class Receiver(LoopbackHTTPServer):
    """An HTTP server on ``host`` that records what reaches it. ``/ok`` answers JSON,
    ``/to?url=…`` redirects there, ``/big`` answers 2 MiB."""

    def __init__(self, host: str = "127.0.0.1"):
        self.hits: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                receiver.hits.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if self.path.startswith("/to?url="):
                    self.send_response(307)
                    self.send_header("Location", self.path.split("=", 1)[1])
                    self.end_headers()
                    return
                body = b"x" * (2 * 1024 * 1024) if self.path == "/big" else b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        super().__init__(Handler, host)


def allow(app, text: str) -> None:
    app.config["OUTBOUND_ALLOW"] = parse_outbound_allow(text)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
     "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
     "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "2001:db8::1"],
)  # fmt: skip
def test_addresses_that_are_not_public_are_refused(address):
    assert not outbound.permitted(address, allow=())


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_public_addresses_are_permitted(address):
    assert outbound.permitted(address, allow=())


def test_the_allow_list_names_addresses_and_networks():
    networks = parse_outbound_allow("127.0.0.1, 10.0.0.0/8 fd00::/8")
    assert outbound.permitted("127.0.0.1", networks)
    assert not outbound.permitted("127.0.0.2", networks)
    assert outbound.permitted("10.200.0.1", networks)
    assert outbound.permitted("::ffff:10.0.0.1", networks)  # the same IPv4 address
    assert outbound.permitted("fd00::5", networks)
    assert not outbound.permitted("192.168.0.1", networks)
    with pytest.raises(ConfigError, match="GONGKAI_OUTBOUND_ALLOW"):
        parse_outbound_allow("10.0.0.0/8,intranet")
    settings = load_settings({"GONGKAI_OUTBOUND_ALLOW": "127.0.0.1"}, secret_key="k")
    assert settings.outbound_allow == (ipaddress.ip_network("127.0.0.1/32"),)


def test_loopback_is_refused_without_the_allow_list_and_reached_with_it(app):
    with Receiver() as receiver:
        for url in (f"{receiver.base}/ok", receiver.base.replace("127.0.0.1", "localhost") + "/ok"):
            with pytest.raises(outbound.AddressRefused):
                outbound.get(url)
        assert receiver.hits == []  # refused before connecting (also after DNS: localhost)
        allow(app, "127.0.0.1")
        response = outbound.post(f"{receiver.base}/ok", json={"a": 1})
        assert response.status_code == 200 and response.json() == {"ok": True}
        assert receiver.hits == ["POST /ok"]


def test_a_redirect_to_a_refused_address_is_not_followed(app):
    """127.0.0.1 is allowed, 127.0.0.2 (loopback as well) is not: the redirect is refused."""
    allow(app, "127.0.0.1")
    with Receiver("127.0.0.1") as allowed, Receiver("127.0.0.2") as inside:
        for method in ("GET", "POST"):
            with pytest.raises(outbound.AddressRefused):
                outbound.request(method, f"{allowed.base}/to?url={inside.base}/ok", data=b"x")
        assert inside.hits == []
        assert allowed.hits == ["GET /to?url=" + inside.base + "/ok",
                                "POST /to?url=" + inside.base + "/ok"]  # fmt: skip
        # a redirect between allowed addresses is followed
        response = outbound.get(f"{allowed.base}/to?url={allowed.base}/ok")
        assert response.json() == {"ok": True}


def test_answers_larger_than_the_limit_are_refused(app):
    allow(app, "127.0.0.1")
    with Receiver() as receiver:
        with pytest.raises(outbound.OutboundError, match="too large"):
            outbound.get(f"{receiver.base}/big")
        assert len(outbound.get(f"{receiver.base}/big", max_bytes=3 * 1024 * 1024).content) == (
            2 * 1024 * 1024
        )


def test_environment_proxies_are_ignored(app, monkeypatch):
    """A proxy would hide the real destination from the guard."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    allow(app, "127.0.0.1")
    with Receiver() as receiver:
        assert outbound.get(f"{receiver.base}/ok").status_code == 200
        assert receiver.hits == ["GET /ok"]


def test_the_sign_in_providers_sessions_are_guarded(app):
    """Authlib makes its own sessions (token, keys, UserInfo endpoints named by discovery):
    each one carries the guard."""
    from authlib.integrations.flask_client import FlaskIntegration

    from core.sso import providers

    allow(app, "127.0.0.1")
    client = providers._GuardedApp(FlaskIntegration("t"), name="t", client_id="c")
    with Receiver("127.0.0.2") as inside:
        for session in (client._get_session(), client._get_oauth_client()):
            with pytest.raises(outbound.AddressRefused):
                session.get(f"{inside.base}/ok", withhold_token=True)
        assert inside.hits == []


def test_a_provider_issuer_inside_the_network_is_refused_when_saved(app):
    from core.errors import UserError
    from core.sso import operations as sso

    with pytest.raises(UserError) as refused:
        sso.create_provider("inside", issuer="http://127.0.0.1:8080", client_id="x",
                            client_secret="y")  # fmt: skip
    assert any("GONGKAI_OUTBOUND_ALLOW" in p for p in refused.value.problems)
    allow(app, "127.0.0.0/8")
    assert sso.create_provider("inside", issuer="http://127.0.0.1:8080", client_id="x",
                               client_secret="y")  # fmt: skip


@pytest.fixture
def school(app, make_org):
    from tenants import operations as tenants

    county = make_org("ob-county", type_code="county_committee")
    unit = make_org("ob-school", parent=county, sector="school")
    admin = tenants.create_user("ob-admin", password="long-enough-pw")
    tenants.grant_membership(admin, unit, "admin")
    db.session.commit()
    return unit, admin


def test_the_school_affairs_sync_refuses_an_inside_address_generically(app, school, login,
                                                                       client):  # fmt: skip
    from core.items import operations as items
    from core.plugins.testing import csrf_token
    from plugins.school_affairs import operations as ops
    from plugins.school_affairs.models import Delivery

    unit, admin = school
    plan = {"titles": {"zh_Hans_CN": "联合事项"}, "bodies": {"zh_Hans_CN": "正文"},
            "scope": "public", "channels": ["website"]}  # fmt: skip
    item = items.create(unit, plan, actor=admin)
    item_id = item.id
    db.session.commit()
    with Receiver() as receiver:
        login("ob-admin", "long-enough-pw")
        page = "/admin/o/ob-school/school_affairs/"
        token = csrf_token(client, page)
        response = client.post(
            page + "sync", data={"url": f"{receiver.base}/hook", "csrf_token": token},
            headers={"Accept-Language": "en"},
        )  # fmt: skip
        assert response.status_code == 400
        assert "not a public internet address" in response.get_data(as_text=True)
        # an address saved while the allow-list named it, delivered after it no longer does
        allow(app, "127.0.0.1")
        ops.configure_sync(unit, f"{receiver.base}/hook", actor=admin)
        allow(app, "")
        row = Delivery(org_id=unit.id, item_id=item_id, event="item.published", payload={},
                       url=f"{receiver.base}/to?url=/x", status="pending")  # fmt: skip
        db.session.add(row)
        db.session.flush()
        assert ops.attempt_delivery(row.id) == "retrying"
        db.session.commit()
        assert receiver.hits == []
        assert db.session.get(Delivery, row.id).last_error == "address_refused"
        html = client.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "not a public internet address" in html
        assert receiver.base not in html.replace(f"{receiver.base}/hook", "")  # no detail


# --- the class: every outbound call goes through core.outbound ---------------------------------

CLIENT_MODULES = {"requests", "httpx", "urllib3", "urllib.request", "http.client", "aiohttp",
                  "smtplib", "ftplib", "pycurl"}  # fmt: skip
EXEMPT = {
    ("core/outbound.py", "requests"): "the guarded client itself",
    ("core/outbound.py", "urllib3"): "the guarded client itself",
    ("core/sso/providers.py", "requests"): "only the exception types of Authlib's sessions, "
    "which carry the guard (providers._GuardedSession)",
    ("core/sso/demo.py", "requests"): "the operator's `gongkai sso demo` command, defining the "
    "demo people at the demo portal it names on the command line",
    ("core/sso/cli.py", "requests"): "(the same command's error type)",
    ("core/notifications/mail.py", "smtplib"): "the one SMTP relay the operator configures "
    "(GONGKAI_SMTP_URL): operator configuration, not an address a user types",
    ("core/notifications/debug_smtp.py", "smtplib"): "the local debugging mail server",
}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_module_calls_out_without_the_guard():
    problems = []
    for folder in ("core", "tenants", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for module in imported_modules(path):
                client = next((c for c in CLIENT_MODULES if module == c or
                               module.startswith(c + ".")), None)  # fmt: skip
                if client and (relative, client) not in EXEMPT:
                    problems.append(f"{relative} imports {module}: call core.outbound instead")
    assert not problems, "\n".join(problems)
    assert json.dumps(sorted(EXEMPT)) and all((ROOT / path).exists() for path, _module in EXEMPT), (
        "an exemption names a file that is gone"
    )


def test_an_address_the_operator_typed_may_be_inside_but_not_its_redirects(app):
    """``gongkai register verify --remote URL``: the operator names the deployment on the command
    line (it may be on the intranet); where it redirects to is guarded as usual."""
    with Receiver("127.0.0.1") as typed, Receiver("127.0.0.2") as elsewhere:
        assert outbound.get(f"{typed.base}/ok", operator_url=True).status_code == 200
        with pytest.raises(outbound.AddressRefused):
            outbound.get(f"{typed.base}/to?url={elsewhere.base}/ok", operator_url=True)
        with pytest.raises(outbound.AddressRefused):
            outbound.get(f"{typed.base}/ok")  # not typed by the operator: refused
        assert elsewhere.hits == []
