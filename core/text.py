"""Cleaning the text people type before it is kept and shown to others (kernel: imports nothing
else of the project).

Removed everywhere (:func:`clean`, and on every flush for every text column, see
:func:`clean_values` and :mod:`core.db`):

* the **bidirectional embeddings, overrides and isolates** U+202A–U+202E and U+2066–U+2069:
  they reorder what a reader sees (a title that displays as something else, a file name whose
  extension seems another: "Trojan Source", CVE-2021-42574);
* control characters (Unicode category Cc) other than the new line and the tab, and lone
  surrogates (Cs), which no text needs and some databases refuse (NUL on PostgreSQL).

Kept, because right-to-left text needs them: the implicit direction **marks** U+200E (LRM),
U+200F (RLM) and U+061C (ALM, Arabic letter mark) — Uyghur text mixing Arabic script with
numbers or Latin words places them to keep the reading order — and the zero-width joiner and
non-joiner U+200C/U+200D, which choose letter forms in Arabic script. The marks only affect the
neighbouring neutral characters, never reorder a whole run. Direction for a whole text is set by
the pages (``dir="auto"`` / ``<bdi>``), not by characters inside it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import JSON, String, event
from sqlalchemy import inspect as inspect_state

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings (LRE, RLE), PDF, overrides (LRO, RLO) and isolates (LRI, RLI, FSI, PDI)."""
KEPT_MARKS = frozenset("\u200e\u200f\u061c\u200c\u200d")
"""LRM, RLM, ALM, ZWNJ, ZWJ (format characters that right-to-left scripts need)."""
_KEEP_CONTROLS = frozenset("\n\t\r")


def _dropped(ch: str) -> bool:
    if ch in BIDI_CONTROLS:
        return True
    if ch in _KEEP_CONTROLS:
        return False
    return unicodedata.category(ch) in ("Cc", "Cs")


def needs_cleaning(text: str) -> bool:
    return any(_dropped(ch) for ch in text)


def _cleaned(text: str) -> str:
    return "".join(ch for ch in text if not _dropped(ch)) if needs_cleaning(text) else text


def clean(value: Any, *, strip: bool = False) -> str:
    """``value`` as text without bidirectional controls and control characters (new lines, made
    ``\\n``, and tabs stay); with ``strip``, without outer blank space."""
    text = str(value if value is not None else "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _cleaned(text)
    return text.strip() if strip else text


def clean_values(value: Any) -> Any:
    """``value`` with every text inside it cleaned as stored (dicts, lists and tuples are
    walked, carriage returns kept): for every text and JSON column on flush. Returns ``value``
    itself when nothing changes."""
    if isinstance(value, str):
        return _cleaned(value)
    if isinstance(value, dict):
        cleaned = {clean_values(k): clean_values(v) for k, v in value.items()}
        return value if cleaned == value else cleaned
    if isinstance(value, list | tuple):
        cleaned = [clean_values(v) for v in value]
        return value if cleaned == list(value) else type(value)(cleaned)
    return value


UNCLEANED_TABLES = {"register_entries"}
"""Tables whose texts are not cleaned on flush: the register hashes an entry before the flush,
so ``core.register.operations.append`` cleans the entry's texts itself."""


def clean_on_flush(sess, _flush_context=None, _instances=None) -> None:
    """``before_flush``: every text and JSON value written is cleaned (:func:`clean_values`),
    whatever form, API call, job or plugin it came from."""
    for obj in [*sess.new, *sess.dirty]:
        if getattr(obj, "__tablename__", None) in UNCLEANED_TABLES:
            continue
        state = inspect_state(obj)
        for attr in state.mapper.column_attrs:
            if not isinstance(attr.columns[0].type, String | JSON) or attr.key not in state.dict:
                continue
            if obj not in sess.new and not state.attrs[attr.key].history.has_changes():
                continue
            value = state.dict[attr.key]
            cleaned = clean_values(value)
            if cleaned is not value:
                setattr(obj, attr.key, cleaned)


def install(session_factory) -> None:
    """Clean on every flush of sessions made by ``session_factory`` (once)."""
    if not event.contains(session_factory, "before_flush", clean_on_flush):
        event.listen(session_factory, "before_flush", clean_on_flush)


DB_INT_MAX = 2**31 - 1
"""The largest integer key of the databases (PostgreSQL ``integer``)."""


def ascii_int(value: Any, *, minimum: int | None = 0, maximum: int | None = DB_INT_MAX):
    """``value`` as an integer when it is written with the digits 0–9 only (an optional minus
    sign) and lies within the bounds, else None. Unlike ``str.isdigit()`` followed by ``int()``,
    it never raises: ``²`` and ``①`` are "digits" to ``isdigit`` but not to ``int``, and digits of
    other scripts or numbers beyond the database's range are refused alike."""
    text = str(value if value is not None else "").strip()
    body = text[1:] if text.startswith("-") else text
    if not body or len(body) > 20 or not all("0" <= ch <= "9" for ch in body):
        return None
    number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def db_int(value: Any) -> int:
    """:func:`ascii_int` for werkzeug's ``request.args.get(name, type=db_int)``: raises
    ``ValueError`` (so that the default is used) for what is no number in the databases' range."""
    number = ascii_int(value, minimum=None)
    if number is None or number < -DB_INT_MAX:
        raise ValueError(f"not a number in range: {value!r}")
    return number
