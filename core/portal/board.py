"""The printed notice board (公开栏) and the QR codes of the public pages.

* ``/o/<code>/board.pdf?size=A4|A3&orientation=portrait|landscape`` — the unit's board, printed
  on the server with WeasyPrint: the notices in their period and the current item of each
  catalogue entry, grouped by catalogue category (each with its publication date, its notice
  period and how to object, and a QR code of its page), then the latest other disclosures; a
  footer on every sheet with QR codes of the unit's portal and of its feedback form.
* ``/o/<code>/qr.svg`` (``.png``) — the QR code of the unit's portal;
  ``/o/<code>/items/<id>/qr.svg`` (``.png``) — of a public item's page.

**The same content as the web (VIL-5)**: :func:`build` reads with the portal's own queries
(:mod:`core.items.reading`), always as an anonymous visitor — a board is posted in a courtyard
and a QR code is printed on paper, so they hold ``public`` items only, whoever asks (SCOPE-1).
The QR codes point at absolute URLs of the host the request came to (a county's mapped host
stays its own).

A PDF is expensive: it is cached (Redis, or the embedded server without ``REDIS_URL``) under a
digest of what it shows, the language, the paper and the host, so it is rendered again only when
the content changes; an ``ETag`` of the same digest answers repeated requests with ``304``.
Rendering is rate limited per address (:data:`PDF_LIMIT`); cached copies are not counted.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

import segno
from babel import Locale
from babel.dates import format_date, format_skeleton
from flask import Response, abort, g, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from redis.exceptions import RedisError
from sqlalchemy import select

from core import db, i18n, localtime, ratelimit, web
from core.catalogue import operations as cat
from core.catalogue.models import Category, Entry
from core.i18n import html_lang, text_direction
from core.items import content, reading
from core.items.models import Item
from core.items.visibility import visible_items
from core.pdf import page_counter
from core.pdf import write as write_pdf
from core.themes import render
from tenants.models import Organisation

log = logging.getLogger(__name__)

bp = web.org_blueprint("board", __name__, console=False)

SIZES = {"a4": "A4", "a3": "A3"}
ORIENTATIONS = ("portrait", "landscape")
PAPERS = [(s, o) for s in SIZES.values() for o in ORIENTATIONS]
COLUMNS = {("A4", "portrait"): 2, ("A4", "landscape"): 3, ("A3", "portrait"): 3}
"""Columns of cards per sheet (A3 landscape: 4)."""
PDF_LIMIT = "20 per hour;5 per minute"
"""PDFs one address may have rendered (copies from the cache are not counted)."""
CACHE_SECONDS = 7 * 24 * 3600
CACHE_PREFIX = "gongkai:board:"
QR_MAX_AGE = 24 * 3600


# --- what is on the board ----------------------------------------------------------------------


@dataclass
class Group:
    """One catalogue category (its titles with those of its parents) and its items."""

    path: list[Category]
    items: list[Item] = field(default_factory=list)
    entries: dict[int, Entry] = field(default_factory=dict)  # item id: its catalogue entry


@dataclass
class Board:
    org: Organisation
    groups: list[Group]  # catalogue categories, in catalogue order; empty ones left out
    others: list[Item]  # notices and latest items outside the catalogue's entries
    notice_ids: set[int]  # the notices in their period (shown with period and objection)
    as_of: datetime  # the latest change of what the board shows: its date
    now: datetime

    def items(self) -> list[Item]:
        return [i for group in self.groups for i in group.items] + self.others

    def is_empty(self) -> bool:
        return not self.groups and not self.others

    def digest(self) -> str:
        """Changes whenever anything the board shows changes."""
        org = self.org
        facts = [
            org.id,
            org.code,
            str(org.updated_at),
            [[c.id for c in group.path] + [i.id for i in group.items] for group in self.groups],
            [
                (i.id, str(i.updated_at), i.current_version_id, i.state, str(i.notice_ends_at))
                for i in self.items()
            ],
            sorted(self.notice_ids),
            str(self.as_of),
        ]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def edition(org: Organisation, now: datetime) -> datetime:
    """The board's date: the latest change among the public items of ``org``'s subtree (a
    publication, an amendment, a revocation, a notice period ending) or of the unit's own
    details (name, contacts), in one statement."""
    public = visible_items(None, within=org)
    # the newest first, one row (not max(): PostgreSQL aggregates every public item of the
    # subtree for it, where these read backwards from an index and stop at the first)
    changed = (
        public.with_only_columns(Item.updated_at)
        .where(Item.updated_at.is_not(None))
        .order_by(Item.updated_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    ended = (
        public.where(Item.is_notice.is_(True), Item.notice_ends_at <= now)
        .with_only_columns(Item.notice_ends_at)
        .order_by(Item.notice_ends_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    row = db.session.execute(select(changed, ended)).one()
    return max(moment for moment in (*row, org.updated_at) if moment is not None)


def build(org: Organisation, now: datetime | None = None) -> Board:
    """The board of ``org``: what its portal shows an anonymous visitor (VIL-5, SCOPE-1), a
    fixed number of statements."""
    now = now or db.utcnow()
    version = cat.effective_version(org)
    nodes = cat.tree(version) if version else []
    latest = reading.latest_per_entry(None, org) if nodes else {}
    notices = reading.open_notices(None, org, now)
    notice_ids = {i.id for i in notices}
    own_notices = {}
    for item in notices:
        if item.org_id == org.id and item.entry_key:
            own_notices.setdefault(item.entry_key, []).append(item)
    groups: list[Group] = []
    shown: set[int] = set()

    def walk(level: list, path: list[Category]) -> None:
        for node in level:
            group = Group([*path, node.category])
            for entry in node.entries:
                for item in [*own_notices.get(entry.key, []), latest.get(entry.key)]:
                    if item is not None and item.id not in shown:
                        shown.add(item.id)
                        group.items.append(item)
                        group.entries[item.id] = entry
            if group.items:
                groups.append(group)
            walk(node.children, group.path)

    walk(nodes, [])
    others = [i for i in notices if i.id not in shown]
    shown.update(i.id for i in others)
    others += [i for i in reading.recent(None, org) if i.id not in shown]
    return Board(org, groups, others, notice_ids, edition(org, now), now)


def minute(moment: datetime | None, org: Organisation | None) -> str:
    """A moment to the minute, with the month in words (a notice period on paper or a screen:
    seconds are noise there), in the organisation's time zone and the reader's language."""
    if moment is None:
        return ""
    loc = Locale.parse(i18n.locale())
    local = moment.astimezone(localtime.zone(org))
    day_text = format_date(local.date(), "long", locale=loc)
    time_text = format_skeleton("Hm", local, locale=loc)
    return loc.datetime_formats["medium"].format(time_text, day_text)


# --- QR codes ----------------------------------------------------------------------------------


def qr(url: str):
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, title: str | None = None) -> bytes:
    out = io.BytesIO()
    qr(url).save(
        out, kind="svg", scale=4, border=4, dark="#000", light="#fff",
        title=title or url, xmldecl=False, svgclass="qr", lineclass=None,
    )  # fmt: skip
    return out.getvalue()


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    qr(url).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def qr_data_uri(url: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url)).decode("ascii")


def qr_response(url: str, kind: str, name: str) -> Response:
    if kind == "png":
        response = Response(qr_png(url), mimetype="image/png")
    else:
        response = Response(qr_svg(url), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{kind}"'
    # the same for everyone on this host: public, whoever asks
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)


def portal_url(org: Organisation) -> str:
    return url_for("tenants.portal", org_code=org.code, _external=True)


def item_url(item: Item) -> str:
    return url_for("portal.item", org_code=item.organisation.code, item_id=item.id, _external=True)


def feedback_url(org: Organisation, item: Item | None = None) -> str:
    args = {"item": item.id} if item is not None else {}
    return url_for("feedback.give", org_code=org.code, _external=True, **args)


def public_item_or_404(item_id: int) -> Item:
    """An item of the URL's organisation that anyone may see (a printed code is for anyone)."""
    item = db.session.scalar(visible_items(None).where(Item.id == item_id, Item.org_id == g.org.id))
    if item is None:
        abort(404)
    return item


