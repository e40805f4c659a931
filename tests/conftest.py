"""Suite-wide fixtures: every test that uses the database runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os

import pytest

from tests import fastrules, testplugin
from tests.services import PostgresServer, RedisServer, SharedPostgres, SharedRedis, worker_number

# The fixture plugin is installed for the test run only (never into the demo's virtualenv).
testplugin.install()
# Every test builds an application: the URL rules' builders are compiled once per run.
fastrules.install()
# Commands print refusals in the operator's language (core.cliutil): English in the tests,
# whatever the terminal of the person running them.
os.environ["GONGKAI_CLI_LOCALE"] = "en"

BACKENDS = ("sqlite", "postgresql")

# Benchmarks run only when named: `make bench` (pytest tests/bench).
collect_ignore = ["bench"]


@pytest.fixture(scope="session")
def postgres_server():
    """The run's cluster (``make test`` starts one for all workers), else a cluster of our own."""
    shared = os.environ.get("GONGKAI_TEST_POSTGRES")
    server = SharedPostgres(shared) if shared else PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def gongkai_database_url(request, tmp_path_factory):
    """Overrides core.plugins.testing's fixture: the whole suite runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gongkai-test.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"gongkai_test_{worker_number()}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """The run's redis-server (each worker in its own database number), else one of our own."""
    shared = os.environ.get("GONGKAI_TEST_REDIS")
    if shared:
        server = SharedRedis(shared, worker_number())
    else:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def pytest_collection_modifyitems(items):
    for item in items:
        for marker in item.iter_markers("rule"):
            item.user_properties.append(("rule", marker.args[0]))


def backend_of(nodeid: str) -> str | None:
    """The database backend a test runs on, from its id (``test_x[postgresql]``,
    ``test_y[sqlite-admin]``), or None for a test that uses no database."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    ids = nodeid[nodeid.rindex("[") + 1 : -1].split("-")
    return next((b for b in BACKENDS if b in ids), None)


def pytest_xdist_make_scheduler(config, log):
    """`make test` (pytest-xdist, ``--dist loadgroup``): all tests of one database backend go to
    one worker (or a few, see below), so that its session fixtures (the migrated database) are
    built once per worker, and the
    tests without a database are spread over the free workers. xdist's own loadgroup cannot do
    it under pytest 9 (it renames node ids through an attribute pytest 9 no longer has)."""
    if config.getoption("dist") != "loadgroup":
        return None
    import zlib

    from xdist.scheduler import LoadScopeScheduling

    # With four workers or more, each backend's modules are shared out over workers // 2 of
    # them (a module stays on one worker: its fixtures are built once); each worker builds its
    # own databases (tests.services.worker_number).
    shards = max(1, int(config.getoption("numprocesses") or 2) // 2)

    class ByBackend(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            backend = backend_of(nodeid)
            if backend is None:
                return nodeid
            module = nodeid.split("::", 1)[0]
            return f"{backend}-{zlib.crc32(module.encode()) % shards}"

    return ByBackend(config, log)


@pytest.fixture(scope="module")
def demo_database(gongkai_database_url, request):
    """The demo as ``gongkai demo load`` leaves an empty database, copied for this module from
    the one load of this process and backend (the module may change its copy)."""
    from tests import demodb

    backend = "sqlite" if gongkai_database_url.startswith("sqlite") else "postgresql"
    server = request.getfixturevalue("postgres_server") if backend == "postgresql" else None
    copied = demodb.copy(backend, server)
    yield copied  # url, instance (the uploads folder), first (what the first load printed)
    demodb.drop(copied, server)
