"""What the portal's pages share — the web pages, the printed board and the screens: the words
and helpers of their templates (each page's text in the reader's language with its language tag,
the public state of an item, links to items)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from core import db
from core.i18n import _
from core.items import operations as items
from core.items import reading
from core.items.models import Item


def item_url(item: Item, **kwargs) -> str:
    return url_for("portal.item", org_code=item.organisation.code, item_id=item.id, **kwargs)


def localised(texts: dict | None, loc: str) -> tuple[str, str | None]:
    """``(text, lang)``: the text in ``loc``, else Chinese with its language tag for the page."""
    texts = texts or {}
    if texts.get(loc):
        return texts[loc], None
    if texts.get("zh_Hans_CN"):
        return texts["zh_Hans_CN"], "zh-Hans-CN"
    for code, value in texts.items():
        if value:
            return value, code.replace("_", "-")
    return "", None


STATE_LABELS = {
    "published": _("Published"),
    "closed": _("Closed"),
    "revoked": _("Revoked"),
}


def state_label(item: Item) -> str:
    return str(STATE_LABELS[reading.public_state(item)])


def helpers(now=None) -> dict[str, Any]:
    """Functions (and the time) the portal templates use."""
    return {
        "now": now or db.utcnow(),
        "countdown": reading.countdown,
        "public_state": reading.public_state,
        "state_label": state_label,
        "item_url": item_url,
        "localised": localised,
        "notice_open": items.notice_open,
    }
