"""The organisation tree: subtree and ancestor queries, moves, database guards."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from core import db
from core.errors import UserError
from tenants import hierarchy, operations
from tenants.models import Organisation


@pytest.fixture
def tree(make_org):
    """county → bureau → (b1, b2 → g1), and a second county with one unit."""
    county = make_org("c1", type_code="county_committee")
    bureau = make_org("c1-bureau", parent=county, type_code="party_committee")
    b1 = make_org("c1-b1", parent=bureau)
    b2 = make_org("c1-b2", parent=bureau, type_code="general_branch")
    g1 = make_org("c1-g1", parent=b2)
    other = make_org("c2", type_code="county_committee")
    make_org("c2-unit", parent=other)
    return {o.code: o for o in (county, bureau, b1, b2, g1, other)}


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


@pytest.fixture
def count_queries(app):
    engine = db.session.get_bind()
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def test_subtree_is_exactly_the_descendants(tree):
    codes = [o.code for o in hierarchy.subtree(tree["c1-bureau"])]
    assert sorted(codes) == ["c1-b1", "c1-b2", "c1-bureau", "c1-g1"]
    assert "c2-unit" not in [o.code for o in hierarchy.subtree(tree["c1"])]
    assert [o.code for o in hierarchy.subtree(tree["c1-b2"], include_self=False)] == ["c1-g1"]


def test_ancestors_from_root_down(tree):
    assert [o.code for o in hierarchy.ancestors(tree["c1-g1"])] == ["c1", "c1-bureau", "c1-b2"]
    assert hierarchy.ancestors(tree["c1"]) == []


def test_subtree_and_ancestors_take_one_statement_each(tree, count_queries):
    db.session.expire_all()
    g1 = db.session.get(Organisation, tree["c1-g1"].id)
    bureau = db.session.get(Organisation, tree["c1-bureau"].id)
    count_queries.count = 0
    hierarchy.ancestors(g1)
    assert count_queries.count == 1
    count_queries.count = 0
    hierarchy.subtree(bureau)
    assert count_queries.count == 1


def test_paths_and_roots(tree):
    g1 = tree["c1-g1"]
    assert g1.path == f"/{tree['c1'].id}/{tree['c1-bureau'].id}/{tree['c1-b2'].id}/{g1.id}/"
    assert g1.root_id == tree["c1"].id
    assert g1.depth == 3
    assert [o.code for o in hierarchy.roots()] == ["c1", "c2"]


def test_move_rewrites_the_subtree_paths(tree):
    operations.move_organisation(tree["c1-b2"], tree["c1-b1"])
    db.session.commit()
    g1 = operations.get_org("c1-g1")
    assert [o.code for o in hierarchy.ancestors(g1)] == ["c1", "c1-bureau", "c1-b1", "c1-b2"]
    assert g1.depth == 4
    assert sorted(o.code for o in hierarchy.subtree(operations.get_org("c1-b1"))) == [
        "c1-b1", "c1-b2", "c1-g1",
    ]  # fmt: skip


def test_move_refuses_cycles_and_other_counties(tree):
    with pytest.raises(UserError, match="descendant"):
        operations.move_organisation(tree["c1-bureau"], tree["c1-g1"])
    with pytest.raises(UserError, match="another county"):
        operations.move_organisation(tree["c1-b1"], tree["c2"])


def test_database_refuses_an_organisation_as_its_own_parent(tree):
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Organisation)
            .where(Organisation.id == tree["c1-b1"].id)
            .values(parent_id=tree["c1-b1"].id)
        )
        db.session.flush()
    db.session.rollback()


def test_creation_is_audited(tree):
    from sqlalchemy import select

    from core.audit import AuditEntry

    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "organisation.create", AuditEntry.org_id == tree["c1-g1"].id
        )
    )
    assert entry is not None
    assert entry.changes["type_code"] == [None, "branch"]


def test_a_remembered_read_is_read_again_once_anything_changed(tree):
    """``db.remembered`` answers a repeated read from memory only while nothing changed in the
    transaction: a pending change, a flush and an UPDATE statement each make it read again."""
    unit = tree["c1-b1"]
    reads = []

    def names():
        reads.append(1)
        return db.session.scalar(select(Organisation.names).where(Organisation.id == unit.id))

    key = ("names", unit.id)
    first = db.remembered(key, names)
    assert db.remembered(key, names) == first and len(reads) == 1  # asked twice, read once
    unit.names = {"zh_Hans_CN": "改名一"}  # not flushed yet: read (and so flushed) again
    assert db.remembered(key, names) == {"zh_Hans_CN": "改名一"}
    assert db.remembered(key, names) == {"zh_Hans_CN": "改名一"} and len(reads) == 2
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == unit.id)
        .values(names={"zh_Hans_CN": "改名二"})
    )
    assert db.remembered(key, names) == {"zh_Hans_CN": "改名二"}
    db.session.commit()
    db.remembered(key, names)
    assert len(reads) == 4  # a new transaction reads again
