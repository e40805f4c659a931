"""Console pages of 三重一大 under ``/admin/o/<org_code>/three-important/`` (404 where the
organisation has not enabled the plugin: core's guard)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.toolkit import (
    NotFound,
    UserError,
    _,
    _l,
    ascii_int,
    current_org,
    local_zone,
    localised,
    may,
    object_or_404,
    render,
    require,
    require_sign_in,
    session,
)

from . import operations as ops
from .models import BODIES, CATEGORY_LABELS, MEETING_TYPES, Decision, ItemList, Meeting

bp = Blueprint(
    "three_important",
    __name__,
    url_prefix="/admin/o/<org_code>/three-important",
)
bp.before_request(require_sign_in)


def body_label(code: str) -> str:
    return {
        "party_committee": _("Party committee meeting"),
        "board": _("Board of directors"),
        "gm_office": _("General manager's office meeting"),
    }.get(code, code)


def when(moment) -> str:
    return moment.astimezone(local_zone(current_org())).strftime("%Y-%m-%d %H:%M") if moment else ""


def meeting_name(meeting) -> str:
    """A meeting as people write it: 2026年第2次总经理办公会 (its minutes number, a code, stays
    in the files and the API)."""
    return _("%(body)s no. %(n)s of %(year)s", body=body_label(meeting.body), n=meeting.number,
             year=meeting.year)  # fmt: skip


@bp.context_processor
def helpers():
    return {
        "body_label": body_label,
        "when": when,
        "localised": localised,
        "meeting_name": meeting_name,
    }


@bp.get("/")
def index():
    org = require("three_important.view")
    meetings = session.scalars(
        select(Meeting).where(Meeting.org_id == org.id).order_by(Meeting.held_at.desc())
    ).all()
    emergencies = session.scalars(
        select(Decision)
        .where(Decision.org_id == org.id, Decision.emergency.is_(True))
        .order_by(Decision.decided_at.desc())
    ).all()
    return render(
        "three_important/index.html",
        org=org,
        meetings=meetings,
        emergencies=emergencies,
        may_record=may(current_user, "three_important.record", org),
        categories=CATEGORY_LABELS,
        meetings_after=lambda d: [m for m in meetings if m.held_at > d.decided_at],
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _pairs(text: str) -> list[tuple[str, ...]]:
    return [tuple(p.strip() for p in line.replace("：", ":").split(":")) for line in _lines(text)]


@bp.route("/meetings/new", methods=["GET", "POST"])
def new_meeting():
    org = require("three_important.record")
    errors: list[str] = []
    if request.method == "POST":
        form = request.form
        held_at = form.get("held_at", "")
        try:
            held = datetime.fromisoformat(held_at).replace(tzinfo=local_zone(org))
        except ValueError:
            held = held_at
        data = {
            "body": form.get("body"),
            "meeting_type": form.get("meeting_type"),
            "mode": form.get("mode") or "meeting",
            "held_at": held,
            "place": form.get("place"),
            "chair": form.get("chair"),
            "expected_members": _lines(form.get("expected_members", "")),
            "present_members": _lines(form.get("present_members", "")),
            "absentees": [
                {"name": p[0], "reason": p[1] if len(p) > 1 else ""}
                for p in _pairs(form.get("absentees", ""))
            ],
            "attendees": _lines(form.get("attendees", "")),
            "note_taker": form.get("note_taker"),
        }
        try:
            meeting = ops.record_meeting(org, data, actor=current_user)
        except UserError as exc:
            errors = list(exc.problems or [str(exc)])
        else:
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return (
        render(
            "three_important/meeting_form.html",
            org=org,
            bodies=BODIES,
            meeting_types=MEETING_TYPES,
            errors=errors,
            form=request.form,
        ),
        400 if errors else 200,
    )


VOTE_LABELS = {"agree": _l("Agree"), "disagree": _l("Disagree"), "abstain": _l("Abstain")}
"""The opinions a member gives on a matter (codes: ``models.OPINIONS``), in words."""


def speaking_order(record: Meeting) -> list[str]:
    """The present members in the order they speak on a matter: as recorded, the chair last."""
    others = [m for m in record.present_members if m != record.chair]
    return others + ([record.chair] if record.chair in record.present_members else [])


def _meeting_page(org, record: Meeting, *, errors=None, form=None, ratified=None):
    decisions = session.scalars(
        select(Decision).where(Decision.meeting_id == record.id).order_by(Decision.seq)
    ).all()
    if ratified is None:
        ratified = session.scalars(
            select(Decision).where(Decision.ratified_meeting_id == record.id)
        ).all()
    return render(
        "three_important/meeting.html",
        org=org,
        meeting=record,
        decisions=decisions,
        ratified=ratified,
        categories=CATEGORY_LABELS,
        may_record=may(current_user, "three_important.record", org),
        speakers=speaking_order(record),
        votes=VOTE_LABELS,
        errors=errors or [],
        form=form or {},
    )


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int):
    org = require("three_important.view")
    return _meeting_page(org, object_or_404(Meeting, meeting_id))


@bp.post("/meetings/<int:meeting_id>/decisions")
def add_decision(meeting_id: int):
    org = require("three_important.record")
    record = object_or_404(Meeting, meeting_id)
    form = request.form
    opinions = [
        {
            "member": member,
            "opinion": form.get(f"vote-{n}", ""),
            "text": form.get(f"opinion-{n}", ""),
        }
        for n, member in enumerate(speaking_order(record))
    ]
    data = {
        "category": form.get("category"),
        "title": form.get("title"),
        "amount": form.get("amount"),
        "decision_text": form.get("decision_text"),
        "opinions": opinions,
        "study_meeting_id": form.get("study_meeting_id") or None,
    }
    try:
        ops.record_decision(record, data, actor=current_user)
    except UserError as exc:
        errors = [str(p).partition(": ")[2] or str(p) for p in exc.problems] or [str(exc)]
        return _meeting_page(org, record, errors=errors, form=form, ratified=[]), 400
    return redirect(url_for(".meeting", meeting_id=record.id))


@bp.get("/lists")
def lists():
    org = require("three_important.view")
    rows = session.scalars(
        select(ItemList).where(ItemList.org_id == org.id).order_by(ItemList.version.desc())
    ).all()
    return render(
        "three_important/lists.html",
        org=org,
        rows=rows,
        due=ops.list_is_due(org),
        thresholds={c: ops.threshold(org, c) for c in ops.THRESHOLD_PARAMS},
        categories=CATEGORY_LABELS,
        may_record=may(current_user, "three_important.record", org),
        may_approve=may(current_user, "three_important.approve_list", org),
    )


def _matter(org, matter_id: int) -> Decision:
    decision = session.get(Decision, matter_id)
    if decision is None or decision.org_id != org.id:
        raise NotFound(_l("No such decision."))
    return decision


def _moment(text: str):
    try:
        return datetime.fromisoformat(text).replace(tzinfo=local_zone(current_org()))
    except (TypeError, ValueError):
        return text


@bp.post("/emergencies")
def add_emergency():
    """Record an emergency decision taken by one person (SOE-7)."""
    org = require("three_important.record")
    form = request.form
    ops.record_emergency(
        org,
        {
            "category": form.get("category"),
            "title": form.get("title"),
            "amount": form.get("amount"),
            "decided_by": form.get("decided_by"),
            "decided_at": _moment(form.get("decided_at", "")),
            "decision_text": form.get("decision_text"),
        },
        actor=current_user,
    )
    return redirect(url_for(".index"))


@bp.post("/matters/<int:matter_id>/ratify")
def ratify(matter_id: int):
    """Ratify an emergency decision at a meeting held after it (SOE-7)."""
    org = require("three_important.record")
    decision = _matter(org, matter_id)
    meeting_id = ascii_int(request.form.get("meeting_id", ""), minimum=1)
    if meeting_id is None:
        raise UserError(_l("Choose the meeting that ratifies the decision."))
    ops.ratify(decision, object_or_404(Meeting, meeting_id), actor=current_user)
    return redirect(url_for(".index"))


@bp.post("/matters/<int:matter_id>/disclose")
def disclose(matter_id: int):
    """Draft a disclosure item of a decision (scope ``unit``); it follows the item workflow."""
    org = require("three_important.record")
    decision = _matter(org, matter_id)
    if decision.item_id is not None:
        raise UserError(_l("This decision has a disclosure item already."))
    item = ops.spawn_item(decision, actor=current_user)
    return redirect(url_for("items_admin.detail", org_code=org.code, item_id=item.id))


@bp.post("/lists")
def add_list():
    """A new draft version of the item list with its thresholds (SOE-2)."""
    org = require("three_important.record")
    thresholds = {
        code: request.form[code] for code in ops.THRESHOLD_PARAMS if request.form.get(code)
    }
    year = ascii_int(request.form.get("year", ""), minimum=1, maximum=9999)
    ops.draft_item_list(org, thresholds, actor=current_user, year=year)
    return redirect(url_for(".lists"))


@bp.post("/lists/<int:list_id>/approve")
def approve_list(list_id: int):
    """The superior's reviewer approves the draft (the filing with the superior, SOE-2)."""
    org = require("three_important.approve_list")
    row = session.get(ItemList, list_id)
    if row is None or row.org_id != org.id:
        raise NotFound(_l("No such item list."))
    ops.approve_item_list(row, actor=current_user)
    return redirect(url_for(".lists"))
