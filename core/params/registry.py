"""The parameter definitions: key, type, default, bounds, and a translatable description."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core import audit_labels, permissions
from core.errors import UserError
from core.i18n import _


@dataclass(frozen=True)
class Parameter:
    key: str
    kind: str  # int | bool | month_day | months | scopes | choice
    default: Any
    label: Any
    rule: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    level: str = "unit"
    """Who sets it: ``unit`` (any organisation, for itself and the units below) or ``county``
    (the county committee only, for its whole county: :data:`LEVELS`)."""
    choices: dict[str, Any] | None = None  # kind "choice": {code: label}

    @property
    def area(self) -> str:
        """The area the parameter belongs to: its key's first part (``request``, a plugin)."""
        return self.key.split(".", 1)[0]

    def choice_label(self, value: Any) -> str:
        """The label of a choice's code in the reader's language (the code if unknown)."""
        return str((self.choices or {}).get(value, value))

    def convert(self, raw: Any) -> Any:
        """Convert and check a value given by a user or a file; raise UserError when invalid."""
        try:
            if self.kind == "bool":
                if isinstance(raw, bool):
                    return raw
                text = str(raw).strip().lower()
                if text in ("1", "true", "yes", "on"):
                    return True
                if text in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            if self.kind == "int":
                value = int(str(raw).strip())
                if self.minimum is not None and value < self.minimum:
                    raise UserError(_("The value must be at least %(n)s.", n=self.minimum))
                if self.maximum is not None and value > self.maximum:
                    raise UserError(_("The value must be at most %(n)s.", n=self.maximum))
                return value
            if self.kind == "month_day":
                month, day = (int(p) for p in str(raw).strip().split("-"))
                date(2024, month, day)  # a leap year accepts every real month-day
                return f"{month:02d}-{day:02d}"
            if self.kind == "scopes":
                items = raw if isinstance(raw, list) else str(raw).replace(" ", "").split(",")
                scopes = sorted({str(i) for i in items if str(i)})
                if any(i not in ("public", "party_wide", "unit", "specific") for i in scopes):
                    raise ValueError
                return scopes
            if self.kind == "choice":
                value = str(raw).strip()
                if value in (self.choices or {}):
                    return value
                raise ValueError
            if self.kind == "months":
                items = raw if isinstance(raw, list) else str(raw).replace(" ", "").split(",")
                months = sorted({int(m) for m in items if str(m)})
                if not months or any(m < 1 or m > 12 for m in months):
                    raise ValueError
                return months
        except UserError:
            raise
        except (TypeError, ValueError):
            pass
        raise UserError(_("“%(value)s” is not a valid value here.", value=raw))


LEVELS = ("unit", "county")
PARAMETERS: dict[str, Parameter] = {}


def define(key: str, kind: str, default: Any, label, **kwargs) -> Parameter:
    param = Parameter(key, kind, default, label, **kwargs)
    if param.level not in LEVELS:
        raise ValueError(f"{key}: level must be one of {', '.join(LEVELS)}")
    PARAMETERS[key] = param
    audit_labels.register_object_names(  # the audit log's words
        "parameter", {key: label}, {key: param.choices} if param.choices else None
    )
    return param


def get(key: str) -> Parameter:
    try:
        return PARAMETERS[key]
    except KeyError:
        raise UserError(_("There is no parameter “%(key)s”.", key=key)) from None


