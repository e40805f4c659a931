"""The register (党务公开工作登记簿): hash chains per unit, verify, export, append-only guards.

Tampering goes around the database guards the way someone with database access would
(:func:`tests.register_helpers.unguarded`).
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core import db
from core.cli import main
from core.register import operations as register
from core.register.models import (
    GENESIS_HASH,
    RegisterEntry,
    RegisterHead,
    entry_hash,
    purge_allowed,
)
from tenants.models import Organisation
from tests.register_helpers import unguarded

SHA = "ab" * 32


@pytest.fixture
def units(make_org):
    county = make_org("reg-county", type_code="county_committee")
    return make_org("reg-a", parent=county), make_org("reg-b", parent=county)


def publish(org, n: int, **fields) -> RegisterEntry:
    return register.append(
        org,
        "publish",
        object_type="item",
        object_id=n,
        title=fields.pop("title", f"党费收缴情况 {n}"),
        object_version=1,
        scope="public",
        channels=["notice_board", "website"],
        approvals=[{"step": "approve", "by": "王书记", "at": datetime(2026, 3, 1, 2, tzinfo=UTC)}],
        attachments=[{"name": "党费.pdf", "sha256": SHA}],
        actor="reg-a-admin",
        **fields,
    )


def chain(org, n: int) -> list[RegisterEntry]:
    made = [publish(org, i) for i in range(1, n + 1)]
    db.session.commit()
    return made


def table():
    return RegisterEntry.__table__


def reseal(conn, entry_id: int, **changes) -> str:
    """Change an entry and give it the hash of its new content (a forger who knows the rule)."""
    t = table()
    conn.execute(update(t).where(t.c.id == entry_id).values(**changes))
    row = conn.execute(select(t).where(t.c.id == entry_id)).one()
    new_hash = entry_hash(row)
    conn.execute(update(t).where(t.c.id == entry_id).values(hash=new_hash))
    return new_hash


# --- the chain -------------------------------------------------------------------------------


@pytest.mark.rule("ARC-1")
def test_each_unit_has_its_own_chain(app, units):
    a, b = units
    first_a, second_a = publish(a, 1), publish(a, 2)
    first_b = register.append(
        b, "withhold", object_type="item", object_id=9, title="暂不公开事项",
        data={"reason": "涉及个人隐私"}, actor=None,
    )  # fmt: skip
    third_a = register.append(
        a, "revoke", object_type="item", object_id=1, title="撤销", object_version=2
    )
    db.session.commit()
    assert [e.seq for e in register.entries(a)] == [1, 2, 3]
    assert [e.id for e in register.entries(a)] == [first_a.id, second_a.id, third_a.id]
    assert first_b.seq == 1 and first_b.prev_hash == GENESIS_HASH
    assert first_a.prev_hash == GENESIS_HASH
    assert second_a.prev_hash == first_a.hash and third_a.prev_hash == second_a.hash
    assert first_b.actor_label == "system" and first_b.data == {"reason": "涉及个人隐私"}
    assert first_a.approvals == [
        {"step": "approve", "by": "王书记", "at": "2026-03-01T02:00:00.000000Z"}
    ]
    assert first_a.attachments == [{"name": "党费.pdf", "sha256": SHA}]
    assert register.verify() == []
    assert register.count() == (4, 2)


def _canonical(value) -> str:
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.rule("ARC-2")
def test_hash_is_sha256_of_the_public_envelope_with_a_salted_seal(app, units):
    """Format 2: hash = sha256(canonical {format, org_id, seq, prev_hash, disclosed, sealed}),
    sealed = sha256(salt + canonical full record) — recomputed here from the stored row."""
    import hashlib

    entry = publish(units[0], 1)
    public = register.append(
        units[0], "publish", object_type="item", object_id=2, title="公开事项",
        public={"titles": {"zh_Hans_CN": "公开事项"}},
    )  # fmt: skip
    db.session.commit()
    for made in (entry, public):
        stored = db.session.execute(select(table()).where(table().c.id == made.id)).one()._mapping
        assert stored["format"] == 2 and len(stored["salt"]) == 32
        content = {
            k: v
            for k, v in stored.items()
            # county_id: the root of org_id (core.db.CountyKey), added to the table later
            if k not in ("id", "hash", "prev_hash", "format", "salt", "disclosed", "county_id")
        }
        content["recorded_at"] = content["recorded_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        sealed = hashlib.sha256((stored["salt"] + _canonical(content)).encode()).hexdigest()
        envelope = {
            "format": 2,
            "org_id": stored["org_id"],
            "seq": stored["seq"],
            "prev_hash": stored["prev_hash"],
            "disclosed": stored["disclosed"],
            "sealed": sealed,
        }
        expected = hashlib.sha256(_canonical(envelope).encode()).hexdigest()
        assert made.hash == stored["hash"] == expected
    assert entry.disclosed is None
    assert public.disclosed == {
        "titles": {"zh_Hans_CN": "公开事项"},
        "action": "publish",
        "object_type": "item",
        "object_id": "2",
        "object_version": None,
        "recorded_at": public.recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    assert public.prev_hash == entry.hash


@pytest.mark.rule("ARC-2")
def test_format_1_entries_keep_their_hash_over_the_whole_record(app, units):
    """Entries recorded before format 2 (the migration marks them format 1) still verify."""
    import hashlib

    a = units[0]
    entry = publish(a, 1)
    db.session.commit()
    with unguarded("register_entries", "register_heads") as conn:  # as the first version wrote it
        conn.execute(update(table()).where(table().c.id == entry.id).values(format=1, salt=None))
        stored = conn.execute(select(table()).where(table().c.id == entry.id)).one()._mapping
        fields = {
            k: v
            for k, v in stored.items()
            if k not in ("id", "hash", "format", "salt", "disclosed", "county_id")
        }
        fields["recorded_at"] = fields["recorded_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        old = hashlib.sha256((GENESIS_HASH + _canonical(fields)).encode("utf-8")).hexdigest()
        conn.execute(update(table()).where(table().c.id == entry.id).values(hash=old))
        conn.execute(
            update(RegisterHead.__table__)
            .where(RegisterHead.org_id == a.id)
            .values(last_hash=old, entry_count=1)
        )
    assert entry_hash(db.session.execute(select(table())).one()) == old
    assert register.verify(a) == []
    second = publish(a, 2)  # a format 2 entry continues a format 1 chain
    db.session.commit()
    assert second.prev_hash == old and second.format == 2
    assert register.verify(a) == []


def test_year_is_the_year_in_the_units_timezone(app, units, monkeypatch):
    a = units[0]  # Asia/Shanghai, UTC+8
    monkeypatch.setattr(db, "utcnow", lambda: datetime(2025, 12, 31, 17, 0, tzinfo=UTC))
    entry = publish(a, 1)
    assert entry.year == 2026
    monkeypatch.setattr(db, "utcnow", lambda: datetime(2025, 12, 31, 15, 0, tzinfo=UTC))
    later = publish(a, 2)  # the clock went back: the chain's time does not
    assert later.recorded_at == entry.recorded_at and later.year == 2026


def test_bad_arguments_are_refused(app, units):
    a = units[0]
    with pytest.raises(ValueError):
        register.append(a, "Publish!", object_type="item", object_id=1, title="x")
    with pytest.raises(ValueError):
        register.append(a, "publish", object_type="item", object_id=1, title="x", channels="web")
    with pytest.raises(ValueError):
        register.append(
            a, "publish", object_type="item", object_id=1, title="x",
            attachments=[{"name": "a.pdf", "sha256": "nope"}],
        )  # fmt: skip
    with pytest.raises(ValueError):
        register.append(
            a, "publish", object_type="item", object_id=1, title="x", approvals=[{"by": "x"}]
        )


@pytest.mark.rule("ARC-2")
def test_a_second_entry_with_the_same_seq_is_refused(app, units):
    a = units[0]
    first = publish(a, 1)
    db.session.commit()
    twin = RegisterEntry(
        org_id=a.id, seq=1, recorded_at=db.utcnow(), year=2026, action="publish",
        object_type="item", object_id="2", title="twin", channels=[], approvals=[],
        attachments=[], actor_label="x", data={}, prev_hash=first.prev_hash, hash=first.hash,
    )  # fmt: skip
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.rule("ARC-2")
def test_concurrent_appends_never_share_a_seq(app, units):
    """PostgreSQL: the second append waits for the first transaction, then takes the next seq.

    SQLite (one writer at a time): the transaction that lost the race fails and writes nothing.
    """
    a = units[0]
    org_id = a.id
    publish(a, 1)  # not committed: PostgreSQL holds the organisation's lock, SQLite the writer's
    done = threading.Event()
    result: dict = {}

    def other_request():
        try:
            org = db.session.get(Organisation, org_id)
            entry = register.append(org, "close", object_type="item", object_id=2, title="结束")
            db.session.commit()
            result["seq"] = entry.seq
        except DBAPIError as exc:
            db.session.rollback()
            result["error"] = exc
        finally:
            db.session.remove()
            done.set()

    postgresql = db.session.get_bind().dialect.name == "postgresql"
    thread = threading.Thread(target=other_request)
    thread.start()
    if postgresql:
        assert not done.wait(0.5), "the second append did not wait for the first transaction"
    else:
        assert done.wait(10), "SQLite refuses a second writer at once (database is locked)"
    db.session.commit()
    thread.join(10)
    if postgresql:
        assert result == {"seq": 2}
        assert [e.seq for e in register.entries(a)] == [1, 2]
    else:
        assert "error" in result, result
        assert [e.seq for e in register.entries(a)] == [1]
    assert register.verify(a) == []


def test_verify_runs_one_query_whatever_the_size(app, units, make_org):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def queries() -> int:
        statements.clear()
        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert register.verify() == []
        finally:
            event.remove(engine, "before_cursor_execute", record)
            db.session.commit()
        return len(statements)

    chain(units[0], 1)
    small = queries()
    chain(units[1], 5)
    chain(make_org("reg-c", parent=db.session.get(Organisation, units[0].parent_id)), 5)
    assert queries() == small <= 3  # the chains, the heads (and SQLite counts its BEGIN)


# --- verification ----------------------------------------------------------------------------


@pytest.mark.rule("ARC-2")
def test_verify_names_an_edited_entry(app, units):
    a, b = units
    entries = chain(a, 4)
    chain(b, 2)
    with unguarded() as conn:
        conn.execute(
            update(table()).where(table().c.id == entries[1].id).values(title="改过的标题")
        )
    problems = register.verify()
    assert [(p.org_code, p.seq, p.entry_id, p.kind) for p in problems] == [
        ("reg-a", 2, entries[1].id, "edited")
    ]
    assert register.verify(units[1]) == []


@pytest.mark.rule("ARC-2")
def test_verify_names_an_edited_entry_whose_hash_was_recomputed(app, units):
    entries = chain(units[0], 3)
    with unguarded() as conn:
        reseal(conn, entries[1].id, title="改过的标题")
    problems = register.verify(units[0])
    assert [(p.seq, p.entry_id, p.kind) for p in problems] == [(3, entries[2].id, "chain")]
    assert f"seq 2 (entry {entries[1].id})" in problems[0].detail


@pytest.mark.rule("ARC-2")
def test_verify_names_a_deleted_entry(app, units):
    entries = chain(units[0], 4)
    with unguarded() as conn:
        conn.execute(delete(table()).where(table().c.id.in_([entries[1].id, entries[2].id])))
    problems = register.verify()
    assert [(p.seq, p.entry_id, p.kind) for p in problems] == [(2, None, "missing")]
    assert "seq 2 to 3 deleted" in problems[0].detail
    assert f"before seq 4 (entry {entries[3].id})" in problems[0].detail


@pytest.mark.rule("ARC-2")
def test_verify_names_a_deleted_first_entry(app, units):
    entries = chain(units[0], 2)
    with unguarded() as conn:
        conn.execute(delete(table()).where(table().c.id == entries[0].id))
    assert [(p.seq, p.kind) for p in register.verify()] == [(1, "missing")]


@pytest.mark.rule("ARC-2")
@pytest.mark.parametrize("removed", [1, 2, 3], ids=["last", "last-two", "all"])
def test_verify_names_a_removed_tail_from_the_units_head(app, units, removed):
    """Issue 16, finding 6: the last entries of a unit deleted, or all of them, leave an intact
    shorter chain; the unit's head (count and last hash, written with every entry) names it."""
    a, b = units
    entries = chain(a, 3)
    chain(b, 2)
    gone = entries[3 - removed :]
    with unguarded() as conn:
        conn.execute(delete(table()).where(table().c.id.in_([e.id for e in gone])))
    problems = register.verify()
    assert [(p.org_code, p.seq, p.entry_id, p.kind) for p in problems] == [
        ("reg-a", gone[0].seq, None, "truncated")
    ]
    if removed == 3:
        assert "all 3 entries removed" in str(problems[0])
    else:
        assert f"the chain ends at seq {3 - removed}" in str(problems[0])
        assert (f"seq {gone[0].seq} removed" if removed == 1 else "seq 2 to 3 removed") in str(
            problems[0]
        )
    assert register.verify(b) == []
    # the next entry continues from the head: the gap stays visible after it
    publish(a, 9)
    db.session.commit()
    kinds = {(p.seq, p.kind) for p in register.verify(a)}
    assert (gone[0].seq, "missing") in kinds


