"""The channels of disclosure (CAT-6): the code list's, and those the plugins an organisation
enables add (hook ``publication_channels``), with the scopes each suits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_app_context

from core.catalogue.models import KEY_PATTERN
from core.i18n import localised
from tenants import codelists
from tenants.models import Organisation

CHANNEL_LIST = "channel"


SCOPE_AUDIENCES = {"public": ("society", "both"), "party": ("party", "both")}


CHANNEL_AUDIENCES = ("party", "society", "both")


@dataclass(frozen=True)
class PluginChannel:
    """A channel a plugin adds (hook ``publication_channels``), shaped like a code list entry."""

    code: str
    labels: dict[str, str]
    attributes: dict[str, str]

    def label(self, locale: str) -> str:
        return localised(self.labels, locale) or self.code


def _org_or_current(org: Organisation | None) -> Organisation | None:
    if org is None and has_app_context():
        return g.get("org")
    return org


def plugin_channels(org: Organisation | None = None) -> list[PluginChannel]:
    """The channels the plugins ``org`` enables add (default: the request's organisation).

    A channel is ``{"code", "labels", "audience"}``; ``audience`` (``party``, ``society`` or
    ``both``) decides the scopes it suits (CAT-6). Core's channels keep their codes."""
    org = _org_or_current(org)
    if org is None or not has_app_context():
        return []
    plugins = current_app.extensions.get("gongkai.plugins")
    if plugins is None:
        return []
    found: dict[str, PluginChannel] = {}
    for batch in plugins.relay(org).publication_channels(org=org):
        for raw in batch or []:
            code, audience = raw.get("code"), raw.get("audience", "both")
            if not isinstance(code, str) or not KEY_PATTERN.match(code):
                raise ValueError(f"a publication channel needs a code like {KEY_PATTERN.pattern}")
            if audience not in CHANNEL_AUDIENCES:
                raise ValueError(f"channel {code!r}: audience must be one of {CHANNEL_AUDIENCES}")
            found.setdefault(
                code,
                PluginChannel(code, dict(raw.get("labels") or {}), {"audience": audience}),
            )
    return list(found.values())


def channel_entries(org: Organisation | None = None) -> list:
    """The channels offered to ``org``: the code list's, then those of its plugins."""
    core_entries = codelists.entries(CHANNEL_LIST)
    known = {e.code for e in core_entries}
    return [*core_entries, *(c for c in plugin_channels(org) if c.code not in known)]


def channel_labels(locale: str, org: Organisation | None = None) -> dict[str, str]:
    return {
        **{c.code: c.label(locale) for c in plugin_channels(org)},
        **codelists.labels(CHANNEL_LIST, locale),
    }


def channel_audiences(org: Organisation | None = None) -> dict[str, str]:
    """``{channel code: audience}`` (one query, cached for the request or command), with the
    channels of ``org``'s plugins (default: the request's organisation)."""
    cache = g.get("channel_audiences") if has_app_context() else None
    if cache is None:
        cache = {
            e.code: (e.attributes or {}).get("audience", "both")
            for e in codelists.entries(CHANNEL_LIST)
        }
        if has_app_context():
            g._channel_audiences = cache
    extra = {c.code: c.attributes["audience"] for c in plugin_channels(org)}
    return {**extra, **cache} if extra else cache


def channels_for_scope(scope: str, org: Organisation | None = None) -> list[str]:
    """Channels that suit a scope (CAT-6): intra-Party channels for Party scopes, society ones
    for public (with the channels of ``org``'s plugins; default: the request's organisation)."""
    wanted = SCOPE_AUDIENCES["public" if scope == "public" else "party"]
    return [code for code, audience in channel_audiences(org).items() if audience in wanted]
