"""Operations of the village affairs plugin: the only code that changes its tables."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import select

from core.toolkit import (
    FEEDBACK_OPEN_STATES,
    FeedbackEntry,
    Item,
    Membership,
    Organisation,
    Problem,
    User,
    UserError,
    _l,
    audit_log,
    cadence_label,
    children,
    is_enabled,
    lazily,
    localised,
    notify,
    register_notification_kind,
    session,
    utcnow,
)
from plugins.village_affairs.models import (
    END_REASONS,
    RELATIONS,
    SUPERVISOR_ROLES,
    CommitteeMember,
    Relative,
    SignOff,
    Supervisor,
)

NAME = "village_affairs"

SEAT_ENDED = register_notification_kind(
    "village_affairs.seat_ended",
    _l("A seat on a village supervision committee ended"),
    _l("%(name)s no longer sits on the village affairs supervision committee of %(org)s"),
    body=_l(
        "%(name)s was declared a close relative (%(relation)s) of the village committee member "
        "%(member)s; village committee members and their close relatives may not sit on the "
        "supervision committee. The seat ended on %(ended_on)s."
    ),
    default="immediate",
)
RELATION_LABELS = {
    "spouse": _l("Spouse"),
    "parent": _l("Parent"),
    "child": _l("Child"),
    "sibling": _l("Sibling"),
    "grandparent": _l("Grandparent"),
    "grandchild": _l("Grandchild"),
    "in_law": _l("In-law"),
}

# VIL-1: the cadences that are at least as frequent as the minimum of each class of entries.
GENERAL_CADENCES = ("immediate", "on_progress", "monthly", "quarterly")
FINANCE_MANY_CADENCES = ("immediate", "on_progress", "monthly")
MAJOR_CADENCES = ("immediate", "on_progress")
ARCHIVE_CLASSES = {
    "village.archive.elections": "major",
    "village.archive.minutes": "general",
    "village.archive.contracts": "major",
    "village.archive.accounts": "finance",
    "village.archive.assets": "general",
    "village.archive.land_use": "major",
}
CATEGORY_CLASSES = {
    "village_general": "general",
    "village_finance": "finance",
    "village_major": "major",
    "village_archive": "general",
}


def settings(org: Organisation) -> dict:
    return dict((org.plugin_settings or {}).get(NAME) or {})


def many_transactions(org: Organisation) -> bool:
    """The plugin setting: finances are disclosed monthly where transactions are many (VIL-1)."""
    return bool(settings(org).get("many_transactions"))


def entry_class(category_key: str, entry_key: str, template_key: str | None) -> str | None:
    for key in (template_key, entry_key):
        if key in ARCHIVE_CLASSES:
            return ARCHIVE_CLASSES[key]
    return CATEGORY_CLASSES.get(category_key)


def allowed_cadences(org: Organisation, klass: str) -> tuple[str, ...]:
    if klass == "major":
        return MAJOR_CADENCES
    if klass == "finance" and many_transactions(org):
        return FINANCE_MANY_CADENCES
    return GENERAL_CADENCES


CLASS_LABELS = {
    "general": _l("general"),
    "finance": _l("financial"),
    "major": _l("major"),
}


def _title(entry) -> str:
    return localised(entry.titles, str(get_locale())) or entry.key


def cadence_problems(org: Organisation, nodes) -> list[Problem]:
    """Entries of the village sections whose cadence is below the minimum (VIL-1)."""
    problems: list[Problem] = []

    def walk(nodes, top_key=None):
        for node in nodes:
            key = top_key or node.category.key
            for entry in node.entries:
                klass = entry_class(key, entry.key, entry.template_key)
                if klass is None:
                    continue
                allowed = allowed_cadences(org, klass)
                if entry.cadence not in allowed:
                    message = _l(
                        "“%(entry)s” is disclosed %(cadence)s, less often than a village's "
                        "%(kind)s items must be (%(allowed)s).",
                        entry=lazily(_title, entry),
                        cadence=lazily(cadence_label, entry.cadence),
                        kind=CLASS_LABELS[klass],
                        allowed=lazily(lambda codes: "、".join(map(cadence_label, codes)), allowed),
                    )
                    problems.append(Problem(entry.key, message))
            walk(node.children, key)

    walk(nodes)
    return problems


# --- the village committee and the supervision committee (VIL-3) -----------------------------


def _name(value: str, what) -> str:
    name = " ".join((value or "").split())
    if not name or len(name) > 100:
        raise UserError(_l("%(what)s: give a name of 1 to 100 characters.", what=what))
    return name


def committee_members(org: Organisation) -> list[CommitteeMember]:
    return list(
        session.scalars(
            select(CommitteeMember)
            .where(CommitteeMember.org_id == org.id)
            .order_by(CommitteeMember.id)
        )
    )


def relatives(org: Organisation) -> list[Relative]:
    return list(
        session.scalars(select(Relative).where(Relative.org_id == org.id).order_by(Relative.id))
    )


def supervisors(org: Organisation) -> list[Supervisor]:
    return list(
        session.scalars(
            select(Supervisor)
            .where(Supervisor.org_id == org.id, Supervisor.ended_at.is_(None))
            .order_by(Supervisor.id)
        )
    )


def add_committee_member(org: Organisation, name: str, *, user=None, actor) -> CommitteeMember:
    name = _name(name, _l("Village committee member"))
    for s in supervisors(org):
        if s.name == name or (user is not None and s.user_id == user.id):
            raise UserError(
                _l(
                    "%(name)s sits on the supervision committee and cannot also be on the "
                    "village committee.",
                    name=name,
                )
            )
    if any(m.name == name for m in committee_members(org)):
        raise UserError(_l("%(name)s is already a village committee member.", name=name))
    member = CommitteeMember(org_id=org.id, name=name, user_id=user.id if user else None)
    session.add(member)
    session.flush()
    audit_log(
        "village_affairs.committee.add", "village_affairs_committee_member", member.id,
        org_id=org.id, actor=actor, changes={"name": [None, name]},
    )  # fmt: skip
    return member


def seated_supervisor(org: Organisation, name: str) -> Supervisor | None:
    """The sitting member of the supervision committee called ``name``, if any."""
    name = " ".join((name or "").split())
    return next((s for s in supervisors(org) if s.name == name), None)


def declare_relative(
    member: CommitteeMember, name: str, relation: str, *, actor, end_seat: bool = False
) -> Relative:
    """Declare a close relative of a village committee member. A relative who sits on the
    supervision committee may not (VIL-3): the declaration is refused unless ``end_seat``
    confirms that it ends their seat, which then ends with its reason (audited, and the person
    and the village's admins are told)."""
    name = _name(name, _l("Relative"))
    if relation not in RELATIONS:
        raise UserError(_l("Relation: choose one of the listed relations."))
    org = session.get(Organisation, member.org_id)
    seated = seated_supervisor(org, name)
    if seated is not None and not end_seat:
        raise UserError(
            _l("The relative was not recorded."),
            problems=[
                _l(
                    "%(name)s sits on the village affairs supervision committee, where a close "
                    "relative of a village committee member may not: declaring the "
                    "relative ends the seat. Confirm to declare and end it.",
                    name=name,
                )
            ],
        )
    relative = Relative(org_id=member.org_id, member_id=member.id, name=name, relation=relation)
    session.add(relative)
    session.flush()
    audit_log(
        "village_affairs.relative.declare", "village_affairs_relative", relative.id,
        org_id=member.org_id, actor=actor,
        changes={"member": [None, member.name], "name": [None, name], "relation": [None, relation]},
    )  # fmt: skip
    if seated is not None:
        end_seat_of(seated, member=member, relation=relation, actor=actor)
    return relative


def end_seat_of(sup: Supervisor, *, member: CommitteeMember, relation: str, actor) -> Supervisor:
    """End ``sup``'s seat: they are a close relative of the village committee ``member``
    (VIL-3). The seat stays on record with its reason; its signatures stay as signed."""
    org = session.get(Organisation, sup.org_id)
    sup.ended_at = utcnow()
    sup.end_reason = END_REASONS[0]
    sup.end_detail = {"member": member.name, "relation": relation}
    session.flush()
    audit_log(
        "village_affairs.supervisor.seat_ended", "village_affairs_supervisor", sup.id,
        org_id=sup.org_id, actor=actor,
        changes={"seat": [sup.role, None], "reason": [None, sup.end_reason],
                 "member": [None, member.name], "relation": [None, relation]},
    )  # fmt: skip
    admins = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org.id, Membership.role == "admin")
    )
    person = session.get(User, sup.user_id) if sup.user_id else None
    notify(
        [person, *admins], SEAT_ENDED.name, org=org, exclude=[actor],
        params={"name": sup.name, "member": member.name, "relation": RELATION_LABELS[relation],
                "ended_on": sup.ended_at.date().isoformat()},
        link=f"/admin/o/{org.code}/{NAME}/", about=("village_affairs_supervisor", sup.id),
    )  # fmt: skip
    return sup


