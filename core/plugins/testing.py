"""Pytest plugin shipped with Gongkai (entry point ``pytest11``): fixtures for plugin authors.

Fixtures:

* ``gongkai_database_url`` (session) — the database to test against; a SQLite file by default.
  Override it in a ``conftest.py`` to run against PostgreSQL.
* ``app`` — an application on a migrated database, emptied after each test.
* ``client`` — its Flask test client (each request in its own app context).
* ``english`` — the test's own code reads translations (refusals) in English.
* ``login`` — ``login(username, password)`` signs the client in through the real form.
* ``make_org`` — factory: ``make_org("code", parent=None, type_code="branch", sector="agency")``.
* ``org`` — a county with one branch under it (``org`` is the branch).
* ``with_plugins`` — ``with_plugins(name=plugin_object, ...)`` registers plugins for one test.

They are documented for plugin authors in ``plugins/README.md`` ("Test it"; a meta-test checks
that every fixture is listed there).
"""

from __future__ import annotations

import contextlib

import pytest
from flask.ctx import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import delete, inspect, text

from core import db, migrations

KEEP_TABLES = {"code_list_entries", "alembic_version"}
_migrated: set[str] = set()


def present_tables() -> list:
    """The models' tables that the database has (migrated so far), parents before children."""
    existing = set(inspect(db.session.get_bind()).get_table_names())
    return [table for table in db.Base.metadata.sorted_tables if table.name in existing]


def empty_database() -> None:
    """Delete every row the tests wrote (code lists seeded by migrations stay).

    The register's triggers refuse deleting its entries unless the transaction lifts the guard
    (:func:`core.register.models.purge_allowed`), as done here.
    """
    from core.register.models import purge_allowed

    db.session.rollback()
    bind = db.session.get_bind()
    tables = [t for t in reversed(present_tables()) if t.name not in KEEP_TABLES]
    if bind.dialect.name == "postgresql":
        # one round trip finds the tables with rows (a test fills a few of the hundred and more)
        quote = bind.dialect.identifier_preparer.quote
        probe = " UNION ALL ".join(  # the models' own table names
            f"SELECT '{t.name}' WHERE EXISTS (SELECT FROM {quote(t.name)})"  # noqa: S608
            for t in tables
        )
        filled = set(db.session.scalars(text(probe)))
        tables = [table for table in tables if table.name in filled]
    with purge_allowed():
        for table in tables:
            db.session.execute(delete(table))
    db.session.commit()
    db.session.remove()


def migrate_once(url: str) -> None:
    if url not in _migrated:
        migrations.upgrade(url)
        _migrated.add(url)


@pytest.fixture(scope="session")
def gongkai_database_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gongkai-test.sqlite'}"


@pytest.fixture
def app_settings(tmp_path, gongkai_database_url) -> dict:
    """Keyword arguments for ``create_app``; override to change the configuration."""
    return {
        "env": "testing",
        "instance_path": str(tmp_path / "instance"),
        "database_url": gongkai_database_url,
        "secret_key": "test-secret-key",
        "redis_url": None,
    }


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The ``app`` fixture keeps an app context pushed for the test body; without this, every
    request would share its ``g`` (the organisation, the cached locale) with the test and with
    the requests before it.
    """

    outer_context = None

    def open(self, *args, **kwargs):
        outer = self.outer_context
        if outer is None or _cv_app.get(None) is not outer:
            return super().open(*args, **kwargs)
        outer.pop()
        try:
            return super().open(*args, **kwargs)
        finally:
            outer.push()


@contextlib.contextmanager
def testing_app(**settings):
    """An application made with ``create_app(**settings)`` for a test, its context pushed for
    the block: a fast password hash (still verified at sign-in) and a test client that runs each
    request in its own app context, as in production."""
    from core.app import create_app

    application = create_app(**settings)
    # a fast hash method (still verified at sign-in), not a password
    application.config["GONGKAI_PASSWORD_HASH"] = "pbkdf2:sha256:1000"  # noqa: S105
    ctx = application.app_context()
    ctx.push()
    application.test_client_class = type("Client", (IsolatedClient,), {"outer_context": ctx})
    try:
        yield application
    finally:
        db.session.remove()
        ctx.pop()


@pytest.fixture
def app(app_settings):
    migrate_once(app_settings["database_url"])
    with testing_app(**app_settings) as application:
        empty_database()
        try:
            yield application
        finally:
            with contextlib.suppress(Exception):
                empty_database()


@pytest.fixture
def english(app):
    """The test's own code reads translations in English: the refusals of the operations it
    calls (``str(exc)``, ``pytest.raises(..., match=...)``). Pages asked for with the test
    client keep their own language (each request has its own context)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/auth/login") -> str:
    """The CSRF token of the form at ``path`` (the session cookie stays in ``client``)."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token in the form at {path}"
    return match.group(1)


@pytest.fixture
def login(client):
    """``login(username, password)`` signs ``client`` in through the real login form."""

    def do_login(username: str, password: str, *, follow_redirects: bool = False):
        token = csrf_token(client)
        return client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=follow_redirects,
        )

    return do_login


@pytest.fixture
def make_org(app):
    from tenants import operations

    def make(code, *, parent=None, type_code="branch", sector="agency", **fields):
        names = fields.pop("names", {"zh_Hans_CN": {"full": f"{code} 党组织", "short": code}})
        org = operations.create_organisation(
            code, parent=parent, type_code=type_code, sector=sector, names=names, **fields
        )
        db.session.commit()
        return org

    return make


@pytest.fixture
def org(make_org):
    county = make_org("test-county", type_code="county_committee")
    return make_org("test-branch", parent=county)


@pytest.fixture
def with_plugins(app):
    registered: list[str] = []
    plugins = app.extensions["gongkai.plugins"]

    def register(**named_plugins):
        for name, plugin in named_plugins.items():
            plugins.register(plugin, name)
            registered.append(name)

    yield register
    for name in registered:
        plugins.unregister(name)
