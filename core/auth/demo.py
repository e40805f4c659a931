"""The demo lets people create an account (``auth.self_registration`` on in every demo county),
so that a disclosure request can be filed by someone without a portal identity in ``make demo``;
off by default in production."""

from __future__ import annotations

from core.params import operations as params
from tenants import hierarchy

KEY = "auth.self_registration"


def load() -> str:
    changed = 0
    for root in hierarchy.roots():
        if params.resolve(root, KEY).source is None:  # a value set on purpose is kept
            params.set_value(root, KEY, True)
            changed += 1
    return f"Self-registration switched on in {changed} counties."
