"""Item operations: the only code that changes items.

Each public function validates, runs at most one workflow transition, and sends the domain event
(``core.events``) that the register and the search index listen to — all in the caller's unit of
work. Times are UTC; dates that users think in (decision date, due dates) are the organisation's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select

from core import audit, db, events, localtime, permissions, problem, receipts
from core import text as text_cleaning
from core.catalogue import operations as catalogue
from core.catalogue import rules as catalogue_rules
from core.catalogue import schedule
from core.catalogue.models import SCOPES
from core.errors import Problem, UserError
from core.i18n import _
from core.items import content, timeliness, types
from core.items import workflow as wf
from core.items.models import (
    AMENDMENT_REASONS,
    OBJECTION_OUTCOMES,
    OBJECTION_REMEDIES,
    REFUSAL_REASONS,
    REVOCATION_REASONS,
    Attachment,
    Item,
    ItemAudience,
    ItemReview,
    ItemVersion,
    NoticeCloseAttempt,
    Objection,
)

# The checks the workflow shares live in core.items.rules; callers keep reading them here.
from core.items.rules import latest_review as latest_review
from core.items.rules import needs_superior, pending_version
from core.items.rules import plan_problems as plan_problems
from core.items.rules import versions as versions
from core.params import operations as params
from core.workflow import engine
from core.workflow.engine import SYSTEM
from tenants.models import Organisation, User

PLAN_FIELDS = (
    "entry_key",
    "period_key",
    "scope",
    "channels",
    "planned_at",
    "decision_date",
    "internal_first",
    "is_notice",
    "notice_days",
    "involves_secrets",
    "item_type",
    "extra",
)
REPLAN_STATES = ("reviewed", "superior_review", "approved", "scheduled")
DECISION_STATES = ("superior_review", "amendment_pending", "revocation_pending")
"""The states in which an item waits for the superior (its inbox)."""
OBJECTION_LIMIT = "10 per hour;3 per minute"
"""Objections one address may lodge (no account is needed, so the address is what we have)."""
OBJECTION_MAX = {"text": 5000, "name": 100, "contact": 200}
OBJECTION_LOOKUP_LIMIT = "30 per hour;10 per minute"
"""Objection look-ups one address may make (a receipt and a code are guessed otherwise)."""
OBJECTION_HANDLING_MAX = 4000


# --- reading ---------------------------------------------------------------------------------


def get(org: Organisation, item_id: int) -> Item | None:
    """The item ``item_id`` if it belongs to ``org`` (views 404 otherwise)."""
    found = db.session.get(Item, item_id)
    return found if found is not None and found.org_id == org.id else None


def reviews(item: Item) -> list[ItemReview]:
    return list(
        db.session.scalars(
            select(ItemReview).where(ItemReview.item_id == item.id).order_by(ItemReview.id)
        )
    )


def attachments(item: Item, version: ItemVersion | None = None) -> list[Attachment]:
    version = version or item.current_version
    if version is None:
        return []
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.version_id == version.id).order_by(Attachment.id)
        )
    )


def objections(item: Item) -> list[Objection]:
    return list(
        db.session.scalars(
            select(Objection).where(Objection.item_id == item.id).order_by(Objection.id)
        )
    )


def history(item: Item):
    return engine.history(wf.item, item)


# --- the plan --------------------------------------------------------------------------------


def _texts(value: Any, name: str, problems: list) -> dict[str, str]:
    return catalogue_rules.texts(value or {}, name, problems, required=True)


def _as_utc(value: Any, field: str, problems: list) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            problems.append(problem.not_a_moment(field, value))
            return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        problems.append(problem.not_a_moment(field, value))
        return None
    return value.astimezone(UTC)


def _as_date(value: Any, field: str, problems: list) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(problem.not_a_date(field, value))
        return None


def period_for(cadence: str | None, day: date) -> str | None:
    """The period key (as in the schedule) that ``day`` falls in, for a periodic cadence."""
    if cadence in ("standing", "yearly"):
        return f"{day.year}"
    if cadence == "monthly":
        return f"{day.year}-M{day.month:02d}"
    if cadence == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if cadence == "half_yearly":
        return f"{day.year}-H{1 if day.month <= 6 else 2}"
    return None


def clean_plan(
    org: Organisation, data: dict[str, Any], *, current: Item | None = None
) -> tuple[dict, list[str]]:
    """Check the plan fields given in ``data`` (merged over ``current``)."""
    problems: list = []
    merged = {f: getattr(current, f) for f in PLAN_FIELDS} if current else {}
    merged.update({k: v for k, v in data.items() if k in PLAN_FIELDS})
    out: dict[str, Any] = {}
    entry_key = merged.get("entry_key") or None
    effective = catalogue.effective_version(org)
    entry = None
    if entry_key:
        if effective is None:
            problems.append(Problem("entry_key", _("The unit has no catalogue in force.")))
        else:
            entry = next((e for e in catalogue.entries(effective) if e.key == entry_key), None)
            if entry is None:
                problems.append(
                    Problem("entry_key", _("This entry is not in the catalogue in force."))
                )
    out["entry_key"] = entry_key
    out["catalogue_version_id"] = effective.id if (entry_key and effective) else None
    out["cadence"] = entry.cadence if entry else None
    if entry is not None:
        categories = {c.id: c.key for c in catalogue.categories(effective)}
        out["category_key"] = categories.get(entry.category_id)
    else:
        out["category_key"] = None
    scope = merged.get("scope")
    if scope not in SCOPES:
        problems.append(
            problem.one_of("scope", scope, SCOPES) if scope else problem.required("scope")
        )
    out["scope"] = scope
    keep = (current.channels or ()) if current is not None else ()  # a retired one stays
    suitable = (
        set(catalogue.channels_for_scope(scope, org, keep=keep)) if scope in SCOPES else set()
    )
    known = set(catalogue.channels_for_scope("public", org, keep=keep)) | set(
        catalogue.channels_for_scope("unit", org, keep=keep)
    )
    out["channels"], found = catalogue_rules.channel_problems(
        merged.get("channels") or [], scope, org, known, suitable
    )
    problems += found
    out["planned_at"] = _as_utc(merged.get("planned_at"), "planned_at", problems)
    out["decision_date"] = _as_date(merged.get("decision_date"), "decision_date", problems)
    out["internal_first"] = bool(merged.get("internal_first", True))
    out["is_notice"] = bool(merged.get("is_notice", False))
    out["involves_secrets"] = bool(merged.get("involves_secrets", False))
    notice_days = merged.get("notice_days")
    minimum = params.value(org, "notice.min_days")
    if out["is_notice"]:
        try:
            notice_days = (
                int(notice_days)
                if notice_days not in (None, "")
                else (entry.notice_days if entry and entry.notice_days else minimum)
            )
        except (TypeError, ValueError):
            problems.append(problem.whole_number("notice_days"))
            notice_days = None
        if notice_days is not None and notice_days < minimum:
            problems.append(problem.notice_too_short("notice_days", minimum))
        out["notice_days"] = notice_days
    else:
        out["notice_days"] = None
    period_key = merged.get("period_key") or None
    if entry is not None and out["decision_date"] and not period_key:
        period_key = period_for(entry.cadence, out["decision_date"])
    if period_key and entry is not None:
        year = text_cleaning.ascii_int(str(period_key)[:4], minimum=1, maximum=9999)
        expected = (
            {e.period_key for e in schedule.expected(effective, year) if e.entry_key == entry.key}
            if year
            else set()
        )
        if entry.cadence not in schedule.EVENT_CADENCES and period_key not in expected:
            problems.append(Problem("period_key", _("Choose one of the periods of this entry.")))
    out["period_key"] = (
        period_key if entry is not None and entry.cadence not in schedule.EVENT_CADENCES else None
    )
    _clean_type(org, data, merged, entry, current, out, problems)
    return out, problems


def _clean_type(org, data, merged, entry, current, out, problems) -> None:
    """A plugin's item type (hook ``item_types``) and its extra fields: the type of the entry,
    or the one chosen for an off-catalogue item; the values are cleaned for its fields."""
    known = types.types_for(org)
    entry_type = entry.item_type if entry is not None and entry.item_type else None
    chosen = merged.get("item_type") or None
    item_type = entry_type or chosen
    if entry_type is None and chosen and chosen not in known:
        problems.append(
            Problem("item_type", _("“%(code)s” is not an item type of this unit.", code=chosen))
        )
    out["item_type"] = item_type
    definition = known.get(item_type) if item_type else None
    if definition is None and current is not None and current.item_type == item_type:
        # the type is no longer offered (its plugin was disabled): keep the values as they are
        if (data.get("extra") or {}) and data.get("extra") != current.extra:
            problems.append(
                Problem("extra", _("This item type is no longer offered here; its fields stay."))
            )
        out["extra"] = dict(current.extra or {})
        return
    extra, extra_problems = types.clean_extra(
        definition, merged.get("extra"), strict="extra" in data
    )
    problems += extra_problems
    out["extra"] = extra


def validation_problems(org, item, plan: dict, titles: dict, bodies: dict) -> list[str]:
    """What the enabled plugins refuse (hook ``validate_item``) in the cleaned ``plan``."""
    return types.validate(org, item, {**plan, "titles": titles, "bodies": bodies})


def _set_audience(item: Item, audience: dict[str, list] | None) -> None:
    if audience is None:
        return
    db.session.execute(ItemAudience.__table__.delete().where(ItemAudience.item_id == item.id))
    problems = []
    for code in audience.get("orgs", []):
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        if org is None or org.root_id != item.root_id:
            problems.append(
                Problem("audience", _("No organisation “%(code)s” in this county.", code=code))
            )
        else:
            db.session.add(ItemAudience(item_id=item.id, org_id=org.id))
    for username in audience.get("users", []):
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            problems.append(Problem("audience", _("No user “%(name)s”.", name=username)))
        else:
            db.session.add(ItemAudience(item_id=item.id, user_id=user.id))
    if problems:
        raise UserError(_("The audience was not saved."), problems=problems)
    if item.scope == "specific" and not (audience.get("orgs") or audience.get("users")):
        raise UserError(
            _("A specific scope needs at least one organisation or person."),
            problems=[Problem("audience", _("Name at least one organisation or person."))],
        )
    db.session.flush()


def audience(item: Item) -> dict[str, list[str]]:
    rows = db.session.execute(
        select(Organisation.code, User.username)
        .select_from(ItemAudience)
        .outerjoin(Organisation, Organisation.id == ItemAudience.org_id)
        .outerjoin(User, User.id == ItemAudience.user_id)
        .where(ItemAudience.item_id == item.id)
    ).all()
    return {"orgs": sorted(c for c, _u in rows if c), "users": sorted(u for _c, u in rows if u)}


def create(org: Organisation, data: dict[str, Any], *, actor, attachments=()) -> Item:
    """A new item in ``draft``: its plan and its first version (title and body per locale), and
    its ``attachments`` (``[(filename, bytes)]``, each checked before anything is saved)."""
    from core import permissions

    if actor is not SYSTEM and not permissions.may(actor, "items.edit", org):
        raise UserError(_("Only an admin or editor of this unit may draft items."))
    problems: list = []
    titles = _texts(data.get("titles"), "title", problems)
    bodies = _texts(data.get("bodies"), "content", problems)
    plan, plan_errors = clean_plan(org, data)
    problems += plan_errors + attachment_problems(attachments)
    if not problems:
        problems = validation_problems(org, None, plan, titles, bodies)
    if problems:
        raise UserError(_("The item was not saved."), problems=problems)
    item = Item(
        org_id=org.id,
        root_id=org.root_id,
        state="draft",
        visible_scope="unit",
        created_by_id=getattr(actor, "id", None),
        **plan,
    )
    db.session.add(item)
    db.session.flush()
    version = ItemVersion(
        item_id=item.id,
        number=1,
        titles=titles,
        bodies=bodies,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    item.current_version_id = version.id
    _set_audience(item, data.get("audience"))
    db.session.flush()
    for filename, content_bytes in attachments:
        add_attachment(item, filename, content_bytes, actor=actor)
    audit.log(
        "item.create",
        "item",
        item.id,
        org_id=org.id,
        actor=actor,
        changes={"title": [None, titles.get("zh_Hans_CN")], "entry": [None, plan["entry_key"]]},
    )
    return item


def update(item: Item, data: dict[str, Any], *, actor, attachments=()) -> bool:
    """Change the plan or content (or add ``attachments``) before publication. After the review a
    change of the plan or content returns the item to review (PUB-4)."""
    from core import permissions

    if not permissions.may(actor, "items.edit", item.organisation):
        raise UserError(_("Only an admin or editor of this unit may change items."))
    if item.state not in ("draft", "proposed", *REPLAN_STATES):
        raise UserError(_("A published item is changed by an amendment."))
    problems: list = []
    version = item.current_version
    titles = _texts(data["titles"], "title", problems) if "titles" in data else version.titles
    bodies = _texts(data["bodies"], "content", problems) if "bodies" in data else version.bodies
    plan, plan_errors = clean_plan(item.organisation, data, current=item)
    problems += plan_errors + attachment_problems(attachments)
    if not problems:
        problems = validation_problems(item.organisation, item, plan, titles, bodies)
    if problems:
        raise UserError(_("The item was not saved."), problems=problems)
    before = {
        **{f: getattr(item, f) for f in plan},
        "titles": version.titles,
        "bodies": version.bodies,
    }
    after = {**plan, "titles": titles, "bodies": bodies}
    delta = audit.diff(
        {k: str(v) for k, v in before.items()}, {k: str(v) for k, v in after.items()}
    )
    if not delta and "audience" not in data and not attachments:
        return False
    if item.state in REPLAN_STATES:
        engine.run(wf.item, item, "replan", actor=actor)
    for name, value in plan.items():
        setattr(item, name, value)
    version.titles, version.bodies = titles, bodies
    _set_audience(item, data.get("audience"))
    db.session.flush()
    for filename, content_bytes in attachments:
        add_attachment(item, filename, content_bytes, actor=actor)
    audit.log("item.update", "item", item.id, org_id=item.org_id, actor=actor, changes=delta)
    return True


def add_attachment(
    item: Item, filename: str, data: bytes, *, actor, version: ItemVersion | None = None
) -> Attachment:
    version = version or (
        pending_version(item) if item.state == "amendment_pending" else item.current_version
    )
    if (
        item.state not in ("draft", "proposed", "amendment_pending")
        and version.id == item.current_version_id
    ):
        raise UserError(_("Attachments are added while drafting, or to an amendment."))
    att = Attachment(
        item_id=item.id,
        version_id=version.id,
        **content.store_attachment(filename, data, actor),
    )
    db.session.add(att)
    db.session.flush()
    audit.log(
        "item.attachment",
        "item",
        item.id,
        org_id=item.org_id,
        actor=actor,
        changes={"attachment": [None, att.filename]},
    )
    return att


def attachment_problems(files) -> list:
    """What is wrong with each upload of ``files`` (``[(filename, bytes)]``), as problems of the
    field ``attachments`` (nothing is stored)."""
    problems = []
    for filename, data in files:
        try:
            content.check_attachment(filename, data)
        except UserError as exc:
            problems.append(Problem("attachments", exc.message))
    return problems


def add_attachments(item: Item, files, *, actor) -> list[Attachment]:
    """Several uploads at once (a console form): every file is checked first, and one bad file
    stores none (one problem per bad file)."""
    from core import permissions

    if actor is not SYSTEM and not permissions.may(actor, "items.edit", item.organisation):
        raise UserError(_("Only an admin or editor of this unit may add attachments."))
    if not files:
        raise UserError(
            _("Choose at least one file."),
            problems=[Problem("attachments", _("No file was chosen."))],
        )
    problems = attachment_problems(files)
    if problems:
        raise UserError(_("No file was attached."), problems=problems)
    return [add_attachment(item, filename, data, actor=actor) for filename, data in files]


# --- the workflow ----------------------------------------------------------------------------


def propose(item: Item, *, actor) -> Item:
    """Propose the plan for the review; the enabled plugins may refuse it (``validate_item``,
    asked once the workflow allows the step)."""

    def validate(it: Item) -> None:
        version = it.current_version or pending_version(it)
        plan = {f: getattr(it, f) for f in (*PLAN_FIELDS, "cadence", "category_key")}
        titles = dict(version.titles) if version else {}
        bodies = dict(version.bodies) if version else {}
        problems = validation_problems(it.organisation, it, plan, titles, bodies)
        if problems:
            raise UserError(_("The item cannot be proposed."), problems=problems)

    engine.run(wf.item, item, "propose", actor=actor, validate=validate)
    return item


def review(
    item: Item,
    *,
    actor,
    secrecy_passed: bool,
    secrecy_basis: str,
    necessity_ok: bool,
    accuracy_ok: bool,
    comment: str | None = None,
    refuse_reason: str | None = None,
) -> ItemReview:
    """Record the review (PUB-2). All checks passed → ``reviewed``; a failed check returns the
    item for revision (comment required); ``refuse_reason`` (SEC-1) refuses it for good."""
    if not (secrecy_basis or "").strip():
        raise UserError(
            _("The secrecy review needs its basis."),
            problems=[Problem("secrecy_basis", _("Give the basis of the secrecy review."))],
        )
    if refuse_reason is not None and refuse_reason not in REFUSAL_REASONS:
        raise UserError(
            _("Unknown refusal reason."),
            problems=[problem.one_of("refuse_reason", refuse_reason, REFUSAL_REASONS)],
        )
    passed = secrecy_passed and necessity_ok and accuracy_ok and refuse_reason is None
    name = "review" if passed else ("refuse" if refuse_reason else "return_to_draft")
    record = ItemReview(
        item_id=item.id,
        version_id=item.current_version_id,
        secrecy_passed=secrecy_passed,
        secrecy_basis=secrecy_basis.strip(),
        necessity_ok=necessity_ok,
        accuracy_ok=accuracy_ok,
        comment=comment,
        reviewer_id=getattr(actor, "id", None),
        reviewer_label=getattr(actor, "username", ""),
    )

    def effect(it: Item) -> None:
        db.session.add(record)
        if name == "refuse":
            it.refusal_reason = refuse_reason
            it.involves_secrets = (
                refuse_reason in ("state_secret", "party_secret") or it.involves_secrets
            )

    inputs = {
        "comment": comment,
        "reason": refuse_reason,
        "secrecy_basis": secrecy_basis,
        "secrecy_passed": secrecy_passed,
        "necessity_ok": necessity_ok,
        "accuracy_ok": accuracy_ok,
    }
    engine.run(wf.item, item, name, actor=actor, inputs=inputs, effect=effect)
    return record


def return_to_draft(item: Item, *, actor, comment: str) -> Item:
    engine.run(wf.item, item, "return_to_draft", actor=actor, inputs={"comment": comment})
    return item


def approve(item: Item, *, actor) -> Item:
    """Approve within the unit, or submit to the superior when the item needs it (PUB-3)."""
    name = "escalate" if needs_superior(item) else "approve"
    engine.run(wf.item, item, name, actor=actor)
    return item


def superior_decide(item: Item, *, actor, approve: bool, comment: str | None = None) -> Item:
    name = "superior_approve" if approve else "superior_return"
    engine.run(wf.item, item, name, actor=actor, inputs={"comment": comment})
    return item


def schedule_publication(item: Item, *, actor) -> Item:
    """Schedule (a job publishes it at the planned time; the sweep catches up if it was missed)."""
    from core import jobs

    engine.run(wf.item, item, "schedule", actor=actor)
    jobs.enqueue(
        publish_due_item, item.id, org_id=item.org_id, at=max(item.planned_at, db.utcnow())
    )
    return item


def _due_and_late(item: Item, published_day: date) -> tuple[date | None, bool]:
    org = item.organisation
    if item.cadence == "immediate" and item.decision_date:
        due = item.decision_date + timedelta(days=params.value(org, "catalogue.immediate_due_days"))
        return due, published_day > due
    if item.entry_key and item.period_key and item.catalogue_version_id:
        from core.catalogue.models import CatalogueVersion

        version = db.session.get(CatalogueVersion, item.catalogue_version_id)
        year = int(item.period_key[:4])
        for expected in schedule.expected(version, year):
            if expected.entry_key == item.entry_key and expected.period_key == item.period_key:
                return expected.due, published_day > expected.due
    return None, False


def publish(item: Item, *, actor=SYSTEM) -> Item:
    """Publish per the approved plan: scope (internal first), channels, time; register it."""
    org = item.organisation
    now = db.utcnow()

    def effect(it: Item) -> None:
        it.published_at = now
        it.current_version.published_at = now
        it.current_version.approved_at = it.current_version.approved_at or now
        days = params.value(org, "scope.internal_first_days")
        if it.scope == "public" and it.internal_first and days > 0:
            it.visible_scope, it.widen_at = "party_wide", now + timedelta(days=days)
        else:
            it.visible_scope, it.widen_at = it.scope, None
        if it.is_notice:
            it.notice_ends_at = now + timedelta(days=it.notice_days)
        it.due_on, it.late = _due_and_late(it, localtime.date_of(now, org))

    engine.run(wf.item, item, "publish", actor=actor, effect=effect)
    timeliness.record_publication(item)
    events.item_published.send(item, actor=actor, version=item.current_version)
    return item


def publish_due_item(item_id: int) -> bool:
    """Job: publish one scheduled item whose time has come (no-op otherwise)."""
    item = db.session.get(Item, item_id, with_for_update={"of": Item})  # the sweep may be at it too
    if item is None or item.state != "scheduled" or item.planned_at > db.utcnow():
        return False
    publish(item)
    return True


def close(item: Item, *, actor=SYSTEM) -> Item:
    """Close a published item; a notice closes only once its period ended (PUB-5). A person's
    attempt to close a notice early is refused and kept on record although nothing changed
    (:func:`core.db.keep`): the supervision flags it (SUP-2)."""

    def effect(it: Item) -> None:
        it.closed_at = db.utcnow()

    try:
        engine.run(wf.item, item, "close", actor=actor, effect=effect)
    except engine.TransitionRefused:
        if notice_open(item) and not permissions.is_system(actor):
            _keep_close_attempt(item, actor)
        raise
    events.item_closed.send(item, actor=actor)
    return item


def _keep_close_attempt(item: Item, actor) -> None:
    at, ends = db.utcnow(), item.notice_ends_at
    facts = {
        "org_id": item.org_id,
        "item_id": item.id,
        "actor_id": getattr(actor, "id", None),
        "actor_label": getattr(actor, "username", "") or "",
    }
    db.keep(lambda: NoticeCloseAttempt(**facts, at=at, notice_ends_at=ends))
    db.keep(
        lambda: audit.AuditEntry(
            action="item.close_refused",
            object_type="item",
            object_id=str(item.id),
            org_id=item.org_id,
            actor_id=facts["actor_id"],
            actor_label=facts["actor_label"] or "system",
            changes={"notice_ends_at": [ends.isoformat() if ends else None, None]},
        )
    )


def withhold(item: Item, *, actor, reason: str) -> Item:
    """暂不公开: withheld with a reason and filed with the superior (PUB-6)."""
    parent = (
        db.session.get(Organisation, item.organisation.parent_id)
        if item.organisation.parent_id
        else None
    )

    def effect(it: Item) -> None:
        it.withheld_reason = reason.strip()

    engine.run(wf.item, item, "withhold", actor=actor, inputs={"reason": reason}, effect=effect)
    events.item_withheld.send(item, actor=actor, reason=reason.strip(), filed_with=parent)
    return item


FILING_READERS = wf.FILING_READERS
FILING_NOTE_MAX = 2000


def acknowledge_filing(item: Item, *, actor, note: str | None = None) -> Item:
    """A superior's admin or reviewer acknowledges the filing of a withheld item (PUB-6): read,
    with an optional note; the item does not change otherwise."""
    from core import permissions

    if item.state != "withheld":
        raise UserError(_("Only a withheld item is filed with the superior."))
    if not permissions.may(actor, "items.receive_filing", item):
        raise UserError(
            _("Only an admin or reviewer of a superior organisation may acknowledge a filing.")
        )
    if item.filing_acknowledged_at is not None:
        raise UserError(_("This filing was acknowledged already."))
    note = (note or "").strip()
    if len(note) > FILING_NOTE_MAX:
        raise UserError(_("A note has at most %(max)s characters.", max=FILING_NOTE_MAX))
    item.filing_acknowledged_at = db.utcnow()
    item.filing_acknowledged_by_id = getattr(actor, "id", None)
    item.filing_acknowledgement = note or None
    db.session.flush()
    audit.log(
        "item.filing_acknowledged",
        "item",
        item.id,
        org_id=item.org_id,
        actor=actor,
        changes={"acknowledged": [None, True], "note": [None, item.filing_acknowledgement]},
    )
    return item


def request_amendment(
    item: Item, *, actor, titles=None, bodies=None, explanation: str, reason: str = "update"
) -> ItemVersion:
    """A new version with its explanation and reason (:data:`AMENDMENT_REASONS`; a
    ``correction`` of false content is public and flagged for the supervision, SUP-2), waiting
    for the catalogue owner's approval (PUB-7)."""
    problems: list = []
    if reason not in AMENDMENT_REASONS:
        problems.append(Problem("reason", _("Choose one of the reasons of an amendment.")))
    current = item.current_version
    new_titles = _texts(titles, "title", problems) if titles is not None else dict(current.titles)
    new_bodies = _texts(bodies, "content", problems) if bodies is not None else dict(current.bodies)
    if problems:
        raise UserError(_("The amendment was not saved."), problems=problems)
    if new_titles == current.titles and new_bodies == current.bodies:
        raise UserError(_("The amendment changes nothing."))
    number = 1 + (
        db.session.scalar(
            select(func.max(ItemVersion.number)).where(ItemVersion.item_id == item.id)
        )
        or 0
    )
    version = ItemVersion(
        item_id=item.id,
        number=number,
        titles=new_titles,
        bodies=new_bodies,
        explanation=(explanation or "").strip(),
        reason=reason,
        created_by_id=getattr(actor, "id", None),
    )

    def effect(_it: Item) -> None:
        db.session.add(version)
        db.session.flush()

    engine.run(
        wf.item,
        item,
        "request_amendment",
        actor=actor,
        inputs={"explanation": explanation},
        effect=effect,
    )
    return version


