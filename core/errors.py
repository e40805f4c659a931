"""Errors that carry a message meant for the user (kernel module)."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action: the message is shown to the user as it is.

    Views turn it into an HTTP 4xx answer (``status``), commands into exit code 2.
    """

    status = 400

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])


class NotFound(UserError):
    status = 404


class Forbidden(UserError):
    status = 403