@pytest.mark.rule("ARC-2")
def test_the_head_only_moves_forward_and_is_never_deleted(app, units):
    a = units[0]
    chain(a, 2)
    heads = RegisterHead.__table__
    for statement in (
        update(heads).where(heads.c.org_id == a.id).values(entry_count=1),
        update(heads).where(heads.c.org_id == a.id).values(last_hash=SHA),
        delete(heads).where(heads.c.org_id == a.id),
    ):
        with pytest.raises(DBAPIError, match="register_heads"):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert db.session.get(RegisterHead, a.id).entry_count == 2


@pytest.mark.rule("ARC-2")
def test_verify_names_two_swapped_entries(app, units):
    entries = chain(units[0], 4)
    second, third = entries[1], entries[2]
    with unguarded() as conn:  # exchange their places (seq), through a free number
        t = table()
        conn.execute(update(t).where(t.c.id == second.id).values(seq=-1))
        conn.execute(update(t).where(t.c.id == third.id).values(seq=2))
        conn.execute(update(t).where(t.c.id == second.id).values(seq=3))
    problems = register.verify()
    assert {(p.seq, p.entry_id) for p in problems} >= {(2, third.id), (3, second.id)}
    assert {p.kind for p in problems if p.entry_id == second.id} >= {"edited", "order"}


