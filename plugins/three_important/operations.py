"""The operations of 三重一大: the only code that changes its tables (SOE-1..SOE-7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from core.toolkit import (
    SYSTEM,
    Problem,
    UserError,
    _l,
    audit_log,
    catalogue_tree,
    catalogue_version,
    create_item,
    local_zone,
    may,
    param_value,
    session,
    utcnow,
)

from .models import (
    BODIES,
    CATEGORIES,
    CATEGORY_LABELS,
    MEETING_TYPES,
    OPINIONS,
    STUDY_REQUIRED,
    Decision,
    ItemList,
    Meeting,
)

ITEM_TYPE = "three_important.decision"
THRESHOLD_PARAMS = {
    "large_funds": "three_important.funds_threshold",
    "major_project": "three_important.project_threshold",
}


def _require(actor, action: str, org) -> None:
    if actor is not SYSTEM and not may(actor, action, org):
        raise UserError(_l("You may not do this in this organisation."))


def _names(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = raw.replace("，", ",").replace("\n", ",").split(",")
    return [str(n).strip() for n in (raw or []) if str(n).strip()]


def _aware(value: Any, field: str, problems: list[str]) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        problems.append(Problem(field, _l("is not a date and time")))
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _amount(value: Any, problems: list[str]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        problems.append(Problem("amount", _l("is not a number")))
        return None
    if amount < 0:
        problems.append(Problem("amount", _l("must not be negative")))
    return amount


def more_than(part: int, whole: int, percent: int) -> bool:
    """``part`` is more than ``percent`` per cent of ``whole`` (integers only, no rounding)."""
    return whole > 0 and part * 100 > whole * percent


# --- meetings ---------------------------------------------------------------------------------
def record_meeting(org, data: dict[str, Any], *, actor) -> Meeting:
    """Record a meeting of a deciding body (SOE-6). It must be a meeting (SOE-3) with a quorum
    of more than ``three_important.quorum`` per cent of the expected members (SOE-4); its
    minutes number is the next of the body's annual sequence."""
    _require(actor, "three_important.record", org)
    problems: list[str] = []
    mode = data.get("mode") or "meeting"
    if mode != "meeting":
        problems.append(
            Problem(
                "mode",
                _l(
                    "a 三重一大 matter is decided in a meeting, never by circulating papers, "
                    "countersigning or one-by-one consultation"
                ),
            )
        )
    body = data.get("body")
    if body not in BODIES:
        problems.append(Problem("body", _l("must be one of %(codes)s", codes=", ".join(BODIES))))
    meeting_type = data.get("meeting_type") or "regular"
    if meeting_type not in MEETING_TYPES:
        problems.append(
            Problem("meeting_type", _l("must be one of %(codes)s", codes=", ".join(MEETING_TYPES)))
        )
    held_at = _aware(data.get("held_at"), "held_at", problems)
    expected = _names(data.get("expected_members"))
    present = _names(data.get("present_members"))
    absentees = [
        {"name": str(a.get("name", "")).strip(), "reason": str(a.get("reason", "")).strip()}
        for a in data.get("absentees") or []
    ]
    chair = str(data.get("chair") or "").strip()
    note_taker = str(data.get("note_taker") or "").strip()
    place = str(data.get("place") or "").strip()
    for field, text in (("chair", chair), ("note_taker", note_taker), ("place", place)):
        if not text:
            problems.append(Problem(field, _l("is required")))
    if not expected:
        problems.append(Problem("expected_members", _l("is required")))
    if len(set(expected)) != len(expected):
        problems.append(Problem("expected_members", _l("a member is listed twice")))
    strangers = [n for n in present if n not in expected]
    if strangers:
        problems.append(
            Problem(
                "present_members",
                _l("not expected members: %(names)s", names="、".join(strangers)),
            )
        )
    if chair and chair not in present:
        problems.append(Problem("chair", _l("the chair must be a present member")))
    missing = [n for n in expected if n not in present]
    reasons = {a["name"]: a["reason"] for a in absentees}
    if sorted(reasons) != sorted(missing) or not all(reasons.values()):
        problems.append(Problem("absentees", _l("every absent member is listed with the reason")))
    quorum = param_value(org, "three_important.quorum")
    if expected and not more_than(len(set(present)), len(expected), quorum):
        problems.append(
            Problem(
                "present_members",
                _l(
                    "%(present)s of %(expected)s members present; more than %(quorum)s%% must "
                    "attend",
                    present=len(present),
                    expected=len(expected),
                    quorum=quorum,
                ),
            )
        )
    if problems:
        raise UserError(_l("The meeting was not recorded."), problems=problems)
    year = held_at.year
    number = (
        session.scalar(
            select(func.max(Meeting.number)).where(
                Meeting.org_id == org.id, Meeting.body == body, Meeting.year == year
            )
        )
        or 0
    ) + 1
    meeting = Meeting(
        org_id=org.id,
        body=body,
        meeting_type=meeting_type,
        mode=mode,
        held_at=held_at,
        place=place,
        chair=chair,
        expected_members=expected,
        present_members=present,
        absentees=absentees,
        attendees=_names(data.get("attendees")),
        note_taker=note_taker,
        year=year,
        number=number,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(meeting)
    session.flush()
    audit_log(
        "three_important.meeting",
        "three_important_meeting",
        meeting.id,
        org_id=org.id,
        actor=actor,
        changes={"minutes_no": [None, meeting.minutes_no]},
    )
    return meeting


def _clean_matter(org, data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    category = data.get("category")
    if category not in CATEGORIES:
        problems.append(
            Problem("category", _l("exactly one of %(codes)s", codes=", ".join(CATEGORIES)))
        )
    title = str(data.get("title") or "").strip()
    if not title:
        problems.append(Problem("title", _l("is required")))
    amount = _amount(data.get("amount"), problems)
    if category in THRESHOLD_PARAMS and amount is None:
        problems.append(Problem("amount", _l("is required for this category")))
    return {
        "category": category,
        "title": title,
        "amount": amount,
        "decision_text": str(data.get("decision_text") or "").strip(),
    }


def record_decision(meeting: Meeting, data: dict[str, Any], *, actor) -> Decision:
    """Record one matter of ``meeting``, voted on its own (SOE-5): every present member's
    opinion in the order they spoke, the chair last; it passes with more than half of the
    expected members agreeing. Personnel matters need the personnel quorum (SOE-4); major
    decisions and appointments taken by another body need the Party committee's prior study
    (SOE-3)."""
    org = _org_of(meeting)
    _require(actor, "three_important.record", org)
    problems: list[str] = []
    matter = _clean_matter(org, data, problems)
    opinions = [
        {
            "member": str(o.get("member", "")).strip(),
            "opinion": o.get("opinion"),
            "text": str(o.get("text") or "").strip(),
        }
        for o in data.get("opinions") or []
    ]
    speakers = [o["member"] for o in opinions]
    if any(o["opinion"] not in OPINIONS for o in opinions):
        problems.append(Problem("opinions", _l("Each member votes: agree, disagree or abstain.")))
    if sorted(speakers) != sorted(meeting.present_members):
        problems.append(Problem("opinions", _l("Every present member gives an opinion, once.")))
    if speakers and speakers[-1] != meeting.chair:
        problems.append(Problem("opinions", _l("The chair speaks last.")))
    if matter["category"] == "appointment":
        percent = param_value(org, "three_important.personnel_quorum")
        if not more_than(len(meeting.present_members), len(meeting.expected_members), percent):
            problems.append(
                Problem(
                    "category",
                    _l(
                        "a personnel matter needs more than %(percent)s%% of the members present",
                        percent=percent,
                    ),
                )
            )
    study = None
    if matter["category"] in STUDY_REQUIRED and meeting.body != "party_committee":
        study_id = data.get("study_meeting_id")
        study = session.get(Meeting, int(study_id)) if study_id else None
        if (
            study is None
            or study.org_id != meeting.org_id
            or study.body != "party_committee"
            or study.held_at > meeting.held_at
        ):
            problems.append(
                Problem(
                    "study_meeting_id",
                    _l(
                        "the Party committee studies this matter at an earlier meeting before "
                        "the decision"
                    ),
                )
            )
    if problems:
        raise UserError(_l("The decision was not recorded."), problems=problems)
    agree = sum(1 for o in opinions if o["opinion"] == "agree")
    seq = (
        session.scalar(select(func.max(Decision.seq)).where(Decision.meeting_id == meeting.id)) or 0
    ) + 1
    decision = Decision(
        org_id=meeting.org_id,
        meeting_id=meeting.id,
        seq=seq,
        opinions=opinions,
        passed=agree * 2 > len(meeting.expected_members),
        dissent=any(o["opinion"] != "agree" for o in opinions),
        study_meeting_id=study.id if study else None,
        decided_at=meeting.held_at,
        **matter,
    )
    session.add(decision)
    session.flush()
    audit_log(
        "three_important.decision",
        "three_important_decision",
        decision.id,
        org_id=meeting.org_id,
        actor=actor,
        changes={"passed": [None, decision.passed], "category": [None, decision.category]},
    )
    return decision


def _org_of(obj):
    from core.toolkit import Organisation

    return session.get(Organisation, obj.org_id)


# --- emergency decisions (SOE-7) ---------------------------------------------------------------
def record_emergency(org, data: dict[str, Any], *, actor) -> Decision:
    """An emergency decision taken by one person; it must be ratified at the next meeting."""
    _require(actor, "three_important.record", org)
    problems: list[str] = []
    matter = _clean_matter(org, data, problems)
    decided_by = str(data.get("decided_by") or "").strip()
    if not decided_by:
        problems.append(Problem("decided_by", _l("is required")))
    decided_at = _aware(data.get("decided_at") or utcnow(), "decided_at", problems)
    if problems:
        raise UserError(_l("The emergency decision was not recorded."), problems=problems)
    decision = Decision(
        org_id=org.id,
        emergency=True,
        decided_by=decided_by,
        decided_at=decided_at,
        passed=True,
        **matter,
    )
    session.add(decision)
    session.flush()
    audit_log(
        "three_important.emergency",
        "three_important_decision",
        decision.id,
        org_id=org.id,
        actor=actor,
        changes={"decided_by": [None, decided_by]},
    )
    return decision


def next_meeting_after(org_id: int, moment: datetime) -> Meeting | None:
    return session.scalars(
        select(Meeting)
        .where(Meeting.org_id == org_id, Meeting.held_at > moment)
        .order_by(Meeting.held_at, Meeting.id)
    ).first()


def ratify(decision: Decision, meeting: Meeting, *, actor) -> Decision:
    """Ratify an emergency decision at the next meeting after it was taken (SOE-7)."""
    _require(actor, "three_important.record", _org_of(decision))
    if not decision.emergency:
        raise UserError(_l("Only an emergency decision is ratified."))
    if decision.ratified_meeting_id is not None:
        raise UserError(_l("This emergency decision has been ratified already."))
    if meeting.org_id != decision.org_id or meeting.held_at <= decision.decided_at:
        raise UserError(_l("An emergency decision is ratified at a meeting held after it."))
    decision.ratified_meeting_id = meeting.id
    decision.ratification_overdue = False
    audit_log(
        "three_important.ratify",
        "three_important_decision",
        decision.id,
        org_id=decision.org_id,
        actor=actor,
        changes={"ratified_at": [None, meeting.minutes_no]},
    )
    return decision


def flag_unratified(org) -> list[Decision]:
    """Flag the emergency decisions that a meeting held since has not ratified (the periodic
    job): they were not reported at the next meeting."""
    flagged = []
    pending = session.scalars(
        select(Decision).where(
            Decision.org_id == org.id,
            Decision.emergency.is_(True),
            Decision.ratified_meeting_id.is_(None),
            Decision.ratification_overdue.is_(False),
        )
    ).all()
    for decision in pending:
        if next_meeting_after(org.id, decision.decided_at) is not None:
            decision.ratification_overdue = True
            flagged.append(decision)
            audit_log(
                "three_important.unratified",
                "three_important_decision",
                decision.id,
                org_id=org.id,
                actor=SYSTEM,
                changes={"ratification_overdue": [False, True]},
            )
    return flagged


# --- the item list with thresholds (SOE-2) ---------------------------------------------------
def draft_item_list(org, thresholds: dict[str, Any], *, actor, year: int | None = None, items=()):
    """A new draft version of the enterprise's item list with its money thresholds."""
    _require(actor, "three_important.record", org)
    problems: list[str] = []
    clean = {}
    for category, raw in (thresholds or {}).items():
        if category not in THRESHOLD_PARAMS:
            problems.append(Problem(f"thresholds.{category}", _l("no threshold for this category")))
            continue
        amount = _amount(raw, problems)
        if amount is None or amount <= 0:
            problems.append(Problem(f"thresholds.{category}", _l("must be a positive amount")))
        else:
            clean[category] = str(amount)
    if problems:
        raise UserError(_l("The item list was not saved."), problems=problems)
    version = (
        session.scalar(select(func.max(ItemList.version)).where(ItemList.org_id == org.id)) or 0
    ) + 1
    row = ItemList(
        org_id=org.id,
        version=version,
        year=year or date.today().year,
        thresholds=clean,
        items=list(items),
    )
    session.add(row)
    session.flush()
    audit_log(
        "three_important.list_draft",
        "three_important_item_list",
        row.id,
        org_id=org.id,
        actor=actor,
        changes={"thresholds": [None, clean]},
    )
    return row


def approve_item_list(row: ItemList, *, actor) -> ItemList:
    """The superior's reviewer approves (receives the filing of) a draft version."""
    org = _org_of(row)
    if actor is not SYSTEM and not may(actor, "three_important.approve_list", org):
        raise UserError(_l("Only a reviewer of a superior organisation approves the item list."))
    if row.state != "draft":
        raise UserError(_l("Only a draft item list is approved."))
    row.state = "approved"
    row.approved_by_id = getattr(actor, "id", None)
    row.approved_at = utcnow()
    audit_log(
        "three_important.list_approve",
        "three_important_item_list",
        row.id,
        org_id=row.org_id,
        actor=actor,
        changes={"state": ["draft", "approved"]},
    )
    return row


def current_list(org) -> ItemList | None:
    return session.scalars(
        select(ItemList)
        .where(ItemList.org_id == org.id, ItemList.state == "approved")
        .order_by(ItemList.version.desc())
    ).first()


def list_is_due(org, today: date | None = None) -> bool:
    """The item list is reviewed yearly: due when no version was approved this year."""
    row = current_list(org)
    return row is None or row.year < (today or date.today()).year


def threshold(org, category: str) -> Decimal | None:
    """The money threshold of ``category``: the approved item list's, else the parameter."""
    if category not in THRESHOLD_PARAMS:
        return None
    row = current_list(org)
    if row is not None and category in row.thresholds:
        return Decimal(row.thresholds[category])
    return Decimal(param_value(org, THRESHOLD_PARAMS[category]))


# --- disclosure ------------------------------------------------------------------------------
def catalogue_entry(org, category: str):
    """The entry of ``org``'s catalogue in force for decisions of ``category`` (the plugin's
    section: ``three_important.<category>``), or None."""
    version = catalogue_version(org)
    if version is None:
        return None
    nodes = list(catalogue_tree(version))
    while nodes:
        node = nodes.pop()
        for entry in node.entries:
            if entry.key == f"three_important.{category}" and entry.item_type == ITEM_TYPE:
                return entry
        nodes.extend(node.children)
    return None


def spawn_item(decision: Decision, *, actor, scope: str = "unit", channels=("meeting",)):
    """Draft a disclosure item of the decision (SOE-7): under the catalogue's 三重一大 entry of
    its category when the catalogue in force has one (its scope and channels), else an
    off-catalogue item (scope ``unit`` by default); it then goes through the normal item
    workflow."""
    org = _org_of(decision)
    entry = catalogue_entry(org, decision.category)
    meeting = session.get(Meeting, decision.meeting_id or decision.ratified_meeting_id or 0)
    extra: dict[str, Any] = {
        "category": decision.category,
        "decision_id": decision.id,
        "minutes_no": meeting.minutes_no if meeting else "",
    }
    if decision.amount is not None:
        extra["amount"] = str(decision.amount)
    item = create_item(
        org,
        {
            "titles": {"zh_Hans_CN": decision.title},
            "bodies": {"zh_Hans_CN": decision.decision_text or decision.title},
            "entry_key": entry.key if entry is not None else None,
            "item_type": ITEM_TYPE,
            "extra": extra,
            "scope": entry.scope if entry is not None else scope,
            "channels": list(entry.channels if entry is not None else channels),
            "planned_at": utcnow() + timedelta(minutes=1),
            "decision_date": decision.decided_at.date(),
        },
        actor=actor,
    )
    decision.item_id = item.id
    audit_log(
        "three_important.spawn",
        "three_important_decision",
        decision.id,
        org_id=decision.org_id,
        actor=actor,
        changes={"item_id": [None, item.id]},
    )
    return item


def item_problems(org, data: dict[str, Any]) -> list[str]:
    """The rules of a 三重一大 item (``validate_item``): at or over the threshold it needs a
    decision (SOE-2), and that decision was taken in a meeting (SOE-3)."""
    extra = data.get("extra") or {}
    category = extra.get("category")
    amount = Decimal(extra["amount"]) if extra.get("amount") not in (None, "") else None
    limit = threshold(org, category) if category else None
    decision_id = extra.get("decision_id")
    decision = session.get(Decision, int(decision_id)) if decision_id else None
    if decision is not None and decision.org_id != org.id:
        decision = None
    problems = []
    if decision_id and decision is None:
        problems.append(Problem("extra.decision_id", _l("no such decision of this organisation")))
    if decision is None and amount is not None and limit is not None and amount >= limit:
        problems.append(
            Problem(
                "extra.decision_id",
                _l(
                    "%(amount)s yuan is at or over the threshold of %(limit)s yuan; it is "
                    "handled as 三重一大 and needs the decision of a meeting",
                    amount=amount,
                    limit=limit,
                ),
            )
        )
    if decision is not None and not decision.taken_in_meeting:
        problems.append(Problem("extra.decision_id", _l("the decision was not taken in a meeting")))
    if decision is not None and category and decision.category != category:
        problems.append(Problem("extra.category", _l("differs from the decision's category")))
    return problems


def other_item_problems(org, data: dict[str, Any]) -> list[str]:
    """An item of another type whose ``amount`` is at or over the large-sum threshold is handled
    as 三重一大 (SOE-2): it must be planned as a 三重一大 decision."""
    raw = (data.get("extra") or {}).get("amount")
    try:
        amount = Decimal(str(raw)) if raw not in (None, "") else None
    except InvalidOperation:
        return []
    limit = threshold(org, "large_funds")
    if amount is not None and amount >= limit:
        return [
            Problem(
                "item_type",
                _l(
                    "%(amount)s yuan is at or over the threshold of %(limit)s yuan; plan it as "
                    "a 三重一大 decision",
                    amount=amount,
                    limit=limit,
                ),
            )
        ]
    return []


def report_section(org, starts_on: date, ends_on: date) -> dict[str, Any]:
    """The 三重一大 section of a half-year report (hook ``report_sections``): the meetings held
    and the decisions taken in the period, by category, with the emergency decisions and those
    still awaiting ratification."""
    zone = local_zone(org)
    start = datetime.combine(starts_on, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(ends_on + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    meetings = session.scalar(
        select(func.count(Meeting.id)).where(
            Meeting.org_id == org.id, Meeting.held_at >= start, Meeting.held_at < end
        )
    )
    decisions = session.execute(
        select(Decision.category, Decision.emergency, Decision.ratified_meeting_id).where(
            Decision.org_id == org.id, Decision.decided_at >= start, Decision.decided_at < end
        )
    ).all()
    by_category = {c: 0 for c in CATEGORIES}
    for category, _emergency, _ratified in decisions:
        by_category[category] = by_category.get(category, 0) + 1
    rows = [
        {
            "key": "meetings",
            "labels": {
                "zh_Hans_CN": "召开决策会议（次）",
                "en": "Decision meetings held",
                "ug": "قارار يىغىنى (قېتىم)",
            },
            "value": meetings or 0,
        },
        *(
            {"key": f"decisions.{c}", "labels": CATEGORY_LABELS[c], "value": by_category[c]}
            for c in CATEGORIES
        ),
        {
            "key": "emergency",
            "labels": {
                "zh_Hans_CN": "临机决策（事后报告）",
                "en": "Emergency decisions",
                "ug": "جىددىي قارار",
            },
            "value": sum(1 for _c, emergency, _r in decisions if emergency),
        },
        {
            "key": "unratified",
            "labels": {
                "zh_Hans_CN": "尚未追认的临机决策",
                "en": "Emergency decisions not yet ratified",
                "ug": "تېخى تەستىقلانمىغان جىددىي قارار",
            },
            "value": sum(1 for _c, emergency, r in decisions if emergency and r is None),
        },
    ]
    return {
        "key": "three_important",
        "titles": {
            "zh_Hans_CN": "“三重一大”事项决策情况",
            "en": "“Three important, one large” decisions",
            "ug": "«ئۈچ مۇھىم، بىر چوڭ» قارارلىرى",
        },
        "rows": rows,
    }
