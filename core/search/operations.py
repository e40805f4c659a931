"""Search operations: keep the documents in step with the items, and search them.

Indexing runs in the caller's unit of work (the item events call :func:`index_item`), so an
item and its search document commit or roll back together.

A search is two statements whatever the number of matches (PostgreSQL: three, see
:func:`_window`): the newest matches with what the ranking reads of their documents (which
counts them), and the items of the page. The first contains
:func:`core.items.visibility.visible_items` for the searcher, so nobody ever gets — or counts —
an item they may not see. The matches are found by the full-text index (SQLite FTS5, PostgreSQL
GIN over a ``tsvector``) with exact substring semantics; the newest :data:`RESULT_WINDOW` of
them are ranked by relevance in Python (:func:`_ranked`), ties by the newest publication.

Revoked items stay searchable: they stay readable with their revocation notice (PUB-7), and a
search for them should lead to that notice. Items leave the index only when they are not in a
disclosed state (``VISIBLE_STATES``), or are deleted (the document cascades).
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    Select,
    Text,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from core import db, localtime
from core.config import SUPPORTED_LOCALES
from core.items.content import plain_text
from core.items.models import VISIBLE_STATES, Item, ItemVersion
from core.items.visibility import visible_items
from core.search import tokens
from core.search.models import FTS_TABLE, TSV_COLUMN, SearchDocument
from tenants.models import Organisation

MAX_PER_PAGE = 100
MAX_DOCUMENT_CHARS = 80_000
"""Text beyond this many characters (some 50 printed pages) is not indexed: PostgreSQL's
``tsvector`` holds at most 1 MB, and 80,000 characters give at most 80,000 distinct bigrams of
at most 10 bytes each."""
SNIPPET_CHARS = 80
REINDEX_BATCH = 500


# --- documents -------------------------------------------------------------------------------


def _locales(texts: dict[str, Any]) -> list[str]:
    """Chinese first, then the other supported locales, then anything else (stable order)."""
    known = [loc for loc in SUPPORTED_LOCALES if texts.get(loc)]
    return known + sorted(loc for loc in texts if loc not in known and texts.get(loc))


def document_text(titles: dict[str, Any] | None, bodies: dict[str, Any] | None) -> str:
    """The normalised plain text of the titles and bodies of all locales (one per line)."""
    titles, bodies = titles or {}, bodies or {}
    parts: list[str] = []
    for locale in dict.fromkeys(_locales(titles) + _locales(bodies)):
        parts.append(str(titles.get(locale) or ""))
        parts.append(html.unescape(plain_text(str(bodies.get(locale) or ""))))
    joined = "\n".join(p.strip() for p in parts if p and p.strip())
    return tokens.normalise(joined)[:MAX_DOCUMENT_CHARS]


def document_fields(
    *,
    item_id: int,
    org_id: int,
    root_id: int,
    published_at,
    category_key,
    cadence,
    titles,
    bodies,
    public: bool = False,
) -> dict[str, Any]:
    """The column values of a search document (shared by :func:`index_item` and reindexing)."""
    content = document_text(titles, bodies)
    return {
        "org_id": org_id,
        "root_id": root_id,
        "county_id": root_id,  # the item's root is its county (core.db.CountyKey)
        "published_at": published_at,
        "category_key": category_key,
        "cadence": cadence,
        "title": str((titles or {}).get("zh_Hans_CN") or next(iter((titles or {}).values()), "")),
        "text": content,
        "chars": len(content),
        "tokens": f"{tokens.document_tokens(content)} "
        f"{tokens.marks(root_id, public, item_id)}".lstrip(),
        "indexed_at": db.utcnow(),
    }


def index_item(item: Item) -> SearchDocument | None:
    """Upsert the item's document from its current version; remove it when the item is not
    disclosed (any more). Flushes; the caller commits."""
    version = item.current_version
    if item.state not in VISIBLE_STATES or version is None:
        remove_item(item.id)
        return None
    values = document_fields(
        item_id=item.id,
        org_id=item.org_id,
        root_id=item.root_id,
        published_at=item.published_at,
        category_key=item.category_key,
        cadence=item.cadence,
        titles=version.titles,
        bodies=version.bodies,
        public=item.visible_scope == "public",
    )
    doc = db.session.get(SearchDocument, item.id)
    if doc is None:
        doc = SearchDocument(item_id=item.id, **values)
        db.session.add(doc)
    else:
        for name, value in values.items():
            setattr(doc, name, value)
    db.session.flush()
    return doc


def remove_item(item_id: int) -> None:
    """Take the item out of the index (no-op when it is not indexed)."""
    db.session.execute(delete(SearchDocument).where(SearchDocument.item_id == item_id))


def reindex_all(
    *, batch: int = REINDEX_BATCH, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild every document from the items (a repair and an upgrade tool); the number indexed.

    Reads plain rows in batches (no ORM objects pile up in the session); on SQLite it then
    rebuilds the FTS table from the documents, which also repairs an index that drifted.
    ``progress(done, total)`` is told after each batch (a command shows it).
    """
    db.session.flush()
    total = db.session.scalar(
        select(func.count()).select_from(Item).where(Item.state.in_(VISIBLE_STATES))
    )
    db.session.execute(delete(SearchDocument))
    query = (
        select(
            Item.id,
            Item.org_id,
            Item.root_id,
            Item.published_at,
            Item.category_key,
            Item.cadence,
            Item.visible_scope,
            ItemVersion.titles,
            ItemVersion.bodies,
        )
        .join(ItemVersion, ItemVersion.id == Item.current_version_id)
        .where(Item.state.in_(VISIBLE_STATES))
        .order_by(Item.id)
        .limit(batch)
    )
    count, last = 0, 0
    while True:
        rows = db.session.execute(query.where(Item.id > last)).all()
        if not rows:
            break
        db.session.execute(
            insert(SearchDocument),
            [
                {
                    "item_id": r.id,
                    **document_fields(
                        item_id=r.id,
                        org_id=r.org_id,
                        root_id=r.root_id,
                        published_at=r.published_at,
                        category_key=r.category_key,
                        cadence=r.cadence,
                        titles=r.titles,
                        bodies=r.bodies,
                        public=r.visible_scope == "public",
                    ),
                }
                for r in rows
            ],
        )
        count += len(rows)
        last = rows[-1].id
        if progress is not None:
            progress(count, max(total or 0, count))
    if db.session.get_bind().dialect.name == "sqlite":
        # the FTS5 'rebuild' command: re-read every document (repairs an index that drifted)
        db.session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))  # noqa: S608
    return count


