"""The channels of disclosure (CAT-6): the code list's, those the plugins an organisation
enables add (hook ``publication_channels``) and those its county adds in its console
(:class:`core.catalogue.models.CountyChannel`), with the scopes each suits.

Precedence when codes meet: the code list, then the plugins, then the county (a county's code
is refused when it takes one of the others; a plugin installed later wins over it). A county's
retired channel keeps its name wherever it was chosen (:func:`channel_labels`) but is offered
and accepted only where it is already chosen (``keep``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import select

from core import db
from core.catalogue.models import KEY_PATTERN, CountyChannel
from core.i18n import localised
from tenants import codelists
from tenants.models import Organisation

CHANNEL_LIST = "channel"
CACHE_KEY = "gongkai.county_channels"


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


def county_id_of(org: Organisation | None) -> int | None:
    """The hosted county (root) of ``org``."""
    if org is None:
        return None
    return org.root_id or org.id


def county_channels(org: Organisation | None = None) -> list[CountyChannel]:
    """The channels of ``org``'s county (default: the request's organisation), retired ones
    included, in their order: one query, cached for the request (the operations that change
    them forget it: :func:`forget_county_channels`). Outside a request (a command, a job) each
    call asks the database: what another request changed is seen at once."""
    county_id = county_id_of(_org_or_current(org))
    if county_id is None:
        return []
    cache = request.environ.setdefault(CACHE_KEY, {}) if has_request_context() else {}
    found = cache.get(county_id)
    if found is None:
        found = cache[county_id] = list(
            db.session.scalars(
                select(CountyChannel)
                .where(CountyChannel.org_id == county_id)
                .order_by(CountyChannel.position, CountyChannel.code)
            )
        )
    return found


def forget_county_channels() -> None:
    if has_request_context():
        request.environ.pop(CACHE_KEY, None)


def _county_extra(org, known: set[str], keep: Iterable[str] = ()) -> list[CountyChannel]:
    """The county's channels that take no code of ``known``: the active ones and, of the
    retired ones, those in ``keep``."""
    kept = set(keep or ())
    return [c for c in county_channels(org) if c.code not in known and (c.active or c.code in kept)]


def channel_entries(org: Organisation | None = None, *, keep: Iterable[str] = ()) -> list:
    """The channels offered to ``org``: the code list's, then those of its plugins, then its
    county's active ones (and the retired ones of ``keep``: those already chosen)."""
    core_entries = codelists.entries(CHANNEL_LIST)
    known = {e.code for e in core_entries}
    plugin = [c for c in plugin_channels(org) if c.code not in known]
    known |= {c.code for c in plugin}
    return [*core_entries, *plugin, *_county_extra(org, known, keep)]


def channel_labels(locale: str, org: Organisation | None = None) -> dict[str, str]:
    """``{code: name}`` of every channel ``org`` may show (its county's retired ones too)."""
    return {
        **{c.code: c.label(locale) for c in county_channels(org)},
        **{c.code: c.label(locale) for c in plugin_channels(org)},
        **codelists.labels(CHANNEL_LIST, locale),
    }


def retired_channels(org: Organisation | None = None) -> set[str]:
    """Codes of the county's retired channels (no longer offered for new choices)."""
    return {c.code for c in county_channels(org) if not c.active}


def channel_audiences(
    org: Organisation | None = None, *, keep: Iterable[str] = ()
) -> dict[str, str]:
    """``{channel code: audience}`` of the channels ``org`` may choose (default: the request's
    organisation): the code list's (one query, cached for the request or command), its
    plugins' and its county's active ones (and the retired ones of ``keep``)."""
    cache = g.get("_channel_audiences") if has_app_context() else None
    if cache is None:
        cache = {
            e.code: (e.attributes or {}).get("audience", "both")
            for e in codelists.entries(CHANNEL_LIST)
        }
        if has_app_context():
            g._channel_audiences = cache
    extra = {c.code: c.attributes["audience"] for c in plugin_channels(org)}
    known = set(cache) | set(extra)
    county = {c.code: c.audience for c in _county_extra(org, known, keep)}
    return {**county, **extra, **cache} if (extra or county) else cache


def channels_for_scope(scope: str, org: Organisation | None = None, *,
                       keep: Iterable[str] = ()) -> list[str]:  # fmt: skip
    """Channels that suit a scope (CAT-6): intra-Party channels for Party scopes, society ones
    for public (with the channels of ``org``'s plugins and county; default: the request's
    organisation; the county's retired ones only when in ``keep``)."""
    wanted = SCOPE_AUDIENCES["public" if scope == "public" else "party"]
    audiences = channel_audiences(org, keep=keep)
    return [code for code, audience in audiences.items() if audience in wanted]
