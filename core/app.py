"""The application factory: configuration, database, i18n, plugins, themes, blueprints."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import logging
import pkgutil
from datetime import timedelta

from flask import Flask, current_app, g, request
from flask_babel import gettext
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

import core
import tenants
from core import db, i18n, jobs, ratelimit, text, themes, web
from core.api import auth as api_auth
from core.api import errors as api_errors
from core.config import load_settings
from core.console import page_cache as console_cache
from core.errors import UserError
from core.plugins import Plugins
from core.plugins import init_app as init_plugins
from core.storage import request_limit_text
from tenants import resolution
from tenants.models import Organisation, User

log = logging.getLogger(__name__)
DB_INT_MAX = 2**31 - 1

csrf = CSRFProtect()
login_manager = LoginManager()

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), "
    "display-capture=(), browsing-topics=(), fullscreen=(self)"
)


UNAVAILABLE_PAGE = """<!doctype html>
<html lang="zh-Hans-CN"><head><meta charset="utf-8"><title>服务暂时不可用</title></head>
<body><h1>服务暂时不可用</h1>
<p>系统暂时无法连接数据库，本次操作未保存任何内容。请一分钟后再试。</p>
<p lang="en">The service cannot reach its database just now. Nothing was saved. Please try again
in a minute.</p>
<p lang="ug" dir="rtl">سىستېما ھازىرچە ساندانغا ئۇلىنالمىدى، ھېچنېمە ساقلانمىدى. بىر مىنۇتتىن كېيىن
قايتا سىناڭ.</p></body></html>"""
"""What a visitor reads while the database is unreachable, should even the error page need it."""

PAGE_MODULES = ("views", "public", "api")
"""The file roles that hold blueprints: ``views`` (the console), ``public`` (the public site's
pages of a package that has both) and ``api`` (JSON)."""


class DatabaseInteger(IntegerConverter):
    """``<int:...>`` of every route: at most the largest integer key of the databases
    (PostgreSQL ``integer``, 2³¹ − 1), so that a larger number in an address is a 404 page, not
    a database error. Routes may still give their own ``min``/``max``."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def discover_blueprints():
    """Every Blueprint of a :data:`PAGE_MODULES` module in core and tenants (found, not listed)."""
    from flask import Blueprint

    for name in module_names():
        if name.rsplit(".", 1)[-1] in PAGE_MODULES:
            module = importlib.import_module(name)
            for value in vars(module).values():
                if isinstance(value, Blueprint) and value.import_name == module.__name__:
                    yield value


def discover_modules(*names: str) -> None:
    """Import every module with one of ``names`` in core and tenants."""
    for name in module_names():
        if name.rsplit(".", 1)[-1] in names and name != "core.jobs":
            importlib.import_module(name)


@functools.cache
def module_names() -> tuple[str, ...]:
    """Every module of core and tenants, found once per process (the installed code does not
    change under a running process; a test run builds thousands of applications)."""
    return tuple(
        info.name
        for package in (core, tenants)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    )


GC_THRESHOLDS = (10_000, 10, 10)
"""The collector's thresholds in production (Python's: 700, 10, 10)."""


