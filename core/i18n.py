"""Language selection and formatting (Flask-Babel).

Locale order: the signed-in user's setting, then ``?lang=`` (remembered in a cookie), then the
``lang`` cookie, then ``Accept-Language``, then the organisation's default, then the platform's.
Catalogs live in ``i18n/<locale>/LC_MESSAGES/messages.po``; ``make i18n`` compiles them.

Plugins have their own domain: a plugin package's ``translations/<locale>/LC_MESSAGES/<plugin
name>.po`` (or its compiled ``.mo``). A message is looked up (:class:`PluginDomain`) in the domains
of the plugins that the organisation of the page (``g.org``) enables, then in core's. Without an
organisation (platform pages, commands) only core's counts, except inside :func:`as_plugin` (the
routes of a plugin, the descriptions of plugins in the console), which puts one plugin first.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from babel import Locale, support
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, get_locale, lazy_gettext
from flask_login import current_user

from core.config import SUPPORTED_LOCALES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "i18n"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def plugin_catalog(folder: Path, locale: str, domain: str) -> support.Translations | None:
    """A plugin's catalog for ``locale`` (or a more general locale: ``zh_Hans_CN`` → ``zh``):
    ``<folder>/<locale>/LC_MESSAGES/<domain>.mo``, or its ``.po`` compiled in memory when there
    is no ``.mo`` or the ``.po`` is newer (no build step for plugin authors)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    parts = str(locale).split("_")
    for size in range(len(parts), 0, -1):
        loc = "_".join(parts[:size])
        stem = folder / loc / "LC_MESSAGES" / domain
        mo, po = Path(f"{stem}.mo"), Path(f"{stem}.po")
        if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as fp:
                return support.Translations(fp, domain=domain)
        if po.is_file():
            with po.open("rb") as fp:
                catalog = read_po(fp, locale=loc, domain=domain)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            return support.Translations(buffer, domain=domain)
    return None


class PluginDomain(Domain):
    """Core's domain with the domains of the enabled plugins in front of it (plugin → core)."""

    def get_translations(self):
        base = super().get_translations()
        if not has_app_context():
            return base
        plugins = current_app.extensions.get("gongkai.plugins")
        folders = plugins.folders("translations") if plugins is not None else {}
        if not folders:
            return base
        org = g.get("org")
        locale = str(get_locale())
        forced = g.get("_translate_as_plugin")
        # memo for the request: the organisation, its settings, the locale and the installed set
        key = (locale, getattr(org, "plugin_settings", None), tuple(folders), forced)
        memo = g.get("_plugin_translations")
        if memo is not None and memo[0] is org and memo[1] == key:
            return memo[2]
        wanted = set(plugins.enabled_for(org)) if org is not None else set()
        if forced:
            wanted.add(forced)
        first = tuple(name for name in folders if name in wanted)
        translations = base
        if first:
            cache = current_app.extensions.setdefault("gongkai.plugin_translations", {})
            translations = cache.get((locale, first))
            if translations is None:
                translations = support.Translations()
                translations.merge(base)
                if hasattr(base, "plural"):
                    translations.plural = base.plural
                for name in first:  # merge() overrides: the plugins' messages win
                    catalog = plugin_catalog(folders[name], locale, name)
                    if catalog is not None:
                        translations.merge(catalog)
                cache[(locale, first)] = translations
        g._plugin_translations = (org, key, translations)
        return translations


@contextmanager
def as_plugin(name: str | None):
    """Translate with the domain of the plugin ``name`` first, whatever the organisation."""
    before = g.get("_translate_as_plugin")
    g._translate_as_plugin = name
    try:
        yield
    finally:
        g._translate_as_plugin = before


class GongkaiBabel(Babel):
    @cached_property
    def domain_instance(self):
        return PluginDomain(domain=self.domain)


babel = GongkaiBabel()
_ = lazy_gettext

LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English", "ug": "ئۇيغۇرچە"}


def locale() -> str:
    """The locale of the current request (or of ``force_locale``), as a string."""
    return str(get_locale() or "zh_Hans_CN")


def yes_no(value) -> str:
    """ "yes" or "no" in the reader's language."""
    from flask_babel import gettext

    return gettext("yes") if value else gettext("no")


def localised(texts: dict[str, str] | None, locale: str) -> str:
    """The text of a ``{locale: text}`` dict in ``locale``, else Chinese, else any; "" if none."""
    texts = texts or {}
    return texts.get(locale) or texts.get("zh_Hans_CN") or next(iter(texts.values()), "")


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