@pytest.mark.rule("ARC-2")
def test_verify_names_swapped_entries_even_with_recomputed_hashes(app, units):
    entries = chain(units[0], 4)
    second, third = entries[1], entries[2]
    with unguarded() as conn:
        t = table()
        conn.execute(update(t).where(t.c.id == second.id).values(seq=-1))
        reseal(conn, third.id, seq=2)
        reseal(conn, second.id, seq=3)
    problems = register.verify()
    assert not [p for p in problems if p.kind == "edited"]
    assert (2, third.id, "chain") in {(p.seq, p.entry_id, p.kind) for p in problems}
    assert (3, second.id, "order") in {(p.seq, p.entry_id, p.kind) for p in problems}


@pytest.mark.rule("ARC-2")
def test_verify_names_a_forged_inserted_entry(app, units):
    a = units[0]
    entries = chain(a, 3)
    with unguarded() as conn:
        t = table()
        for entry in reversed(entries[1:]):  # make room for a forged seq 2
            conn.execute(update(t).where(t.c.id == entry.id).values(seq=entry.seq + 1))
        forged = {
            "org_id": a.id, "seq": 2, "recorded_at": entries[0].recorded_at + timedelta(seconds=1),
            "year": entries[0].year, "action": "publish", "object_type": "item",
            "object_id": "99", "object_version": 1, "title": "伪造的公开事项", "scope": "public",
            "channels": ["website"], "approvals": [], "attachments": [], "actor_label": "x",
            "data": {}, "prev_hash": entries[0].hash,
        }  # fmt: skip
        forged["hash"] = entry_hash(forged)
        forged["county_id"] = a.root_id or a.id
        forged_id = conn.execute(t.insert().values(**forged).returning(t.c.id)).scalar_one()
    problems = register.verify()
    lines = [str(p) for p in problems]
    # the entry after the forgery no longer follows; its id and time are older than the forgery's
    assert any(f"reg-a seq 3 (entry {entries[1].id}): chain" in line for line in lines)
    assert any(
        f"reg-a seq 3 (entry {entries[1].id}): order" in line and f"entry {forged_id}" in line
        for line in lines
    )


