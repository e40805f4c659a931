"""Notifications: who is told (:func:`recipients`), telling them (:func:`notify`), reading, choices
and the daily digest. The only code that changes notification state.

:func:`notify` runs inside the caller's unit of work (an event receiver: the notifications commit
with their cause, or roll back with it) and queues one mail job per immediate notification through
the outbox of :mod:`core.jobs`: sent to the ``mail`` queue only after the commit, kept and re-sent
while Redis is down.

The daily digest (:func:`build_digests`, a sweep) gathers, once per user and day, the pending
notifications of the kinds a user gets by ``daily`` e-mail: the :class:`NotificationDigest` row of
the day is the marker that makes the sweep idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from core import audit, db, jobs, permissions
from core.config import SUPPORTED_LOCALES
from core.errors import NotFound, UserError
from core.i18n import _, lazily
from core.notifications import channels, kinds, mail
from core.notifications.models import (
    CHANNELS,
    Notification,
    NotificationChannelChoice,
    NotificationDelivery,
    NotificationDigest,
    NotificationPreference,
)
from tenants.models import Membership, Organisation, User

PER_PAGE = 50
DIGEST_HOUR = 7
"""Local hour (platform time zone) from which the day's digests are sent."""
RETRY_AFTER = timedelta(minutes=10)
"""A mail that failed is tried again after this long ..."""
LOST_AFTER = timedelta(hours=1)
"""... and one that never ran (its job lost with an in-process queue) after this long."""
GIVE_UP_AFTER = timedelta(days=3)


# --- helpers for senders ---------------------------------------------------------------------


def texts(value) -> dict[str, str]:
    """A lazy string (a label) rendered in every shipped language: a ``params`` value."""
    out = {}
    for loc in SUPPORTED_LOCALES:
        with force_locale(loc):
            out[loc] = str(value)
    return out


def org_names(org: Organisation | None, form: str = "full") -> dict[str, str]:
    """An organisation's name in every shipped language (a ``params`` value)."""
    if org is None:
        return {}
    return {loc: org.name(loc, form) for loc in SUPPORTED_LOCALES}


def excerpt(text: str | None, length: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def path_for(endpoint: str, **values) -> str | None:
    """The path of ``endpoint`` (works in jobs, without a request); None if it does not exist."""
    adapter = current_app.url_map.bind("localhost")
    try:
        return adapter.build(endpoint, values)
    except (BuildError, ValueError):
        return None


def local_day(now: datetime | None = None) -> date:
    return (now or db.utcnow()).astimezone(kinds.timezone()).date()


# --- who is told -----------------------------------------------------------------------------


def recipients(
    action: str,
    org: Organisation | None,
    *,
    nearest: bool = False,
    at: Organisation | None = None,
    exclude=(),
) -> list[User]:
    """Active users who may run ``action`` in ``org`` (:mod:`core.permissions`), by id.

    The roles the action was registered with, held where it says (``unit``, ``superior``:
    in a strict ancestor, ``unit_or_superior``), plus the platform admins for platform actions;
    plugins may veto as they do in :func:`core.permissions.may`. ``nearest``: only the holders of
    the nearest level that has any (the organisation itself, else its parent, and so on up) —
    "the superior" rather than every superior up to the county; ``at``: only the holders in that
    organisation (the superior a filing or an escalation goes to). ``exclude``: users (or ids)
    left out, typically the actor. Two queries at most.
    """
    act = permissions.action(action)
    found: dict[int, User] = {}
    if org is not None and act.roles:
        own = [org.id] if act.where in ("unit", "unit_or_superior") else []
        above = list(org.ancestor_ids) if act.where in ("superior", "unit_or_superior") else []
        if at is not None:
            own, above = [i for i in own if i == at.id], [i for i in above if i == at.id]
        rows = db.session.execute(
            select(Membership.org_id, User)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.org_id.in_(own + above),
                Membership.role.in_(act.roles),
                User.active.is_(True),
            )
        )
        by_org: dict[int, dict[int, User]] = {}
        for org_id, user in rows:
            by_org.setdefault(org_id, {})[user.id] = user
        if nearest:
            for org_id in own + list(reversed(above)):
                if by_org.get(org_id):
                    found = dict(by_org[org_id])
                    break
        else:
            for users in by_org.values():
                found.update(users)
    if act.platform:
        for user in db.session.scalars(
            select(User).where(User.is_platform_admin.is_(True), User.active.is_(True))
        ):
            found.setdefault(user.id, user)
    skip = {getattr(u, "id", u) for u in exclude if u is not None}
    users = [u for uid, u in sorted(found.items()) if uid not in skip]
    return permissions.allowed(users, action, org)


