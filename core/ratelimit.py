"""Rate limits for what anyone may submit without an account (objections, later feedback).

One :class:`flask_limiter.Limiter` per application (``app.extensions["gongkai.limiter"]``),
keyed by the client's address. Its counters live in Redis when ``REDIS_URL`` is set (shared by
every worker), else in memory (per process). ``RATELIMIT_ENABLED`` switches it (off by default
under tests; a test that checks a limit turns it on).

Behind reverse proxies the peer address is the proxy's: set ``GONGKAI_TRUSTED_PROXIES`` (config
``RATELIMIT_TRUSTED_PROXIES``) to the number of proxies in front of the application, and the
client is the address that many hops from the right of ``X-Forwarded-For`` (the hops a client
cannot forge).

When Redis is unreachable the limiter falls back to counters in memory
(``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``) and retries Redis now and then; a storage error never
refuses a request (``RATELIMIT_SWALLOW_ERRORS``). So a visitor's submission (feedback, an
objection) is accepted and stored while Redis is down — its notification waits in the job outbox.

Views limit a block, not a whole route, so that they can answer a breach themselves (and keep
what the visitor wrote)::

    try:
        with ratelimit.limit(OBJECTION_LIMIT, scope="objections"):
            ...
    except ratelimit.RateLimitExceeded:
        ...
"""

from __future__ import annotations

import contextlib
import os

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded

__all__ = ["RateLimitExceeded", "init_app", "limit", "refuse_beyond"]


def client_address() -> str:
    """The client's address: the peer, or the one the trusted proxies saw."""
    hops = int(current_app.config.get("RATELIMIT_TRUSTED_PROXIES") or 0)
    if hops > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "127.0.0.1"


def init_app(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing)
    app.config.setdefault(
        "RATELIMIT_TRUSTED_PROXIES", int(os.environ.get("GONGKAI_TRUSTED_PROXIES") or 0)
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "gongkai-rl")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: count in this process's memory until it is back (checked again now and then),
    # and never turn a storage error into a refused submission (tests/test_feedback.py)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2}
        )
    limiter = Limiter(client_address, app=app)
    app.extensions["gongkai.limiter"] = limiter
    return limiter


def limit(value: str, *, scope: str, key: str | None = None):
    """A context manager counting one hit of the current client (or of ``key``, e.g. a user)
    against ``value`` (``"10 per hour;3 per minute"``); raises :class:`RateLimitExceeded` beyond
    it."""
    limiter: Limiter | None = current_app.extensions.get("gongkai.limiter")
    if limiter is None or not limiter.enabled:
        return contextlib.nullcontext()
    if key is not None:
        return limiter.limit(value, key_func=lambda: key, scope=scope)
    return limiter.limit(value, scope=scope)


def refuse_beyond(value: str, *, scope: str) -> None:
    """Count one hit of the current client; answer 429 (the translated error page) beyond
    ``value``. For reads that keep nothing of the visitor's (downloads)."""
    from flask import abort

    try:
        with limit(value, scope=scope):
            pass
    except RateLimitExceeded:
        abort(429)