def decide_amendment(item: Item, *, actor, approve: bool, comment: str | None = None) -> Item:
    version = pending_version(item)
    if version is None:
        raise UserError(_("There is no amendment to decide."))

    def effect(it: Item) -> None:
        if approve:
            now = db.utcnow()
            version.approved_at = version.published_at = now
            it.current_version_id = version.id
            db.session.flush()
            db.session.refresh(it, ["current_version"])

    name = "approve_amendment" if approve else "reject_amendment"
    engine.run(wf.item, item, name, actor=actor, inputs={"comment": comment}, effect=effect)
    if approve:
        events.item_amended.send(
            item, actor=actor, version=version, explanation=version.explanation
        )
    return item


def request_revocation(item: Item, *, actor, explanation: str, reason: str = "other") -> Item:
    """Propose to revoke a published item with an explanation and a reason
    (:data:`REVOCATION_REASONS`: ``secrecy`` is a secrecy incident, SUP-2)."""
    if reason not in REVOCATION_REASONS:
        raise UserError(
            _("The revocation was not saved."),
            problems=[Problem("reason", _("Choose one of the reasons of a revocation."))],
        )

    def effect(it: Item) -> None:
        it.revocation_explanation = explanation.strip()
        it.revocation_reason = reason

    engine.run(
        wf.item,
        item,
        "request_revocation",
        actor=actor,
        inputs={"explanation": explanation},
        effect=effect,
    )
    return item