def _step_holders(workflow, obj, names) -> list[tuple[Any, int | None, list[User]]]:
    """``(transition, organisation id, users)`` for each step of ``names`` that ``obj`` may take
    next: the holders of its roles in the unit, or for a superior's step in the nearest superior
    level that has any (one query)."""
    org = obj.organisation
    state = getattr(obj, workflow.state_attr)
    steps = []
    for name in names:
        t = workflow.transitions.get(name)
        if t is None or state not in t.source or (t.enabled_if and not t.enabled_if(org)):
            continue
        if t.roles - {"system"}:
            steps.append(t)
    if not steps:
        return []
    by_org: dict[int, dict[str, dict[int, User]]] = {}
    rows = db.session.execute(
        select(Membership.org_id, Membership.role, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.org_id.in_([org.id, *org.ancestor_ids]),
            Membership.role.in_(set().union(*(t.roles for t in steps)) - {"system"}),
            User.active.is_(True),
        )
    )
    for org_id, role, user in rows:
        by_org.setdefault(org_id, {}).setdefault(role, {})[user.id] = user

    def at(org_id: int, t) -> dict[int, User]:
        held = by_org.get(org_id, {})
        return {uid: u for role in t.roles for uid, u in held.get(role, {}).items()}

    out = []
    for t in steps:
        where, users = org.id, {}
        if t.where in ("unit", "unit_or_superior"):
            users = at(org.id, t)
        if not users and t.where in ("superior", "unit_or_superior"):
            for ancestor in reversed(org.ancestor_ids):
                where, users = ancestor, at(ancestor, t)
                if users:
                    break
        listed = [u for _uid, u in sorted(users.items())]
        out.append((t, where if users else None, listed))
    return out


def next_step_holders(workflow, obj, *names: str, exclude=()) -> list[User]:
    """Active users who may run one of the steps ``names`` of ``workflow`` on ``obj`` next (in
    its present state): the roles each transition lists, held in the unit, or for a superior's
    step in the nearest superior level that has holders; the enabled plugins may veto as they do
    for the step itself (``permission_decision`` on ``"<workflow>.<step>"``). One query."""
    skip = {getattr(u, "id", u) for u in exclude if u is not None}
    found: dict[int, User] = {}
    for t, _org_id, users in _step_holders(workflow, obj, names):
        candidates = [u for u in users if u.id not in skip]
        for user in permissions.allowed(candidates, f"{workflow.name}.{t.name}", obj):
            found.setdefault(user.id, user)
    return [found[uid] for uid in sorted(found)]


def superior_deciders(
    workflow, obj, name: str, *, exclude=()
) -> tuple[Organisation | None, list[User]]:
    """For a superior's step ``name``: the organisation whose holders decide it (the nearest
    superior level that has any) and those holders, as :func:`next_step_holders` finds them."""
    skip = {getattr(u, "id", u) for u in exclude if u is not None}
    for t, org_id, users in _step_holders(workflow, obj, (name,)):
        if org_id is not None:
            candidates = [u for u in users if u.id not in skip]
            allowed = permissions.allowed(candidates, f"{workflow.name}.{t.name}", obj)
            return db.session.get(Organisation, org_id), allowed
    return None, []


def acting_org(actor, action: str, org: Organisation) -> Organisation | None:
    """The nearest superior of ``org`` where ``actor`` holds a role of ``action`` (the superior
    on whose behalf they decided), or None."""
    org_id = permissions.nearest_superior(actor, action, org)
    return db.session.get(Organisation, org_id) if org_id is not None else None


def step_actors(workflow, obj, *names: str, since: str | None = None) -> list[User]:
    """The people who ran the steps ``names`` on ``obj`` (the proposer, the submitter ...),
    latest first; with ``since``, only after the latest step that entered that state (the current
    round: after the last return to the draft)."""
    from core.workflow.models import WorkflowStep

    steps = list(
        db.session.execute(
            select(WorkflowStep.transition, WorkflowStep.to_state, WorkflowStep.actor_id)
            .where(
                WorkflowStep.object_type == workflow.object_type,
                WorkflowStep.object_id == obj.id,
            )
            .order_by(WorkflowStep.id.desc())
        )
    )
    ids: list[int] = []
    for transition, to_state, actor_id in steps:
        if transition in names and actor_id is not None and actor_id not in ids:
            ids.append(actor_id)
        if since is not None and to_state == since and transition not in names:
            break
    if not ids:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [users[i] for i in ids if i in users]


