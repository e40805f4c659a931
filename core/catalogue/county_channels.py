"""Adding, changing, retiring and deleting a county's channels (the only writers of
:class:`core.catalogue.models.CountyChannel`; its console page is :mod:`core.channels`); each
change is audited.

A code is unique in the county and takes no code of the code list (``channel``) or of a
channel a plugin enabled in the county adds. A retired channel stays on the entries, items and
register entries that chose it (with its name) but is no longer offered; a channel that
anything chose cannot be deleted, only retired.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import String, cast, func, select
from sqlalchemy.sql.schema import Table

from core import audit, db, events
from core.catalogue.channels import (
    CHANNEL_LIST,
    county_channels,
    forget_county_channels,
    plugin_channels,
)
from core.catalogue.models import CHANNEL_AUDIENCES, KEY_PATTERN, CountyChannel
from core.config import SUPPORTED_LOCALES
from core.errors import NotFound, Problem, UserError
from core.i18n import _, lazily, locale
from tenants import codelists
from tenants.models import Organisation

LABEL_MAX = 60


def is_county(org: Organisation) -> bool:
    """A hosted county (the root of its tree): the only place channels are added."""
    return org.parent_id is None


def channels_of(county: Organisation) -> list[CountyChannel]:
    return county_channels(county)


def taken_codes(county: Organisation) -> set[str]:
    """Codes a county's channel may not take: the code list's and those of the plugins
    enabled anywhere in the county (one query for its organisations; one hook call per
    enabled set)."""
    taken = codelists.codes(CHANNEL_LIST)
    orgs = db.session.scalars(
        select(Organisation).where(
            (Organisation.root_id == county.id) | (Organisation.id == county.id)
        )
    )
    seen: dict[frozenset, Organisation] = {}
    plugins = current_app.extensions.get("gongkai.plugins")
    for org in orgs:
        if plugins is not None:
            seen.setdefault(plugins.enabled_for(org), org)
    for org in seen.values():
        taken |= {c.code for c in plugin_channels(org)}
    return taken


def _clean(data: dict[str, Any], problems: list) -> dict[str, Any]:
    labels = data.get("labels") or {}
    if not isinstance(labels, dict):
        labels = {"zh_Hans_CN": str(labels)}
    out_labels = {}
    for loc in SUPPORTED_LOCALES:
        text = str(labels.get(loc) or "").strip()
        if len(text) > LABEL_MAX:
            problems.append(Problem(f"label.{loc}", _("At most %(n)s characters.", n=LABEL_MAX)))
        elif text:
            out_labels[loc] = text
    if not out_labels.get("zh_Hans_CN"):
        problems.append(Problem("label.zh_Hans_CN", _("The Chinese name is required.")))
    audience = data.get("audience")
    if audience not in CHANNEL_AUDIENCES:
        problems.append(Problem("audience", _("Choose who the channel reaches.")))
    return {"labels": out_labels, "audience": audience}


def _require_county(county: Organisation) -> None:
    if not is_county(county):
        raise NotFound(_("Only a county adds channels of its own."))


def add(county: Organisation, data: dict[str, Any], *, actor=None) -> CountyChannel:
    """Add a channel to ``county`` (``data``: ``code``, ``labels`` {locale: name},
    ``audience``)."""
    _require_county(county)
    problems: list = []
    code = str(data.get("code") or "").strip()
    if not code:
        problems.append(Problem("code", _("This field is required.")))
    elif not KEY_PATTERN.match(code):
        problems.append(
            Problem(
                "code",
                _("Use lower-case letters a–z, digits, “.”, “_” and “-” (at most 60 characters)."),
            )
        )
    elif code in taken_codes(county):
        problems.append(
            Problem("code", _("This code is a channel of the platform or of a plugin already."))
        )
    elif any(c.code == code for c in channels_of(county)):
        problems.append(Problem("code", _("The county has a channel with this code already.")))
    clean = _clean(data, problems)
    if problems:
        raise UserError(_("The channel was not saved."), problems=problems)
    position = 1 + (
        db.session.scalar(
            select(func.max(CountyChannel.position)).where(CountyChannel.org_id == county.id)
        )
        or 0
    )
    channel = CountyChannel(org_id=county.id, code=code, active=True, position=position, **clean)
    db.session.add(channel)
    db.session.flush()
    forget_county_channels()
    audit.log(
        "channels.add", "county_channel", channel.id, org_id=county.id, actor=actor,
        changes=audit.diff({}, {"code": code, **clean, "active": True}),
    )  # fmt: skip
    events.county_channel_changed.send(channel, actor=actor)
    return channel


def _snapshot(channel: CountyChannel) -> dict[str, Any]:
    return {"labels": dict(channel.labels or {}), "audience": channel.audience}


def update(channel: CountyChannel, data: dict[str, Any], *, actor=None) -> bool:
    """Change a channel's names and audience (its code stays: entries and items keep it).
    True when something changed."""
    problems: list = []
    clean = _clean(data, problems)
    if problems:
        raise UserError(_("The channel was not saved."), problems=problems)
    before = _snapshot(channel)
    delta = audit.diff(before, clean)
    if not delta:
        return False
    channel.labels, channel.audience = clean["labels"], clean["audience"]
    db.session.flush()
    forget_county_channels()
    audit.log("channels.update", "county_channel", channel.id, org_id=channel.org_id,
              actor=actor, changes=delta)  # fmt: skip
    events.county_channel_changed.send(channel, actor=actor)
    return True


def set_active(channel: CountyChannel, active: bool, *, actor=None) -> bool:
    """Retire a channel (no longer offered; kept where chosen) or offer it again."""
    if channel.active == active:
        return False
    channel.active = active
    db.session.flush()
    forget_county_channels()
    audit.log(
        "channels.reactivate" if active else "channels.retire", "county_channel", channel.id,
        org_id=channel.org_id, actor=actor, changes={"active": [not active, active]},
    )  # fmt: skip
    events.county_channel_changed.send(channel, actor=actor)
    return True


def chosen_tables() -> list[Table]:
    """The county-keyed tables with a ``channels`` list: catalogue entries, items, register
    entries (and any plugin table shaped so) — found in the metadata, not imported, so that the
    catalogue imports none of the packages after it."""
    return [
        t
        for t in db.Base.metadata.tables.values()
        if "channels" in t.c and "county_id" in t.c and t.name != CountyChannel.__tablename__
    ]


def _uses(table: Table, county_id: int, code: str) -> int:
    """How many rows of ``table`` chose ``code`` (a text match narrows the rows in SQL, the
    list decides)."""
    rows = db.session.scalars(
        select(table.c.channels).where(
            table.c.county_id == county_id,
            cast(table.c.channels, String).like(f'%"{code}"%'),
        )
    )
    return sum(1 for channels in rows if code in (channels or []))


def uses(channel: CountyChannel) -> dict[str, int]:
    """``{table name: rows}`` of what chose the channel (only tables with some)."""
    found = {t.name: _uses(t, channel.org_id, channel.code) for t in chosen_tables()}
    return {name: n for name, n in found.items() if n}


class InUse(UserError):
    """Refused: the channel was chosen (HTTP 409)."""

    status = 409


def delete(channel: CountyChannel, *, actor=None) -> None:
    """Delete a channel nothing chose; one in use is refused (retire it instead)."""
    found = uses(channel)
    if found:
        raise InUse(
            _("“%(channel)s” has been chosen (catalogue entries: %(entries)s, items: "
              "%(items)s) and cannot be deleted. Retire it instead: it stays where it was "
              "chosen and is no longer offered.",
              channel=lazily(lambda: channel.label(locale())),
              entries=found.get("catalogue_entries", 0), items=found.get("items", 0)),
        )  # fmt: skip
    audit.log(
        "channels.delete", "county_channel", channel.id, org_id=channel.org_id, actor=actor,
        changes={"code": [channel.code, None],
                 **{k: [v, None] for k, v in _snapshot(channel).items()}},
    )  # fmt: skip
    db.session.delete(channel)
    db.session.flush()
    forget_county_channels()
    events.county_channel_changed.send(channel, actor=actor)
