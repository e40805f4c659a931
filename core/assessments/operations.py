"""Assessment operations (SUP-3): the only code that changes schemes, sheets, scores, evidence
and designations.

A superior's admin drafts a scheme for a year — its title, the day the self-assessments are due,
the scope its results are published in and its weighted criteria (:func:`create`,
:func:`update`) — and opens it (:func:`open_scheme`: the weights add up to 100; every enabled
unit of its subtree gets a sheet, the metrics are measured, the units are told). A unit claims
checklist points with evidence (:func:`add_evidence`), proposes its scores (:func:`self_assess`)
and submits (:func:`submit`); the superior's admins and reviewers score each unit
(:func:`score`: a checklist point counts only when confirmed, and only a point with evidence
can be confirmed) or return the self-assessment (:func:`return_sheet`); the superior publishes
the results once every unit is scored (:func:`publish`). Contact points and model units are
designated with :func:`designate`. Each step runs in the caller's unit of work and is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import or_, select

from core import audit, cleaning, db, events, evidence, localtime, permissions
from core.assessments import metrics, standards
from core.assessments import workflow as wf
from core.assessments.models import (
    DESIGNATION_KINDS,
    METHODS,
    RESULT_SCOPES,
    TOTAL_WEIGHT,
    AssessmentCriterion,
    AssessmentEvidence,
    AssessmentScheme,
    AssessmentScore,
    AssessmentSheet,
    Designation,
)
from core.errors import UserError
from core.workflow import engine
from tenants import hierarchy
from tenants.models import Organisation

MAX_TITLE = 200
MAX_NOTE = 2000
MAX_LABEL = 200
MAX_CRITERIA = 30
MAX_FILES = 5
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

today = localtime.today


# --- reading ---------------------------------------------------------------------------------


def _small(n: int) -> bool:
    return 0 < n < 2**31


def get(org: Organisation, scheme_id: int) -> AssessmentScheme | None:
    """``org``'s scheme ``scheme_id`` (None for another organisation's)."""
    found = db.session.get(AssessmentScheme, scheme_id) if _small(scheme_id) else None
    return found if found is not None and found.org_id == org.id else None


def schemes_of(org: Organisation) -> list[AssessmentScheme]:
    """The schemes ``org`` set, newest year first."""
    s = AssessmentScheme
    return list(
        db.session.scalars(select(s).where(s.org_id == org.id).order_by(s.year.desc(), s.id.desc()))
    )


def criteria(scheme: AssessmentScheme) -> list[AssessmentCriterion]:
    c = AssessmentCriterion
    return list(
        db.session.scalars(select(c).where(c.scheme_id == scheme.id).order_by(c.position, c.id))
    )


def sheets(scheme: AssessmentScheme) -> list[AssessmentSheet]:
    """Every unit's sheet, the best total first (unscored last, then by the unit's path)."""
    rows = list(
        db.session.scalars(
            select(AssessmentSheet)
            .join(Organisation, Organisation.id == AssessmentSheet.org_id)
            .where(AssessmentSheet.scheme_id == scheme.id)
            .order_by(Organisation.path)
        )
    )
    return sorted(rows, key=lambda s: (s.total is None, -(s.total or 0)))


def sheet_of(scheme: AssessmentScheme, unit: Organisation) -> AssessmentSheet | None:
    return db.session.scalar(
        select(AssessmentSheet).where(
            AssessmentSheet.scheme_id == scheme.id, AssessmentSheet.org_id == unit.id
        )
    )


def sheet_in(org: Organisation, sheet_id: int) -> AssessmentSheet | None:
    """A sheet ``org`` may reach by its id: its own (as the unit) or one of its scheme's."""
    found = db.session.get(AssessmentSheet, sheet_id) if _small(sheet_id) else None
    if found is None or org.id not in (found.org_id, found.scheme.org_id):
        return None
    return found


def sheets_of_unit(unit: Organisation) -> list[AssessmentSheet]:
    """The sheets of ``unit`` in schemes that are open or published, newest first."""
    return list(
        db.session.scalars(
            select(AssessmentSheet)
            .join(AssessmentScheme, AssessmentScheme.id == AssessmentSheet.scheme_id)
            .where(AssessmentSheet.org_id == unit.id, AssessmentScheme.state != "draft")
            .order_by(AssessmentScheme.year.desc(), AssessmentScheme.id.desc())
        )
    )


