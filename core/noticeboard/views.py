"""The printed board in the unit console (``/admin/o/<code>/board``): print it, mark it put up
with a dated photo, see the postings; a superior sees when each unit below last put its board up.

Readers: ``noticeboard.view`` (the unit and its superiors); writers: ``noticeboard.record``.
"""

from __future__ import annotations

from flask import Response, abort, g, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import localtime, web
from core.i18n import _, locale
from core.noticeboard import operations
from core.noticeboard.forms import PostingForm
from core.portal import board
from core.themes import render
from core.web import navigation

bp = web.org_blueprint("noticeboard_admin", __name__, console=True, access="noticeboard.view")

navigation.entry("disclosure", "board", _("Printed notice board"), "noticeboard_admin.index",
                 action="noticeboard.view", order=55)  # fmt: skip


def page(form: PostingForm | None = None, *, status: int = 200, errors=()):
    org = g.org
    may_record = web.may("noticeboard.record", org)
    if form is None and may_record:
        form = PostingForm(data={"posted_on": localtime.today(org)})
    return render(
        "admin/noticeboard.html",
        org=org,
        locale=locale(),
        form=form if may_record else None,
        errors=list(errors),
        postings=operations.postings(org),
        below=operations.units_below(org),
        today=localtime.today(org),
        papers=board.PAPERS,
        pdf_url=board.pdf_url,
    ), status


@bp.route("/board", methods=["GET", "POST"])
def index():
    if request.method == "GET":
        return page()
    web.require("noticeboard.record", g.org)
    form = PostingForm()
    return web.form_step(
        form,
        lambda f: operations.record(
            g.org,
            posted_on=f.posted_on.data,
            photo=f.upload(),
            note=f.note.data,
            actor=current_user,
        ),
        page=page,
        done=lambda p: gettext(
            "The board was marked as put up on %(date)s.", date=web.day(p.posted_on, "long", g.org)
        ),
        to=url_for(".index"),
    )


@bp.route("/board/postings/<int:posting_id>/photo")
def photo(posting_id: int):
    posting = operations.posting(g.org, posting_id)
    if posting is None:
        abort(404)
    response = Response(operations.photo(posting), mimetype=posting.photo_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = (
        f'inline; filename="board-{g.org.code}-{posting.posted_on.isoformat()}{suffix(posting)}"'
    )
    return response


def suffix(posting) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(
        posting.photo_type, ""
    )
