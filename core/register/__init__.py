"""The register (党务公开工作登记簿, ARC-1, ARC-2): hash-chained entries per unit, verify, export.

Other packages write to it through :func:`core.register.operations.append` only.
"""
