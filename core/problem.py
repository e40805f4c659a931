"""The problems of a refused form or file that many operations share, in the reader's language
(kernel module): each returns a :class:`core.errors.Problem` for one field, its message a lazy
translation with named placeholders.

A value that only a file or a forged form can send (a code that is not one of a list) is named
with the codes a file may use; what a person typed on a page is told in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.config import SUPPORTED_LOCALES
from core.errors import Problem
from core.i18n import _


def required(field: str) -> Problem:
    return Problem(field, _("This field is required."))


def one_of(field: str, value: Any, codes: Iterable[str]) -> Problem:
    return Problem(
        field, _("“%(value)s” is not one of %(codes)s.", value=value, codes=", ".join(codes))
    )


def too_long(field: str, limit: int) -> Problem:
    return Problem(field, _("At most %(n)s characters.", n=limit))


def whole_number(field: str) -> Problem:
    return Problem(field, _("Give a whole number."))


def between(field: str, low: int, high: int) -> Problem:
    return Problem(field, _("Give a number from %(low)s to %(high)s.", low=low, high=high))


def not_a_date(field: str, value: Any) -> Problem:
    return Problem(field, _("“%(value)s” is not a date (year-month-day).", value=value))


def not_a_moment(field: str, value: Any) -> Problem:
    return Problem(field, _("“%(value)s” is not a date and time.", value=value))


def chinese_required(field: str) -> Problem:
    return Problem(field, _("The Chinese text is required."))


def unknown_language(field: str) -> Problem:
    return Problem(
        field, _("Unknown language (use %(codes)s).", codes=", ".join(SUPPORTED_LOCALES))
    )


def unknown_field(field: str) -> Problem:
    return Problem(field, _("Unknown field."))


def notice_too_short(field: str, minimum: int) -> Problem:
    return Problem(field, _("A notice period lasts at least %(n)s days.", n=minimum))