def former_supervisors(org: Organisation) -> list[Supervisor]:
    """The seats that ended, latest first, with their reasons."""
    return list(
        session.scalars(
            select(Supervisor)
            .where(Supervisor.org_id == org.id, Supervisor.ended_at.is_not(None))
            .order_by(Supervisor.ended_at.desc(), Supervisor.id.desc())
        )
    )


def membership_problem(org: Organisation, name: str, user=None) -> str | None:
    """Why ``name`` (or ``user``) may not sit on the supervision committee (VIL-3), or None."""
    members = committee_members(org)
    for m in members:
        if m.name == name or (user is not None and m.user_id == user.id):
            return _l("%(name)s is a village committee member.", name=name)
    by_id = {m.id: m for m in members}
    for r in relatives(org):
        if r.name == name:
            return _l(
                "%(name)s is a close relative (%(relation)s) of the village committee member "
                "%(member)s.",
                name=name,
                relation=RELATION_LABELS[r.relation],
                member=by_id[r.member_id].name,
            )
    return None


def add_supervisor(org: Organisation, name: str, *, role="member", user=None, actor) -> Supervisor:
    name = _name(name, _l("Supervision committee member"))
    if role not in SUPERVISOR_ROLES:
        raise UserError(_l("Role: choose one of the listed roles."))
    if user is not None and not session.scalar(
        select(Membership.id).where(Membership.user_id == user.id, Membership.org_id == org.id)
    ):
        raise UserError(
            _l("%(name)s is not a member of this village: invite them first.", name=user.username)
        )
    problem = membership_problem(org, name, user)
    if problem:
        raise UserError(
            _l("This person may not sit on the supervision committee."), problems=[problem]
        )
    current = supervisors(org)
    if any(s.name == name for s in current):
        raise UserError(_l("%(name)s is already on the supervision committee.", name=name))
    if role == "chair" and any(s.role == "chair" for s in current):
        raise UserError(_l("The supervision committee already has a chair."))
    sup = Supervisor(org_id=org.id, name=name, role=role, user_id=user.id if user else None)
    session.add(sup)
    session.flush()
    audit_log(
        "village_affairs.supervisor.add", "village_affairs_supervisor", sup.id,
        org_id=org.id, actor=actor, changes={"name": [None, name], "role": [None, role]},
    )  # fmt: skip
    return sup