def decide_revocation(item: Item, *, actor, approve: bool, comment: str | None = None) -> Item:
    def effect(it: Item) -> None:
        if not approve:
            it.revocation_explanation = it.revocation_reason = None

    name = "approve_revocation" if approve else "reject_revocation"
    explanation = item.revocation_explanation
    engine.run(wf.item, item, name, actor=actor, inputs={"comment": comment}, effect=effect)
    if approve:
        events.item_revoked.send(item, actor=actor, explanation=explanation)
    return item


STEPS = {
    "propose": propose,
    "review": review,
    "return_to_draft": return_to_draft,
    "approve": approve,
    "superior_decide": superior_decide,
    "schedule": schedule_publication,
    "publish": publish,
    "close": close,
    "withhold": withhold,
    "request_amendment": request_amendment,
    "decide_amendment": decide_amendment,
    "request_revocation": request_revocation,
    "decide_revocation": decide_revocation,
}
"""The steps of an item by name, each the operation that runs it (``approve`` submits to the
superior when the item needs it; the ``decide_*`` steps take ``approve`` and ``comment``)."""


def run_step(item: Item, name: str, *, actor=SYSTEM, **inputs) -> Item:
    """Run the step ``name`` of :data:`STEPS` on ``item`` with its inputs (e.g. ``reason``)."""
    if name not in STEPS:
        raise UserError(_("This step does not exist."))
    STEPS[name](item, actor=actor, **inputs)
    return item


