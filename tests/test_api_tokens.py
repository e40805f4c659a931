"""API tokens: ``gongkai tokens``, hashing at rest, Bearer authentication, scopes, service
tokens, and CSRF for cookie sessions on the API."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core import db
from core.api import auth
from core.api import operations as tokens
from core.api.models import ApiToken
from core.audit import AuditEntry
from core.cli import main
from core.plugins.testing import csrf_token
from tenants import operations as tenants
from tests.items_helpers import build_world, published

PASSWORD = "long-enough-pw"
PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def make_token(user, *, org=None, scopes=(), days=90) -> str:
    _token, secret = tokens.create(user, org=org, scopes=scopes, expires_days=days)
    db.session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.get_json()
    return {i["id"] for i in response.get_json()["items"]}


def error(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert body["error"]["status"] == response.status_code
    return body["error"]


# --- the command -----------------------------------------------------------------------------


def test_create_prints_the_token_once_and_keeps_only_its_hash(app, w):
    runner = app.test_cli_runner(mix_stderr=False) if _mixes() else app.test_cli_runner()
    result = runner.invoke(
        main,
        ["tokens", "create", "--user", "it-admin", "--org", "it-unit", "--scope", "items:write",
         "--name", "publishing robot", "--expires-days", "30"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("gk_") and len(secret) > 40
    row = db.session.scalars(select(ApiToken)).one()
    assert row.scopes == ["read", "items:write"] and row.organisation.code == "it-unit"
    assert row.name == "publishing robot"
    assert (row.expires_at - row.created_at) == timedelta(days=30)
    # at rest: the hash and a short prefix, never the token itself, in any column
    raw = db.session.execute(text("SELECT * FROM api_tokens")).one()
    assert all(secret not in str(value) for value in raw)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(row.prefix) and len(row.prefix) < 16
    # the list shows the prefix, never the secret
    listed = runner.invoke(main, ["tokens", "list", "--user", "it-admin"])
    assert listed.exit_code == 0
    assert row.prefix in listed.output and secret not in listed.output
    assert "it-unit" in listed.output and "never used" in listed.output
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert audit.one().changes["scopes"] == [None, ["read", "items:write"]]


def _mixes() -> bool:
    """Click 8.1 takes ``mix_stderr``; 8.2 keeps stderr apart by itself."""
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


@pytest.mark.parametrize(
    "args, message",
    [
        (["--user", "nobody"], "No user “nobody”"),
        (["--user", "it-admin", "--org", "no-such"], "No organisation with code “no-such”"),
        (["--user", "it-admin", "--scope", "everything"], "unknown scope “everything”"),
        (["--user", "it-member", "--org", "it-sibling"], "holds no role in “it-sibling”"),
        (["--user", "it-admin", "--expires-days", "0"], "expires_days"),
    ],
)
def test_create_refuses_bad_input_with_exit_code_2(app, w, args, message):
    result = app.test_cli_runner().invoke(main, ["tokens", "create", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert db.session.scalars(select(ApiToken)).all() == []


def test_revoke_is_audited_and_ends_the_token(app, w, client):
    secret = make_token(w["member"])
    assert client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret)).status_code == 200
    token_id = db.session.scalars(select(ApiToken.id)).one()
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0 and "revoked" in result.output
    assert "revoked already" in runner.invoke(main, ["tokens", "revoke", str(token_id)]).output
    assert runner.invoke(main, ["tokens", "revoke", "999999"]).exit_code == 2
    assert db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "api_token.revoke")
    ).one()
    response = client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret))
    assert response.status_code == 401
    assert error(response)["code"] == "invalid_token"


# --- Bearer authentication -------------------------------------------------------------------


def test_a_token_reads_as_its_user(w, client):
    internal = published(w)  # party_wide: members only
    assert internal.id not in ids(client.get("/api/v1/orgs/it-unit/items"))
    secret = make_token(w["member"])
    assert internal.id in ids(client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret)))
    detail = client.get(f"/api/v1/items/{internal.id}", headers=bearer(secret))
    assert detail.status_code == 200
    assert detail.headers["Cache-Control"] == "private, no-store"
    assert "Authorization" in detail.headers["Vary"]
    assert "Set-Cookie" not in detail.headers  # a token request opens no session


@pytest.mark.parametrize("case", ["expired", "revoked", "unknown", "malformed", "inactive user"])
def test_bad_tokens_are_401_with_a_bearer_challenge(w, client, case):
    secret = make_token(w["member"])
    row = db.session.scalars(select(ApiToken)).one()
    if case == "expired":
        row.expires_at = db.utcnow() - timedelta(seconds=1)
    elif case == "revoked":
        tokens.revoke(row)
    elif case == "unknown":
        secret = "gk_" + "x" * 43
    elif case == "malformed":
        secret = ""
    else:
        tenants.get_user("it-member").active = False
    db.session.commit()
    response = client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert error(response)["code"] == "invalid_token"


def test_last_use_is_recorded_at_most_once_a_minute(w, client):
    secret = make_token(w["member"])
    client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret))
    first = db.session.scalars(select(ApiToken)).one().last_used_at
    assert first is not None
    db.session.remove()
    client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret))
    assert db.session.scalars(select(ApiToken)).one().last_used_at == first
    row = db.session.scalars(select(ApiToken)).one()
    row.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret))
    db.session.remove()
    assert db.session.scalars(select(ApiToken)).one().last_used_at > first - timedelta(minutes=1)


def test_a_token_wins_over_a_session_cookie(w, client, login):
    internal = published(w)  # party_wide in it-county
    login("it-other-member", PASSWORD)  # a member elsewhere: does not see it
    assert internal.id not in ids(client.get("/api/v1/orgs/it-unit/items"))
    secret = make_token(w["member"])
    assert internal.id in ids(client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret)))


# --- CSRF ------------------------------------------------------------------------------------


def notice(w):
    return published(w, **PUBLIC, is_notice=True)


def test_bearer_posts_need_no_csrf_token(w, client):
    item = notice(w)
    secret = make_token(w["member"], scopes=["feedback:write"])
    response = client.post(
        f"/api/v1/items/{item.id}/objections", json={"text": "异议"}, headers=bearer(secret)
    )
    assert response.status_code == 201


def test_anonymous_api_posts_need_no_csrf_token(w, client):
    item = notice(w)
    response = client.post(f"/api/v1/items/{item.id}/objections", json={"text": "异议"})
    assert response.status_code == 201


def test_a_signed_in_browser_session_must_send_its_csrf_token(w, client, login):
    item = notice(w)
    login("it-member", PASSWORD)
    path = f"/api/v1/items/{item.id}/objections"
    refused = client.post(path, json={"text": "异议"})
    assert refused.status_code == 400
    assert error(refused)["code"] == "csrf_failed"
    token = csrf_token(client, f"/o/it-unit/items/{item.id}")
    accepted = client.post(path, json={"text": "异议"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


# --- scopes and service tokens ---------------------------------------------------------------


def test_required_scopes_by_action_name():
    assert auth.required_scope("register.view") == "register:read"
    assert auth.required_scope("catalogue.view_internal") == "read"
    assert auth.required_scope("items.view_console") == "read"
    assert auth.required_scope("items.edit") == "items:write"
    assert auth.required_scope("item.publish") == "items:write"
    assert auth.required_scope("catalogue.edit") is None
    assert auth.required_scope("members.grant") is None


def test_token_permits_by_scope_and_subtree(w):
    personal, _ = tokens.create(w["bureau_reviewer"], scopes=["items:write"])
    service, _ = tokens.create(w["bureau_reviewer"], org=w["unit"], scopes=["items:write"])
    reader, _ = tokens.create(w["bureau_reviewer"])
    assert auth.token_permits(None, "items.edit", w["sibling"])  # no token: not limited
    assert auth.token_permits(personal, "item.superior_approve", w["sibling"])
    assert auth.token_permits(service, "item.superior_approve", w["unit"])
    assert auth.token_permits(service, "item.superior_approve", w["child"])  # below the unit
    assert not auth.token_permits(service, "item.superior_approve", w["sibling"])
    assert not auth.token_permits(service, "item.superior_approve", w["bureau"])  # above it
    assert not auth.token_permits(reader, "item.publish", w["unit"])
    assert auth.token_permits(reader, "catalogue.view_internal", w["unit"])
    assert not auth.token_permits(personal, "catalogue.edit", w["unit"])
    assert not auth.token_permits(personal, "register.view", w["unit"])


def test_a_read_token_cannot_run_workflow_steps(w, client):
    from core.items import operations as items
    from tests.items_helpers import plan

    item = items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    secret = make_token(w["editor"])  # read only
    response = client.post(f"/api/v1/items/{item.id}/transitions/propose", headers=bearer(secret))
    assert response.status_code == 403
    assert error(response)["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    db.session.remove()
    assert db.session.get(type(item), item.id).state == "draft"


def sibling_public_item(w):
    """A public off-catalogue item of the sibling unit, through the workflow."""
    from core.items import operations as items
    from tests.items_helpers import plan

    editor = tenants.create_user("it-sib-editor", password=PASSWORD)
    reviewer = tenants.create_user("it-sib-reviewer", password=PASSWORD)
    admin = tenants.create_user("it-sib-admin", password=PASSWORD)
    for user, role in ((editor, "editor"), (reviewer, "reviewer"), (admin, "admin")):
        tenants.grant_membership(user, w["sibling"], role)
    item = items.create(
        w["sibling"],
        plan(entry_key=None, scope="public", channels=["website"]),
        actor=editor,
    )
    items.propose(item, actor=editor)
    items.review(item, actor=reviewer, secrecy_passed=True, secrecy_basis="条例",
                 necessity_ok=True, accuracy_ok=True)  # fmt: skip
    items.approve(item, actor=admin)
    items.superior_decide(item, actor=w["bureau_reviewer"], approve=True)
    items.schedule_publication(item, actor=editor)
    items.publish(item)
    db.session.commit()
    return item


def test_a_service_token_acts_only_in_its_subtree(w, client):
    from core.items import operations as items
    from tests.items_helpers import plan

    own = items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    other = sibling_public_item(w)
    tenants.grant_membership(tenants.get_user("it-admin"), w["sibling"], "admin")
    db.session.commit()
    service = make_token(w["admin"], org=w["unit"], scopes=["items:write"])
    ok = client.post(f"/api/v1/items/{own.id}/transitions/withhold",
                     json={"reason": "暂缓"}, headers=bearer(service))  # fmt: skip
    assert ok.status_code == 200 and ok.get_json()["state"] == "withheld"
    body = {"explanation": "已过时"}
    path = f"/api/v1/items/{other.id}/transitions/request_revocation"
    refused = client.post(path, json=body, headers=bearer(service))
    assert refused.status_code == 403
    assert error(refused)["code"] == "insufficient_scope"
    # the same user with a personal token may: they are an admin of the sibling too
    personal = make_token(w["admin"], scopes=["items:write"])
    response = client.post(path, json=body, headers=bearer(personal))
    assert response.status_code == 200 and response.get_json()["state"] == "revocation_pending"


def test_a_service_token_reads_as_anonymous_outside_its_subtree(w, client):
    inside = published(w)  # party_wide item of it-unit
    secret = make_token(w["member"], org=w["unit"])
    assert inside.id in ids(client.get("/api/v1/orgs/it-unit/items", headers=bearer(secret)))
    # at the county (outside the token's subtree) the token reads what anyone may
    assert inside.id not in ids(client.get("/api/v1/orgs/it-county/items", headers=bearer(secret)))


# --- every write of the API checks the token's scope (issue 16, finding 7) ---------------------


def api_writes(app) -> list[tuple[str, object]]:
    """``(method, rule)`` of every write of the API, from the URL map."""
    return [
        (method, rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"})
    ]


def filled(rule, w, item_id: int) -> str:
    from werkzeug.routing import AnyConverter

    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif name == "org_code":
            values[name] = w["unit"].code
        else:
            values[name] = item_id
    return rule.build(values, append_unknown=False)[1]


def test_every_api_write_refuses_a_read_token(app, w, client):
    """Generated from the URL map: each write, sent with a token that only reads (its user an
    admin of the unit, who could do it in the console), is refused with 403 before it runs; with
    the scope its OpenAPI operation declares, the scope check lets it through."""
    from core.api.spec import document

    item = published(w)
    read_only = make_token(w["admin"])
    writes = api_writes(app)
    assert {r.endpoint for _m, r in writes} >= {"requests_api.file_request", "items_api.transition"}
    declared = {}
    for path_item in document(app)["paths"].values():
        for method, op in path_item.items():
            if method.upper() not in ("GET", "HEAD", "OPTIONS"):
                declared[op["operationId"]] = op.get("x-token-scope")
    problems = []
    for method, rule in writes:
        path = filled(rule, w, item.id)
        response = client.open(path, method=method, json={"content": "x"},
                               headers=bearer(read_only))  # fmt: skip
        if response.status_code != 403 or error(response).get("code") != "insufficient_scope":
            problems.append(f"{method} {path} with a read token: {response.status_code}")
        scope = declared.get(rule.endpoint.replace(".", "_"))
        if scope is None:
            problems.append(f"{method} {rule.rule}: its OpenAPI operation declares no scope")
            continue
        allowed = make_token(w["admin"], scopes=[scope])
        response = client.open(path, method=method, json={}, headers=bearer(allowed))
        if response.status_code == 403 and error(response).get("code") == "insufficient_scope":
            problems.append(f"{method} {path} refused with the scope {scope}")
    assert not problems, "\n".join(problems)
