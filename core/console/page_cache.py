"""The page cache of the signed-in console (DESIGN.md "Budgets"): a page a person reads again,
unchanged, is answered from Redis instead of being rendered again.

A console page costs 20–50 ms to render (a dozen statements, permissions, the layout); people
come back to the same pages all day (My work, the unit's console home, an item under review).
This cache keeps each rendered page **for one sign-in session only** and serves it again only
while none of the data it was drawn from has changed. It is private, never shared: the
anonymous pages' response cache (:mod:`core.portal.response_cache`) is another store with other
rules, and signed-in answers still carry ``Cache-Control: private, no-store`` for browsers and
proxies.

**What a page is kept under.** The signed-in person, their whole session (its id, the sign-in
generation, the form token: a new sign-in never sees the pages of the last one), the scheme,
host, path and query string, ``Accept-Language`` and the cookies other than the session's (the
language), and the hour (UTC): a page that counts days ("overdue", "3 days left") is drawn again
at least every hour, so every time zone's midnight is seen. :data:`TTL` bounds the rest.

**When a page is stale: data generations.** Every commit that wrote anything bumps, after the
commit, the generation of every scope it touched:

* ``root:<county id>`` for each county-keyed row written (:class:`core.db.CountyKey`, its
  ``county_id``) and each organisation (its county);
* ``user:<id>`` for a person's own row and every row that names a ``user_id`` (their
  notifications, memberships, preferences);
* :data:`EVERYTHING` for any other row (platform-wide tables) and any statement that writes
  without objects (``UPDATE``/``DELETE``/``INSERT`` statements run through the session, which may
  touch any county), and after ``gongkai db upgrade``.

A page records the scopes it was drawn from: :data:`EVERYTHING`, its reader (``user:<id>``), the
county of the page's organisation and of every county-keyed row loaded while it was drawn, with
the generations they had **before** any of it was read. It is served only while every one of
them is unchanged. A change a page could show therefore always makes it stale — except a
person's row changed by someone else (a display name), which other people's pages show until
the hour turns or :data:`TTL`; what a person may do (roles, deactivation, sign-out) is checked
again on every request anyway (the sign-in generation, the blueprints' ``require``).

**What is kept at all.** ``GET`` requests under ``/admin`` (My work) and ``/admin/o/…`` (an
organisation's console, plugins' consoles too) by a signed-in person, whose answer is a 200 HTML
page of at most :data:`MAX_BODY` that changed nothing: no statement wrote, the session was not
modified (a first form token, flash messages shown), no flash message was waiting. The
platform console (``/admin/platform``) reads across counties without loading their rows and is
never kept.

**Served before the request's checks, safely.** A kept page is answered before the
``before_request`` functions run (sign-in, the blueprints' ``require``, the organisation's
lookup): that is what makes it cheap (no statement at all). It gives the answer those checks
gave when it was drawn, because everything they decide on is in its key or its scopes: the same
session (its contents, which a sign-out or a new sign-in replace), from the same browser (the
session identifier Flask-Login's strong protection checks is compared first; another browser
with the cookie goes through the checks and loses the session), the person's row (active, the
sign-in generation that ends sessions on the server: ``user:<id>``), their memberships and
the organisation (their county and ``user:<id>``).

It needs Redis (``REDIS_URL``); ``GONGKAI_CONSOLE_CACHE=0`` turns it off, the tests turn it on
where they test it. Answers from it carry ``X-Console-Cache: hit``.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_app_context, request, session
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core import db
from core.config import switch
from core.db import CountyKey
from tenants.models import Organisation, User

log = logging.getLogger(__name__)

EXTENSION = "gongkai.console_cache"
DIRTY = "gongkai.console_cache.dirty"
EVERYTHING = "all"
TTL = 300
"""Seconds a kept page lives at most."""
MAX_BODY = 512 * 1024
_KEPT_HEADERS = {"content-type", "cache-control", "vary", "content-language"}
_LEARNED_MAX = 10_000


@dataclass
class Watch:
    """A console ``GET`` being answered: what it may be kept under and what it read."""

    user_id: str
    key: str
    generations: dict[str, str]
    entry: tuple | None
    scopes: set[str] = field(default_factory=set)
    wrote: bool = False
    unknown: bool = False
    served: bool = False


_watch: contextvars.ContextVar[Watch | None] = contextvars.ContextVar("console_cache", default=None)


class ConsoleCache:
    def __init__(self, app: Flask):
        self.app = app
        self.prefix = app.config.get("GONGKAI_CACHE_PREFIX", "gongkai:") + "pc:"
        self.unsent: set[str] = set()  # scopes a bump could not reach Redis with
        self.roots: dict[str, str] = {}  # organisation code → "root:<county>" (never changes)
        self.user_scopes: dict[str, set[str]] = {}  # counties a person's pages were drawn from
        self.cookies = {
            app.config.get("SESSION_COOKIE_NAME", "session"),
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        }

    @staticmethod
    def redis():
        from core import jobs

        return jobs.redis_connection()

    @property
    def serving(self) -> bool:
        return bool(self.app.config.get("GONGKAI_CONSOLE_CACHE"))

    # --- generations ---------------------------------------------------------------------------

    def bump(self, scopes: set[str]) -> bool:
        """Bump the generations of ``scopes`` (and of those a failed bump of this process left
        over). Redis unreachable: never fail the caller (the data are committed); the scopes
        are bumped by this process's next bump or page, :data:`TTL` bounds the rest."""
        scopes = scopes | self.unsent
        try:
            pipe = self.redis().pipeline(transaction=False)
            for scope in scopes:
                pipe.incr(f"{self.prefix}gen:{scope}")
            pipe.execute()
        except Exception as exc:
            self.unsent = scopes
            log.warning("could not invalidate the console cache for %s: %s", sorted(scopes), exc)
            return False
        self.unsent = set()
        return True

    # --- a request -------------------------------------------------------------------------------

    def key(self, user_id: str) -> str:
        kept = sorted((k, repr(v)) for k, v in session.items() if k != "_flashes")
        cookies = sorted((k, v) for k, v in request.cookies.items() if k not in self.cookies)
        parts = (
            user_id,
            repr(kept),
            request.scheme,
            request.host.lower(),
            request.full_path,
            request.headers.get("Accept-Language", ""),
            repr(cookies),
            datetime.now(UTC).strftime("%Y%m%d%H"),
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def begin(self) -> None:
        """Before anything else of the request: read the generations (before any data) and
        the kept page of an eligible request, in one round trip to Redis."""
        if not self.serving or request.method != "GET" or not _console_path(request.path):
            return
        user_id = session.get("_user_id")
        if user_id is None or "_flashes" in session:
            return
        if self.unsent and not self.bump(set()):
            return  # what changed while Redis was away is not marked yet: draw the page
        code = (request.view_args or {}).get("org_code")
        scopes = {EVERYTHING, f"user:{user_id}", *self.user_scopes.get(user_id, ())}
        if code in self.roots:
            scopes.add(self.roots[code])
        names = sorted(scopes)
        key = self.key(user_id)
        try:
            pipe = self.redis().pipeline(transaction=False)
            pipe.get(f"{self.prefix}page:{key}")
            pipe.mget([f"{self.prefix}gen:{s}" for s in names])
            raw, generations = pipe.execute()
        except Exception as exc:
            log.warning("console cache unavailable: %s", exc)
            return
        entry = None
        if raw is not None:
            try:
                entry = pickle.loads(raw)  # noqa: S301 (written by this module, in our Redis)
            except Exception:
                entry = None
        known = {
            name: (value or b"0").decode() for name, value in zip(names, generations, strict=True)
        }
        _watch.set(Watch(user_id, key, known, entry))

    def serve(self):
        """The kept page, if it is current and this is the browser it was drawn for."""
        watch = _watch.get()
        if watch is None or watch.entry is None:
            return None
        manager = current_app.login_manager
        if manager.session_protection and session.get("_id") != (
            manager._session_identifier_generator()
        ):
            return None  # another browser: the checks run (and end the session)
        kept_generations, headers, body = watch.entry
        if any(watch.generations.get(s) != gen for s, gen in kept_generations.items()):
            return None
        watch.served = True
        response = current_app.response_class(body, status=200)
        for name, value in headers:
            response.headers[name] = value
        response.headers["X-Console-Cache"] = "hit"
        return response

    def keep(self, response):
        """``after_request``: keep the page if it may be kept (module docstring)."""
        watch = _watch.get()
        if (
            watch is None
            or watch.served
            or watch.wrote
            or watch.unknown
            or response.status_code != 200
            or response.mimetype != "text/html"
            or response.is_streamed
            or response.direct_passthrough
            or session.modified
            or response.headers.getlist("Set-Cookie")
            or db.session.new
            or db.session.dirty
            or db.session.deleted  # a change the request's commit is about to write
        ):
            return response
        body = response.get_data()
        if len(body) > MAX_BODY:
            return response
        org = g.get("org")
        scopes = {EVERYTHING, f"user:{watch.user_id}", *watch.scopes}
        if org is not None:
            root = f"root:{org.root_id or org.id}"
            scopes.add(root)
            self.roots[org.code] = root
        counties = {s for s in scopes if s.startswith("root:")}
        learned = self.user_scopes.setdefault(watch.user_id, set())
        if not counties <= learned:
            if len(self.user_scopes) > _LEARNED_MAX:
                self.user_scopes.clear()
            self.user_scopes.setdefault(watch.user_id, set()).update(counties)
        if not scopes <= watch.generations.keys():
            return response  # a county not foreseen: its generation was not read first; next time
        headers = [(k, v) for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS]
        entry = ({s: watch.generations[s] for s in scopes}, headers, body)
        try:
            self.redis().set(f"{self.prefix}page:{watch.key}", pickle.dumps(entry), ex=TTL)
        except Exception as exc:
            log.warning("could not keep a console page: %s", exc)
        return response


def _console_path(path: str) -> bool:
    return path == "/admin" or path == "/admin/" or path.startswith("/admin/o/")


def init_app(app: Flask) -> None:
    """Bump generations wherever Redis is configured (web, workers, commands); serve pages
    where ``GONGKAI_CONSOLE_CACHE`` is on (by default outside the tests). Without Redis only
    when a test turns it on (one process, the jobs' in-process store)."""
    if EXTENSION in app.extensions:
        return
    if not app.config.get("REDIS_URL") and not (
        app.testing and app.config.get("GONGKAI_CONSOLE_CACHE")
    ):
        return
    switch(app, "GONGKAI_CONSOLE_CACHE")
    cache = ConsoleCache(app)
    app.extensions[EXTENSION] = cache
    app.after_request(cache.keep)
    preprocess = app.preprocess_request

    def preprocess_request():
        cache.begin()
        response = cache.serve()
        return response if response is not None else preprocess()

    app.preprocess_request = preprocess_request

    @app.teardown_request
    def _end(_exc):
        _watch.set(None)


# --- what a page read, what a commit wrote -----------------------------------------------------


def _read(target, _context=None, _attrs=None) -> None:
    watch = _watch.get()
    if watch is not None:
        county = target.__dict__.get("county_id")
        if county is not None:
            watch.scopes.add(f"root:{county}")
        else:  # loaded without its county (load_only): which county it shows is not known
            watch.unknown = True


def _read_organisation(target, _context=None, _attrs=None) -> None:
    watch = _watch.get()
    if watch is not None:
        values = target.__dict__
        county = values.get("root_id") or values.get("id")
        watch.scopes.add(f"root:{county}")


event.listen(CountyKey, "load", _read, propagate=True)
event.listen(CountyKey, "refresh", _read, propagate=True)
event.listen(Organisation, "load", _read_organisation)
event.listen(Organisation, "refresh", _read_organisation)


def _scopes_written(obj) -> set[str]:
    """The scopes a row written touches, from what the object holds (never loading anything:
    a deleted row cannot be read again)."""
    values = inspect(obj).dict
    if isinstance(obj, Organisation):
        county = values.get("root_id") or values.get("id")
        return {f"root:{county}"} if county is not None else {EVERYTHING}
    if isinstance(obj, User):
        return {f"user:{values['id']}"} if values.get("id") is not None else {EVERYTHING}
    county = values.get("county_id") if isinstance(obj, CountyKey) else None
    scopes = {f"root:{county}" if county is not None else EVERYTHING}
    user_id = values.get("user_id")
    if isinstance(user_id, int):
        scopes.add(f"user:{user_id}")
    return scopes


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context) -> None:
    dirty = session.info.setdefault(DIRTY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        dirty |= _scopes_written(obj)
    watch = _watch.get()
    if watch is not None and (session.new or session.dirty or session.deleted):
        watch.wrote = True


@event.listens_for(Session, "do_orm_execute")
def _statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete or _writes(state.statement):
        state.session.info.setdefault(DIRTY, set()).add(EVERYTHING)
        watch = _watch.get()
        if watch is not None:
            watch.wrote = True


def _writes(statement) -> bool:
    text = getattr(statement, "text", None)  # text(): what it says
    return isinstance(text, str) and text.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")


def changed_everything(session: Session | None = None) -> None:
    """Every console page is stale after the commit (``session``) or now (no session)."""
    if session is not None:
        session.info.setdefault(DIRTY, set()).add(EVERYTHING)
        return
    cache = current_app.extensions.get(EXTENSION) if has_app_context() else None
    if cache is not None:
        cache.bump({EVERYTHING})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    scopes = session.info.pop(DIRTY, None)
    if scopes and has_app_context():
        cache = current_app.extensions.get(EXTENSION)
        if cache is not None:
            cache.bump(scopes)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(DIRTY, None)
