"""The deployment's key for signing register checkpoints (Ed25519, through ``cryptography``).

Where the private key comes from, first found wins:

1. ``GONGKAI_REGISTER_SIGNING_KEY`` in the environment (or the app config key of that name): the
   32-byte private key in base64url (``gongkai register keygen`` prints a new one), or a PEM
   (PKCS #8) text;
2. outside production only: ``<instance>/register-signing-key``, generated once (mode 0600), so a
   newcomer's demo signs without any setting.

In production without the variable nothing is signed: the sweep logs a warning and
``gongkai register checkpoint`` refuses with a message naming the variable.

A key is named by its **key id**: the first 32 hex digits of the SHA-256 of its raw public key.
Every public key that ever signed is kept in ``register_keys`` and published at
``/.well-known/gongkai-register-keys.json`` (RFC 8037 JWKs: ``kty`` OKP, ``crv`` Ed25519). To
rotate, set a new key and restart: the first checkpoint signed with it records it and marks the
previous key retired (its ``retired_at`` is published); checkpoints signed before that stay
valid, a checkpoint claiming a retired key after its retirement does not.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from core.register.models import canonical_json

log = logging.getLogger(__name__)

ENV = "GONGKAI_REGISTER_SIGNING_KEY"
KEY_FILE = "register-signing-key"
ALGORITHM = "Ed25519"


class SigningKeyError(ValueError):
    """The configured key cannot be read (the message says why, never the key)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate() -> str:
    """A new private key, as the environment variable takes it (base64url, 43 characters)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return b64url(raw)


def parse_private_key(text: str) -> Ed25519PrivateKey:
    text = (text or "").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{ENV}: not a readable PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{ENV}: the PEM key is not an Ed25519 key")
        return key
    try:
        raw = unb64url(text.replace("+", "-").replace("/", "_"))
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{ENV}: not base64url") from exc
    if len(raw) != 32:
        raise SigningKeyError(f"{ENV}: an Ed25519 private key is 32 bytes (43 base64url)")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:32]


def _instance_key(instance_path: Path) -> str:
    path = instance_path / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    text = generate()
    path.write_text(text)
    path.chmod(0o600)
    return text


def load_private_key() -> Ed25519PrivateKey | None:
    """The deployment's signing key, or None in production when none is configured."""
    app = current_app
    text = app.config.get(ENV) or os.environ.get(ENV, "")
    if text.strip():
        return parse_private_key(text)
    if app.config.get("GONGKAI_ENV") == "production":
        return None
    return parse_private_key(_instance_key(Path(app.instance_path)))


def sign(key: Ed25519PrivateKey, payload: dict) -> str:
    return b64url(key.sign(canonical_json(payload).encode("utf-8")))


def valid_signature(public_key: str, payload: dict, signature: str) -> bool:
    """Whether ``signature`` (base64url) is ``public_key``'s (base64url, raw) over ``payload``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(unb64url(public_key))
        key.verify(unb64url(signature), canonical_json(payload).encode("utf-8"))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
