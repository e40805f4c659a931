"""Schema migrations through Alembic, driven by the application's database URL.

This package is the Alembic folder (``env.py``, ``versions/``) and the code that drives it.

Core's revisions form one chain in ``core/migrations/versions``. Each installed plugin may add
its own branch: the revisions in its package's ``migrations/`` folder (found with the installed
plugins, :func:`plugin_folders`), whose first revision has ``down_revision = None``,
``branch_labels = ("<plugin name>",)`` and ``depends_on`` a core revision. :func:`upgrade`
upgrades every branch (``heads``); :func:`current` answers core's revision.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config

from core import db

MIGRATIONS = Path(__file__).parent
KERNEL_MODEL_MODULES = ("core.audit", "core.jobs")
"""Kernel modules that define tables (they are not ``models`` modules of a package)."""


def import_all_models() -> None:
    """Import every ``models`` module of core and tenants, so that ``db.Base.metadata`` holds
    every table (for Alembic and the tests); models are discovered by name, not listed."""
    import core
    import tenants

    for name in KERNEL_MODEL_MODULES:
        importlib.import_module(name)
    for package in (core, tenants):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith(".models") and ".migrations" not in info.name:
                importlib.import_module(info.name)


def plugin_folders() -> dict[str, Path]:
    """``{plugin name: migrations folder}`` of the installed plugins: those of the current
    application, or (no application yet) those the entry points install."""
    from flask import current_app, has_app_context

    if has_app_context() and "gongkai.plugins" in current_app.extensions:
        plugins = current_app.extensions["gongkai.plugins"]
    else:
        from core.plugins import Plugins

        plugins = Plugins()
    return plugins.folders("migrations")


def alembic_config(url: str, *, plugins: bool = False) -> Config:
    """Alembic's configuration: core's chain, and with ``plugins`` every plugin's branch."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.normalise_url(url).replace("%", "%%"))
    folders = plugin_folders() if plugins else {}
    if folders:
        locations = [str(MIGRATIONS / "versions"), *(str(f) for f in folders.values())]
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations", os.pathsep.join(locations).replace("%", "%%"))
    return cfg


def database_only(metadata=None) -> dict[str, set[str]]:
    """Objects that exist only in the database, not in the models: dialect-specific DDL (a
    full-text table, a generated column, its index) that a migration creates by hand.

    A table declares them in ``info["database_only"]``: ``{"tables": (...), "columns": (...),
    "indexes": (...)}`` (columns of that table; tables and indexes by name).
    """
    names: dict[str, set[str]] = {"table": set(), "column": set(), "index": set()}
    for table in (metadata or db.Base.metadata).tables.values():
        declared = table.info.get("database_only", {})
        names["table"].update(declared.get("tables", ()))
        names["column"].update(f"{table.name}.{c}" for c in declared.get("columns", ()))
        names["index"].update(declared.get("indexes", ()))
    return names


_scope: dict[str, set[str] | None] = {"only": None, "exclude": None}
"""Tables an autogenerate compares: only a plugin's own (its revision), or all but the plugins'
(a core revision). ``None``: no restriction (comparisons in tests)."""


def plugin_tables(module_name: str) -> set[str]:
    """Tables of the models defined in the plugin module ``module_name`` (or its submodules)."""
    return {
        mapper.local_table.name
        for mapper in db.Base.registry.mappers
        if mapper.class_.__module__ == module_name
        or mapper.class_.__module__.startswith(f"{module_name}.")
    }


