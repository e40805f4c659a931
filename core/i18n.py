"""Language selection and formatting (Flask-Babel).

Locale order: the signed-in user's setting, then ``?lang=`` (remembered in a cookie), then the
``lang`` cookie, then ``Accept-Language``, then the organisation's default, then the platform's.
Catalogs live in ``i18n/<locale>/LC_MESSAGES/messages.po``; ``make i18n`` (a checkout) or
``gongkai i18n compile`` (an installation) compiles them. Where no current ``.mo`` exists — a wheel
installs the ``.po`` files only — a catalog is compiled in memory when first used
(:func:`load_catalog`), so an installation that is not a source checkout is translated too; in
production an installation without core's catalogs refuses to start (:func:`check_catalogs`).

Plugins have their own domain: a plugin package's ``translations/<locale>/LC_MESSAGES/<plugin
name>.po`` (or its compiled ``.mo``). A message is looked up (:class:`PluginDomain`) in the domains
of the plugins that the organisation of the page (``g.org``) enables, then in core's. Without an
organisation (platform pages, commands) only core's counts, except inside :func:`as_plugin` (the
routes of a plugin, the descriptions of plugins in the console), which puts one plugin first.
A message a plugin's own code translates (``_``/``_l`` of :mod:`core.toolkit`:
:func:`plugin_gettext`) always has its plugin's domain first, so that a plugin's refusal reads
in the operator's language in a command and in the reader's in a job or on a platform page too.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, support
from babel.dates import format_date, format_datetime
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, get_locale, gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from core.config import SUPPORTED_LOCALES, ConfigError

# ``i18n/`` sits next to the ``core`` package both in a checkout and in an installed wheel
# (pyproject.toml ships it as package data), so one path serves both.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "i18n"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _catalog_files(folder: Path, locale: str, domain: str) -> Iterator[tuple[str, Path, Path]]:
    """``(locale, .mo, .po)`` candidates for ``locale``, then its more general locales
    (``zh_Hans_CN`` → ``zh_Hans`` → ``zh``)."""
    parts = str(locale).split("_")
    for size in range(len(parts), 0, -1):
        loc = "_".join(parts[:size])
        stem = folder / loc / "LC_MESSAGES" / domain
        yield loc, Path(f"{stem}.mo"), Path(f"{stem}.po")


def _current(mo: Path, po: Path) -> bool:
    return mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime)


def _compile(po: Path, locale: str, domain: str, out) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=domain)
    write_mo(out, catalog, use_fuzzy=True)  # as `make i18n-compile` (pybabel --use-fuzzy)


def load_catalog(folder: Path, locale: str, domain: str) -> support.Translations | None:
    """The catalog for ``locale`` (or a more general locale: ``zh_Hans_CN`` → ``zh``) in
    ``folder``: ``<folder>/<locale>/LC_MESSAGES/<domain>.mo``, or its ``.po`` compiled in memory
    when there is no ``.mo`` or the ``.po`` is newer (no build step for plugin authors, and an
    installed wheel, which carries no ``.mo``, is translated)."""
    for loc, mo, po in _catalog_files(folder, locale, domain):
        if _current(mo, po):
            with mo.open("rb") as fp:
                return support.Translations(fp, domain=domain)
        if po.is_file():
            buffer = io.BytesIO()
            _compile(po, loc, domain, buffer)
            buffer.seek(0)
            return support.Translations(buffer, domain=domain)
    return None


plugin_catalog = load_catalog  # the name plugins and their tests know


def catalog_folders(app) -> list[tuple[Path, str]]:
    """``(folder, domain)`` of every catalog: core's, then each installed plugin's."""
    folders = [
        (Path(folder), "messages")
        for folder in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    ]
    plugins = app.extensions.get("gongkai.plugins")
    if plugins is not None:
        folders += [(folder, name) for name, folder in plugins.folders("translations").items()]
    return folders


def compile_catalogs(app) -> list[Path]:
    """Write a ``.mo`` next to every ``.po`` of core and the installed plugins that has no
    current one (``gongkai i18n compile``); return the files written."""
    written = []
    for folder, domain in catalog_folders(app):
        for po in sorted(folder.glob(f"*/LC_MESSAGES/{domain}.po")):
            mo = po.with_suffix(".mo")
            if _current(mo, po):
                continue
            part = mo.with_suffix(".mo.part")
            with part.open("wb") as out:
                _compile(po, po.parent.parent.name, domain, out)
            part.replace(mo)
            written.append(mo)
    return written


def check_catalogs(app) -> None:
    """Refuse to start in production when core's catalog of a shipped language is missing (an
    incomplete installation would show English under ``lang="zh-Hans-CN"``)."""
    if app.config.get("GONGKAI_ENV") != "production":
        return
    folders = [Path(f) for f in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")]
    missing = [
        locale
        for locale in SUPPORTED_LOCALES
        if locale != "en"  # English is the source language: its messages are the msgids
        and not any(
            mo.is_file() or po.is_file()
            for folder in folders
            for _loc, mo, po in _catalog_files(folder, locale, "messages")
        )
    ]
    if missing:
        raise ConfigError(
            f"No translation catalog for {', '.join(missing)} in "
            f"{', '.join(str(f) for f in folders)}: the installation is incomplete; "
            "reinstall the gongkai wheel, which carries i18n/."
        )


class PluginDomain(Domain):
    """Core's domain with the domains of the enabled plugins in front of it (plugin → core)."""

    def core_translations(self):
        """Core's catalog for the current locale, as Flask-Babel's ``get_translations`` but
        compiled in memory from the ``.po`` where no current ``.mo`` exists."""
        if not has_app_context():
            return support.NullTranslations()
        locale = get_locale()
        key = (str(locale), self.domain[0], tuple(self.translation_directories))
        translations = self.cache.get(key)
        if translations is None:
            translations = support.Translations()
            for index, dirname in enumerate(self.translation_directories):
                domain = self.domain[0] if len(self.domain) == 1 else self.domain[index]
                catalog = load_catalog(Path(dirname), str(locale), domain)
                if catalog is not None:
                    translations.merge(catalog)
                    translations.plural = catalog.plural  # merge() does not copy it
            self.cache[key] = translations
        return translations

    def get_translations(self):
        if has_app_context():  # called for every message: the request's answer first
            memo = g.get("_plugin_translations")
            if memo is not None:
                org = g.get("org")
                if (
                    memo[0] is org
                    and memo[3] is get_locale()
                    and memo[4] == g.get("_translate_as_plugin")
                    and memo[5] == getattr(org, "plugin_settings", None)
                ):
                    return memo[2]
        base = self.core_translations()
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
                    catalog = load_catalog(folders[name], locale, name)
                    if catalog is not None:
                        translations.merge(catalog)
                cache[(locale, first)] = translations
        g._plugin_translations = (
            org, key, translations, get_locale(), forced, getattr(org, "plugin_settings", None)
        )  # fmt: skip
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


