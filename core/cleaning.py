"""Cleaning what a form or a file gives an operation (kernel): texts per language, dates, lists.

Each helper appends its problems as ``"<field>: <what is wrong>"`` (the message translated, the
field name as the form knows it, so that :func:`core.web.forms.attach_problems` puts it under the
field) and returns the cleaned value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext

from core.config import SUPPORTED_LOCALES


def problem(name: str, message: str) -> str:
    return f"{name}: {message}"


def texts(
    value: Any, name: str, limit: int, problems: list[str], *, required: bool
) -> dict[str, str]:
    """``{locale: text}`` of a text per language (a plain string is Chinese); at most ``limit``
    characters each; Chinese ``required``."""
    if isinstance(value, str):
        value = {"zh_Hans_CN": value}
    out: dict[str, str] = {}
    for loc, text in (value or {}).items() if isinstance(value, dict) else []:
        if loc not in SUPPORTED_LOCALES:
            problems.append(problem(name, gettext("unknown language %(code)s", code=str(loc)[:20])))
            continue
        text = str(text or "").replace("\r\n", "\n").strip()
        if len(text) > limit:
            problems.append(problem(f"{name}.{loc}", gettext("at most %(n)s characters", n=limit)))
        elif text:
            out[loc] = text
    if required and not out.get("zh_Hans_CN"):
        problems.append(problem(name, gettext("the Chinese text is required")))
    return out


def day(value: Any, name: str, problems: list[str], *, required: bool = True) -> date | None:
    """A date (or ``YYYY-MM-DD``) between the years 2000 and 2100."""
    if isinstance(value, date):
        found = value
    elif value in (None, ""):
        if required:
            problems.append(problem(name, gettext("a date is required")))
        return None
    else:
        try:
            found = date.fromisoformat(str(value))
        except ValueError:
            problems.append(problem(name, gettext("not a date (YYYY-MM-DD)")))
            return None
    if not 2000 <= found.year <= 2100:
        problems.append(problem(name, gettext("a date between the years 2000 and 2100")))
        return None
    return found


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a text, stripped."""
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


def labelled_lines(
    by_locale: dict[str, Sequence[str]], prefix: str, keys: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """``[{"key", "labels"}]`` from lines per language (Chinese leads; the n-th line of another
    language labels the n-th Chinese line); ``keys`` keep the keys of lines that already had one
    (``<prefix><n>`` otherwise)."""
    out, used = [], set()
    for n, text in enumerate(by_locale.get("zh_Hans_CN") or []):
        key = keys[n] if n < len(keys) and keys[n] not in used else f"{prefix}{n + 1}"
        while key in used:
            key += "x"
        used.add(key)
        labels = {"zh_Hans_CN": text}
        for loc, values in by_locale.items():
            if loc != "zh_Hans_CN" and n < len(values) and values[n]:
                labels[loc] = values[n]
        out.append({"key": key, "labels": labels})
    return out


def chosen(
    candidates: Iterable[Any],
    codes: Iterable[str] | None,
    every: bool,
    problems: list[str],
    name: str = "units",
) -> list[Any]:
    """The organisations chosen among ``candidates`` (by code), or all of them (``every``)."""
    candidates = list(candidates)
    if every:
        found = candidates
    else:
        by_code = {o.code: o for o in candidates}
        found = []
        for code in dict.fromkeys(codes or []):
            unit = by_code.get(code)
            if unit is None:
                problems.append(
                    problem(
                        name,
                        gettext(
                            "%(code)s is not a unit below this organisation", code=str(code)[:60]
                        ),
                    )
                )
            else:
                found.append(unit)
    if not found:
        problems.append(problem(name, gettext("choose at least one unit")))
    return found
