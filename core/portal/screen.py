"""Screens: ``/o/<code>/screen``, a full-screen view for an electronic screen (电子屏) or a touch
kiosk (触摸屏) in a hall, and ``/o/<code>/screen.json``, what it refreshes itself with.

The page is rendered on the server and readable as it is: the notices in their period with
their countdown, then the latest disclosures, in large type. A small script of our own
(``themes/base/static/screen.js``, no build step; the CSP allows ``script-src 'self'``) turns it
into slides that rotate, with touch, key and button navigation, fetches ``screen.json`` every
minute, and keeps showing the last content it fetched when the network drops — for an hour at
most, saying how old it is.

Like the printed board, a screen hangs where anyone passes and nobody signs in on it: both the
page and the JSON always show what an anonymous visitor may see (SCOPE-1), from the portal's own
queries (:mod:`core.items.reading`), so the screen shows what the web and the board show (VIL-5).
"""

from __future__ import annotations

from datetime import datetime

from flask import g, jsonify, make_response, url_for
from flask_babel import gettext, ngettext

from core import db, i18n, web
from core.i18n import html_lang, text_direction
from core.items import content, reading
from core.items.models import Item
from core.portal.board import minute
from core.themes import render
from tenants.models import Organisation

bp = web.org_blueprint("screen", __name__, console=False)

LATEST = 8
"""The latest disclosures a screen shows besides the notices."""
EXCERPT = 300
"""Characters of an item's text on a slide (the QR code leads to the whole)."""
REFRESH_SECONDS = 60
ROTATE_SECONDS = 15
STALE_AFTER_SECONDS = 3600
"""After this long without a successful refresh the screen stops showing what it had."""


def localised(texts: dict | None, loc: str) -> tuple[str, str | None]:
    from core.portal.pages import localised as pick

    return pick(texts, loc)


def excerpt(item: Item, loc: str) -> tuple[str, str | None]:
    version = item.current_version
    body, lang = localised(version.bodies if version else {}, loc)
    text = " ".join(content.plain_text(body).split())
    if len(text) > EXCERPT:
        text = text[: EXCERPT - 1].rstrip() + "…"
    return text, lang


def slide(item: Item, org: Organisation, now: datetime, *, notice: bool) -> dict:
    """One slide: plain data, the same for the page and the JSON."""
    loc = i18n.locale()
    version = item.current_version
    title, title_lang = localised(version.titles if version else {}, loc)
    text, text_lang = excerpt(item, loc)
    data = {
        "id": item.id,
        "kind": "notice" if notice else "item",
        "title": title,
        "title_lang": title_lang,
        "text": text,
        "text_lang": text_lang,
        "unit": item.organisation.name(loc, "short") if item.org_id != org.id else None,
        "published": web.day(item.published_at, "long", item.organisation),
        "published_at": item.published_at.isoformat(),
        "url": url_for("portal.item", org_code=item.organisation.code, item_id=item.id),
        "qr": url_for(
            "board.item_qr", org_code=item.organisation.code, item_id=item.id, kind="svg"
        ),
    }
    if notice:
        data.update(
            ends_at=item.notice_ends_at.isoformat(),
            ends=minute(item.notice_ends_at, item.organisation),
            countdown=reading.countdown(item.notice_ends_at, now),
        )
    return data


def slides(org: Organisation, now: datetime) -> list[dict]:
    """The notices in their period (soonest ending first), then the latest disclosures."""
    notices = reading.open_notices(None, org, now)
    seen = {i.id for i in notices}
    latest = [i for i in reading.recent(None, org, LATEST + len(notices)) if i.id not in seen]
    return [slide(i, org, now, notice=True) for i in notices] + [
        slide(i, org, now, notice=False) for i in latest[:LATEST]
    ]


def words() -> dict:
    """What the script writes itself, translated here (it has no catalog of its own)."""
    return {
        # the two forms of each counted word, "{n}" for the number (our languages have at most
        # two: zh one, en and ug two)
        "days": [ngettext("%(n)s day", "%(n)s days", c, n="{n}") for c in (1, 2)],
        "hours": [ngettext("%(n)s hour", "%(n)s hours", c, n="{n}") for c in (1, 2)],
        "minutes": [ngettext("%(n)s minute", "%(n)s minutes", c, n="{n}") for c in (1, 2)],
        "left_days": gettext("%(days)s %(hours)s left", days="{days}", hours="{hours}"),
        "left_hours": gettext("%(hours)s left", hours="{hours}"),
        "left_minutes": gettext("%(minutes)s left", minutes="{minutes}"),
        "ended": gettext("The notice period has ended."),
        "updated": gettext("Updated at %(time)s", time="{time}"),
        "offline": gettext(
            "No connection since %(time)s: showing the content of %(age)s ago.",
            time="{time}",
            age="{age}",
        ),
        "expired": gettext(
            "This screen has had no connection for more than an hour, so it no longer shows "
            "notices that may have changed. Please read the notice board or the unit's page."
        ),
        "pause": gettext("Pause"),
        "play": gettext("Play"),
        "slide": gettext("slide"),
        "latest": gettext("Latest disclosure"),
        "position": gettext("%(n)s of %(m)s", n="{n}", m="{total}"),
        "notice": gettext("Notice"),
        "published": gettext("Published on %(date)s", date="{date}"),
        "ends": gettext("The notice period ends at %(end)s.", end="{end}"),
        "scan": gettext("Scan to read the whole item"),
        "empty": gettext("Nothing has been disclosed to the public yet."),
    }


def data(org: Organisation, now: datetime) -> dict:
    loc = i18n.locale()
    return {
        "org": {"code": org.code, "name": org.name(loc)},
        "lang": html_lang(),
        "dir": text_direction(),
        "generated_at": now.isoformat(),
        "generated": minute(now, org),
        "slides": slides(org, now),
        "refresh_seconds": REFRESH_SECONDS,
        "rotate_seconds": ROTATE_SECONDS,
        "stale_after_seconds": STALE_AFTER_SECONDS,
    }


def no_store(response):
    """A screen must never be handed an old copy by a cache: it says how old its content is."""
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.route("/screen")
def page():
    org = g.org
    now = db.utcnow()
    content_data = data(org, now)
    html = render(
        "portal/screen.html",
        org=org,
        locale=i18n.locale(),
        screen=content_data,
        words=words(),
        portal_url=url_for("tenants.portal", org_code=org.code, _external=True),
        portal_qr=url_for("board.org_qr", org_code=org.code, kind="svg"),
        json_url=url_for(".json", org_code=org.code, lang=i18n.locale()),
    )
    return no_store(make_response(html))


@bp.route("/screen.json")
def json():
    return no_store(jsonify(data(g.org, db.utcnow())))


def init_app(app) -> None:
    """Register the screen's routes (called by :mod:`core.portal.views` as it is registered)."""
    app.register_blueprint(bp)