# --- notices ---------------------------------------------------------------------------------


def notice_open(item: Item, now: datetime | None = None) -> bool:
    now = now or db.utcnow()
    return bool(
        item.is_notice
        and item.state == "published"
        and item.notice_ends_at
        and now < item.notice_ends_at
    )


def lodge_objection(
    item: Item, *, text: str, name: str | None = None, contact: str | None = None, user=None
) -> Objection:
    """An objection to a notice, during its period only (no account needed; contact optional),
    with a receipt number and a lookup code: the code is on the returned objection's
    ``lookup_code`` (shown once to the objector), only its digest is stored. The unit's admins
    and editors are told (event ``objection_lodged``)."""
    if not notice_open(item):
        raise UserError(_("Objections can only be lodged while the notice period runs."))
    text = (text or "").strip()
    if not text:
        raise UserError(
            _("Please write your objection."),
            problems=[Problem("text", _("Write your objection."))],
        )
    if len(text) > OBJECTION_MAX["text"]:
        raise UserError(
            _("An objection has at most %(n)s characters.", n=OBJECTION_MAX["text"]),
            problems=[problem.too_long("text", OBJECTION_MAX["text"])],
        )
    code = receipts.new_code()
    receipt = receipts.new_receipt(
        "YY",
        lambda r: db.session.scalar(select(Objection.id).where(Objection.receipt == r)) is not None,
    )
    objection = Objection(
        item_id=item.id,
        org_id=item.org_id,
        text=text,
        name=(name or "").strip()[:100] or None,
        contact=(contact or "").strip()[:200] or None,
        user_id=getattr(user, "id", None),
        receipt=receipt,
        lookup_hash=receipts.digest(receipt, code),
    )
    db.session.add(objection)
    db.session.flush()
    objection.lookup_code = code
    audit.log(
        "item.objection",
        "item",
        item.id,
        org_id=item.org_id,
        actor=user,
        changes={"objection": [None, objection.id], "receipt": [None, receipt]},
    )
    events.objection_lodged.send(objection, item=item, actor=user)
    return objection


