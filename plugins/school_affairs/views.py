"""The plugin's console pages: ``/admin/o/<code>/school_affairs/`` (settings, school affairs items,
deliveries and replay) and one page per item (its deliberation)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from core.toolkit import Forbidden, UserError, _l, may, render, require
from core.toolkit import require_sign_in as _require_sign_in
from plugins.school_affairs import operations as ops

bp = Blueprint("school_affairs", __name__, url_prefix="/admin/o/<org_code>/school_affairs")
bp.before_request(_require_sign_in)


@bp.get("/")
def index():
    org = require("school_affairs.view")
    return _index(org)


def _index(org, problems=(), status=200):
    items = ops.school_items(org)
    return (
        render(
            "school_affairs/index.html",
            org=org,
            settings=ops.settings_of(org),
            profiles=ops.PROFILES,
            items=items,
            due={i.id: ops.item_due_on(i) for i in items},
            overdue=ops.overdue_items(org),
            deliveries=ops.deliveries(org),
            errors=ops.ERRORS,
            may_manage=may(current_user, "school_affairs.manage", org),
            problems=problems,
        ),
        status,
    )


@bp.post("/school-type")
def school_type():
    org = require("school_affairs.manage")
    try:
        ops.set_school_type(org, request.form.get("school_type", ""), actor=current_user)
    except UserError as exc:
        return _index(org, [str(exc)], 400)
    return redirect(url_for(".index"))


@bp.post("/sync")
def sync():
    org = require("school_affairs.manage")
    try:
        ops.configure_sync(
            org,
            request.form.get("url", ""),
            actor=current_user,
            new_secret=bool(request.form.get("new_secret")),
        )
    except UserError as exc:
        return _index(org, [str(exc)], 400)
    return redirect(url_for(".index"))


@bp.post("/deliveries/<int:delivery_id>/replay")
def replay(delivery_id):
    org = require("school_affairs.manage")
    try:
        ops.replay(org, delivery_id, actor=current_user)
    except UserError as exc:
        if exc.status == 404:
            raise
        return _index(org, [str(exc)], 400)
    return redirect(url_for(".index"))


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
def item_page(item_id):
    org = require("school_affairs.view")
    item = ops.get_item(org, item_id)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if not may(current_user, "school_affairs.deliberate", org):
            raise Forbidden(_l("You may not record deliberations here."))
        try:
            ops.record_deliberation(item, request.form.to_dict(), actor=current_user)
            return redirect(url_for(".item_page", item_id=item.id))
        except UserError as exc:
            problems, status = [exc.message, *exc.problems], 400
    return (
        render(
            "school_affairs/item.html",
            org=org,
            item=item,
            due=ops.item_due_on(item),
            deliberations=ops.deliberations(item),
            bodies=ops.BODIES,
            may_deliberate=may(current_user, "school_affairs.deliberate", org),
            problems=problems,
        ),
        status,
    )
