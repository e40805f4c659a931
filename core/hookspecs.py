"""Plugin hook specifications (pluggy project ``gongkai``).

Kernel module: imports nothing else of the project. Every hook is documented with its exact
signature in ``plugins/README.md`` and has a ``test_hook_<name>`` test (a meta-test checks both).

Hook families and how they are called:

* **Sectors and default plugins** (process-wide): :func:`register_sectors`,
  :func:`sector_default_plugins`. They decide which plugins an organisation enables, so they
  are called on every installed plugin.
* **Template slots** (per organisation): :func:`portal_panels`. Called through the
  organisation's relay: a plugin not enabled for the organisation is never called for it.

Plugins implement hooks with ``@hookimpl`` from this module (or from ``core.toolkit``).
"""

from __future__ import annotations

import pluggy

PROJECT = "gongkai"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

TENANT_HOOKS = frozenset({"portal_panels"})
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
    """Panels for the unit portal of ``org``: a list of ``{"title", "html"}`` (``html`` is Markup)."""