class AlreadyHandled(UserError):
    status = 409


def objection_of(item: Item, objection_id: int) -> Objection | None:
    """The objection ``objection_id`` to ``item`` (None for another item's)."""
    return db.session.scalar(
        select(Objection).where(Objection.id == objection_id, Objection.item_id == item.id)
    )


def handle_objection(
    objection: Objection,
    *,
    outcome: str,
    checked: str,
    reason: str | None = None,
    remedy: str | None = None,
    actor,
) -> Objection:
    """Record what the unit checked and the outcome of ``objection``: ``upheld`` (the item is
    then amended, withheld or revoked through its own steps: ``remedy`` says which) or
    ``dismissed`` with a reason. Once only; the objector is told (event ``objection_handled``)."""
    problems: list = []
    checked, reason = (checked or "").strip(), (reason or "").strip()
    if objection.handled:
        raise AlreadyHandled(gettext("The outcome of this objection is already recorded."))
    if outcome not in OBJECTION_OUTCOMES:
        problems.append(gettext("Choose whether the objection is upheld or dismissed."))
    if not checked:
        problems.append(gettext("Write down what was checked."))
    if outcome == "dismissed" and not reason:
        problems.append(gettext("Give the reason why the objection is dismissed."))
    if outcome == "upheld" and remedy not in OBJECTION_REMEDIES:
        problems.append(
            gettext("Choose how the item is corrected: amendment, withholding or revocation.")
        )
    if max(len(checked), len(reason)) > OBJECTION_HANDLING_MAX:
        problems.append(gettext("A text has at most %(n)s characters.", n=OBJECTION_HANDLING_MAX))
    if problems:
        raise UserError(gettext("The outcome was not recorded."), problems=problems)
    objection.outcome, objection.checked, objection.reason = outcome, checked, reason or None
    objection.remedy = remedy if outcome == "upheld" else None
    objection.handled, objection.handled_at = True, db.utcnow()
    objection.handled_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.log(
        "item.objection_handled",
        "item",
        objection.item_id,
        org_id=objection.org_id,
        actor=actor,
        changes={"objection": [None, objection.id], "outcome": [None, outcome],
                 "remedy": [None, objection.remedy]},
    )  # fmt: skip
    events.objection_handled.send(objection, actor=actor)
    return objection


