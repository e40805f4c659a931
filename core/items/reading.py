"""What the portal reads: lists and details of disclosed items, through the visibility layer.

Every function here starts from :func:`core.items.visibility.visible_items` (or checks an item
with :func:`~core.items.visibility.can_see` first), so nobody — and, with ``user=None``, no
anonymous visitor — gets an item they may not see (SCOPE-1). Each runs a fixed number of
statements whatever the number of items, versions, attachments or entries (DESIGN.md Budgets):
items come with their organisation and current version (joined eagerly by the model).

Only *published* versions are shown: a pending amendment's version, and the explanation of a
revocation still waiting for approval, are console business until the catalogue owner approves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_skeleton
from flask_babel import gettext, ngettext
from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import aliased

from core import db, i18n, localtime, text
from core.catalogue.models import Category, Entry
from core.items.models import Attachment, Item, ItemVersion
from core.items.visibility import visible_items
from core.workflow.models import WorkflowStep
from tenants.models import Organisation

RECENT = 10
NOTICES = 20
FEED_SIZE = 50
SITEMAP_MAX_URLS = 50_000
"""The most URLs one sitemap file may hold (sitemaps.org)."""


# --- words and times -------------------------------------------------------------------------


def public_state(item: Item) -> str:
    """``published``, ``closed`` or ``revoked``: pending amendments and revocations are
    still the published item to the reader."""
    return item.state if item.state in ("closed", "revoked") else "published"


def countdown(ends_at: datetime, now: datetime) -> str:
    """What is left of a notice period: "3 days 4 hours left" (PUB-5)."""
    seconds = int((ends_at - now).total_seconds())
    if seconds <= 0:
        return gettext("The notice period has ended.")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    hours_text = ngettext("%(num)d hour", "%(num)d hours", hours)
    if days:
        return gettext(
            "%(days)s %(hours)s left",
            days=ngettext("%(num)d day", "%(num)d days", days),
            hours=hours_text,
        )
    if hours:
        return gettext("%(hours)s left", hours=hours_text)
    minutes = max(1, rest // 60)
    return gettext(
        "%(minutes)s left", minutes=ngettext("%(num)d minute", "%(num)d minutes", minutes)
    )


def period_label(period_key: str | None) -> str:
    """``2026-Q1`` → "Quarter 1 of 2026" (the periods of the catalogue schedule)."""
    if not period_key:
        return ""
    year, _sep, part = period_key.partition("-")
    number = text.ascii_int(year, minimum=1, maximum=9999)
    if number is None:
        return period_key
    if not part:
        return gettext("Year %(year)s", year=year)
    n = text.ascii_int(part[1:], minimum=1, maximum=12)
    if part[0] == "Q" and n is not None:
        return gettext("Quarter %(n)s of %(year)s", n=n, year=year)
    if part[0] == "H" and n is not None:
        return gettext("Half year %(n)s of %(year)s", n=n, year=year)
    if part[0] == "M" and n is not None:
        return format_skeleton("yMMMM", date(number, n, 1), locale=i18n.locale())
    return period_key


# --- lists -----------------------------------------------------------------------------------


def newest_first(query: Select) -> Select:
    """``query``'s disclosed items, the newest first. Every disclosed item has its publication
    date; saying so lets the database read ``ix_items_published`` backwards from the newest
    (the undated drafts sort first in that order) and stop when the page is full."""
    return query.where(Item.published_at.is_not(None)).order_by(
        Item.published_at.desc(), Item.id.desc()
    )


def recent(user, org: Organisation, limit: int = RECENT) -> list[Item]:
    """The newest disclosed items ``user`` may see in ``org``'s subtree."""
    return list(db.session.scalars(newest_first(visible_items(user, within=org)).limit(limit)))


def open_notices(user, org: Organisation, now: datetime, limit: int = NOTICES) -> list[Item]:
    """Notices in their period (PUB-5) in ``org``'s subtree, the soonest ending first."""
    query = (
        visible_items(user, within=org)
        .where(Item.is_notice.is_(True), Item.state == "published", Item.notice_ends_at > now)
        .order_by(Item.notice_ends_at, Item.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def latest_per_entry(user, org: Organisation) -> dict[str, Item]:
    """``{entry key: the newest item of that entry}`` of ``org`` itself (revoked items are not
    the current disclosure of an entry); one statement for any number of entries."""
    rank = (
        func.row_number()
        .over(partition_by=Item.entry_key, order_by=(Item.published_at.desc(), Item.id.desc()))
        .label("rank")
    )
    ranked = (
        visible_items(user)
        .where(Item.org_id == org.id, Item.entry_key.is_not(None), Item.state != "revoked")
        .with_only_columns(Item.id.label("id"), rank)
        .subquery("ranked")
    )
    query = select(Item).join(ranked, ranked.c.id == Item.id).where(ranked.c.rank == 1)
    return {item.entry_key: item for item in db.session.scalars(query)}


@dataclass
class Page:
    total: int
    items: list[Item]
    page: int
    pages: int
    per_page: int
    snippets: dict[int, str] = field(default_factory=dict)


def filtered(
    user,
    org: Organisation,
    *,
    category: str | None = None,
    cadence: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select:
    """Disclosed items ``user`` may see in ``org``'s subtree, with the list filters."""
    query = visible_items(user, within=org)
    if category:
        query = query.where(
            or_(
                Item.category_key == category,
                Item.category_key.startswith(f"{category}.", autoescape=True),
            )
        )
    if cadence:
        query = query.where(Item.cadence == cadence)
    if date_from:
        query = query.where(Item.published_at >= localtime.start_of(date_from, org))
    if date_to:
        query = query.where(Item.published_at < localtime.start_of(date_to, org, next_day=True))
    return query


def page_of(query: Select, page: int, per_page: int) -> Page:
    """One page of ``query`` (newest first): two statements, the count and the page."""
    total = db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Item.id).subquery())
    )
    pages = math.ceil(total / per_page) if total else 0
    rows = []
    if total and (page - 1) * per_page < total:
        rows = list(
            db.session.scalars(newest_first(query).limit(per_page).offset((page - 1) * per_page))
        )
    return Page(total or 0, rows, page, pages, per_page)


