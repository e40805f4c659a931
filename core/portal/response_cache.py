"""The response cache of the anonymous public pages (DESIGN.md "Budgets").

A WSGI middleware in front of the application answers a repeated anonymous ``GET`` of a public
page (portal, item, catalogue, search results, feeds, sitemap, the items API) from a store, without
running the view or touching the database. What it stores and serves:

* **Only anonymous requests without a personal cookie or credential.** A request that carries
  the session cookie, the remember-me cookie or an ``Authorization`` header is never answered
  from the store and its answer is never stored, so a signed-in member's page (or the session of
  an anonymous visitor who filled in a form, with its flash messages) cannot reach anyone else.
* **Only answers that are public anyway:** status 200, ``Cache-Control: public`` (set by
  :mod:`core.portal.caching` for anonymous views of :data:`CACHED_ENDPOINTS` that embed no form
  token), no ``Set-Cookie`` (a ``?lang=`` visit that sets the language cookie is not stored).
* **Keyed on what the page depends on:** scheme, host (custom hosts show their county), path and
  query string (``?lang=``, search words, filters, page), and the language an anonymous
  visitor gets (:func:`core.i18n.anonymous_locale`: ``?lang=``, the ``lang`` cookie,
  ``Accept-Language``). The answers keep ``Vary: Accept-Language, Cookie`` for caches further on.
* **Invalidated by generation.** Every stored page records the *generation* of its county (and
  pages outside a county, such as the platform home and the sitemap, of the site) read when the
  request began; it is served only while that generation is current. The domain events that
  change what a page shows (:mod:`core.portal.subscribers`: publication, amendment, revocation,
  closing — notices close this way —, widening, catalogue approval, evaluations, changes of an
  organisation) mark the county in the unit of work, and the commit bumps its generation and the
  site's. Whatever a command, a job or a sweep writes (outside a web request) makes every page
  stale at its commit, and so does ``gongkai db upgrade``: their changes need not be described
  by an event. A page rendered from data read before the commit carries the old generation and
  is never served. :data:`TTL` bounds what nothing announces (countdowns, a catalogue version
  whose effective date arrives).

Storage: Redis (``REDIS_URL``, shared by every process) through Flask-Caching's ``RedisCache``;
without Redis the pages are kept in process memory (``SimpleCache``) and the generations in small
files in the instance folder, so that a command or a second process on the same host (the
scheduler's sweeps, ``gongkai`` commands) invalidates the pages of every process.

``GONGKAI_RESPONSE_CACHE=0`` turns it off; the tests turn it on where they test it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_caching import Cache
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import parse_cookie

from core.config import switch
from core.i18n import COOKIE, anonymous_locale

log = logging.getLogger(__name__)

EXTENSION = "gongkai.response_cache"
ENVIRON = "gongkai.response_cache"
DIRTY = "gongkai.response_cache.dirty"
SITE = "site"
EVERYTHING = "all"
"""The generation every page carries: bumped by changes made outside a web request (commands,
jobs and sweeps, migrations), which no county-level event may describe."""
TTL = 60
"""Seconds a stored page lives at most (the ``max-age`` the answers carry as well)."""
MAX_BODY = 512 * 1024
"""Larger answers are not stored."""
IN_PROCESS_PAGES = 2000
"""Pages kept per process without Redis (the oldest go first)."""
CACHED_ENDPOINTS = frozenset(
    {
        "core.home",
        "tenants.portal",
        "catalogue_public.catalogue",
        "catalogue_api.catalogue",
        "portal.item",
        "portal.search",
        "portal.feed",
        "portal_site.sitemap",
        "items_api.items",
        "items_api.item",
    }
)
"""The pages worth storing: :data:`core.portal.caching.PUBLIC_ENDPOINTS` less the attachments
(files, streamed)."""
_ORG_PATH = re.compile(r"^/(?:o|api/v1/orgs)/([^/]+)(?:/|$)")
_NOT_MODIFIED_HEADERS = {"etag", "cache-control", "vary", "expires", "content-location"}


def _etags(header: str) -> set[str]:
    """The entity tags of an ``ETag`` or ``If-None-Match`` header, without ``W/`` and quotes
    (the weak comparison ``If-None-Match`` asks for)."""
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        tags.add((tag[2:] if tag.startswith("W/") else tag).strip('"'))
    return tags


_STORED_HEADERS_SKIP = {"set-cookie", "content-length", "date"}


@dataclass
class Candidate:
    """A request the middleware looked up and missed: stored after the answer if it may be."""

    key: str
    scope: str | None  # "root:<id>" or SITE; None: the county is not known yet (code → root)
    generation: str
    code: str | None


class GenerationFiles:
    """Generations without Redis: one small file per scope in the instance folder (host-wide)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, scope: str) -> str:
        try:
            return (self.folder / scope).read_text() or "0"
        except FileNotFoundError:
            return "0"

    def bump(self, scope: str) -> None:
        path = self.folder / scope
        tmp = path.with_name(f".{scope}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_hex(8))
        os.replace(tmp, path)


class ResponseCache:
    """The store, the generations and the middleware (``app.wsgi_app`` is wrapped)."""

    def __init__(self, app: Flask):
        self.app = app
        self.wsgi_app = app.wsgi_app
        redis_url = app.config.get("REDIS_URL")
        prefix = app.config.get("GONGKAI_CACHE_PREFIX", "gongkai:rc:")
        if redis_url:
            config = {
                "CACHE_TYPE": "RedisCache",
                "CACHE_REDIS_URL": redis_url,
                "CACHE_KEY_PREFIX": prefix,
            }
            self.files = None
        else:
            config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": IN_PROCESS_PAGES}
            self.files = GenerationFiles(Path(app.instance_path) / "cache" / "generations")
        config["CACHE_DEFAULT_TIMEOUT"] = TTL
        self.store = Cache(config=config)
        self.store.init_app(app)
        self.roots: dict[str, int] = {}  # organisation code → county id (never changes)
        self.session_cookies = {
            app.config.get("SESSION_COOKIE_NAME", "session"),
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        }

    # --- generations -------------------------------------------------------------------------

    def lookup(self, scope: str, key: str) -> tuple[str, tuple | None]:
        """(the generation a page of ``scope`` must carry, the stored page or None): the
        scope's generation and the one of everything (:data:`EVERYTHING`); one round trip to
        Redis."""
        if self.files is not None:
            generation = f"{self.files.get(EVERYTHING)}.{self.files.get(scope)}"
            return generation, self.store.get(key)
        everything, own, hit = self.store.get_many(f"gen:{EVERYTHING}", f"gen:{scope}", key)
        return f"{everything or 0}.{own or 0}", hit

    def bump(self, scopes: set[str]) -> None:
        try:
            for scope in scopes:
                if self.files is not None:
                    self.files.bump(scope)
                else:
                    self.store.cache.inc(f"gen:{scope}")
        except Exception:  # the data are committed: never fail the caller; TTL bounds the rest
            log.exception("could not invalidate the response cache for %s", sorted(scopes))

    # --- the middleware ----------------------------------------------------------------------

    def personal(self, environ) -> bool:
        if "HTTP_AUTHORIZATION" in environ:
            return True
        header = environ.get("HTTP_COOKIE")
        if not header:
            return False
        cookies = parse_cookie(header)
        return any(name in cookies for name in self.session_cookies)

    def key(self, environ) -> str:
        query = environ.get("QUERY_STRING", "")
        lang = parse_qs(query).get("lang", [None])[0] if "lang=" in query else None
        header = environ.get("HTTP_COOKIE")
        cookie = parse_cookie(header).get(COOKIE) if header and "lang=" in header else None
        return "|".join(
            (
                "page",
                environ.get("wsgi.url_scheme", "http"),
                (environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")).lower(),
                environ.get("PATH_INFO", ""),
                query,
                anonymous_locale(lang, cookie, environ.get("HTTP_ACCEPT_LANGUAGE")) or "-",
            )
        )

    def scope_of(self, path: str) -> tuple[str | None, str | None]:
        """(the generation scope of the path, the organisation code in it)."""
        found = _ORG_PATH.match(path)
        if found is None:
            return SITE, None
        code = found.group(1)
        root = self.roots.get(code)
        return (f"root:{root}" if root is not None else None), code

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if (
            method not in ("GET", "HEAD")
            or not self.app.config.get("GONGKAI_RESPONSE_CACHE", True)
            or self.personal(environ)
        ):
            return self.wsgi_app(environ, start_response)
        try:
            key = self.key(environ)
            scope, code = self.scope_of(environ.get("PATH_INFO", ""))
            generation, hit = self.lookup(scope, key) if scope else ("", None)
        except Exception:  # the store is down: serve from the application
            log.warning("response cache unavailable", exc_info=True)
            return self.wsgi_app(environ, start_response)
        if hit is not None and hit[0] == generation:
            return self.serve(environ, start_response, hit)
        if method != "GET":
            return self.wsgi_app(environ, start_response)
        candidate = Candidate(key, scope, generation, code)
        environ[ENVIRON] = candidate
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        if not self.storable(environ, captured):
            return body
        chunks = list(body)
        if hasattr(body, "close"):
            body.close()
        self.keep(candidate, environ, captured, b"".join(chunks))
        return chunks

    @staticmethod
    def serve(environ, start_response, hit):
        """Answer from the store (a 304 when the client has this version)."""
        _gen, status, headers, body = hit
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if etag and asked and (asked.strip() == "*" or _etags(etag) & _etags(asked)):
            kept = [(k, v) for k, v in headers if k.lower() in _NOT_MODIFIED_HEADERS]
            start_response("304 Not Modified", [*kept, ("X-Cache", "hit")])
            return [b""]
        start_response(status, [*headers, ("Content-Length", str(len(body))), ("X-Cache", "hit")])
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def storable(self, environ, captured) -> bool:
        marked = environ.get(f"{ENVIRON}.store")
        if not marked or not captured.get("status", "").startswith("200"):
            return False
        headers = {name.lower(): value for name, value in captured["headers"]}
        return (
            "set-cookie" not in headers
            and headers.get("cache-control", "").startswith("public")
            and int(headers.get("content-length") or 0) <= MAX_BODY
        )

    def keep(self, candidate: Candidate, environ, captured, body: bytes) -> None:
        root = environ.get(f"{ENVIRON}.store")
        scope, generation = candidate.scope, candidate.generation
        if len(body) > MAX_BODY:
            return
        try:
            if scope is None:  # first page of this organisation: learn its county
                if not isinstance(root, int) or candidate.code is None:
                    return
                self.roots[candidate.code] = root
                return  # the generation was not read before the view ran: store next time
            headers = [
                (name, value)
                for name, value in captured["headers"]
                if name.lower() not in _STORED_HEADERS_SKIP
            ]
            self.store.set(candidate.key, (generation, captured["status"], headers, body))
        except Exception:
            log.warning("could not store a page in the response cache", exc_info=True)


def mark_storable(response):
    """``after_request``: tell the middleware that this answer may be stored (an anonymous
    view of a cached endpoint), and the county it belongs to. The middleware still checks the
    status and the headers."""
    candidate = request.environ.get(ENVIRON)
    if candidate is None or request.endpoint not in CACHED_ENDPOINTS:
        return response
    org = g.get("org")
    request.environ[f"{ENVIRON}.store"] = (org.root_id or org.id) if org is not None else True
    return response


def init_app(app: Flask) -> None:
    if EXTENSION in app.extensions:
        return
    switch(app, "GONGKAI_RESPONSE_CACHE")
    cache = ResponseCache(app)
    app.extensions[EXTENSION] = cache
    app.wsgi_app = cache
    app.after_request(mark_storable)


# --- invalidation ----------------------------------------------------------------------------


def invalidate(session: Session, root_id: int | None) -> None:
    """Mark a county's pages (and the site's) stale when ``session`` commits."""
    scopes = session.info.setdefault(DIRTY, set())
    scopes.add(SITE)
    if root_id is not None:
        scopes.add(f"root:{root_id}")


def invalidate_everything(session: Session) -> None:
    """Mark every page stale when ``session`` commits."""
    session.info.setdefault(DIRTY, set()).add(EVERYTHING)


def bump_now(scopes: set[str]) -> None:
    """Bump generations at once (outside a unit of work, e.g. a test or a command)."""
    cache = current_app.extensions.get(EXTENSION) if has_app_context() else None
    if cache is not None:
        cache.bump(scopes)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    scopes = session.info.pop(DIRTY, None)
    if scopes:
        bump_now(scopes)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(DIRTY, None)


@event.listens_for(Session, "before_flush")
def _changed_outside_a_request(session: Session, _context, _instances) -> None:
    if not has_request_context() and (session.new or session.dirty or session.deleted):
        invalidate_everything(session)


@event.listens_for(Session, "do_orm_execute")
def _written_outside_a_request(state) -> None:
    if not has_request_context() and (state.is_insert or state.is_update or state.is_delete):
        invalidate_everything(state.session)
