"""Tenant resolution: the organisation of a request, from ``/o/<code>/...`` or a mapped host.

Views under ``/o/<org_code>/`` never load the organisation themselves: the URL value
preprocessor puts it in ``g.org`` (404 for an unknown or disabled organisation, or one outside
the county of a mapped host). ``g.host_org`` is the organisation a custom host is mapped to.
"""

from __future__ import annotations

from flask import abort, g, request
from sqlalchemy import select

from core import db
from tenants import hierarchy
from tenants.models import Organisation


def org_by_host(host: str) -> Organisation | None:
    host = (host or "").lower()
    candidates = {host, host.split(":", 1)[0]}
    return db.session.scalar(
        select(Organisation).where(Organisation.host.in_(candidates), Organisation.enabled)
    )


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
