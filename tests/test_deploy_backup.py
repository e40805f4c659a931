"""deploy/README.md's upgrade, backup and restore commands, run exactly as written (the blocks
marked ``<!-- tested: NAME -->``) against the throwaway PostgreSQL cluster: a database with
published items, their attachments and register entries is dumped and archived, restored into an
empty database and instance folder, and ``gongkai register verify`` passes there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import db, migrations
from tests import deploy_files as files

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BLOCKS = files.documented_blocks(files.DEPLOY / "README.md")


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _environment(server, database: str, instance: Path, **extra) -> dict:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(server.port),
        "PGUSER": "postgres",
        "PGDATABASE": database,
        "GONGKAI_ENV": "production",
        "SECRET_KEY": "backup-test-secret-key-0123456789abcdefghijkl",
        "GONGKAI_DATABASE_URL": server.url(database),
        "GONGKAI_INSTANCE_PATH": str(instance),
        **extra,
    }
    env.pop("REDIS_URL", None)
    return env


def _run_block(name: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """Run a documented block with bash, stopping at the first failing command."""
    return subprocess.run(["bash", "-e", "-u", "-o", "pipefail", "-c", BLOCKS[name]], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=300)  # fmt: skip


def test_the_guide_marks_its_upgrade_backup_and_restore_commands():
    assert set(BLOCKS) >= {"upgrade", "backup", "restore"}
    assert "pg_dump" in BLOCKS["backup"] and "tar --create" in BLOCKS["backup"]
    assert "pg_restore" in BLOCKS["restore"] and "gongkai register verify" in BLOCKS["restore"]


def _populate(url: str, instance: Path) -> dict:
    """Published items with an attachment (register entries, an upload) in the database."""
    from core.app import create_app
    from core.items import operations as items
    from core.register import operations as register
    from tenants import operations as tenants
    from tests.items_helpers import build_world, plan, through_review

    migrations.upgrade(url)
    app = create_app(env="testing", database_url=url, instance_path=str(instance),
                     secret_key="backup-test", redis_url=None)  # fmt: skip
    app.config["GONGKAI_PASSWORD_HASH"] = "pbkdf2:sha256:1000"
    with app.app_context():

        def make_org(code, *, parent=None, type_code="branch", sector="agency"):
            org = tenants.create_organisation(
                code, parent=parent, type_code=type_code, sector=sector,
                names={"zh_Hans_CN": {"full": f"{code} 党组织", "short": code}},
            )  # fmt: skip
            db.session.commit()
            return org

        w = build_world(make_org)
        item = items.create(w["unit"], plan(), actor=w["editor"],
                            attachments=[("党费收缴明细.pdf", PDF)])  # fmt: skip
        through_review(w, item)
        items.approve(item, actor=w["admin"])
        items.schedule_publication(item, actor=w["editor"])
        items.publish(item)
        db.session.commit()
        (attachment,) = items.attachments(item)
        entries, _orgs = register.count(None)
        result = {"entries": entries, "storage_key": attachment.storage_key}
        db.session.remove()
    db.get_engine(url).dispose()
    return result


@pytest.fixture
def pg(postgres_server):
    return postgres_server


def test_backup_and_restore_into_an_empty_database_as_documented(pg, tmp_path):
    suffix = _worker_suffix()
    source, restored = f"backup_source_{suffix}", f"backup_restored_{suffix}"
    url = pg.create_database(source)
    instance = tmp_path / "instance"
    made = _populate(url, instance)
    assert made["entries"] > 0
    assert (instance / "uploads" / made["storage_key"]).read_bytes() == PDF

    backup = tmp_path / "backups" / "nightly"
    done = _run_block("backup", _environment(pg, source, instance, BACKUP=str(backup)), tmp_path)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in backup.iterdir()} == {"gongkai.dump", "uploads.tar.gz", "SHA256SUMS"}

    new_instance = tmp_path / "restored-instance"
    env = _environment(pg, restored, new_instance, BACKUP=str(backup))
    done = _run_block("restore", env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    entries = "entry" if made["entries"] == 1 else "entries"
    assert re.search(rf"^OK: {made['entries']} {entries} in \d+ organisations?$", done.stdout, re.M)
    assert (new_instance / "uploads" / made["storage_key"]).read_bytes() == PDF

    # the restored copy is a real one: tampering there is found by the same check
    import psycopg

    with psycopg.connect(pg.url(restored), autocommit=True) as conn:
        conn.execute("ALTER TABLE register_entries DISABLE TRIGGER USER")
        conn.execute(
            "UPDATE register_entries SET title = title || ' (edited)' "
            "WHERE id = (SELECT min(id) FROM register_entries)"
        )
    check = subprocess.run(["gongkai", "register", "verify"], env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert check.returncode == 1 and "FAILED" in check.stderr


def test_a_damaged_backup_is_refused_before_anything_is_restored(pg, tmp_path):
    suffix = _worker_suffix()
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "gongkai.dump").write_bytes(b"dump")
    (backup / "uploads.tar.gz").write_bytes(b"tar")
    subprocess.run(["bash", "-c", "sha256sum gongkai.dump uploads.tar.gz > SHA256SUMS"],
                   cwd=backup, check=True)  # fmt: skip
    (backup / "gongkai.dump").write_bytes(b"dump, damaged")
    env = _environment(pg, f"backup_never_{suffix}", tmp_path / "i", BACKUP=str(backup))
    done = _run_block("restore", env, tmp_path)
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr
    import psycopg

    with psycopg.connect(pg.url("postgres")) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert f"backup_never_{suffix}" not in names


def test_the_documented_upgrade_brings_an_older_schema_to_this_release(pg, tmp_path):
    suffix = _worker_suffix()
    url = pg.create_database(f"upgrade_{suffix}")
    env = _environment(pg, f"upgrade_{suffix}", tmp_path / "instance")
    first = subprocess.run(["gongkai", "db", "upgrade", "fd9f7347194b"], env=env,
                           capture_output=True, text=True)  # fmt: skip
    assert first.returncode == 0, first.stderr
    started = time.monotonic()
    behind = subprocess.run(["gongkai", "db", "check", "--wait", "2"], env=env,
                            capture_output=True, text=True)  # fmt: skip
    assert behind.returncode == 1 and "gongkai db upgrade" in behind.stderr
    assert time.monotonic() - started >= 2  # kept checking before it gave up

    done = _run_block("upgrade", env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Database schema is up to date" in done.stdout.splitlines()[-1]
    assert not migrations.pending(url)
    db.get_engine(url).dispose()


def test_two_upgrades_at_once_apply_the_migrations_once(pg, tmp_path):
    """A retried migration Job or an operator running ``db upgrade`` beside it: the second waits
    for the first (an advisory lock) and both end with the schema at its head."""
    suffix = _worker_suffix()
    url = pg.create_database(f"upgrade_twice_{suffix}")
    env = _environment(pg, f"upgrade_twice_{suffix}", tmp_path / "instance")
    both = [subprocess.Popen(["gongkai", "db", "upgrade"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    results = [(p.wait(timeout=300), *p.communicate()) for p in both]
    for code, out, err in results:
        assert code == 0, out + err
        assert "Database at revision" in out
    assert not migrations.pending(url)
    db.get_engine(url).dispose()
