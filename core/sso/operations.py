"""Operations on sign-in providers and identities: the only code that changes them.

Also the questions other packages ask about a person's sign-in (IAM-1, IAM-2):

* :func:`realname_level` — the highest real-name level a portal asserted for a user (0: none);
* :func:`meets_realname_level` — does the user meet the ``request.min_realname_level`` of an
  organisation (the requests package refuses a request when not);
* :func:`local_signin_allowed` / :func:`local_signin_offered` — password sign-in, which a county
  can switch off with the ``auth.local_signin`` parameter.

Operations validate, mutate, flush and write the audit entry; they never commit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, or_, select

from core import audit, db, outbound
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.params import operations as params
from core.sso import crypto, providers
from core.sso.models import CLAIM_FIELDS, DEFAULT_CLAIMS, Identity, SsoProvider
from core.sso.providers import get_provider as get_provider
from tenants import operations as tenants
from tenants.models import CODE_PATTERN, Membership, Organisation, User

log = logging.getLogger(__name__)

PROVIDER_FIELDS = (
    "kind",
    "root_id",
    "issuer",
    "client_id",
    "scopes",
    "org_claim",
    "claim_map",
    "labels",
    "enabled",
)
STORED_FIELDS = ("issuer", "client_id", "kind", "scopes", "org_claim", "claim_map", "labels")
CLAIM_ROLE = "member"
"""The only role a claim can grant: staff roles come from admins, never from a portal."""


# --- reading ---------------------------------------------------------------------------------


def list_providers() -> list[SsoProvider]:
    return list(
        db.session.scalars(
            select(SsoProvider).order_by(SsoProvider.root_id.is_not(None), SsoProvider.name)
        )
    )


def providers_for(org: Organisation | None) -> list[SsoProvider]:
    """The enabled providers offered in the context of ``org``: the platform-wide ones and
    those of ``org``'s county (only the platform-wide ones without a context)."""
    scope = SsoProvider.root_id.is_(None)
    if org is not None:
        scope = or_(scope, SsoProvider.root_id == org.root_id)
    return list(
        db.session.scalars(
            select(SsoProvider)
            .where(SsoProvider.enabled.is_(True), scope)
            .order_by(SsoProvider.root_id.is_not(None), SsoProvider.name)
        )
    )


# --- providers -------------------------------------------------------------------------------


def _snapshot(row: SsoProvider) -> dict[str, Any]:
    return {f: getattr(row, f) for f in PROVIDER_FIELDS}


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _check(values: dict[str, Any]) -> list[str]:
    """Problems of a provider's fields (after normalisation)."""
    problems = []
    issuer = values["issuer"]
    parts = urlsplit(issuer)
    insecure_ok = _loopback(parts.hostname) or current_app.config.get("SSO_ALLOW_HTTP")
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        problems.append(
            gettext("issuer: give the portal's issuer URL, e.g. https://portal.example.gov.cn")
        )
    elif parts.scheme == "http" and not insecure_ok:
        problems.append(gettext("issuer: use https (plain http is only accepted on loopback)"))
    elif not outbound.url_allowed(issuer):
        problems.append(
            gettext(
                "issuer: not a public internet address (the platform's operator can allow "
                "addresses inside the network with GONGKAI_OUTBOUND_ALLOW)"
            )
        )
    if not values["client_id"] or len(values["client_id"]) > 255:
        problems.append(gettext("client id: required, at most 255 characters"))
    if values["kind"] not in providers.kinds():
        problems.append(
            gettext("kind: %(kind)s is not an installed sign-in kind", kind=values["kind"])
        )
    if values["kind"] == "oidc" and "openid" not in values["scopes"].split():
        problems.append(gettext("scopes: must include openid"))
    if len(values["scopes"]) > 500:
        problems.append(gettext("scopes: at most 500 characters"))
    claim = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
    if values["org_claim"] and not claim.match(values["org_claim"]):
        problems.append(gettext("organisation claim: a claim name (letters, digits, _ . : / -)"))
    for field, name in values["claim_map"].items():
        if field not in CLAIM_FIELDS:
            problems.append(gettext("claims: unknown field %(field)s", field=field))
        elif not claim.match(name or ""):
            problems.append(gettext("claims: %(field)s needs a claim name", field=field))
    for locale, label in values["labels"].items():
        if locale not in SUPPORTED_LOCALES:
            problems.append(gettext("labels: unknown language %(locale)s", locale=locale))
        elif len(label) > 100:
            problems.append(gettext("labels: at most 100 characters"))
    return problems


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["issuer"] = (out.get("issuer") or "").strip().rstrip("/")
    out["client_id"] = (out.get("client_id") or "").strip()
    out["kind"] = (out.get("kind") or "oidc").strip()
    out["scopes"] = " ".join((out.get("scopes") or "openid profile email").split())
    out["org_claim"] = (out.get("org_claim") or "").strip() or None
    given = {k: (v or "").strip() for k, v in (out.get("claim_map") or {}).items()}
    out["claim_map"] = {**DEFAULT_CLAIMS, **given}
    out["labels"] = {k: v.strip() for k, v in (out.get("labels") or {}).items() if v and v.strip()}
    return out


