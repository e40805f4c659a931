"""The demo disclosure requests: every state and every outcome, through the real operations;
loading the demo again changes nothing (one load per database backend and test process:
tests.demodb)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import db
from core.cli import main
from core.disclosure_requests import operations as ops
from core.disclosure_requests.models import (
    OUTCOMES,
    STATES,
    DisclosureRequest,
    RequestDecision,
    RequestEscalation,
)
from core.register import operations as register
from core.register.models import RegisterEntry
from tenants import operations as tenants
from tests import demodb


@pytest.fixture(scope="module")
def demo(demo_database):
    with demodb.app_on(demo_database.url, demo_database.instance) as app:
        count = db.session.scalar(select(func.count()).select_from(DisclosureRequest))
        second = app.test_cli_runner().invoke(main, ["demo", "load"])
        assert second.exit_code == 0, second.output
        db.session.remove()
        yield {"first": demo_database.first, "second": second.output, "count": count}


def test_the_demo_has_requests_in_every_state_and_outcome(demo):
    assert "Demo disclosure requests: 2 units loaded" in demo["first"]
    assert "Demo disclosure requests: 0 units loaded, 2 had requests already" in demo["second"]
    assert db.session.scalar(select(func.count()).select_from(DisclosureRequest)) == demo["count"]
    states = set(db.session.scalars(select(DisclosureRequest.state).distinct()))
    assert states == set(STATES)
    outcomes = set(db.session.scalars(select(RequestDecision.outcome).distinct()))
    assert set(OUTCOMES) <= outcomes
    extended = db.session.scalars(
        select(DisclosureRequest).where(DisclosureRequest.extension_days.is_not(None))
    ).all()
    assert extended and all(r.extension_reason for r in extended)
    reviews = {e.state for e in db.session.scalars(select(RequestEscalation))}
    assert reviews == {"pending", "reconsider"}
    assert db.session.scalar(
        select(func.count()).where(RequestDecision.acknowledged_at.is_not(None))
    )


@pytest.mark.rule("ARC-1")
def test_the_demo_decisions_are_in_the_registers_which_verify(demo):
    decisions = db.session.scalar(select(func.count()).where(RequestDecision.outcome.is_not(None)))
    entries = db.session.scalar(
        select(func.count()).where(
            RegisterEntry.action == "request_decision",
            RegisterEntry.object_type == "disclosure_request",
        )
    )
    assert entries == decisions + 1  # and the superior's review
    for code in ("hongjiang-agri", "kashgar-kg3", "hongjiang", "kashgar-edu"):
        assert register.verify(tenants.get_org(code)) == [], code


def test_the_demo_applicant_sees_the_requests_and_the_overdue_one(demo):
    applicant = tenants.get_user("demo-applicant")
    mine = ops.of_applicant(applicant)
    assert len(mine) >= 10
    overdue = [r for r in mine if ops.overdue(r)]
    assert overdue and ops.escalation_refusal(overdue[0]) is None
