"""The register (党务公开工作登记簿, ARC-1, ARC-2): hash-chained entries per unit, each unit's head,
verify, export; the public register and signed checkpoints anyone can check from outside.

Other packages write to it through :func:`core.register.operations.append` only. Modules:
``models`` (entries, heads, checkpoints, keys; the hash formats), ``operations`` (append, verify,
export), ``checkpoints`` and ``signing`` (Ed25519 checkpoints of the heads), ``public`` (the
public pages and JSON), ``views`` and ``api`` (the register in the console and its API, for its
readers), ``remote`` (the outside verifier), ``cli``, ``jobs``, ``subscribers``.

Who reads a unit's register (``register.view``, the console page and the API): its admins,
reviewers and supervisors, and those of its superiors (ARC-1).
"""

from core import permissions

permissions.register("register.view", {"admin", "reviewer", "supervisor"}, "unit_or_superior")
