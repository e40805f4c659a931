"""Importable job functions for tests/test_jobs.py (RQ workers import jobs by dotted path)."""

from __future__ import annotations

from flask import g

from core import audit


def record(tag: str, *, note: str = "") -> str:
    """Write an audit entry ``job.ran`` for ``tag`` (the job's visible effect)."""
    org = g.get("org")
    audit.log(
        "job.ran",
        "job",
        tag,
        org_id=org.id if org is not None else None,
        changes={"note": [None, note]} if note else {},
    )
    return tag


def fail(message: str = "boom") -> None:
    raise RuntimeError(message)