def _tune_garbage_collector() -> None:
    """What the building of the application made (modules, the ORM's mappers, the plugins) is
    moved out of the garbage collector's sight (:func:`gc.freeze`), and the youngest generation
    is collected after 10,000 allocations rather than 700. A page that builds thousands of rows
    (the compliance table of 3,000 units) otherwise set off, every ten requests or so, a full
    collection that walked every object of the process: 150-400 ms added to that request
    (measured with the compliance benchmark). Only in production: a test process builds many
    applications and needs them collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(config: dict | None = None, *, plugins: Plugins | None = None, **settings) -> Flask:
    """Build the application; ``settings`` override environment variables (see core.config)."""
    s = load_settings(**settings)
    app = Flask(__name__, instance_path=str(s.instance_path), static_folder=None)
    app.url_map.converters["int"] = DatabaseInteger  # before any route is added
    app.config.update(
        SECRET_KEY=s.secret_key,
        GONGKAI_ENV=s.env,
        DATABASE_URL=s.database_url,
        REDIS_URL=s.redis_url,
        BABEL_DEFAULT_LOCALE=s.default_locale,
        OUTBOUND_ALLOW=s.outbound_allow,  # core.outbound: inside addresses calls may reach
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        # cookies: never read by scripts, not sent on cross-site posts, HTTPS only in
        # production, where the __Host- prefix also pins the session to this host and path /
        SESSION_COOKIE_NAME="__Host-session" if s.production else "session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=s.production,
        # a signed session older than this is refused (Flask checks the signature's age), so a
        # sign-in lasts a working day at most unless the session changes
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=s.production,
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        # a request body: one attachment of the largest accepted size
        # (core.items.content.MAX_ATTACHMENT_BYTES, 20 MiB) with the form around it
        MAX_CONTENT_LENGTH=21 * 1024 * 1024,
        STRICT_TRANSPORT_SECURITY="max-age=31536000" if s.production else None,
        TESTING=s.env == "testing",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config or {})

    db.bind(app.config["DATABASE_URL"])
    text.install(db.session.session_factory)  # user texts cleaned of bidi controls on flush
    app.after_request(_no_shared_cookies)  # registered first: runs after every other one
    app.extensions["gongkai.plugins"] = plugins or Plugins()
    jobs.init_app(app)
    jobs.set_org_loader(lambda org_id: db.session.get(Organisation, org_id))
    i18n.init_app(app)
    themes.init_app(app)
    web.init_app(app)  # template globals of every page (console_may, when, day)
    csrf.init_app(app)
    ratelimit.init_app(app)
    _init_login(app)
    _init_request_cycle(app)
    _init_errors(app)
    for bp in discover_blueprints():
        app.register_blueprint(bp)
    init_plugins(app)  # plugins' blueprints (404 where not enabled), commands, periodic jobs
    console_cache.init_app(app)  # signed-in console pages kept per session (with Redis)
    api_auth.init_app(app)  # Bearer tokens on /api/ paths (and CSRF there for cookie sessions)
    # sweeps, event receivers and the groups of My work (core.web.work) register on import
    discover_modules("jobs", "subscribers", "work")
    if app.config["GONGKAI_ENV"] == "production":
        _tune_garbage_collector()
    return app


def _no_shared_cookies(response):
    """An answer that sets a cookie (the language chosen with ``?lang=``, …) is never publicly
    cacheable: a shared cache would hand the cookie to everyone (OWASP ASVS 8.1.1)."""
    if response.headers.getlist("Set-Cookie") and "public" in (
        response.headers.get("Cache-Control") or ""
    ):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n._("Please sign in to see this page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from flask import session

        from tenants.signin import GENERATION_KEY

        try:
            user = db.session.get(User, int(user_id))
        except (TypeError, ValueError, OverflowError):
            return None
        if user is None or not user.active:
            return None
        # ended on the server (sign-out, new password, deactivation, a role removed)
        if session.get(GENERATION_KEY) != (user.session_generation or 0):
            return None
        return user


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_unreadable_input(_endpoint, values) -> None:
    """Before anything reads the request (the first URL value preprocessor): what no view can
    use is refused with a translated 404/400 instead of a database error — a NUL character in
    the address, a query string or a form (PostgreSQL refuses it in text), and a JSON body
    nested too deeply to be read."""
    if any(_has_nul(v) for v in (values or {}).values()):
        from werkzeug.exceptions import NotFound

        raise NotFound()
    sources = [request.args]
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    too_large = limit is not None and (request.content_length or 0) > limit
    if (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        and not too_large  # the view answers that with its own page (413)
    ):
        sources.append(request.form)
    for source in sources:
        if any("\x00" in k or "\x00" in v for k, v in source.items(multi=True)):
            raise UserError(gettext("The address or the form contains a character that is not "
                                    "allowed (NUL). Nothing was saved."))  # fmt: skip
    if request.is_json and request.content_length and not too_large:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            raise UserError(gettext("The JSON body is nested too deeply.")) from None
        if _has_nul(data):
            raise UserError(gettext("The JSON body contains a character that is not allowed "
                                    "(NUL). Nothing was saved."))  # fmt: skip


def _init_request_cycle(app: Flask) -> None:
    app.url_value_preprocessor(_refuse_unreadable_input)

    @app.before_request
    def resolve_host():
        if "host_org" not in g:
            resolution.resolve_host()

    @app.after_request
    def finish(response):
        # One transaction per request: commit when the answer is a success, else roll back.
        if response.status_code < 400:
            try:
                db.commit()
            except Exception as exc:  # the database went away after the view: nothing saved
                if not db.unavailable(exc):
                    raise
                response = app.make_response(app.extensions["gongkai.unavailable"](exc))
        else:
            db.rollback()  # what the refused request kept on purpose stays (db.keep)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("STRICT_TRANSPORT_SECURITY"):
            response.headers.setdefault(
                "Strict-Transport-Security", app.config["STRICT_TRANSPORT_SECURITY"]
            )
        return response

    @app.teardown_appcontext
    def remove_session(exc):
        if exc is not None:
            db.session.rollback()
        db.session.remove()


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _init_errors(app: Flask) -> None:
    from core.themes import render

    def error_page(
        status: int, title: str, message: str, *, code=None, problems=None, headers=None
    ):
        if _wants_json():  # the one JSON error shape (core.api.errors)
            return api_errors.response(
                status, message or title, code=code, problems=problems, headers=headers
            )
        return render("error.html", status=status, title=title, message=message), status, headers

    def database_unavailable(exc: Exception):
        """The database cannot be reached (restarting, failing over): a 503 that says so, in
        the visitor's language, rendered without it (the visitor is shown as signed out)."""
        log.warning("database unavailable on %s: %s", request.path, str(exc).splitlines()[0])
        with contextlib.suppress(Exception):
            db.session.rollback()
        # nothing the page draws may load a row: the user, the organisation (and what the
        # translations remember of it) were read from the database
        g._login_user = login_manager.anonymous_user()
        for name in ("org", "host_org", "_plugin_translations"):
            g.pop(name, None)
        headers = {"Retry-After": "30"}
        try:
            return error_page(
                503,
                gettext("Temporarily unavailable"),
                gettext("The service cannot reach its database just now. Nothing was saved. "
                        "Please try again in a minute."),
                code="unavailable",
                headers=headers,
            )  # fmt: skip
        except Exception:  # the page itself needed the database: the words without the layout
            log.warning("database unavailable: the plain page instead", exc_info=True)
            return UNAVAILABLE_PAGE, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}

    app.extensions["gongkai.unavailable"] = database_unavailable  # the request's commit too

    @app.errorhandler(UserError)
    def user_error(exc: UserError):
        if _wants_json():
            return error_page(
                exc.status, "", exc.message, code=getattr(exc, "code", None),
                problems=exc.problems, headers=getattr(exc, "headers", None),
            )  # fmt: skip
        return error_page(exc.status, gettext("Request refused"), str(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if request.path.startswith("/api/"):
            return error_page(
                400, "", gettext("A signed-in browser session must send its CSRF token "
                                 "(header X-CSRFToken); API clients send a Bearer token."),
                code="csrf_failed",
            )  # fmt: skip
        return error_page(
            400,
            gettext("The form has expired"),
            gettext("The form was not accepted (missing or expired security token). "
                    "Go back, reload the page and submit it again."),
        )  # fmt: skip

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        titles = {
            404: gettext("Page not found"),
            403: gettext("Access denied"),
            405: gettext("Method not allowed"),
            413: gettext("The upload is too large"),
            429: gettext("Too many requests"),
        }
        messages = {
            404: gettext(
                "There is no page at this address. Check the address or go to the home page."
            ),
            403: gettext("You are not allowed to see this page."),
            413: gettext(
                "The form or file sent is larger than the %(size)s allowed. Nothing was saved; "
                "go back and send something smaller.",
                size=request_limit_text(),
            ),
            429: gettext("You have sent too many requests. Please wait a while and try again."),
        }
        status = exc.code or 500
        allowed = getattr(exc, "valid_methods", None)
        return error_page(
            status,
            titles.get(status, exc.name),
            messages.get(status, exc.description or ""),
            headers={"Allow": ", ".join(allowed)} if allowed else None,
        )

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if app.testing and not app.config.get("GONGKAI_ERROR_PAGES"):
            raise exc
        g.pop("org", None)
        if db.unavailable(exc):
            return database_unavailable(exc)
        log.exception("unhandled error on %s", request.path)
        db.session.rollback()
        return error_page(
            500,
            gettext("Something went wrong"),
            gettext("The server could not complete the request. Nothing was saved. "
                    "Please try again later."),
        )  # fmt: skip
