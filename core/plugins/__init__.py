"""The plugin manager and the per-organisation relay.

Installed is not enabled: every plugin registered with the process-wide manager (entry points
of group ``gongkai.plugins``, plus the ``core`` default plugin) is *installed*; an organisation
*enables* a set: the defaults of its sector (hook ``sector_default_plugins``) plus its settings
``plugin_settings.enabled``, minus ``plugin_settings.disabled``. Tenant hooks are called through
:meth:`Plugins.relay`, built on ``PluginManager.subset_hook_caller`` and cached per enabled set,
so a plugin not enabled for an organisation is never called for it; ``Plugins.hook`` (the
process-wide path) refuses tenant hooks, and a relay refuses the other hooks.

What a plugin brings besides hook answers is read here too, when the application is created
(:func:`init_app`): its blueprints (routes with ``<org_code>`` answer 404 for organisations that
have not enabled it: one guard, :func:`guard_plugin_route`), its commands, its periodic jobs (run
once per enabling organisation, :func:`dispatch_periodic_job`), and the folders of its package
(:func:`plugin_folder`): ``templates/`` and ``static/`` (``core.themes``), ``translations/``
(``core.i18n``) and ``migrations/`` (``core.migrations``).

Set ``GONGKAI_TRACE_HOOKS=1`` to log every hook call.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy
from flask import abort, current_app, g

from core import hookspecs
from core.plugins import defaults

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "gongkai.plugins"
CORE = "core"
FOLDERS = ("templates", "static", "translations", "migrations")
"""Folders of a plugin package that core reads (next to the package's ``__init__.py``)."""


def plugin_folder(plugin: object, kind: str) -> Path | None:
    """The folder ``kind`` (one of :data:`FOLDERS`) of a plugin *package*, if it has one.

    Only packages count: a single-file module has no folder of its own (its neighbours in
    ``site-packages`` are other distributions' files).
    """
    module_file = getattr(plugin, "__file__", None)
    if not module_file or Path(module_file).name != "__init__.py":
        return None
    folder = Path(module_file).parent / kind
    return folder if folder.is_dir() else None


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
        self._folders: dict[str, dict[str, Path]] = {}
        self._audit_labels: dict[str, dict[str, tuple[str, Any]]] = {}
        self._modules: dict[str, str | None] = {}

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

    def describe(self, name: str) -> str:
        """What the plugin does: its ``DESCRIPTION`` (may be a lazy translation), else the
        summary of its distribution, else the first line of its docstring."""
        plugin = self.installed().get(name)
        if plugin is None:
            return ""
        text = getattr(plugin, "DESCRIPTION", None)
        if text:
            from core.i18n import as_plugin

            with as_plugin(name):  # its own translation domain, enabled or not
                return str(text)
        for candidate, dist in self.pm.list_plugin_distinfo():
            if candidate is plugin and dist.metadata.get("Summary"):
                return str(dist.metadata["Summary"])
        doc = (getattr(plugin, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else ""

    def folders(self, kind: str) -> dict[str, Path]:
        """``{plugin name: folder}`` of the installed plugins that have the folder ``kind``."""
        cached = self._folders.get(kind)
        if cached is None:
            cached = {}
            for name, plugin in sorted(self.installed().items()):
                folder = plugin_folder(plugin, kind)
                if folder is not None:
                    cached[name] = folder
            self._folders[kind] = cached
        return cached

    def implementations(self, hook: str) -> list[tuple[str, Any]]:
        """``(plugin name, function)`` of each plugin's implementation of a process-wide hook,
        to call them one by one when the answer must be tied to its plugin."""
        if hook in hookspecs.TENANT_HOOKS:
            raise AttributeError(f"{hook!r} is a tenant hook")
        impls = getattr(self.pm.hook, hook).get_hookimpls()
        return [(impl.plugin_name, impl.function) for impl in impls if impl.plugin_name != CORE]

    def blueprints(self) -> list[tuple[str, Any]]:
        """``(plugin name, blueprint)`` of every installed plugin (hook ``register_blueprints``)."""
        return [
            (name, bp) for name, func in self.implementations("register_blueprints")
            for bp in func() or []
        ]  # fmt: skip

    def periodic_jobs(self) -> list[tuple[str, dict[str, Any]]]:
        """``(plugin name, job)`` of every installed plugin (hook ``periodic_jobs``), checked."""
        out = []
        for name, func in self.implementations("periodic_jobs"):
            for job in func() or []:
                missing = {"name", "interval", "func"} - set(job)
                if missing or not callable(job["func"]) or int(job["interval"]) < 1:
                    raise ValueError(
                        f"plugin {name!r}: a periodic job is a dict with a name, an interval "
                        f"(seconds, at least 1) and a callable func; got {job!r}"
                    )
                out.append((name, job))
        return out

    def periodic_job(self, plugin: str, job_name: str) -> dict[str, Any] | None:
        for name, job in self.periodic_jobs():
            if name == plugin and job["name"] == job_name:
                return job
        return None

    def register(self, plugin: object, name: str) -> None:
        """Register a plugin at run time (tests, scaffolding); clears the caches.

        Tenant hooks of a plugin registered this way are called at once. What is read when the
        application is created (blueprints, commands, periodic jobs, templates, static files,
        migrations) is not: install the plugin so that its entry point loads it, or pass it to
        ``create_app(plugins=Plugins(extra={name: plugin}))``.
        """
        self.pm.register(plugin, name=name)
        self._clear()

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self._clear()

    def _clear(self) -> None:
        self._relays.clear()
        self._sector_defaults.clear()
        self._folders.clear()
        self._audit_labels.clear()
        self._modules.clear()

    def plugin_of_module(self, module: str) -> str | None:
        """The name of the installed plugin whose package holds the module ``module``
        (``plugins.school_affairs.operations`` → ``school_affairs``); None for any other."""
        if module not in self._modules:
            found = None
            for name, plugin in self.installed().items():
                package = getattr(plugin, "__name__", None)
                if package and (module == package or module.startswith(package + ".")):
                    found = name
                    break
            self._modules[module] = found
        return self._modules[module]

    # -- audit labels
    def audit_labels(self, kind: str) -> dict[str, tuple[str, Any]]:
        """``{code: (plugin name, label)}`` of ``kind`` (``actions``, ``objects``, ``fields``) that
        the installed plugins give their audit codes (hook ``audit_labels``, cached); the label
        is translated in the plugin's domain (:mod:`core.audit_labels`)."""
        cached = self._audit_labels.get(kind)
        if cached is None:
            cached = {}
            for name, func in self.implementations("audit_labels"):
                answer = func() or {}
                unknown = set(answer) - {"actions", "objects", "fields"}
                if unknown:
                    raise ValueError(
                        f"plugin {name!r}: audit_labels answers actions, objects and fields; "
                        f"got {sorted(unknown)!r}"
                    )
                for code, label in (answer.get(kind) or {}).items():
                    cached.setdefault(code, (name, label))
            self._audit_labels[kind] = cached
        return cached

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

    def orgs_enabling(self, name: str) -> list:
        """The (enabled) organisations that enable the plugin ``name`` (one query)."""
        from sqlalchemy import select

        from core import db
        from tenants.models import Organisation

        orgs = db.session.scalars(
            select(Organisation).where(Organisation.enabled).order_by(Organisation.path)
        )
        return [org for org in orgs if self.is_enabled(org, name)]

    def relay(self, org) -> Relay:
        enabled = self.enabled_for(org)
        relay = self._relays.get(enabled)
        if relay is None:
            relay = self._relays[enabled] = Relay(self.pm, enabled)
        return relay


# --- what plugins bring besides hook answers (read when the application is created) ----------

SWEEP_PREFIX = "plugin"


def init_app(app) -> None:
    """Register the installed plugins' blueprints (with the 404 guard), commands and jobs."""
    from core import jobs

    plugins: Plugins = app.extensions["gongkai.plugins"]
    owners: dict[str, str] = {}
    for name, bp in plugins.blueprints():
        app.register_blueprint(bp)
        owners[bp.name] = name
    app.extensions["gongkai.plugin_blueprints"] = owners
    app.url_value_preprocessor(guard_plugin_route)
    app.url_defaults(_plugin_org_code)
    plugins.hook.register_commands(cli=app.cli)
    for name, job in plugins.periodic_jobs():
        jobs.register_sweep(
            f"{SWEEP_PREFIX}:{name}:{job['name']}",
            dispatch_periodic_job,
            int(job["interval"]),
            args=(name, job["name"]),
        )


def plugin_of_endpoint(endpoint: str | None) -> str | None:
    """The plugin whose blueprint serves ``endpoint`` (``None`` for core's routes)."""
    if not endpoint or "." not in endpoint:
        return None
    owners = current_app.extensions.get("gongkai.plugin_blueprints") or {}
    return owners.get(endpoint.split(".", 1)[0])


def guard_plugin_route(endpoint: str | None, values: dict | None) -> None:
    """The one guard of plugin routes (an app-wide URL value preprocessor, run before the
    blueprints' own): a route with ``<org_code>`` puts the organisation in ``g.org`` (404 for an
    unknown or disabled one) and answers 404 when the organisation has not enabled the plugin.
    Routes without ``<org_code>`` are the plugin's process-wide pages. Every page of the plugin
    is translated with its domain first (``core.i18n.as_plugin``)."""
    plugin = plugin_of_endpoint(endpoint)
    if plugin is None:
        return
    g._translate_as_plugin = plugin  # its pages use its translation domain first
    if not values or "org_code" not in values:
        return
    from tenants import resolution

    org = resolution.org_from_code(values.pop("org_code"))
    g.org = org
    if not current_app.extensions["gongkai.plugins"].is_enabled(org, plugin):
        abort(404)


def _plugin_org_code(endpoint: str, values: dict) -> None:
    """URL defaults for plugin routes: links within an organisation's pages keep its code."""
    if plugin_of_endpoint(endpoint) is not None:
        from tenants import resolution

        resolution.add_org_code(endpoint, values)


def dispatch_periodic_job(plugin: str, job_name: str) -> int:
    """Sweep of a plugin's periodic job: queue it once per organisation that enables the plugin
    (each run is its own job and unit of work, with ``g.org`` set); returns how many."""
    from core import jobs

    plugins: Plugins = current_app.extensions["gongkai.plugins"]
    if plugins.periodic_job(plugin, job_name) is None:  # no longer installed
        return 0
    orgs = plugins.orgs_enabling(plugin)
    for org in orgs:
        jobs.enqueue(run_periodic_job, plugin, job_name, org_id=org.id)
    return len(orgs)


def run_periodic_job(plugin: str, job_name: str) -> bool:
    """Job: run one plugin job for the organisation of the job (``g.org``), if it still enables
    the plugin; the job's function is called as ``func(org=org)``."""
    org = g.get("org")
    plugins: Plugins = current_app.extensions["gongkai.plugins"]
    job = plugins.periodic_job(plugin, job_name)
    if org is None or job is None or not plugins.is_enabled(org, plugin):
        return False
    job["func"](org=org)
    return True
