"""The signed-in user's notifications: the inbox (``/notifications``), marking read and the
e-mail choices per kind (``/notifications/settings``).

Every page shows the signed-in user's own notifications only; another user's notification does
not exist here (404). The header of every page shows the number of unread notifications
(:func:`unread_badge`: one query per request, cached).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf import FlaskForm

from core import text
from core.errors import UserError
from core.i18n import _
from core.notifications import channels, kinds
from core.notifications import operations as ops
from core.notifications.models import CHANNELS
from core.themes import render
from core.web import require_sign_in, safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
bp.before_request(require_sign_in)

CHANNEL_LABELS = {
    "off": _("In the inbox only"),
    "immediate": _("E-mail at once"),
    "daily": _("Daily e-mail summary"),
}


class ActionForm(FlaskForm):
    """The CSRF token of the inbox's buttons and of the settings form."""


@bp.app_context_processor
def badge():
    return {"unread_notifications": unread_badge}


def unread_badge() -> int | None:
    """Unread notifications of the signed-in user (None when signed out); one query a request."""
    if not current_user.is_authenticated:
        return None
    if "_unread_notifications" not in g:
        g._unread_notifications = ops.unread_count(current_user)
    return g._unread_notifications


def _page_arg() -> int:
    """The page asked for: 1 for anything that is no page number the database can count to."""
    return text.ascii_int(request.args.get("page"), minimum=1, maximum=100_000) or 1


@bp.route("")
def inbox():
    page = _page_arg()
    unread_only = request.args.get("unread") == "1"
    notes, more = ops.inbox(current_user, unread_only=unread_only, page=page)
    locale = str(get_locale())
    entries = []
    for note in notes:
        title, body = ops.render(note, locale)
        entries.append({"note": note, "title": title, "body": body})
    return render(
        "notifications/inbox.html",
        entries=entries,
        page=page,
        more=more,
        unread_only=unread_only,
        unread=unread_badge(),
        kind_label=kinds.label,
    )


@bp.route("/read", methods=["POST"])
def read():
    """Mark one notification read (``notification_id``; with ``open``: then go to its page), or
    all of them (``all``)."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = safe_next(request.form.get("next")) if request.form.get("next") else None
    if request.form.get("all"):
        count = ops.mark_all_read(current_user)
        flash(gettext("Marked %(count)s notifications read.", count=count), "success")
        return redirect(back or url_for(".inbox"))
    try:
        note_id = int(request.form.get("notification_id", ""))
    except ValueError:
        abort(400)
    try:
        note = ops.mark_read(current_user, note_id)
    except UserError as exc:
        abort(exc.status)
    if request.form.get("open") and note.link:
        return redirect(safe_next(note.link))
    return redirect(back or url_for(".inbox"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The e-mail choice per kind, and the extra channels (plugins' SMS, messaging apps …) of
    the organisations where the user holds a role, each switched on or off per kind."""
    form = ActionForm()
    offered = ops.offered(current_user)
    extras = channels.offered_to(current_user)
    current = ops.preferences(current_user)
    picked = ops.channel_choices(current_user, extras)
    status, errors = 200, []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        choices = {k.name: request.form.get(f"kind-{k.name}", current[k.name]) for k in offered}
        chosen = {
            k.name: {name: f"{k.name}/{name}" in request.form.getlist("extra") for name in extras}
            for k in offered
        }
        try:
            changes = ops.set_preferences(current_user, choices, extra=chosen, offered=extras)
        except UserError as exc:
            status, errors = exc.status, [exc.message, *exc.problems]
            current.update(choices)
            picked.update(chosen)
        else:
            if changes:
                flash(gettext("Your notification settings were saved."), "success")
            return redirect(url_for(".settings"))
    groups: dict[str, list] = {}
    for kind in offered:
        groups.setdefault(kind.group, []).append(kind)
    return render(
        "notifications/settings.html",
        form=form,
        groups=[(kinds.GROUPS.get(name, name), items) for name, items in groups.items()],
        current=current,
        channels=CHANNELS,
        channel_labels=CHANNEL_LABELS,
        extras=sorted(extras.values(), key=lambda c: c.name),
        picked=picked,
        errors=errors,
        unread=unread_badge(),
    ), status