# --- searching -------------------------------------------------------------------------------

RESULT_WINDOW = 1000
"""A search ranks (and counts) the newest this-many matching items the searcher may see. A query
matching more (``Results.capped``) shows them as "more than 1,000"; its older matches are reached
by narrowing: a date range, a category, a unit, another word. Bounding the window keeps the work
of a search independent of how common its words are (the budgets of the design)."""
K1, B, AVERAGE_CHARS, TITLE_WEIGHT = 1.2, 0.75, 500.0, 2.0
"""The relevance score (see :func:`_ranked`)."""


@dataclass
class Results:
    """One page of results. ``items`` are :class:`Item` s (organisation and current version
    loaded); ``excerpts`` maps an item id to its :class:`Excerpt` around the match (in the
    reader's language), ``snippets`` to the excerpt's plain text; ``runs`` are the query's
    normalised runs (:func:`highlight` marks them in a title); ``capped``: more than
    :data:`RESULT_WINDOW` items match (``total`` is then the window)."""

    total: int
    items: list[Item]
    page: int
    pages: int
    per_page: int = 20
    query: str = ""
    excerpts: dict[int, Excerpt] = field(default_factory=dict)
    capped: bool = False
    runs: list[str] = field(default_factory=list)

    @property
    def snippets(self) -> dict[int, str]:
        return {item_id: e.text for item_id, e in self.excerpts.items()}


_fts = table(FTS_TABLE, column("rowid"))


def _filters(source: Any, *, within, category, cadence, date_from, date_to) -> list[ColumnElement]:
    """Conditions on ``source`` (Item, or the document's copies of its columns)."""
    conditions = []
    if category:
        conditions.append(
            or_(
                source.category_key == category,
                source.category_key.startswith(f"{category}.", autoescape=True),
            )
        )
    if cadence:
        conditions.append(source.cadence == cadence)
    if date_from:
        conditions.append(source.published_at >= localtime.start_of(date_from, within))
    if date_to:
        conditions.append(source.published_at < localtime.start_of(date_to, within, next_day=True))
    return conditions