def county(code: str | None) -> Organisation | None:
    """The hosted county with ``code`` (None for ``None``: platform-wide)."""
    if code is None:
        return None
    org = tenants.get_org(code)
    if org is None:
        raise UserError(gettext("There is no organisation with code %(code)s.", code=code))
    if org.parent_id is not None:
        raise UserError(
            gettext(
                "%(code)s is not a hosted county: providers belong to a county (a root "
                "organisation) or to the whole platform.",
                code=code,
            )
        )
    return org


def create_provider(
    name: str,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    root: Organisation | None = None,
    kind: str = "oidc",
    scopes: str | None = None,
    org_claim: str | None = None,
    claim_map: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    enabled: bool = True,
    actor=None,
) -> SsoProvider:
    """Add a sign-in provider for the county ``root`` (None: the whole platform)."""
    if not re.match(CODE_PATTERN, name or ""):
        raise UserError(
            gettext("Invalid provider name %(name)s: use a-z, 0-9 and '-'.", name=repr(name))
        )
    if get_provider(name) is not None:
        raise UserError(gettext("A sign-in provider named %(name)s already exists.", name=name))
    values = _normalise(
        {"issuer": issuer, "client_id": client_id, "kind": kind, "scopes": scopes,
         "org_claim": org_claim, "claim_map": claim_map, "labels": labels}
    )  # fmt: skip
    problems = _check(values)
    if not client_secret:
        problems.append(gettext("client secret: required"))
    if problems:
        raise UserError(gettext("The sign-in provider was not saved."), problems=problems)
    row = SsoProvider(
        name=name,
        root_id=root.id if root else None,
        secret_encrypted=crypto.encrypt(client_secret),
        enabled=enabled,
        **{k: values[k] for k in STORED_FIELDS},
    )
    db.session.add(row)
    db.session.flush()
    audit.log(
        "sso.provider.create", "sso_provider", row.id, org_id=row.root_id, actor=actor,
        changes={**audit.diff({}, _snapshot(row)), "name": [None, name],
                 "client_secret": [None, "(set)"]},
    )  # fmt: skip
    return row


def update_provider(
    row: SsoProvider,
    changes: dict[str, Any],
    *,
    client_secret: str | None = None,
    actor=None,
) -> bool:
    """Apply ``changes`` (fields of :data:`PROVIDER_FIELDS`; ``claim_map`` and ``labels`` are
    merged); a non-empty ``client_secret`` replaces the stored one. True when anything changed."""
    unknown = set(changes) - set(PROVIDER_FIELDS)
    if unknown:
        raise UserError(f"Unknown provider fields: {', '.join(sorted(unknown))}")
    before = _snapshot(row)
    merged = {**before, **changes}
    if "claim_map" in changes:
        merged["claim_map"] = {**(row.claim_map or {}), **changes["claim_map"]}
    if "labels" in changes:
        merged["labels"] = {**(row.labels or {}), **changes["labels"]}
    values = _normalise(merged)  # an empty label removes it
    problems = _check(values)
    if problems:
        raise UserError(gettext("The sign-in provider was not saved."), problems=problems)
    for key in PROVIDER_FIELDS:
        value = values.get(key, merged[key])
        if getattr(row, key) != value:
            setattr(row, key, value)
    delta = audit.diff(before, _snapshot(row))
    if client_secret:
        row.secret_encrypted = crypto.encrypt(client_secret)
        delta["client_secret"] = ["(set)", "(changed)"]
    if not delta:
        return False
    row.updated_at = db.utcnow()
    db.session.flush()
    audit.log("sso.provider.update", "sso_provider", row.id, org_id=row.root_id, actor=actor,
              changes={**delta, "name": [row.name, row.name]})  # fmt: skip
    return True


def remove_provider(row: SsoProvider, *, actor=None) -> None:
    """Remove a provider; the identities it created stay (keyed by issuer and subject)."""
    snapshot = _snapshot(row)
    db.session.delete(row)
    db.session.flush()
    audit.log("sso.provider.remove", "sso_provider", row.id, org_id=row.root_id, actor=actor,
              changes={**audit.diff(snapshot, {}), "name": [row.name, None]})  # fmt: skip


# --- identities and sign-in ------------------------------------------------------------------


def _text(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:limit] or None


