"""Member evaluation operations (评议, SUP-3): the only code that changes rounds and ballots.

A superior's admin drafts a round for units of its subtree (:func:`create`, :func:`update`),
opens it (:func:`open_round`: the roll of each unit is fixed then), and after it closed —
by hand or by the sweep once its last day is over (:func:`close_due`) — publishes the results
(:func:`publish`) in the scope chosen for them. Members cast one secret ballot per round and unit
(:func:`cast`). Every step runs in the caller's unit of work; the workflow writes the history and
the audit entries, and the domain events ``evaluation_opened`` / ``evaluation_published`` go to
the notifications and the register.

For other packages (notifications): :func:`units_of`, :func:`members_who_have_not_rated`,
:func:`open_rounds`, :data:`core.evaluation.models.OPEN_STATES`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from core import audit, db, events, localtime, permissions
from core.config import SUPPORTED_LOCALES
from core.errors import NotFound, Problem, UserError
from core.evaluation import workflow as wf
from core.evaluation.models import (
    ANSWERS,
    OPEN_STATES,
    OVERALL,
    RESULT_SCOPES,
    SATISFIED,
    EvaluationBallot,
    EvaluationRound,
    EvaluationUnit,
    EvaluationVoter,
)
from core.i18n import _
from core.workflow import engine
from core.workflow.engine import SYSTEM
from tenants.models import Membership, Organisation, User

MAX_TITLE = 200
MAX_NOTE = 2000
MAX_CRITERION = 200
MAX_CRITERIA = 12
MAX_COMMENT = 2000
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,29}$")

DEFAULT_CRITERIA = (
    {
        "key": "comprehensive",
        "labels": {
            "zh_Hans_CN": "公开内容是否全面",
            "en": "Is what is disclosed comprehensive?",
            "ug": "ئاشكارىلانغان مەزمۇن ئەتراپلىقمۇ؟",
        },
    },
    {
        "key": "timely",
        "labels": {
            "zh_Hans_CN": "公开是否及时",
            "en": "Is it disclosed in time?",
            "ug": "ۋاقتىدا ئاشكارىلاندىمۇ؟",
        },
    },
    {
        "key": "accessible",
        "labels": {
            "zh_Hans_CN": "公开形式是否便于了解",
            "en": "Is the form of disclosure easy to follow?",
            "ug": "ئاشكارىلاش شەكلى چۈشىنىشكە قۇلايلىقمۇ؟",
        },
    },
    {
        "key": "responsive",
        "labels": {
            "zh_Hans_CN": "对意见建议的回应",
            "en": "How opinions and suggestions are answered",
            "ug": "پىكىر-تەكلىپلەرگە بېرىلگەن جاۋاب",
        },
    },
)


def default_criteria() -> list[dict[str, Any]]:
    """The default criteria (a copy: a round keeps its own, editable)."""
    return [{"key": c["key"], "labels": dict(c["labels"])} for c in DEFAULT_CRITERIA]


today = localtime.today
"""The day it is in an organisation's time zone (by :func:`core.db.utcnow`)."""


# --- reading ---------------------------------------------------------------------------------


def get(org: Organisation, round_id: int) -> EvaluationRound | None:
    """The round ``round_id`` if ``org`` opened it (views 404 otherwise)."""
    found = db.session.get(EvaluationRound, round_id)
    return found if found is not None and found.org_id == org.id else None


def unit_entry(round_: EvaluationRound, unit: Organisation) -> EvaluationUnit | None:
    """``unit``'s place in ``round_`` (None when the unit is not evaluated in it)."""
    return db.session.scalar(
        select(EvaluationUnit).where(
            EvaluationUnit.round_id == round_.id, EvaluationUnit.org_id == unit.id
        )
    )


def round_units(round_: EvaluationRound) -> list[EvaluationUnit]:
    """The units of the round with their organisations, in tree order (one query)."""
    return list(
        db.session.scalars(
            select(EvaluationUnit)
            .join(Organisation, Organisation.id == EvaluationUnit.org_id)
            .where(EvaluationUnit.round_id == round_.id)
            .order_by(Organisation.depth, Organisation.position, Organisation.code)
        )
    )


