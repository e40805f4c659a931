"""The register (党务公开工作登记簿, ARC-1, ARC-2): hash-chained entries per unit, verify, export.

Other packages write to it through :func:`core.register.operations.append` only.

Who reads a unit's register (``register.view``, the console page and the API): its admins,
reviewers and supervisors, and those of its superiors (ARC-1).
"""

from core import permissions

permissions.register("register.view", {"admin", "reviewer", "supervisor"}, "unit_or_superior")
