"""API endpoints of ``core.api``: organisations and trees, the register, item workflow steps,
the OpenAPI document and its reference page.

* ``GET /api/v1/orgs`` — the hosted counties (enabled roots; on a mapped host, that county);
* ``GET /api/v1/orgs/<code>`` — one organisation: parent, county, children, public contacts;
* ``GET /api/v1/orgs/<code>/tree`` — its enabled subtree, nested (one query);
* ``GET /api/v1/orgs/<code>/register`` — register entries, oldest first by ``seq``, paged with
  cursors; for the unit's own admins, reviewers and supervisors and those of its superiors
  (``register.view``), with the token scope ``register:read``; 401 anonymous, 403 others;
* ``POST /api/v1/items/<id>/transitions/<name>`` — a workflow step of an item; needs a token
  with ``items:write`` and a role that may run the step; 409 when the workflow refuses it;
* ``GET /api/v1/openapi.json`` and ``GET /api/v1/docs``.

Items, their versions and objections are in ``core.portal.api``; the catalogue in
``core.catalogue.api``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import force_locale, get_locale
from flask_login import current_user
from sqlalchemy import select

from core import db, permissions
from core.api import auth, errors, inputs, pagination, spec
from core.api import operations as tokens
from core.api.errors import ApiError
from core.api.spec import Param
from core.catalogue import labels
from core.i18n import _, normalise
from core.items import operations as items
from core.items import workflow as wf
from core.items.models import REFUSAL_REASONS, Item
from core.items.visibility import can_see
from core.register.models import RegisterEntry
from core.themes import render
from core.workflow import allowed_transitions
from tenants import codelists, hierarchy
from tenants.models import Organisation

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(inputs.preprocess_url)

PUBLIC_CONTACTS = ("hotline", "email", "suggestion_box", "reception_day", "address")
LANG, ORG_CODE, ITEM_ID = spec.LANG, spec.ORG_CODE, spec.ITEM_ID


def _language() -> str:
    return normalise(request.args.get("lang")) or str(get_locale())


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# --- organisations ---------------------------------------------------------------------------


def org_summary(org: Organisation, loc: str, types: dict[str, str]) -> dict[str, Any]:
    return {
        "code": org.code,
        "name": org.name(loc),
        "short_name": org.name(loc, "short"),
        "type": org.type_code,
        "type_label": types.get(org.type_code, org.type_code),
        "sector": org.sector,
        "url": url_for("tenants.portal", org_code=org.code, _external=True),
        "api_url": url_for("api.organisation", org_code=org.code, _external=True),
    }


def _types(loc: str) -> dict[str, str]:
    return codelists.labels(codelists.ORG_TYPE, loc)


@bp.route("/orgs")
@spec.operation(
    _("Hosted counties"),
    tag="organisations",
    description=_("The enabled root organisations (on a county's own host: that county)."),
    params=(LANG,),
    responses={200: "OrganisationList"},
    auth="none",
)
def organisations():
    loc = _language()
    roots = hierarchy.roots()
    host_org = g.get("host_org")
    if host_org is not None:
        roots = [r for r in roots if r.id == host_org.root_id]
    types = _types(loc)
    with force_locale(loc):
        body = {"language": loc, "organisations": [org_summary(r, loc, types) for r in roots]}
    return jsonify(body)


@bp.route("/orgs/<org_code>", endpoint="organisation")
@spec.operation(
    _("One organisation"),
    tag="organisations",
    description=_(
        "An organisation with its parent, county, enabled children and public contact channels."
    ),
    params=(ORG_CODE, LANG),
    responses={200: "Organisation"},
    auth="none",
)
def organisation():
    org: Organisation = g.org
    loc = _language()
    types = _types(loc)
    ids = {i for i in (org.parent_id, org.root_id) if i and i != org.id}
    related = (
        {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
        if ids
        else {}
    )
    parent = related.get(org.parent_id) if org.parent_id else None
    county = related.get(org.root_id, org) if org.parent_id else org
    children = [c for c in hierarchy.children(org) if c.enabled]
    with force_locale(loc):
        body = {
            **org_summary(org, loc, types),
            "names": dict(org.names or {}),
            "parent": {"code": parent.code, "name": parent.name(loc)} if parent else None,
            "county": {"code": county.code, "name": county.name(loc)},
            "children": [org_summary(c, loc, types) for c in children],
            "contacts": {
                k: str(v)
                for k, v in (org.contacts or {}).items()
                if k in PUBLIC_CONTACTS and v not in (None, "")
            },
            "leading_group": dict(org.leading_group or {}),
            "default_locale": org.default_locale,
            "timezone": org.timezone,
            "language": loc,
        }
    return jsonify(body)


def enabled_subtree(org: Organisation) -> list[Organisation]:
    """The subtree of ``org`` without disabled organisations and what lies below them."""
    nodes = hierarchy.subtree(org)
    disabled = [n.path for n in nodes if not n.enabled]
    return [n for n in nodes if not any(n.path.startswith(p) for p in disabled)]


@bp.route("/orgs/<org_code>/tree")
@spec.operation(
    _("The subtree of an organisation"),
    tag="organisations",
    description=_("The organisation and every enabled organisation below it, nested."),
    params=(ORG_CODE, LANG),
    responses={200: "OrganisationTree"},
    auth="none",
)
def tree():
    org: Organisation = g.org
    loc = _language()
    types = _types(loc)
    nodes = enabled_subtree(org)

    def node_json(pair) -> dict[str, Any]:
        node, children = pair
        return {
            "code": node.code,
            "name": node.name(loc),
            "short_name": node.name(loc, "short"),
            "type": node.type_code,
            "type_label": types.get(node.type_code, node.type_code),
            "sector": node.sector,
            "api_url": url_for("api.organisation", org_code=node.code, _external=True),
            "children": [node_json(child) for child in children],
        }

    with force_locale(loc):
        top = hierarchy.build_tree(nodes)
        body = {"language": loc, "size": len(nodes), "tree": node_json(top[0])}
    return jsonify(body)


# --- the register ----------------------------------------------------------------------------


def register_entry_json(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "recorded_at": entry.recorded_at.isoformat(),
        "year": entry.year,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_version": entry.object_version,
        "title": entry.title,
        "scope": entry.scope,
        "channels": list(entry.channels or []),
        "approvals": list(entry.approvals or []),
        "attachments": list(entry.attachments or []),
        "actor": entry.actor_label,
        "data": dict(entry.data or {}),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


@bp.route("/orgs/<org_code>/register")
@spec.operation(
    _("Register entries of a unit"),
    tag="register",
    description=_(
        "The unit's register (ARC-1), oldest first, paged with cursors: for its admins, "
        "reviewers and supervisors and those of its superiors."
    ),
    params=(
        ORG_CODE,
        Param("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, _("Only this year.")),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, _("Page size.")),
        Param("cursor", {"type": "string", "maxLength": 500}, _("next_cursor of a page.")),
    ),
    responses={200: "RegisterPage", 403: None},
    scope="register:read",
)
def register():
    org: Organisation = g.org
    if not current_user.is_authenticated:
        raise ApiError(
            401,
            "The register is for the unit's admins and superiors: send a token.",
            headers={"WWW-Authenticate": 'Bearer realm="gongkai"'},
        )
    auth.require_scope("register.view", org)  # the token first: its refusal says more
    if not permissions.may(current_user, "register.view", org):
        raise ApiError(403, "You may not read this unit's register.")
    problems: list[str] = []
    year = None
    raw_year = request.args.get("year")
    if raw_year not in (None, ""):
        try:
            year = int(raw_year)
        except ValueError:
            year = 0
        if not 2000 <= year <= 2100:
            problems.append("year: a year from 2000 to 2100")
    limit = pagination.limit_arg(request.args, problems)
    kind = f"register:{org.id}"
    position = pagination.decode(request.args.get("cursor"), kind, {"year": year}, problems)
    if position is not None and not isinstance(position, int):
        problems.append("cursor: not a cursor of this list")
    pagination.require_valid(problems)
    query = select(RegisterEntry).where(RegisterEntry.org_id == org.id)
    if year is not None:
        query = query.where(RegisterEntry.year == year)
    if position is not None:
        query = query.where(RegisterEntry.seq > position)
    rows = list(db.session.scalars(query.order_by(RegisterEntry.seq).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = pagination.encode(kind, {"year": year}, rows[-1].seq)
    body = {
        "organisation": {"code": org.code, "name": org.name(str(get_locale()))},
        "year": year,
        "limit": limit,
        "next_cursor": next_cursor,
        "entries": [register_entry_json(e) for e in rows],
    }
    return jsonify(body)


# --- item workflow steps ---------------------------------------------------------------------


def _comment(data, problems, *, required: bool) -> str | None:
    return inputs.text_field(data, "comment", problems, required=required)


def _review(item: Item, data: dict, problems: list[str]):
    refuse = data.get("refuse_reason")
    if refuse is not None and refuse not in REFUSAL_REASONS:
        problems.append(f"refuse_reason: one of {', '.join(REFUSAL_REASONS)}")
    kwargs = {
        "secrecy_passed": inputs.bool_field(data, "secrecy_passed", problems),
        "secrecy_basis": inputs.text_field(
            data, "secrecy_basis", problems, required=True, max_length=500
        ),
        "necessity_ok": inputs.bool_field(data, "necessity_ok", problems),
        "accuracy_ok": inputs.bool_field(data, "accuracy_ok", problems),
        "comment": _comment(data, problems, required=False),
        "refuse_reason": refuse if refuse in REFUSAL_REASONS else None,
    }
    return lambda actor: items.review(item, actor=actor, **kwargs)


def _plain(func):
    return lambda item, data, problems: lambda actor: func(item, actor=actor)


def _with_text(func, field: str):
    def prepare(item, data, problems):
        value = inputs.text_field(data, field, problems, required=True)
        return lambda actor: func(item, actor=actor, **{field: value})

    return prepare


def _amendment(item: Item, data: dict, problems: list[str]):
    titles = inputs.texts_field(data, "titles", problems)
    bodies = inputs.texts_field(data, "bodies", problems)
    explanation = inputs.text_field(data, "explanation", problems, required=True)
    return lambda actor: items.request_amendment(
        item, actor=actor, titles=titles, bodies=bodies, explanation=explanation
    )


def _decision(func, *, approve: bool):
    def prepare(item, data, problems):
        comment = _comment(data, problems, required=not approve)
        return lambda actor: func(item, actor=actor, approve=approve, comment=comment)

    return prepare


STEPS = {
    # API name: (workflow transitions it may run, how to prepare it from the body)
    "propose": (("propose",), _plain(items.propose)),
    "review": (("review", "refuse"), _review),
    "return_to_draft": (("return_to_draft",), _with_text(items.return_to_draft, "comment")),
    "approve": (("approve", "escalate"), _plain(items.approve)),
    "superior_approve": (("superior_approve",), _decision(items.superior_decide, approve=True)),
    "superior_return": (("superior_return",), _decision(items.superior_decide, approve=False)),
    "schedule": (("schedule",), _plain(items.schedule_publication)),
    "publish": (("publish",), _plain(items.publish)),
    "close": (("close",), _plain(items.close)),
    "withhold": (("withhold",), _with_text(items.withhold, "reason")),
    "request_amendment": (("request_amendment",), _amendment),
    "approve_amendment": (("approve_amendment",), _decision(items.decide_amendment, approve=True)),
    "reject_amendment": (("reject_amendment",), _decision(items.decide_amendment, approve=False)),
    "request_revocation": (
        ("request_revocation",),
        _with_text(items.request_revocation, "explanation"),
    ),
    "approve_revocation": (
        ("approve_revocation",),
        _decision(items.decide_revocation, approve=True),
    ),
    "reject_revocation": (
        ("reject_revocation",),
        _decision(items.decide_revocation, approve=False),
    ),
}
"""The workflow steps the API runs, by name (see :mod:`core.items.workflow`): ``approve`` submits
to the superior when the item needs it; ``review`` records the review (a failed check returns
the item, ``refuse_reason`` refuses it)."""


def workflow_item_json(item: Item, loc: str) -> dict[str, Any]:
    version = item.current_version
    return {
        "id": item.id,
        "organisation": {"code": item.organisation.code, "name": item.organisation.name(loc)},
        "state": item.state,
        "title": labels.title(version.titles if version else {}, loc),
        "titles": dict(version.titles or {}) if version else {},
        "scope": item.scope,
        "visible_scope": item.visible_scope,
        "version": version.number if version else None,
        "planned_at": _iso(item.planned_at),
        "published_at": _iso(item.published_at),
        "notice_ends_at": _iso(item.notice_ends_at),
        "transitions": [t.name for t in allowed_transitions(wf.item, item, actor=current_user)],
        "api_url": url_for("api.transition_item", item_id=item.id, _external=True),
    }


def workflow_item(item_id: int, *, console_only: bool = False) -> Item:
    """An item the token's user may work on or read (else 404), of an enabled county; with
    ``console_only``, only for those who see it in the unit console (its workflow state, plan
    and scopes are console business)."""
    found = db.session.get(Item, item_id)
    if found is None:
        raise errors.not_found("There is no such item, or you may not see it.")
    org = found.organisation
    root = org if org.parent_id is None else db.session.get(Organisation, org.root_id)
    visible = permissions.may(current_user, "items.view_console", org) or (
        not console_only and can_see(auth.reader(org), found)
    )
    if not visible or not org.enabled or root is None or not root.enabled:
        raise errors.not_found("There is no such item, or you may not see it.")
    return found


@bp.route("/items/<int:item_id>/transitions", endpoint="transition_item")
@spec.operation(
    _("An item's state and the steps the caller may run"),
    tag="workflow",
    description=_("The item as the workflow sees it, with the steps the token's user may run."),
    params=(ITEM_ID, LANG),
    responses={200: "WorkflowItem"},
    auth="required",
)
def transition_item(item_id: int):
    auth.require_bearer()
    found = workflow_item(item_id, console_only=True)
    loc = _language()
    with force_locale(loc):
        return jsonify(workflow_item_json(found, loc))


@bp.route(
    "/items/<int:item_id>/transitions/<any({}):name>".format(", ".join(STEPS)),
    methods=["POST"],
)
@spec.operation(
    _("Run a workflow step of an item"),
    tag="workflow",
    description=_(
        "Runs the step as the token's user: it needs the token scope items:write and a role "
        "that may run it. A comment, reason or explanation is required where the step needs "
        "one; review takes its findings. Answers the item."
    ),
    params=(
        ITEM_ID,
        Param("name", {}, _("The step (transition)."), location="path"),
    ),
    body="TransitionInput",
    responses={200: "WorkflowItem", 409: None},
    auth="required",
    scope="items:write",
)
def transition(item_id: int, name: str):
    auth.require_bearer()
    found = workflow_item(item_id)
    org = found.organisation
    auth.require_scope(f"item.{name}", org)
    candidates, prepare = STEPS[name]
    transitions = [wf.item.transitions[t] for t in candidates]
    if not any(permissions.may_run(current_user, "item", t, found, org=org) for t in transitions):
        raise ApiError(403, "You hold no role that may run this step for this item.")
    data = inputs.json_body(optional=True)
    problems: list[str] = []
    run = prepare(found, data, problems)
    if problems:
        raise ApiError(422, "The step needs other input.", problems=problems)
    run(current_user)
    db.session.flush()
    loc = _language()
    with force_locale(loc):
        return jsonify(workflow_item_json(found, loc))


# --- the document and its reference page -----------------------------------------------------


@bp.route("/openapi.json")
@spec.operation(
    _("This API's OpenAPI document"),
    tag="documentation",
    params=(LANG,),
    responses={200: None},
    auth="none",
)
def openapi():
    with force_locale(_language()):
        document = spec.document(current_app, server_url=request.script_root or "/")
    return jsonify(document)


def _schema_name(schema: dict[str, Any] | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def _type_text(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _schema_name(schema) or ""
    if "anyOf" in schema:
        return " | ".join(_type_text(s) for s in schema["anyOf"])
    if "allOf" in schema:
        return " + ".join(_type_text(s) for s in schema["allOf"])
    kind = schema.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " | ".join(
        f"array of {_type_text(schema.get('items', {}))}" if k == "array" else k for k in kinds
    )
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": " + ", ".join(str(v) for v in schema["enum"])
    return text


@bp.route("/docs")
@spec.operation(
    _("The API reference (HTML)"),
    tag="documentation",
    params=(LANG,),
    responses={200: None},
    auth="none",
    media_type="text/html",
)
def docs():
    loc = _language()
    with force_locale(loc):
        document = spec.document(current_app, server_url=request.script_root or "/")
        operations = []
        for path, methods in document["paths"].items():
            for method, op in methods.items():
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
                operations.append(
                    {
                        "id": op["operationId"],
                        "method": method.upper(),
                        "path": path,
                        "op": op,
                        "body": _schema_name(body.get("schema")),
                        "auth": [k for s in op.get("security", []) for k in s] or [],
                        "optional_auth": {} in op.get("security", []),
                        "responses": [
                            (
                                status,
                                r["description"],
                                _schema_name(
                                    r.get("content", {}).get("application/json", {}).get("schema")
                                ),
                            )
                            for status, r in op["responses"].items()
                        ],
                    }
                )
        return render(
            "api/docs.html",
            document=document,
            operations=operations,
            schemas=document["components"]["schemas"],
            type_text=_type_text,
            scopes=tokens.SCOPES,
        )