def _prefilter(user, filters: dict[str, Any]) -> tuple[int | None, bool]:
    """The index's pre-filters of a search: the county's token (``within``'s county: see
    :func:`core.search.tokens.root_token`), and the public token for a visitor who is not signed
    in (they see public items only)."""
    within = filters["within"]
    public = user is None or not getattr(user, "is_authenticated", False)
    return (within.root_id if within is not None else None), public


def _matches(
    dialect: str,
    user,
    runs: list[str],
    filters: dict[str, Any],
    *,
    visible: Select | None = None,
    query: ColumnElement | None = None,
) -> Select:
    """The ids (column ``id``) of the visible items containing every run, in no order.

    SQLite: the FTS table drives (its only table in FROM) and each match is checked by a
    correlated ``EXISTS`` over :func:`visible_items` — SQLite's planner would otherwise start from
    ``items`` by the scope index and run the full-text query once per item. Phrase queries over
    bigrams ended by a run marker are exact (see :mod:`core.search.tokens`).
    PostgreSQL: the documents whose ``tsvector`` matches ``query`` (default: every bigram of every
    run; :func:`_window` adds a block's token, see :func:`core.search.tokens.blocks`), found by
    the GIN index, a substring check per run of three or more characters keeping the exact
    matches (a two-character run is one bigram: exact already), newest first, then joined with
    :func:`visible_items` — in that order, so that a caller who needs only the newest few
    matches reads only their items.
    ``visible``: :func:`visible_items` for the searcher, when the caller has it already.
    """
    within = filters["within"]
    root_id, public = _prefilter(user, filters)
    if visible is None:
        visible = visible_items(user, within=within)
    if dialect == "sqlite":
        visible = visible.with_only_columns(Item.id).where(
            Item.id == _fts.c.rowid, *_filters(Item, **filters)
        )
        match = literal_column(FTS_TABLE).op("MATCH")(tokens.fts5_query(runs, root_id, public))
        return select(_fts.c.rowid.label("id")).where(match, visible.exists())
    if dialect == "postgresql":
        tsv = literal_column(f"{SearchDocument.__tablename__}.{TSV_COLUMN}")
        if query is None:
            query = cast(tokens.tsquery(runs, root_id, public), TSQUERY)
        found = (  # OFFSET 0: kept a subquery, sorted before the joins
            select(SearchDocument.item_id)
            .where(tsv.op("@@")(query), *_filters(SearchDocument, **filters))
            .order_by(SearchDocument.item_id.desc())
            .correlate_except(SearchDocument)
            .offset(0)
            .lateral("found")  # LATERAL: ``query`` may be the window's block (of an outer FROM)
        )
        matched = visible.join(found, found.c.item_id == Item.id)
        long_runs = [run for run in runs if len(run) > 2]
        if long_runs:  # read each candidate's text only when it is needed
            checked = aliased(SearchDocument, name="checked")
            matched = matched.join(checked, checked.item_id == found.c.item_id).where(
                *(func.strpos(checked.text, run) > 0 for run in long_runs)
            )
        return matched.with_only_columns(Item.id.label("id"))
    # any other database: a substring scan (correct, not fast)
    conditions = [SearchDocument.text.contains(run, autoescape=True) for run in runs]
    return (
        visible.join(SearchDocument, SearchDocument.item_id == Item.id)
        .with_only_columns(Item.id.label("id"))
        .where(*conditions, *_filters(SearchDocument, **filters))
    )


def _window(
    dialect: str, user, runs: list[str], filters: dict[str, Any], visible: Select
) -> Select:
    """The ids of the newest ``RESULT_WINDOW + 1`` matches (:func:`_matches`), newest first: one
    statement that both counts (up to the window, and whether there are more) and bounds the
    ranking.

    The work must not grow with the number of matches. SQLite's FTS5 table returns its matches
    newest first (rowid = item id, descending) and the LIMIT stops it. PostgreSQL's GIN index
    returns every match in no useful order, so the query asks block by block
    (:func:`core.search.tokens.blocks`): the newest 1,024 item ids, the 1,024 below them, …,
    each block at most as large as the ones before it together. A common word fills the window
    in the first blocks, a rare one reads larger blocks, where it has few matches; either way a
    search reads at most about twice the matches it needs. The blocks are counted from the
    highest indexed id, read first (PostgreSQL: one more statement). One ``LATERAL`` subquery
    runs per block, the blocks in order (an array's elements), until the LIMIT is reached: the
    statement is as small, and planned as fast, for nine blocks as for one.
    """
    if dialect != "postgresql":
        order = _fts.c.rowid.desc() if dialect == "sqlite" else Item.id.desc()
        return (
            _matches(dialect, user, runs, filters, visible=visible)
            .order_by(order)
            .limit(RESULT_WINDOW + 1)
        )
    top = db.session.scalar(select(func.max(SearchDocument.item_id))) or 0
    root_id, public = _prefilter(user, filters)
    queries = [tokens.tsquery(runs, root_id, public, block) for block in tokens.blocks(top)]
    block = (
        func.unnest(cast(bindparam("blocks", queries, type_=ARRAY(Text)), ARRAY(TSQUERY)))
        .table_valued("query", with_ordinality="n")
        .render_derived(name="block")
    )
    newest = (
        _matches(dialect, user, runs, filters, visible=visible, query=block.c.query)
        .order_by(Item.id.desc())
        .limit(RESULT_WINDOW + 1)
        .lateral("newest")
    )
    # no ORDER BY outside: the blocks are read in the array's order, each sorted
    return select(newest.c.id).select_from(block).join(newest, true()).limit(RESULT_WINDOW + 1)