@pytest.mark.rule("ARC-2")
def test_verify_names_a_forged_entry_appended_with_a_made_up_hash(app, units):
    a = units[0]
    entries = chain(a, 2)
    with unguarded() as conn:
        forged_id = conn.execute(
            table().insert().values(
                org_id=a.id, county_id=a.root_id or a.id, seq=3, recorded_at=db.utcnow(),
                year=2026, action="publish",
                object_type="item", object_id="7", title="伪造", channels=[], approvals=[],
                attachments=[], actor_label="x", data={}, prev_hash=entries[1].hash, hash=SHA,
            ).returning(table().c.id)
        ).scalar_one()  # fmt: skip
    assert [(p.seq, p.entry_id, p.kind) for p in register.verify()] == [
        (3, forged_id, "edited"),
        (3, forged_id, "head"),  # and the unit's head does not know it
    ]


# --- the database guards ---------------------------------------------------------------------


@pytest.mark.rule("ARC-2")
def test_database_refuses_to_change_an_entry(app, units):
    entry = chain(units[0], 1)[0]
    entry.title = "改过的标题"
    with pytest.raises(DBAPIError, match="UPDATE refused"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DBAPIError, match="UPDATE refused"):
        db.session.execute(update(table()).values(title="x"))
    db.session.rollback()
    # not even with the purge flag: entries are never changed
    with pytest.raises(DBAPIError, match="UPDATE refused"), purge_allowed():
        db.session.execute(update(table()).values(title="x"))
    db.session.rollback()
    assert register.verify() == []


