"""Model discovery: import every ``models`` module of core and tenants (for Alembic and tests)."""

from __future__ import annotations

import importlib
import pkgutil

import core
import tenants

KERNEL_MODEL_MODULES = ("core.audit", "core.jobs")


def import_all_models() -> None:
    for name in KERNEL_MODEL_MODULES:
        importlib.import_module(name)
    for package in (core, tenants):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith(".models") and ".migrations" not in info.name:
                importlib.import_module(info.name)