def holders(roles: Iterable[str], org_ids: Iterable[int]) -> list[tuple[int, User]]:
    """``(org_id, user)`` for every active user holding one of ``roles`` in ``org_ids``."""
    org_ids = list(set(org_ids))
    if not org_ids:
        return []
    rows = db.session.execute(
        select(Membership.org_id, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.org_id.in_(org_ids),
            Membership.role.in_(set(roles)),
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    return list(dict.fromkeys((org_id, user) for org_id, user in rows))


# --- telling ---------------------------------------------------------------------------------


def _channels(user_ids: list[int], kind: str) -> dict[int, str]:
    rows = db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.channel).where(
            NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind
        )
    )
    return dict(rows.all())


def _already(user_ids: list[int], dedup: str) -> set[int]:
    return set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.user_id.in_(user_ids), Notification.dedup_key == dedup
            )
        )
    )


def notify(
    users: Iterable[User | None],
    kind: str,
    *,
    org: Organisation | None = None,
    params: dict[str, Any] | None = None,
    link: str | None = None,
    about: tuple[str, Any] | None = None,
    dedup: str | None = None,
    exclude=(),
) -> list[Notification]:
    """Tell ``users`` (each once; inactive ones and ``exclude`` — the actor — left out).

    ``params`` are the values the kind's texts are rendered from in each reader's language (see
    :mod:`core.notifications.kinds`); ``about`` is ``(object type, id)``; ``dedup`` a key that a
    user gets one notification for at most (reminders: kind, object and day). Returns the new
    rows; the immediate e-mails leave after the caller's commit.
    """
    spec = kinds.get(kind)
    if spec is None:
        raise ValueError(f"unknown notification kind {kind!r}; register it in kinds")
    skip = {getattr(u, "id", u) for u in exclude if u is not None}
    targets: dict[int, User] = {}
    for user in users:
        if user is not None and user.active and user.id not in skip:
            targets.setdefault(user.id, user)
    if dedup and targets:
        for user_id in _already(list(targets), dedup):
            targets.pop(user_id)
    if not targets:
        return []
    chosen = _channels(list(targets), kind)
    object_type, object_id = about if about else (None, None)
    created: list[Notification] = []
    for user_id, user in sorted(targets.items()):
        channel = chosen.get(user_id, spec.default)
        note = Notification(
            user_id=user_id,
            org_id=org.id if org is not None else None,
            kind=kind,
            params=params or {},
            link=link,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else None,
            dedup_key=dedup,
            email=channel if channel != "off" and user.email else "none",
        )
        if dedup:  # two sweeps at once: the unique key keeps one; the other one skips it
            try:
                with db.session.begin_nested():
                    db.session.add(note)
            except IntegrityError:
                continue
        else:
            db.session.add(note)
        created.append(note)
    db.session.flush()

    for note in created:
        if note.email == "immediate":
            jobs.enqueue(mail.send_notification, note.id, queue="mail", org_id=note.org_id)
    plan_deliveries(created, kind, org)
    return created


def plan_deliveries(notes: list[Notification], kind: str, org: Organisation | None) -> int:
    """The deliveries of ``notes`` through the extra channels ``org`` offers (its enabled
    plugins'), for each person who switched the channel on for ``kind`` (or left a channel on
    by default), each sent by a job after the commit. Returns how many were made."""
    offered = channels.extras(channels.of_org(org)) if org is not None and notes else {}
    if not offered:
        return 0
    chosen = {
        (user_id, name): enabled
        for user_id, name, enabled in db.session.execute(
            select(
                NotificationChannelChoice.user_id,
                NotificationChannelChoice.channel,
                NotificationChannelChoice.enabled,
            ).where(
                NotificationChannelChoice.user_id.in_([n.user_id for n in notes]),
                NotificationChannelChoice.kind == kind,
                NotificationChannelChoice.channel.in_(list(offered)),
            )
        )
    }
    made = [
        NotificationDelivery(notification_id=note.id, channel=name)
        for note in notes
        for name, channel in sorted(offered.items())
        if chosen.get((note.user_id, name), channel.default)
    ]
    if not made:
        return 0
    db.session.add_all(made)
    db.session.flush()
    for delivery in made:
        jobs.enqueue(channels.deliver, delivery.id, queue="mail", org_id=org.id)
    return len(made)


# --- reading ---------------------------------------------------------------------------------


def render(note: Notification, locale: str) -> tuple[str, str]:
    """``(title, body)`` of ``note`` in ``locale``."""
    return kinds.render(note.kind, note.params, locale)