@pytest.mark.rule("ARC-2")
def test_database_refuses_to_delete_an_entry_unless_purge_is_allowed(app, units):
    entries = chain(units[0], 2)
    db.session.delete(db.session.get(RegisterEntry, entries[1].id))
    with pytest.raises(DBAPIError, match="DELETE refused"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DBAPIError, match="DELETE refused"):
        db.session.execute(delete(table()))
    db.session.rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="TRUNCATE refused"):
            db.session.execute(text("TRUNCATE register_entries"))
        db.session.rollback()
    assert len(register.entries(units[0])) == 2

    with purge_allowed():  # archiving past the retention years (and emptying test databases)
        db.session.execute(delete(table()).where(table().c.id == entries[1].id))
    db.session.commit()
    # the flag does not outlive its block
    with pytest.raises(DBAPIError, match="DELETE refused"):
        db.session.execute(delete(table()))
    db.session.rollback()
    assert [e.seq for e in register.entries(units[0])] == [1]


# --- the command -----------------------------------------------------------------------------


@pytest.mark.rule("ARC-2")
def test_verify_command(app, units):
    a, b = units
    entries = chain(a, 3)
    chain(b, 1)
    runner = app.test_cli_runner()
    ok = runner.invoke(main, ["register", "verify"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == "OK: 4 entries in 2 organisations"
    one = runner.invoke(main, ["register", "verify", "--org", "reg-b"])
    assert one.output.strip() == "OK: 1 entry in 1 organisation"
    assert runner.invoke(main, ["register", "verify", "--org", "nope"]).exit_code == 2

    with unguarded() as conn:
        conn.execute(update(table()).where(table().c.id == entries[0].id).values(title="改"))
        conn.execute(delete(table()).where(table().c.id == entries[1].id))
    failed = runner.invoke(main, ["register", "verify"])
    assert failed.exit_code == 1
    assert f"reg-a seq 1 (entry {entries[0].id}): edited" in failed.output
    assert "reg-a seq 2: missing" in failed.output
    assert "FAILED: 2 problems." in failed.output
    assert runner.invoke(main, ["register", "verify", "--org", "reg-b"]).exit_code == 0


# --- export ----------------------------------------------------------------------------------


@pytest.fixture
def two_years(app, units, monkeypatch):
    a = units[0]
    for when, n in (
        (datetime(2025, 6, 1, 4, tzinfo=UTC), 1),
        (datetime(2025, 12, 31, 17, 30, tzinfo=UTC), 2),  # 2026-01-01 01:30 in Shanghai
        (datetime(2026, 2, 1, 2, tzinfo=UTC), 3),
    ):
        monkeypatch.setattr(db, "utcnow", lambda when=when: when)
        publish(a, n)
    monkeypatch.undo()
    db.session.commit()
    return a


EN_HEADERS = [
    "No.", "Recorded at (Asia/Shanghai)", "Action", "Object", "Version", "Title", "Scope",
    "Channels", "Approvals", "Attachments", "Actor", "Hash",
]  # fmt: skip


@pytest.mark.rule("ARC-2")
def test_export_csv_of_a_year(app, two_years):
    text_ = register.export_csv(two_years, 2026, locale="en")
    assert text_.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text_.removeprefix("\ufeff"))))
    assert rows[0] == EN_HEADERS
    assert [r[0] for r in rows[1:]] == ["2", "3"]
    second = dict(zip(EN_HEADERS, rows[1], strict=True))
    assert second["Recorded at (Asia/Shanghai)"] == "2026-01-01 01:30:00"
    assert second["Title"] == "党费收缴情况 2"
    assert second["Object"] == "item #2"
    assert second["Version"] == "1"
    assert second["Action"] == "Published"
    assert second["Approvals"] == "approve: 王书记 2026-03-01 10:00"
    assert second["Attachments"] == f"党费.pdf (sha256 {SHA})"
    assert second["Actor"] == "reg-a-admin"
    assert second["Channels"] == "Notice board, Website column"
    assert second["Scope"] == "Public: everyone"
    assert second["Hash"] == register.entries(two_years, 2026)[0].hash
    assert len(list(csv.reader(io.StringIO(register.export_csv(two_years, 2024))))) == 1


