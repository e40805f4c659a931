"""Errors that carry a message meant for the user (kernel module).

A refusal's message and problems are translations made when they are read (lazy strings with
named placeholders, ``_("… %(name)s", name=…)``), so that a page shows them in its reader's
language and a command in its operator's (:mod:`core.cliutil`). A problem that concerns one
field of a form is a :class:`Problem`: the field's name (a code, never shown) and the message.
"""

from __future__ import annotations

import functools
from typing import Any

from markupsafe import escape


@functools.total_ordering
class Problem:
    """One problem of a refused operation: the ``field`` it concerns (a form field's or an
    input's name, ``"title.en"`` for one language of a text) and the ``message`` (a lazy
    translation). ``str()`` is ``"field: message"``, as the API and the commands show it; a
    page shows the message alone, under the field where
    :func:`core.web.forms.attach_problems` finds it, else in the page's list of problems."""

    __slots__ = ("field", "message")

    def __init__(self, field: str, message: Any):
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else str(self.message)

    def __repr__(self) -> str:
        return f"Problem({self.field!r}, {str(self.message)!r})"

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __lt__(self, other) -> bool:
        return str(self) < str(other)

    def __getattr__(self, name: str):  # str's methods (startswith, partition …) on str(self)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(str(self), name)

    def __contains__(self, text: str) -> bool:
        return text in str(self)

    def __html__(self) -> str:
        """On a page, the message alone (escaped): the field's name is a code."""
        return str(escape(str(self.message)))


class UserError(Exception):
    """Bad input or a refused action: the message is shown to the user as it is.

    Views turn it into an HTTP 4xx answer (``status``), commands into exit code 2.
    ``message`` and each of ``problems`` may be lazy translations (read them with
    :meth:`lines`, or ``str()``).
    """

    status = 400

    def __init__(self, message: Any, *, problems: list[Any] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def lines(self) -> list[str]:
        """The message and every problem, as text in the current language."""
        return [str(self.message), *(str(p) for p in self.problems)]

    def __str__(self) -> str:
        if not self.problems:
            return str(self.message)
        return "\n".join([str(self.message), *(f"  - {p}" for p in self.problems)])


class NotFound(UserError):
    status = 404


class Forbidden(UserError):
    status = 403
