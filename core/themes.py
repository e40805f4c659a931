"""Themes: template and static file resolution per organisation.

Precedence (tested): the organisation's theme → enabled plugins → ``themes/base``. A theme is a
folder ``themes/<name>/`` with a ``theme.toml``, ``templates/`` and ``static/``. Templates
extend ``theme_template("layout.html")`` so a theme may override the layout alone. A plugin
package's ``templates/`` and ``static/`` folders take part for the organisations that enable it
(its static files are served at ``/static/p/<plugin>/<file>``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from flask import Blueprint, abort, current_app, g, render_template, send_from_directory, url_for
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

THEMES_DIR = Path(__file__).resolve().parent.parent / "themes"
BASE = "base"

bp = Blueprint("themes", __name__)


def available() -> dict[str, dict]:
    """Installed themes by folder name, with their ``theme.toml`` metadata."""
    out = {}
    for folder in sorted(THEMES_DIR.iterdir()):
        meta = folder / "theme.toml"
        if meta.is_file():
            out[folder.name] = tomllib.loads(meta.read_text(encoding="utf-8"))
    return out


def _plugin_folders(app, kind: str) -> dict[str, Path]:
    return app.extensions["gongkai.plugins"].folders(kind)


def init_app(app) -> None:
    prefixes = {
        f"theme:{name}": FileSystemLoader(str(THEMES_DIR / name / "templates"))
        for name in available()
    }
    for name, folder in _plugin_folders(app, "templates").items():
        prefixes[f"plugin:{name}"] = FileSystemLoader(str(folder))
    app.extensions["gongkai.themes"] = available()
    app.extensions["gongkai.themes.resolved"] = {}
    app.jinja_loader = ChoiceLoader([PrefixLoader(prefixes, delimiter="/")])
    app.jinja_env.globals.update(theme_template=theme_template, theme_static=theme_static)
    app.register_blueprint(bp)


def chain() -> list[str]:
    """Template prefixes for the current request, most specific first."""
    cached = g.get("theme_chain")
    if cached is not None:
        return cached
    org = g.get("org")
    prefixes = []
    if org is not None:
        if org.theme and org.theme != BASE:
            prefixes.append(f"theme:{org.theme}")
        plugins = current_app.extensions["gongkai.plugins"]
        prefixes += [f"plugin:{name}" for name in sorted(plugins.enabled_for(org))]
    prefixes.append(f"theme:{BASE}")
    g.theme_chain = prefixes
    return prefixes


def names(template: str) -> list[str]:
    return [f"{prefix}/{template}" for prefix in chain()]


def resolved(template: str) -> str:
    """The first of :func:`names` that exists. Found once per chain and kept for the process
    (unless templates reload, as in development): each name a theme or plugin lacks would
    otherwise cost a file-system search on every page."""
    env = current_app.jinja_env
    candidates = names(template)
    if env.auto_reload:
        return env.select_template(candidates).name
    found = current_app.extensions["gongkai.themes.resolved"]
    key = tuple(candidates)
    name = found.get(key)
    if name is None:
        name = found[key] = env.select_template(candidates).name
    return name


def theme_template(template: str):
    return current_app.jinja_env.get_template(resolved(template))


def render(template: str, **context) -> str:
    return render_template(resolved(template), **context)


def theme_static(filename: str) -> str:
    org = g.get("org")
    theme = org.theme if org is not None and org.theme and org.theme != BASE else None
    if theme and (THEMES_DIR / theme / "static" / filename).is_file():
        return url_for("themes.static", theme=theme, filename=filename)
    if org is not None:
        plugins = current_app.extensions["gongkai.plugins"]
        folders = plugins.folders("static")
        for name in sorted(plugins.enabled_for(org)):
            if name in folders and (folders[name] / filename).is_file():
                return url_for("themes.plugin_static", plugin=name, filename=filename)
    return url_for("themes.static", theme=BASE, filename=filename)


@bp.route("/static/t/<theme>/<path:filename>")
def static(theme: str, filename: str):
    if theme not in available():
        abort(404)
    return send_from_directory(THEMES_DIR / theme / "static", filename, max_age=3600)


@bp.route("/static/p/<plugin>/<path:filename>")
def plugin_static(plugin: str, filename: str):
    folder = current_app.extensions["gongkai.plugins"].folders("static").get(plugin)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)
