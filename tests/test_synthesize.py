"""``gongkai demo synthesize``: a synthetic province whose register verifies, whose search index
is what reindexing makes, whose pages work; and the progress display of long commands."""

from __future__ import annotations

import io
from collections import Counter

from sqlalchemy import func, inspect, select

from core import db, synthesize
from core.cli import main
from core.items.models import Item, ItemVersion
from core.progress import progress
from core.register import operations as register
from core.search import operations as search_ops
from core.search.models import SearchDocument
from tenants.models import Organisation, User


def documents() -> dict[int, tuple]:
    return {
        d.item_id: (d.text, d.tokens, d.title, d.org_id, d.root_id, d.published_at, d.cadence)
        for d in db.session.scalars(select(SearchDocument))
    }


def test_synthesize_builds_a_consistent_province(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        main,
        ["demo", "synthesize", "--counties", "2", "--units-per-county", "12", "--items", "900"],
    )
    assert result.exit_code == 0, result.output
    assert "2 counties, 24 units, 900 items" in result.output
    db.session.expire_all()
    units = db.session.scalars(select(Organisation).where(Organisation.code.like("syn-c%"))).all()
    assert len(units) == 2 + 24
    tree = {o.code: o for o in units}
    branch = tree["syn-c1-u5"]
    assert branch.parent_id == tree["syn-c1-b0"].id and branch.root_id == tree["syn-c1"].id
    assert branch.path == f"/{tree['syn-c1'].id}/{tree['syn-c1-b0'].id}/{branch.id}/"
    # the demo's mix of states
    rows = db.session.execute(select(Item.state, func.count()).group_by(Item.state)).all()
    states = Counter(dict(rows))
    assert sum(states.values()) == 900
    assert states["published"] > 0.85 * 900 and states["closed"] > 0
    assert {"draft", "withheld", "revoked"} <= set(states)
    # the register verifies, the index is what reindexing makes
    assert register.verify() == []
    made = documents()
    assert len(made) == states["published"] + states["closed"] + states["revoked"]
    assert search_ops.reindex_all() == len(made)
    assert documents() == made
    db.session.rollback()
    # people sign in with the demo password; pages and search work
    client = app.test_client()
    assert db.session.scalar(select(User).where(User.username == "syn-c1-u5-admin")) is not None
    assert client.get("/o/syn-c1-u5/").status_code == 200
    assert client.get("/o/syn-c1/catalogue").status_code == 200
    public_register = client.get("/o/syn-c1-u5/register")  # the entries' disclosed parts
    assert public_register.status_code == 200 and "syn-c1-u5" in public_register.get_data(True)
    found = search_ops.search(None, "党员")
    assert found.total > 0
    # a second run adds another province beside it
    again = runner.invoke(
        main, ["demo", "synthesize", "--counties", "1", "--units-per-county", "3", "--items", "10"]
    )
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).where(Organisation.code == "syn-c3")) == 1
    assert register.verify() == []


def test_synthesize_refuses_bad_sizes(app):
    runner = app.test_cli_runner()
    for args in (["--counties", "0"], ["--items", "-1"], ["--units-per-county", "x"]):
        result = runner.invoke(main, ["demo", "synthesize", *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Invalid value" in result.output


class Terminal(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_shows_stage_count_rate_and_time_left_on_a_terminal_only(monkeypatch):
    monkeypatch.delenv("GONGKAI_PROGRESS", raising=False)
    monkeypatch.setattr("core.progress.REDRAW_SECONDS", 0)
    screen = Terminal(tty=True)
    with progress("items", total=400, stream=screen) as bar:
        for _ in range(4):
            bar.advance(100)
    shown = screen.getvalue()
    assert "\ritems  100/400  25%" in shown and "/s" in shown and "left" in shown
    assert shown.endswith("\n") and shown.rsplit("\r", 1)[1].startswith(
        "items  400/400  100%  in 0 s"
    )
    log = Terminal(tty=False)
    with progress("items", total=400, stream=log) as bar:
        bar.advance(400)
    assert log.getvalue() == ""  # quiet in logs
    monkeypatch.setenv("GONGKAI_PROGRESS", "1")
    forced = Terminal(tty=False)
    with progress("register", stream=forced) as bar:
        bar.advance(7)
    assert forced.getvalue().rsplit("\r", 1)[1].startswith("register  7  in 0 s")


def schema(tables: tuple[str, ...]) -> dict[str, tuple]:
    found = inspect(db.session.get_bind())
    return {
        t: (
            sorted((i["name"] or "", tuple(i["column_names"])) for i in found.get_indexes(t)),
            sorted(
                (u["name"] or "", tuple(u["column_names"])) for u in found.get_unique_constraints(t)
            ),
            sorted(
                (
                    f["name"] or "",
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    (f.get("options") or {}).get("ondelete"),
                )
                for f in found.get_foreign_keys(t)
            ),
        )
        for t in tables
    }


def test_a_bulk_load_keeps_the_schema_and_makes_the_same_province(app, monkeypatch):
    """From ``BULK`` items, PostgreSQL loads the big tables without their indexes and keys and
    makes them again at the end (checked then): the schema is as before, the register verifies,
    the index is what reindexing makes and every item points to its latest version."""
    monkeypatch.setattr(synthesize, "BULK", 200)
    tables = ("items", "item_versions", "search_documents", "register_entries", "register_heads")
    before = schema(tables)
    db.session.rollback()
    result = app.test_cli_runner().invoke(
        main, ["demo", "synthesize", "--counties", "1", "--units-per-county", "6", "--items", "600"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert schema(tables) == before
    assert register.verify() == []
    made = documents()
    assert search_ops.reindex_all() == len(made) and documents() == made
    latest = (
        select(ItemVersion.item_id, func.max(ItemVersion.id))
        .group_by(ItemVersion.item_id)
        .subquery()
    )
    pointed = db.session.execute(
        select(func.count())
        .select_from(Item)
        .join(latest, latest.c.item_id == Item.id)
        .where(Item.current_version_id == latest.c[1])
    ).scalar()
    assert pointed == 600
    amended = db.session.scalar(select(func.count()).where(ItemVersion.number == 2))
    assert amended > 0  # some items point to a second version
