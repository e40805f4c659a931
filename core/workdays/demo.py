"""The demo's working-day calendar: the years the chinese-calendar package knows.

Loaded by ``gongkai demo load``; running it again changes nothing (a loaded year is kept).
"""

from __future__ import annotations

from core.workdays import operations, seed


def load() -> str:
    loaded = operations.seed_from_package()
    known = seed.package_years()
    span = f"{known[0]}-{known[-1]}" if known else "none"
    if loaded:
        return f"Working-day calendar: loaded {len(loaded)} year(s) from chinese-calendar ({span})."
    return f"Working-day calendar: already loaded ({span})."