def _level(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _codes(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if isinstance(v, str | int) and str(v).strip()]


def username_for(row: SsoProvider, issuer: str, subject: str) -> str:
    """A user name for a new identity: the provider's name and a hash of (issuer, subject) —
    nothing personal, stable, unique."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    for length in (10, 16, 24, 64):
        candidate = f"{row.name[: 79 - length]}-{digest[:length]}"
        if tenants.get_user(candidate) is None:
            return candidate
    raise UserError("No free user name for this identity.")  # a SHA-256 collision


def sign_in(row: SsoProvider, claims: dict[str, Any]) -> User:
    """The user of the identity the portal vouched for, created at its first sign-in.

    The identity is (issuer, subject); the configured claims are kept (display name, e-mail,
    real-name level, account type, organisation code) and refreshed at each sign-in. The
    organisation claim grants the role ``member`` in each named organisation inside the
    provider's county (anywhere for a platform-wide provider); memberships are only ever added
    here, never revoked (an admin may have granted them).
    """
    issuer = (claims.get("iss") or "").rstrip("/")
    subject = _text(claims.get("sub"), 255)
    if not issuer or not subject:
        raise providers.SigninError("token", "the claims lack iss or sub")
    wanted = {f: row.claim(f) for f in CLAIM_FIELDS}
    if row.org_claim:
        wanted["org"] = row.org_claim
    snapshot = {claim: claims[claim] for claim in wanted.values() if claim in claims}
    display_name = _text(claims.get(wanted["display_name"]), 200)
    email = _text(claims.get(wanted["email"]), 254)
    level = _level(claims.get(wanted["realname_level"]))
    account_type = _text(claims.get(wanted["account_type"]), 40)

    identity = db.session.scalar(
        select(Identity).where(Identity.issuer == issuer, Identity.subject == subject)
    )
    if identity is None:
        username = username_for(row, issuer, subject)
        user = tenants.create_user(username, display_name=display_name or username, email=email)
        identity = Identity(
            user_id=user.id, provider_id=row.id, issuer=issuer, subject=subject,
            realname_level=level, account_type=account_type, claims=snapshot,
        )  # fmt: skip
        db.session.add(identity)
        db.session.flush()
        audit.log("sso.identity.create", "sso_identity", identity.id, actor=user,
                  changes={"provider": [None, row.name], "user": [None, user.username],
                           "realname_level": [None, level],
                           "account_type": [None, account_type]})  # fmt: skip
    else:
        user = db.session.get(User, identity.user_id)
        if not user.active:
            raise providers.SigninError("account", f"user {user.username} is disabled")
        before = {"realname_level": identity.realname_level,
                  "account_type": identity.account_type, "claims": identity.claims}  # fmt: skip
        identity.provider_id = row.id
        identity.realname_level = level
        identity.account_type = account_type
        identity.claims = snapshot
        identity.last_seen_at = db.utcnow()
        if display_name and user.display_name != display_name:
            user.display_name = display_name
        if email and user.email != email:
            user.email = email
        after = {"realname_level": level, "account_type": account_type, "claims": snapshot}
        delta = audit.diff(before, after)
        db.session.flush()
        if delta:
            audit.log("sso.identity.update", "sso_identity", identity.id, actor=user,
                      changes=delta)  # fmt: skip
    if row.org_claim:
        grant_claimed_memberships(row, user, _codes(claims.get(row.org_claim)))
    return user


def grant_claimed_memberships(row: SsoProvider, user: User, codes: list[str]) -> list[str]:
    """Grant ``member`` in each organisation of ``codes`` inside the provider's county; returns
    the codes granted (or already held). Codes outside it, unknown or disabled, grant nothing."""
    if not codes:
        return []
    orgs = db.session.scalars(select(Organisation).where(Organisation.code.in_(codes)))
    granted = []
    for org in orgs:
        inside = row.root_id is None or org.root_id == row.root_id
        if not inside or not org.enabled:
            log.warning("provider %s: claim names %s, outside its county", row.name, org.code)
            continue
        tenants.grant_membership(user, org, CLAIM_ROLE, actor=None)
        granted.append(org.code)
    ignored = set(codes) - set(granted)
    if ignored:
        log.warning("provider %s: organisation claim ignored for %s", row.name, sorted(ignored))
    return granted


def identities_of(user: User) -> list[Identity]:
    return list(db.session.scalars(select(Identity).where(Identity.user_id == user.id)))


def realname_level(user: User | None) -> int:
    """The highest real-name level any portal asserted for ``user`` (0: none, or anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    level = db.session.scalar(
        select(func.max(Identity.realname_level)).where(Identity.user_id == user.id)
    )
    return level or 0


def meets_realname_level(user: User | None, org: Organisation) -> bool:
    """True when ``user`` meets the minimum real-name level ``org`` requires for requests
    (parameter ``request.min_realname_level``; 0, the default, requires nothing)."""
    required = params.value(org, "request.min_realname_level")
    return not required or realname_level(user) >= required


# --- password sign-in, per county ------------------------------------------------------------


def local_signin_offered(org: Organisation | None) -> bool:
    """Whether the sign-in page in the context of ``org`` shows the password form."""
    return org is None or bool(params.value(org, "auth.local_signin"))


def local_signin_allowed(user: User) -> bool:
    """Password sign-in is refused to a user all of whose memberships lie where the parameter
    ``auth.local_signin`` is off; platform admins (and users without memberships) may."""
    if user.is_platform_admin:
        return True
    held = select(Membership.org_id).where(Membership.user_id == user.id)
    orgs = db.session.scalars(select(Organisation).where(Organisation.id.in_(held))).all()
    if not orgs:
        return True
    return any(params.value(org, "auth.local_signin") for org in orgs)
