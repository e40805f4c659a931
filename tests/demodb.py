"""The demo, loaded once per test process and database backend, and copied for each module that
reads it.

``gongkai demo load`` takes 30–80 s; six modules need a database it has filled (the load's own
report, its idempotence, the items, requests and words it leaves). Each used to load it again.
Now the first of them in a process runs the command once into a database of its own (the
*template*) and keeps what it printed; every user gets a fresh copy of it — PostgreSQL copies the
template database (``CREATE DATABASE … TEMPLATE``), SQLite copies the file — so that a module
may change its copy freely, with a copy of the files the load stored (the instance folder's
uploads: a kindergarten's photos, for example).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Template:
    url: str
    instance: Path
    output: str
    """What the first ``gongkai demo load`` printed (stdout)."""


@dataclass(frozen=True)
class Copy:
    url: str
    instance: Path
    """The instance folder (uploads) that goes with the database."""
    first: str
    """What the first ``gongkai demo load`` printed (stdout), as :attr:`Template.output`."""


_templates: dict[str, Template] = {}
_copies = itertools.count(1)
_folders: list[Path] = []  # removed when the process ends


def _folder() -> Path:
    if not _folders:
        atexit.register(lambda: [shutil.rmtree(f, ignore_errors=True) for f in _folders])
    folder = Path(tempfile.mkdtemp(prefix="gongkai-demo-"))
    _folders.append(folder)
    return folder


def _load(url: str, instance: Path) -> str:
    from core import db
    from core.cli import main
    from core.plugins.testing import migrate_once

    migrate_once(url)
    instance.mkdir(parents=True, exist_ok=True)
    with app_on(url, instance) as app:
        loaded = app.test_cli_runner().invoke(main, ["demo", "load"])
        assert loaded.exit_code == 0, loaded.output
    db.get_engine(url).dispose()  # no connection left on the template: it is copied
    return loaded.stdout


def template(backend: str, postgres_server=None) -> Template:
    """The demo loaded once in this process on ``backend`` (``sqlite`` or ``postgresql``)."""
    from tests.services import worker_number

    if backend not in _templates:
        folder = _folder()
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'template.sqlite'}"
        else:
            url = postgres_server.create_database(f"gongkai_demo_{worker_number()}")
        instance = folder / "instance"
        _templates[backend] = Template(url, instance, _load(url, instance))
    return _templates[backend]


def copy(backend: str, postgres_server=None, folder: Path | None = None) -> Copy:
    """A fresh database holding the loaded demo, and its instance folder."""
    source = template(backend, postgres_server)
    number = next(_copies)
    folder = folder or _folder()
    instance = folder / f"instance-{number}"
    shutil.copytree(source.instance, instance)
    if backend == "sqlite":
        target = folder / f"demo-{number}.sqlite"
        shutil.copyfile(source.url.removeprefix("sqlite:///"), target)
        url = f"sqlite:///{target}"
    else:
        from tests.services import worker_number

        name = f"gongkai_demo_{worker_number()}_{number}"
        url = postgres_server.copy_database(source.url.rsplit("/", 1)[1], name)
    from core.plugins.testing import _migrated

    _migrated.add(url)  # a copy of a migrated database
    return Copy(url, instance, source.output)


def drop(copied: Copy, postgres_server=None) -> None:
    """Remove a copy made by :func:`copy` (its connections closed first)."""
    from core import db

    db.get_engine(copied.url).dispose()
    shutil.rmtree(copied.instance, ignore_errors=True)
    if copied.url.startswith("sqlite:///"):
        Path(copied.url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        postgres_server.drop_database(copied.url.rsplit("/", 1)[1])


@contextlib.contextmanager
def app_on(url: str, instance: Path, **config):
    """A testing application on ``url`` (a copy), its context pushed for the block."""
    from core.plugins.testing import testing_app

    with testing_app(
        env="testing",
        instance_path=str(instance),
        database_url=url,
        secret_key="test-secret-key",
        redis_url=None,
    ) as app:
        app.config.update(config)
        yield app
