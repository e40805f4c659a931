"""The catalogue workflows: unit catalogues go to a superior's reviewer; templates are published
by their owner.

Unit catalogue: draft → (in_review, when the parameter ``catalogue.unit_review`` is on) →
submitted → approved | returned (a comment is required). A returned version is reopened as a
draft. Template: draft → approved (published by an admin of the owner).
"""

from __future__ import annotations

from flask_babel import gettext

from core import permissions
from core.catalogue import labels, reading, rules
from core.catalogue.models import STATES
from core.i18n import _, lazily
from core.params import operations as params
from core.workflow import Workflow
from tenants.models import ROLES


def _unit_review(org) -> bool:
    return bool(params.value(org, "catalogue.unit_review"))


def _no_unit_review(org) -> bool:
    return not _unit_review(org)


def _mandatory_entries_present(version, **_kwargs):
    missing = rules.missing_mandatory(version)
    if missing:
        names = lazily(rules.mandatory_titles, version, missing)
        return _("Mandatory entries of the template are missing: %(entries)s.", entries=names)
    return None


def _entries_complete(version, **_kwargs):
    problems = rules.incomplete_entries(version)
    if problems:
        return _(
            "Some entries are incomplete: %(problems)s",
            problems=lazily(lambda: gettext("; ").join(str(p.message) for p in problems)),
        )
    return None


def _has_entries(version, **_kwargs):
    if not reading.entries(version):
        return _("The catalogue has no entries.")
    return None


EDITORS = {"admin", "editor"}
CHECKS = (_has_entries, _entries_complete, _mandatory_entries_present)

unit_catalogue = Workflow(
    "catalogue", "catalogue_version", STATES, "draft", state_labels=labels.STATES
)
unit_catalogue.add(
    "submit",
    "draft",
    "submitted",
    EDITORS,
    guards=CHECKS,
    enabled_if=_no_unit_review,
    label=_("Submit to the superior"),
)
unit_catalogue.add(
    "submit_for_review",
    "draft",
    "in_review",
    EDITORS,
    guards=CHECKS,
    enabled_if=_unit_review,
    label=_("Submit for the unit's review"),
)
unit_catalogue.add(
    "sign_off",
    "in_review",
    "submitted",
    {"reviewer"},
    guards=CHECKS,
    label=_("Sign off and submit to the superior"),
)
unit_catalogue.add(
    "send_back",
    "in_review",
    "draft",
    {"reviewer"},
    requires=("comment",),
    label=_("Send back to the editors"),
)
unit_catalogue.add(
    "approve",
    "submitted",
    "approved",
    {"reviewer"},
    where="superior",
    guards=CHECKS,
    label=_("Approve"),
)
unit_catalogue.add(
    "return",
    "submitted",
    "returned",
    {"reviewer"},
    where="superior",
    requires=("comment",),
    label=_("Return with a comment"),
)
unit_catalogue.add("reopen", "returned", "draft", EDITORS, label=_("Reopen for editing"))
unit_catalogue.add(
    "withdraw",
    ("submitted", "in_review"),
    "draft",
    EDITORS,
    label=_("Withdraw the submission"),
)  # the unit takes its version back before the superior decides, to change it

template = Workflow(
    "catalogue_template", "catalogue_version", STATES, "draft",
    state_labels=labels.TEMPLATE_STATES,
)  # fmt: skip
template.add(
    "publish",
    "draft",
    "approved",
    {"admin"},
    guards=(_has_entries, _entries_complete),
    label=_("Publish the template"),
)


def for_version(version) -> Workflow:
    return template if version.kind == "template" else unit_catalogue


permissions.register("catalogue.edit", EDITORS, "unit")
permissions.register(
    "catalogue.view_console", {"admin", "editor", "reviewer", "supervisor"}, "unit_or_superior"
)
permissions.register("catalogue.decide", {"reviewer"}, "superior")
permissions.register("catalogue.template", {"admin"}, "unit")
# the non-public fields of a catalogue (responsible, mandatory, item type, notice days) in the API
permissions.register("catalogue.view_internal", set(ROLES), "unit_or_superior")