def for_feed(org: Organisation, limit: int = FEED_SIZE) -> list[Item]:
    """The newest *public* items of ``org``'s subtree: feeds are shared, so they always have the
    anonymous visitor's view, whoever asks."""
    return recent(None, org, limit)


def sitemap_rows(host_org: Organisation | None) -> tuple[list, list]:
    """``(organisations, public items)`` as plain rows for the sitemap: enabled organisations of
    enabled counties (only the mapped county on a custom host); public items only."""
    root = aliased(Organisation)
    orgs = (
        select(Organisation.code, Organisation.updated_at)
        .join(root, root.id == Organisation.root_id)
        .where(Organisation.enabled.is_(True), root.enabled.is_(True))
        .order_by(Organisation.depth, Organisation.position, Organisation.code)
    )
    items = (
        visible_items(None)
        .join(root, root.id == Organisation.root_id)
        .where(root.enabled.is_(True))
        .with_only_columns(Item.id, Organisation.code, Item.published_at, Item.updated_at)
    )
    if host_org is not None:
        orgs = orgs.where(Organisation.root_id == host_org.root_id)
        items = items.where(Item.root_id == host_org.root_id)
    org_rows = db.session.execute(orgs.limit(SITEMAP_MAX_URLS)).all()
    room = max(0, SITEMAP_MAX_URLS - 1 - 2 * len(org_rows))
    item_rows = db.session.execute(newest_first(items).limit(room)).all() if room else []
    return org_rows, item_rows


# --- one item --------------------------------------------------------------------------------


@dataclass
class Detail:
    """What an item page shows besides the item itself (five statements at most)."""

    versions: list[ItemVersion]  # published versions, oldest first
    attachments: dict[int, list[Attachment]]  # by version id
    entry: Entry | None
    category: Category | None
    revoked_at: datetime | None


def published_versions(item: Item) -> list[ItemVersion]:
    return list(
        db.session.scalars(
            select(ItemVersion)
            .where(ItemVersion.item_id == item.id, ItemVersion.published_at.is_not(None))
            .order_by(ItemVersion.number)
        )
    )


def published_attachments(item: Item) -> dict[int, list[Attachment]]:
    rows = db.session.scalars(
        select(Attachment)
        .join(ItemVersion, ItemVersion.id == Attachment.version_id)
        .where(Attachment.item_id == item.id, ItemVersion.published_at.is_not(None))
        .order_by(Attachment.id)
    )
    out: dict[int, list[Attachment]] = {}
    for att in rows:
        out.setdefault(att.version_id, []).append(att)
    return out


def published_attachment(item: Item, attachment_id: int) -> Attachment | None:
    """An attachment of a published version of ``item`` (never one of a pending amendment)."""
    return db.session.scalar(
        select(Attachment)
        .join(ItemVersion, ItemVersion.id == Attachment.version_id)
        .where(
            Attachment.id == attachment_id,
            Attachment.item_id == item.id,
            ItemVersion.published_at.is_not(None),
        )
    )


def entry_of(item: Item) -> tuple[Entry | None, Category | None]:
    """The catalogue entry (and its category) the item was planned under."""
    if not item.entry_key or not item.catalogue_version_id:
        return None, None
    row = db.session.execute(
        select(Entry, Category)
        .join(Category, Category.id == Entry.category_id)
        .where(Entry.version_id == item.catalogue_version_id, Entry.key == item.entry_key)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def revoked_at(item: Item) -> datetime | None:
    if item.state != "revoked":
        return None
    return db.session.scalar(
        select(func.max(WorkflowStep.at)).where(
            and_(
                WorkflowStep.object_type == "item",
                WorkflowStep.object_id == item.id,
                WorkflowStep.transition == "approve_revocation",
            )
        )
    )


def detail(item: Item) -> Detail:
    entry, category = entry_of(item)
    return Detail(
        published_versions(item), published_attachments(item), entry, category, revoked_at(item)
    )


def entries_of(rows: list[Item]) -> dict[tuple[int, str], tuple[Entry, Category]]:
    """The catalogue entries (with categories) of a page of items, in one statement."""
    pairs = {
        (i.catalogue_version_id, i.entry_key)
        for i in rows
        if i.catalogue_version_id and i.entry_key
    }
    if not pairs:
        return {}
    found = db.session.execute(
        select(Entry, Category)
        .join(Category, Category.id == Entry.category_id)
        .where(tuple_(Entry.version_id, Entry.key).in_(sorted(pairs)))
    ).all()
    return {(e.version_id, e.key): (e, c) for e, c in found}
