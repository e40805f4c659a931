"""The register (ARC-1) records the publication of a round's results: one entry in the register
of the superior that opened the round, with the units, their participation and the approvals."""

from __future__ import annotations

from core import events
from core.evaluation import operations
from core.register import operations as register


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