@bp.route("/qr.<any(svg, png):kind>")
def org_qr(kind: str):
    return qr_response(portal_url(g.org), kind, f"{g.org.code}-qr")


@bp.route("/items/<int:item_id>/qr.<any(svg, png):kind>")
def item_qr(item_id: int, kind: str):
    item = public_item_or_404(item_id)
    return qr_response(item_url(item), kind, f"{g.org.code}-{item.id}-qr")


# --- the PDF -----------------------------------------------------------------------------------


def paper() -> tuple[str, str, list[str]]:
    """``(size, orientation, problems)`` from the query string (A4 portrait by default)."""
    problems = []
    size = (request.args.get("size") or "A4").strip()
    orientation = (request.args.get("orientation") or "portrait").strip()
    if size.lower() not in SIZES:
        problems.append(
            gettext("Paper size “%(value)s” is not available: choose A4 or A3.", value=size[:20])
        )
    if orientation.lower() not in ORIENTATIONS:
        problems.append(
            gettext(
                "Orientation “%(value)s” is not available: choose portrait or landscape.",
                value=orientation[:20],
            )
        )
    return SIZES.get(size.lower(), "A4"), orientation.lower(), problems


def refusal(status: int, title: str, lines: list[str], headers: dict | None = None):
    """A translated error page (the PDF's address is also a page a person opens)."""
    page = render("error.html", status=status, title=title, message="\n".join(lines))
    return page, status, headers or {}


def pdf_url(org: Organisation, size: str = "A4", orientation: str = "portrait") -> str:
    return url_for("board.pdf", org_code=org.code, size=size, orientation=orientation)


