"""The rules a catalogue entry and a version must meet (CAT-2, CAT-3, CAT-6): checked when an entry
is saved or imported, and by the workflow's guards before a version is submitted or approved.
Checks only (no writes), shared by :mod:`core.catalogue.operations` and
:mod:`core.catalogue.workflow`, so that neither imports the other back.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext

from core import db, problem
from core.catalogue import labels
from core.catalogue.channels import (
    SCOPE_AUDIENCES,
    channel_audiences,
    channel_labels,
    retired_channels,
)
from core.catalogue.models import CADENCES, SCOPES, CatalogueVersion
from core.catalogue.reading import entries
from core.config import SUPPORTED_LOCALES
from core.errors import Problem
from core.i18n import _, lazily, locale
from core.params import operations as params
from tenants.models import Organisation

ENTRY_FIELDS = (
    "titles",
    "content",
    "scope",
    "channels",
    "cadence",
    "due_days",
    "notice_days",
    "responsible",
    "mandatory",
    "item_type",
)


def publishes_by_template(org: Organisation) -> bool:
    """A hosted county keeps no catalogue of its own (CAT-1, CAT-3): it publishes through its
    catalogue template (基本目录), from which its units make theirs, and through its units'
    catalogues, which it approves. Nobody above a county on the platform could approve a
    catalogue of its own (CAT-3: approved by the superior), so the console offers none and the
    public catalogue page of a county shows its template in force."""
    return org.parent_id is None


def texts(value: Any, name: str, problems: list, *, required: bool) -> dict[str, str]:
    """``{locale: text}`` of a text given in one or more languages (Chinese required when
    ``required``); its problems are appended to ``problems``."""
    if isinstance(value, str):
        value = {"zh_Hans_CN": value}
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append(Problem(name, _("Give a text, or a text for each language.")))
        return {}
    out = {}
    for loc, text in value.items():
        if loc not in SUPPORTED_LOCALES:
            problems.append(problem.unknown_language(f"{name}.{loc}"))
        elif text is not None and str(text).strip():
            out[loc] = str(text).strip()
    if required and not out.get("zh_Hans_CN"):
        problems.append(problem.chinese_required(name))
    return out


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on", "是")
    return bool(value)


def channel_problems(channels: Any, scope: Any, org: Organisation, known, suitable) -> tuple:
    """``(channels, problems)``: the channel codes given (a list, or a text with commas), each
    ``known`` and ``suitable`` for the scope (CAT-6); shared by entries and item plans."""
    problems: list = []
    if isinstance(channels, str):
        channels = [c.strip() for c in channels.replace("，", ",").split(",") if c.strip()]
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        return [], [Problem("channels", _("Give a list of channel codes."))]
    if not channels:
        problems.append(Problem("channels", _("Choose at least one channel.")))
    retired = retired_channels(org) if any(c not in known for c in channels) else set()
    for channel in channels:
        if channel in retired:
            problems.append(
                Problem(
                    "channels",
                    _("The channel “%(channel)s” is retired: choose another one.",
                      channel=lazily(lambda c=channel: channel_labels(locale(), org).get(c, c))),
                )
            )  # fmt: skip
        elif channel not in known:
            problems.append(Problem("channels", _("Unknown channel “%(code)s”.", code=channel)))
        elif scope in SCOPES and channel not in suitable:
            problems.append(
                Problem(
                    "channels",
                    _("The channel “%(channel)s” does not suit the scope “%(scope)s”.",
                      channel=lazily(lambda c=channel: channel_labels(locale(), org).get(c, c)),
                      scope=lazily(labels.scope, scope)),
                )
            )  # fmt: skip
    return list(dict.fromkeys(channels)), problems


def clean_entry(data: dict[str, Any], org: Organisation, *, keep=()) -> tuple[dict[str, Any], list]:
    """Check and normalise entry fields (CAT-2: content, scope, channels, cadence, responsible).
    ``keep``: the channels the entry already has (a county's retired channel stays on it)."""
    problems: list = []
    out: dict[str, Any] = {}
    unknown = set(data) - set(ENTRY_FIELDS) - {"key", "template_key"}
    for name in sorted(unknown):
        problems.append(problem.unknown_field(name))
    out["titles"] = texts(data.get("titles"), "title", problems, required=True)
    out["content"] = texts(data.get("content"), "content", problems, required=True)
    scope = data.get("scope")
    if scope not in SCOPES:
        problems.append(
            problem.one_of("scope", scope, SCOPES) if scope else problem.required("scope")
        )
    out["scope"] = scope
    audiences = channel_audiences(org, keep=keep)
    suitable = SCOPE_AUDIENCES["public" if scope == "public" else "party"]
    out["channels"], found = channel_problems(
        data.get("channels") or [], scope, org, audiences,
        {c for c, audience in audiences.items() if audience in suitable},
    )  # fmt: skip
    problems += found
    cadence = data.get("cadence")
    if cadence not in CADENCES:
        problems.append(
            problem.one_of("cadence", cadence, CADENCES) if cadence else problem.required("cadence")
        )
    out["cadence"] = cadence
    responsible = str(data.get("responsible") or "").strip()
    if not responsible:
        problems.append(Problem("responsible", _("Name the department or person responsible.")))
    elif len(responsible) > 200:
        problems.append(problem.too_long("responsible", 200))
    out["responsible"] = responsible
    for name, low, high in (("due_days", 0, 365), ("notice_days", 0, 90)):
        value = data.get(name)
        if value in (None, ""):
            out[name] = None
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            problems.append(problem.whole_number(name))
            continue
        if not low <= value <= high:
            problems.append(problem.between(name, low, high))
        out[name] = value
    if out.get("notice_days") is not None:
        minimum = params.value(org, "notice.min_days")
        if out["notice_days"] < minimum:
            problems.append(problem.notice_too_short("notice_days", minimum))
    out["mandatory"] = flag(data.get("mandatory", False))
    item_type = data.get("item_type")
    out["item_type"] = str(item_type).strip() if item_type else None
    return out, problems


def incomplete_entries(version: CatalogueVersion) -> list:
    """The problems of the version's entries, each named by its entry's title (a page shows
    "entry: what is wrong"; the entry's key, a code, stays in ``Problem.field``)."""
    problems = []
    for entry in entries(version):
        _clean, found = clean_entry(
            {f: getattr(entry, f) for f in ENTRY_FIELDS}, version.organisation
        )
        title = lazily(lambda e=entry: e.title(locale()))
        problems += [
            Problem(
                f"{entry.key}.{p.field}" if isinstance(p, Problem) else entry.key,
                _("%(entry)s: %(problem)s", entry=title,
                  problem=p.message if isinstance(p, Problem) else p),
            )
            for p in found
        ]  # fmt: skip
    return problems


def missing_mandatory(version: CatalogueVersion) -> list[str]:
    """Keys of mandatory entries the version lacks (CAT-3): those of its template and those the
    sector plugins enabled for the unit require."""
    if version.kind == "template":
        return []
    required = []
    if version.template_version_id is not None:
        template = db.session.get(CatalogueVersion, version.template_version_id)
        required = [e.key for e in entries(template) if e.mandatory]
    required += [
        data["key"]
        for section in plugin_sections(version.organisation)
        for data in section.get("entries", [])
        if flag(data.get("mandatory"))
    ]
    present = {e.template_key for e in entries(version) if e.template_key}
    return [key for key in dict.fromkeys(required) if key not in present]


def mandatory_titles(version: CatalogueVersion, keys: list[str]) -> str:
    """The titles of the mandatory entries ``keys`` (from :func:`missing_mandatory`), in the
    reader's language, from the version's template or the plugins' sections."""
    loc = locale()
    titles: dict[str, str] = {}
    if version.template_version_id is not None:
        template = db.session.get(CatalogueVersion, version.template_version_id)
        titles.update({e.key: e.title(loc) for e in entries(template)})
    for section in plugin_sections(version.organisation):
        for data in section.get("entries", []):
            raw = data.get("titles") or data.get("title") or {}
            text = raw if isinstance(raw, str) else (raw.get(loc) or raw.get("zh_Hans_CN"))
            titles.setdefault(data["key"], str(text or data["key"]))
    return gettext(", ").join(titles.get(k, k) for k in keys)


def plugin_sections(org: Organisation) -> list[dict]:
    if not has_app_context():
        return []
    relay = current_app.extensions["gongkai.plugins"].relay(org)
    return [s for batch in relay.catalogue_template_sections(org=org) for s in batch or []]
