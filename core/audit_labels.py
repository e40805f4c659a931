"""The words for the codes of the audit log: actions, kinds of object, changed fields.

Kernel module (imports only :mod:`core.i18n`). The audit log keeps codes
(``user.password_reset_link``, ``item``, ``expires_at``): specialists search and filter by them,
and the API hands them over as they are. Pages and exports show these words next to them, in
the reader's language.

Where the words come from, one place for each kind of code:

* core's and the tenants' own actions, kinds of object and fields: the dicts below;
* the steps of a workflow (``<workflow>.<step>``, written by :mod:`core.workflow.engine`): each
  :class:`~core.workflow.Workflow` registers its steps here with :func:`register` when they are
  declared ("Item: Approve", from the step's own label);
* plugins: the process-wide hook ``audit_labels`` (``plugins/README.md``), read through the
  plugin manager of the application and translated in the plugin's own domain.

``tests/test_audit_labels.py`` fails when an action written anywhere in the code has no words.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from core.i18n import _, as_plugin

ACTIONS: dict[str, Any] = {
    "appearance.branding": _("County branding changed"),
    "api_token.create": _("API token created"),
    "api_token.revoke": _("API token revoked"),
    "assessment.create": _("Assessment scheme created"),
    "assessment.update": _("Assessment scheme changed"),
    "assessment.delete": _("Assessment scheme deleted"),
    "assessment.evidence": _("Evidence added to an assessment sheet"),
    "assessment.evidence_remove": _("Evidence removed from an assessment sheet"),
    "assessment.self_assess": _("Self-assessment saved"),
    "assessment.designate": _("Designation awarded"),
    "assessment.designation_end": _("Designation ended"),
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Sign-in failed"),
    "auth.login_throttled": _("Sign-in paused after repeated failures"),
    "auth.login_refused": _("Sign-in refused"),
    "auth.logout": _("Signed out"),
    "auth.sso_failed": _("Sign-in through a portal failed"),
    "campaign.create": _("Campaign created"),
    "campaign.update": _("Campaign changed"),
    "campaign.delete": _("Campaign deleted"),
    "campaign.remind": _("Campaign reminder sent"),
    "campaign.check": _("Campaign unit checked off"),
    "campaign.uncheck": _("Campaign unit check withdrawn"),
    "catalogue.draft": _("Catalogue draft started"),
    "catalogue.category.add": _("Catalogue category added"),
    "catalogue.category.update": _("Catalogue category changed"),
    "catalogue.category.remove": _("Catalogue category removed"),
    "catalogue.entry.add": _("Catalogue entry added"),
    "catalogue.entry.update": _("Catalogue entry changed"),
    "catalogue.entry.remove": _("Catalogue entry removed"),
    "catalogue.import": _("Catalogue imported"),
    "channels.add": _("County channel added"),
    "channels.update": _("County channel changed"),
    "channels.retire": _("County channel retired"),
    "channels.reactivate": _("County channel offered again"),
    "channels.delete": _("County channel deleted"),
    "county.deleted": _("County deleted"),
    "county.imported": _("County imported"),
    "evaluation.create": _("Evaluation round created"),
    "evaluation.update": _("Evaluation round changed"),
    "evaluation.delete": _("Evaluation round deleted"),
    "evaluation.rate": _("Evaluation given"),
    "feedback.receive": _("Feedback received online"),
    "questionnaire.create": _("Questionnaire created"),
    "questionnaire.update": _("Questionnaire changed"),
    "feedback.record": _("Feedback recorded"),
    "feedback.spam": _("Feedback marked as spam"),
    "feedback.reassign": _("Feedback handed to another handler"),
    "feedback.note": _("Feedback note added"),
    "feedback.rectification": _("Feedback rectification recorded"),
    "feedback.answer_update": _("Feedback answer changed"),
    "feedback.publish": _("Feedback answer published"),
    "feedback.unpublish": _("Feedback answer withdrawn from the portal"),
    "feedback.due_recomputed": _("Feedback deadline recalculated"),
    "finding.raise": _("Finding raised"),
    "inspection.record": _("Inspection recorded"),
    "invitation.create": _("Invitation created"),
    "invitation.redeem": _("Invitation accepted"),
    "invitation.refused": _("Invitation could not be accepted"),
    "invitation.revoke": _("Invitation withdrawn"),
    "item.create": _("Item created"),
    "item.update": _("Item changed"),
    "item.attachment": _("Item attachment added"),
    "item.close_refused": _("Item could not be closed"),
    "item.filing_acknowledged": _("Item filing acknowledged"),
    "item.objection": _("Objection to an item lodged"),
    "item.objection_handled": _("Objection to an item handled"),
    "item.widen": _("Item scope widened"),
    "job.retry": _("Job sent again"),
    "membership.grant": _("Role given"),
    "membership.revoke": _("Role taken back"),
    "noticeboard.posted": _("Notice board posting recorded"),
    "notifications.preferences": _("Notification settings changed"),
    "organisation.create": _("Organisation created"),
    "organisation.update": _("Organisation changed"),
    "organisation.enable": _("County enabled"),
    "organisation.disable": _("County disabled"),
    "organisation.leading_group": _("Leading group changed"),
    "organisation.move": _("Organisation moved in the tree"),
    "organisation.plugins": _("Plugin settings changed"),
    "parameter.set": _("Policy parameter set"),
    "parameter.clear": _("Policy parameter reset to the inherited value"),
    "register.key_added": _("Register signing key added"),
    "register.key_retired": _("Register signing key retired"),
    "report.prepare": _("Half-year report prepared"),
    "report.refresh": _("Half-year report figures refreshed"),
    "report.update": _("Half-year report changed"),
    "request.deadline": _("Request deadline changed"),
    "request.file": _("Request decision filed with the superior"),
    "request.filing_acknowledged": _("Request filing acknowledged"),
    "sso.provider.create": _("Sign-in provider added"),
    "sso.provider.update": _("Sign-in provider changed"),
    "sso.provider.remove": _("Sign-in provider removed"),
    "sso.identity.create": _("Portal account linked"),
    "sso.identity.update": _("Portal account details updated"),
    "user.create": _("New account created"),
    "user.password": _("Password changed"),
    "user.sessions_ended": _("Sessions ended"),
    "user.activate": _("Account activated"),
    "user.deactivate": _("Account deactivated"),
    "user.password_reset_link": _("Password reset link created"),
    "user.password_reset": _("Password reset through a link"),
    "user.registered": _("Account registered"),
    "user.verification_link": _("Confirmation link sent"),
    "user.email_verified": _("E-mail address confirmed"),
    "workdays.year.load": _("Working-day calendar of a year loaded"),
    "workdays.year.replace": _("Working-day calendar of a year replaced"),
}
"""Core's and the tenants' actions (the steps of workflows register themselves)."""

OBJECTS: dict[str, Any] = {
    "api_token": _("API token"),
    "assessment_scheme": _("Assessment scheme"),
    "assessment_sheet": _("Assessment sheet"),
    "board_posting": _("Notice board posting"),
    "campaign": _("Campaign"),
    "catalogue_category": _("Catalogue category"),
    "catalogue_entry": _("Catalogue entry"),
    "catalogue_version": _("Catalogue version"),
    "county_channel": _("County channel"),
    "county_appearance": _("County branding"),
    "designation": _("Designation"),
    "disclosure_request": _("Disclosure request"),
    "evaluation_round": _("Evaluation round"),
    "feedback": _("Feedback"),
    "finding": _("Finding"),
    "questionnaire": _("Questionnaire"),
    "half_year_report": _("Half-year report"),
    "inspection": _("Inspection"),
    "invitation": _("Invitation"),
    "item": _("Item"),
    "job": _("Job"),
    "job_outbox": _("Job waiting to be sent"),
    "membership": _("Role"),
    "organisation": _("Organisation"),
    "parameter": _("Policy parameter"),
    "register_key": _("Register signing key"),
    "sso_identity": _("Portal account"),
    "sso_provider": _("Sign-in provider"),
    "supervision_flag": _("Supervision flag"),
    "user": _("Account"),
    "workday_year": _("Working-day calendar"),
}
"""Kinds of object (``AuditEntry.object_type``)."""

FIELDS: dict[str, Any] = {
    "accent_colour": _("Accent colour"),
    "active": _("Active"),
    "audience": _("Who it reaches"),
    "channel": _("Channel"),
    "channels": _("Channels"),
    "code": _("Code"),
    "comment": _("Comment"),
    "decision_date": _("Decision date"),
    "description": _("Description"),
    "display_names": _("Display name"),
    "due_on": _("Due"),
    "email": _("E-mail"),
    "emblem_sha256": _("Emblem"),
    "enabled": _("Enabled"),
    "entry_key": _("Catalogue entry"),
    "internal_first": _("Inside the Party first"),
    "involves_secrets": _("Involves Party or state secrets"),
    "is_notice": _("This is a notice (公示) with a notice period"),
    "item_type": _("Item type"),
    "method": _("Sign-in method"),
    "notice_days": _("Notice period (days)"),
    "period_key": _("Period"),
    "expires_at": _("Valid until"),
    "explanation": _("Explanation"),
    "default_locale": _("Default language"),
    "full": _("Full name"),
    "function": _("Job"),
    "kind": _("Kind"),
    "labels": _("Names"),
    "locales": _("Languages"),
    "locked": _("Locked for the subordinate units"),
    "name": _("Name or title"),
    "names": _("Names"),
    "note": _("Note"),
    "parent_id": _("Superior organisation"),
    "planned_at": _("Planned publication"),
    "platform_admin": _("Platform admin"),
    "plugin": _("Plugin"),
    "primary_colour": _("Primary colour"),
    "provider": _("Sign-in provider"),
    "queue": _("Queue"),
    "reason": _("Reason"),
    "receipt": _("Receipt number"),
    "role": _("Role"),
    "scope": _("Scope"),
    "sector": _("Sector"),
    "short": _("Short name"),
    "spam": _("Spam"),
    "state": _("State"),
    "theme": _("Theme"),
    "timezone": _("Time zone"),
    "title": _("Title"),
    "titles": _("Title"),
    "type_code": _("Type of organisation"),
    "until": _("Until"),
    "user": _("User name"),
    "username": _("User name"),
    "value": _("Value"),
    "year": _("Year"),
}
"""Fields of the changes (``AuditEntry.changes``) that have words; any other shows its key."""

KINDS = {"actions": ACTIONS, "objects": OBJECTS, "fields": FIELDS}
_registered: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
_values: dict[str, dict[str, Any]] = {
    "method": {"password": _("Password"), "oidc": _("Government portal (OpenID Connect)")},
    "default_locale": (LANGUAGES := {
        "zh_Hans_CN": _("Chinese"), "en": _("English"), "ug": _("Uyghur"),
    }),
    "locales": LANGUAGES,
}  # fmt: skip


_object_names: dict[str, dict[str, Any]] = {}
_object_values: dict[tuple[str, str], dict[str, Any]] = {}


def register(kind: str, code: str, label: Any) -> None:
    """Give ``code`` of ``kind`` (``actions``, ``objects`` or ``fields``) its words (a lazy
    translation): what a package declares where the codes are made (the workflow engine)."""
    _registered[kind][code] = label


def register_values(field_code: str, labels: dict[str, Any]) -> None:
    """Give the coded values of field ``field_code`` their words (``{"public": _("Public")}``):
    declared by the package that owns the codes (the scopes, the roles …)."""
    _values.setdefault(field_code, {}).update(labels)


def register_object_names(
    object_type: str, names: dict[str, Any], values: dict[str, dict[str, Any]] | None = None
) -> None:
    """Give the objects of ``object_type`` whose id is a code their words (a policy
    parameter's key: its label), and optionally the words for the coded values of each
    (``{id: {code: label}}``: a parameter's choices): declared by the package that owns them."""
    _object_names.setdefault(object_type, {}).update(names)
    for object_id, labels in (values or {}).items():
        _object_values[(object_type, object_id)] = labels


def object_value(object_type: str | None, object_id: Any, code: Any) -> str | None:
    """The words for the coded value ``code`` of the object (a parameter's choice), or None."""
    if not isinstance(code, str):
        return None
    label = _object_values.get((object_type or "", str(object_id)), {}).get(code)
    return None if label is None else str(label)


def object_name(object_type: str | None, object_id: Any) -> str | None:
    """The words for the object ``object_id`` of ``object_type`` (a parameter's label), or
    None."""
    label = _object_names.get(object_type or "", {}).get(str(object_id))
    return None if label is None else str(label)


def value(field_code: str, code: Any) -> str | None:
    """The words for the coded value ``code`` of field ``field_code``, or None."""
    if not isinstance(code, str):
        return None
    label = _values.get(field_code, {}).get(code)
    return None if label is None else str(label)


def _plugin_label(kind: str, code: str) -> str | None:
    """The words a plugin gives ``code`` (hook ``audit_labels``), in the plugin's domain."""
    if not has_app_context():
        return None
    plugins = current_app.extensions.get("gongkai.plugins")
    found = plugins.audit_labels(kind).get(code) if plugins is not None else None
    if found is None:
        return None
    name, label = found
    with as_plugin(name):
        return str(label)


def known(kind: str, code: str | None) -> str | None:
    """The words for ``code`` of ``kind`` in the reader's language, or None when it has none."""
    if not code:
        return None
    label = KINDS[kind].get(code)
    if label is None:
        label = _registered[kind].get(code)
    if label is not None:
        return str(label)
    return _plugin_label(kind, code)


def action(code: str | None) -> str:
    """The words for an audit action (the code itself when it has none)."""
    return known("actions", code) or str(code or "")


def object_type(code: str | None) -> str:
    """The words for a kind of object (the code itself when it has none)."""
    return known("objects", code) or str(code or "")


def field(code: str | None) -> str | None:
    """The words for a changed field, or None (the page then shows the key)."""
    return known("fields", code)
