"""The register's sweep, run by ``gongkai scheduler`` (or in-process in the embedded mode)."""

from __future__ import annotations

from core import jobs
from core.register import checkpoints


@jobs.periodic(interval=3600, name="sign_register_checkpoints")
def sign_register_checkpoints() -> int:
    """Once a day per unit whose register moved: sign its head (core.register.checkpoints)."""
    return checkpoints.sign_due()
