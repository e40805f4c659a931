"""Forms of assessment (Flask-WTF, CSRF protected) and the words for their codes.

The scheme form has one sub-form per criterion (label per language, weight, how it is scored:
by hand, by a metric, by a checklist standard). The sheet's forms — the unit's self-assessment,
the superior's scores — have one field per criterion of the scheme, named ``score-<id>`` and
``note-<id>`` (and ``confirm-<id>`` for a checklist's points): they carry the CSRF token as a
:class:`ConfirmForm` and the operation checks every value.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core import i18n
from core.assessments import standards
from core.assessments.models import TOTAL_WEIGHT
from core.assessments.operations import MAX_CRITERIA, MAX_LABEL, MAX_NOTE, MAX_TITLE
from core.i18n import _, localised
from core.web.forms import (
    INTRODUCTIONS,
    LOCALES,
    TITLES,
    EvidenceFields,
    choice,
    localised_fields,
    texts,
)
from core.web.forms import ConfirmForm as ConfirmForm

STATES = {"draft": _("Draft"), "open": _("Open"), "published": _("Results published")}
SHEET_STATES = {
    "pending": _("Self-assessment in progress"),
    "self_assessed": _("Self-assessed, to score"),
    "scored": _("Scored"),
}
METHODS = {
    "manual": _("Scored by hand"),
    "metric": _("Automatic metric"),
    "checklist": _("Checklist standard (evidence for each point)"),
}
SCOPES = {
    "unit": _("This organisation, its units and its superiors"),
    "party_wide": _("Everyone holding a role in the county"),
    "public": _("Everyone (public)"),
}
STEP_LABELS = {"open": _("Open the assessment"), "publish": _("Publish the results")}
KINDS = standards.DESIGNATION_KINDS


def word(table: dict, code: str | None) -> str:
    return str(table.get(code or "", code or ""))


class CriterionForm(FlaskForm):
    class Meta:
        csrf = False  # the outer form carries the token

    key = HiddenField()
    label_zh_Hans_CN, label_en, label_ug = localised_fields(
        StringField,
        {
            "zh_Hans_CN": _("Criterion in Chinese"),
            "en": _("Criterion in English"),
            "ug": _("Criterion in Uyghur"),
        },
        max_length=MAX_LABEL,
    )
    weight = IntegerField(
        _("Points"), validators=[Optional(), NumberRange(min=1, max=TOTAL_WEIGHT)]
    )
    method = SelectField(_("Scored"), choices=[], validators=[Optional()])
    metric = SelectField(_("Metric"), choices=[], validators=[Optional()])
    standard = SelectField(_("Standard"), choices=[], validators=[Optional()])

    def used(self) -> bool:
        return bool((self.label_zh_Hans_CN.data or "").strip() or self.weight.data)


class SchemeForm(FlaskForm):
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField,
        TITLES,
        required=_("Write the title in Chinese."),
        max_length=MAX_TITLE,
        descriptions={"zh_Hans_CN": _("For example: 2026年度党务公开工作考核.")},
    )
    note_zh_Hans_CN, note_en, note_ug = localised_fields(
        TextAreaField, INTRODUCTIONS, max_length=MAX_NOTE
    )
    year = IntegerField(
        _("Year assessed"), validators=[DataRequired(), NumberRange(min=2000, max=2100)]
    )
    self_due_on = DateField(_("Self-assessments due"), validators=[DataRequired()])
    result_scope = SelectField(_("Results can be read by"), choices=[])
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=MAX_CRITERIA)

    def __init__(self, *args, metrics: dict, **kwargs):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.result_scope.choices = [choice(k, str(v)) for k, v in SCOPES.items()]
        methods = [choice(k, str(v)) for k, v in METHODS.items()]
        found = [choice("", "—")] + [
            choice(code, localised(m.labels, loc) or code) for code, m in metrics.items()
        ]
        kinds = [choice("", "—")] + [
            choice(code, standards.label(code, loc)) for code in standards.STANDARDS
        ]
        for entry in self.criteria:
            entry.form.method.choices = methods
            entry.form.metric.choices = found
            entry.form.standard.choices = kinds

    @staticmethod
    def initial(scheme=None, rows=(), *, year: int, due) -> dict[str, Any]:
        data: dict[str, Any] = {
            "year": scheme.year if scheme else year,
            "self_due_on": scheme.self_due_on if scheme else due,
            "result_scope": scheme.result_scope if scheme else "unit",
            "criteria": [],
        }
        for loc in LOCALES:
            data[f"title_{loc}"] = (scheme.titles if scheme else {}).get(loc, "")
            data[f"note_{loc}"] = (scheme.notes if scheme else {}).get(loc, "")
        for c in rows:
            row = {k: c.get(k) or "" for k in ("key", "weight", "method", "metric", "standard")}
            for loc in LOCALES:
                row[f"label_{loc}"] = (c.get("labels") or {}).get(loc, "")
            data["criteria"].append(row)
        while len(data["criteria"]) < min(MAX_CRITERIA, len(rows) + 2):
            data["criteria"].append({"method": "manual"})  # room for more
        return data

    def to_data(self) -> dict[str, Any]:
        rows = []
        for sub in (f.form for f in self.criteria):
            if not sub.used():
                continue
            rows.append(
                {
                    "key": sub.key.data or None,
                    "labels": texts(sub, "label"),
                    "weight": sub.weight.data or "",
                    "method": sub.method.data,
                    "metric": sub.metric.data,
                    "standard": sub.standard.data,
                }
            )
        return {
            "year": self.year.data,
            "titles": texts(self, "title"),
            "notes": texts(self, "note"),
            "self_due_on": self.self_due_on.data,
            "result_scope": self.result_scope.data,
            "criteria": rows,
        }


def attach(form: SchemeForm, problems: list[str]) -> list[str]:
    """Put the operation's problems (``criteria.2.weight: ...``) under their fields."""
    rest = []
    for line in problems:
        name, sep, message = line.partition(":")
        parts = name.strip().split(".")
        target = None
        if parts[0] == "criteria" and len(parts) >= 2 and parts[1].isdigit():
            used = [f.form for f in form.criteria if f.form.used()]
            n = int(parts[1]) - 1
            if 0 <= n < len(used):
                sub = used[n]
                target = {
                    "weight": sub.weight,
                    "method": sub.method,
                    "metric": sub.metric,
                    "standard": sub.standard,
                }.get(parts[2] if len(parts) > 2 else "", sub.label_zh_Hans_CN)
        elif parts[0] in ("titles", "year", "self_due_on", "result_scope", "notes"):
            target = {
                "titles": form.title_zh_Hans_CN,
                "notes": form.note_zh_Hans_CN,
                "year": form.year,
                "self_due_on": form.self_due_on,
                "result_scope": form.result_scope,
            }[parts[0]]
        if target is None or not sep:
            rest.append(line)
        else:
            target.errors = [*list(target.errors or []), message.strip()]
    return rest


