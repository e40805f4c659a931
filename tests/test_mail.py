"""E-mail: sent through SMTP to a debugging server started by the test, in the recipient's
language; kept and retried when the SMTP server is down; written to the instance folder without
one (development); the ``gongkai mail-debug`` server itself."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from core import db, jobs
from core.cli import main as gongkai_cli
from core.notifications import debug_smtp as debug
from core.notifications import mail
from core.notifications import operations as ops
from core.notifications.models import Notification
from tests.notification_helpers import (
    debug_smtp,
    html_of,
    notes_of,
    recipients_of,
    reset_jobs,
    run_jobs,
    text_of,
    world,
)
from tests.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_jobs(app):
    reset_jobs(app)
    yield
    reset_jobs(app)


@pytest.fixture
def w(make_org, fresh_jobs):
    return world(make_org)


@pytest.fixture
def smtp(app, tmp_path, fresh_jobs):
    with debug_smtp(app, tmp_path / "smtp") as server:
        yield server


def tell(w, *users, title=None):
    """An immediate notification about the bureau's filing to each of ``users``."""
    ops.notify(
        users,
        "items.notice_ending",  # immediate by default
        org=w["unit"],
        params={
            "title": title or {"zh_Hans_CN": "换届选举公示", "en": "Election notice"},
            "ends_at": "2026-10-09T10:00:00+00:00",
            "org": ops.org_names(w["unit"]),
        },
        link="/admin/o/it-unit/items/1",
    )
    db.session.commit()


def by_address(messages) -> dict[str, EmailMessage]:
    return {m["To"].addresses[0].addr_spec: m for m in messages}


def test_mail_goes_through_smtp_only_after_the_commit(app, w, smtp):
    ops.notify([w["editor"]], "items.notice_ending", org=w["unit"], params={})
    run_jobs()
    assert smtp.messages() == [], "nothing leaves before the commit"
    db.session.rollback()
    run_jobs()
    assert smtp.messages() == [], "nor after a rollback"

    tell(w, w["editor"])
    assert smtp.messages() == []  # queued on the mail queue, sent by a worker
    assert jobs.queue("mail").count == 1
    run_jobs()
    [message] = smtp.messages()
    assert recipients_of([message]) == ["it-editor@example.org"]
    assert message["From"] == mail.DEFAULT_FROM
    assert "https://gongkai.example.org/admin/o/it-unit/items/1" in text_of(message)
    [note] = notes_of(w["editor"])
    assert note.emailed_at is not None and note.mail_attempts == 0
    # a second run of the same job sends nothing (at most once per notification)
    jobs.enqueue(mail.send_notification, note.id, queue="mail")
    db.session.commit()
    run_jobs()
    assert len(smtp.messages()) == 1


def test_a_mail_whose_job_could_not_record_it_is_not_sent_again(app, w, smtp, monkeypatch):
    """The SMTP server took the message, then the job's commit failed (PostgreSQL went down):
    the job runs again and records the sending without sending twice."""
    from sqlalchemy.exc import OperationalError

    commit, failed = db.commit, []

    def commit_failing_after_the_sending() -> None:
        sent = [o for o in db.session.dirty if isinstance(o, Notification) and o.emailed_at]
        if sent and not failed:
            failed.append(sent)
            db.session.rollback()
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        commit()

    tell(w, w["editor"])
    monkeypatch.setattr(db, "commit", commit_failing_after_the_sending)
    run_jobs()
    assert failed and len(smtp.messages()) == 1
    assert notes_of(w["editor"])[0].emailed_at is None, "the commit failed: nothing recorded"
    monkeypatch.setattr(db, "commit", commit)

    jobs.enqueue(mail.send_notification, notes_of(w["editor"])[0].id, queue="mail")  # its retry
    db.session.commit()
    run_jobs()
    assert len(smtp.messages()) == 1, "sent once"
    assert notes_of(w["editor"])[0].emailed_at is not None


def test_an_effect_is_done_when_redis_cannot_remember_it(app, monkeypatch):
    def unreachable():
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(jobs, "redis_connection", unreachable)
    done = []
    assert jobs.once("test.1", lambda: done.append(1))
    assert jobs.once("test.1", lambda: done.append(2))
    assert done == [1, 2], "at least once rather than not at all"


