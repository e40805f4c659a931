"""Forms of the platform console (Flask-WTF; the search forms are GET forms without a token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core.i18n import _
from core.members.forms import role_choices


class SearchForm(FlaskForm):
    """A GET form: no CSRF token (it changes nothing), values from the query string."""

    class Meta:
        csrf = False


class CountyStateForm(FlaskForm):
    """Disabling a county: why, and its code typed again (a whole county goes off line)."""

    reason = TextAreaField(
        _("Reason"),
        validators=[Optional(), Length(max=500)],
        description=_("Kept in the audit log, e.g. the end of the county's contract."),
    )
    confirm_code = StringField(
        _("Type the county's code to confirm"), validators=[Optional(), Length(max=63)]
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: its CSRF token only."""


class UserStateForm(FlaskForm):
    """Deactivating (or activating) an account, and why."""

    reason = StringField(
        _("Reason"),
        validators=[Optional(), Length(max=500)],
        description=_("Kept in the audit log, e.g. the person left the unit."),
    )


class UserSearchForm(SearchForm):
    q = StringField(
        _("Name, user name or e-mail"),
        validators=[Optional(), Length(max=100)],
    )
    county = SelectField(_("County"), validators=[Optional()], choices=[])


class GrantForm(FlaskForm):
    """Give the user a role in an organisation, named by its code."""

    org_code = StringField(
        _("Organisation code"),
        validators=[DataRequired(), Length(max=63)],
        description=_("The code in its address, e.g. hongjiang-agri in /o/hongjiang-agri/."),
    )
    role = SelectField(_("Role"), choices=role_choices, default="member")


class RetryForm(FlaskForm):
    """Send a failed job again: RQ's (``rq``, its queue and id) or the outbox's (its id)."""

    kind = HiddenField(validators=[DataRequired()])
    queue = HiddenField()
    job = HiddenField(validators=[DataRequired(), Length(max=100)])


class AuditSearchForm(SearchForm):
    actor = StringField(
        _("Who"),
        validators=[Optional(), Length(max=200)],
        description=_("A user name or a person's name; “the system” for the scheduled jobs."),
    )
    org = StringField(
        _("Organisation code"),
        validators=[Optional(), Length(max=63)],
    )
    subtree = BooleanField(_("and the units below it"))
    action = StringField(
        _("Action"),
        validators=[Optional(), Length(max=100)],
        description=_("An action or its beginning, as the Action column shows it."),
    )
    object_type = StringField(_("Kind of object"), validators=[Optional(), Length(max=60)])
    object_id = StringField(_("Object number"), validators=[Optional(), Length(max=60)])
    since = DateField(_("From the day"), validators=[Optional()])
    until = DateField(_("Until the day"), validators=[Optional()])

    def validate_since(self, field):
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_("Choose a day from 2000 to 2100."))

    def validate_until(self, field):
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_("Choose a day from 2000 to 2100."))
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("The end comes before the beginning."))
