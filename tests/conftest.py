"""Suite-wide fixtures: every test that uses the database runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.services import PostgresServer, RedisServer

BACKENDS = ("sqlite", "postgresql")

# Benchmarks run only when named: `make bench` (pytest tests/bench).
collect_ignore = ["bench"]


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def gongkai_database_url(request, tmp_path_factory):
    """Overrides core.plugins.testing's fixture: the whole suite runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gongkai-test.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database("gongkai_test")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def pytest_collection_modifyitems(items):
    for item in items:
        for marker in item.iter_markers("rule"):
            item.user_properties.append(("rule", marker.args[0]))