def print_context(board: Board, size: str, orientation: str) -> dict:
    from core.portal.pages import helpers, localised

    org = board.org
    qr_codes = {i.id: qr_data_uri(item_url(i)) for i in board.items()}
    item_urls = {i.id: item_url(i) for i in board.items()}
    return {
        "org": org,
        "board": board,
        "size": size,
        "orientation": orientation,
        "columns": COLUMNS.get((size, orientation), 4),
        "locale": str(html_lang()).replace("-", "_"),
        "direction": text_direction(),
        "qr_codes": qr_codes,
        "qr_src": lambda item: qr_codes[item.id],
        "item_urls": item_urls,
        "page_counter": Markup(page_counter()),  # noqa: S704 - quoted by css_string
        "minute": minute,
        "portal_url": portal_url(org),
        "portal_qr": qr_data_uri(portal_url(org)),
        "feedback_url": feedback_url(org),
        "feedback_qr": qr_data_uri(feedback_url(org)),
        "render": content.render,
        "localised": localised,
        **{k: v for k, v in helpers(board.now).items() if k != "item_url"},
    }


def render_pdf(board: Board, size: str, orientation: str) -> bytes:
    html = render("portal/board_print.html", **print_context(board, size, orientation))
    return write_pdf(html, base_url=request.host_url)


def _cache():
    from core import jobs

    return jobs.redis_connection()


def cached(key: str) -> bytes | None:
    try:
        return _cache().get(CACHE_PREFIX + key)
    except (RedisError, OSError):  # a cache that is down is no cache: render
        log.warning("the board cache cannot be read", exc_info=True)
        return None


def keep(key: str, data: bytes) -> None:
    try:
        _cache().set(CACHE_PREFIX + key, data, ex=CACHE_SECONDS)
    except (RedisError, OSError):
        log.warning("the board cache cannot be written", exc_info=True)


def pdf_key(board: Board, size: str, orientation: str) -> str:
    parts = [board.digest(), str(html_lang()), size, orientation, request.host_url]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@bp.route("/board.pdf")
def pdf():
    org = g.org
    size, orientation, problems = paper()
    if problems:
        return refusal(400, gettext("The notice board cannot be printed so"), problems)
    board = build(org)
    key = pdf_key(board, size, orientation)
    etag = key[:32]
    if request.if_none_match.contains(etag):
        unchanged = Response(status=304)
        unchanged.set_etag(etag)
        return unchanged
    data = cached(key)
    if data is None:
        try:
            with ratelimit.limit(PDF_LIMIT, scope="board-pdf"):
                data = render_pdf(board, size, orientation)
        except ratelimit.RateLimitExceeded:
            message = gettext(
                "Too many notice boards were printed from your address. "
                "Please try again in a few minutes."
            )
            return refusal(429, gettext("Too many requests"), [message], {"Retry-After": "60"})
        keep(key, data)
    name = f"{org.code}-board-{size}-{orientation}.pdf"
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.vary.update(("Accept-Language", "Cookie"))
    return response


# --- what the pages show of the board ----------------------------------------------------------


@dataclass
class BoardLinks:
    """The board's date and the links an organisation's or item's page offers."""

    as_of: datetime
    papers: list[tuple[str, str, str]]  # (size, orientation, url)
    qr_svg: str
    qr_png: str
    feedback: str | None = None  # the feedback form with the item chosen


def links(org: Organisation, item: Item | None = None) -> BoardLinks:
    """What the unit portal and an item page show: the board's date, its PDFs, the page's QR
    code (a public item's, or the unit's), feedback on the item (one statement)."""
    now = db.utcnow()
    papers = [(s, o, pdf_url(org, s, o)) for s, o in PAPERS]
    if item is not None and item.visible_scope == "public":
        code = {"org_code": org.code, "item_id": item.id}
        svg = url_for("board.item_qr", kind="svg", **code)
        png = url_for("board.item_qr", kind="png", **code)
    elif item is not None:  # an intra-Party item: no code on paper, nobody else could open it
        svg = png = ""
    else:
        svg = url_for("board.org_qr", org_code=org.code, kind="svg")
        png = url_for("board.org_qr", org_code=org.code, kind="png")
    feedback = None
    if item is not None:
        feedback = url_for("feedback.give", org_code=org.code, item=item.id)
    return BoardLinks(edition(org, now), papers, svg, png, feedback)


def page_context(org: Organisation) -> dict:
    """The board as a web page shows it (the village plugin's notice board, through
    ``core.toolkit.notice_board``): what the template ``portal/_board.html`` needs."""
    from core.portal.pages import helpers, localised

    board = build(org)
    return {
        **helpers(board.now),
        "minute": minute,
        "board": board,
        "links": links(org),
        "localised": localised,
        "render": content.render,
        "qr_src": lambda item: url_for(
            "board.item_qr", org_code=item.organisation.code, item_id=item.id, kind="svg"
        ),
        "item_href": lambda item: url_for(
            "portal.item", org_code=item.organisation.code, item_id=item.id
        ),
    }


@bp.app_context_processor
def board_helpers() -> dict:
    return {"board_links": links, "board_paper_label": paper_label}


def paper_label(size: str, orientation: str) -> str:
    if orientation == "landscape":
        return gettext("%(size)s landscape", size=size)
    return gettext("%(size)s portrait", size=size)


def init_app(app) -> None:
    """Register the board's routes (called by :mod:`core.portal.views` as it is registered)."""
    app.register_blueprint(bp)
