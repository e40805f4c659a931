"""Public pages: the unit and county portal, item pages, attachments, objections, search, Atom
feeds and the sitemap.

Every list and item goes through :mod:`core.items.reading` (the visibility layer): an anonymous
visitor sees ``public`` items only, on every page, feed, search result and in the sitemap
(SCOPE-1); an item the visitor may not see, or of another organisation than the URL's, is a 404
(never a 403, which would confirm that it exists). Feeds and the sitemap always have the anonymous
view, whoever asks: they are shared. Caching headers are set in one place
(:mod:`core.portal.caching`).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from feedgen.feed import FeedGenerator
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from core import db, i18n, permissions, ratelimit, text, web
from core.catalogue import labels
from core.catalogue import operations as cat
from core.catalogue.models import CADENCES
from core.i18n import _, html_lang
from core.items import content, reading
from core.items import operations as items
from core.items.models import VISIBLE_STATES, Item, Objection
from core.items.operations import OBJECTION_LIMIT, OBJECTION_MAX
from core.portal import caching, response_cache
from core.portal.pages import helpers, item_url, localised
from core.search import operations as search_ops
from core.search import tokens
from core.storage import storage
from core.themes import render
from tenants import hierarchy, resolution
from tenants.views import PORTAL_PAGE, portal_context

bp = Blueprint("portal", __name__, url_prefix="/o/<org_code>")
bp.url_value_preprocessor(resolution.pull_org)
bp.url_defaults(resolution.add_org_code)

site = Blueprint("portal_site", __name__)

SEARCH_PER_PAGE = 20


@bp.record_once
def _set_up(state) -> None:
    app = state.app
    app.extensions[PORTAL_PAGE] = portal_page
    app.after_request(caching.cache_headers)
    # the printed board, QR codes and screens: routes of their own modules, registered here
    from core.portal import board, screen

    board.init_app(app)
    screen.init_app(app)
    response_cache.init_app(app)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # the objection view checks the token itself, to keep the text
        csrf.exempt(objection)


# --- helpers ---------------------------------------------------------------------------------


def visible_item_or_404(item_id: int) -> Item:
    item = items.get(g.org, item_id)
    if item is None or not permissions.may(current_user, "items.view", item):
        abort(404)
    return item


# --- the portal ------------------------------------------------------------------------------


def portal_page(org):
    """The unit portal (and, for a root, the county portal): rendered for ``tenants.portal``."""
    user = current_user
    now = db.utcnow()
    context = portal_context(org)
    version = cat.effective_version(org)
    nodes = cat.tree(version) if version else []
    context.update(
        version=version,
        nodes=nodes,
        latest=reading.latest_per_entry(user, org) if nodes else {},
        notices=reading.open_notices(user, org, now),
        recent=reading.recent(user, org),
        **helpers(now),
    )
    return render("portal/unit.html", **context)


# --- one item --------------------------------------------------------------------------------


def item_page(
    item: Item,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    kept: dict[str, str] | None = None,
):
    org = g.org
    loc = i18n.locale()
    now = db.utcnow()
    version = item.current_version
    detail = reading.detail(item)
    body, body_lang = localised(version.bodies if version else {}, loc)
    context = {
        "org": org,
        "item": item,
        "version": version,
        "locale": loc,
        "body": content.render(body),
        "body_lang": body_lang,
        "render": content.render,
        "detail": detail,
        "current_attachments": detail.attachments.get(version.id, []) if version else [],
        "open": items.notice_open(item, now),
        "objection_counts": (
            items.objection_counts(item)
            if item.is_notice and item.notice_ends_at and not items.notice_open(item, now)
            else None
        ),
        "scope_words": labels.scope(item.visible_scope),
        "channel_words": labels.channels(item.channels, cat.channel_labels(loc)),
        "period": reading.period_label(item.period_key),
        "ancestors": hierarchy.ancestors(org),
        "errors": errors or [],
        "kept": kept or {},
        **helpers(now),
    }
    return render("items/item.html", **context), status


@bp.route("/items/<int:item_id>")
def item(item_id: int):
    found = items.get(g.org, item_id)
    if found is None:
        abort(404)
    if permissions.may(current_user, "items.view", found):
        return item_page(found)
    if sign_in_may_show(found):
        # the link was shared with a signed-out visitor: say that signing in may show it, with
        # nothing of the item (its title neither). Only this page admits that the item exists;
        # the API, feeds, search and attachments answer a non-public item as a missing one.
        return render(
            "portal/sign_in_to_read.html", org=g.org, locale=i18n.locale(), next_url=request.path
        ), 403
    abort(404)


def sign_in_may_show(item: Item) -> bool:
    """A disclosed item that is not public, asked for by a signed-out visitor (drafts and plans
    stay a 404: they are nobody's reading, signed in or not)."""
    return (
        not current_user.is_authenticated
        and item.state in VISIBLE_STATES
        and item.visible_scope != "public"
    )


@bp.route("/items/<int:item_id>/attachments/<int:attachment_id>")
def attachment(item_id: int, attachment_id: int):
    item = visible_item_or_404(item_id)
    att = reading.published_attachment(item, attachment_id)
    if att is None:
        abort(404)
    try:
        data = storage().open(att.storage_key)
    except (FileNotFoundError, ValueError):
        abort(404)
    return send_file(
        io.BytesIO(data),
        mimetype=att.content_type,
        as_attachment=True,
        download_name=att.filename,
        etag=att.sha256,
        conditional=True,
        max_age=None,
    )


def objection_problems(kept: dict[str, str]) -> list[str]:
    problems = []
    if not kept["text"].strip():
        problems.append(gettext("Please write your objection."))
    if len(kept["text"]) > OBJECTION_MAX["text"]:
        problems.append(
            gettext("An objection has at most %(n)d characters.", n=OBJECTION_MAX["text"])
        )
    if len(kept["name"]) > OBJECTION_MAX["name"]:
        problems.append(gettext("A name has at most %(n)d characters.", n=OBJECTION_MAX["name"]))
    if len(kept["contact"]) > OBJECTION_MAX["contact"]:
        problems.append(
            gettext("Contact details have at most %(n)d characters.", n=OBJECTION_MAX["contact"])
        )
    return problems


@bp.route("/items/<int:item_id>/objections", methods=["POST"])
def objection(item_id: int):
    """An objection to a notice in its period (PUB-5): no account needed, contact optional.

    Whatever goes wrong, the page comes back with what the visitor wrote."""
    item = visible_item_or_404(item_id)
    kept = {name: request.form.get(name, "") for name in ("text", "name", "contact")}
    try:
        current_app.extensions["csrf"].protect()
    except CSRFError:
        message = gettext("The form had expired. Your text is kept below: please submit it again.")
        return item_page(item, status=400, errors=[message], kept=kept)
    try:
        with ratelimit.limit(OBJECTION_LIMIT, scope="objections"):
            pass
    except ratelimit.RateLimitExceeded:
        message = gettext(
            "Too many objections were sent from your address. Your text is kept below: "
            "please try again later."
        )
        return item_page(item, status=429, errors=[message], kept=kept)
    if not items.notice_open(item):
        if item.is_notice and item.notice_ends_at is not None:
            message = gettext(
                "The notice period ended on %(end)s: objections are no longer accepted. "
                "You can still send your view to the unit through its contact channels.",
                end=web.when(item.notice_ends_at, "medium"),
            )
        else:
            message = gettext("This item is not a notice in its period: it takes no objections.")
        return item_page(item, status=409, errors=[message], kept=kept)
    problems = objection_problems(kept)
    if problems:
        return item_page(item, status=400, errors=problems, kept=kept)
    lodged = items.lodge_objection(
        item,
        text=kept["text"],
        name=kept["name"] or None,
        contact=kept["contact"] or None,
        user=current_user if current_user.is_authenticated else None,
    )
    # redirect after the POST, so that reloading the confirmation does not lodge it again
    session["objection_received"] = [item.id, lodged.id, lodged.receipt, lodged.lookup_code]
    return redirect(url_for("portal.objection_received", item_id=item.id), code=303)


@bp.route("/items/<int:item_id>/objections/received")
def objection_received(item_id: int):
    """The confirmation of the objection this visitor has just lodged."""
    item = visible_item_or_404(item_id)
    received = session.get("objection_received")
    if not received or received[0] != item.id:
        return redirect(url_for("portal.item", item_id=item.id))
    lodged = db.session.get(Objection, received[1])
    if lodged is None or lodged.item_id != item.id or len(received) < 4:
        return redirect(url_for("portal.item", item_id=item.id))
    page = render(
        "items/objection_received.html",
        org=g.org,
        item=item,
        objection=lodged,
        receipt=received[2],
        code=received[3],
        lookup_url=url_for(
            "portal.objection_lookup", receipt=received[2], code=received[3], _external=True
        ),
        locale=i18n.locale(),
        ancestors=hierarchy.ancestors(g.org),
        **helpers(),
    )
    return private(page)


def private(body, status: int = 200):
    """A page for one visitor only (a receipt's code in it): never kept by a cache."""
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "private, no-store"
    return response


OBJECTION_OUTCOMES = {"upheld": _("Upheld"), "dismissed": _("Dismissed")}
OBJECTION_REMEDIES = {
    "amendment": _("The item is amended."),
    "withholding": _("The item is withheld."),
    "revocation": _("The item is revoked."),
}


@bp.route("/objections/lookup")
def objection_lookup():
    """An objection's state and outcome, for whoever holds its receipt number and lookup code
    (rate limited per address: a receipt and a code are not guessed)."""
    receipt = (request.args.get("receipt") or "").strip()[:40]
    code = (request.args.get("code") or "").strip()[:40]
    context = {
        "org": g.org, "locale": i18n.locale(), "ancestors": hierarchy.ancestors(g.org),
        "receipt": receipt, "objection": None, "item": None, "errors": [],
        "outcomes": OBJECTION_OUTCOMES, "remedies": OBJECTION_REMEDIES, **helpers(),
    }  # fmt: skip
    if not code:  # nothing to look up yet (the objector's notification carries the receipt)
        return private(render("items/objection_lookup.html", **context))
    try:
        with ratelimit.limit(items.OBJECTION_LOOKUP_LIMIT, scope="objection-lookup"):
            pass
    except ratelimit.RateLimitExceeded:
        context["errors"] = [gettext("Too many look-ups from your address: try again later.")]
        return private(render("items/objection_lookup.html", **context), 429)
    found = items.objection_by_receipt(g.org, receipt, code)
    if found is None:
        context["errors"] = [
            gettext(
                "No objection to a notice of this organisation has this receipt number and code."
            )
        ]
        return private(render("items/objection_lookup.html", **context), 404)
    objection, item = found
    visible = permissions.may(current_user, "items.view", item)
    context.update(objection=objection, item=item if visible else None)
    return private(render("items/objection_lookup.html", **context))


# --- search ----------------------------------------------------------------------------------


def parse_day(value: str | None, what: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(
            gettext("%(what)s: “%(value)s” is not a date (YYYY-MM-DD).", what=what, value=value)
        )
        return None


def category_choices(org, loc: str) -> list[tuple[str, str]]:
    """``(key, title)`` of the categories of the organisation's catalogue (or, for a county,
    of the template its units start from), indented by depth."""
    version = cat.effective_version(org) or cat.template_source(org)
    if version is None:
        return []
    choices: list[tuple[str, str]] = []

    def walk(nodes, depth: int) -> None:
        for node in nodes:
            choices.append((node.category.key, "\u2003" * depth + node.category.title(loc)))
            walk(node.children, depth + 1)

    walk(cat.tree(version), 0)
    return choices


@bp.route("/search")
def search():
    org = g.org
    loc = i18n.locale()
    args = request.args
    q = (args.get("q") or "").strip()
    errors: list[str] = []
    category = (args.get("category") or "").strip() or None
    cadence = (args.get("cadence") or "").strip() or None
    if cadence and cadence not in CADENCES:
        errors.append(gettext("Unknown cadence “%(value)s”.", value=cadence))
    date_from = parse_day(args.get("from"), gettext("Published from"), errors)
    date_to = parse_day(args.get("to"), gettext("Published until"), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(gettext("The start date is after the end date."))
    page = max(1, args.get("page", 1, type=text.db_int) or 1)
    if len(q) > tokens.MAX_QUERY_CHARS:
        errors.append(
            gettext(
                "The search is too long: use at most %(n)d characters.", n=tokens.MAX_QUERY_CHARS
            )
        )
    hint = None
    results = None
    if not errors:
        if not q:
            hint = gettext("Type a word or a few characters to search the disclosed items.")
        elif not tokens.query_runs(q):
            hint = gettext("Type at least one letter, character or digit.")
        else:
            results = search_ops.search(
                current_user,
                q,
                within=org,
                category=category,
                cadence=cadence,
                date_from=date_from,
                date_to=date_to,
                page=page,
                per_page=SEARCH_PER_PAGE,
                locale=loc,
            )

    def page_url(n: int) -> str:
        params = {
            "q": q,
            "category": category,
            "cadence": cadence,
            "from": args.get("from") or None,
            "to": args.get("to") or None,
            "page": n,
        }
        return url_for(".search", **{k: v for k, v in params.items() if v})

    return render(
        "portal/search.html",
        org=org,
        locale=loc,
        q=q,
        category=category,
        cadence=cadence,
        date_from=args.get("from", ""),
        date_to=args.get("to", ""),
        errors=errors,
        hint=hint,
        results=results,
        page_url=page_url,
        categories=category_choices(org, loc),
        cadences=[(c, labels.cadence(c)) for c in CADENCES],
        ancestors=hierarchy.ancestors(org),
        highlight=search_ops.highlight,
        **helpers(),
    ), 400 if errors else 200


# --- feeds and sitemap -----------------------------------------------------------------------


@bp.route("/feed.atom")
def feed():
    """Atom feed of the public items of the organisation and its subtree (the county's feed is
    the whole county's)."""
    org = g.org
    loc = i18n.locale()
    rows = reading.for_feed(org)
    feed_url = url_for(".feed", _external=True)
    fg = FeedGenerator()
    fg.id(feed_url)
    fg.title(gettext("%(org)s: disclosed items", org=org.name(loc)))
    fg.author({"name": org.name(loc)})
    fg.link(href=url_for("tenants.portal", _external=True), rel="alternate", type="text/html")
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.language(html_lang())
    fg.generator("Gongkai")
    fg.updated(max((i.updated_at for i in rows), default=org.updated_at))
    for item in rows:
        version = item.current_version
        title, _lang = localised(version.titles if version else {}, loc)
        body, _lang = localised(version.bodies if version else {}, loc)
        entry = fg.add_entry(order="append")
        url = item_url(item, _external=True)
        entry.id(url)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(item.published_at)
        entry.updated(item.updated_at)
        entry.author({"name": item.organisation.name(loc)})
        if item.category_key:
            entry.category(term=item.category_key)
        if item.state == "revoked":
            entry.title(gettext("Revoked: %(title)s", title=title))
            entry.summary(item.revocation_explanation or "")
        else:
            entry.title(title)
            entry.summary(content.plain_text(body)[:200])
            entry.content(str(content.render(body)), type="html")
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


def _xml(text: str) -> str:
    return str(Markup.escape(text))


@site.route("/sitemap.xml")
def sitemap():
    """Every enabled organisation's portal and catalogue and every public item (only the mapped
    county on a custom host)."""
    org_rows, item_rows = reading.sitemap_rows(g.get("host_org"))
    urls: list[tuple[str, Any]] = [(url_for("core.home", _external=True), None)]
    for code, updated in org_rows:
        urls.append((url_for("tenants.portal", org_code=code, _external=True), updated))
        urls.append((url_for("catalogue_public.catalogue", org_code=code, _external=True), None))
    for item_id, code, published, updated in item_rows:
        urls.append(
            (
                url_for("portal.item", org_code=code, item_id=item_id, _external=True),
                updated or published,
            )
        )
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for loc, lastmod in urls:
        stamp = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{_xml(loc)}</loc>{stamp}</url>")
    lines.append("</urlset>")
    return Response("\n".join(lines) + "\n", mimetype="application/xml")
