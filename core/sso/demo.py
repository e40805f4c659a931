"""SSO for the demo: a local OIDC provider (``oidc-provider-mock``) as the platform-wide
"government portal" ``demo-portal``, with a few fictional people whose ``org_code`` claims name
demo organisations (``make demo-sso``; README "Demo accounts")."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests

from core.sso import operations as sso
from core.sso.models import SsoProvider

PROVIDER = "demo-portal"
ISSUER = "http://127.0.0.1:9400"
CLIENT_ID = "gongkai-demo"
CLIENT_SECRET = "gongkai-demo-secret"  # noqa: S105 (a demo value, not a secret)
LABELS = {
    "zh_Hans_CN": "政务服务网登录（演示）",
    "en": "Government portal (demo)",
    "ug": "ھۆكۈمەت مۇلازىمەت تورى (كۆرسەتمە)",
}
USERS = [
    # sub, claims: fictional people; org_code names a demo organisation
    ("demo-zhang-wei", {"name": "张伟", "email": "zhang.wei@example.org",
                        "org_code": "kashgar-kg3", "realname_level": 3, "account_type": "person"}),
    ("demo-li-na", {"name": "李娜", "email": "li.na@example.org",
                    "org_code": "hongjiang-agri", "realname_level": 2, "account_type": "person"}),
    ("demo-wang-fang", {"name": "王芳", "org_code": "hengdong-tts", "realname_level": 1,
                        "account_type": "person"}),
    ("demo-company", {"name": "红江示范农业有限公司", "realname_level": 2,
                      "account_type": "legal_entity"}),
]  # fmt: skip


def register(issuer: str = ISSUER) -> tuple[SsoProvider, bool]:
    """Add (or point again at ``issuer``) the platform-wide provider ``demo-portal``."""
    row = sso.get_provider(PROVIDER)
    if row is None:
        row = sso.create_provider(
            PROVIDER, issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            org_claim="org_code", labels=LABELS,
        )  # fmt: skip
        return row, True
    sso.update_provider(
        row, {"issuer": issuer, "client_id": CLIENT_ID, "org_claim": "org_code",
              "labels": LABELS, "enabled": True}, client_secret=CLIENT_SECRET,
    )  # fmt: skip
    return row, False


def seed_users(issuer: str = ISSUER, *, wait: float = 20.0) -> list[str]:
    """Define the demo people at the running provider (``PUT /users/<sub>``); waits for it."""
    issuer = issuer.rstrip("/")
    deadline = time.monotonic() + wait
    while True:
        try:
            requests.get(issuer + "/.well-known/openid-configuration", timeout=2).raise_for_status()
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    for sub, claims in USERS:
        requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()
    return [sub for sub, _claims in USERS]


def provider_command(port: int = 9400) -> list[str]:
    """The command line of the local demo portal, with the demo people predefined (they are
    offered as buttons on its sign-in form)."""
    binary = Path(sys.executable).with_name("oidc-provider-mock")
    command = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--require-nonce", "true"]
    for sub, claims in USERS:
        command += ["--user-claims", json.dumps({"sub": sub, **claims}, ensure_ascii=False)]
    return command
