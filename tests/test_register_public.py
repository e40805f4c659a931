"""The register anyone can verify (issue 13): the public register, signed checkpoints, published
keys, and the outside verifier (``gongkai register verify --remote``) run over real HTTP against
the application served on loopback.

The world is the isolation suite's (:mod:`tests.isolation_world`): its workflow wrote register
entries of every kind — public items published and amended, unit-scope and party-wide ones, a
withholding, request decisions, closed feedback, evaluation rounds.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from werkzeug.serving import make_server

from core import db
from core.cli import main
from core.register import checkpoints, remote, signing
from core.register.models import (
    GENESIS_HASH,
    RegisterCheckpoint,
    RegisterEntry,
    RegisterHead,
    RegisterKey,
    entry_hash,
    envelope_hash,
)
from tests import isolation_world as iw
from tests.register_helpers import unguarded
from tests.services import free_port

ANON = iw.visible_to(iw.ANONYMOUS)


@pytest.fixture
def world(app):
    return iw.build()


@pytest.fixture
def served(app, world):
    """The application on a loopback port (its own thread and database sessions)."""
    server = make_server("127.0.0.1", free_port(), app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(timeout=10)


def org(code: str):
    from tenants.models import Organisation

    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def entries_of(code: str) -> list[RegisterEntry]:
    return list(
        db.session.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.org_id == org(code).id)
            .order_by(RegisterEntry.seq)
        )
    )


def sign(code: str):
    checkpoint = checkpoints.sign(org(code))
    db.session.commit()
    return checkpoint


# --- the public register -----------------------------------------------------------------------


@pytest.mark.rule("SCOPE-1")
@pytest.mark.rule("ARC-2")
@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en", "ug"])
def test_the_public_register_shows_public_entries_and_only_the_hash_of_others(
    app, client, world, lang
):
    rows = entries_of(iw.B)
    public = [e for e in rows if e.disclosed is not None]
    assert {e.disclosed["action"] for e in public} >= {"publish", "withhold", "feedback_closed"}
    assert len(public) < len(rows)  # party_wide, unit and specific items, a request decision
    response = client.get(f"/o/{iw.B}/register?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert len(re.findall(r'class="register-entry( sealed)?"', page)) == len(rows)
    for e in rows:
        assert e.hash in page
    assert {"zxbpubli", "zxbnotic", "zxbfbpbq"} <= iw.markers(page)
    assert not iw.markers(page) - ANON, iw.markers(page) - ANON
    withheld = next(e for e in public if e.disclosed["action"] == "withhold")
    assert "titles" not in withheld.disclosed and withheld.disclosed["filed_with"] == iw.SUPERIOR
    assert "reason" not in json.dumps(withheld.disclosed)
    checkpoints_page = client.get(f"/o/{iw.B}/register/checkpoints?lang={lang}")
    assert checkpoints_page.status_code == 200


@pytest.mark.rule("ARC-2")
def test_every_hash_of_the_chain_recomputes_from_the_public_json(app, client, world):
    doc = json.loads(client.get(f"/o/{iw.B}/register.json?limit=3").data)
    shown = doc["entries"]
    while doc["next"]:
        doc = json.loads(client.get(doc["next"].replace("http://localhost", "")).data)
        shown.extend(doc["entries"])
    assert [e["seq"] for e in shown] == list(range(1, len(shown) + 1))
    prev = GENESIS_HASH
    for e in shown:
        assert e["format"] == 2 and e["prev_hash"] == prev
        assert envelope_hash({**e, "org_id": doc["organisation"]["id"]}) == e["hash"]
        prev = e["hash"]
    assert doc["head"]["entry_count"] == len(shown) and doc["head"]["hash"] == prev
    assert not iw.markers(json.dumps(shown, ensure_ascii=False)) - ANON
    for bad in ("after=-1", "after=x", "limit=0", "limit=1001", "after=99999999999999999999"):
        assert client.get(f"/o/{iw.B}/register.json?{bad}").status_code == 400, bad
    assert client.get(f"/o/{iw.B}/register?page=999").status_code == 404


# --- checkpoints and keys ----------------------------------------------------------------------


def test_checkpoints_are_signed_listed_and_valid_with_the_published_key(app, client, world):
    runner = app.test_cli_runner()
    done = runner.invoke(main, ["register", "checkpoint", "--org", iw.B])
    assert done.exit_code == 0, done.output
    assert "signed seq" in done.output
    again = runner.invoke(main, ["register", "checkpoint", "--org", iw.B])
    assert again.exit_code == 0 and "nothing new" in again.output
    everyone = runner.invoke(main, ["register", "checkpoint"])
    assert everyone.exit_code == 0 and iw.C in everyone.output and iw.B not in everyone.output
    keys = json.loads(client.get("/.well-known/gongkai-register-keys.json").data)["keys"]
    assert [k["status"] for k in keys] == ["current"] and keys[0]["crv"] == "Ed25519"
    listed = json.loads(client.get(f"/o/{iw.B}/register/checkpoints.json").data)["checkpoints"]
    assert len(listed) == 1
    (cp,) = listed
    head = entries_of(iw.B)[-1]
    assert cp["payload"]["seq"] == head.seq and cp["payload"]["hash"] == head.hash
    assert signing.valid_signature(keys[0]["x"], cp["payload"], cp["signature"])
    forged = {**cp["payload"], "seq": head.seq + 1}
    assert not signing.valid_signature(keys[0]["x"], forged, cp["signature"])
    page = client.get(f"/o/{iw.B}/register/checkpoints?lang=en").get_data(as_text=True)
    assert cp["signature"] in page and head.hash in page
    assert runner.invoke(main, ["register", "checkpoint", "--org", "nope"]).exit_code == 2


def test_the_daily_sweep_signs_each_moved_head_once_a_day(app, world):
    now = db.utcnow()
    first = checkpoints.sign_due(now=now)
    db.session.commit()
    assert first == len({e.org_id for e in db.session.scalars(select(RegisterEntry))}) > 2
    assert checkpoints.sign_due(now=now + timedelta(hours=1)) == 0  # nothing moved
    from core.register import operations as register

    register.append(org(iw.B), "publish", object_type="item", object_id=1, title="x")
    db.session.commit()
    assert checkpoints.sign_due(now=now + timedelta(hours=2)) == 0  # not again the same day
    assert checkpoints.sign_due(now=now + timedelta(days=1)) == 1  # the next day: iso-b only
    db.session.commit()


def test_a_new_key_retires_the_old_one_and_old_checkpoints_stay_valid(app, client, world):
    old = sign(iw.B)
    app.config[signing.ENV] = signing.generate()
    from core.register import operations as register

    register.append(org(iw.B), "publish", object_type="item", object_id=1, title="x")
    db.session.commit()
    new = sign(iw.B)
    assert new.key_id != old.key_id
    keys = {k.key_id: k for k in db.session.scalars(select(RegisterKey))}
    assert keys[old.key_id].retired_at is not None and keys[new.key_id].retired_at is None
    published = json.loads(client.get("/.well-known/gongkai-register-keys.json").data)["keys"]
    assert [(k["kid"], k["status"]) for k in published] == [
        (new.key_id, "current"),
        (old.key_id, "retired"),
    ]
    report = remote.verify_remote("http://localhost", iw.B, fetch=test_client_fetch(client))
    assert report.ok, report.findings
    assert report.checkpoints == 2
    # the retired key (the instance's, from before) never signs again
    app.config[signing.ENV] = None
    register.append(org(iw.B), "publish", object_type="item", object_id=2, title="y")
    with pytest.raises(checkpoints.NoSigningKey, match="retired"):
        checkpoints.sign(org(iw.B))
    db.session.rollback()


def test_production_without_a_key_signs_nothing_and_says_why(app, world, caplog):
    app.config["GONGKAI_ENV"] = "production"
    app.config[signing.ENV] = None
    assert checkpoints.sign_due() == 0
    assert "GONGKAI_REGISTER_SIGNING_KEY" in caplog.text
    refused = app.test_cli_runner().invoke(main, ["register", "checkpoint", "--org", iw.B])
    assert refused.exit_code == 2 and "GONGKAI_REGISTER_SIGNING_KEY" in refused.output
    app.config[signing.ENV] = "not a key"
    refused = app.test_cli_runner().invoke(main, ["register", "checkpoint", "--org", iw.B])
    assert refused.exit_code == 2 and "base64url" in refused.output
    assert db.session.scalars(select(RegisterCheckpoint)).all() == []


def test_keygen_prints_a_key_the_application_takes(app):
    out = app.test_cli_runner().invoke(main, ["register", "keygen"])
    assert out.exit_code == 0
    line = next(x for x in out.output.splitlines() if x.startswith(signing.ENV))
    key = signing.parse_private_key(line.split("=", 1)[1])
    assert signing.key_id(signing.public_raw(key)) in out.output


# --- the outside verifier ----------------------------------------------------------------------


def test_client_fetch(client):
    """Read the app through its test client (the same JSON as over HTTP)."""

    def fetch(url: str):
        response = client.get(url.replace("http://localhost", ""))
        if response.status_code != 200:
            raise remote.RemoteError(f"{url}: HTTP {response.status_code}")
        return json.loads(response.data)

    return fetch


test_client_fetch.__test__ = False  # a helper, not a test


def run_remote(base: str, code: str, *args: str):
    return remote_cli(["register", "verify", "--remote", base, "--org", code, *args])


def remote_cli(args):
    from click.testing import CliRunner

    from core.cli import main as gongkai

    return CliRunner().invoke(gongkai, args, catch_exceptions=False)


@pytest.mark.rule("ARC-2")
def test_the_outside_verifier_passes_on_an_intact_register(app, world, served):
    sign(iw.B)
    ok = run_remote(served, iw.B)
    assert ok.exit_code == 0, ok.output
    assert "OK:" in ok.output and "1 checkpoint" in ok.output


@pytest.mark.rule("ARC-2")
@pytest.mark.parametrize("which", ["public", "sealed"])
def test_the_outside_verifier_names_an_entry_changed_behind_the_apps_back(
    app, world, served, which
):
    """A title changed in the database (a public entry's, or one the public never sees): the
    public register now shows fields that do not give the entry's hash."""
    sign(iw.B)
    rows = entries_of(iw.B)
    target = next(e for e in rows if (e.disclosed is not None) == (which == "public"))
    t = RegisterEntry.__table__
    with unguarded() as conn:
        if which == "public":
            disclosed = {**target.disclosed, "titles": {"zh_Hans_CN": "篡改后的标题"}}
            conn.execute(update(t).where(t.c.id == target.id).values(disclosed=disclosed))
        else:
            conn.execute(update(t).where(t.c.id == target.id).values(title="篡改"))
    failed = run_remote(served, iw.B)
    assert failed.exit_code == 1, failed.output
    assert f"seq {target.seq}: edited" in failed.output
    assert failed.output.count(": edited") == 1  # that entry, and no other


@pytest.mark.rule("ARC-2")
def test_the_outside_verifier_names_a_rewritten_chain_against_its_checkpoint(app, world, served):
    """A forger who knows the hash rule rewrites an entry and every later one (and the head):
    each hash recomputes, but the signed checkpoint no longer matches."""
    sign(iw.B)
    rows = entries_of(iw.B)
    t = RegisterEntry.__table__
    target = rows[1]
    with unguarded("register_entries", "register_heads") as conn:
        prev = rows[0].hash
        for e in rows[1:]:
            values = {"prev_hash": prev}
            if e.id == target.id:
                values["title"] = "改写"
            conn.execute(update(t).where(t.c.id == e.id).values(**values))
            row = conn.execute(select(t).where(t.c.id == e.id)).one()
            prev = entry_hash(row)
            conn.execute(update(t).where(t.c.id == e.id).values(hash=prev))
        heads = RegisterHead.__table__
        conn.execute(update(heads).where(heads.c.org_id == target.org_id).values(last_hash=prev))
    failed = run_remote(served, iw.B)
    assert failed.exit_code == 1, failed.output
    assert f"seq {rows[-1].seq}: checkpoint" in failed.output
    assert "the chain was rewritten" in failed.output
    assert ": edited" not in failed.output  # every hash recomputes: only the checkpoint shows it


@pytest.mark.rule("ARC-2")
@pytest.mark.parametrize("removed", ["last", "all"])
def test_the_outside_verifier_names_removed_entries(app, world, served, removed):
    sign(iw.B)
    rows = entries_of(iw.B)
    gone = rows[-1:] if removed == "last" else rows
    t = RegisterEntry.__table__
    with unguarded() as conn:
        conn.execute(delete(t).where(t.c.id.in_([e.id for e in gone])))
    failed = run_remote(served, iw.B)
    assert failed.exit_code == 1, failed.output
    assert f"seq {gone[0].seq}: truncated" in failed.output
    # the local check names it as well (the unit's head)
    local = app.test_cli_runner().invoke(main, ["register", "verify", "--org", iw.B])
    assert local.exit_code == 1 and "truncated" in local.output


@pytest.mark.rule("ARC-2")
def test_the_state_file_catches_a_rewrite_re_signed_with_the_deployments_key(
    app, world, served, tmp_path
):
    """Whoever controls the deployment can rewrite the chain, the head and even sign it again:
    the verifier's own record of what it saw last time still names what changed."""
    state = tmp_path / "iso-b.json"
    sign(iw.B)
    first = run_remote(served, iw.B, "--state", str(state))
    assert first.exit_code == 0, first.output
    assert state.exists()
    rows = entries_of(iw.B)
    t = RegisterEntry.__table__
    with unguarded(
        "register_entries", "register_heads", "register_checkpoints"
    ) as conn:  # everything, checkpoints included
        conn.execute(delete(RegisterCheckpoint.__table__))
        conn.execute(delete(t).where(t.c.id == rows[-1].id))
        heads = RegisterHead.__table__
        conn.execute(
            update(heads)
            .where(heads.c.org_id == rows[-1].org_id)
            .values(entry_count=rows[-2].seq, last_hash=rows[-2].hash)
        )
    sign(iw.B)  # a fresh checkpoint of the shortened chain
    blind = run_remote(served, iw.B)
    assert blind.exit_code == 0, blind.output  # consistent in itself
    failed = run_remote(served, iw.B, "--state", str(state))
    assert failed.exit_code == 1, failed.output
    assert f"seq {rows[-1].seq}: since: removed since" in failed.output
    assert "checkpoint" in failed.output and "removed" in failed.output


def test_an_unreachable_deployment_is_a_refusal_not_a_crash(app):
    port = free_port()
    refused = run_remote(f"http://127.0.0.1:{port}", iw.B)
    assert refused.exit_code == 2 and "Cannot read the remote register" in refused.output
    assert run_remote("ftp://example", iw.B).exit_code == 2
    bad = remote_cli(["register", "verify", "--remote", "http://127.0.0.1:1"])
    assert bad.exit_code == 2 and "--org" in bad.output


@pytest.mark.rule("SCOPE-2")
@pytest.mark.rule("ARC-1")
def test_an_item_published_inside_the_party_first_enters_the_public_register_when_it_widens(
    app, make_org
):
    """Internal first: the publication entry is not public while the item is seen inside the
    Party only; widening it to the public writes a public entry with its titles."""
    from core.items import operations as items
    from core.items.models import Item
    from core.params import operations as params
    from tests.items_helpers import build_world, published

    w = build_world(make_org)
    params.set_value(w["unit"], "scope.internal_first_days", "3")
    item = published(w, entry_key="org.election", scope="public", channels=["website"],
                     titles={"zh_Hans_CN": "换届选举结果", "en": "Election results"})  # fmt: skip
    assert item.visible_scope == "party_wide"
    first = entries_of("it-unit")[-1]
    assert first.action == "publish" and first.disclosed is None
    db.session.execute(update(Item).where(Item.id == item.id).values(widen_at=db.utcnow()))
    assert items.widen_scopes() == 1
    db.session.commit()
    widened = entries_of("it-unit")[-1]
    assert widened.action == "widen" and widened.seq == first.seq + 1
    assert widened.disclosed["titles"] == {"zh_Hans_CN": "换届选举结果", "en": "Election results"}
    assert widened.disclosed["action"] == "widen" and widened.disclosed["scope"] == "public"
    assert "actor" not in json.dumps(widened.disclosed) and widened.disclosed["channels"] == [
        "website"
    ]
    client = app.test_client()
    page = client.get("/o/it-unit/register?lang=en").get_data(as_text=True)
    assert "Election results" in page and "Opened to the public" in page
    assert client.get(f"/o/it-unit/items/{item.id}").status_code == 200
    # revoked with a published explanation: public, with the explanation
    item = db.session.get(Item, item.id)  # the requests above ended the session it was in
    items.request_revocation(item, actor=w["admin"], explanation="选举结果有误，已重新公示")
    items.decide_revocation(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    revoked = entries_of("it-unit")[-1]
    assert revoked.action == "revoke"
    assert revoked.disclosed["explanation"] == "选举结果有误，已重新公示"
    assert "选举结果有误" in client.get("/o/it-unit/register").get_data(as_text=True)