def scores(sheet: AssessmentSheet) -> dict[int, AssessmentScore]:
    """``{criterion id: score}`` of ``sheet``."""
    return {
        s.criterion_id: s
        for s in db.session.scalars(
            select(AssessmentScore).where(AssessmentScore.sheet_id == sheet.id)
        )
    }


def evidence_of(sheet: AssessmentSheet) -> dict[tuple[int, str], list[AssessmentEvidence]]:
    """``{(criterion id, point key): [evidence]}`` of ``sheet``."""
    out: dict[tuple[int, str], list[AssessmentEvidence]] = {}
    for row in db.session.scalars(
        select(AssessmentEvidence)
        .where(AssessmentEvidence.sheet_id == sheet.id)
        .order_by(AssessmentEvidence.id)
    ):
        out.setdefault((row.criterion_id, row.point_key), []).append(row)
    return out


def evidence_file(org: Organisation, evidence_id: int) -> AssessmentEvidence | None:
    """An evidence file of ``org``'s own sheet, or of a sheet of one of ``org``'s schemes."""
    found = db.session.get(AssessmentEvidence, evidence_id) if _small(evidence_id) else None
    if found is None:
        return None
    sheet = db.session.get(AssessmentSheet, found.sheet_id)
    return found if org.id in (sheet.org_id, sheet.scheme.org_id) else None


def designations(org: Organisation, *, current: bool = True) -> list[Designation]:
    """The contact points and model units ``org`` designated (those not ended)."""
    d = Designation
    query = select(d).where(d.org_id == org.id).order_by(d.kind, d.designated_on.desc())
    if current:
        query = query.where(d.ended_on.is_(None))
    return list(db.session.scalars(query))


def designations_in(units: list[Organisation]) -> dict[int, list[Designation]]:
    """``{unit id: [current designations]}`` of ``units`` (the compliance page shows them)."""
    out: dict[int, list[Designation]] = {}
    if not units:
        return out
    for row in db.session.scalars(
        select(Designation).where(
            Designation.unit_id.in_([u.id for u in units]), Designation.ended_on.is_(None)
        )
    ):
        out.setdefault(row.unit_id, []).append(row)
    return out


def _paths_of(ids) -> list[str]:
    return [
        o.path for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    ]


def to_self_assess(user) -> list[AssessmentSheet]:
    """Sheets of open schemes the user's units have to assess themselves on (My work)."""
    ids = permissions.orgs_holding(user, "assessments.self_assess")
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(AssessmentSheet)
            .join(AssessmentScheme, AssessmentScheme.id == AssessmentSheet.scheme_id)
            .where(
                AssessmentSheet.org_id.in_(ids),
                AssessmentSheet.state == "pending",
                AssessmentScheme.state == "open",
            )
            .order_by(AssessmentScheme.self_due_on, AssessmentSheet.id)
        )
    )


def to_score(user) -> list[AssessmentSheet]:
    """Sheets of open schemes, below the organisations where the user scores, that wait for a
    score: the self-assessed first (My work)."""
    ids = permissions.orgs_holding(user, "assessments.score")
    if not ids:
        return []
    paths = _paths_of(ids)
    rows = db.session.scalars(
        select(AssessmentSheet)
        .join(AssessmentScheme, AssessmentScheme.id == AssessmentSheet.scheme_id)
        .join(Organisation, Organisation.id == AssessmentSheet.org_id)
        .where(
            AssessmentScheme.state == "open",
            AssessmentSheet.state == "self_assessed",
            or_(*(Organisation.path.startswith(p, autoescape=True) for p in paths)),
            Organisation.id.not_in(ids),
        )
        .order_by(AssessmentSheet.self_submitted_at, AssessmentSheet.id)
    )
    return list(rows)


def history(obj):
    return engine.history(wf.scheme if isinstance(obj, AssessmentScheme) else wf.sheet, obj)


# --- drafting a scheme -----------------------------------------------------------------------


@dataclass
class Cleaned:
    year: int
    titles: dict[str, str]
    notes: dict[str, str]
    self_due_on: date
    result_scope: str
    criteria: list[dict[str, Any]]


