"""Form fields and helpers shared by the areas' forms (Flask-WTF).

* ``choice(value, label)`` — a choice of a select (WTForms' ``SelectChoice`` where it exists);
* :class:`MultiCheckboxField` — a multiple choice shown as checkboxes;
* :class:`EvidenceFields` — photos or documents and the day they were taken (a mixin);
* :class:`ConfirmForm` — a button that confirms a step (the CSRF token is all it carries);
* ``localised_fields(StringField, labels, ...)`` — one field per language (``title_zh_Hans_CN``,
  ``title_en``, ``title_ug``), Chinese required; ``texts(form, "title")`` reads them back;
* ``text(field)``, ``uploads(field)`` — a text with the browser's CRLF made LF; the chosen files;
* ``attach_problems(form, problems)`` — put an operation's ``"field: message"`` problems under
  the fields they name, return the others (for the page's error summary).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, MultipleFileField, SelectMultipleField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.config import SUPPORTED_LOCALES
from core.errors import Problem
from core.i18n import _

try:  # WTForms 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice as choice
except ImportError:  # pragma: no cover - older WTForms

    def choice(value, label):
        return (value, label)


LOCALES: tuple[str, ...] = tuple(SUPPORTED_LOCALES)
"""The languages of multilingual fields, Chinese first."""


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EvidenceFields:
    """The files given as evidence and the day the photos were taken (a mixin of the forms that
    take evidence: a campaign's checklist item, an assessment's checklist point)."""

    files = MultipleFileField(
        _("Photos or documents"),
        description=_(
            "JPEG, PNG or WebP photos, or PDF documents. Photos are stripped of their "
            "location and camera details before they are stored."
        ),
    )
    taken_on = DateField(
        _("Day the photos were taken"),
        validators=[Optional()],
        description=_("Needed when a photo does not say it itself."),
    )


class ConfirmForm(FlaskForm):
    """A button that confirms a step (the CSRF token is all it carries)."""


TITLES = {
    "zh_Hans_CN": _("Title in Chinese"),
    "en": _("Title in English"),
    "ug": _("Title in Uyghur"),
}
"""The labels of a multilingual title."""

INTRODUCTIONS = {
    "zh_Hans_CN": _("Introduction in Chinese"),
    "en": _("Introduction in English"),
    "ug": _("Introduction in Uyghur"),
}
"""The labels of a multilingual introduction (a campaign's, an assessment scheme's)."""


def localised_fields(
    field_class,
    labels: Mapping[str, Any],
    *,
    required: Any = None,
    max_length: int | None = None,
    descriptions: Mapping[str, Any] | None = None,
) -> tuple:
    """One unbound field per language of :data:`LOCALES`, in that order, to assign in a form's
    body: ``title_zh_Hans_CN, title_en, title_ug = localised_fields(StringField, TITLES, ...)``.

    ``labels``: ``{locale: label}``. ``required``: the message when the Chinese text is missing
    (the other languages are optional). ``max_length``: the most characters of each.
    ``descriptions``: ``{locale: help text}`` where a field has one.
    """
    fields = []
    for loc in LOCALES:
        first = loc == LOCALES[0]
        validators: list = [DataRequired(message=required) if required and first else Optional()]
        if max_length is not None:
            validators.append(Length(max=max_length))
        extra = {"description": descriptions[loc]} if descriptions and loc in descriptions else {}
        fields.append(field_class(labels[loc], validators=validators, **extra))
    return tuple(fields)


def texts(form, prefix: str) -> dict[str, str]:
    """``{locale: text}`` of the ``<prefix>_<locale>`` fields, with CRLF line ends made LF."""
    return {
        loc: (getattr(form, f"{prefix}_{loc}").data or "").replace("\r\n", "\n") for loc in LOCALES
    }


def text(field) -> str:
    """A field's text, with the browser's CRLF line ends made LF and outer space stripped."""
    return (field.data or "").replace("\r\n", "\n").strip()


def uploads(field) -> list[tuple[str, bytes]]:
    """The chosen files as ``(filename, bytes)`` (an empty file input sends nothing)."""
    return [(f.filename, f.read()) for f in (field.data or []) if getattr(f, "filename", None)]


def attach_problems(
    form,
    problems: list[Any],
    fields: Mapping[str, str] | None = None,
    *,
    localised: Mapping[str, str] | None = None,
) -> list[str]:
    """Put each problem of an operation under the form field it names; return the others as
    text (for the page's error summary).

    A problem is a :class:`core.errors.Problem` (its ``field`` and ``message``) or a text
    ``"name: message"``. Without ``fields``, ``name`` is the field's own name. With ``fields``
    (``{problem name: field name}``) only the names it lists are placed. ``localised``
    (``{problem name: field prefix}``) places ``"title.en: ..."`` under ``title_en``
    (e.g. ``{"content": "body"}`` puts ``content.ug`` under ``body_ug``). A
    :class:`~core.errors.Problem` left for the summary shows its message only: the name of a
    field is a code, not a word for the reader.
    """
    rest = []
    for problem in problems:
        if isinstance(problem, Problem):
            name, sep, message = problem.field, ":", str(problem.message)
            shown = message
        else:
            name, sep, message = str(problem).partition(":")
            shown = str(problem)
        head, _dot, loc = name.strip().partition(".")
        message = message.strip()
        if localised and head in localised and loc in LOCALES:
            field_name = f"{localised[head]}_{loc}"
        elif fields is not None:
            field_name = fields.get(head)
        else:
            field_name = head if head.isidentifier() and not loc and head != "meta" else None
        field = getattr(form, field_name, None) if field_name and sep else None
        if field is None or not message or not hasattr(field, "errors"):
            rest.append(shown)
            continue
        field.errors = [*list(field.errors or []), message]
    return rest
