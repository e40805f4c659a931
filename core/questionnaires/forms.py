"""Forms of the questionnaires (Flask-WTF, CSRF protected) and the words for their codes.

The console's :class:`QuestionnaireForm` holds up to ten question slots (an empty slot is left
out; "Add a question" shows one more without saving); each question's options are written one
per line, the English and Uyghur lines in the same order as the Chinese ones. The operations are
the authority: their problems (``q2.options: …``) go under the fields they name
(:func:`attach_problems`). :func:`answer_form` builds the visitor's form from the questions.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from core.i18n import _
from core.questionnaires.models import (
    KINDS,
    MAX_INTRO,
    MAX_QUESTIONS,
    MAX_TEXT_ANSWER,
    MAX_TITLE,
    Questionnaire,
)
from core.web import forms as web_forms
from core.web.forms import (
    INTRODUCTIONS,
    LOCALES,
    TITLES,
    MultiCheckboxField,
    choice,
    localised_fields,
    texts,
)
from core.web.forms import ConfirmForm as ConfirmForm

KIND_LABELS = {
    "single": _("Single choice"),
    "multiple": _("Multiple choice"),
    "text": _("Short free-text answer"),
}
QUESTION_LABELS = {
    "zh_Hans_CN": _("Question in Chinese"),
    "en": _("Question in English"),
    "ug": _("Question in Uyghur"),
}
OPTION_LABELS = {
    "zh_Hans_CN": _("Options in Chinese"),
    "en": _("Options in English"),
    "ug": _("Options in Uyghur"),
}


def kind(code: str) -> str:
    return str(KIND_LABELS.get(code, code))


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


class QuestionForm(Form):
    """One question slot (a sub-form: the CSRF token is the questionnaire form's)."""

    kind = SelectField(
        _("Kind of question"),
        choices=[choice(k, KIND_LABELS[k]) for k in KINDS],
        default="single",
        validate_choice=False,
    )
    text_zh_Hans_CN = TextAreaField(QUESTION_LABELS["zh_Hans_CN"])
    text_en = TextAreaField(QUESTION_LABELS["en"])
    text_ug = TextAreaField(QUESTION_LABELS["ug"])
    options_zh_Hans_CN = TextAreaField(
        OPTION_LABELS["zh_Hans_CN"],
        description=_(
            "For a single or multiple choice: from 2 to 8 options, one per line. Leave it empty "
            "for a free-text answer."
        ),
    )
    options_en = TextAreaField(
        OPTION_LABELS["en"], description=_("Optional: the same options, one per line.")
    )
    options_ug = TextAreaField(
        OPTION_LABELS["ug"], description=_("Optional: the same options, one per line.")
    )

    def empty(self) -> bool:
        return not any(
            (getattr(self, f"{p}_{loc}").data or "").strip()
            for p in ("text", "options")
            for loc in LOCALES
        )

    def to_data(self) -> dict[str, Any]:
        zh = lines(self.options_zh_Hans_CN.data)
        others = {loc: lines(getattr(self, f"options_{loc}").data) for loc in ("en", "ug")}
        options = []
        for n, label in enumerate(zh):
            labels = {"zh_Hans_CN": label}
            for loc, values in others.items():
                if n < len(values):
                    labels[loc] = values[n]
            options.append({"labels": labels})
        return {
            "kind": self.kind.data,
            "texts": {loc: getattr(self, f"text_{loc}").data or "" for loc in LOCALES},
            "options": options,
        }


class QuestionnaireForm(FlaskForm):
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField,
        TITLES,
        required=_("Write the title in Chinese."),
        max_length=MAX_TITLE,
        descriptions={"zh_Hans_CN": _("For example: 党务公开满意度调查.")},
    )
    intro_zh_Hans_CN, intro_en, intro_ug = localised_fields(
        TextAreaField,
        INTRODUCTIONS,
        max_length=MAX_INTRO,
        descriptions={"zh_Hans_CN": _("Shown to visitors above the questions (optional).")},
    )
    questions = FieldList(FormField(QuestionForm), min_entries=1, max_entries=MAX_QUESTIONS)

    def filled(self) -> list[int]:
        """The indices of the slots that hold a question."""
        return [n for n, entry in enumerate(self.questions.entries) if not entry.form.empty()]

    def to_data(self) -> dict[str, Any]:
        return {
            "titles": texts(self, "title"),
            "intros": texts(self, "intro"),
            "questions": [self.questions.entries[n].form.to_data() for n in self.filled()],
        }

    def add_slot(self) -> bool:
        if len(self.questions.entries) >= MAX_QUESTIONS:
            return False
        self.questions.append_entry()
        return True

    @staticmethod
    def initial(q: Questionnaire) -> dict[str, Any]:
        data: dict[str, Any] = {"questions": []}
        for loc in LOCALES:
            data[f"title_{loc}"] = (q.titles or {}).get(loc, "")
            data[f"intro_{loc}"] = (q.intros or {}).get(loc, "")
        for question in q.questions or []:
            slot = {"kind": question["kind"]}
            for loc in LOCALES:
                slot[f"text_{loc}"] = (question.get("texts") or {}).get(loc, "")
                slot[f"options_{loc}"] = "\n".join(
                    (o.get("labels") or {}).get(loc, "") for o in question.get("options") or []
                ).strip("\n")
            data["questions"].append(slot)
        return data