def test_mail_is_written_in_each_recipients_language(app, w, smtp):
    w["editor"].locale, w["admin"].locale, w["reviewer"].locale = "zh_Hans_CN", "en", "ug"
    w["unit"].names = {
        "zh_Hans_CN": {"full": "测试党支部", "short": "测试支部"},
        "en": {"full": "Test Branch", "short": "Test"},
        "ug": {"full": "سىناق ياچېيكىسى", "short": "سىناق"},
    }
    db.session.commit()
    tell(w, w["editor"], w["admin"], w["reviewer"])
    run_jobs()
    sent = by_address(smtp.messages())
    zh, en, ug = (sent[f"it-{r}@example.org"] for r in ("editor", "admin", "reviewer"))

    assert zh["Content-Language"] == "zh-Hans-CN"
    assert "换届选举公示" in zh["Subject"]
    assert "党务公开" in text_of(zh)  # the footer, translated
    assert "2026年10月9日" in text_of(zh)  # the end of the period, in Chinese
    assert 'lang="zh-Hans-CN" dir="ltr"' in html_of(zh)

    assert en["Content-Language"] == "en"
    assert "Election notice" in en["Subject"]
    assert "Party affairs disclosure" in text_of(en)
    assert "October 9, 2026" in text_of(en)
    assert "Test Branch" in text_of(en)

    assert ug["Content-Language"] == "ug"
    assert "پارتىيە ئىشلىرىنى ئاشكارىلاش" in text_of(ug)
    assert "سىناق ياچېيكىسى" in text_of(ug)
    assert 'lang="ug" dir="rtl"' in html_of(ug)
    assert "换届选举公示" in ug["Subject"]  # no Uyghur title: the Chinese one


def test_html_part_escapes_what_people_typed(app, w, smtp):
    tell(w, w["editor"], title={"zh_Hans_CN": "<script>alert(1)</script>"})
    run_jobs()
    [message] = smtp.messages()
    assert "<script>alert(1)</script>" not in html_of(message)
    assert "&lt;script&gt;" in html_of(message)


def test_smtp_down_keeps_the_mail_and_the_retry_sweep_sends_it(app, w, tmp_path, fresh_jobs):
    port = free_port()
    app.config["GONGKAI_SMTP_URL"] = f"smtp://127.0.0.1:{port}"  # nothing listens yet
    try:
        tell(w, w["editor"])
        run_jobs()
        [note] = notes_of(w["editor"])
        assert note.emailed_at is None
        assert note.mail_attempts == 1 and "ConnectionRefused" in note.mail_error

        assert ops.retry_mail() == 0, "too early: retried after a while"
        server = debug.DebugSMTPServer(tmp_path / "smtp", port=port).start()
        try:
            assert ops.retry_mail(db.utcnow() + timedelta(minutes=11)) == 1
            db.session.commit()
            run_jobs()
            [message] = server.messages()
            assert recipients_of([message]) == ["it-editor@example.org"]
            assert notes_of(w["editor"])[0].emailed_at is not None
            assert ops.retry_mail(db.utcnow() + timedelta(minutes=30)) == 0
        finally:
            server.stop()
    finally:
        app.config.pop("GONGKAI_SMTP_URL", None)


def test_a_mail_whose_job_was_lost_is_queued_again_once(app, w, smtp):
    tell(w, w["editor"])
    jobs.reset_embedded()  # the in-process queue is gone (a command's process ended)
    assert ops.retry_mail(db.utcnow() + timedelta(minutes=20)) == 0, "not lost yet"
    later = db.utcnow() + timedelta(hours=2)
    assert ops.retry_mail(later) == 1
    db.session.commit()
    run_jobs()
    assert len(smtp.messages()) == 1
    assert ops.retry_mail(later) == 0


def test_without_smtp_url_development_writes_mail_to_the_instance_folder(app, w, fresh_jobs):
    app.config.pop("GONGKAI_SMTP_URL", None)
    tell(w, w["editor"])
    run_jobs()
    folder = Path(app.instance_path) / "mail"
    [message] = debug.messages(folder)
    assert recipients_of([message]) == ["it-editor@example.org"]
    assert notes_of(w["editor"])[0].emailed_at is not None


def test_production_without_smtp_url_sends_nothing_and_does_not_retry(app, w, fresh_jobs):
    app.config["GONGKAI_ENV"] = "production"
    try:
        tell(w, w["editor"])
        run_jobs()
    finally:
        app.config["GONGKAI_ENV"] = "testing"
    [note] = notes_of(w["editor"])
    assert note.emailed_at is None and "GONGKAI_SMTP_URL" in note.mail_error
    assert ops.retry_mail(db.utcnow() + timedelta(hours=2)) == 0
    assert not (Path(app.instance_path) / "mail").exists()


