"""The search document of a disclosed item, and the full-text index kept beside it.

:class:`SearchDocument` (``search_documents``) holds, for every item in a disclosed state, the
normalised plain text of the titles and bodies of its *current* version in all locales (``text``:
substring checks and the relevance score) and that text's bigram tokens followed by its marker
tokens (``tokens``: the county, public, and the blocks of item ids it lies in; see
:mod:`core.search.tokens`). Visibility is deliberately *not* copied here: every search joins
:func:`core.items.visibility.visible_items` in the same statement, so a change of scope, role or
organisation is effective at once.

The index itself is database-specific and exists only in the database, created by the migration
(``…_search_documents_and_full_text_index``):

* SQLite: an external-content FTS5 table ``search_fts(tokens)`` over ``search_documents``
  (``content_rowid='item_id'``), kept in sync by three triggers on ``search_documents``. Its
  tokenizer is ``ascii``: our tokens are already split by spaces and contain no ASCII
  punctuation, and ``ascii`` treats every non-ASCII character as part of a token, so the FTS
  tokens are exactly ours, whatever Unicode version SQLite's own tables know.
  *A later migration that rebuilds ``search_documents`` in batch mode (SQLite copies the table)
  drops the triggers and must create them again.*
* PostgreSQL: a stored generated column ``tsv tsvector =
  array_to_tsvector(string_to_array(tokens, ' '))`` — the set of the tokens, as they are (no text
  search parser, no positions: small, so checking one row is cheap) — with the GIN index
  ``ix_search_documents_tsv``.

These objects are listed in the table's ``info["database_only"]``: the metadata does not declare
them (they are not portable), and :func:`core.migrations.include_name` hides them from Alembic's
comparison, so autogenerate neither drops them nor reports a difference.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import db

FTS_TABLE = "search_fts"
FTS_SHADOW_TABLES = tuple(
    f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config", "content")
)
TSV_COLUMN = "tsv"
TSV_INDEX = "ix_search_documents_tsv"


class SearchDocument(db.CountyKey, db.Base):
    __tablename__ = "search_documents"
    __table_args__ = {
        "info": {
            "database_only": {
                "tables": (FTS_TABLE, *FTS_SHADOW_TABLES),  # SQLite
                "columns": (TSV_COLUMN,),  # PostgreSQL
                "indexes": (TSV_INDEX,),  # PostgreSQL
            }
        }
    }

    # an INTEGER primary key: SQLite's rowid, which the FTS table refers to
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    published_at: Mapped[datetime | None]
    category_key: Mapped[str | None] = mapped_column(String(60))
    cadence: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text, default="")  # Chinese title, as published
    text: Mapped[str] = mapped_column(Text, default="")  # normalised (tokens.normalise)
    chars: Mapped[int] = mapped_column(Integer, default=0)  # len(text), for the relevance score
    tokens: Mapped[str] = mapped_column(Text, default="")
    indexed_at: Mapped[datetime] = mapped_column(default=db.utcnow, onupdate=db.utcnow)
