"""Plugin hook specifications (pluggy project ``gongkai``).

Kernel module: imports nothing else of the project. Every hook is documented with its exact
signature in ``plugins/README.md`` and has a ``test_hook_<name>`` test (a meta-test checks both).

Hook families and how they are called:

* **Sectors and default plugins** (process-wide): :func:`register_sectors`,
  :func:`sector_default_plugins`. They decide which plugins an organisation enables, so they
  are called on every installed plugin.
* **Template slots** (per organisation): :func:`portal_panels`. Templates and static files of
  a plugin (its ``templates/`` and ``static/`` folders) need no hook.
* **Console navigation and My work** (per organisation): :func:`console_navigation`,
  :func:`my_work`.
* **Catalogue template sections** (per organisation): :func:`catalogue_template_sections`.
* **Item types with extra fields and validation** (per organisation): :func:`item_types`,
  :func:`validate_item`.
* **Workflow guards and reactions** (per organisation): :func:`workflow_guard`,
  :func:`workflow_transitioned`.
* **Publication channels** (per organisation): :func:`publication_channels`.
* **Notification channels** (per organisation): :func:`notification_channels`.
* **Blueprints and commands** (process-wide, read when the application is created):
  :func:`register_blueprints`, :func:`register_commands`.
* **Periodic jobs** (declared process-wide, run once per organisation that enables the
  plugin): :func:`periodic_jobs`.
* **Permission decisions** (per organisation): :func:`permission_decision`.
* **Sign-in providers** (process-wide): :func:`signin_provider_kinds`.
* **Demo data** (process-wide, ``gongkai demo load``): :func:`demo_data`.
* **Audit labels** (process-wide): :func:`audit_labels`.
* **Assessment metrics** (per organisation): :func:`assessment_metrics`.
* **Report sections** (per organisation): :func:`report_sections`.

Per-organisation hooks are called through the organisation's relay: a plugin not enabled for the
organisation is never called for it.

Plugins implement hooks with ``@hookimpl`` from this module (or from ``core.toolkit``).
"""

from __future__ import annotations

import pluggy

PROJECT = "gongkai"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

TENANT_HOOKS = frozenset(
    {
        "portal_panels",
        "console_navigation",
        "my_work",
        "catalogue_template_sections",
        "workflow_guard",
        "workflow_transitioned",
        "permission_decision",
        "item_types",
        "validate_item",
        "publication_channels",
        "notification_channels",
        "assessment_metrics",
        "report_sections",
    }
)
"""Hooks that are only ever called through an organisation's relay."""


# --- sectors and default plugins (process-wide) ----------------------------------------------


@hookspec
def register_sectors():
    """Sectors this plugin contributes: a list of dicts ``{"code", "labels"}``."""


@hookspec
def sector_default_plugins(sector):
    """Names of plugins enabled by default for organisations of ``sector`` (a list)."""


# --- template slots (per organisation) -------------------------------------------------------


@hookspec
def portal_panels(org, locale):
    """Panels for the unit portal of ``org``: a list of ``{"title", "html"}`` (html: Markup)."""


# --- console navigation and My work (per organisation) ----------------------------------------


@hookspec
def console_navigation(org, user):
    """Links of ``org``'s console that ``user`` may use: ``{"group", "label", "endpoint"}``."""


@hookspec
def my_work(org, user):
    """Work waiting for ``user`` in ``org`` (My work): ``{"key", "label", "action", "rows"}``."""


# --- catalogue template sections (per organisation) ------------------------------------------


@hookspec
def catalogue_template_sections(org):
    """Sections a sector adds to catalogue drafts of ``org``: ``{"key", "titles", "entries"}``."""


# --- item types with extra fields and validation (per organisation) --------------------------


@hookspec
def item_types(org):
    """Item types for ``org``: ``{"code", "labels", "fields"}`` (the fields extend the item)."""


@hookspec
def validate_item(org, item, data):
    """Problems (``"field: text"``) that refuse saving or proposing an item of ``org`` (a list)."""


# --- workflow guards and reactions (per organisation) ----------------------------------------


@hookspec
def workflow_guard(org, workflow, transition, obj, actor, inputs):
    """Reasons to refuse running ``transition`` of ``workflow`` on ``obj`` now (a list of texts)."""


@hookspec
def workflow_transitioned(org, workflow, transition, obj, actor):
    """React to a transition that just ran (same transaction; raise to undo it); returns None."""


# --- publication channels (per organisation) -------------------------------------------------


@hookspec
def publication_channels(org):
    """Extra channels for the entries and items of ``org``: ``{"code", "labels", "audience"}``."""


# --- notification channels (per organisation) -----------------------------------------------


@hookspec
def notification_channels(org):
    """Ways of telling people about ``org``'s matters: ``core.toolkit.NotificationChannel`` s."""


# --- blueprints and commands (process-wide, read when the application is created) -------------


@hookspec
def register_blueprints():
    """Flask blueprints of this plugin; its ``<org_code>`` routes 404 where it is not enabled."""


@hookspec
def register_commands(cli):
    """Add click commands to ``gongkai`` (``cli`` is the application's command group)."""


# --- periodic jobs (declared process-wide, run per enabling organisation) ---------------------


@hookspec
def periodic_jobs():
    """Jobs run for each organisation that enables the plugin: ``{"name", "interval", "func"}``."""


# --- permission decisions (per organisation) -------------------------------------------------


@hookspec
def permission_decision(actor, action, org, obj):
    """May ``actor`` run ``action`` on ``obj`` in ``org``: True, False (veto) or None (no view)."""


# --- sign-in providers (process-wide) --------------------------------------------------------


@hookspec
def signin_provider_kinds():
    """Sign-in provider kinds this plugin offers: ``{kind: SigninProvider subclass}``."""


# --- assessment metrics and report sections (per organisation) -------------------------------


@hookspec
def assessment_metrics(org):
    """Metrics an assessment scheme of ``org`` may score by: ``{"code", "labels", "measure"}``."""


@hookspec
def report_sections(org, starts_on, ends_on):
    """Sections of ``org``'s half-year report for the period: ``{"key", "titles", "rows"}``."""


# --- demo data (process-wide) ----------------------------------------------------------------


@hookspec
def demo_data():
    """Load the plugin's demo data (``gongkai demo load``, idempotent): a line to print or None."""


# --- audit labels (process-wide) -------------------------------------------------------------


@hookspec
def audit_labels():
    """Words for the plugin's audit codes: ``{"actions"|"objects"|"fields": {code: label}}``."""
