"""The rules a catalogue entry and a version must meet (CAT-2, CAT-3, CAT-6): checked when an entry
is saved or imported, and by the workflow's guards before a version is submitted or approved.
Checks only (no writes), shared by :mod:`core.catalogue.operations` and
:mod:`core.catalogue.workflow`, so that neither imports the other back.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from core import db
from core.catalogue.channels import SCOPE_AUDIENCES, channel_audiences
from core.catalogue.models import CADENCES, SCOPES, CatalogueVersion
from core.catalogue.reading import entries
from core.config import SUPPORTED_LOCALES
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


def texts(value: Any, name: str, problems: list[str], *, required: bool) -> dict[str, str]:
    if isinstance(value, str):
        value = {"zh_Hans_CN": value}
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append(f"{name}: must be a text or a mapping of language to text")
        return {}
    out = {}
    for loc, text in value.items():
        if loc not in SUPPORTED_LOCALES:
            problems.append(f"{name}.{loc}: unknown language (use {', '.join(SUPPORTED_LOCALES)})")
        elif text is not None and str(text).strip():
            out[loc] = str(text).strip()
    if required and not out.get("zh_Hans_CN"):
        problems.append(f"{name}: the Chinese text is required")
    return out


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on", "是")
    return bool(value)


def clean_entry(data: dict[str, Any], org: Organisation) -> tuple[dict[str, Any], list[str]]:
    """Check and normalise entry fields (CAT-2: content, scope, channels, cadence, responsible)."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    unknown = set(data) - set(ENTRY_FIELDS) - {"key", "template_key"}
    for name in sorted(unknown):
        problems.append(f"{name}: unknown field")
    out["titles"] = texts(data.get("titles"), "title", problems, required=True)
    out["content"] = texts(data.get("content"), "content", problems, required=True)
    scope = data.get("scope")
    if scope not in SCOPES:
        problems.append(
            f"scope: {scope!r} is not one of {', '.join(SCOPES)}" if scope else "scope: is required"
        )
    out["scope"] = scope
    channels = data.get("channels") or []
    if isinstance(channels, str):
        channels = [c.strip() for c in channels.replace("，", ",").split(",") if c.strip()]
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        problems.append("channels: must be a list of channel codes")
        channels = []
    audiences = channel_audiences(org)
    suitable = SCOPE_AUDIENCES["public" if scope == "public" else "party"]
    if not channels:
        problems.append("channels: at least one channel is required")
    for channel in channels:
        if channel not in audiences:
            problems.append(f"channels: unknown channel {channel!r}")
        elif scope in SCOPES and audiences[channel] not in suitable:
            problems.append(f"channels: {channel!r} does not suit the scope {scope!r}")
    out["channels"] = list(dict.fromkeys(channels))
    cadence = data.get("cadence")
    if cadence not in CADENCES:
        problems.append(
            f"cadence: {cadence!r} is not one of {', '.join(CADENCES)}"
            if cadence
            else "cadence: is required"
        )
    out["cadence"] = cadence
    responsible = str(data.get("responsible") or "").strip()
    if not responsible:
        problems.append("responsible: the responsible department or person is required")
    elif len(responsible) > 200:
        problems.append("responsible: at most 200 characters")
    out["responsible"] = responsible
    for name, low, high in (("due_days", 0, 365), ("notice_days", 0, 90)):
        value = data.get(name)
        if value in (None, ""):
            out[name] = None
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            problems.append(f"{name}: must be a whole number")
            continue
        if not low <= value <= high:
            problems.append(f"{name}: must be between {low} and {high}")
        out[name] = value
    if out.get("notice_days") is not None:
        minimum = params.value(org, "notice.min_days")
        if out["notice_days"] < minimum:
            problems.append(f"notice_days: a notice period lasts at least {minimum} days (PUB-5)")
    out["mandatory"] = flag(data.get("mandatory", False))
    item_type = data.get("item_type")
    out["item_type"] = str(item_type).strip() if item_type else None
    return out, problems


def incomplete_entries(version: CatalogueVersion) -> list[str]:
    problems = []
    for entry in entries(version):
        _clean, found = clean_entry(
            {f: getattr(entry, f) for f in ENTRY_FIELDS}, version.organisation
        )
        problems += [f"{entry.key}: {p}" for p in found]
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


def plugin_sections(org: Organisation) -> list[dict]:
    if not has_app_context():
        return []
    relay = current_app.extensions["gongkai.plugins"].relay(org)
    return [s for batch in relay.catalogue_template_sections(org=org) for s in batch or []]