def inbox(user, *, unread_only: bool = False, page: int = 1) -> tuple[list[Notification], bool]:
    """A page of ``user``'s notifications, newest first, and whether there is a next page."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = list(
        db.session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((max(page, 1) - 1) * PER_PAGE)
            .limit(PER_PAGE + 1)
        )
    )
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def get_for(user, notification_id: int) -> Notification:
    """``user``'s notification ``notification_id``; someone else's does not exist (404)."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound(_("There is no such notification."))
    return note


def mark_read(user, notification_id: int) -> Notification:
    note = get_for(user, notification_id)
    if note.read_at is None:
        note.read_at = db.utcnow()
        db.session.flush()
    return note


def mark_all_read(user) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=db.utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- preferences -----------------------------------------------------------------------------


def offered(user) -> list[kinds.Kind]:
    """The kinds a user chooses for on the preferences page."""
    admin = bool(getattr(user, "is_platform_admin", False))
    return [k for k in kinds.all_kinds() if admin or not k.platform_only]


def preferences(user) -> dict[str, str]:
    """``{kind: channel}`` for every registered kind (the user's choice, else the default)."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.channel).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {k.name: chosen.get(k.name, k.default) for k in kinds.all_kinds()}


def channel_choices(user, offered: dict[str, channels.Offered]) -> dict[str, dict[str, bool]]:
    """``{kind: {channel: on}}`` for the extra channels ``offered`` to ``user`` (their choice,
    else the channel's default)."""
    out = {k.name: {n: c.default for n, c in offered.items()} for k in kinds.all_kinds()}
    if offered:
        for kind, name, enabled in db.session.execute(
            select(
                NotificationChannelChoice.kind,
                NotificationChannelChoice.channel,
                NotificationChannelChoice.enabled,
            ).where(
                NotificationChannelChoice.user_id == user.id,
                NotificationChannelChoice.channel.in_(list(offered)),
            )
        ):
            if kind in out:
                out[kind][name] = enabled
    return out


def set_preferences(
    user,
    choices: dict[str, str],
    *,
    extra: dict[str, dict[str, bool]] | None = None,
    offered: dict[str, channels.Offered] | None = None,
    actor=None,
) -> dict[str, list]:
    """Set ``user``'s e-mail channel per kind and, for the extra channels ``offered`` to them,
    whether each kind goes through it (``extra``: ``{kind: {channel: on}}``); returns the
    changes ``{kind: [old, new]}`` and ``{"kind/channel": [old, new]}``."""
    problems = []
    extra, offered = extra or {}, offered or {}
    for kind, channel in choices.items():
        if kinds.get(kind) is None:
            problems.append(_("Unknown kind “%(kind)s”.", kind=kind))
        elif channel not in CHANNELS:
            problems.append(
                _(
                    "%(kind)s: choose one of %(codes)s.",
                    kind=lazily(kinds.label, kind),
                    codes=", ".join(CHANNELS),
                )
            )
    for kind, picks in extra.items():
        if kinds.get(kind) is None:
            problems.append(_("Unknown kind “%(kind)s”.", kind=kind))
        unknown = [name for name in picks if name not in offered]
        problems += [_("Unknown channel “%(channel)s”.", channel=name) for name in unknown]
    if problems:
        raise UserError(_("The notification settings were not saved."), problems=problems)
    rows = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    before = preferences(user)
    changes: dict[str, list] = {}
    for kind, channel in sorted(choices.items()):
        if before[kind] == channel:
            continue
        changes[kind] = [before[kind], channel]
        row = rows.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, channel=channel))
        else:
            row.channel = channel
    if extra:
        chosen = {
            (c.kind, c.channel): c
            for c in db.session.scalars(
                select(NotificationChannelChoice).where(
                    NotificationChannelChoice.user_id == user.id
                )
            )
        }
        was = channel_choices(user, offered)
        for kind, picks in sorted(extra.items()):
            for name, enabled in sorted(picks.items()):
                if was[kind][name] == bool(enabled):
                    continue
                changes[f"{kind}/{name}"] = [was[kind][name], bool(enabled)]
                row = chosen.get((kind, name))
                if row is None:
                    db.session.add(
                        NotificationChannelChoice(
                            user_id=user.id, kind=kind, channel=name, enabled=bool(enabled)
                        )
                    )
                else:
                    row.enabled = bool(enabled)
    if changes:
        db.session.flush()
        audit.log(
            "notifications.preferences", "user", user.id, actor=actor or user, changes=changes
        )
    return changes


# --- the daily digest ------------------------------------------------------------------------


