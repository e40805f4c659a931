"""Deleting a hosted county (issue 14): refused while its register is kept (ARC-2), with a
translated message and exit code 2; once allowed, every row of the county goes — found by its
county key — and nothing of another county."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text

from core import db
from core.audit import AuditEntry
from core.cli import main as gongkai_cli
from core.counties import operations as counties
from core.params import operations as params
from core.register import operations as register
from tenants.models import Organisation


@pytest.fixture
def two_counties(make_org, monkeypatch):
    """County ``del-c`` (a unit with a register entry recorded in 2025) and ``keep-c``."""
    county = make_org("del-c", type_code="county_committee")
    unit = make_org("del-u", parent=county)
    other = make_org("keep-c", type_code="county_committee")
    other_unit = make_org("keep-u", parent=other)
    monkeypatch.setattr(db, "utcnow", lambda: datetime(2025, 6, 1, 4, tzinfo=UTC))
    register.append(unit, "publish", object_type="item", object_id=1, title="事项",
                    object_version=1, scope="public", actor="tester")  # fmt: skip
    register.append(other_unit, "publish", object_type="item", object_id=2, title="事项",
                    object_version=1, scope="public", actor="tester")  # fmt: skip
    monkeypatch.undo()
    db.session.commit()
    return county, unit, other, other_unit


def _rows_of(county_id: int) -> dict[str, int]:
    return {
        model.__tablename__: n
        for model in counties.keyed_models()
        if (n := db.session.scalar(
            select(func.count()).select_from(model).where(model.county_id == county_id)
        ))
    }  # fmt: skip


@pytest.mark.rule("ARC-2")
def test_a_county_is_kept_until_its_registers_retention_ends(app, two_counties):
    """Entries of 2025 are archived in 2026 and kept 5 years: the county may go on 1 January
    2031, not on 31 December 2030 (the edge, both sides)."""
    county, *_ = two_counties
    kept = counties.retention(county)
    assert (kept.last_year, kept.years, kept.deletable_from) == (2025, 5, date(2031, 1, 1))
    with pytest.raises(counties.CountyRefused, match="2031-01-01"):
        counties.delete_county(county, today=date(2030, 12, 31))
    db.session.rollback()
    assert db.session.get(Organisation, county.id) is not None
    counties.delete_county(county, today=date(2031, 1, 1))
    db.session.commit()
    assert db.session.scalar(select(Organisation).where(Organisation.code == "del-c")) is None


@pytest.mark.rule("ARC-2")
def test_a_units_longer_retention_keeps_the_whole_county(app, two_counties):
    county, unit, *_ = two_counties
    params.set_value(unit, counties.RETENTION_KEY, 8)
    db.session.commit()
    assert counties.retention(county).deletable_from == date(2034, 1, 1)
    with pytest.raises(counties.CountyRefused):
        counties.delete_county(county, today=date(2033, 12, 31))


@pytest.mark.rule("ARC-2")
def test_the_command_refuses_in_the_countys_language_with_exit_code_2(app, two_counties):
    county_id = two_counties[0].id
    runner = app.test_cli_runner()
    before = _rows_of(county_id)
    result = runner.invoke(gongkai_cli, ["county", "delete", "del-c", "--yes"])
    assert result.exit_code == 2, result.output
    assert "del-c" in result.output and "2031-01-01" in result.output
    assert "不能" in result.output and "cannot" not in result.output  # the county's Chinese
    result = runner.invoke(gongkai_cli, ["county", "delete", "del-c", "--yes", "--locale", "en"])
    assert result.exit_code == 2
    assert "cannot be deleted before 2031-01-01" in result.output
    result = runner.invoke(gongkai_cli, ["county", "delete", "del-c", "--yes", "--locale", "ug"])
    assert result.exit_code == 2 and "cannot" not in result.output
    db.session.remove()
    assert _rows_of(county_id) == before  # nothing was deleted
    # a unit is not a county; an unknown code is named
    result = runner.invoke(gongkai_cli, ["county", "delete", "del-u", "--yes", "--locale", "en"])
    assert result.exit_code == 2 and "unit of the county del-c" in result.output
    result = runner.invoke(gongkai_cli, ["county", "delete", "nowhere", "--yes", "--locale", "en"])
    assert result.exit_code == 2 and "nowhere" in result.output


def test_deleting_a_county_removes_its_rows_and_nothing_of_another(app, two_counties):
    county_id, other_id = two_counties[0].id, two_counties[2].id
    runner = app.test_cli_runner()
    kept_rows = _rows_of(other_id)
    assert _rows_of(county_id)["register_entries"] == 1
    # without --yes: what would go, and nothing goes
    result = runner.invoke(gongkai_cli, ["county", "delete", "del-c", "--locale", "en"])
    assert result.exit_code == 0, result.output
    assert "register_entries\t1" in result.output and "--yes" in result.output
    db.session.remove()
    assert db.session.scalar(select(Organisation).where(Organisation.code == "del-u"))
    # past the retention (the clock of the county moved on)
    counties.delete_county(counties.county("del-c"), today=date(2031, 1, 1))
    db.session.commit()
    assert _rows_of(county_id) == {}
    codes = set(db.session.scalars(select(Organisation.code)))
    assert {"del-c", "del-u"}.isdisjoint(codes) and {"keep-c", "keep-u"} <= codes
    assert _rows_of(other_id) == kept_rows
    assert register.verify() == []  # the other county's register is whole
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "county.deleted"))
    assert audit.org_id is None and audit.changes["code"] == "del-c"


def test_deleting_a_county_with_all_kinds_of_data(app):
    """The isolation world's second county (items in every state, attachments, catalogues, a
    sign-in provider, API tokens, register entries …) goes whole; the first stays whole."""
    from tests import isolation_world as iw

    world = iw.build()
    gone, kept = world.orgs[iw.COUNTY2], world.orgs[iw.COUNTY]
    before = _rows_of(kept)
    assert {"items", "item_attachments", "register_entries", "catalogue_entries"} <= set(
        _rows_of(gone)
    )
    counties.delete_county(counties.county(iw.COUNTY2), today=date(2100, 1, 1))
    db.session.commit()
    assert _rows_of(gone) == {}
    assert _rows_of(kept) == before
    assert db.session.get(Organisation, world.orgs[iw.C]) is None
    assert register.verify() == []


def _snapshot(county_id: int) -> dict[str, list]:
    """Every row of the county, table by table (ids included), in a comparable form."""
    from core.counties.transfer import _tables

    out = {}
    for table in _tables():
        if table.name == "organisations":
            where = (table.c.id == county_id) | (table.c.root_id == county_id)
        else:
            where = table.c.county_id == county_id
        rows = db.session.execute(select(table).where(where)).mappings()
        out[table.name] = sorted(json.dumps(dict(r), sort_keys=True, default=str) for r in rows)
    return out


def test_a_county_exported_deleted_and_imported_comes_back_whole(app, tmp_path):
    """export → the county deleted → import: every row back with its ids, its files, and the
    register verifies; a second import is refused (its ids are taken), exit code 2."""
    from tests import isolation_world as iw

    world = iw.build()
    county_id = world.orgs[iw.COUNTY2]
    before = _snapshot(county_id)
    other = _snapshot(world.orgs[iw.COUNTY])
    archive = tmp_path / "county.zip"
    runner = app.test_cli_runner()
    result = runner.invoke(gongkai_cli, ["county", "export", iw.COUNTY2, str(archive),
                                         "--locale", "en"])  # fmt: skip
    assert result.exit_code == 0, result.output
    db.session.remove()
    counties.delete_county(counties.county(iw.COUNTY2), today=date(2100, 1, 1))
    db.session.commit()
    assert _rows_of(county_id) == {}
    result = runner.invoke(gongkai_cli, ["county", "import", str(archive), "--locale", "en"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    after = _snapshot(county_id)
    assert {t: after[t] for t in after if after[t] != before[t]} == {
        t: before[t] for t in after if after[t] != before[t]
    }
    assert _snapshot(world.orgs[iw.COUNTY]) == other
    assert register.verify() == []
    result = runner.invoke(gongkai_cli, ["register", "verify"])
    assert result.exit_code == 0, result.output
    # the files came along: every attachment of the county can be read
    from core.storage import storage

    keys = db.session.scalars(
        text("SELECT storage_key FROM item_attachments WHERE county_id = :c"), {"c": county_id}
    ).all()
    assert keys and all(storage().exists(k) for k in keys)
    # again: refused, nothing changed
    result = runner.invoke(gongkai_cli, ["county", "import", str(archive), "--locale", "en"])
    assert result.exit_code == 2, result.output
    assert "cannot be imported" in result.output
    db.session.remove()
    assert _snapshot(county_id) == before
    # the ids go on after the imported ones (PostgreSQL's sequences were moved on)
    from tenants import operations as tenants

    parent = db.session.get(Organisation, county_id)
    tenants.create_organisation("ck-after", parent=parent, type_code="branch")
    db.session.commit()
