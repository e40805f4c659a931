"""Receipt numbers and lookup codes: what a visitor without an account keeps to follow what they
submitted (feedback, an objection to a notice).

Kernel module. A receipt is a prefix and eight characters that can be read out on the phone
(``FK-7KQ2-M9XD``); the lookup code is eight more, shown once and never stored: only the digest
of the receipt and the code is kept, and a look-up compares digests in constant time, doing the
same work whether the receipt exists or not.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out on the phone
LOOKUP_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
MAX_RECEIPT, MAX_CODE = 20, 40
"""The longest receipt and code a look-up considers (anything longer is no match)."""


def new_receipt(prefix: str, taken: Callable[[str], bool]) -> str:
    """A fresh receipt ``<prefix>-XXXX-XXXX`` that ``taken`` says is free."""
    while True:
        raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
        receipt = f"{prefix}-{raw[:4]}-{raw[4:]}"
        if not taken(receipt):
            return receipt


def new_code() -> str:
    """A lookup code (shown once to the visitor; store :func:`digest` only)."""
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(8))


def digest(receipt: str, code: str) -> str:
    return hashlib.sha256(f"{receipt}:{code.strip().lower()}".encode()).hexdigest()


def normalise(prefix: str, value: str | None) -> str:
    """What a person types (lower case, spaces, no dashes) as the stored ``<prefix>-XXXX-XXXX``."""
    raw = re.sub(r"[^0-9A-Za-z]", "", value or "").upper()
    if raw.startswith(prefix):
        raw = raw[len(prefix) :]
    return f"{prefix}-{raw[:4]}-{raw[4:8]}" if len(raw) == 8 else (value or "").strip().upper()


def usable(receipt: str, code: str) -> bool:
    """Whether a typed receipt and code are worth looking up at all."""
    return bool(receipt and code and len(receipt) <= MAX_RECEIPT and len(code) <= MAX_CODE)


def matches(stored_digest: str | None, receipt: str, code: str) -> bool:
    """Whether ``code`` is the lookup code of ``receipt`` (the same work when nothing is stored)."""
    computed = digest(receipt, code)
    return bool(stored_digest) and hmac.compare_digest(stored_digest or computed, computed)