def _with_documents(window: Select) -> Select:
    """The window's ids joined with what the ranking reads of their documents, the newest
    publication first (then the newest item): the order of equally relevant results.

    The window stays a subquery with its LIMIT, so both databases compute it first and then
    fetch each of its documents by primary key (never a document that is not in it)."""
    ids = window.subquery("window")
    doc = SearchDocument
    return (
        select(doc.item_id.label("id"), doc.chars, doc.title, doc.text)
        .join(ids, ids.c.id == doc.item_id)
        .order_by(doc.published_at.desc().nulls_last(), doc.item_id.desc())
    )


def _ranked(window: list[tuple], runs: list[str]) -> list[tuple]:
    """The window's rows ``(id, chars, title, text)``, the most relevant first; equally
    relevant ones stay in the window's order (the newest publication first).

    The relevance of a document for the query's runs, per run: BM25's term-frequency
    saturation with length normalisation (the occurrences, not overlapping, counted in the
    normalised text), plus a bonus when the title contains it. BM25's inverse document frequency
    is left out: it is the same for every document of a one-word query, and computing it (FTS5
    ``bm25()`` does) means evaluating the phrase over the whole index — 50 ms for 党务公开 at
    100,000 items, whatever the LIMIT. Computed here rather than in SQL: Python counts a
    substring of a document in a microsecond, SQLite's ``replace()`` took ten times as long, and
    the window's rows carry the text anyway. One loop over the window (up to a thousand rows
    per search), its constants taken out.
    """
    saturation, base, per_char = K1 + 1, K1 * (1.0 - B), K1 * B / AVERAGE_CHARS
    normalised = unicodedata.is_normalized
    scores = []
    for _id, chars, title, content in window:
        norm = base + per_char * chars
        title = title or ""
        title = title.lower() if normalised("NFKC", title) else tokens.normalise(title)
        score = 0.0
        for run in runs:
            occurrences = content.count(run)
            score += occurrences * saturation / (occurrences + norm)
            if run in title:
                score += TITLE_WEIGHT
        scores.append(score)
    order = sorted(range(len(window)), key=scores.__getitem__, reverse=True)  # stable
    return [window[i] for i in order]


