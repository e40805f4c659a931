"""The leading group's form: its people by name and post, its office and how to reach it.

Lists of people (deputy leaders, members, the office's deputy directors and members) are rows of
a name and a post; an empty row is left out, and the page always offers blank rows to add
people (the button "More rows" adds more without saving; no JavaScript needed).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from core.i18n import _
from tenants import leading_group as lg

BLANK_ROWS = 2
"""Blank rows offered under each list of people."""
MORE_ROWS = 3
"""Rows the button "More rows" adds to a list."""

ROLE_LABELS = {
    "leader": _("Leader"),
    "deputies": _("Deputy leaders"),
    "members": _("Members"),
    "office": _("Office"),
    "office_director": _("Office director"),
    "office_deputy_directors": _("Deputy directors of the office"),
    "office_members": _("Members of the office"),
    "liaison": _("Liaison"),
    "office_phone": _("Office telephone"),
    "office_email": _("Office e-mail"),
}
"""The words for each field of the group, on the console and the portal."""

SOURCE_LABELS = {
    "console": _("Edited in the console"),
    "import": _("Imported from a file"),
    "demo": _("Set up by the demo"),
    "migration": _("Kept from before versions were recorded"),
}


class PersonForm(Form):
    """One person: a name and a post (the post alone is not a person)."""

    name = StringField(_("Name"), validators=[Length(max=lg.NAME_MAX)])
    post = StringField(_("Post"), validators=[Optional(), Length(max=lg.POST_MAX)])

    def validate_name(self, field):
        if not (field.data or "").strip() and (self.post.data or "").strip():
            raise ValidationError(_("Give the name of the person who holds this post."))

    def value(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("name", (self.name.data or "").strip()),
                ("post", (self.post.data or "").strip()),
            )
            if v
        }


def people(label):
    return FieldList(FormField(PersonForm), label=label, max_entries=lg.LIST_MAX + MORE_ROWS)


class LeadingGroupForm(FlaskForm):
    leader = FormField(PersonForm, label=ROLE_LABELS["leader"])
    deputies = people(ROLE_LABELS["deputies"])
    members = people(ROLE_LABELS["members"])
    office = StringField(
        ROLE_LABELS["office"],
        validators=[Optional(), Length(max=lg.TEXT_MAX)],
        description=_(
            "The office that does the group's daily work, e.g. 局党务公开工作领导小组办公室."
        ),
    )
    office_director = FormField(PersonForm, label=ROLE_LABELS["office_director"])
    office_deputy_directors = people(ROLE_LABELS["office_deputy_directors"])
    office_members = people(ROLE_LABELS["office_members"])
    liaison = FormField(PersonForm, label=ROLE_LABELS["liaison"])
    office_phone = StringField(
        ROLE_LABELS["office_phone"],
        validators=[
            Optional(),
            Length(max=40),
            Regexp(lg.PHONE, message=_("Write a telephone number, e.g. 0745-1234567.")),
        ],
    )
    office_email = StringField(
        ROLE_LABELS["office_email"],
        validators=[
            Optional(),
            Length(max=lg.TEXT_MAX),
            Regexp(lg.EMAIL, message=_("Write an e-mail address, e.g. dwgk@example.org.")),
        ],
    )
    note = TextAreaField(
        _("What changed"),
        validators=[Optional(), Length(max=500)],
        description=_("Kept with this version, e.g. why a member left the group (optional)."),
    )
    based_on = HiddenField()

    def fill(self, group: dict[str, Any], *, extra: dict[str, int] | None = None) -> None:
        """Show ``group`` (a GET), with blank rows under each list."""
        extra = extra or {}
        for key in lg.PERSON_ROLES:
            person = group.get(key) or {}
            getattr(self, key).form.name.data = person.get("name", "")
            getattr(self, key).form.post.data = person.get("post", "")
        for key in lg.LIST_ROLES:
            rows = getattr(self, key)
            while len(rows):
                rows.pop_entry()
            for person in group.get(key) or []:
                rows.append_entry(person)
        for key in lg.TEXTS:
            getattr(self, key).data = group.get(key, "")
        self.add_blank_rows(extra)

    def add_blank_rows(self, extra: dict[str, int] | None = None) -> None:
        """Blank rows under each list: :data:`BLANK_ROWS`, more where ``extra`` asks."""
        for key in lg.LIST_ROLES:
            rows = getattr(self, key)
            filled = sum(1 for row in rows if row.form.value())
            blank = len(rows) - filled
            wanted = BLANK_ROWS + (extra or {}).get(key, 0)
            for _i in range(max(0, wanted - blank)):
                if len(rows) >= rows.max_entries:
                    break
                rows.append_entry()

    def group(self) -> dict[str, Any]:
        """The group the form describes (empty rows and fields left out)."""
        out: dict[str, Any] = {}
        for key in lg.PERSON_ROLES:
            person = getattr(self, key).form.value()
            if person:
                out[key] = person
        for key in lg.LIST_ROLES:
            found = [row.form.value() for row in getattr(self, key)]
            found = [p for p in found if p]
            if found:
                out[key] = found
        for key in lg.TEXTS:
            value = (getattr(self, key).data or "").strip()
            if value:
                out[key] = value
        return out

    def validate(self, extra_validators=None) -> bool:
        self.list_errors: dict[str, Any] = {}
        ok = super().validate(extra_validators)
        for key in lg.LIST_ROLES:
            rows = getattr(self, key)
            if sum(1 for row in rows if row.form.value()) > lg.LIST_MAX:
                self.list_errors[key] = _("At most %(count)s people in one list.",
                                          count=lg.LIST_MAX)  # fmt: skip
                ok = False
        return ok