def _pending_daily(user_id=None):
    conditions = [
        Notification.email == "daily",
        Notification.emailed_at.is_(None),
        Notification.digest_id.is_(None),
        Notification.read_at.is_(None),
    ]
    if user_id is not None:
        conditions.append(Notification.user_id == user_id)
    return and_(*conditions)


def build_digests(now: datetime | None = None) -> int:
    """Make today's digest of every user with pending daily notifications, once per day.

    Before :data:`DIGEST_HOUR` (platform time) nothing happens. A user with a digest for today
    already waits for tomorrow's: running this again sends nothing twice. Kinds the user has
    turned ``off`` since are left out. Returns the number of digests made (each a mail job).
    """
    now = now or db.utcnow()
    local = now.astimezone(kinds.timezone())
    if local.hour < DIGEST_HOUR:
        return 0
    day = local.date()
    done_today = exists().where(
        NotificationDigest.user_id == Notification.user_id, NotificationDigest.day == day
    )
    user_ids = db.session.scalars(
        select(Notification.user_id)
        .where(_pending_daily(), Notification.created_at <= now, ~done_today)
        .distinct()
        .order_by(Notification.user_id)
    ).all()
    made = 0
    for user_id in user_ids:
        off = [
            kind
            for kind, channel in db.session.execute(
                select(NotificationPreference.kind, NotificationPreference.channel).where(
                    NotificationPreference.user_id == user_id
                )
            )
            if channel == "off"
        ]
        if off:
            db.session.execute(
                update(Notification)
                .where(_pending_daily(user_id), Notification.kind.in_(off))
                .values(email="none")
                .execution_options(synchronize_session=False)
            )
        digest = NotificationDigest(user_id=user_id, day=day)
        try:
            with db.session.begin_nested():
                db.session.add(digest)
        except IntegrityError:  # another sweep made it just now
            continue
        count = db.session.execute(
            update(Notification)
            .where(_pending_daily(user_id), Notification.created_at <= now)
            .values(digest_id=digest.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not count:
            db.session.delete(digest)
            continue
        from core.notifications import mail

        jobs.enqueue(mail.send_digest, digest.id, queue="mail")
        made += 1
    db.session.flush()
    return made


# --- mail that did not go ----------------------------------------------------------------------


def _queued_ids(func_path: str) -> set[int]:
    """Ids waiting in the outbox for ``func_path`` (not sent yet: Redis is down)."""
    rows = db.session.scalars(
        select(jobs.OutboxEntry.args).where(
            jobs.OutboxEntry.sent_at.is_(None), jobs.OutboxEntry.func == func_path
        )
    )
    return {int(args[0]) for args in rows if args}


def retry_mail(now: datetime | None = None) -> int:
    """Queue again the mails (and the extra channels' deliveries) that failed (after
    :data:`RETRY_AFTER`) or whose job never ran
    (after :data:`LOST_AFTER`), up to :data:`mail.MAX_ATTEMPTS`, for :data:`GIVE_UP_AFTER`. Jobs
    still waiting in the outbox are left to it. Returns the number of jobs queued."""

    now = now or db.utcnow()

    def due(model, attempts, limit: int, *conditions) -> list[int]:
        return db.session.scalars(
            select(model.id).where(
                *conditions,
                attempts < limit,
                model.created_at >= now - GIVE_UP_AFTER,
                or_(
                    and_(attempts > 0, model.created_at <= now - RETRY_AFTER),
                    model.created_at <= now - LOST_AFTER,
                ),
            )
        ).all()

    def queue(func, ids: list[int]) -> int:
        waiting = _queued_ids(jobs.func_path(func))
        fresh = [i for i in ids if i not in waiting]
        for job_id in fresh:
            jobs.enqueue(func, job_id, queue="mail")
        return len(fresh)

    notes = due(
        Notification, Notification.mail_attempts, mail.MAX_ATTEMPTS,
        Notification.email == "immediate", Notification.emailed_at.is_(None),
    )  # fmt: skip
    digests = due(
        NotificationDigest, NotificationDigest.attempts, mail.MAX_ATTEMPTS,
        NotificationDigest.sent_at.is_(None),
    )  # fmt: skip
    deliveries = due(
        NotificationDelivery, NotificationDelivery.attempts, channels.MAX_ATTEMPTS,
        NotificationDelivery.sent_at.is_(None), NotificationDelivery.gave_up.is_(False),
    )  # fmt: skip
    return (
        queue(mail.send_notification, notes)
        + queue(mail.send_digest, digests)
        + queue(channels.deliver, deliveries)
    )
