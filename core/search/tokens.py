"""The tokeniser shared by SQLite and PostgreSQL: overlapping bigrams, computed in Python.

Text is normalised (NFKC, so that full-width ``ＡＢＣ１２３`` equals ``abc123``; lower case), then
split into *runs* of word characters — letters of any script (CJK ideographs included) and
digits; everything else (punctuation, spaces, symbols) separates runs. Each run of ``n``
characters becomes its ``n - 1`` overlapping bigrams followed by its last character alone::

    第三幼儿园, 党办  →  第三 三幼 幼儿 儿园 园 党办 办
    三幼2024         →  三幼 幼2 20 02 24 4

Why this is exact (substring recall and precision of 1.0, no dictionary):

* a query run of two or more characters is the *phrase* of its bigrams; consecutive bigram tokens
  in the document always belong to one run, because every run ends with a one-character token
  that no bigram can equal — so ``"ab bc cd"`` matches exactly where the run contains ``abcd``,
  never across two runs (``…xab。bcd…`` does not match ``abcd``);
* a one-character query ``c`` is the *prefix* query ``c*``: every occurrence of ``c`` is either
  the first character of a bigram of its run, or the last character of the run (its single
  token), so the prefix query finds every item containing ``c`` and nothing else.

Query tokens consist of word characters only, so a query built from them cannot carry full-text
syntax (quotes, ``*``, ``:``, ``NEAR``, ``OR``, parentheses): user input is never spliced into a
query.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 100
"""Longer queries are cut (a query is a few words, not a document)."""

_RUN = re.compile(r"[^\W_]+")  # maximal runs of str.isalnum() characters


def normalise(text: str | None) -> str:
    """The form both documents and queries are compared in (NFKC, lower case)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def runs(text: str | None) -> list[str]:
    """The runs of word characters of the normalised ``text``."""
    return _RUN.findall(normalise(text))


def bigrams(run: str) -> list[str]:
    """The overlapping bigrams of a run (a run of one character has none)."""
    return [run[i : i + 2] for i in range(len(run) - 1)]


def run_tokens(run: str) -> list[str]:
    """The bigrams of a run followed by its last character (the run's end marker)."""
    return [*bigrams(run), run[-1]] if run else []


def document_tokens(text: str | None) -> str:
    """The space-separated tokens of a document's text, in order (positions matter)."""
    return " ".join(token for run in runs(text) for token in run_tokens(run))


def query_runs(query: str | None) -> list[str]:
    """The distinct runs of a query, in order; empty when it has no word character.

    Runs are ANDed: ``党费 换届`` finds items containing both 党费 and 换届.
    """
    return list(dict.fromkeys(runs((query or "")[:MAX_QUERY_CHARS])))


ROOT_MARK = "§"
"""Prefix of the one token per document naming its county (``§12``): not a word character, so no
query can produce or prefix-match it; searches within a county AND it to their query, so the
index only enumerates that county's documents. (A county is fixed: units move only inside it.)"""


def root_token(root_id: int, public: bool = False) -> str:
    """The county's token (``§12``); with ``public``, the token of its public documents
    (``§12p``): an anonymous search on a county's portal asks that one instead of both the
    county's and :data:`PUBLIC_TOKEN`, a posting list of some 20,000 documents at 300,000 items
    instead of two of 30,000 and 180,000 (SQLite: a tenth of the work of a county's mixed query)."""
    return f"{ROOT_MARK}{int(root_id)}{'p' if public else ''}"


PUBLIC_TOKEN = f"{ROOT_MARK}public"
"""The one token of a document whose item is visible to everyone (``visible_scope`` public):
anonymous searches AND it to their query, so that the index enumerates only what they may see
(the visibility layer still decides; this only narrows the candidates). The item events that
change an item's visible scope (publication, widening) reindex it."""


BLOCK_SHIFT = 10
BLOCK_LEVELS = 14
"""Item ids are grouped into aligned *blocks* of ``2 ** (BLOCK_SHIFT + level)`` ids for every
level below ``BLOCK_LEVELS`` (1,024 ids … 8,388,608 ids), and every document carries one token
per level naming its blocks (``§t3x36``: the level-3 block of 8,192 ids that starts at id
294,912). PostgreSQL's GIN index returns matches in no order; ANDing a block's token to a query
makes it find the matches of that block only, at the cost of the rarest of the ANDed posting
lists (GIN skips through the longer ones), so a search asks for the newest block first, then
older and larger ones (:func:`blocks`). SQLite's FTS5 returns matches newest first and ignores
these tokens."""