# --- the parameters of docs/rules.md -------------------------------------------------------------
define(
    "catalogue.standing_due",
    "month_day",
    "01-31",
    _("Standing entries: due date each year (month-day)"),
    rule="CAT-5",
)
define(
    "catalogue.period_due_days",
    "int",
    10,
    _("Periodic entries: days after the period ends"),
    rule="CAT-5",
    minimum=0,
    maximum=90,
)
define(
    "catalogue.immediate_due_days",
    "int",
    7,
    _("Immediate entries: days after the decision"),
    rule="CAT-5",
    minimum=0,
    maximum=60,
)
define(
    "catalogue.unit_review",
    "bool",
    False,
    _("The unit's own reviewer signs off a catalogue before it goes to the superior"),
)
define(
    "notice.min_days",
    "int",
    7,
    _("Minimum notice period in days"),
    rule="PUB-5",
    minimum=7,
    maximum=90,
)
define(
    "scope.internal_first_days",
    "int",
    0,
    _("Days inside the Party before an item widens to the public"),
    rule="SCOPE-2",
    minimum=0,
    maximum=90,
)
define(
    "request.decision_working_days",
    "int",
    15,
    _("Disclosure requests: decision within working days"),
    rule="REQ-2",
    minimum=1,
    maximum=60,
)
define(
    "request.extension_working_days",
    "int",
    15,
    _("Disclosure requests: one extension of up to working days"),
    rule="REQ-2",
    minimum=0,
    maximum=60,
)
define(
    "request.amend_lapse_days",
    "int",
    15,
    _("Disclosure requests: an unclear request lapses after days"),
    rule="REQ-3",
    minimum=1,
    maximum=90,
)
define(
    "request.min_realname_level",
    "int",
    0,
    _("Disclosure requests: minimum real-name level of the applicant (0 = none)"),
    rule="IAM-2",
    minimum=0,
    maximum=10,
)
define(
    "auth.local_signin",
    "bool",
    True,
    _("Password sign-in is allowed (off: members sign in through the government portal)"),
    rule="IAM-1",
    level="county",
)
define(
    "auth.self_registration",
    "bool",
    False,
    _("People without a government-portal identity may create an account (confirmed by e-mail)"),
    level="county",
)
define(
    "archive.retention_years",
    "int",
    5,
    _("Register retention in years"),
    rule="ARC-2",
    minimum=5,
    maximum=100,
)
define(
    "report.months",
    "months",
    [6, 12],
    _("Months in which units report to the superior"),
    rule="RPT-1",
)

define(
    "report.due_days",
    "int",
    10,
    _("Half-year reports: due this many days after the period ends"),
    rule="RPT-1",
    minimum=0,
    maximum=60,
)
define(
    "report.remind_days",
    "int",
    7,
    _("Half-year reports: reminders begin this many days before the due date"),
    rule="RPT-1",
    minimum=0,
    maximum=30,
)
# --- each plan's own routing (issue 12): where things go up the tree --------------------------
FILING_LEVELS = {
    "parent": _("The parent organisation"),
    "working_committee": _("The nearest working committee above (工委 / 系统党委)"),
    "party_committee": _("The nearest Party committee above (党委)"),
    "county_committee": _("The county committee (县委 / 市委)"),
}
define(
    "request.filing",
    "choice",
    "declines",
    _("Disclosure requests: which decisions are filed with the superior"),
    rule="REQ-5",
    choices={
        "declines": _("Declines, partial grants and “not held” only"),
        "all": _("Every request and its handling"),
    },
)
define(
    "request.grant_approval",
    "bool",
    False,
    _("Disclosure requests: a grant is approved by the superior before it is sent"),
    rule="REQ-5",
)
define(
    "filing.requests",
    "choice",
    "parent",
    _("Filings of request decisions go to"),
    rule="REQ-5",
    choices=FILING_LEVELS,
)
define(
    "filing.withheld",
    "choice",
    "parent",
    _("Filings of withheld items go to"),
    rule="PUB-6",
    choices=FILING_LEVELS,
)
define(
    "filing.catalogue",
    "choice",
    "parent",
    _("Approved catalogues are filed with"),
    rule="CAT-3",
    choices=FILING_LEVELS,
)
define(
    "filing.changes",
    "choice",
    "parent",
    _("Changes and revocations of published items are filed with"),
    rule="PUB-7",
    choices=FILING_LEVELS,
)
define(
    "evaluation.public_per_address",
    "int",
    5,
    _("Public evaluation: ratings one network address may give per round and unit"),
    rule="SUP-3",
    minimum=1,
    maximum=100,
)

define(
    "items.escalate_scopes",
    "scopes",
    [],
    _("Items of these scopes are approved by the superior, not within the unit"),
    rule="PUB-3",
)

# who may read the parameters of an organisation in the console, and who may set its own values
permissions.register(
    "parameters.view", {"admin", "editor", "reviewer", "supervisor"}, "unit_or_superior"
)
permissions.register("parameters.edit", {"admin"}, "unit")
