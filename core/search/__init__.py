"""Full-text search over disclosed items with substring recall (Chinese, Latin, digits, mixed).

* :mod:`core.search.tokens` — the tokeniser both databases share: overlapping bigrams of runs of
  word characters, so that a query of two or more characters finds every item containing it,
  dictionary word or not (党费, 三幼 in 第三幼儿园, 党办 in 新党办发).
* :mod:`core.search.models` — one :class:`~core.search.models.SearchDocument` per disclosed item;
  the full-text index itself (SQLite FTS5 table, PostgreSQL ``tsvector`` column with GIN) lives
  only in the database (see the module's docstring).
* :mod:`core.search.operations` — ``index_item``, ``remove_item``, ``reindex_all``, ``search``.
* :mod:`core.search.subscribers` — item events (re)index the item in the same transaction.
"""