@pytest.mark.rule("ARC-2")
def test_export_xlsx_of_a_year(app, two_years):
    wb = load_workbook(io.BytesIO(register.export_xlsx(two_years, 2025, locale="en")))
    ws = wb.active
    assert ws.title == "2025"
    assert ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == EN_HEADERS
    assert len(rows) == 2
    assert rows[1][0] == 1
    assert rows[1][1] == datetime(2025, 6, 1, 12, 0)  # local time, as a date cell
    assert rows[1][5] == "党费收缴情况 1"
    assert rows[1][11] == register.entries(two_years, 2025)[0].hash


def test_export_command(app, two_years, tmp_path):
    runner = app.test_cli_runner()
    out = runner.invoke(main, ["register", "export", "reg-a", "--year", "2026", "--locale", "en"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("\ufeffNo.,")
    assert "党费收缴情况 3" in out.output and "党费收缴情况 1" not in out.output

    target = tmp_path / "register-2025.xlsx"
    written = runner.invoke(
        main, ["register", "export", "reg-a", "--year", "2025", "-o", str(target)]
    )
    assert written.exit_code == 0, written.output
    assert load_workbook(target).active.max_row == 2

    csv_file = tmp_path / "register.csv"  # in the unit's language (Chinese)
    runner.invoke(main, ["register", "export", "reg-a", "--year", "2026", "-o", str(csv_file)])
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf")
    exported = csv_file.read_text(encoding="utf-8-sig")
    assert "党费收缴情况 2" in exported
    assert "公开栏, 网站栏目" in exported

    refused = runner.invoke(
        main, ["register", "export", "reg-a", "--year", "2026", "--format", "xlsx"]
    )
    assert refused.exit_code == 2
    assert runner.invoke(main, ["register", "export", "nope", "--year", "2026"]).exit_code == 2


def test_a_refused_export_speaks_the_operators_language(app, two_years):
    """Issue 11: a command's refusal in the operator's language (GONGKAI_CLI_LOCALE)."""
    org_id = two_years.id
    before = [e.id for e in register.entries(two_years, 2026)]
    runner = app.test_cli_runner()
    zh = {"GONGKAI_CLI_LOCALE": "zh_Hans_CN"}
    args = ["register", "export", "reg-a", "--year", "2026", "--format", "xlsx"]
    refused = runner.invoke(main, args, env=zh)
    assert refused.exit_code == 2
    assert "导出 XLSX 需要指定文件：请用 -o FILE.xlsx。" in refused.output
    unknown = runner.invoke(main, ["register", "export", "nope", "--year", "2026"], env=zh)
    assert unknown.exit_code == 2 and "没有代码为“nope”的组织。" in unknown.output
    english = runner.invoke(main, args, env={"GONGKAI_CLI_LOCALE": "en"})
    assert "An XLSX export needs a file" in english.output
    kept = register.entries(db.session.get(Organisation, org_id), 2026)
    assert [e.id for e in kept] == before  # nothing lost
