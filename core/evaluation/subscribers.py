"""Reactions to member evaluation: the register (ARC-1) records the publication of a round's
results (one entry in the register of the superior that opened the round, with the units, their
participation and the approvals); the people on a unit's roll are told when a round opens and when
its results are published (:mod:`core.notifications`)."""

from __future__ import annotations

from sqlalchemy import select

from core import db, events
from core.evaluation import operations
from core.evaluation.models import EvaluationVoter
from core.notifications import operations as ops
from core.register import operations as register
from tenants.models import Organisation, User


@events.evaluation_published.connect
def on_published(round_, *, actor, **_kw) -> None:
    steps = [s for s in operations.history(round_) if s.transition in ("open", "publish")]
    register.append(
        round_.organisation,
        "publish",
        object_type="evaluation_round",
        object_id=round_.id,
        title=round_.title("zh_Hans_CN"),
        scope=round_.result_scope,
        approvals=[
            {"step": s.transition, "by": s.actor_label, "at": s.at.isoformat()} for s in steps
        ],
        data={
            "kind": "member_evaluation",
            "opens_on": round_.opens_on.isoformat(),
            "closes_on": round_.closes_on.isoformat(),
            "units": {
                r.unit.code: {"eligible": r.eligible, "voters": r.voters}
                for r in operations.results(round_)
            },
        },
        actor=actor,
        # the public register: rounds whose results are public (participation, never a comment)
        public=(
            {
                "titles": dict(round_.titles or {}),
                "units": {
                    r.unit.code: {"eligible": r.eligible, "voters": r.voters}
                    for r in operations.results(round_)
                },
            }
            if round_.result_scope == "public"
            else None
        ),
    )


def round_voters(round_) -> list[tuple[int, User]]:
    """``(unit id, user)`` of the round's roll (fixed when the round opened)."""
    voter = EvaluationVoter
    return list(
        db.session.execute(
            select(voter.org_id, User)
            .join(User, User.id == voter.user_id)
            .where(voter.round_id == round_.id, User.active.is_(True))
            .order_by(voter.org_id, User.id)
        )
    )


def _tell_roll(round_, kind: str, link, actor) -> None:
    """Tell the people on each unit's roll; ``link(round_, unit)`` is their page."""
    by_unit: dict[int, list[User]] = {}
    for unit_id, user in round_voters(round_):
        by_unit.setdefault(unit_id, []).append(user)
    if not by_unit:
        return
    units = {
        o.id: o
        for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(by_unit)))
    }
    for unit_id, users in by_unit.items():
        unit = units[unit_id]
        ops.notify(
            users,
            kind,
            org=unit,
            params={
                "title": dict(round_.titles or {}),
                "org": ops.org_names(unit),
                "closes_on": round_.closes_on.isoformat() if round_.closes_on else "",
            },
            link=link(round_, unit),
            about=("evaluation_round", round_.id),
            exclude=[actor],
        )


@events.evaluation_opened.connect
def on_evaluation_opened(round_, *, actor=None, **_kw) -> None:
    """The people on a unit's roll are told they may rate it."""
    _tell_roll(
        round_,
        "evaluation.opened",
        lambda r, unit: ops.path_for("evaluation.rate", org_code=unit.code, round_id=r.id),
        actor,
    )


@events.evaluation_published.connect
def on_evaluation_published(round_, *, actor=None, **_kw) -> None:
    """The people on the roll (who may all read the results) are told they are out."""
    _tell_roll(
        round_,
        "evaluation.published",
        lambda r, _unit: ops.path_for(
            "evaluation.results", org_code=r.organisation.code, round_id=r.id
        ),
        actor,
    )
