"""A real OpenID Connect provider process for the tests: ``oidc-provider-mock`` on loopback.

It accepts any client id, secret and redirect address; people sign in by posting ``sub=<name>``
to the authorization URL (or ``action=deny``). Its claims are set with ``PUT /users/<sub>``.
It does not enforce PKCE: the tests check what our client sends instead.
"""

from __future__ import annotations

import html
import json
import re
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

    def command(self) -> tuple[list[str], Path | None, dict[str, str] | None]:
        """The provider's command line, working directory and environment."""
        if not BINARY.exists():
            raise RuntimeError(f"{BINARY} is missing: pip install oidc-provider-mock")
        command = [str(BINARY), "-p", str(self.port), "--require-nonce", "true", *self.extra]
        return command, None, None

    def start(self, timeout: float = 30.0):
        command, cwd, env = self.command()
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_path = self.workdir / f"oidc-{self.port}.log"
        self.log = open(log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
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
                raise RuntimeError(f"{command[0]} did not start:\n{log_path.read_text()}")
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


NODE_PROVIDER = Path(__file__).with_name("oidc_provider")


def node_provider_installed() -> bool:
    """Install panva's oidc-provider from the lockfile (``npm ci``) unless it is installed."""
    import shutil

    if (NODE_PROVIDER / "node_modules" / "oidc-provider").is_dir():
        return True
    if not (shutil.which("node") and shutil.which("npm")):
        return False
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
        cwd=NODE_PROVIDER, check=True, timeout=300,
    )  # fmt: skip
    return True


class ConformantOidcProvider(OidcProvider):
    """panva's ``oidc-provider`` (node) on loopback, configured as OpenID Connect Core has it
    for the code flow: the ID token carries ``sub`` (and the protocol claims) only; the claims of
    the scopes asked for — ``profile`` (name), ``email``, ``org`` (``org_code``,
    ``realname_level``, ``account_type``) — are released at the UserInfo endpoint. PKCE is
    required. ``users``: ``{sub: claims}``; ``login(url, sub)`` walks its login and consent
    forms and returns the redirect back to our callback."""

    def __init__(self, workdir: Path, *, users: dict, client_id: str, client_secret: str,
                 redirect_uri: str):  # fmt: skip
        super().__init__(workdir)
        self.env = {
            "PORT": str(self.port), "CLIENT_ID": client_id, "CLIENT_SECRET": client_secret,
            "REDIRECT_URI": redirect_uri, "USERS": json.dumps(users, ensure_ascii=False),
        }  # fmt: skip
        self.redirect_uri = redirect_uri

    def command(self) -> tuple[list[str], Path | None, dict[str, str] | None]:
        import os

        return ["node", "server.mjs"], NODE_PROVIDER, {**os.environ, **self.env}

    def login(self, authorize_url: str, sub: str) -> str:
        """Sign ``sub`` in (any password) and consent; the redirect back to our callback."""
        browser = requests.Session()
        url, data = authorize_url, None
        for _ in range(12):
            if data is None:
                response = browser.get(url, allow_redirects=False, timeout=5)
            else:
                response = browser.post(url, data=data, allow_redirects=False, timeout=5)
            data = None
            if response.is_redirect:
                location = requests.compat.urljoin(url, response.headers["Location"])
                if location.startswith(self.redirect_uri):
                    return location
                url = location
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert response.status_code == 200 and form, response.text[:500]
            url = requests.compat.urljoin(url, html.unescape(form.group(1)))
            fields = dict(
                re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', response.text)
            )
            data = (
                {**fields, "login": sub, "password": "any"} if "login" in response.text else fields
            )
        raise AssertionError("the provider's sign-in did not come back to our callback")