def test_smtp_url_forms():
    plain = mail.parse_smtp_url("smtp://127.0.0.1:8025")
    assert (plain.host, plain.port, plain.ssl, plain.starttls, plain.username) == (
        "127.0.0.1", 8025, False, False, None,
    )  # fmt: skip
    secure = mail.parse_smtp_url("smtps://mailer:p%40ss@mail.example.org")
    assert (secure.port, secure.ssl, secure.username, secure.password) == (
        465, True, "mailer", "p@ss",
    )  # fmt: skip
    assert mail.parse_smtp_url("smtp://mail.example.org:587?starttls=1").starttls
    with pytest.raises(ValueError, match="GONGKAI_SMTP_URL"):
        mail.parse_smtp_url("http://mail.example.org")


def test_test_mail_command_sends_through_the_settings(app, smtp):
    result = app.test_cli_runner().invoke(
        gongkai_cli, ["notifications", "test-mail", "ops@example.org", "--locale", "en"]
    )
    assert result.exit_code == 0, result.output
    [message] = smtp.messages()
    assert recipients_of([message]) == ["ops@example.org"]
    assert message["Subject"] == "Test message from Gongkai"


def test_notifications_list_command(app, w):
    tell(w, w["editor"])
    result = app.test_cli_runner().invoke(gongkai_cli, ["notifications", "list", "it-editor"])
    assert result.exit_code == 0, result.output
    assert "items.notice_ending" in result.output and "Unread: 1." in result.output
    missing = app.test_cli_runner().invoke(gongkai_cli, ["notifications", "list", "nobody"])
    assert missing.exit_code == 2


def test_the_notifications_commands_speak_chinese(app, w):
    """Issue 11: a refusal and a line of its own in the operator's language."""
    tell(w, w["editor"])
    zh = {"GONGKAI_CLI_LOCALE": "zh_Hans_CN"}
    runner = app.test_cli_runner()
    listed = runner.invoke(gongkai_cli, ["notifications", "list", "it-editor"], env=zh)
    assert listed.exit_code == 0, listed.output
    assert listed.output.endswith("未读：1 条。\n")
    missing = runner.invoke(gongkai_cli, ["notifications", "list", "nobody"], env=zh)
    assert missing.exit_code == 2
    assert missing.stderr == "错误：没有用户“nobody”。\n"


def test_mail_debug_command_receives_and_writes_messages(app_settings, tmp_path):
    port = free_port()
    folder = tmp_path / "received"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env.update(
        GONGKAI_ENV="testing",
        GONGKAI_DATABASE_URL=app_settings["database_url"],
        GONGKAI_INSTANCE_PATH=app_settings["instance_path"],
        SECRET_KEY=app_settings["secret_key"],
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "mail-debug",
         "--port", str(port), "--dir", str(folder)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=30)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "a@example.org",
            "b@example.org",
            "你好",
        )
        message.set_content("正文")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
        [stored] = debug.messages(folder)
        assert stored["Subject"] == "你好"
        assert stored.get_content().strip() == "正文"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert f"smtp://127.0.0.1:{port}" in output
    assert "b@example.org" in output  # one line per message


def test_only_the_notifications_of_the_mail_are_marked_sent(app, w, smtp):
    tell(w, w["editor"], w["admin"])
    w["admin"].email = None
    db.session.commit()
    run_jobs()
    assert recipients_of(smtp.messages()) == ["it-editor@example.org"]
    db.session.rollback()
    rows = {
        n.user_id: n for n in db.session.scalars(select(Notification).order_by(Notification.id))
    }
    assert rows[w["admin"].id].emailed_at is None and rows[w["admin"].id].email == "none"


def test_digest_command_sends_the_days_digests_at_once_in_the_embedded_mode(
    app, w, smtp, monkeypatch
):
    monkeypatch.setattr(ops, "DIGEST_HOUR", 0)  # whatever the hour the test runs at
    ops.notify([w["editor"]], "items.filed", org=w["unit"], params={"title": {"en": "Filed"}})
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(gongkai_cli, ["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "Digests queued: 1." in result.output
    [message] = smtp.messages()  # sent before the command ended, not lost with its queue
    assert recipients_of([message]) == ["it-editor@example.org"]
    again = runner.invoke(gongkai_cli, ["notifications", "digest"])
    assert "Digests queued: 0." in again.output
    assert len(smtp.messages()) == 1
