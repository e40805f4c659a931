"""Plugin hook specifications (pluggy project ``gongkai``).

Kernel module: imports nothing else of the project. Every hook is documented with its exact
signature in ``plugins/README.md`` and has a ``test_hook_<name>`` test (a meta-test checks both).

Hook families and how they are called:

* **Sectors and default plugins** (process-wide): :func:`register_sectors`,
  :func:`sector_default_plugins`. They decide which plugins an organisation enables, so they
  are called on every installed plugin.
* **Template slots** (per organisation): :func:`portal_panels`.
* **Catalogue template sections** (per organisation): :func:`catalogue_template_sections`.
* **Workflow guards and reactions** (per organisation): :func:`workflow_guard`,
  :func:`workflow_transitioned`.
* **Permission decisions** (per organisation): :func:`permission_decision`.
* **Sign-in providers** (process-wide): :func:`signin_provider_kinds`.

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
        "catalogue_template_sections",
        "workflow_guard",
        "workflow_transitioned",
        "permission_decision",
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


# --- catalogue template sections (per organisation) ------------------------------------------


@hookspec
def catalogue_template_sections(org):
    """Sections a sector adds to catalogue drafts of ``org``: ``{"key", "titles", "entries"}``."""


# --- workflow guards and reactions (per organisation) ----------------------------------------


@hookspec
def workflow_guard(org, workflow, transition, obj, actor, inputs):
    """Reasons to refuse running ``transition`` of ``workflow`` on ``obj`` now (a list of texts)."""


@hookspec
def workflow_transitioned(org, workflow, transition, obj, actor):
    """React to a transition that just ran (same transaction; raise to undo it); returns None."""


# --- permission decisions (per organisation) -------------------------------------------------


@hookspec
def permission_decision(actor, action, org, obj):
    """May ``actor`` run ``action`` on ``obj`` in ``org``: True, False (veto) or None (no view)."""


# --- sign-in providers (process-wide) --------------------------------------------------------


@hookspec
def signin_provider_kinds():
    """Sign-in provider kinds this plugin offers: ``{kind: SigninProvider subclass}``."""
