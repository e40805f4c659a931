"""Sign-in provider kinds: the :class:`SigninProvider` interface and the built-in OIDC kind.

A *kind* is a class; a *provider* is a database row (:class:`~core.sso.models.SsoProvider`)
configured with a kind. Kinds are found through the process-wide hook
``signin_provider_kinds()`` (core's default plugin offers ``{"oidc": OidcProvider}``), so a
CAS-style ticket portal can be added by a plugin. An instance is built per request from the row
(:func:`build`), so an edit of the row applies at once.

The flow, driven by :mod:`core.sso.views`::

    GET /auth/sso/<name>       provider.start(next_url)  -> a redirect to the portal
    GET /auth/callback/<name>  provider.finish()         -> verified claims {"iss", "sub", ...}
    POST /auth/logout          provider.logout_url(hint=..., return_to=...) -> the portal's
                               end-of-session page, or None

Anything that goes wrong in ``start`` or ``finish`` raises :class:`SigninError` with a reason
code; the view shows a translated page for it and nothing is created.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import requests
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import OAuthError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import Response, current_app, request, session, url_for
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from sqlalchemy import select

from core import db, outbound
from core.sso import crypto
from core.sso.models import SsoProvider

log = logging.getLogger(__name__)

REASONS = {
    # reason: HTTP status of the error page
    "unknown": 404,  # no such provider, disabled, or its kind is not installed
    "denied": 403,  # the person declined at the portal (error=access_denied)
    "state": 400,  # missing, tampered or already used state: not the flow we started
    "code": 400,  # the code was refused (replayed or expired: invalid_grant)
    "nonce": 400,  # the ID token answers another sign-in (wrong or missing nonce)
    "expired": 400,  # the ID token has expired
    "token": 400,  # the ID token is not valid (signature, issuer, audience, missing)
    "provider": 400,  # the portal answered with another error
    "account": 403,  # the account linked to this identity is disabled
    "unreachable": 502,  # the portal cannot be reached (discovery, keys or token endpoint)
    "refused": 502,  # the portal's address (or an endpoint it names) is not a public address
    "config": 502,  # the portal's configuration does not match ours (issuer, endpoints)
    "secret": 503,  # the stored client secret cannot be decrypted
}


def clock() -> float:
    """Seconds since the epoch, used to check ID-token times (tests may shift it)."""
    return time.time()


class SigninError(Exception):
    """A sign-in that cannot complete; ``reason`` is a key of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "", *, status: int | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason if reason in REASONS else "provider"
        self.detail = detail
        self.status = status or REASONS[self.reason]


class SigninProvider:
    """A sign-in provider kind. Subclass it, set :attr:`kind`, implement :meth:`start` and
    :meth:`finish` (and :meth:`logout_url` when the portal can end its own session).

    ``self.config`` is the database row: ``name``, ``issuer``, ``client_id``, ``scopes``,
    ``labels`` …; :meth:`client_secret` decrypts the secret. ``self.callback_url`` is the
    absolute URL of ``/auth/callback/<name>``, where the portal sends the browser back.
    """

    kind: ClassVar[str] = ""

    def __init__(self, config: SsoProvider):
        self.config = config
        self.logout_hint: str | None = None
        """Set by :meth:`finish` when the portal needs a value to end its session later (an
        OIDC ID token); the session keeps it and gives it back to :meth:`logout_url`."""

    @property
    def name(self) -> str:
        return self.config.name

    def label(self, locale: str) -> str:
        return self.config.label(locale)

    @property
    def callback_url(self) -> str:
        return url_for("sso.callback", provider=self.name, _external=True)

    def client_secret(self) -> str:
        return crypto.decrypt(
            self.config.secret_encrypted,
            what=f"The client secret of sign-in provider {self.name!r}",
        )

    def start(self, next_url: str) -> Response:
        """The response that sends the browser to the portal (``next_url``: where the person
        goes after signing in; the view keeps it, a kind may ignore it)."""
        raise NotImplementedError

    def finish(self) -> dict[str, Any]:
        """Verify the portal's answer (the callback request) and return its claims: a dict with
        at least ``iss`` (the issuer) and ``sub`` (the stable subject). Raise
        :class:`SigninError` when it cannot be trusted."""
        raise NotImplementedError

    def logout_url(self, *, hint: str | None, return_to: str) -> str | None:
        """Where to send the browser to end the portal's session too, or None."""
        return None


# --- the built-in OIDC kind (Authlib) --------------------------------------------------------

_discovery: dict[str, dict[str, Any]] = {}
"""Discovery documents (plus the JWKS once fetched) per issuer, for ``SSO_DISCOVERY_TTL``."""


def _normalise_issuer(issuer: str) -> str:
    return (issuer or "").strip().rstrip("/")