def _criteria(org: Organisation, value: Any, problems: list[str]) -> list[dict[str, Any]]:
    rows = value if isinstance(value, list) else []
    if not rows:
        problems.append(cleaning.problem("criteria", gettext("add at least one criterion")))
    if len(rows) > MAX_CRITERIA:
        problems.append(cleaning.problem("criteria", gettext("at most %(n)s", n=MAX_CRITERIA)))
        rows = rows[:MAX_CRITERIA]
    found = metrics.available(org)
    out, keys = [], set()
    for n, raw in enumerate(rows, start=1):
        raw = raw if isinstance(raw, dict) else {}
        name = f"criteria.{n}"
        labels = cleaning.texts(raw.get("labels"), name, MAX_LABEL, problems, required=True)
        key = str(raw.get("key") or f"c{n}")[:40]
        if not KEY.match(key) or key in keys:
            key = f"c{n}"
            while key in keys:
                key += "x"
        keys.add(key)
        try:
            weight = int(str(raw.get("weight", "")).strip())
        except ValueError:
            weight = 0
        if not 1 <= weight <= TOTAL_WEIGHT:
            problems.append(
                cleaning.problem(
                    f"{name}.weight",
                    gettext("a whole number of points from 1 to %(n)s", n=TOTAL_WEIGHT),
                )
            )
        method = str(raw.get("method") or "")
        metric = standard = None
        points: list[dict[str, Any]] = []
        if method not in METHODS:
            problems.append(cleaning.problem(f"{name}.method", gettext("choose how it is scored")))
        elif method == "metric":
            metric = str(raw.get("metric") or "")
            if metric not in found:
                problems.append(cleaning.problem(f"{name}.metric", gettext("choose a metric")))
        elif method == "checklist":
            standard = str(raw.get("standard") or "")
            if standard not in standards.STANDARDS:
                problems.append(cleaning.problem(f"{name}.standard", gettext("choose a standard")))
            else:
                points = standards.points(standard)
        out.append(
            {
                "key": key,
                "labels": labels,
                "weight": weight,
                "method": method,
                "metric": metric,
                "standard": standard,
                "points": points,
            }
        )
    return out


def clean(org: Organisation, data: dict[str, Any]) -> Cleaned:
    """The scheme ``data`` describes, or :class:`UserError` with every problem. The weights may
    add up to less than 100 in a draft: the scheme opens only when they add up to 100."""
    problems: list[str] = []
    try:
        year = int(str(data.get("year", "")).strip())
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        problems.append(cleaning.problem("year", gettext("a year between 2000 and 2100")))
    titles = cleaning.texts(data.get("titles"), "titles", MAX_TITLE, problems, required=True)
    notes = cleaning.texts(data.get("notes"), "notes", MAX_NOTE, problems, required=False)
    self_due_on = cleaning.day(data.get("self_due_on"), "self_due_on", problems)
    scope = str(data.get("result_scope") or "unit")
    if scope not in RESULT_SCOPES:
        problems.append(cleaning.problem("result_scope", gettext("choose who may read them")))
    rows = _criteria(org, data.get("criteria"), problems)
    total = sum(r["weight"] for r in rows)
    if total > TOTAL_WEIGHT:
        problems.append(
            cleaning.problem(
                "criteria",
                gettext("the weights add up to %(n)s, more than %(max)s", n=total, max=100),
            )
        )
    if problems:
        raise UserError(gettext("The assessment scheme was not saved."), problems=problems)
    return Cleaned(year, titles, notes, self_due_on, scope, rows)


def _require(actor, org: Organisation) -> None:
    if not permissions.may(actor, "assessments.manage", org):
        raise UserError(gettext("Only the admins of this organisation set assessment schemes."))


def _replace_criteria(scheme: AssessmentScheme, rows: list[dict[str, Any]]) -> None:
    for old in criteria(scheme):
        db.session.delete(old)
    db.session.flush()
    for n, row in enumerate(rows):
        db.session.add(
            AssessmentCriterion(scheme_id=scheme.id, org_id=scheme.org_id, position=n, **row)
        )
    db.session.flush()


def _snapshot(scheme: AssessmentScheme) -> dict[str, Any]:
    return {
        "year": scheme.year,
        "titles": dict(scheme.titles or {}),
        "self_due_on": scheme.self_due_on.isoformat(),
        "result_scope": scheme.result_scope,
        "criteria": [[c.key, c.weight, c.method, c.metric or c.standard] for c in criteria(scheme)],
    }