def sheet_data(criteria) -> dict[str, Any]:
    """What the sheet's form posted: scores, notes, confirmed points, summary, comment."""
    posted = request.form
    return {
        "summary": posted.get("summary", ""),
        "comment": posted.get("comment", ""),
        "scores": {
            c.id: {"score": posted.get(f"score-{c.id}", ""), "note": posted.get(f"note-{c.id}", "")}
            for c in criteria
        },
        "confirmed": {c.id: posted.getlist(f"confirm-{c.id}") for c in criteria},
    }


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _("Comment to the unit"),
        validators=[
            DataRequired(message=_("Say what the unit should change.")),
            Length(max=MAX_NOTE),
        ],
    )


class EvidenceForm(EvidenceFields, FlaskForm):
    point = SelectField(_("Point"), choices=[], validators=[DataRequired()], validate_choice=False)
    note = TextAreaField(_("Note"), validators=[Optional(), Length(max=MAX_NOTE)])

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.point.choices = [
            choice(f"{c.id}:{key}", f"{c.label(loc)} — {c.point_label(key, loc)}")
            for c in criteria
            if c.method == "checklist"
            for key in c.point_keys()
        ]

    def chosen(self) -> tuple[int, str]:
        """The criterion's id and the point's key (0 and "" when the value is not one)."""
        head, _sep, key = (self.point.data or "").partition(":")
        return (int(head), key) if head.isdigit() and len(head) < 10 else (0, "")


SHEET_STEPS = {
    "submit": _("Submitted the self-assessment"),
    "return": _("Returned with a comment"),
    "score": _("Scored"),
}


class DesignationForm(FlaskForm):
    unit = SelectField(_("Unit"), choices=[], validators=[DataRequired()])
    kind = SelectField(_("Designated as"), choices=[], validators=[DataRequired()])
    standard = SelectField(_("Standard it models"), choices=[], validators=[Optional()])
    note = StringField(_("Note"), validators=[Optional(), Length(max=MAX_NOTE)])

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.unit.choices = [choice(o.code, o.name(loc)) for o in candidates]
        self.kind.choices = [choice(k, str(v)) for k, v in KINDS.items()]
        self.standard.choices = [choice("", "—")] + [
            choice(code, standards.label(code, loc)) for code in standards.STANDARDS
        ]
