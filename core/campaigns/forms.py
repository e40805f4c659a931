"""Forms of campaigns (Flask-WTF, CSRF protected) and the words for their codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from core import cleaning, i18n
from core.campaigns.models import MAX_STAGES
from core.campaigns.operations import MAX_ACCOUNT, MAX_NOTE, MAX_TITLE
from core.i18n import _
from core.web.forms import (
    INTRODUCTIONS,
    TITLES,
    EvidenceFields,
    MultiCheckboxField,
    choice,
    localised_fields,
    texts,
)
from core.web.forms import ConfirmForm as ConfirmForm

STATES = {
    "draft": _("Draft"),
    "running": _("Running"),
    "closed": _("Closed"),
}
STEP_LABELS = {"start": _("Start the campaign"), "close": _("Close the campaign")}


def state(code: str) -> str:
    return str(STATES.get(code, code))


class StageForm(FlaskForm):
    class Meta:
        csrf = False  # the outer form carries the token

    title_zh_Hans_CN = StringField(
        _("Stage title in Chinese"), validators=[Optional(), Length(max=MAX_TITLE)]
    )
    title_en = StringField(
        _("Stage title in English"), validators=[Optional(), Length(max=MAX_TITLE)]
    )
    title_ug = StringField(
        _("Stage title in Uyghur"), validators=[Optional(), Length(max=MAX_TITLE)]
    )
    deadline = DateField(_("Deadline"), validators=[Optional()])
    checklist_zh_Hans_CN = TextAreaField(
        _("Checklist in Chinese"),
        validators=[Optional()],
        description=_("One item per line: what each unit must have done by the deadline."),
    )
    checklist_en = TextAreaField(
        _("Checklist in English"),
        validators=[Optional()],
        description=_("Optional: the same items, one per line."),
    )
    checklist_ug = TextAreaField(
        _("Checklist in Uyghur"),
        validators=[Optional()],
        description=_("Optional: the same items, one per line."),
    )

    def used(self) -> bool:
        return bool(
            (self.title_zh_Hans_CN.data or "").strip()
            or self.deadline.data
            or cleaning.lines(self.checklist_zh_Hans_CN.data)
        )


class CampaignForm(FlaskForm):
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField,
        TITLES,
        required=_("Write the title in Chinese."),
        max_length=MAX_TITLE,
        descriptions={"zh_Hans_CN": _("For example: 全面推行党务公开工作.")},
    )
    note_zh_Hans_CN, note_en, note_ug = localised_fields(
        TextAreaField, INTRODUCTIONS, max_length=MAX_NOTE
    )
    stages = FieldList(FormField(StageForm), min_entries=1, max_entries=MAX_STAGES)
    all_units = BooleanField(
        _("Every unit under this organisation (direct and indirect)"),
        description=_("Or choose the units below."),
    )
    units = MultiCheckboxField(_("Units taking part"), validators=[Optional()])

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.units.choices = [choice(o.code, o.name(loc)) for o in candidates]

    @staticmethod
    def initial(titles, notes, stages: list[dict[str, Any]], codes, all_units=False) -> dict:
        data: dict[str, Any] = {"all_units": all_units, "units": list(codes), "stages": []}
        for loc in ("zh_Hans_CN", "en", "ug"):
            data[f"title_{loc}"] = (titles or {}).get(loc, "")
            data[f"note_{loc}"] = (notes or {}).get(loc, "")
        for stage in stages:
            row: dict[str, Any] = {"deadline": stage.get("deadline")}
            for loc in ("zh_Hans_CN", "en", "ug"):
                row[f"title_{loc}"] = (stage.get("titles") or {}).get(loc, "")
                items = [(c.get("labels") or {}).get(loc, "") for c in stage.get("checklist") or []]
                row[f"checklist_{loc}"] = "\n".join(items) if any(items) else ""
            data["stages"].append(row)
        if len(data["stages"]) < MAX_STAGES:
            data["stages"].append({})  # room for one more
        return data

    def to_data(self, keys_by_stage: list[list[str]] = ()) -> dict[str, Any]:
        stages = []
        for n, sub in enumerate(f.form for f in self.stages):
            if not sub.used():
                continue
            keys = keys_by_stage[n] if n < len(keys_by_stage) else ()
            by_locale = {
                loc: cleaning.lines(getattr(sub, f"checklist_{loc}").data)
                for loc in ("zh_Hans_CN", "en", "ug")
            }
            stages.append(
                {
                    "titles": texts(sub, "title"),
                    "deadline": sub.deadline.data,
                    "checklist": cleaning.labelled_lines(by_locale, "c", keys),
                }
            )
        return {
            "titles": texts(self, "title"),
            "notes": texts(self, "note"),
            "stages": stages,
            "all_units": self.all_units.data,
            "units": self.units.data or [],
        }


def attach(form: CampaignForm, problems: list[str]) -> list[str]:
    """Put the operation's problems (``stages-0-deadline: ...``) under their fields."""
    rest = []
    for line in problems:
        name, sep, message = line.partition(":")
        head = name.strip().split(".")[0]
        target = None
        if head.startswith("stages-"):
            parts = head.split("-")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(form.stages):
                sub = form.stages[int(parts[1])].form
                target = {
                    "title": sub.title_zh_Hans_CN,
                    "deadline": sub.deadline,
                    "checklist": sub.checklist_zh_Hans_CN,
                }.get(parts[2])
        elif head in ("title", "note", "units"):
            target = {
                "title": form.title_zh_Hans_CN,
                "note": form.note_zh_Hans_CN,
                "units": form.units,
            }[head]
        if target is None or not sep:
            rest.append(line)
        else:
            target.errors = [*list(target.errors or []), message.strip()]
    return rest


class CheckForm(EvidenceFields, FlaskForm):
    item = HiddenField(validators=[DataRequired()])
    note = TextAreaField(
        _("What was done"),
        validators=[Optional(), Length(max=MAX_ACCOUNT)],
        description=_("Say what was done and where it can be seen (or add a photo or a document)."),
    )


class ItemForm(FlaskForm):
    item = HiddenField(validators=[DataRequired()])


def deadline_text(day: date, today: date) -> str:
    days = (day - today).days
    if days < 0:
        return gettext("%(n)s days overdue", n=-days)
    if days == 0:
        return gettext("due today")
    return gettext("%(n)s days left", n=days)