def search(
    user,
    q: str | None,
    *,
    within: Organisation | None = None,
    category: str | None = None,
    cadence: str | None = None,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
    page: int = 1,
    per_page: int = 20,
    locale: str | None = None,
) -> Results:
    """The items ``user`` may see (in ``within``'s subtree) whose text contains ``q``.

    ``q``'s runs of word characters are ANDed (``党费 换届``: both); each run matches as a
    substring (any length, one character included). ``category`` matches the category key or a
    sub-category (``org`` also finds ``org.fees``); ``date_from``/``date_to`` are inclusive days
    of publication in ``within``'s time zone. Among the newest :data:`RESULT_WINDOW` matches,
    the most relevant come first (:func:`_ranked`), then the newest publication. A query without
    any word character finds nothing (the view answers an empty query with 400 first).

    Two statements (three on PostgreSQL, see :func:`_window`), whatever the number of matches:
    the newest matches (up to the window: the count) with their documents' text, ranked here,
    and the items of the page.
    Snippets are in ``locale`` (default Chinese), see :func:`excerpt`.
    """
    page = max(1, int(page or 1))
    per_page = min(max(1, int(per_page or 20)), MAX_PER_PAGE)
    runs = tokens.query_runs(q)
    if not runs:
        return Results(0, [], page, 0, per_page, q or "")
    dialect = db.session.get_bind().dialect.name
    filters = {
        "within": within,
        "category": category,
        "cadence": cadence,
        "date_from": date_from,
        "date_to": date_to,
    }

    # a county's search: the county's token in the index keeps its items only (_matches), so
    # each match need not be checked against the county's path as well
    county_wide = within is not None and within.parent_id is None and within.root_id == within.id
    visible = visible_items(user, within=None if county_wide else within, lean=True)

    # (id, chars, title, text): plain tuples from the connection, not the ORM's rows
    connection = db.session.connection()
    if dialect == "postgresql":  # a few hundred rows per block: a worker costs more to start
        connection.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))  # (until commit)
    window = [
        tuple(row)
        for row in connection.execute(
            _with_documents(_window(dialect, user, runs, filters, visible))
        ).all()
    ]
    capped = len(window) > RESULT_WINDOW
    if capped:  # the one beyond the window: the oldest item
        window.remove(min(window))  # (the smallest id)
    total = len(window)
    pages = math.ceil(total / per_page)
    if not total or (page - 1) * per_page >= total:
        return Results(total, [], page, pages, per_page, q or "", capped=capped, runs=runs)

    window = _ranked(window, runs)
    ids = [c[0] for c in window[(page - 1) * per_page : page * per_page]]
    loaded = {item.id: item for item in db.session.scalars(select(Item).where(Item.id.in_(ids)))}
    found = [loaded[i] for i in ids if i in loaded]
    locale = locale or "zh_Hans_CN"
    return Results(
        total,
        found,
        page,
        pages,
        per_page,
        q or "",
        {item.id: excerpt(item, runs, locale) for item in found},
        capped,
        runs,
    )


# --- snippets and highlighting ----------------------------------------------------------------


@dataclass(frozen=True)
class Excerpt:
    """A result's snippet: ``text`` (plain) and ``html`` (the matches in ``<mark>``), taken from
    the item's text in the reader's language only — Chinese when the item has none in it, then
    marked with ``lang`` (a BCP 47 tag) — with the text's own characters (full-width punctuation,
    capitals: the index compares normalised text, the reader sees the original)."""

    text: str
    html: Markup
    lang: str | None = None


def _in_language(texts: dict[str, Any] | None, locale: str) -> tuple[str, str | None]:
    texts = texts or {}
    if texts.get(locale):
        return str(texts[locale]), None
    for fallback in ("zh_Hans_CN", *sorted(texts)):
        if texts.get(fallback):
            return str(texts[fallback]), fallback.replace("_", "-")
    return "", None


def match_spans(text: str, runs: list[str]) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of ``text`` where a run matches, compared as the index does
    (:func:`core.search.tokens.normalise`, character by character), merged and in order."""
    if not text or not runs:
        return []
    pieces, source = [], []
    for i, char in enumerate(text):
        normal = tokens.normalise(char)
        pieces.append(normal)
        source.extend([i] * len(normal))
    normal = "".join(pieces)
    spans = []
    for run in runs:
        at = normal.find(run)
        while at >= 0:
            spans.append((source[at], source[at + len(run) - 1] + 1))
            at = normal.find(run, at + len(run))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, runs: list[str], spans: list[tuple[int, int]] | None = None) -> Markup:
    """``text`` escaped, with every match of ``runs`` in ``<mark>``."""
    spans = match_spans(text, runs) if spans is None else spans
    out, last = [], 0
    for start, end in spans:
        out.append(escape(text[last:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def excerpt(item: Item, runs: list[str], locale: str, width: int = SNIPPET_CHARS) -> Excerpt:
    """About ``width`` characters of the item's body (in the reader's language) around its
    first match, the matches highlighted (see :class:`Excerpt`)."""
    version = item.current_version
    body, lang = _in_language(version.bodies if version else {}, locale)
    content = " ".join(html.unescape(plain_text(body)).split())
    spans = match_spans(content, runs)
    at = spans[0][0] if spans else 0
    start = max(0, at - width // 3)
    end = min(len(content), start + width)
    start = max(0, min(start, end - width))
    inside = [
        (max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start
    ]
    part = content[start:end]
    before = "…" if start > 0 else ""
    after = "…" if end < len(content) else ""
    marked = Markup("").join((escape(before), highlight(part, runs, inside), escape(after)))
    return Excerpt(f"{before}{part}{after}", marked, lang)
