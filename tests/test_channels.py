"""Notification channels: the hook ``notification_channels(org)`` (core ships the inbox and
e-mail; the test plugin adds a "recorder", as a plugin would add SMS or a work-messaging app).

The settings page offers a plugin's channel to people who hold a role where the plugin is
enabled; a notification goes through it for the kinds a person switched it on, when the
notification's organisation enables the plugin; it is sent by a job after the commit, and one
that failed is tried again by the retry sweep.
"""

from __future__ import annotations

from datetime import timedelta

import gongkai_testplugin
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core import db
from core.notifications import channels
from core.notifications import operations as ops
from core.notifications.models import NotificationDelivery
from core.plugins.testing import csrf_token
from tests.items_helpers import user
from tests.notification_helpers import reset_jobs, run_jobs

PASSWORD = "long-enough-pw"
KIND = "items.notice_ending"


@pytest.fixture
def recorder(app):
    reset_jobs(app)
    gongkai_testplugin.RECORDER.sent.clear()
    gongkai_testplugin.RECORDER.failures = 0
    yield gongkai_testplugin.RECORDER
    gongkai_testplugin.RECORDER.sent.clear()
    gongkai_testplugin.RECORDER.failures = 0
    reset_jobs(app)


@pytest.fixture
def orgs(make_org):
    county = make_org("ch-county", type_code="county_committee")
    enabling = make_org("ch-on", parent=county, plugin_settings={"enabled": ["testplugin"]})
    plain = make_org("ch-off", parent=county)
    people = {
        "on": user("ch-on-admin", ("admin", enabling)),
        "off": user("ch-off-admin", ("admin", plain)),
    }
    people["on"].locale = "en"
    db.session.commit()
    return {"on": enabling, "off": plain, **{f"{k}_user": v for k, v in people.items()}}


def tell(org, *users):
    notes = ops.notify(
        users, KIND, org=org,
        params={"title": {"zh_Hans_CN": "换届选举公示", "en": "Election notice"},
                "ends_at": "2026-10-09T10:00:00+00:00", "org": ops.org_names(org)},
        link=f"/admin/o/{org.code}/items/1",
    )  # fmt: skip
    return notes


def sign_in(app, username):
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    return client


def test_hook_notification_channels(app, orgs, recorder):
    """The recorder is offered where the plugin is enabled, chosen per kind on the settings
    page, and sends after the commit in the reader's language with the page's address."""
    user("ch-on-member", ("member", orgs["on"]))  # reads Chinese: the plugin's own words
    db.session.commit()
    chinese = sign_in(app, "ch-on-member").get("/notifications/settings?lang=zh_Hans_CN")
    assert "记录器" in chinese.get_data(as_text=True)
    client = sign_in(app, "ch-on-admin")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Recorder" in page and "writes down what it would send" in page
    token = csrf_token(client, "/notifications/settings")
    response = client.post(
        "/notifications/settings",
        data={"csrf_token": token, "extra": f"{KIND}/testplugin_recorder", f"kind-{KIND}": "off"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert ops.channel_choices(orgs["on_user"], channels.offered_to(orgs["on_user"]))[KIND] == {
        "testplugin_recorder": True
    }

    tell(orgs["on"], orgs["on_user"])
    assert recorder.sent == []  # a job sends it, after the commit
    db.session.commit()
    run_jobs()
    [(username, title, url)] = recorder.sent
    assert username == "ch-on-admin" and title.startswith("The notice period of “Election notice”")
    assert url.endswith("/admin/o/ch-on/items/1")


def test_a_channel_is_offered_and_used_only_where_its_plugin_is_enabled(app, orgs, recorder):
    off_user = orgs["off_user"]
    assert channels.offered_to(off_user) == {}
    page = (
        sign_in(app, "ch-off-admin").get("/notifications/settings?lang=en").get_data(as_text=True)
    )
    assert "Recorder" not in page
    # someone who switched it on, told about an organisation that does not enable the plugin
    on_user = orgs["on_user"]
    ops.set_preferences(
        on_user, {}, extra={KIND: {"testplugin_recorder": True}},
        offered=channels.offered_to(on_user),
    )  # fmt: skip
    tell(orgs["off"], on_user, off_user)
    db.session.commit()
    run_jobs()
    assert recorder.sent == []
    assert not db.session.scalars(select(NotificationDelivery)).all()
    # an unknown channel is refused, not stored
    with force_locale("en"), pytest.raises(Exception, match="not saved"):
        ops.set_preferences(off_user, {}, extra={KIND: {"testplugin_recorder": True}}, offered={})


def test_a_failed_delivery_is_tried_again_by_the_retry_sweep(app, orgs, recorder):
    on_user = orgs["on_user"]
    ops.set_preferences(
        on_user, {}, extra={KIND: {"testplugin_recorder": True}},
        offered=channels.offered_to(on_user),
    )  # fmt: skip
    recorder.failures = 1
    tell(orgs["on"], on_user)
    db.session.commit()
    run_jobs()
    [delivery] = db.session.scalars(select(NotificationDelivery)).all()
    assert delivery.sent_at is None and delivery.attempts == 1
    assert "unreachable" in delivery.last_error
    assert ops.retry_mail(delivery.created_at + timedelta(minutes=1)) == 0  # not yet
    assert ops.retry_mail(delivery.created_at + timedelta(minutes=11)) >= 1
    db.session.commit()
    run_jobs()
    db.session.refresh(delivery)
    assert delivery.sent_at is not None and delivery.attempts == 2
    assert len(recorder.sent) == 1
    assert ops.retry_mail(delivery.created_at + timedelta(minutes=30)) == 0  # sent: done
