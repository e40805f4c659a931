"""Tenant resolution: the organisation of a request, from ``/o/<code>/...`` or a mapped host.

Views under ``/o/<org_code>/`` never load the organisation themselves: the URL value
preprocessor puts it in ``g.org`` (404 for an unknown or disabled organisation, or one outside
the county of a mapped host). ``g.host_org`` is the organisation a custom host is mapped to.
"""

from __future__ import annotations

import time

from flask import abort, g, request
from sqlalchemy import event, select

from core import db
from tenants import hierarchy
from tenants.models import Organisation

HOSTS_KEPT_SECONDS = 30
"""How long a process keeps what it learnt of a host (mapped to which organisation, or to none):
a host mapped, moved or unmapped elsewhere takes effect in every process within this time, and
at once in the process that changed it."""

_hosts: dict[str, tuple[float, int | None]] = {}


def org_by_host(host: str) -> Organisation | None:
    host = (host or "").lower()
    now = time.monotonic()
    kept = _hosts.get(host)
    if kept is None or kept[0] < now:
        candidates = {host, host.split(":", 1)[0]}
        org_id = db.session.scalar(
            select(Organisation.id).where(Organisation.host.in_(candidates), Organisation.enabled)
        )
        if len(_hosts) > 1000:  # hosts are what visitors send: keep the memory bounded
            _hosts.clear()
        kept = _hosts[host] = (now + HOSTS_KEPT_SECONDS, org_id)
    org = db.session.get(Organisation, kept[1]) if kept[1] is not None else None
    if org is not None and not org.enabled:
        return None
    return org


@event.listens_for(Organisation, "after_insert")
@event.listens_for(Organisation, "after_update")
@event.listens_for(Organisation, "after_delete")
def _forget_hosts(_mapper, _connection, _target) -> None:
    _hosts.clear()


def resolve_host() -> None:
    g.host_org = org_by_host(request.host)


def org_from_code(code: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None or not org.enabled:
        abort(404)
    if "host_org" not in g:  # URL value preprocessors run before before_request
        resolve_host()
    host_org = g.host_org
    if host_org is not None and org.root_id != host_org.root_id:
        abort(404)
    if org.parent_id is not None:
        # the whole line up in one statement, held for the request (the session only keeps
        # weak references): the root's check and the breadcrumbs find them without a query
        g.org_ancestors = hierarchy.ancestors(org)
        root = db.session.get(Organisation, org.root_id)
        if root is None or not root.enabled:
            abort(404)
    return org


def pull_org(endpoint, values) -> None:
    """URL value preprocessor: ``org_code`` → ``g.org``."""
    if values and "org_code" in values:
        g.org = org_from_code(values.pop("org_code"))


def add_org_code(endpoint, values) -> None:
    """URL defaults: links within an organisation's pages keep its code."""
    if "org_code" not in values and g.get("org") is not None:
        from flask import current_app

        if current_app.url_map.is_endpoint_expecting(endpoint, "org_code"):
            values["org_code"] = g.org.code