def include_object(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic ``include_object`` hook: a plugin's revision compares its own tables only, and a
    core revision leaves the plugins' tables out (both in the models and the database)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    if table is None:
        return True
    if _scope["only"] is not None and table not in _scope["only"]:
        return False
    return _scope["exclude"] is None or table not in _scope["exclude"]


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: leave the :func:`database_only` objects out of comparisons
    (autogenerate would otherwise drop them, and the models-vs-migrations test report them)."""
    if name is None:
        return True
    hidden = database_only()
    if type_ == "column":
        return f"{parent_names.get('table_name')}.{name}" not in hidden["column"]
    return name not in hidden.get(type_, set())


UPGRADE_LOCK = 0x676F6E676B6169  # "gongkai": the advisory lock one upgrade holds on PostgreSQL


@contextmanager
def _one_at_a_time(url: str):
    """On PostgreSQL, hold an advisory lock for the duration: a second ``db upgrade`` started
    meanwhile (a retried migration Job, an operator) waits, then finds nothing left to do."""
    from sqlalchemy import text

    engine = db.get_engine(url)
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK})
            conn.commit()


def upgrade(url: str, revision: str = "heads") -> None:
    """Upgrade core and every plugin branch (``heads``), or to one ``revision``."""
    with _one_at_a_time(url):
        command.upgrade(
            alembic_config(url, plugins=True), "heads" if revision == "head" else revision
        )


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url, plugins=True), revision)


def heads(url: str) -> tuple[str, ...]:
    """The revisions the database is at: core's and one per plugin branch."""
    from alembic.migration import MigrationContext

    with db.get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_heads()


def expected_heads(url: str) -> tuple[str, ...]:
    """The revisions this code's migrations end at: core's head and each plugin branch's."""
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config(url, plugins=True)).get_heads())


def pending(url: str) -> list[str]:
    """The heads this code expects that the database has not reached (empty: up to date).

    A database that is *ahead* of the code (an older process after ``db upgrade``) counts as
    up to date only when every head of the code is at or below the database's."""
    from alembic.script import ScriptDirectory

    at = heads(url)
    if not at:
        return list(expected_heads(url))
    script = ScriptDirectory.from_config(alembic_config(url, plugins=True))
    try:
        reached = {r.revision for r in script.revision_map.iterate_revisions(at, "base")}
    except Exception:  # the database is at a revision this code does not know (newer code ran)
        return []
    return [head for head in script.get_heads() if head not in reached]


def current(url: str) -> str | None:
    """Core's revision of the database (plugin branches left out; see :func:`heads`).

    A plugin branch that ``depends_on`` core's latest revision takes its place in Alembic's
    version table (Alembic keeps only the heads of the dependency graph), so core's revision is
    the newest core revision among the ancestors of every head, dependencies included."""
    from alembic.script import ScriptDirectory

    at = heads(url)
    if not at:
        return None
    core_script = ScriptDirectory.from_config(alembic_config(url))
    core_chain = [r.revision for r in core_script.walk_revisions()]
    if len(at) == 1 and at[0] in core_chain:
        return at[0]
    script = ScriptDirectory.from_config(alembic_config(url, plugins=True))
    below = {r.revision for r in script.revision_map.iterate_revisions(at, "base")}
    return next((rev for rev in core_chain if rev in below), None)


def revision(url: str, message: str) -> None:
    """Autogenerate a core revision (on core's head, in core's folder)."""
    from alembic.script import ScriptDirectory

    core_head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    plugins = _installed()
    excluded = set().union(*(plugin_tables(p.__name__) for p in plugins.values()))
    with _scoped("exclude", excluded):
        command.revision(alembic_config(url, plugins=True), message=message, autogenerate=True,
                         head=core_head, version_path=str(MIGRATIONS / "versions"))  # fmt: skip


def plugin_revision(url: str, plugin: str, message: str) -> None:
    """Autogenerate a revision of ``plugin``'s branch into its ``migrations/`` folder (the first
    one starts the branch, labelled with the plugin's name and depending on core's head)."""
    from alembic.script import ScriptDirectory

    folder = plugin_folders().get(plugin)
    if folder is None:
        raise ValueError(f"the plugin {plugin!r} is not installed or has no migrations/ folder")
    cfg = alembic_config(url, plugins=True)
    script = ScriptDirectory.from_config(cfg)
    with _scoped("only", plugin_tables(_installed()[plugin].__name__)):
        if any(plugin in (r.branch_labels or ()) for r in script.walk_revisions()):
            command.revision(cfg, message=message, autogenerate=True, head=f"{plugin}@head",
                             version_path=str(folder))  # fmt: skip
            return
        core_head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        command.revision(cfg, message=message, autogenerate=True, head="base",
                         branch_label=plugin, version_path=str(folder),
                         depends_on=core_head)  # fmt: skip


def _installed() -> dict[str, object]:
    from flask import current_app, has_app_context

    if has_app_context() and "gongkai.plugins" in current_app.extensions:
        return current_app.extensions["gongkai.plugins"].installed()
    from core.plugins import Plugins

    return Plugins().installed()


@contextmanager
def _scoped(key: str, tables: set[str]):
    _scope[key] = tables
    try:
        yield
    finally:
        _scope[key] = None
