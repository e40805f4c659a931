"""The ledger as CSV or XLSX (FB-1 columns), like the register's exports.

Rows come from :func:`core.feedback.operations.ledger_query` with the ledger page's filters, so
an export holds exactly what its reader may see on the page. Every text cell that a spreadsheet
would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
prefixed with an apostrophe (OWASP "CSV injection") by :mod:`core.spreadsheets`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import Select, select

from core import db, localtime, spreadsheets
from core.feedback import labels
from core.feedback.models import FeedbackNote
from core.web import display_names
from tenants.models import Organisation

MAX_ROWS = 50_000


def headers() -> list[str]:
    return [
        gettext("Receipt no."),
        gettext("Unit"),
        gettext("Channel"),
        gettext("Received on"),
        gettext("Content"),
        gettext("Submitter"),
        gettext("Contact"),
        gettext("State"),
        gettext("Handler"),
        gettext("Due date"),
        gettext("Handling"),
        gettext("Rectification measures"),
        gettext("Rectification deadline"),
        gettext("Rectification result"),
        gettext("Rectified on"),
        gettext("Rectification result published"),
        gettext("Answer"),
        gettext("Answered on"),
        gettext("Answered by"),
        gettext("Published on"),
        gettext("Closed on"),
    ]


def rows(query: Select, locale: str) -> list[list[Any]]:
    """The export rows (dates stay dates); three queries whatever the number of entries."""
    entries = list(db.session.scalars(query.limit(MAX_ROWS)))
    ids = [e.id for e in entries]
    notes: dict[int, list[FeedbackNote]] = defaultdict(list)
    if ids:
        for note in db.session.scalars(
            select(FeedbackNote).where(FeedbackNote.entry_id.in_(ids)).order_by(FeedbackNote.id)
        ):
            notes[note.entry_id].append(note)
    names = display_names(e.handler_id for e in entries)
    org_ids = {e.org_id for e in entries}
    orgs = {
        o.id: o
        for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
    } if org_ids else {}  # fmt: skip
    out = []
    for e in entries:
        org = orgs.get(e.org_id) or e.organisation
        tz = localtime.zone(org)
        handling = "\n".join(
            f"{n.at.astimezone(tz):%Y-%m-%d %H:%M} {n.author_label}: {n.text}"
            for n in notes.get(e.id, [])
        )
        if e.has_rectification and e.rectification_result:
            published = (
                gettext("yes")
                if e.rectification_public
                else gettext("no: %(reason)s", reason=e.rectification_private_reason or "")
            )
        else:
            published = ""
        out.append(
            [
                e.receipt,
                org.name(locale, "short"),
                labels.channel(e.channel),
                e.received_on,
                e.content,
                e.submitter_name or "",
                e.submitter_contact or "",
                labels.state(e.state),
                names.get(e.handler_id, "") if e.handler_id else "",
                e.due_on,
                handling,
                e.rectification_measures or "",
                e.rectification_deadline,
                e.rectification_result or "",
                e.rectification_done_on,
                published,
                e.answer or "",
                e.answered_on,
                labels.answer_channel(e.answer_channel) if e.answer_channel else "",
                e.published_at.astimezone(tz).date() if e.published_at else None,
                e.closed_at.astimezone(tz).date() if e.closed_at else None,
            ]
        )
    return out


def export_csv(query: Select, *, locale: str) -> str:
    """The ledger as CSV (UTF-8 with a byte order mark, formulas neutralised)."""
    with force_locale(locale):
        return spreadsheets.csv_text(headers(), rows(query, locale))


def export_xlsx(query: Select, *, locale: str, title: str = "") -> bytes:
    """The ledger as an XLSX workbook (one sheet, frozen header row, dates as dates)."""
    with force_locale(locale):
        head = headers()
        data = rows(query, locale)
        sheet_title = gettext("Feedback ledger")
    return spreadsheets.xlsx_bytes(head, data, sheet_title=sheet_title, title=title)


def filename(org: Organisation, fmt: str, today: date) -> str:
    return f"feedback-{org.code}-{today.isoformat()}.{fmt}"