def discovery(issuer: str) -> dict[str, Any]:
    """The provider's discovery document (cached per issuer for ``SSO_DISCOVERY_TTL`` s)."""
    issuer = _normalise_issuer(issuer)
    ttl = float(current_app.config.get("SSO_DISCOVERY_TTL", 300))
    cached = _discovery.get(issuer)
    if cached is not None and clock() - cached["_loaded_at"] < ttl:
        return cached
    url = issuer + "/.well-known/openid-configuration"
    timeout = float(current_app.config.get("SSO_TIMEOUT", 10))
    metadata = fetch_json("discovery", url, lambda: outbound.get(url, timeout=timeout))
    if _normalise_issuer(metadata.get("issuer", "")) != issuer:
        raise SigninError(
            "config", f"discovery names issuer {metadata.get('issuer')!r}, expected {issuer!r}"
        )
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in needed if not metadata.get(k)]
    if missing:
        raise SigninError("config", f"discovery {url} lacks {', '.join(missing)}")
    metadata["_loaded_at"] = clock()
    _discovery[issuer] = metadata
    return metadata


def fetch_json(what: str, url: str, call) -> dict[str, Any]:
    """The JSON object ``call()`` answers (a response of ``url``), or :class:`SigninError`:
    ``refused`` (the outbound guard), ``unreachable`` or ``config`` (not a JSON object)."""
    try:
        response = call()
        response.raise_for_status()
        data = response.json()
    except outbound.AddressRefused as exc:
        raise SigninError("refused", f"{what} {url}: {exc}") from None
    except (outbound.OutboundError, requests.RequestException) as exc:
        raise SigninError("unreachable", f"{what} {url}: {exc}") from None
    except ValueError:
        raise SigninError("config", f"{what} {url} is not JSON") from None
    if not isinstance(data, dict):
        raise SigninError("config", f"{what} {url} is not a JSON object")
    return data


class _IDToken(CodeIDToken):
    """ID-token claims checked against :func:`clock` (so that tests can shift the time)."""

    def validate(self, now=None, leeway=0):
        super().validate(now=int(clock()) if now is None else now, leeway=leeway)