def block_token(level: int, block: int, root_id: int | None = None, public: bool = False) -> str:
    """A block's token; with ``root_id``, the token of that county's documents in the block
    (``§12t3x36``): a county's search asks it instead of both the county's and the block's,
    and its posting list holds only that county's documents of the block — the block's list
    of every county was most of a county search's work, since a county's search reads larger
    blocks to fill its window."""
    county = "" if root_id is None else f"{int(root_id)}{'p' if public else ''}"
    return f"{ROOT_MARK}{county}t{int(level)}x{int(block)}"


def block_tokens(item_id: int, root_id: int | None = None, public: bool = False) -> list[str]:
    """The tokens of the blocks the item id lies in, one per level (of every county, or of
    ``root_id``'s, or of its public documents)."""
    return [
        block_token(level, int(item_id) >> (BLOCK_SHIFT + level), root_id, public)
        for level in range(BLOCK_LEVELS)
    ]


def blocks(top: int) -> list[tuple[int, int]]:
    """``(level, block)`` of aligned blocks covering the ids ``0 … top`` exactly once, newest
    first, each at most twice as large as all before it together: a search whose window fills
    in a block has found at least a third of what it reads before it (nine blocks for 300,000
    ids, twelve for 3,000,000)."""
    first = 1 << BLOCK_SHIFT
    high = (max(0, int(top)) // first + 1) * first  # exclusive
    found: list[tuple[int, int]] = []
    covered = 0
    while high > 0:
        level = 0
        while (
            level + 1 < BLOCK_LEVELS
            and high % (first << (level + 1)) == 0
            and (first << (level + 1)) <= 2 * covered
        ):
            level += 1
        size = first << level
        found.append((level, (high - size) // size))
        covered += size
        high -= size
    return found


def marks(root_id: int, public: bool, item_id: int) -> str:
    """The marker tokens of a document: its county, public, the item's blocks, the county's
    blocks, and a public document's county-and-public blocks and county-and-public token."""
    found = [
        root_token(root_id),
        *([PUBLIC_TOKEN] if public else []),
        *block_tokens(item_id),
        *block_tokens(item_id, root_id),
        *(
            [*block_tokens(item_id, root_id, public=True), root_token(root_id, True)]
            if public
            else []
        ),
    ]
    return " ".join(found)


def _checked(token: str) -> str:
    # by construction; asserted because the query syntax below relies on it
    if not token.isalnum():
        raise ValueError(f"not a token: {token!r}")
    return token


def fts5_query(query_runs: list[str], root_id: int | None = None, public: bool = False) -> str:
    """SQLite FTS5 MATCH expression: each run a phrase of its bigrams (or a prefix), ANDed
    (and the county's token when ``root_id`` is given, the public token when ``public``)."""
    parts = []
    for run in query_runs:
        if len(run) == 1:
            parts.append(f'"{_checked(run)}" *')
        else:
            parts.append('"' + " ".join(_checked(b) for b in bigrams(run)) + '"')
    if root_id is not None:
        parts.append(f'"{root_token(root_id, public)}"')
    elif public:
        parts.append(f'"{PUBLIC_TOKEN}"')
    return " AND ".join(parts)


def covering_bigrams(run: str) -> list[str]:
    """Bigrams of ``run`` that cover each of its characters (every other one, and the last):
    ``2011年`` → ``20 11 1年``. A document holding the run holds them; the substring check
    confirms. Each token less is a posting list less for the index to step through."""
    pairs = bigrams(run)
    return [*pairs[::2], *([pairs[-1]] if len(pairs) % 2 == 0 else [])]


def tsquery(
    query_runs: list[str],
    root_id: int | None = None,
    public: bool = False,
    block: tuple[int, int] | None = None,
) -> str:
    """PostgreSQL ``tsquery`` text (cast, not parsed): every bigram of every run ANDed (or a
    prefix), and the county's, the public and a block's token when given. The ``tsvector`` it
    is matched against is the *set* of a document's tokens, so the query finds candidates;
    ``core.search.operations`` confirms each run of three or more characters with a substring
    check (a two-character run is one token: exact already).
    """
    parts = []
    for run in query_runs:
        if len(run) == 1:
            parts.append(f"'{_checked(run)}':*")
        else:
            parts.extend(f"'{_checked(b)}'" for b in dict.fromkeys(covering_bigrams(run)))
    if block is not None and root_id is not None:  # the county's (public) documents of the block
        parts.append(f"'{block_token(*block, root_id, public)}'")
    elif block is not None:
        parts.extend([*([f"'{PUBLIC_TOKEN}'"] if public else []), f"'{block_token(*block)}'"])
    elif root_id is not None:
        parts.append(f"'{root_token(root_id, public)}'")
    elif public:
        parts.append(f"'{PUBLIC_TOKEN}'")
    return " & ".join(parts)
