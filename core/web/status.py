"""The status panel of an organisation's console home (``/admin/o/<code>/``).

Each area registers the section it knows, next to its views::

    from core.web import status

    @status.section("requests", _l("Disclosure requests"), action="requests.view", order=40)
    def requests_status(org, ctx):
        open_, overdue = ...  # one query
        return [status.Fact(_("Open"), open_, link=url_for("requests_admin.index")),
                status.Fact(_("Past the deadline"), overdue, tone="bad" if overdue else None)]

A section is shown when the signed-in user may do its ``action`` in the organisation and its
``when(org)`` (if any) is true. It returns facts (a label, a value, an optional link, note and
tone: ``"ok"``, ``"warn"`` or ``"bad"``) and, for a list such as the units below, a
:class:`Table`. Keep each section to a fixed number of queries (the home is one of the pages
whose query count must not grow with the data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import permissions


@dataclass
class Fact:
    label: str
    value: Any
    link: str | None = None
    note: str = ""
    tone: str | None = None  # None, "ok", "warn" or "bad"


@dataclass
class Cell:
    text: Any
    link: str | None = None
    tone: str | None = None


@dataclass
class Table:
    """A small table of a section: column headings and rows of cells (text or :class:`Cell`)."""

    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""
    more: tuple[str, str] | None = None  # (label, link) to the full list
    empty: str = ""


@dataclass
class Answer:
    facts: list[Fact] = field(default_factory=list)
    table: Table | None = None


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    func: Callable[..., Any]
    action: str | None = None
    order: int = 100
    when: Callable[[Any], bool] | None = None


@dataclass
class Shown:
    key: str
    label: str
    facts: list[Fact]
    table: Table | None


_sections: dict[str, Section] = {}


def section(
    key: str,
    label,
    *,
    action: str | None = None,
    order: int = 100,
    when: Callable[[Any], bool] | None = None,
):
    """Register a section of the status panel (decorator of ``func(org, user)``, which returns
    a list of :class:`Fact`, a :class:`Table`, or an :class:`Answer` with both)."""

    def register(func):
        _sections[key] = Section(key, label, func, action, order, when)
        return func

    return register


def sections() -> dict[str, Section]:
    return dict(_sections)


def for_org(org, user) -> list[Shown]:
    """The sections the user sees on ``org``'s home, in their order."""
    out = []
    for s in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        if s.when is not None and not s.when(org):
            continue
        if s.action is not None and not permissions.may(user, s.action, org):
            continue
        answer = s.func(org, user)
        if answer is None:
            continue
        if isinstance(answer, Table):
            answer = Answer(table=answer)
        elif not isinstance(answer, Answer):
            answer = Answer(facts=list(answer))
        if answer.facts or answer.table is not None:
            out.append(Shown(s.key, str(s.label), answer.facts, answer.table))
    return out
