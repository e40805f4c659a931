"""Console forms of the items (Flask-WTF, CSRF protected) and the words for item codes.

The forms check what a person can fix in the form itself (required texts, choices, the channels
that suit a scope, the minimum notice period); the operations remain the authority, and their
problems (``"scope: ..."``) are put under the fields they name (:func:`attach_problems`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core import i18n, localtime
from core.catalogue import labels, schedule
from core.catalogue import operations as cat
from core.catalogue.forms import ScopeChannelsMixin
from core.catalogue.models import SCOPES
from core.i18n import _
from core.items.labels import STATES as STATES
from core.items.models import AMENDMENT_REASONS, REFUSAL_REASONS, REVOCATION_REASONS
from core.items.operations import period_for as items_period_for
from core.items.reading import period_label
from core.web import forms as web_forms
from core.web.forms import (
    LOCALES,
    TITLES,
    MultiCheckboxField,
    choice,
    localised_fields,
    texts,
    uploads,
)
from core.web.forms import ConfirmForm as ConfirmForm

BODIES = {"zh_Hans_CN": _("Text in Chinese"), "en": _("Text in English"), "ug": _("Text in Uyghur")}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


# The tabs of the item list: a group of states (``notices``: notices in their period).
GROUPS = {
    "all": (_("All"), None),
    "drafts": (_("Drafts"), ("draft",)),
    "review": (_("In review"), ("proposed", "reviewed")),
    "superior": (
        _("Awaiting the superior"),
        ("superior_review", "amendment_pending", "revocation_pending"),
    ),
    "approved": (_("Approved and scheduled"), ("approved", "scheduled")),
    "published": (_("Published"), ("published",)),
    "notices": (_("Notices in their period"), ("published",)),
    "withheld": (_("Withheld"), ("withheld",)),
    "closed": (_("Closed and revoked"), ("closed", "revoked", "refused")),
}

REFUSALS = {
    "state_secret": _("Involves state secrets"),
    "party_secret": _("Involves Party secrets"),
    "personal_privacy": _("Involves personal privacy"),
    "unverified": _("The content cannot be verified"),
    "other": _("Another reason (explained in the comment)"),
}

AMENDMENT_REASON_LABELS = {
    "correction": _("Correction of false or wrong content"),
    "update": _("Update to the current state"),
    "supplement": _("Supplement: adds what was missing"),
    "other": _("Another reason (explained below)"),
}
REVOCATION_REASON_LABELS = {
    "secrecy": _("It discloses what must not be disclosed (secrecy)"),
    "error": _("It was published in error"),
    "superseded": _("It is superseded"),
    "other": _("Another reason (explained below)"),
}

YES_NO = [choice("yes", _("Yes")), choice("no", _("No"))]


def amendment_reason(code: str | None) -> str:
    return str(AMENDMENT_REASON_LABELS.get(code, code or ""))


def revocation_reason(code: str | None) -> str:
    return str(REVOCATION_REASON_LABELS.get(code, code or ""))


def state(code: str) -> str:
    return str(STATES.get(code, code))


def refusal(code: str | None) -> str:
    return str(REFUSALS.get(code, code or ""))


def split_names(text: str | None) -> list[str]:
    """Codes or user names typed in one field, separated by commas, spaces or new lines."""
    return [part for part in re.split(r"[\s,，、;；]+", text or "") if part]


class ItemForm(ScopeChannelsMixin, FlaskForm):
    entry_key = SelectField(
        _("Catalogue entry"),
        validators=[
            DataRequired(message=_("Choose the catalogue entry, or an off-catalogue item."))
        ],
        description=_(
            "The entry of the catalogue in force that this item discloses, by category; the "
            "entries due now come first. An off-catalogue item needs the approval of the "
            "superior organisation."
        ),
    )
    period_key = SelectField(
        _("Period"),
        validate_choice=False,  # checked against the chosen entry's periods below
        description=_(
            "The periods of the chosen entry's cadence. After choosing another entry, press "
            "“Show its periods”."
        ),
    )
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField, TITLES, required=_("Write the title in Chinese."), max_length=300
    )
    body_zh_Hans_CN, body_en, body_ug = localised_fields(
        TextAreaField,
        BODIES,
        required=_("Write the text in Chinese."),
        descriptions={
            "zh_Hans_CN": _("Markdown: blank lines between paragraphs, **bold**, lists with “-”.")
        },
    )
    scope = SelectField(
        _("Scope"),
        validators=[DataRequired(message=_("Choose who may see the item."))],
    )
    audience_orgs = StringField(
        _("Organisations (codes)"),
        validators=[Optional(), Length(max=2000)],
        description=_(
            "Only for the scope “named organisations or people”: codes of organisations, "
            "separated by commas. Their subordinate units see the item too."
        ),
    )
    audience_users = StringField(
        _("People (user names)"),
        validators=[Optional(), Length(max=2000)],
        description=_("Only for that scope: user names, separated by commas."),
    )
    channels = MultiCheckboxField(
        _("Channels"),
        validators=[DataRequired(message=_("Choose at least one channel."))],
        description=_(
            "Where it is disclosed. Party channels suit the Party scopes, public channels the "
            "public scope."
        ),
    )
    planned_at = DateTimeLocalField(
        _("Planned publication"),
        format=[LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[Optional()],
    )
    decision_date = DateField(
        _("Decision date"),
        validators=[Optional()],
        description=_(
            "The day the unit studied and decided the matter (研究决定日期). Needed before the "
            "item is proposed; timeliness is measured from it."
        ),
    )
    internal_first = BooleanField(
        _("Inside the Party first"),
        default=True,
        description=_(
            "A public item is first published within the Party and widens to the public after "
            "the days the policy parameter sets."
        ),
    )
    is_notice = BooleanField(
        _("This is a notice (公示) with a notice period"),
        description=_("Objections may be lodged during the period; it cannot be cut short."),
    )
    notice_days = IntegerField(_("Notice period (days)"), validators=[Optional()])
    involves_secrets = BooleanField(
        _("Involves Party or state secrets"),
        description=_("An item that involves secrets can never be published."),
    )
    attachments = MultipleFileField(
        _("Attachments"),
        description=_(
            "PDF, images (PNG, JPEG, GIF) or office documents (Word, Excel, PowerPoint, WPS), "
            "up to 20 MB each. You may choose several files."
        ),
    )
    item_type = SelectField(
        _("Item type"),
        validators=[Optional()],
        description=_(
            "For an off-catalogue item: the kind of matter, which adds the fields of that type. "
            "A catalogue entry brings its own type."
        ),
    )

    item_types: dict = {}  # set per organisation by with_types()
    type_fields: dict = {}  # {type code: [(field, form field name)]}

    @classmethod
    def with_types(cls, item_types: dict) -> type[ItemForm]:
        """The form with the extra fields of the organisation's item types (plugins' hook
        ``item_types``): one field ``x_<type>__<name>`` per field of each type."""
        if not item_types:
            return cls
        attrs: dict[str, Any] = {"item_types": item_types, "type_fields": {}}
        for code, item_type in item_types.items():
            names = []
            for f in item_type.fields:
                name = f"x_{re.sub(r'[^a-z0-9]', '_', code.lower())}__{f.name}"
                attrs[name] = _extra_field(f)
                names.append((f, name))
            attrs["type_fields"][code] = names
        return type("ItemFormWithTypes", (cls,), attrs)

    def __init__(
        self,
        *args,
        org,
        version,
        min_notice_days: int,
        due: Sequence[schedule.ExpectedDisclosure] = (),
        today: date | None = None,
        current_period: str | None = None,
        keep=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        loc = i18n.locale()
        self.item_type.choices = [
            choice("", _("None")),
            *(choice(code, t.label(loc)) for code, t in self.item_types.items()),
        ]
        for fields in self.type_fields.values():
            for f, name in fields:
                form_field = getattr(self, name)
                form_field.label.text = f.label(loc)
                form_field.description = f.hint(loc)
                if f.type == "choice":
                    form_field.choices = [
                        choice("", _("Choose…")),
                        *(choice(c, f.choice_label(c, loc)) for c, _l in f.choices),
                    ]
        self.zone = localtime.zone(org)
        self.min_notice_days = min_notice_days
        self.planned_at.description = gettext(
            "In the organisation's time zone (%(zone)s). Needed before the item is proposed.",
            zone=self.zone.key,
        )
        self.notice_days.description = gettext(
            "At least %(days)s days (the policy parameter).", days=min_notice_days
        )
        self.entries = cat.entries(version) if version is not None else []
        self.entry_key.choices = entry_groups(version, self.entries, due, loc)
        self.due = {d.entry_key: d.period_key for d in due}
        self.today = today or localtime.today(org)
        self.period_key.choices = self.period_choices(current_period)
        self.scope.choices = [
            choice("", _("Choose…")),
            *(choice(s, labels.scope(s)) for s in SCOPES),
        ]
        self.set_channel_choices(cat.channel_entries(org, keep=keep), loc)

    def chosen_entry(self):
        return next((e for e in self.entries if e.key == self.entry_key.data), None)

    def period_choices(self, current: str | None) -> list[tuple[str, str]]:
        """The periods of the chosen entry's cadence: last year's, this year's up to the next
        one, newest first (and the item's own period when it is older)."""
        entry = self.chosen_entry()
        if entry is None:
            first = _("Choose the catalogue entry first") if not self.entry_key.data else None
            return [choice("", first or _("No period: an off-catalogue item"))]
        if entry.cadence in schedule.EVENT_CADENCES:
            return [choice("", _("No period: this entry is disclosed when something happens"))]
        today = self.today
        keys: list[str] = []
        for year in (today.year - 1, today.year, today.year + 1):
            for key, start, _end in schedule.periods(entry.cadence, year):
                if year < today.year + 1 or start <= today:
                    keys.append(key)
        # the next period after today's, for an item planned ahead
        upcoming = [k for y in (today.year, today.year + 1) for k, s, _e in
                    schedule.periods(entry.cadence, y) if s > today]  # fmt: skip
        keys = [k for k in keys if k not in upcoming] + upcoming[:1]
        if current and current not in keys:
            keys.append(current)
        keys.sort(key=_period_order, reverse=True)
        return [
            *(choice(k, period_label(k)) for k in keys),
            choice("", _("The period of the decision date")),
        ]

    def suggest_period(self) -> None:
        """After “Show its periods”: the entry's due period (else today's) unless a period of
        the entry is chosen already."""
        entry = self.chosen_entry()
        keys = {c.value for c in self.period_key.choices}
        if entry is None or (self.period_key.data and self.period_key.data in keys):
            return
        suggested = self.due.get(entry.key) or items_period_for(entry.cadence, self.today)
        self.period_key.data = suggested if suggested in keys else ""

    def validate_period_key(self, field):
        if (field.data or "") not in {c.value for c in field.choices}:
            raise ValidationError(gettext("Choose one of the periods of this entry."))

    def validate_notice_days(self, field):
        if self.is_notice.data and field.data is not None and field.data < self.min_notice_days:
            raise ValidationError(
                gettext("A notice period lasts at least %(days)s days.", days=self.min_notice_days)
            )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # the audience fields are optional, so their own validation stops when they are empty
        if self.scope.data == "specific" and not (
            split_names(self.audience_orgs.data) or split_names(self.audience_users.data)
        ):
            self.audience_orgs.errors.append(gettext("Name at least one organisation or person."))
            valid = False
        return valid

    def uploads(self) -> list[tuple[str, bytes]]:
        return uploads(self.attachments)

    def planned_utc(self) -> datetime | None:
        value = self.planned_at.data
        return value.replace(tzinfo=self.zone).astimezone(UTC) if value else None

    def audience(self) -> dict[str, list[str]]:
        if self.scope.data != "specific":
            return {"orgs": [], "users": []}
        return {
            "orgs": sorted(set(split_names(self.audience_orgs.data))),
            "users": sorted(set(split_names(self.audience_users.data))),
        }

    def type_fieldsets(self) -> list[tuple[Any, list]]:
        """``(item type, [form fields])`` of each item type, for the template."""
        return [
            (self.item_types[code], [getattr(self, name) for _f, name in fields])
            for code, fields in self.type_fields.items()
        ]

    def effective_type(self) -> str | None:
        """The item's type: the chosen entry's, else the one chosen for an off-catalogue item."""
        entry = next((e for e in self.entries if e.key == self.entry_key.data), None)
        if entry is not None and entry.item_type:
            return entry.item_type
        return self.item_type.data or None

    def extra_field(self, name: str):
        """The form field of the effective type's extra field ``name`` (for its problems)."""
        for f, field_name in self.type_fields.get(self.effective_type() or "", []):
            if f.name == name:
                return getattr(self, field_name)
        return None

    def extra(self) -> dict[str, Any]:
        """The values of the effective type's extra fields (the operation cleans them)."""
        out = {}
        for f, name in self.type_fields.get(self.effective_type() or "", []):
            value = getattr(self, name).data
            out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out

    def to_data(self) -> dict[str, Any]:
        """The operation's input (the audience is added by the view when it changed)."""
        return {
            "item_type": self.item_type.data or None,
            "extra": self.extra(),
            "titles": texts(self, "title"),
            "bodies": texts(self, "body"),
            "entry_key": None if self.entry_key.data == OFF_CATALOGUE else self.entry_key.data,
            "period_key": (self.period_key.data or "").strip() or None,
            "scope": self.scope.data,
            "channels": list(self.channels.data or []),
            "planned_at": self.planned_utc(),
            "decision_date": self.decision_date.data,
            "internal_first": bool(self.internal_first.data),
            "is_notice": bool(self.is_notice.data),
            "notice_days": self.notice_days.data if self.is_notice.data else None,
            "involves_secrets": bool(self.involves_secrets.data),
        }

    @staticmethod
    def initial(item, version, audience: dict[str, list[str]], zone: ZoneInfo) -> dict[str, Any]:
        data: dict[str, Any] = {
            "entry_key": item.entry_key or OFF_CATALOGUE,
            "period_key": item.period_key or "",
            "scope": item.scope,
            "channels": list(item.channels or []),
            "planned_at": localtime.local_naive(item.planned_at, item.organisation),
            "decision_date": item.decision_date,
            "internal_first": item.internal_first,
            "is_notice": item.is_notice,
            "notice_days": item.notice_days,
            "involves_secrets": item.involves_secrets,
            "audience_orgs": ", ".join(audience.get("orgs", [])),
            "audience_users": ", ".join(audience.get("users", [])),
            "item_type": item.item_type or "",
        }
        slug = re.sub(r"[^a-z0-9]", "_", (item.item_type or "").lower())
        for name, value in (item.extra or {}).items():
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                value = date.fromisoformat(value)
            data[f"x_{slug}__{name}"] = value
        for loc in LOCALES:
            data[f"title_{loc}"] = (version.titles or {}).get(loc, "") if version else ""
            data[f"body_{loc}"] = (version.bodies or {}).get(loc, "") if version else ""
        return data


OFF_CATALOGUE = "~off"  # the explicit choice of an off-catalogue item (not an entry key)


def _period_order(key: str) -> tuple[int, int]:
    """``2026-M03`` → (2026, 3): a period's place in time (a year before its months' ends)."""
    year, _sep, part = key.partition("-")
    months = {"M": 1, "Q": 3, "H": 6}
    number = int(part[1:]) * months.get(part[:1], 1) if part[1:].isdigit() else 13
    return (int(year) if year.isdigit() else 0, number)


def entry_groups(version, entries, due, loc: str) -> dict[str | None, list]:
    """The entry choices as ``<optgroup>``s: those due now, then each category's, then the
    off-catalogue item."""
    groups: dict[str | None, list] = {None: [choice("", _("Choose…"))]}
    due_keys = set()
    if due:
        label = gettext("Due this period")
        groups[label] = []
        for d in due:
            if d.entry_key not in due_keys:
                due_keys.add(d.entry_key)
                period = period_label(d.period_key)
                groups[label].append(choice(d.entry_key, f"{d.entry.title(loc)} · {period}"))
    if version is not None:
        names = {c.id: c.title(loc) for c in cat.categories(version)}
        for e in entries:
            if e.key not in due_keys:
                group = groups.setdefault(names.get(e.category_id, ""), [])
                group.append(choice(e.key, f"{e.title(loc)} · {labels.cadence(e.cadence)}"))
    groups[gettext("Outside the catalogue")] = [
        choice(OFF_CATALOGUE, _("Off-catalogue item (目录外): needs the superior's approval"))
    ]
    return groups


def _extra_field(f):
    """The form field of an item type's extra field (the operation checks the values)."""
    kinds = {
        "textarea": lambda: TextAreaField(validators=[Optional()]),
        "integer": lambda: IntegerField(validators=[Optional()]),
        "date": lambda: DateField(validators=[Optional()]),
        "boolean": lambda: BooleanField(),
        "choice": lambda: SelectField(validators=[Optional()]),
    }
    return kinds.get(f.type, lambda: StringField(validators=[Optional(), Length(max=500)]))()


# Problems of an operation ("scope: ...") → the form field they belong to.
PROBLEM_FIELDS = {
    "title": "title_zh_Hans_CN",
    "content": "body_zh_Hans_CN",
    "entry_key": "entry_key",
    "period_key": "period_key",
    "scope": "scope",
    "channels": "channels",
    "planned_at": "planned_at",
    "decision_date": "decision_date",
    "notice_days": "notice_days",
    "audience": "audience_orgs",
    "attachments": "attachments",
    "explanation": "explanation",
    "item_type": "item_type",
}


LOCALISED = {"title": "title", "content": "body"}  # "title.en: ..." → title_en


def attach_problems(form: FlaskForm, problems: list[str]) -> list[str]:
    """Put each problem under its field (the extra fields of item types too: ``"extra.amount:
    ..."``); return the ones that belong to no field."""
    rest = []
    for problem in problems:
        name, _sep, message = problem.partition(":")
        head, _dot, key = name.strip().partition(".")
        field = form.extra_field(key) if head == "extra" and hasattr(form, "extra_field") else None
        if field is not None and message.strip():
            field.errors = [*field.errors, message.strip()]
        else:
            rest.append(problem)
    return web_forms.attach_problems(form, rest, PROBLEM_FIELDS, localised=LOCALISED)


class UploadForm(FlaskForm):
    attachments = MultipleFileField(
        _("Add attachments"),
        description=ItemForm.attachments.kwargs["description"],
    )

    def uploads(self) -> list[tuple[str, bytes]]:
        return uploads(self.attachments)


class ReviewForm(FlaskForm):
    secrecy_passed = RadioField(
        _("Secrecy review passed"),
        choices=YES_NO,
        validators=[InputRequired(message=_("Say whether the secrecy review passed."))],
    )
    secrecy_basis = TextAreaField(
        _("Basis of the secrecy review"),
        validators=[
            DataRequired(message=_("Give the basis of the secrecy review (保密审查依据).")),
            Length(max=4000),
        ],
        description=_("The rules or documents the secrecy review relied on."),
    )
    necessity_ok = RadioField(
        _("Necessity checked: the disclosure is needed"),
        choices=YES_NO,
        validators=[InputRequired(message=_("Say whether the necessity check passed."))],
    )
    accuracy_ok = RadioField(
        _("Accuracy checked: the content is correct"),
        choices=YES_NO,
        validators=[InputRequired(message=_("Say whether the accuracy check passed."))],
    )
    outcome = RadioField(
        _("Outcome"),
        choices=[
            choice("pass", _("The review passes")),
            choice("return", _("Return for revision")),
            choice("refuse", _("Refuse publication")),
        ],
        validators=[InputRequired(message=_("Choose the outcome of the review."))],
    )
    refuse_reason = SelectField(
        _("Reason for refusing"),
        validators=[Optional()],
        description=_("Only when publication is refused."),
    )
    comment = TextAreaField(
        _("Comment"),
        validators=[Optional(), Length(max=4000)],
        description=_("Required when the item is returned: tell the editor what to change."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refuse_reason.choices = [
            choice("", _("Choose…")),
            *(choice(code, REFUSALS[code]) for code in REFUSAL_REASONS),
        ]

    def checks_passed(self) -> bool:
        return all(
            f.data == "yes" for f in (self.secrecy_passed, self.necessity_ok, self.accuracy_ok)
        )

    def validate_outcome(self, field):
        if field.data == "pass" and not self.checks_passed():
            raise ValidationError(gettext("A review passes only when all three checks passed."))
        if field.data == "return" and self.checks_passed():
            raise ValidationError(gettext("To return the item, mark the check that did not pass."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # the optional fields stop their own validation when empty: check them here
        if self.outcome.data == "refuse" and not self.refuse_reason.data:
            self.refuse_reason.errors.append(gettext("Choose the reason for refusing publication."))
            valid = False
        if self.outcome.data == "return" and not (self.comment.data or "").strip():
            self.comment.errors.append(gettext("Tell the editor what to change."))
            valid = False
        return valid

    def to_kwargs(self) -> dict[str, Any]:
        return {
            "secrecy_passed": self.secrecy_passed.data == "yes",
            "secrecy_basis": (self.secrecy_basis.data or "").strip(),
            "necessity_ok": self.necessity_ok.data == "yes",
            "accuracy_ok": self.accuracy_ok.data == "yes",
            "comment": (self.comment.data or "").strip() or None,
            "refuse_reason": self.refuse_reason.data if self.outcome.data == "refuse" else None,
        }


class WithholdForm(FlaskForm):
    reason = TextAreaField(
        _("Reason for withholding"),
        validators=[
            DataRequired(message=_("Give the reason why the item is withheld.")),
            Length(max=4000),
        ],
        description=_("The item and its reason are filed with the superior organisation."),
    )


class ReturnForm(FlaskForm):
    return_comment = TextAreaField(
        _("What should change"),
        validators=[DataRequired(message=_("Tell the editor what to change.")), Length(max=4000)],
    )


class RevocationForm(FlaskForm):
    reason = SelectField(
        _("Reason"),
        choices=[choice(code, REVOCATION_REASON_LABELS[code]) for code in REVOCATION_REASONS],
        default="other",
        description=_("A revocation for secrecy is reported to the supervision."),
    )
    explanation = TextAreaField(
        _("Explanation of the revocation"),
        validators=[
            DataRequired(message=_("Explain why the item is revoked: it is published.")),
            Length(max=4000),
        ],
        description=_(
            "The superior organisation approves the revocation; the explanation is published "
            "with the revocation notice."
        ),
    )


class AmendmentForm(FlaskForm):
    title_zh_Hans_CN, title_en, title_ug = localised_fields(
        StringField, TITLES, required=_("Write the title in Chinese."), max_length=300
    )
    body_zh_Hans_CN, body_en, body_ug = localised_fields(
        TextAreaField, BODIES, required=_("Write the text in Chinese.")
    )
    explanation = TextAreaField(
        _("Explanation"),
        validators=[
            DataRequired(message=_("Explain what changes and why: it is published.")),
            Length(max=4000),
        ],
        description=_("Published with the new version."),
    )
    reason = SelectField(
        _("Reason"),
        choices=[choice(code, AMENDMENT_REASON_LABELS[code]) for code in AMENDMENT_REASONS],
        default="update",
        description=_("A correction of false content is public and reported to the supervision."),
    )

    @staticmethod
    def initial(version) -> dict[str, str]:
        data = {}
        for loc in LOCALES:
            data[f"title_{loc}"] = (version.titles or {}).get(loc, "")
            data[f"body_{loc}"] = (version.bodies or {}).get(loc, "")
        return data


class DecisionForm(FlaskForm):
    comment = TextAreaField(_("Comment"), validators=[Optional(), Length(max=4000)])


OBJECTION_OUTCOME_CHOICES = [
    ("dismissed", _("Dismissed: the notice stands")),
    ("upheld", _("Upheld: the item is corrected")),
]
OBJECTION_REMEDY_CHOICES = [
    ("amendment", _("Amendment")),
    ("withholding", _("Withholding")),
    ("revocation", _("Revocation")),
]


class ObjectionOutcomeForm(FlaskForm):
    """The unit's handling of one objection (the operation checks the combination)."""

    checked = TextAreaField(
        _("What was checked"), validators=[Optional(), Length(max=4000)],
        description=_("The facts, documents and people the unit checked."),
    )  # fmt: skip
    outcome = RadioField(_("Outcome"), choices=OBJECTION_OUTCOME_CHOICES, validators=[Optional()])
    reason = TextAreaField(
        _("Reason or finding"), validators=[Optional(), Length(max=4000)],
        description=_("Required when the objection is dismissed; the objector reads it."),
    )  # fmt: skip
    remedy = RadioField(
        _("How the item is corrected"), choices=OBJECTION_REMEDY_CHOICES, validators=[Optional()],
        description=_("When upheld: then take that step on this page (amend, withhold or revoke)."),
    )  # fmt: skip

    def to_kwargs(self) -> dict:
        return {
            "outcome": self.outcome.data or "",
            "checked": self.checked.data or "",
            "reason": self.reason.data or "",
            "remedy": self.remedy.data or None,
        }


class AcknowledgeForm(FlaskForm):
    """A superior acknowledges the filing of a withheld item (PUB-6)."""

    note = TextAreaField(_("Note (optional)"), validators=[Optional(), Length(max=2000)])
