"""The plugin manager and the per-organisation relay.

Installed is not enabled: every plugin registered with the process-wide manager (entry points
of group ``gongkai.plugins``, plus the ``core`` default plugin) is *installed*; an organisation
*enables* a set: the defaults of its sector (hook ``sector_default_plugins``) plus its settings
``plugin_settings.enabled``, minus ``plugin_settings.disabled``. Tenant hooks are called through
:meth:`Plugins.relay`, built on ``PluginManager.subset_hook_caller`` and cached per enabled set,
so a plugin not enabled for an organisation is never called for it; ``Plugins.hook`` (the
process-wide path) refuses tenant hooks, and a relay refuses the other hooks.

Set ``GONGKAI_TRACE_HOOKS=1`` to log every hook call.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import pluggy

from core import defaults, hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "gongkai.plugins"
CORE = "core"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str | None
    distribution: str | None
    hooks: tuple[str, ...]


class Relay:
    """Hook callers restricted to one enabled set (``relay.portal_panels(org=..., locale=...)``)."""

    def __init__(self, pm: pluggy.PluginManager, enabled: frozenset[str]):
        self._pm = pm
        self.enabled = enabled
        self._callers: dict[str, Any] = {}

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in hookspecs.TENANT_HOOKS:
            raise AttributeError(f"{name!r} is not a tenant hook")
        caller = self._callers.get(name)
        if caller is None:
            remove = [
                plugin
                for pname, plugin in self._pm.list_name_plugin()
                if pname != CORE and pname not in self.enabled and plugin is not None
            ]
            caller = self._pm.subset_hook_caller(name, remove_plugins=remove)
            self._callers[name] = caller
        return caller


class ProcessHooks:
    """``plugins.hook``: the process-wide hooks; a tenant hook is refused here.

    Calling ``portal_panels`` on ``pm.hook`` would call every *installed* plugin, enabled or
    not, so tenant hooks are only reachable through :meth:`Plugins.relay`.
    """

    def __init__(self, pm: pluggy.PluginManager):
        self._hook = pm.hook

    def __getattr__(self, name: str):
        if name in hookspecs.TENANT_HOOKS:
            raise AttributeError(
                f"{name!r} is a tenant hook: call it through plugins.relay(org).{name}(...)"
            )
        return getattr(self._hook, name)


class Plugins:
    def __init__(self, *, load_entry_points: bool = True, extra: dict[str, object] | None = None):
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        pm.register(defaults, name=CORE)
        if load_entry_points:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for name, plugin in (extra or {}).items():
            pm.register(plugin, name=name)
        if os.environ.get("GONGKAI_TRACE_HOOKS"):
            pm.trace.root.setwriter(lambda msg: log.warning("hook: %s", msg.rstrip()))
            pm.enable_tracing()
        self.pm = pm
        self.hook = ProcessHooks(pm)
        self._relays: dict[frozenset[str], Relay] = {}
        self._sector_defaults: dict[str, frozenset[str]] = {}

    # -- what is installed
    def installed(self) -> dict[str, object]:
        return {n: p for n, p in self.pm.list_name_plugin() if n != CORE and p is not None}

    def info(self) -> list[PluginInfo]:
        dists = {id(plugin): dist for plugin, dist in self.pm.list_plugin_distinfo()}
        out = []
        for name, plugin in sorted(self.installed().items()):
            dist = dists.get(id(plugin))
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or []))
            out.append(
                PluginInfo(
                    name=name,
                    version=dist.version if dist else None,
                    distribution=dist.project_name if dist else None,
                    hooks=hooks,
                )
            )
        return out

    def register(self, plugin: object, name: str) -> None:
        """Register a plugin at run time (tests, scaffolding); clears the caches."""
        self.pm.register(plugin, name=name)
        self._relays.clear()
        self._sector_defaults.clear()

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self._relays.clear()
        self._sector_defaults.clear()

    # -- sectors
    def sectors(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for batch in reversed(self.hook.register_sectors()):  # core first, plugins override
            for sector in batch or []:
                out[sector["code"]] = dict(sector.get("labels") or {})
        return out

    def sector_defaults(self, sector: str) -> frozenset[str]:
        cached = self._sector_defaults.get(sector)
        if cached is None:
            names = {n for batch in self.hook.sector_default_plugins(sector=sector) for n in batch}
            cached = frozenset(names)
            self._sector_defaults[sector] = cached
        return cached

    # -- per organisation
    def enabled_for(self, org) -> frozenset[str]:
        settings = org.plugin_settings or {}
        wanted = (self.sector_defaults(org.sector) | set(settings.get("enabled", []))) - set(
            settings.get("disabled", [])
        )
        return frozenset(wanted & set(self.installed()))

    def is_enabled(self, org, name: str) -> bool:
        return name in self.enabled_for(org)

    def relay(self, org) -> Relay:
        enabled = self.enabled_for(org)
        relay = self._relays.get(enabled)
        if relay is None:
            relay = self._relays[enabled] = Relay(self.pm, enabled)
        return relay
