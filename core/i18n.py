"""Language selection and formatting (Flask-Babel).

Locale order: the signed-in user's setting, then ``?lang=`` (remembered in a cookie), then the
``lang`` cookie, then ``Accept-Language``, then the organisation's default, then the platform's.
Catalogs live in ``i18n/<locale>/LC_MESSAGES/messages.po``; ``make i18n`` compiles them.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, get_locale, lazy_gettext
from flask_login import current_user

from core.config import SUPPORTED_LOCALES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "i18n"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()
_ = lazy_gettext

LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English", "ug": "ئۇيغۇرچە"}


def normalise(value: str | None) -> str | None:
    """Map a language tag (``zh-CN``, ``zh_Hans``, ``en-GB``, ``ug-CN`` ...) to a shipped locale."""
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    if tag in {loc.lower() for loc in SUPPORTED_LOCALES}:
        return next(loc for loc in SUPPORTED_LOCALES if loc.lower() == tag)
    base = tag.split("_", 1)[0]
    return {"zh": "zh_Hans_CN", "en": "en", "ug": "ug"}.get(base)


def requested_locale() -> str | None:
    """The locale asked for with ``?lang=`` (to be remembered in the cookie)."""
    return normalise(request.args.get("lang"))


def select_locale() -> str:
    if not has_request_context():  # jobs and commands: the organisation's or platform's default
        org = g.get("org") if has_app_context() else None
        return (
            normalise(getattr(org, "default_locale", None))
            or current_app.config["BABEL_DEFAULT_LOCALE"]
        )
    user_locale = getattr(current_user, "locale", None) if current_user else None
    for candidate in (
        normalise(user_locale),
        requested_locale(),
        normalise(request.cookies.get(COOKIE)),
    ):
        if candidate:
            return candidate
    for tag, _quality in request.accept_languages:
        candidate = normalise(tag)
        if candidate:
            return candidate
    org = g.get("org")
    if org is not None and normalise(org.default_locale):
        return normalise(org.default_locale)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_locale(response):
    lang = requested_locale() if request else None
    if lang and request.cookies.get(COOKIE) != lang:
        response.set_cookie(
            COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )  # fmt: skip
    return response


def html_lang() -> str:
    """BCP 47 tag for ``<html lang>`` (``zh-Hans-CN``, ``en``, ``ug``)."""
    return str(get_locale()).replace("_", "-")


def text_direction() -> str:
    return get_locale().text_direction if get_locale() else "ltr"


def language_links() -> list[dict[str, str]]:
    current = str(get_locale())
    return [
        {"code": code, "name": LANGUAGE_NAMES[code], "current": code == current,
         "tag": code.replace("_", "-"), "dir": Locale.parse(code).text_direction}
        for code in SUPPORTED_LOCALES
    ]  # fmt: skip


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(remember_locale)
    app.jinja_env.globals.update(
        html_lang=html_lang, text_direction=text_direction, language_links=language_links
    )
