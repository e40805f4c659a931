"""A real OpenID Connect provider process for the tests: ``oidc-provider-mock`` on loopback.

It accepts any client id, secret and redirect address; people sign in by posting ``sub=<name>``
to the authorization URL (or ``action=deny``). Its claims are set with ``PUT /users/<sub>``.
It does not enforce PKCE: the tests check what our client sends instead.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from tests.services import free_port

BINARY = Path(sys.executable).with_name("oidc-provider-mock")


class OidcProvider:
    """``start()``, ``stop()``; ``issuer``; ``set_user(sub, **claims)``; ``login(url, sub)``."""

    def __init__(self, workdir: Path, *, port: int | None = None, extra: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.workdir = workdir
        self.extra = extra
        self.proc: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> OidcProvider:
        if not BINARY.exists():
            raise RuntimeError(f"{BINARY} is missing: pip install oidc-provider-mock")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.workdir / f"oidc-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(BINARY), "-p", str(self.port), "--require-nonce", "true", *self.extra],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                response = requests.get(self.discovery_url, timeout=1)
                if response.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.workdir / f"oidc-{self.port}.log").read_text()
                raise RuntimeError(f"oidc-provider-mock did not start:\n{log}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None
            self.log.close()

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    def set_user(self, sub: str, **claims) -> None:
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def login(self, authorize_url: str, sub: str) -> str:
        """Sign ``sub`` in at the authorization URL; the redirect back to our callback."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def deny(self, authorize_url: str) -> str:
        """Decline at the authorization URL; the redirect back to our callback."""
        response = requests.post(
            authorize_url, data={"action": "deny"}, allow_redirects=False, timeout=5
        )
        assert response.status_code == 302, response.text
        return response.headers["Location"]


def query(url: str) -> dict[str, str]:
    """The query parameters of ``url`` (one value each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def local_path(url: str) -> str:
    """``/path?query`` of an absolute URL (for the Flask test client)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