def units_of(round_: EvaluationRound) -> list[Organisation]:
    """The organisations evaluated in ``round_`` (for notifications)."""
    return [u.organisation for u in round_units(round_)]


def members_who_have_not_rated(round_: EvaluationRound, unit: Organisation) -> list[User]:
    """The active people on ``unit``'s roll in ``round_`` who have not rated yet (for reminders;
    empty before the round opens, since the roll is fixed when it opens)."""
    return list(
        db.session.scalars(
            select(User)
            .join(EvaluationVoter, EvaluationVoter.user_id == User.id)
            .where(
                EvaluationVoter.round_id == round_.id,
                EvaluationVoter.org_id == unit.id,
                EvaluationVoter.voted_at.is_(None),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def open_rounds() -> list[EvaluationRound]:
    """Every round in which members rate now (for the notification sweeps)."""
    return list(
        db.session.scalars(
            select(EvaluationRound)
            .where(EvaluationRound.state.in_(OPEN_STATES))
            .order_by(EvaluationRound.closes_on, EvaluationRound.id)
        )
    )


def rounds_of(org: Organisation) -> list[EvaluationRound]:
    """The rounds ``org`` opened (newest first)."""
    return list(
        db.session.scalars(
            select(EvaluationRound)
            .where(EvaluationRound.org_id == org.id)
            .order_by(EvaluationRound.opens_on.desc(), EvaluationRound.id.desc())
        )
    )


def rounds_including(unit: Organisation, *, states=None) -> list[EvaluationRound]:
    """The rounds (not drafts) in which ``unit`` is evaluated, newest first."""
    states = states or ("open", "closed", "published")
    return list(
        db.session.scalars(
            select(EvaluationRound)
            .join(EvaluationUnit, EvaluationUnit.round_id == EvaluationRound.id)
            .where(EvaluationUnit.org_id == unit.id, EvaluationRound.state.in_(states))
            .order_by(EvaluationRound.opens_on.desc(), EvaluationRound.id.desc())
        )
    )


def candidate_units(org: Organisation) -> list[Organisation]:
    """The units a round of ``org`` may evaluate: its enabled subordinates, direct or not."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.id != org.id,
                Organisation.enabled.is_(True),
            )
            .order_by(Organisation.depth, Organisation.position, Organisation.code)
        )
    )


def eligible_user_ids(unit: Organisation) -> list[int]:
    """The active people holding any role in ``unit`` (each once): its member voters."""
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.org_id == unit.id, User.active.is_(True))
            .distinct()
            .order_by(Membership.user_id)
        )
    )


def roll_entry(round_: EvaluationRound, unit: Organisation, user) -> EvaluationVoter | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(EvaluationVoter).where(
            EvaluationVoter.round_id == round_.id,
            EvaluationVoter.org_id == unit.id,
            EvaluationVoter.user_id == user.id,
        )
    )


def accepting(round_: EvaluationRound, on: date | None = None) -> bool:
    """True while members may rate: the round is open and its period has begun (and not
    ended: the sweep closes it once its last day is over)."""
    on = on or today(round_.organisation)
    return round_.state in OPEN_STATES and round_.opens_on <= on <= round_.closes_on


def rateable(user, unit: Organisation) -> list[tuple[EvaluationRound, EvaluationVoter]]:
    """The open rounds in which ``user`` is on ``unit``'s roll, with their roll entries."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = db.session.execute(
        select(EvaluationRound, EvaluationVoter)
        .join(EvaluationVoter, EvaluationVoter.round_id == EvaluationRound.id)
        .where(
            EvaluationRound.state.in_(OPEN_STATES),
            EvaluationVoter.org_id == unit.id,
            EvaluationVoter.user_id == user.id,
        )
        .order_by(EvaluationRound.closes_on, EvaluationRound.id)
    ).all()
    return [(r, v) for r, v in rows]


# --- results ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """The answers to one criterion (or the overall rating) in one unit."""

    key: str
    counts: dict[str, int]
    total: int

    @property
    def satisfied(self) -> int:
        return sum(self.counts[a] for a in SATISFIED)

    @property
    def satisfaction(self) -> float | None:
        """(满意 + 基本满意) / all answers; None without answers."""
        return self.satisfied / self.total if self.total else None


@dataclass
class UnitResult:
    unit: Organisation
    eligible: int
    voters: int
    ballots: int
    tallies: list[Tally] = field(default_factory=list)

    @property
    def participation(self) -> float | None:
        """Voters / the members on the roll when the round opened; None without a roll."""
        return self.voters / self.eligible if self.eligible else None

    @property
    def overall(self) -> Tally | None:
        return next((t for t in self.tallies if t.key == OVERALL), None)


def participation(round_: EvaluationRound) -> dict[int, tuple[int, int]]:
    """``{unit id: (voters, eligible)}`` of the round (two queries)."""
    voted = dict(
        db.session.execute(
            select(EvaluationVoter.org_id, func.count())
            .where(EvaluationVoter.round_id == round_.id, EvaluationVoter.voted_at.is_not(None))
            .group_by(EvaluationVoter.org_id)
        ).all()
    )
    return {u.org_id: (voted.get(u.org_id, 0), u.eligible or 0) for u in round_units(round_)}


def results(round_: EvaluationRound, *, unit: Organisation | None = None) -> list[UnitResult]:
    """The tallies per unit and criterion, and the overall rating (a fixed number of queries).

    Counted from the ballots, which carry no voter: the voters' count comes from the roll."""
    keys = [*round_.criterion_keys(), OVERALL]
    units = [u for u in round_units(round_) if unit is None or u.org_id == unit.id]
    counted = participation(round_)
    query = select(EvaluationBallot.org_id, EvaluationBallot.answers).where(
        EvaluationBallot.round_id == round_.id
    )
    if unit is not None:
        query = query.where(EvaluationBallot.org_id == unit.id)
    counts: dict[int, dict[str, Counter]] = {}
    ballots: Counter = Counter()
    for org_id, answers in db.session.execute(query):
        ballots[org_id] += 1
        per_key = counts.setdefault(org_id, {k: Counter() for k in keys})
        for key in keys:
            answer = (answers or {}).get(key)
            if answer in ANSWERS:
                per_key[key][answer] += 1
    out = []
    for entry in units:
        voters, eligible = counted.get(entry.org_id, (0, entry.eligible or 0))
        per_key = counts.get(entry.org_id, {k: Counter() for k in keys})
        tallies = [
            Tally(k, {a: per_key[k][a] for a in ANSWERS}, sum(per_key[k].values())) for k in keys
        ]
        out.append(UnitResult(entry.organisation, eligible, voters, ballots[entry.org_id], tallies))
    return out


def comments(round_: EvaluationRound, unit: Organisation) -> list[str]:
    """The comments of ``unit``'s ballots (console only: never published), in no telling
    order (sorted by text: the order of casting would point at the voters)."""
    rows = db.session.scalars(
        select(EvaluationBallot.comment).where(
            EvaluationBallot.round_id == round_.id,
            EvaluationBallot.org_id == unit.id,
            EvaluationBallot.comment.is_not(None),
        )
    )
    return sorted(c for c in rows if c)


# --- the round -------------------------------------------------------------------------------


def _texts(value: Any, name: str, limit: int, problems: list[str], *, required: bool):
    if isinstance(value, str):
        value = {"zh_Hans_CN": value}
    out: dict[str, str] = {}
    for loc, text in (value or {}).items():
        if loc not in SUPPORTED_LOCALES:
            problems.append(Problem(f"{name}.{loc}", _("unknown language")))
            continue
        text = str(text or "").strip()
        if len(text) > limit:
            problems.append(Problem(f"{name}.{loc}", _("at most %(n)s characters", n=limit)))
        elif text:
            out[loc] = text
    if required and not out.get("zh_Hans_CN"):
        problems.append(Problem(name, _("the Chinese text is required")))
    return out


def _criteria(value: Any, problems: list[str]) -> list[dict[str, Any]]:
    if value is None:
        return default_criteria()
    if not isinstance(value, list) or not value:
        problems.append(Problem("criteria", _("at least one criterion is required")))
        return []
    if len(value) > MAX_CRITERIA:
        problems.append(Problem("criteria", _("at most %(n)s criteria", n=MAX_CRITERIA)))
    out, seen = [], set()
    for n, raw in enumerate(value, start=1):
        if isinstance(raw, str):
            raw = {"labels": {"zh_Hans_CN": raw}}
        if not isinstance(raw, dict):
            problems.append(Problem("criteria", _("criterion %(n)s is not understood", n=n)))
            continue
        key = str(raw.get("key") or f"c{n}")
        if not KEY_PATTERN.match(key) or key == OVERALL:
            problems.append(Problem("criteria", _("“%(key)s” is not a usable key", key=key)))
        elif key in seen:
            problems.append(Problem("criteria", _("the key “%(key)s” is used twice", key=key)))
        seen.add(key)
        labels = _texts(raw.get("labels"), f"criteria.{n}", MAX_CRITERION, problems, required=True)
        out.append({"key": key, "labels": labels})
    return out


def _date(value: Any, name: str, problems: list[str]) -> date | None:
    if isinstance(value, date):
        return value
    if value in (None, ""):
        problems.append(Problem(name, _("is required")))
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(name, _("“%(value)s” is not a date (YYYY-MM-DD)", value=value)))
        return None


def _units(org: Organisation, data: dict[str, Any], problems: list[str]) -> list[Organisation]:
    candidates = candidate_units(org)
    if data.get("all_units"):
        chosen = candidates
    else:
        by_code = {o.code: o for o in candidates}
        chosen = []
        for code in dict.fromkeys(data.get("units") or []):
            found = by_code.get(code)
            if found is None:
                message = _("“%(code)s” is not a unit under this organisation", code=code)
                problems.append(Problem("units", message))
            else:
                chosen.append(found)
    if not chosen:
        problems.append(Problem("units", _("choose at least one unit to evaluate")))
    return chosen


def clean(org: Organisation, data: dict[str, Any]) -> tuple[dict[str, Any], list, list[str]]:
    """The round's fields and units from ``data``, and what is wrong with them."""
    problems: list[str] = []
    fields: dict[str, Any] = {
        "titles": _texts(data.get("titles"), "title", MAX_TITLE, problems, required=True),
        "notes": _texts(data.get("notes"), "note", MAX_NOTE, problems, required=False),
        "criteria": _criteria(data.get("criteria"), problems),
        "opens_on": _date(data.get("opens_on"), "opens_on", problems),
        "closes_on": _date(data.get("closes_on"), "closes_on", problems),
    }
    if fields["opens_on"] and fields["closes_on"] and fields["closes_on"] < fields["opens_on"]:
        problems.append(Problem("closes_on", _("the last day comes before the first day")))
    scope = data.get("result_scope")
    if scope not in RESULT_SCOPES:
        problems.append(
            Problem(
                "result_scope",
                _(
                    "“%(value)s” is not one of %(codes)s",
                    value=scope,
                    codes=", ".join(RESULT_SCOPES),
                )
                if scope
                else _("is required"),
            )
        )
    fields["result_scope"] = scope
    return fields, _units(org, data, problems), problems


def _require(actor, action: str, org: Organisation, message: str) -> None:
    if not permissions.may(actor, action, org):
        raise UserError(message)


def _set_units(round_: EvaluationRound, units: list[Organisation]) -> None:
    wanted = {u.id for u in units}
    current = {u.org_id: u for u in round_units(round_)}
    for org_id, entry in current.items():
        if org_id not in wanted:
            db.session.delete(entry)
    for unit in units:
        if unit.id not in current:
            db.session.add(EvaluationUnit(round_id=round_.id, org_id=unit.id))
    db.session.flush()


def _snapshot(round_: EvaluationRound) -> dict[str, Any]:
    return {
        "titles": round_.titles,
        "notes": round_.notes,
        "criteria": round_.criteria,
        "opens_on": round_.opens_on.isoformat() if round_.opens_on else None,
        "closes_on": round_.closes_on.isoformat() if round_.closes_on else None,
        "result_scope": round_.result_scope,
    }


def create(org: Organisation, data: dict[str, Any], *, actor) -> EvaluationRound:
    """A new round in ``draft``: titles (and an introduction) per language, the period, the
    criteria (default: :data:`DEFAULT_CRITERIA`), the scope of the results and the units
    (``units``: codes of subordinate units, or ``all_units``: every one of them)."""
    _require(
        actor,
        "evaluation.manage",
        org,
        _("Only an admin of this organisation may open evaluation rounds."),
    )
    fields, units, problems = clean(org, data)
    if problems:
        raise UserError(_("The evaluation round was not saved."), problems=problems)
    round_ = EvaluationRound(
        org_id=org.id,
        root_id=org.root_id or org.id,
        state="draft",
        created_by_id=getattr(actor, "id", None),
        **fields,
    )
    db.session.add(round_)
    db.session.flush()
    _set_units(round_, units)
    audit.log(
        "evaluation.create",
        "evaluation_round",
        round_.id,
        org_id=org.id,
        actor=actor,
        changes={
            **{k: [None, v] for k, v in _snapshot(round_).items()},
            "units": [None, [u.code for u in units]],
        },
    )
    return round_


def update(round_: EvaluationRound, data: dict[str, Any], *, actor) -> bool:
    """Change a draft round (every field as in :func:`create`); False when nothing changed."""
    org = round_.organisation
    _require(
        actor,
        "evaluation.manage",
        org,
        _("Only an admin of this organisation may change evaluation rounds."),
    )
    if round_.state != "draft":
        raise UserError(_("Only a draft round can be changed; an open round keeps its terms."))
    fields, units, problems = clean(org, data)
    if problems:
        raise UserError(_("The evaluation round was not saved."), problems=problems)
    before = {**_snapshot(round_), "units": [u.organisation.code for u in round_units(round_)]}
    for name, value in fields.items():
        setattr(round_, name, value)
    _set_units(round_, units)
    after = {**_snapshot(round_), "units": [u.code for u in units]}
    changes = audit.diff(before, after)
    if not changes:
        return False
    db.session.flush()
    audit.log(
        "evaluation.update",
        "evaluation_round",
        round_.id,
        org_id=org.id,
        actor=actor,
        changes=changes,
    )
    return True


def delete_draft(round_: EvaluationRound, *, actor) -> None:
    """Remove a draft round (nothing was rated in it)."""
    org = round_.organisation
    _require(
        actor,
        "evaluation.manage",
        org,
        _("Only an admin of this organisation may remove evaluation rounds."),
    )
    if round_.state != "draft":
        raise UserError(_("Only a draft round can be removed."))
    audit.log(
        "evaluation.delete",
        "evaluation_round",
        round_.id,
        org_id=org.id,
        actor=actor,
        changes={"titles": [round_.titles, None]},
    )
    db.session.delete(round_)
    db.session.flush()


def history(round_: EvaluationRound):
    return engine.history(wf.evaluation, round_)


def open_round(round_: EvaluationRound, *, actor) -> EvaluationRound:
    """Open the round: the roll of each unit is fixed now (every person holding a role in it,
    once) and its eligible count stored; members rate from ``opens_on`` to ``closes_on``."""
    org = round_.organisation
    units = round_units(round_)
    if not units:
        raise UserError(_("The round evaluates no unit: choose the units first."))
    if round_.closes_on < today(org):
        raise UserError(_("The round's last day is over: change its period before opening it."))

    def effect(r: EvaluationRound) -> None:
        r.opened_at = db.utcnow()
        for entry in units:
            voters = eligible_user_ids(entry.organisation)
            entry.eligible = len(voters)
            for user_id in voters:
                db.session.add(EvaluationVoter(round_id=r.id, org_id=entry.org_id, user_id=user_id))
        db.session.flush()

    engine.run(wf.evaluation, round_, "open", actor=actor, effect=effect)
    events.evaluation_opened.send(round_, actor=actor)
    return round_


def close(round_: EvaluationRound, *, actor=SYSTEM) -> EvaluationRound:
    """Close the round: no more ballots; the results are counted for the superior."""

    def effect(r: EvaluationRound) -> None:
        r.closed_at = db.utcnow()

    engine.run(wf.evaluation, round_, "close", actor=actor, effect=effect)
    return round_


def publish(round_: EvaluationRound, *, actor) -> EvaluationRound:
    """Publish a closed round's results in its ``result_scope`` (comments are never published)."""
    if not permissions.may(actor, "evaluation.publish", round_.organisation):
        raise UserError(
            _("Only an admin of the organisation that opened the round may publish it.")
        )

    def effect(r: EvaluationRound) -> None:
        r.published_at = db.utcnow()

    engine.run(wf.evaluation, round_, "publish", actor=actor, effect=effect)
    events.evaluation_published.send(round_, actor=actor)
    return round_


def close_due() -> int:
    """Sweep: close every open round whose last day is over in its organisation's time zone."""
    count = 0
    candidates = db.session.scalars(
        select(EvaluationRound)
        .where(EvaluationRound.state.in_(OPEN_STATES))
        .order_by(EvaluationRound.id)
    ).all()
    for round_ in candidates:  # few at any time; "today" depends on each superior's zone
        if round_.closes_on < today(round_.organisation):
            close(round_)
            count += 1
    return count


# --- ballots ---------------------------------------------------------------------------------


def clean_answers(round_: EvaluationRound, answers: dict[str, Any]) -> tuple[dict, list[str]]:
    problems = []
    out = {}
    for key in [*round_.criterion_keys(), OVERALL]:
        value = (answers or {}).get(key)
        if value not in ANSWERS:
            problems.append(Problem(key, _("choose one of the answers")))
        else:
            out[key] = value
    return out, problems


def cast(
    round_: EvaluationRound,
    unit: Organisation,
    *,
    actor,
    answers: dict[str, Any],
    comment: str | None = None,
) -> None:
    """One member's secret ballot on ``unit`` in ``round_``: once per round and unit.

    Marks the member's roll entry as voted and stores the answers in a ballot that names no
    one (see :mod:`core.evaluation.models`). Returns nothing: not even the caller learns the
    ballot's id."""
    if not permissions.may(actor, "evaluation.rate", unit):
        raise NotFound(_("You are not a member of this unit."))
    if unit_entry(round_, unit) is None:
        raise NotFound(_("This unit is not evaluated in this round."))
    if round_.state not in OPEN_STATES:
        raise UserError(_("This evaluation round is not open for rating."))
    on = today(round_.organisation)
    if on < round_.opens_on:
        raise UserError(_("Rating begins on the first day of the round."))
    if on > round_.closes_on:
        raise UserError(_("The round's last day is over: rating has ended."))
    entry = roll_entry(round_, unit, actor)
    if entry is None:
        raise UserError(
            _("You were not on this unit's roll when the round opened, so you cannot rate in it.")
        )
    if entry.voted_at is not None:
        raise UserError(_("You have already rated this unit in this round; a member rates once."))
    clean_, problems = clean_answers(round_, answers)
    text = (comment or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_COMMENT:
        problems.append(Problem("comment", _("at most %(n)s characters", n=MAX_COMMENT)))
    if problems:
        raise UserError(_("Your rating was not recorded."), problems=problems)
    # once, even when two requests race: only the one that flips voted_at records a ballot
    flipped = db.session.execute(
        sql_update(EvaluationVoter)
        .where(EvaluationVoter.id == entry.id, EvaluationVoter.voted_at.is_(None))
        .values(voted_at=db.utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped != 1:
        raise UserError(_("You have already rated this unit in this round; a member rates once."))
    db.session.expire(entry)
    db.session.add(
        EvaluationBallot(round_id=round_.id, org_id=unit.id, answers=clean_, comment=text or None)
    )
    db.session.flush()
    audit.log(
        "evaluation.rate",
        "evaluation_round",
        round_.id,
        org_id=unit.id,
        actor=actor,
        changes={"unit": [None, unit.code]},
    )
