"""Bearer authentication for ``/api/`` paths, token scopes, and CSRF for cookie sessions.

Every request to a path under ``/api/``:

* with ``Authorization: Bearer <token>`` is authenticated by that token alone (a session
  cookie sent along is ignored): an unknown, expired or revoked token, or one of a deactivated
  user, is answered ``401`` with ``WWW-Authenticate: Bearer error="invalid_token"``. A valid
  token makes its user ``current_user`` and puts the token in ``g.api_token``; such requests
  need no CSRF token (a browser never adds the header by itself). A write (``POST`` …) with a
  token needs the scope its operation declares (``scope=`` of ``spec.operation``), else ``403
  insufficient_scope`` before the view runs (:func:`write_refusal`);
* without it, is anonymous or the browser session's user; a state-changing request (``POST``
  ...) of a signed-in session must carry the CSRF token (header ``X-CSRFToken``), else ``400``.

A token limits its user: :func:`token_permits` is the check the permission function applies
when ``g.api_token`` is set (scopes by action name; a service token only in its subtree); this
module registers it with :func:`core.permissions.register_limit`.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user

from core import permissions
from core.api import errors, inputs, operations
from core.api.models import ApiToken
from core.i18n import _
from tenants.models import Organisation

READ_SCOPE = "read"
READ_VERBS = ("view", "read")
WRITE_PREFIXES = ("items.", "item.")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def required_scope(action_name: str) -> str | None:
    """The scope a token needs for ``action_name``, or None when no token may do it.

    * ``register.*`` → ``register:read``;
    * an action whose last part starts with ``view`` or ``read`` (``catalogue.view_internal``,
      ``items.view_console``) → ``read``;
    * other ``items.*`` actions and item workflow transitions (``item.<transition>``) →
      ``items:write``;
    * anything else (console administration, memberships, platform operations) → None.
    """
    if action_name.startswith("register."):
        return "register:read"
    if action_name.rpartition(".")[2].startswith(READ_VERBS):
        return READ_SCOPE
    if action_name.startswith(WRITE_PREFIXES):
        return "items:write"
    return None


def in_token_subtree(token: ApiToken, org: Organisation | None) -> bool:
    """A personal token acts anywhere its user may; a service token in its subtree only."""
    if token.org_id is None:
        return True
    if org is None or token.organisation is None:
        return False
    return org.path.startswith(token.organisation.path)


def token_permits(token: ApiToken | None, action_name: str, org: Organisation | None) -> bool:
    """May a request authenticated by ``token`` do ``action_name`` in ``org``, as far as the
    token is concerned? (The user's own roles are checked separately by ``permissions.may``.)

    True without a token (``None``: a browser session or an anonymous caller, not limited by a
    token). Otherwise: the token carries :func:`required_scope` of the action, and — for a
    service token — ``org`` lies in the subtree of the token's organisation (an ``org`` of
    None then refuses). No database query: the token's organisation is loaded with it.
    """
    if token is None:
        return True
    scope = required_scope(action_name)
    if scope is None or scope not in (token.scopes or ()):
        return False
    return in_token_subtree(token, org)


@permissions.register_limit
def request_token_permits(action_name: str, org: Organisation | None) -> bool:
    """The limit of the request's API token, if it was authenticated by one."""
    if not has_request_context():
        return True
    return token_permits(g.get("api_token"), action_name, org)


def current_token() -> ApiToken | None:
    return g.get("api_token")


def reader(org: Organisation | None):
    """The user whose view of ``org``'s items a read answers with: the current user, except for
    a service token outside its subtree, which reads as an anonymous caller there."""
    token = current_token()
    if token is not None and not in_token_subtree(token, org):
        return None
    return current_user


def bearer_secret() -> str | None:
    """The token of an ``Authorization: Bearer`` header ("" when the header is malformed), or
    None when the request has no Bearer header."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def challenge(message: str, *, error: str | None = "invalid_token"):
    value = f'Bearer realm="gongkai", error="{error}"' if error else 'Bearer realm="gongkai"'
    return errors.response(
        401, message, code=error or "unauthorized", headers={"WWW-Authenticate": value}
    )


def require_bearer() -> ApiToken:
    """The request's token; raises 401 for requests without one."""
    token = current_token()
    if token is None:
        raise errors.ApiError(
            401,
            _("This endpoint needs a token: send Authorization: Bearer <token>."),
            code="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="gongkai"'},
        )
    return token


def require_scope(action_name: str, org: Organisation | None) -> None:
    """403 ``insufficient_scope`` unless the request's token permits ``action_name`` there."""
    token = current_token()
    if token_permits(token, action_name, org):
        return
    scope = required_scope(action_name)
    if scope is not None and scope not in (token.scopes or ()):
        message = _("The token lacks the scope “%(scope)s” this needs.", scope=scope)
    elif scope is None:
        message = _("No token may do this; use the console.")
    else:
        message = _("The token acts for another organisation's subtree only.")
    header = f'Bearer realm="gongkai", error="insufficient_scope", scope="{scope or ""}"'
    raise errors.ApiError(
        403, message, code="insufficient_scope", headers={"WWW-Authenticate": header}
    )


def authenticate():
    """``before_request`` for ``/api/`` paths (see the module docstring)."""
    if not request.path.startswith("/api/"):
        return None
    problems = inputs.query_problems()
    if problems:
        return errors.response(400, "The request has invalid parameters.", problems=problems)
    secret = bearer_secret()
    if secret is not None:
        token = operations.verify(secret)
        if token is None:
            return challenge(_("The token is unknown, expired or revoked."))
        g.api_token = token
        g._login_user = token.user  # Flask-Login's current user for this request only
        if request.method not in SAFE_METHODS:
            return write_refusal(token)
        return None
    if request.method not in SAFE_METHODS and current_user.is_authenticated:
        # a browser session: raises CSRFError (answered 400) without a valid CSRF token
        current_app.extensions["csrf"].protect()
    return None


def write_scope(endpoint: str | None) -> str | None:
    """The scope a token needs to write through ``endpoint``: the ``scope`` its OpenAPI
    declaration names (:func:`core.api.spec.operation`), or None (no token may write there)."""
    view = current_app.view_functions.get(endpoint or "")
    doc = getattr(view, "api_doc", None)
    return getattr(doc, "scope", None)


def write_refusal(token: ApiToken):
    """Every write of the API checks the token's scope here, before the view runs: a write
    needs the scope its operation declares (``read`` alone never writes)."""
    if request.url_rule is None:
        return None  # 404 or 405 follow
    scope = write_scope(request.endpoint)
    if scope is not None and scope in (token.scopes or ()):
        return None
    message = (
        f"The token lacks the scope {scope!r} this needs."
        if scope is not None
        else "No token may do this; use the console."
    )
    header = f'Bearer realm="gongkai", error="insufficient_scope", scope="{scope or ""}"'
    return errors.response(
        403, message, code="insufficient_scope", headers={"WWW-Authenticate": header}
    )


def response_headers(response):
    """``after_request``: answers to ``/api/`` differ by token."""
    if request.path.startswith("/api/"):
        response.vary.add("Authorization")
    return response


def init_app(app: Flask) -> None:
    """Register the hooks, and exempt the API blueprints from the form CSRF check (done here
    instead, for cookie sessions only). Call after the blueprints are registered."""
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        for bp in app.blueprints.values():
            if (bp.url_prefix or "").startswith("/api/"):
                csrf.exempt(bp)
    # first of the application's before_request functions: whatever runs after it sees the
    # token's user as current_user
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate)
    app.after_request(response_headers)