def plugin_gettext(module: str | None, string: str, **variables) -> str:
    """``gettext`` of a message written in the module ``module``: when that module belongs to
    an installed plugin, with the plugin's domain first wherever it is read (a page of an
    organisation that enables it, as before; a command, a job or a platform page, where no
    organisation puts it first)."""
    name = None
    if module and has_app_context():
        plugins = current_app.extensions.get("gongkai.plugins")
        if plugins is not None:
            name = plugins.plugin_of_module(module)
    if name is None or g.get("_translate_as_plugin") == name:
        return gettext(string, **variables)
    org = g.get("org")
    if org is not None and name in current_app.extensions["gongkai.plugins"].enabled_for(org):
        return gettext(string, **variables)  # the page's domains have it first already
    with as_plugin(name):
        return gettext(string, **variables)


class GongkaiBabel(Babel):
    @cached_property
    def domain_instance(self):
        return PluginDomain(domain=self.domain)


babel = GongkaiBabel()


class LazyText(LazyString):
    """A translation made when it is read. Unlike Flask-Babel's ``LazyString``, a page escapes
    it like any other text: its placeholders may hold what somebody typed."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_text(string: str, **variables) -> LazyText:
    """``_("… %(name)s", name=…)``: the translation of ``string`` in the language of whoever
    reads it (module-level labels, refusals), with its named placeholders filled in."""
    return LazyText(gettext, string, **variables)


def lazily(func, *args, **kwargs) -> LazyText:
    """A text that ``func(*args, **kwargs)`` makes when it is read (e.g. a placeholder of a
    lazy translation that is itself made of translations)."""
    return LazyText(func, *args, **kwargs)


_ = lazy_text

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


def anonymous_locale(
    lang: str | None, cookie: str | None, accept_language: str | None
) -> str | None:
    """The locale a visitor who is not signed in asks for: ``?lang=``, the ``lang`` cookie,
    ``Accept-Language`` (the raw values); None: the organisation's or the platform's default.
    The response cache (:mod:`core.portal.response_cache`) keys on it."""
    return normalise(lang) or normalise(cookie) or _accepted(accept_language or "")


@functools.lru_cache(maxsize=512)
def _accepted(header: str) -> str | None:
    """The first shipped locale of an ``Accept-Language`` header (parsed once per header)."""
    for tag, _quality in parse_accept_header(header, LanguageAccept):
        candidate = normalise(tag)
        if candidate:
            return candidate
    return None


def select_locale() -> str:
    if not has_request_context():  # jobs and commands: the organisation's or platform's default
        org = g.get("org") if has_app_context() else None
        return (
            normalise(getattr(org, "default_locale", None))
            or current_app.config["BABEL_DEFAULT_LOCALE"]
        )
    user_locale = getattr(current_user, "locale", None) if current_user else None
    candidate = normalise(user_locale) or anonymous_locale(
        request.args.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("Accept-Language"),
    )
    if candidate:
        return candidate
    org = g.get("org")
    if org is not None and normalise(org.default_locale):
        return normalise(org.default_locale)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.lru_cache(maxsize=8192)
def format_moment(value, fmt: str, zone: str, locale: str) -> str:
    """Babel's ``format_datetime`` of a moment in a time zone, remembered: a list page formats
    the same few dozen moments on every request, and Babel takes some 0.2 ms for each."""
    return format_datetime(value, fmt, tzinfo=ZoneInfo(zone), locale=locale)


@functools.lru_cache(maxsize=8192)
def format_day(value, fmt: str, locale: str) -> str:
    """Babel's ``format_date``, remembered (see :func:`format_moment`)."""
    return format_date(value, fmt, locale=locale)


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
    check_catalogs(app)
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(remember_locale)
    app.jinja_env.globals.update(
        html_lang=html_lang, text_direction=text_direction, language_links=language_links
    )