def create(org: Organisation, data: dict[str, Any], *, actor) -> AssessmentScheme:
    """A draft scheme of ``org`` for the units of its subtree."""
    _require(actor, org)
    found = clean(org, data)
    scheme = AssessmentScheme(
        org_id=org.id,
        root_id=org.root_id or org.id,
        year=found.year,
        titles=found.titles,
        notes=found.notes,
        self_due_on=found.self_due_on,
        result_scope=found.result_scope,
        state="draft",
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(scheme)
    db.session.flush()
    _replace_criteria(scheme, found.criteria)
    audit.log(
        "assessment.create",
        "assessment_scheme",
        scheme.id,
        org_id=org.id,
        actor=actor,
        changes={k: [None, v] for k, v in _snapshot(scheme).items()},
    )
    return scheme


def update(scheme: AssessmentScheme, data: dict[str, Any], *, actor) -> bool:
    """Change a draft; False when nothing changed."""
    _require(actor, scheme.organisation)
    if scheme.state != "draft":
        raise UserError(gettext("An open assessment scheme cannot be changed."))
    found = clean(scheme.organisation, data)
    before = _snapshot(scheme)
    scheme.year, scheme.titles, scheme.notes = found.year, found.titles, found.notes
    scheme.self_due_on, scheme.result_scope = found.self_due_on, found.result_scope
    _replace_criteria(scheme, found.criteria)
    changes = audit.diff(before, _snapshot(scheme))
    if not changes:
        return False
    audit.log(
        "assessment.update",
        "assessment_scheme",
        scheme.id,
        org_id=scheme.org_id,
        actor=actor,
        changes=changes,
    )
    return True


def delete_draft(scheme: AssessmentScheme, *, actor) -> None:
    _require(actor, scheme.organisation)
    if scheme.state != "draft":
        raise UserError(gettext("Only a draft can be deleted."))
    audit.log(
        "assessment.delete",
        "assessment_scheme",
        scheme.id,
        org_id=scheme.org_id,
        actor=actor,
        changes={k: [v, None] for k, v in _snapshot(scheme).items()},
    )
    db.session.delete(scheme)
    db.session.flush()


# --- running a scheme ------------------------------------------------------------------------


def units(org: Organisation) -> list[Organisation]:
    """The units a scheme of ``org`` assesses: its enabled subordinates, direct or not."""
    return [u for u in hierarchy.subtree(org, include_self=False) if u.enabled]


def measure(scheme: AssessmentScheme) -> int:
    """Measure the metric criteria of every sheet not scored yet; returns how many scores
    changed."""
    rows = criteria(scheme)
    by_metric = [c for c in rows if c.method == "metric"]
    if not by_metric:
        return 0
    open_sheets = [s for s in sheets(scheme) if s.state != "scored"]
    if not open_sheets:
        return 0
    orgs = [s.organisation for s in open_sheets]
    changed = 0
    for criterion in by_metric:
        shares = metrics.measure(
            scheme.organisation, criterion.metric, orgs, scheme.starts_on, scheme.ends_on
        )
        for sheet in open_sheets:
            score = scores(sheet).get(criterion.id)
            if score is not None and score.measured != shares.get(sheet.org_id):
                score.measured = shares.get(sheet.org_id)
                changed += 1
    db.session.flush()
    return changed


def open_scheme(scheme: AssessmentScheme, *, actor) -> AssessmentScheme:
    """Open a draft: every enabled unit of the subtree gets its sheet (SUP-3)."""
    rows = criteria(scheme)

    def validate(s: AssessmentScheme) -> None:
        if not units(s.organisation):
            raise UserError(gettext("There is no unit below this organisation to assess."))

    def effect(s: AssessmentScheme) -> None:
        s.opened_at = db.utcnow()
        for unit in units(s.organisation):
            sheet = AssessmentSheet(scheme_id=s.id, org_id=unit.id, state="pending")
            db.session.add(sheet)
            db.session.flush()
            for c in rows:
                db.session.add(
                    AssessmentScore(sheet_id=sheet.id, criterion_id=c.id, org_id=unit.id)
                )
        db.session.flush()

    engine.run(wf.scheme, scheme, "open", actor=actor, validate=validate, effect=effect)
    measure(scheme)
    events.assessment_opened.send(scheme, actor=actor)
    return scheme


def publish(scheme: AssessmentScheme, *, actor) -> AssessmentScheme:
    """Publish the results (every unit scored) in the scheme's scope."""

    def effect(s: AssessmentScheme) -> None:
        s.published_at = db.utcnow()

    engine.run(wf.scheme, scheme, "publish", actor=actor, effect=effect)
    events.assessment_published.send(scheme, actor=actor)
    return scheme


# --- the unit's side -------------------------------------------------------------------------


def _unit_may(sheet: AssessmentSheet, actor) -> None:
    if not permissions.may(actor, "assessments.self_assess", sheet.organisation):
        raise UserError(gettext("Only the admins and editors of this unit assess it."))
    if sheet.scheme.state != "open":
        raise UserError(gettext("The scheme is not open: its sheets cannot change."))
    if sheet.state != "pending":
        raise UserError(
            gettext("The self-assessment was submitted: it changes only if it is returned.")
        )


def _number(value: Any, name: str, limit: float, problems: list[str]) -> float | None:
    """A score from 0 to ``limit`` (one decimal place kept), or None when empty."""
    if value in (None, ""):
        return None
    try:
        found = round(float(str(value).strip().replace(",", ".")), 1)
    except ValueError:
        problems.append(cleaning.problem(name, gettext("not a number")))
        return None
    if not 0 <= found <= limit:
        problems.append(cleaning.problem(name, gettext("a score from 0 to %(n)s", n=f"{limit:g}")))
        return None
    return found


def _note(value: Any, name: str, problems: list[str]) -> str | None:
    text = str(value or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_NOTE:
        problems.append(cleaning.problem(name, gettext("at most %(n)s characters", n=MAX_NOTE)))
    return text or None


def _checklist_share(criterion: AssessmentCriterion, points: dict[str, Any], flag: str) -> float:
    keys = criterion.point_keys()
    met = sum(1 for k in keys if (points.get(k) or {}).get(flag))
    return met / len(keys) if keys else 0.0


def self_assess(sheet: AssessmentSheet, data: dict[str, Any], *, actor) -> None:
    """The unit's proposed scores and notes (``data["scores"][criterion id] = {"score",
    "note"}``) and its summary. A checklist criterion's proposal is its claimed points; a
    metric's is what was measured."""
    _unit_may(sheet, actor)
    problems: list[str] = []
    summary = _note(data.get("summary"), "summary", problems) or ""
    given = data.get("scores") if isinstance(data.get("scores"), dict) else {}
    found = scores(sheet)
    values = {}
    for c in criteria(sheet.scheme):
        raw = given.get(c.id) or given.get(str(c.id)) or {}
        name = f"scores.{c.id}"
        score = (
            _number(raw.get("score"), name, c.weight, problems) if c.method == "manual" else None
        )
        values[c.id] = (score, _note(raw.get("note"), f"{name}.note", problems))
    if problems:
        raise UserError(gettext("The self-assessment was not saved."), problems=problems)
    changes: dict[str, list] = {}
    if summary != sheet.self_summary:
        changes["summary"] = [sheet.self_summary, summary]
        sheet.self_summary = summary
    for cid, (score, note) in values.items():
        row = found[cid]
        if (row.self_score, row.self_note) != (score, note):
            changes[f"criterion.{cid}"] = [row.self_score, score]
            row.self_score, row.self_note = score, note
    db.session.flush()
    if changes:
        audit.log(
            "assessment.self_assess",
            "assessment_sheet",
            sheet.id,
            org_id=sheet.org_id,
            actor=actor,
            changes=changes,
        )


def _checklist(sheet: AssessmentSheet, criterion_id: int, key: str) -> AssessmentCriterion:
    criterion = db.session.get(AssessmentCriterion, criterion_id) if _small(criterion_id) else None
    if criterion is None or criterion.scheme_id != sheet.scheme_id:
        raise UserError(gettext("This scheme has no such criterion."))
    if criterion.method != "checklist" or key not in criterion.point_keys():
        raise UserError(gettext("This criterion has no such checklist point."))
    return criterion


def add_evidence(
    sheet: AssessmentSheet,
    criterion_id: int,
    key: str,
    *,
    actor,
    files=(),
    taken_on: date | None = None,
    note: str | None = None,
) -> list[AssessmentEvidence]:
    """Claim checklist point ``key`` with its evidence: photos (checked by their signature,
    re-encoded without location metadata, dated) or PDF documents — at least one."""
    _unit_may(sheet, actor)
    criterion = _checklist(sheet, criterion_id, key)
    problems: list[str] = []
    note = _note(note, "note", problems)
    files = [(name, data) for name, data in files if data]
    if not files:
        problems.append(cleaning.problem("files", gettext("add a photo or a document")))
    accepted = evidence.accept_files(
        files, taken_on, today(sheet.organisation), problems, limit=MAX_FILES
    )
    if problems:
        raise UserError(gettext("The evidence was not saved."), problems=problems)
    rows = []
    for found, day in accepted:
        row = AssessmentEvidence(
            sheet_id=sheet.id, criterion_id=criterion.id, org_id=sheet.org_id, point_key=key
        )
        row.fill(found, taken_on=day, note=note, actor=actor)
        db.session.add(row)
        rows.append(row)
    score = scores(sheet)[criterion.id]
    points = dict(score.points or {})
    points[key] = {**(points.get(key) or {}), "claimed": True}
    score.points = points
    db.session.flush()
    audit.log(
        "assessment.evidence",
        "assessment_sheet",
        sheet.id,
        org_id=sheet.org_id,
        actor=actor,
        changes={
            "point": [None, f"{criterion.key}.{key}"],
            "files": [None, [r.filename for r in rows]],
        },
    )
    return rows


def remove_evidence(sheet: AssessmentSheet, row: AssessmentEvidence, *, actor) -> None:
    """Take back an evidence file; a point left without evidence is no longer claimed."""
    _unit_may(sheet, actor)
    if row.sheet_id != sheet.id:
        raise UserError(gettext("This evidence belongs to another sheet."))
    criterion_id, key, name = row.criterion_id, row.point_key, row.filename
    db.session.delete(row)
    db.session.flush()
    if not evidence_of(sheet).get((criterion_id, key)):
        score = scores(sheet)[criterion_id]
        points = dict(score.points or {})
        points.pop(key, None)
        score.points = points
        db.session.flush()
    audit.log(
        "assessment.evidence_remove",
        "assessment_sheet",
        sheet.id,
        org_id=sheet.org_id,
        actor=actor,
        changes={"point": [key, None], "files": [[name], None]},
    )


def _self_total(sheet: AssessmentSheet) -> float:
    found = scores(sheet)
    total = 0.0
    for c in criteria(sheet.scheme):
        row = found[c.id]
        if c.method == "manual":
            total += row.self_score or 0
        elif c.method == "metric":
            total += c.weight * (row.measured or 0)
        else:
            total += c.weight * _checklist_share(c, row.points or {}, "claimed")
    return round(total, 1)


def submit(sheet: AssessmentSheet, *, actor) -> AssessmentSheet:
    """Submit the self-assessment to the superior."""

    def effect(s: AssessmentSheet) -> None:
        s.self_total = _self_total(s)
        s.self_submitted_at, s.self_submitted_by_id = db.utcnow(), getattr(actor, "id", None)
        s.return_comment = None

    engine.run(wf.sheet, sheet, "submit", actor=actor, effect=effect)
    events.assessment_self_assessed.send(sheet, actor=actor)
    return sheet


def return_sheet(sheet: AssessmentSheet, *, actor, comment: str) -> AssessmentSheet:
    comment = (comment or "").strip()[:MAX_NOTE]

    def effect(s: AssessmentSheet) -> None:
        s.return_comment = comment

    engine.run(wf.sheet, sheet, "return", actor=actor, inputs={"comment": comment}, effect=effect)
    events.assessment_returned.send(sheet, actor=actor, comment=comment)
    return sheet


# --- the superior's side ---------------------------------------------------------------------


def score(sheet: AssessmentSheet, data: dict[str, Any], *, actor) -> AssessmentSheet:
    """The superior's scores of ``sheet``: ``data["scores"][criterion id] = {"score", "note"}``
    (a manual criterion, or a metric that measured nothing), ``data["confirmed"][criterion id]
    = [point keys]`` (a checklist: only points with evidence), ``data["comment"]``. A metric
    scores its weight times the measured share; a checklist its weight times the share of the
    confirmed points. The total is the sum (SUP-3)."""
    rows = criteria(sheet.scheme)
    found = scores(sheet)
    proofs = evidence_of(sheet)
    given = data.get("scores") if isinstance(data.get("scores"), dict) else {}
    confirmed = data.get("confirmed") if isinstance(data.get("confirmed"), dict) else {}
    problems: list[str] = []
    comment = _note(data.get("comment"), "comment", problems)
    values: dict[int, tuple[float | None, str | None, dict[str, Any]]] = {}
    for c in rows:
        raw = given.get(c.id) or given.get(str(c.id)) or {}
        name = f"scores.{c.id}"
        note = _note(raw.get("note"), f"{name}.note", problems)
        row = found[c.id]
        points = dict(row.points or {})
        value: float | None
        if c.method == "checklist":
            keys = confirmed.get(c.id) or confirmed.get(str(c.id)) or []
            keys = [str(k) for k in keys] if isinstance(keys, list | tuple | set) else []
            for key in c.point_keys():
                entry = dict(points.get(key) or {})
                entry["confirmed"] = key in keys
                if key in keys and not proofs.get((c.id, key)):
                    problems.append(
                        cleaning.problem(
                            f"confirmed.{c.id}",
                            gettext(
                                "%(point)s has no evidence: a point counts only with evidence",
                                point=c.point_label(key, "zh_Hans_CN"),
                            ),
                        )
                    )
                points[key] = entry
            value = round(c.weight * _checklist_share(c, points, "confirmed"), 1)
        elif c.method == "metric" and row.measured is not None:
            value = round(c.weight * row.measured, 1)
        else:
            value = _number(raw.get("score"), name, c.weight, problems)
            if value is None and not any(p.startswith(name + ":") for p in problems):
                problems.append(cleaning.problem(name, gettext("give a score")))
        values[c.id] = (value, note, points)
    if problems:
        raise UserError(gettext("The scores were not saved."), problems=problems)

    def effect(s: AssessmentSheet) -> None:
        for cid, (value, note, points) in values.items():
            row = found[cid]
            row.score, row.note, row.points = value, note, points
        s.total = round(sum(v[0] or 0 for v in values.values()), 1)
        s.comment = comment
        s.scored_at, s.scored_by_id = db.utcnow(), getattr(actor, "id", None)

    engine.run(wf.sheet, sheet, "score", actor=actor, effect=effect)
    return sheet


# --- contact points and model units ----------------------------------------------------------


def designate(
    org: Organisation,
    unit: Organisation,
    kind: str,
    *,
    actor,
    standard: str | None = None,
    note: str | None = None,
) -> Designation:
    """Designate ``unit`` (below ``org``) a contact point or a model unit of ``standard``."""
    if not permissions.may(actor, "assessments.designate", org):
        raise UserError(gettext("Only the admins of this organisation designate units."))
    problems: list[str] = []
    if unit.id == org.id or not hierarchy.is_in_subtree(unit, org):
        problems.append(
            cleaning.problem(
                "unit",
                gettext("%(code)s is not a unit below this organisation", code=unit.code),
            )
        )
    if kind not in DESIGNATION_KINDS:
        problems.append(cleaning.problem("kind", gettext("choose contact point or model unit")))
    if standard and standard not in standards.STANDARDS:
        problems.append(cleaning.problem("standard", gettext("choose a standard")))
    note = _note(note, "note", problems)
    if problems:
        raise UserError(gettext("The designation was not saved."), problems=problems)
    for old in designations(org):
        if old.unit_id == unit.id and old.kind == kind:
            raise UserError(gettext("This unit is designated so already."))
    row = Designation(
        org_id=org.id,
        unit_id=unit.id,
        kind=kind,
        standard=standard or None,
        note=note,
        designated_on=today(org),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    audit.log(
        "assessment.designate",
        "designation",
        row.id,
        org_id=org.id,
        actor=actor,
        changes={"unit": [None, unit.code], "kind": [None, kind], "standard": [None, standard]},
    )
    return row


def end_designation(row: Designation, *, actor) -> None:
    if not permissions.may(actor, "assessments.designate", row.organisation):
        raise UserError(gettext("Only the admins of this organisation designate units."))
    if row.ended_on is None:
        row.ended_on = today(row.organisation)
        db.session.flush()
        audit.log(
            "assessment.designation_end",
            "designation",
            row.id,
            org_id=row.org_id,
            actor=actor,
            changes={"ended_on": [None, row.ended_on.isoformat()]},
        )
