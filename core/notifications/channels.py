"""Notification channels: the ways people are told. A documented hook
(``notification_channels(org)``, per organisation) lists them; core's default plugin ships the
two every deployment has, the **inbox** (the notification itself, always) and **e-mail** (per kind:
at once, in the daily summary or not at all, :mod:`core.notifications.mail`). A plugin adds more —
SMS, a work-messaging app — as subclasses of :class:`Channel`.

An extra channel is offered on a person's notification settings when a plugin that brings it is
enabled in one of the organisations where they hold a role; a notification goes through it when
the person switched it on for the notification's kind and the notification's organisation enables
the plugin. Each such sending is a :class:`~core.notifications.models.NotificationDelivery` made
with the notification and sent by a job after the commit (:func:`deliver`), tried again by the
mail retry sweep until it succeeds or :data:`MAX_ATTEMPTS` attempts failed.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from core import db, jobs
from core.i18n import _
from core.notifications import kinds, mail
from core.notifications.models import Notification, NotificationDelivery
from tenants.models import Membership, Organisation, User

log = logging.getLogger(__name__)

INBOX, EMAIL = "inbox", "email"
CORE_CHANNELS = (INBOX, EMAIL)
MAX_ATTEMPTS = 5


class Channel:
    """A way of telling people (subclass it in a plugin and return an instance from the hook).

    ``name``: a code, unique on the platform (prefix it with your plugin's name);
    ``label``: what the settings page calls it (a lazy string); ``description``: one line under
    it (optional); ``default``: whether it is on for a kind until the person chooses.
    """

    name: str = ""
    label: Any = ""
    description: Any = None
    default: bool = False

    def send(self, notification: Notification, user: User) -> None:
        """Send ``notification`` to ``user`` now (a job, after the commit). Raise to fail: the
        attempt is recorded and the retry sweep tries again later."""
        raise NotImplementedError

    def text(self, notification: Notification, user: User) -> dict[str, str]:
        """The notification in ``user``'s language: ``title``, ``body`` and ``url`` (absolute)."""
        locale = kinds.locale_of(user)
        with force_locale(locale):
            title, body = kinds.render(notification.kind, notification.params, locale)
        return {"title": title, "body": body, "url": mail.absolute(notification.link)}


class InboxChannel(Channel):
    """The inbox: every notification is in it (``/notifications``); nothing is sent."""

    name = INBOX
    label = _("Inbox")
    default = True

    def send(self, notification: Notification, user: User) -> None:
        return None


class EmailChannel(Channel):
    """E-mail to the person's address, at once or in the daily summary, as they chose per kind
    (:mod:`core.notifications.mail` composes and sends)."""

    name = EMAIL
    label = _("E-mail")

    def send(self, notification: Notification, user: User) -> None:
        mail.deliver(mail.notification_message(notification, user))


CORE = (InboxChannel(), EmailChannel())
"""Core's channels, which the default plugin returns from ``notification_channels``."""


class Offered:
    """A channel as an organisation offers it: the channel and the plugin that brings it, whose
    translation domain its label and description are read in (``core`` for the inbox and
    e-mail)."""

    def __init__(self, channel: Channel, plugin: str):
        self.channel, self.plugin = channel, plugin
        self.name, self.default = channel.name, bool(channel.default)

    def _text(self, value) -> str:
        if value is None:
            return ""
        if self.plugin == "core":
            return str(value)
        from core.i18n import as_plugin

        with as_plugin(self.plugin):
            return str(value)

    @property
    def label(self) -> str:
        return self._text(self.channel.label) or self.name

    @property
    def description(self) -> str:
        return self._text(self.channel.description)

    def send(self, notification: Notification, user: User) -> None:
        self.channel.send(notification, user)


def of_org(org: Organisation | None) -> dict[str, Offered]:
    """``{name: channel}`` of the channels ``org`` offers: core's, and its enabled plugins'
    (hook ``notification_channels``). The inbox and e-mail are core's own: a plugin's channel
    of the same name is ignored."""
    found: dict[str, Offered] = {c.name: Offered(c, "core") for c in CORE}
    plugins = current_app.extensions.get("gongkai.plugins") if org is not None else None
    if plugins is None:
        return found
    impls = plugins.relay(org).notification_channels.get_hookimpls()
    for impl in sorted(impls, key=lambda i: i.plugin_name != "core"):  # core's first
        for channel in impl.function(org=org) or []:
            if (
                isinstance(channel, Channel)
                and channel.name
                and (impl.plugin_name == "core" or channel.name not in CORE_CHANNELS)
            ):
                found[channel.name] = Offered(channel, impl.plugin_name)
    return found


def extras(channels: dict[str, Offered]) -> dict[str, Offered]:
    """The channels besides the inbox and e-mail."""
    return {n: c for n, c in channels.items() if n not in CORE_CHANNELS}


def offered_to(user: User) -> dict[str, Offered]:
    """The extra channels offered to ``user``: those of the organisations where they hold a role
    (a plugin enabled there). One query; the relays are cached per enabled set."""
    orgs = db.session.scalars(
        select(Organisation)
        .where(
            Organisation.id.in_(select(Membership.org_id).where(Membership.user_id == user.id)),
            Organisation.enabled.is_(True),
        )
        .order_by(Organisation.path)
    )
    found: dict[str, Offered] = {}
    for org in orgs:
        for name, channel in extras(of_org(org)).items():
            found.setdefault(name, channel)
    return found


def deliver(delivery_id: int) -> bool:
    """Job (queue ``mail``): send one delivery through its channel; True when it went."""
    delivery = db.session.get(NotificationDelivery, delivery_id)
    if delivery is None or delivery.sent_at is not None or delivery.gave_up:
        return False
    note = db.session.get(Notification, delivery.notification_id)
    user = db.session.get(User, note.user_id) if note is not None else None
    if note is None or user is None or not user.active:
        delivery.gave_up, delivery.last_error = True, "no such person any more"
        return False
    org = db.session.get(Organisation, note.org_id) if note.org_id is not None else None
    channel = of_org(org).get(delivery.channel)
    if channel is None:  # its plugin was disabled or removed since
        delivery.gave_up, delivery.last_error = True, "the channel is not offered any more"
        return False
    delivery.attempts = (delivery.attempts or 0) + 1
    try:
        jobs.once(mail.once_key(f"delivery.{delivery.channel}", delivery),
                  lambda: channel.send(note, user))  # fmt: skip
    except Exception as exc:  # the channel failed: recorded; the retry sweep tries again
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        delivery.gave_up = delivery.attempts >= MAX_ATTEMPTS
        log.warning("notification %s not sent through %s: %s", note.id, delivery.channel, exc)
        return False
    delivery.sent_at, delivery.last_error = db.utcnow(), None
    return True
