"""A report's statistics in words, and its PDF and XLSX (RPT-1).

:func:`tables` turns the statistics (:mod:`core.reports.statistics`) into titled tables of
labelled numbers in the reader's language — the page, the PDF and the spreadsheet show the same
rows. :func:`pdf_bytes` prints a report (or the subtree summary) on A4 on the server, its fonts
embedded (:mod:`core.pdf`); :func:`xlsx_bytes` writes it through :mod:`core.spreadsheets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from core import i18n, pdf, spreadsheets
from core.catalogue import labels as catalogue_labels
from core.catalogue.channels import channel_labels
from core.disclosure_requests import labels as request_labels
from core.reports import forms, periods
from core.reports.statistics import OFF_CATALOGUE
from core.reports.workflow import NARRATIVE_LABELS
from tenants.models import Organisation


@dataclass
class Table:
    title: str
    rows: list[tuple[str, Any]] = field(default_factory=list)


def _n(value: Any) -> Any:
    return 0 if value is None else value


def tables(stats: dict[str, Any], org: Organisation, loc: str | None = None) -> list[Table]:
    """The statistics as tables of ``(label, value)``, in the reader's language."""
    loc = loc or i18n.locale()
    items = stats.get("items") or {}
    requests = stats.get("requests") or {}
    feedback = stats.get("feedback") or {}
    timely = stats.get("timeliness") or {}
    out = [
        Table(
            gettext("Disclosures"),
            [
                (gettext("Items published"), _n(items.get("published"))),
                (gettext("Of which notices (公示)"), _n(items.get("notices"))),
                (gettext("Objections lodged against notices"), _n(items.get("objections"))),
            ],
        )
    ]
    categories = Table(gettext("Items published by category"))
    for key, slot in sorted(
        (items.get("by_category") or {}).items(), key=lambda kv: (kv[0] == OFF_CATALOGUE, kv[0])
    ):
        title = (
            gettext("Outside the catalogue")
            if key == OFF_CATALOGUE
            else i18n.localised(slot.get("titles"), loc) or key
        )
        categories.rows.append((title, _n(slot.get("count"))))
    if categories.rows:
        out.append(categories)
    names = channel_labels(loc, org)
    by_channel = Table(gettext("Items published by channel"))
    for code, count in sorted((items.get("by_channel") or {}).items(), key=lambda kv: -kv[1]):
        by_channel.rows.append((names.get(code, code), count))
    if by_channel.rows:
        out.append(by_channel)
    by_scope = Table(gettext("Items published by scope"))
    for code, count in sorted((items.get("by_scope") or {}).items()):
        by_scope.rows.append((catalogue_labels.scope(code), count))
    if by_scope.rows:
        out.append(by_scope)
    req = Table(
        gettext("Disclosure requests"),
        [
            (gettext("Requests received"), _n(requests.get("received"))),
            (gettext("Requests decided"), _n(requests.get("decided"))),
            (gettext("Decided after the deadline"), _n(requests.get("decided_late"))),
            (gettext("Open past the deadline"), _n(requests.get("overdue"))),
        ],
    )
    for code, count in sorted((requests.get("by_outcome") or {}).items()):
        req.rows.append(
            (gettext("Outcome: %(outcome)s", outcome=request_labels.outcome(code)), count)
        )
    out.append(req)
    out.append(
        Table(
            gettext("Feedback and rectification"),
            [
                (gettext("Feedback received"), _n(feedback.get("received"))),
                (gettext("Answered"), _n(feedback.get("answered"))),
                (gettext("Answered after the due date"), _n(feedback.get("answered_late"))),
                (gettext("Rectifications completed"), _n(feedback.get("rectified"))),
                (gettext("Entries closed"), _n(feedback.get("closed"))),
                (gettext("Open past the due date"), _n(feedback.get("overdue"))),
            ],
        )
    )
    out.append(
        Table(
            gettext("Timeliness of the catalogue's disclosures"),
            [
                (gettext("Expected disclosures due in the period"), _n(timely.get("expected"))),
                (gettext("Made"), _n(timely.get("met"))),
                (gettext("Made on time"), _n(timely.get("on_time"))),
                (gettext("Made late"), _n(timely.get("late"))),
                (gettext("Overdue, not made"), _n(timely.get("overdue"))),
            ],
        )
    )
    for section in stats.get("sections") or []:
        table = Table(i18n.localised(section.get("titles"), loc) or section.get("key", ""))
        for row in section.get("rows") or []:
            table.rows.append((i18n.localised(row.get("labels"), loc) or row["key"], row["value"]))
        out.append(table)
    return out


def rate(part: Any, whole: Any) -> str:
    """A share as a percentage ("—" without a whole)."""
    if not whole:
        return "—"
    return f"{100 * (part or 0) / whole:.1f}%"


# --- PDF -------------------------------------------------------------------------------------


print_document = pdf.print_document


def report_pdf(report, context: dict[str, Any]) -> bytes:
    footer = report.organisation.name(i18n.locale())
    return print_document("print/report.html", footer=footer, report=report, **context)


def summary_pdf(context: dict[str, Any]) -> bytes:
    footer = context["org"].name(i18n.locale())
    return print_document("print/reports_summary.html", footer=footer, **context)


# --- XLSX ------------------------------------------------------------------------------------


def _stat_rows(found: list[Table]) -> list[list[Any]]:
    return [[table.title, label, value] for table in found for label, value in table.rows]


def report_xlsx(report, loc: str) -> bytes:
    org = report.organisation
    period = periods.label(report.period_key, report.starts_on, report.ends_on)
    header = [gettext("Part"), gettext("Item"), gettext("Value")]
    rows: list[list[Any]] = [
        [gettext("Report"), gettext("Unit"), org.name(loc)],
        [gettext("Report"), gettext("Period"), period],
        [gettext("Report"), gettext("Due on"), report.due_on],
        [gettext("Report"), gettext("State"), state_label(report)],
        *_stat_rows(tables(report.statistics or {}, org, loc)),
    ]
    for name, text in report.narrative().items():
        rows.append([gettext("Narrative"), str(NARRATIVE_LABELS[name]), text])
    return spreadsheets.xlsx_bytes(
        header,
        rows,
        sheet_title=period,
        title=gettext("Half-year report of %(org)s: %(period)s", org=org.name(loc), period=period),
        rtl=i18n.text_direction() == "rtl",
    )


def summary_xlsx(org: Organisation, period_label: str, total: dict, reports: list, loc: str):
    header = [gettext("Part"), gettext("Item"), gettext("Value")]
    rows: list[list[Any]] = [
        [gettext("Summary"), gettext("Organisation"), org.name(loc)],
        [gettext("Summary"), gettext("Period"), period_label],
        [gettext("Summary"), gettext("Reports counted"), len(reports)],
        *_stat_rows(tables(total, org, loc)),
    ]
    for report in reports:
        rows.append(
            [gettext("Reports counted"), report.organisation.name(loc), state_label(report)]
        )
    return spreadsheets.xlsx_bytes(
        header,
        rows,
        sheet_title=period_label,
        title=gettext(
            "Summary of the half-year reports below %(org)s: %(period)s",
            org=org.name(loc),
            period=period_label,
        ),
        rtl=i18n.text_direction() == "rtl",
    )


def state_label(report) -> str:
    return forms.state(report.state) + (" · " + gettext("late") if report.late else "")