class _GuardedSession(OAuth2Session):
    """Authlib's session with the outbound guard (:mod:`core.outbound`): the token, keys and
    UserInfo endpoints a discovery document names are called only at permitted addresses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        outbound.guard(self)


class _GuardedApp(FlaskOAuth2App):
    client_cls = _GuardedSession


class OidcProvider(SigninProvider):
    """OpenID Connect, authorization code flow with PKCE (S256), state and nonce (Authlib).

    The ID token's signature is checked with the provider's JWKS (from discovery), and its
    ``iss`` (the configured issuer), ``aud`` (our client id), ``exp``/``iat``, ``nonce`` and
    ``at_hash`` claims are validated.
    """

    kind = "oidc"

    compliance_fix = None
    """Optional ``fix(session)`` called with every Authlib (requests) session made: a place for
    Authlib compliance hooks when a portal deviates from the standard (and for tests)."""

    def _client(self) -> FlaskOAuth2App:
        row = self.config
        metadata = discovery(row.issuer)
        name = f"sso-{row.name}"
        offered = metadata.get("token_endpoint_auth_methods_supported") or []
        auth_method = (
            "client_secret_post"
            if "client_secret_post" in offered and "client_secret_basic" not in offered
            else "client_secret_basic"
        )
        client = _GuardedApp(
            FlaskIntegration(name),
            name=name,
            client_id=row.client_id,
            client_secret=self.client_secret(),
            compliance_fix=type(self).compliance_fix,
            client_kwargs={
                "scope": row.scopes or "openid",
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": auth_method,
                "default_timeout": float(current_app.config.get("SSO_TIMEOUT", 10)),
            },
        )
        client.server_metadata.update(metadata)
        return client

    def start(self, next_url: str) -> Response:
        try:
            return self._client().authorize_redirect(self.callback_url)
        except outbound.AddressRefused as exc:
            raise SigninError("refused", str(exc)) from None
        except (outbound.OutboundError, requests.RequestException) as exc:
            raise SigninError("unreachable", str(exc)) from None

    def finish(self) -> dict[str, Any]:
        client = self._client()
        row = self.config
        error = request.args.get("error")
        if error:
            client.framework.clear_state_data(session, request.args.get("state"))
            description = request.args.get("error_description") or ""
            raise SigninError("denied" if error == "access_denied" else "provider",
                              f"{error} {description}".strip())  # fmt: skip
        options = {
            "iss": {"essential": True, "value": _normalise_issuer(row.issuer)},
            "aud": {"essential": True, "value": row.client_id},
            "sub": {"essential": True},
        }
        leeway = int(current_app.config.get("SSO_CLOCK_LEEWAY", 60))
        try:
            token = client.authorize_access_token(
                claims_cls=_IDToken, claims_options=options, leeway=leeway
            )
        except MismatchingStateError:
            raise SigninError("state", "no sign-in was started with this state") from None
        except OAuthError as exc:
            reasons = {"invalid_grant": "code", "access_denied": "denied"}
            reason = reasons.get(exc.error, "provider")
            raise SigninError(reason, f"{exc.error}: {exc.description or ''}") from None
        except ExpiredTokenError as exc:
            raise SigninError("expired", str(exc)) from None
        except ClaimError as exc:
            reason = "nonce" if exc.claim == "nonce" else "token"
            raise SigninError(reason, str(exc)) from None
        except JoseError as exc:
            raise SigninError("token", f"{type(exc).__name__}: {exc}") from None
        except outbound.AddressRefused as exc:
            raise SigninError("refused", str(exc)) from None
        except (outbound.OutboundError, requests.RequestException) as exc:
            raise SigninError("unreachable", str(exc)) from None
        finally:
            jwks = client.server_metadata.get("jwks")
            cached = _discovery.get(_normalise_issuer(row.issuer))
            if jwks and cached is not None:
                cached["jwks"] = jwks  # keep the keys with the discovery document
        userinfo = token.get("userinfo")
        if not userinfo:
            raise SigninError("token", "the answer has no ID token")
        self.logout_hint = token.get("id_token")
        return self._with_userinfo(client, token, dict(userinfo))

    def wanted_claims(self) -> set[str]:
        """The claim names this provider is configured to read (display name, e-mail, real-name
        level, account type, the organisation claim)."""
        from core.sso.models import CLAIM_FIELDS

        row = self.config
        wanted = {row.claim(field) for field in CLAIM_FIELDS}
        if row.org_claim:
            wanted.add(row.org_claim)
        return wanted

    def _with_userinfo(self, client, token, claims: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed from the UserInfo endpoint when configured claims
        are missing: a provider that follows OpenID Connect Core releases the claims of the
        scopes asked for (profile, email, the organisation …) there in the code flow, not in
        the ID token (Core 5.4). The UserInfo answer must be about the same subject (Core
        5.3.2); the ID token's claims win where both have one."""
        missing = self.wanted_claims() - set(claims)
        endpoint = client.server_metadata.get("userinfo_endpoint")
        if not missing or not endpoint:
            return claims
        info = fetch_json("userinfo", endpoint, lambda: client.get(endpoint, token=token))
        if str(info.get("sub", "")) != str(claims.get("sub", "")):
            raise SigninError(
                "token",
                f"userinfo names subject {info.get('sub')!r}, the ID token {claims.get('sub')!r}",
            )
        return {**info, **claims}

    def logout_url(self, *, hint: str | None, return_to: str) -> str | None:
        try:
            endpoint = discovery(self.config.issuer).get("end_session_endpoint")
        except SigninError as exc:
            log.warning("sign-out at %s skipped: %s", self.name, exc)
            return None
        if not endpoint:
            return None
        params = {"post_logout_redirect_uri": return_to, "client_id": self.config.client_id}
        if hint:
            params["id_token_hint"] = hint
        return add_params_to_uri(endpoint, params)


# --- the kinds installed ---------------------------------------------------------------------


def kinds() -> dict[str, type[SigninProvider]]:
    """``{kind: class}`` from every installed plugin (a plugin overrides core's kind)."""
    plugins = current_app.extensions["gongkai.plugins"]
    found: dict[str, type[SigninProvider]] = {}
    for answer in reversed(plugins.hook.signin_provider_kinds()):  # core first
        for kind, cls in (answer or {}).items():
            if isinstance(cls, type) and issubclass(cls, SigninProvider):
                found[kind] = cls
            else:
                log.warning("signin_provider_kinds: %r is not a SigninProvider class", cls)
    return found


def build(row: SsoProvider) -> SigninProvider:
    """The provider object for ``row`` (:class:`SigninError` ``unknown`` if its kind is gone)."""
    cls = kinds().get(row.kind)
    if cls is None:
        raise SigninError("unknown", f"kind {row.kind!r} is not installed")
    return cls(row)


def end_session_url(name: str | None, hint: str | None, return_to: str) -> str | None:
    """Where the browser goes after a local sign-out to end the portal's session, or None."""
    row = get_provider(name) if name else None
    if row is None or not row.enabled:
        return None
    try:
        return build(row).logout_url(hint=hint, return_to=return_to)
    except (SigninError, crypto.SecretUnreadable) as exc:
        log.warning("sign-out at %s skipped: %s", name, exc)
        return None


def get_provider(name: str) -> SsoProvider | None:
    return db.session.scalar(select(SsoProvider).where(SsoProvider.name == name))
