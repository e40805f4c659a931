"""Encryption at rest of the providers' client secrets (Fernet, from ``cryptography``).

The key comes from ``GONGKAI_ENCRYPTION_KEY`` when it is set (in the environment or the app
config): one Fernet key, or several separated by commas — the first encrypts, all of them decrypt,
so a key can be rotated by putting the new one first. Without it, a key is derived from
``SECRET_KEY`` with HKDF-SHA256 (then changing ``SECRET_KEY`` makes the stored secrets unreadable).
The derived key always decrypts too, so moving from it to an explicit key needs no re-encryption.

A secret that no key opens raises :class:`SecretUnreadable` (a :class:`~core.errors.UserError`
with a message that says what to do), never a bare ``InvalidToken``.
"""

from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from core.errors import UserError

ENV = "GONGKAI_ENCRYPTION_KEY"
HKDF_INFO = b"gongkai sso client secrets"


class SecretUnreadable(UserError):
    status = 503


class BadEncryptionKey(SecretUnreadable):
    """``GONGKAI_ENCRYPTION_KEY`` is set but is not a Fernet key."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from ``SECRET_KEY`` (HKDF-SHA256, fixed salt and context)."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"gongkai-encryption", info=HKDF_INFO
    ).derive(secret_key.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def _keys() -> list[bytes]:
    configured = current_app.config.get(ENV) or os.environ.get(ENV) or ""
    keys: list[bytes] = []
    for part in (p.strip() for p in configured.split(",")):
        if not part:
            continue
        try:
            Fernet(part.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise BadEncryptionKey(
                f"{ENV} is not a valid Fernet key (32 url-safe base64-encoded bytes). "
                'Generate one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None
        keys.append(part.encode("ascii"))
    keys.append(derived_key(current_app.config["SECRET_KEY"]))
    return keys


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _keys()])


def encrypt(plaintext: str) -> str:
    """The ciphertext of ``plaintext`` (text, safe to store)."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str, *, what: str = "the secret") -> str:
    """The plaintext of ``ciphertext``; :class:`SecretUnreadable` when no key opens it."""
    if not ciphertext:
        return ""
    try:
        return _fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretUnreadable(
            f"{what} cannot be decrypted: the encryption key ({ENV}, or SECRET_KEY when it is "
            "not set) is not the one it was stored with. Restore the old key, or store the "
            "secret again (gongkai sso set NAME --client-secret-stdin)."
        ) from None
