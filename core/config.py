"""Configuration from environment variables, with safe embedded defaults.

Kernel module: imports nothing else of the project.

| variable | default | meaning |
|---|---|---|
| ``GONGKAI_ENV`` | ``development`` | ``production`` refuses to start without ``SECRET_KEY`` |
| ``GONGKAI_INSTANCE_PATH`` | ``instance/`` | SQLite file, generated secret, uploads |
| ``GONGKAI_DATABASE_URL`` | SQLite file in the instance folder | SQLAlchemy URL |
| ``REDIS_URL`` | unset | RQ queues and rate limits; unset = embedded in-process jobs |
| ``SECRET_KEY`` | generated once into the instance folder (development only) | session signing |
| ``GONGKAI_DEFAULT_LOCALE`` | ``zh_Hans_CN`` | platform default language |
| ``GONGKAI_OUTBOUND_ALLOW`` | empty | addresses and networks (``127.0.0.1,10.0.0.0/8``) that
  outbound calls may reach although they are not public (see ``core.outbound``) |
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_LOCALES = ("zh_Hans_CN", "en", "ug")
DEFAULT_LOCALE = "zh_Hans_CN"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which variable to set."""


@dataclass(frozen=True)
class Settings:
    env: str
    instance_path: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    default_locale: str
    outbound_allow: tuple = ()

    @property
    def production(self) -> bool:
        return self.env == "production"


def _secret_key(env: str, instance_path: Path, environ) -> str:
    key = environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set in production (GONGKAI_ENV=production).")
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def parse_outbound_allow(text: str) -> tuple:
    """``GONGKAI_OUTBOUND_ALLOW``: addresses or networks separated by commas (or spaces)."""
    networks = []
    for part in (text or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(
                f"GONGKAI_OUTBOUND_ALLOW: {part!r} is not an IP address or network "
                "(e.g. 127.0.0.1 or 10.0.0.0/8)."
            ) from None
    return tuple(networks)


def load_settings(environ=None, **overrides) -> Settings:
    """Read the settings from ``environ`` (default ``os.environ``); ``overrides`` win."""
    environ = os.environ if environ is None else environ
    env = overrides.get("env") or environ.get("GONGKAI_ENV", "development")
    if env not in ("development", "production", "testing"):
        raise ConfigError(f"GONGKAI_ENV must be development, production or testing, not {env!r}.")
    instance_path = Path(
        overrides.get("instance_path") or environ.get("GONGKAI_INSTANCE_PATH") or "instance"
    ).resolve()
    instance_path.mkdir(parents=True, exist_ok=True)
    database_url = (
        overrides.get("database_url")
        or environ.get("GONGKAI_DATABASE_URL")
        or f"sqlite:///{instance_path / 'gongkai.sqlite'}"
    )
    redis_url = overrides.get("redis_url", environ.get("REDIS_URL") or None)
    default_locale = overrides.get("default_locale") or environ.get(
        "GONGKAI_DEFAULT_LOCALE", DEFAULT_LOCALE
    )
    if default_locale not in SUPPORTED_LOCALES:
        raise ConfigError(f"GONGKAI_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}.")
    secret_key = overrides.get("secret_key") or _secret_key(env, instance_path, environ)
    allow = overrides.get("outbound_allow", environ.get("GONGKAI_OUTBOUND_ALLOW", ""))
    outbound_allow = parse_outbound_allow(allow) if isinstance(allow, str) else tuple(allow)
    return Settings(
        env=env,
        instance_path=instance_path,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secret_key,
        default_locale=default_locale,
        outbound_allow=outbound_allow,
    )


def switch(app, name: str) -> bool:
    """An on/off setting of ``app``: its config if set, else the environment variable ``name``
    (``0`` is off), else on outside the tests; the answer is kept in the config."""
    default = "1" if not app.testing else "0"
    app.config.setdefault(name, os.environ.get(name, default) != "0")
    return bool(app.config[name])