def remove_supervisor(sup: Supervisor, *, actor) -> None:
    audit_log(
        "village_affairs.supervisor.remove", "village_affairs_supervisor", sup.id,
        org_id=sup.org_id, actor=actor, changes={"name": [sup.name, None]},
    )  # fmt: skip
    session.delete(sup)
    session.flush()


# --- sign-off (VIL-2) -------------------------------------------------------------------------

SIGNABLE_STATES = ("proposed", "reviewed", "superior_review", "approved", "scheduled")


def supervisor_of(org: Organisation, user) -> Supervisor | None:
    if user is None or getattr(user, "id", None) is None:
        return None
    return session.scalar(
        select(Supervisor).where(
            Supervisor.org_id == org.id,
            Supervisor.user_id == user.id,
            Supervisor.ended_at.is_(None),
        )
    )


def signoff(item: Item) -> SignOff | None:
    """The sign-off of the item's current version, if the committee signed it."""
    return session.scalar(
        select(SignOff)
        .where(SignOff.item_id == item.id, SignOff.version_id == item.current_version_id)
        .order_by(SignOff.id.desc())
        .limit(1)
    )


def awaiting_signoff(org: Organisation) -> list[Item]:
    signed = select(SignOff.version_id).where(SignOff.org_id == org.id)
    return list(
        session.scalars(
            select(Item)
            .where(
                Item.org_id == org.id,
                Item.state.in_(SIGNABLE_STATES),
                Item.current_version_id.not_in(signed),
            )
            .order_by(Item.id)
        )
    )


def sign(item: Item, *, actor, opinion: str = "") -> SignOff:
    org_id = item.org_id
    sup = supervisor_of(item.organisation, actor)
    if sup is None:
        raise UserError(_l("Only a member of the village's supervision committee signs."))
    if item.state not in SIGNABLE_STATES:
        raise UserError(_l("Only an item on its way to publication can be signed."))
    if signoff(item) is not None:
        raise UserError(_l("The supervision committee has already signed this version."))
    opinion = (opinion or "").strip()
    if len(opinion) > 2000:
        raise UserError(_l("Opinion: at most %(n)s characters.", n=2000))
    record = SignOff(
        org_id=org_id,
        item_id=item.id,
        version_id=item.current_version_id,
        supervisor_id=sup.id,
        user_id=actor.id,
        signer_name=sup.name,
        opinion=opinion,
    )
    session.add(record)
    session.flush()
    audit_log(
        "village_affairs.signoff", "item", item.id, org_id=org_id, actor=actor,
        changes={"signed_by": [None, sup.name], "version_id": [None, item.current_version_id],
                 "opinion": [None, opinion]},
    )  # fmt: skip
    return record


# --- villagers' queries and complaints (VIL-4) ------------------------------------------------


def supervised_villages(township: Organisation) -> list[Organisation]:
    """The villages directly under ``township`` that enable the plugin."""
    return [o for o in children(township) if is_enabled(o, NAME)]


def open_feedback(township: Organisation) -> list[tuple[Organisation, FeedbackEntry]]:
    villages = {o.id: o for o in supervised_villages(township)}
    if not villages:
        return []
    rows = session.scalars(
        select(FeedbackEntry)
        .where(
            FeedbackEntry.org_id.in_(villages),
            FeedbackEntry.state.in_(FEEDBACK_OPEN_STATES),
            FeedbackEntry.spam.is_(False),
        )
        .order_by(FeedbackEntry.received_on, FeedbackEntry.id)
    )
    return [(villages[e.org_id], e) for e in rows]