SLOT_FIELDS = {"text": "text_zh_Hans_CN", "options": "options_zh_Hans_CN", "kind": "kind"}


def attach_problems(form: QuestionnaireForm, problems: list) -> list[str]:
    """Put each problem of the operation under its field: ``title.en`` under ``title_en``,
    ``q2.options`` under the options of the second question given (empty slots do not count);
    return the rest for the page's summary."""
    slots = form.filled()
    rest = []
    for problem in problems:
        name = getattr(problem, "field", "") or ""
        head, _dot, sub = name.partition(".")
        if head.startswith("q") and head[1:].isdigit() and 0 < int(head[1:]) <= len(slots):
            entry = form.questions.entries[slots[int(head[1:]) - 1]].form
            part, _dot2, loc = sub.partition(".")
            target = getattr(entry, f"{part}_{loc}", None) if loc in LOCALES else None
            target = target or getattr(entry, SLOT_FIELDS.get(part, ""), None)
            if target is not None:
                target.errors = [*list(target.errors or []), str(problem.message)]
                continue
        rest.extend(
            web_forms.attach_problems(form, [problem], {}, localised={"title": "title",
                                                                     "intro": "intro"})
        )  # fmt: skip
    return rest


class OpenForm(FlaskForm):
    opens_on = DateField(
        _("First day of answering"),
        validators=[InputRequired(message=_("Give the first day of answering."))],
    )
    closes_on = DateField(
        _("Last day of answering"),
        validators=[InputRequired(message=_("Give the last day of answering."))],
        description=_("At most 90 days after the first day; it closes when this day is over."),
    )


class AnswerForm(FlaskForm):
    """The visitor's form; :func:`answer_form` adds one field per question (``a_<key>``)."""


def answer_form(q: Questionnaire, loc: str, **kwargs) -> AnswerForm:
    attrs: dict[str, Any] = {}
    for question in q.questions or []:
        label = Questionnaire.question_text(question, loc)
        options = [
            choice(o["key"], Questionnaire.option_label(o, loc))
            for o in question.get("options") or []
        ]
        if question["kind"] == "single":
            attrs[f"a_{question['key']}"] = RadioField(
                label,
                choices=options,
                validators=[InputRequired(message=_("Choose one option."))],
            )
        elif question["kind"] == "multiple":
            attrs[f"a_{question['key']}"] = MultiCheckboxField(
                label,
                choices=options,
                validators=[InputRequired(message=_("Choose at least one answer."))],
                description=_("Choose one or more."),
            )
        else:
            attrs[f"a_{question['key']}"] = TextAreaField(
                label,
                validators=[Optional(), Length(max=MAX_TEXT_ANSWER)],
                description=_(
                    "Optional, at most %(n)s characters. Free-text answers are read by the unit "
                    "and never published.",
                    n=MAX_TEXT_ANSWER,
                ),
            )
    form = type("QuestionnaireAnswerForm", (AnswerForm,), attrs)(**kwargs)
    form.answer_fields = [
        (question, getattr(form, f"a_{question['key']}")) for question in q.questions or []
    ]
    return form


def answers_of(form: AnswerForm) -> dict[str, Any]:
    return {question["key"]: f.data for question, f in form.answer_fields}
