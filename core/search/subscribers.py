"""Item events keep the search index in step, inside the transaction that sent them.

Publication and amendment (the text changes), revocation and closing (still disclosed: the
document stays, refreshed), widening (visibility is not copied, but the refresh is cheap and keeps
the document's copies exact), withholding (never disclosed: makes sure nothing is indexed).
"""

from __future__ import annotations

from core import events
from core.search import operations

SIGNALS = (
    events.item_published,
    events.item_amended,
    events.item_revoked,
    events.item_closed,
    events.item_widened,
    events.item_withheld,
)


def reindex(item, **_kwargs) -> None:
    operations.index_item(item)


for _signal in SIGNALS:
    _signal.connect(reindex)