def objection_by_receipt(org: Organisation, receipt: str | None, code: str | None):
    """``(objection, item)`` with this receipt and lookup code lodged with ``org`` (None for any
    mismatch; the same work whether the receipt exists or not)."""
    receipt = receipts.normalise("YY", receipt)
    code = (code or "").strip()
    if not receipts.usable(receipt, code):
        return None
    found = db.session.execute(
        select(Objection, Item)
        .join(Item, Item.id == Objection.item_id)
        .where(Objection.org_id == org.id, Objection.receipt == receipt)
    ).first()
    stored = found[0].lookup_hash if found is not None else None
    return tuple(found) if receipts.matches(stored, receipt, code) else None


def objection_counts(item: Item) -> dict[str, int]:
    """How many objections ``item`` received, by outcome (``pending`` for those not handled
    yet), and ``total``: what its page shows once the notice closed, never who made them."""
    counts = {"total": 0, "upheld": 0, "dismissed": 0, "pending": 0}
    rows = db.session.execute(
        select(Objection.outcome, func.count())
        .where(Objection.item_id == item.id)
        .group_by(Objection.outcome)
    )
    for outcome, n in rows:
        counts[outcome or "pending"] += n
        counts["total"] += n
    return counts


def objections_to_handle(org_ids) -> list[tuple[Objection, Item]]:
    """The objections not yet handled in the organisations ``org_ids`` (one query), oldest
    first: the "objections to handle" of My work."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(Objection, Item)
            .join(Item, Item.id == Objection.item_id)
            .where(Objection.org_id.in_(org_ids), Objection.handled.is_(False))
            .order_by(Objection.lodged_at, Objection.id)
        )
    ]


# --- sweeps (scheduled jobs) -----------------------------------------------------------------


def publish_due() -> int:
    """Publish every scheduled item whose planned time has come."""
    due = db.session.scalars(  # items a job is publishing just now are left to it
        select(Item)
        .where(Item.state == "scheduled", Item.planned_at <= db.utcnow())
        .with_for_update(skip_locked=True, of=Item)
    )
    count = 0
    for item in due:
        publish(item)
        count += 1
    return count


def widen_scopes() -> int:
    """Internal first (SCOPE-2): widen items to their planned scope when their time has come."""
    count = 0
    for item in db.session.scalars(
        select(Item).where(Item.widen_at.is_not(None), Item.widen_at <= db.utcnow())
    ):
        before = item.visible_scope
        item.visible_scope, item.widen_at = item.scope, None
        audit.log(
            "item.widen",
            "item",
            item.id,
            org_id=item.org_id,
            changes={"visible_scope": [before, item.scope]},
        )
        events.item_widened.send(item)
        count += 1
    db.session.flush()
    return count


def close_notices() -> int:
    """Close notices whose period has ended (they close by themselves, never early)."""
    count = 0
    query = select(Item).where(
        Item.state == "published", Item.is_notice.is_(True), Item.notice_ends_at <= db.utcnow()
    )
    for item in db.session.scalars(query):
        close(item)
        count += 1
    return count
