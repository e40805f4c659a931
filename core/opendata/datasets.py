"""The open datasets: their fields (with translated descriptions) and the records of a subtree.

Every dataset reads what an anonymous visitor may read, and nothing else:

* ``items`` — items visible to the public (:func:`core.items.visibility.visible_items` with no
  user): catalogue entry, category, dates, scope, channels, timeliness;
* ``notices`` — the public notices (公示) with the number of objections lodged and handled (never
  an objection's text or its author);
* ``feedback-answers`` — published answers to feedback (the unit's public summary, its answer and
  rectification result where published; never the submitter's words, name or contact);
* ``requests`` — disclosure requests as counts per unit and month: received, decided by outcome,
  on time, response time in working days (never a request's content or applicant);
* ``register`` — the public register (:mod:`core.register.public`): every entry's number and
  hashes, and what was published about the public ones;
* ``statistics`` — the figures per unit and year (:mod:`core.opendata.stats`).

Texts are kept as written (titles in Chinese, with the English and Uyghur titles where the unit
wrote them); codes are the platform's code lists, described on the fields page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from core import db
from core.catalogue.channels import channel_labels
from core.feedback.models import FeedbackEntry
from core.i18n import _
from core.items import reading
from core.items.models import Item, Objection
from core.items.visibility import visible_items
from core.opendata import stats
from core.register.models import RegisterEntry, canonical_json, sealed_digest
from tenants.models import Organisation

ZH = "zh_Hans_CN"


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # string | integer | number | boolean | date | datetime | array
    description: Any  # a lazy string
    nullable: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str
    title: Any
    description: Any
    fields: tuple[Field, ...]
    records: Callable[[Organisation], Iterable[dict[str, Any]]]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _zh(texts: dict | None) -> str:
    texts = texts or {}
    return texts.get(ZH) or next((t for t in texts.values() if t), "")


def _in_subtree(query, org: Organisation, column):
    return query.join(Organisation, Organisation.id == column).where(
        Organisation.path.startswith(org.path, autoescape=True), Organisation.enabled.is_(True)
    )


# --- items -----------------------------------------------------------------------------------

ORG_FIELDS = (
    Field("organisation_code", "string", _("Code of the organisation (its address on the portal)")),
    Field("organisation_name", "string", _("Full name of the organisation (Chinese)")),
)


def _item_url(item: Item) -> str:
    return url_for("portal.item", org_code=item.organisation.code, item_id=item.id, _external=True)


def timeliness(item: Item) -> str:
    if item.late:
        return "late"
    return "on_time" if item.due_on is not None else "no_due_date"


def items_records(org: Organisation) -> Iterable[dict[str, Any]]:
    query = reading.newest_first(visible_items(None, within=org))
    rows = list(db.session.scalars(query))
    found = reading.entries_of(rows)
    names = channel_labels(ZH, org)  # the plugins' and the county's channels too
    for item in rows:
        version = item.current_version
        titles = dict(version.titles or {}) if version else {}
        entry, category = found.get((item.catalogue_version_id, item.entry_key), (None, None))
        yield {
            "id": item.id,
            "url": _item_url(item),
            "organisation_code": item.organisation.code,
            "organisation_name": item.organisation.name(ZH),
            "title": _zh(titles),
            "title_en": titles.get("en") or None,
            "title_ug": titles.get("ug") or None,
            "state": reading.public_state(item),
            "version": version.number if version else None,
            "catalogue_entry_key": item.entry_key,
            "catalogue_entry_title": entry.title(ZH) if entry is not None else None,
            "category_key": item.category_key,
            "category_title": category.title(ZH) if category is not None else None,
            "off_catalogue": item.entry_key is None,
            "cadence": item.cadence,
            "period": item.period_key,
            "decision_date": _iso(item.decision_date),
            "published_at": _iso(item.published_at),
            "due_on": _iso(item.due_on),
            "timeliness": timeliness(item),
            "scope": item.visible_scope,
            "channels": list(item.channels or []),
            "channel_names": [names.get(c, c) for c in item.channels or []],
            "notice": bool(item.is_notice),
            "notice_ends_at": _iso(item.notice_ends_at) if item.is_notice else None,
        }


ITEMS = Dataset(
    "items",
    _("Published items"),
    _(
        "Every item the organisations of this subtree disclosed to the public: its catalogue "
        "entry and category, its dates, scope, channels and timeliness."
    ),
    (
        Field("id", "integer", _("Number of the item on the platform")),
        Field("url", "string", _("Address of the item's page")),
        *ORG_FIELDS,
        Field("title", "string", _("Title (Chinese)")),
        Field("title_en", "string", _("Title in English, where the unit wrote one"), True),
        Field("title_ug", "string", _("Title in Uyghur, where the unit wrote one"), True),
        Field("state", "string", _("published, closed (no longer current) or revoked")),
        Field("version", "integer", _("Number of the current version (amendments add one)"), True),
        Field(
            "catalogue_entry_key",
            "string",
            _("Key of the catalogue entry it discloses; empty for an off-catalogue item"),
            True,
        ),
        Field("catalogue_entry_title", "string", _("Title of that catalogue entry"), True),
        Field("category_key", "string", _("Key of the content category"), True),
        Field("category_title", "string", _("Title of the content category"), True),
        Field("off_catalogue", "boolean", _("true for an item outside the catalogue (目录外)")),
        Field(
            "cadence",
            "string",
            _(
                "Cadence of the entry: standing, monthly, quarterly, "
                "half_yearly, yearly, on_progress or immediate"
            ),
            True,
        ),
        Field("period", "string", _("Period it discloses, e.g. 2026-Q1, 2026-M03, 2026-H1"), True),
        Field("decision_date", "date", _("Date of the decision it discloses (研究决定日期)"), True),
        Field("published_at", "datetime", _("Time of publication (UTC, ISO 8601)")),
        Field("due_on", "date", _("Due date from the cadence, where there is one"), True),
        Field(
            "timeliness",
            "string",
            _("on_time, late (published after its due date) or no_due_date"),
            False,
        ),
        Field("scope", "string", _("Scope: always public in this dataset")),
        Field(
            "channels",
            "array",
            _("Channels it is published on (codes; in CSV separated by semicolons)"),
        ),
        Field(
            "channel_names",
            "array",
            _("Names of those channels in Chinese (in CSV separated by semicolons)"),
        ),
        Field("notice", "boolean", _("true for a notice (公示) with a notice period")),
        Field("notice_ends_at", "datetime", _("End of the notice period (UTC)"), True),
    ),
    items_records,
)


# --- notices ---------------------------------------------------------------------------------


def notices_records(org: Organisation) -> Iterable[dict[str, Any]]:
    query = reading.newest_first(visible_items(None, within=org).where(Item.is_notice.is_(True)))
    rows = list(db.session.scalars(query))
    counts: dict[int, tuple[int, int]] = {}
    if rows:
        counts = {
            item_id: (int(n), int(handled))
            for item_id, n, handled in db.session.execute(
                select(Objection.item_id, func.count(Objection.id), stats._one(Objection.handled))
                .where(Objection.item_id.in_([i.id for i in rows]))
                .group_by(Objection.item_id)
            )
        }
    for item in rows:
        lodged, handled = counts.get(item.id, (0, 0))
        yield {
            "id": item.id,
            "url": _item_url(item),
            "organisation_code": item.organisation.code,
            "organisation_name": item.organisation.name(ZH),
            "title": item.title(ZH),
            "state": reading.public_state(item),
            "published_at": _iso(item.published_at),
            "notice_days": item.notice_days,
            "notice_ends_at": _iso(item.notice_ends_at),
            "objections_lodged": lodged,
            "objections_handled": handled,
            "objections_pending": lodged - handled,
        }


NOTICES = Dataset(
    "notices",
    _("Notices and objections"),
    _(
        "The public notices (公示) with their notice period and how many objections were lodged "
        "and handled. The objections themselves and who lodged them are not published."
    ),
    (
        Field("id", "integer", _("Number of the item on the platform")),
        Field("url", "string", _("Address of the item's page")),
        *ORG_FIELDS,
        Field("title", "string", _("Title (Chinese)")),
        Field("state", "string", _("published, closed or revoked")),
        Field("published_at", "datetime", _("Start of the notice period: publication (UTC)")),
        Field("notice_days", "integer", _("Length of the notice period in days"), True),
        Field("notice_ends_at", "datetime", _("End of the notice period (UTC)"), True),
        Field("objections_lodged", "integer", _("Objections lodged during the period")),
        Field("objections_handled", "integer", _("Objections the unit has handled")),
        Field("objections_pending", "integer", _("Objections not handled yet")),
    ),
    notices_records,
)


# --- feedback answers ------------------------------------------------------------------------


def feedback_records(org: Organisation) -> Iterable[dict[str, Any]]:
    query = _in_subtree(
        select(FeedbackEntry).where(
            FeedbackEntry.published_at.is_not(None), FeedbackEntry.spam.is_(False)
        ),
        org,
        FeedbackEntry.org_id,
    ).order_by(FeedbackEntry.published_at.desc(), FeedbackEntry.id.desc())
    rows = list(db.session.scalars(query))
    ids = {e.item_id for e in rows if e.item_id}
    public_items = (
        set(
            db.session.scalars(
                visible_items(None).with_only_columns(Item.id).where(Item.id.in_(ids))
            )
        )
        if ids
        else set()
    )
    for e in rows:
        answered = e.answer_published and e.answered_on is not None
        rectified = bool(e.rectification_result) and e.rectification_public
        yield {
            "receipt": e.receipt,
            "organisation_code": e.organisation.code,
            "organisation_name": e.organisation.name(ZH),
            "channel": e.channel,
            "received_on": _iso(e.received_on),
            "question": e.public_question or "",
            "answer": e.answer if e.answer_published else None,
            "answered_on": _iso(e.answered_on) if answered else None,
            "answered_on_time": (
                e.answered_on <= e.due_on if answered and e.due_on is not None else None
            ),
            "rectification_result": e.rectification_result if rectified else None,
            "rectification_done_on": _iso(e.rectification_done_on) if rectified else None,
            "item_id": e.item_id if e.item_id in public_items else None,
            "published_at": _iso(e.published_at),
            "closed": e.state == "closed",
        }


FEEDBACK = Dataset(
    "feedback-answers",
    _("Published answers to feedback"),
    _(
        "The answers the organisations published to opinions and suggestions, with the "
        "results of the rectifications they led to. The submitters' words, names and contact "
        "details are never published."
    ),
    (
        Field("receipt", "string", _("Receipt number of the feedback")),
        *ORG_FIELDS,
        Field(
            "channel",
            "string",
            _(
                "How it arrived: online, hotline, suggestion_box, "
                "reception_day, letter_visit or meeting"
            ),
        ),
        Field("received_on", "date", _("Date it was received")),
        Field("question", "string", _("The unit's public summary of the opinion or suggestion")),
        Field("answer", "string", _("The published answer"), True),
        Field("answered_on", "date", _("Date of the answer"), True),
        Field("answered_on_time", "boolean", _("Answered on or before its due date"), True),
        Field("rectification_result", "string", _("Published result of the rectification"), True),
        Field("rectification_done_on", "date", _("Date the rectification was done"), True),
        Field("item_id", "integer", _("The public item it was about, if any"), True),
        Field("published_at", "datetime", _("Time of publication (UTC)")),
        Field("closed", "boolean", _("true when the entry is closed")),
    ),
    feedback_records,
)


# --- request statistics ----------------------------------------------------------------------

OUTCOME_FIELDS = tuple(f"outcome_{code}" for code in stats.OUTCOME_KEYS)


def requests_records(org: Organisation) -> Iterable[dict[str, Any]]:
    members = {o.id: o for o in stats.units(org)}
    cells: dict[tuple[int, str], Counter] = {}
    for row, days in stats.request_rows(org):
        if row.org_id not in members:
            continue
        cells.setdefault((row.org_id, row.received_on.strftime("%Y-%m")), Counter())[
            "received"
        ] += 1
        if row.decided_on is None:
            continue
        cell = cells.setdefault((row.org_id, row.decided_on.strftime("%Y-%m")), Counter())
        cell["decided"] += 1
        cell[f"outcome_{stats.outcome_of(row)}"] += 1
        if row.deadline is not None and row.decided_on <= row.deadline:
            cell["decided_on_time"] += 1
        if days is not None:
            cell[stats.band_of(days)] += 1
    order = {o_id: n for n, o_id in enumerate(members)}
    for (org_id, month), cell in sorted(cells.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        unit = members[org_id]
        yield {
            "organisation_code": unit.code,
            "organisation_name": unit.name(ZH),
            "month": month,
            "received": cell["received"],
            "decided": cell["decided"],
            "decided_on_time": cell["decided_on_time"],
            **{name: cell[name] for name in OUTCOME_FIELDS},
            **{name: cell[name] for name in stats.BAND_KEYS},
        }


def _band_label(low: int, high: int | None):
    if high is None:
        return _("Decisions taken after %(n)d working days or more", n=low)
    return _("Decisions taken after %(low)d to %(high)d working days", low=low, high=high)


REQUESTS = Dataset(
    "requests",
    _("Disclosure request statistics"),
    _(
        "Disclosure requests per organisation and month: how many were received, how many decided "
        "with which outcome, how many on time, and in how many working days. Requests "
        "themselves and the applicants are not published."
    ),
    (
        *ORG_FIELDS,
        Field(
            "month",
            "string",
            _("Month (YYYY-MM): of receipt for “received”, of the decision for the other counts"),
        ),
        Field("received", "integer", _("Requests received")),
        Field("decided", "integer", _("Requests decided")),
        Field("decided_on_time", "integer", _("Decided on or before the deadline")),
        *(
            Field(name, "integer", _("Decisions with the outcome “%(code)s”", code=name[8:]))
            for name in OUTCOME_FIELDS
        ),
        *(
            Field(stats.band_key(lo, hi), "integer", _band_label(lo, hi))
            for lo, hi in stats.RESPONSE_BANDS
        ),
    ),
    requests_records,
)


# --- the public register ---------------------------------------------------------------------


def register_records(org: Organisation) -> Iterable[dict[str, Any]]:
    query = _in_subtree(select(RegisterEntry), org, RegisterEntry.org_id).order_by(
        Organisation.path, RegisterEntry.seq
    )
    codes = {o.id: o.code for o in stats.units(org)}
    for e in db.session.scalars(query.execution_options(yield_per=1000)):
        d = e.disclosed
        titles = (d or {}).get("titles") or {}
        yield {
            "organisation_code": codes.get(e.org_id, ""),
            "seq": e.seq,
            "format": e.format,
            "public": d is not None,
            "action": d.get("action") if d else None,
            "object_type": d.get("object_type") if d else None,
            "object_id": d.get("object_id") if d else None,
            "object_version": d.get("object_version") if d else None,
            "recorded_at": d.get("recorded_at") if d else None,
            "title": (_zh(titles) or d.get("title") or None) if d else None,
            "explanation": d.get("explanation") if d else None,
            "filed_with": d.get("filed_with") if d else None,
            "disclosed": canonical_json(d) if d is not None else None,
            "prev_hash": e.prev_hash,
            "sealed": sealed_digest(e) if e.format >= 2 else None,
            "hash": e.hash,
        }


REGISTER = Dataset(
    "register",
    _("Public register"),
    _(
        "Every entry of the registers of disclosure work (党务公开工作登记簿) in order, with its "
        "hashes; for the public entries, what was published about them. From these fields anyone "
        "can recompute every hash of the chain."
    ),
    (
        Field("organisation_code", "string", _("Code of the organisation whose register it is")),
        Field("seq", "integer", _("Number of the entry in the organisation's register")),
        Field(
            "format",
            "integer",
            _("Hash format: 2 (checkable from these fields) or 1 (older entries)"),
        ),
        Field("public", "boolean", _("true when the entry's content is public")),
        Field(
            "action",
            "string",
            _(
                "What was recorded: publish, amend, revoke, withhold, widen "
                "(opened to the public), close, feedback_closed..."
            ),
            True,
        ),
        Field(
            "object_type", "string", _("Kind of object: item, feedback, evaluation_round..."), True
        ),
        Field("object_id", "string", _("Number of the object"), True),
        Field("object_version", "integer", _("Version of the object"), True),
        Field("recorded_at", "datetime", _("Time it was recorded (UTC)"), True),
        Field("title", "string", _("Title (Chinese)"), True),
        Field("explanation", "string", _("Published explanation (amendments, revocations)"), True),
        Field(
            "filed_with", "string", _("Superior organisation a withholding was filed with"), True
        ),
        Field("disclosed", "string", _("The public part exactly as hashed (canonical JSON)"), True),
        Field("prev_hash", "string", _("Hash of the entry before it (64 zeros for the first)")),
        Field("sealed", "string", _("Salted digest of the entry's full content"), True),
        Field(
            "hash",
            "string",
            _(
                "The entry's hash: SHA-256 of its format, organisation id, "
                "number, prev_hash, disclosed part and sealed digest"
            ),
        ),
    ),
    register_records,
)


# --- statistics per unit ---------------------------------------------------------------------


def statistics_record(f: stats.UnitFigures) -> dict[str, Any]:
    latest = f.evaluations[-1] if f.evaluations else None
    return {
        "organisation_code": f.code,
        "organisation_name": f.org.name(ZH),
        "year": f.year,
        "items_published": f.items_published,
        "items_with_due_date": f.items_with_due_date,
        "items_on_time": f.items_on_time,
        "items_late": f.items_late,
        "on_time_rate": _rate(f.on_time_rate),
        "notices": f.notices,
        "objections": f.objections,
        "objections_handled": f.objections_handled,
        "requests_received": f.requests_received,
        "requests_decided": f.requests_decided,
        "requests_decided_on_time": f.requests_on_time,
        "response_median_working_days": f.response_median,
        **{name: f.outcomes[name[8:]] for name in OUTCOME_FIELDS},
        **{name: f.response_bands[name] for name in stats.BAND_KEYS},
        "feedback_received": f.feedback_received,
        "feedback_answered": f.feedback_answered,
        "feedback_answered_on_time": f.feedback_on_time,
        "feedback_on_time_rate": _rate(f.feedback_on_time_rate),
        "feedback_published": f.feedback_published,
        "evaluation_rounds": len(f.evaluations),
        "evaluation_satisfaction": _rate(latest.satisfaction) if latest else None,
        "evaluation_participation": _rate(latest.participation) if latest else None,
    }


def _rate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def statistics_records(org: Organisation) -> Iterable[dict[str, Any]]:
    from core.catalogue.operations import today_for

    for year in stats.years(org, today_for(org)):
        for figures in stats.compute(org, year):
            if not figures.empty or year == today_for(org).year:
                yield statistics_record(figures)


STATISTICS = Dataset(
    "statistics",
    _("Statistics per organisation"),
    _(
        "The figures of each organisation per year: items published and on time, notices and "
        "objections, disclosure requests by outcome and response time, feedback answered on time, "
        "and the results of member evaluations published for the public."
    ),
    (
        *ORG_FIELDS,
        Field("year", "integer", _("Calendar year")),
        Field("items_published", "integer", _("Items published to the public in the year")),
        Field("items_with_due_date", "integer", _("Of these, items with a due date")),
        Field("items_on_time", "integer", _("Items published on or before their due date")),
        Field("items_late", "integer", _("Items published after their due date")),
        Field("on_time_rate", "number", _("items_on_time / items_with_due_date"), True),
        Field("notices", "integer", _("Notices (公示) published")),
        Field("objections", "integer", _("Objections lodged to them")),
        Field("objections_handled", "integer", _("Objections handled")),
        Field("requests_received", "integer", _("Disclosure requests received")),
        Field("requests_decided", "integer", _("Disclosure requests decided")),
        Field("requests_decided_on_time", "integer", _("Decided on or before the deadline")),
        Field(
            "response_median_working_days",
            "number",
            _("Median response time in working days (consultation days not counted)"),
            True,
        ),
        *(
            Field(name, "integer", _("Decisions with the outcome “%(code)s”", code=name[8:]))
            for name in OUTCOME_FIELDS
        ),
        *(
            Field(stats.band_key(lo, hi), "integer", _band_label(lo, hi))
            for lo, hi in stats.RESPONSE_BANDS
        ),
        Field("feedback_received", "integer", _("Feedback received")),
        Field("feedback_answered", "integer", _("Feedback answered")),
        Field("feedback_answered_on_time", "integer", _("Answered on or before the due date")),
        Field(
            "feedback_on_time_rate",
            "number",
            _("Share of answers (with a due date) given on time"),
            True,
        ),
        Field("feedback_published", "integer", _("Answers published")),
        Field("evaluation_rounds", "integer", _("Member evaluation rounds with public results")),
        Field(
            "evaluation_satisfaction",
            "number",
            _(
                "Overall satisfaction in the latest such "
                "round: (satisfied + basically satisfied) / answers"
            ),
            True,
        ),
        Field(
            "evaluation_participation",
            "number",
            _("Participation in that round: voters / members on the roll"),
            True,
        ),
    ),
    statistics_records,
)


DATASETS: dict[str, Dataset] = {
    d.name: d for d in (ITEMS, NOTICES, FEEDBACK, REQUESTS, REGISTER, STATISTICS)
}
FORMATS = ("csv", "json")
