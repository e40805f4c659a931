"""A county's own channels of disclosure (issue 13, "Channels are data"; CAT-6).

A county adds channels in its console (a phone line, the newspaper, a service guide, a 阳光台)
with names in three languages and an audience; its units' catalogue entries and items choose
them beside the code list's and the plugins'; another county never sees them; a code of the
code list or of a plugin is refused; a retired channel stays where it was chosen but is no
longer offered; only the county's admins manage them.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import db
from core.audit import AuditEntry
from core.catalogue import county_channels as channels
from core.catalogue import operations as cat
from core.catalogue.models import CountyChannel
from core.errors import UserError
from core.items import operations as items
from core.items.models import Item
from core.plugins.testing import csrf_token
from tests.items_helpers import ENTRY, build_world, plan, published, sign_in, user

SUNSHINE = {
    "code": "sunshine_tv",
    "labels": {"zh_Hans_CN": "阳光台", "en": "Sunshine TV", "ug": "ئاپتاپ تېلېۋىزىيەسى"},
    "audience": "society",
}
SUNSHINE_FORM = {
    "code": "sunshine_tv",
    "label_zh_Hans_CN": "阳光台",
    "label_en": "Sunshine TV",
    "label_ug": "ئاپتاپ تېلېۋىزىيەسى",
    "audience": "society",
}


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def add_through_the_page(app, w) -> None:
    client = sign_in(app, "it-county-admin")
    page = "/admin/o/it-county/channels/new"
    response = client.post(page, data={**SUNSHINE_FORM, "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = client.get("/admin/o/it-county/channels").get_data(as_text=True)
    assert "阳光台" in listing and "Sunshine TV" in listing


def unit_entry(w, channels_=("sunshine_tv",), scope="public"):
    """A new catalogue version of the unit with an entry of its own on the channel."""
    draft = cat.start_draft(w["unit"], actor=w["admin"])
    category = cat.categories(draft)[0]
    entry = cat.add_entry(
        draft, category,
        {**ENTRY, "titles": {"zh_Hans_CN": "阳光台公开"}, "scope": scope,
         "channels": list(channels_), "cadence": "immediate"},
        key="org.sunshine", actor=w["admin"],
    )  # fmt: skip
    cat.transition(draft, "submit", actor=w["admin"])
    cat.transition(draft, "approve", actor=w["bureau_reviewer"])
    db.session.commit()
    return entry


@pytest.mark.rule("CAT-6")
def test_a_county_adds_a_channel_that_its_units_entries_and_items_choose(app, w):
    add_through_the_page(app, w)
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "channels.add"))
    assert [a.org_id for a in audit] == [w["county"].id]
    codes = [e.code for e in cat.channel_entries(w["unit"])]
    assert codes[-1] == "sunshine_tv" and "meeting" in codes  # after the code list's

    editor = sign_in(app, "it-editor")
    form = editor.get("/admin/o/it-unit/items/new").get_data(as_text=True)
    assert 'value="sunshine_tv"' in form and "Sunshine TV" in form

    entry = unit_entry(w)
    assert entry.channels == ["sunshine_tv"]
    item = published(w, entry_key="org.sunshine", scope="public",
                     channels=["notice_board", "sunshine_tv"])  # fmt: skip
    assert item.channels == ["notice_board", "sunshine_tv"]

    reader = app.test_client()
    for lang, name in (("zh_Hans_CN", "阳光台"), ("en", "Sunshine TV"),
                       ("ug", "ئاپتاپ تېلېۋىزىيەسى")):  # fmt: skip
        html = reader.get(f"/o/it-unit/items/{item.id}?lang={lang}").get_data(as_text=True)
        assert name in html, lang
        assert "sunshine_tv" not in html, lang
    api = reader.get(f"/api/v1/items/{item.id}?lang=en").get_json()
    assert "Sunshine TV" in api["channel_labels"]
    catalogue = reader.get("/o/it-unit/catalogue?lang=en").get_data(as_text=True)
    assert "Sunshine TV" in catalogue
    data = reader.get("/o/it-unit/data/items.csv").get_data(as_text=True)
    assert "notice_board;sunshine_tv" in data and "公开栏;阳光台" in data


@pytest.mark.rule("CAT-6")
def test_the_audience_of_a_county_channel_decides_the_scopes_it_suits(app, w, english):
    channels.add(w["county"], SUNSHINE, actor=w["county_admin"])  # society: public scope only
    with pytest.raises(UserError) as refused:
        items.create(w["unit"], plan(channels=["sunshine_tv"]), actor=w["editor"])  # party_wide
    assert any("does not suit" in p and "Sunshine TV" in p for p in refused.value.problems)
    item = items.create(
        w["unit"], plan(entry_key="org.election", scope="public", channels=["sunshine_tv"]),
        actor=w["editor"],
    )  # fmt: skip
    assert item.channels == ["sunshine_tv"]
    assert "sunshine_tv" in cat.channels_for_scope("public", w["unit"])
    assert "sunshine_tv" not in cat.channels_for_scope("party_wide", w["unit"])


@pytest.mark.rule("CAT-6")
def test_another_county_never_sees_the_channel(app, w, make_org, english):
    channels.add(w["county"], SUNSHINE, actor=w["county_admin"])
    db.session.commit()
    other_unit = make_org("it-other-unit", parent=w["other_county"])
    assert "sunshine_tv" not in {e.code for e in cat.channel_entries(other_unit)}
    assert "sunshine_tv" not in cat.channel_labels("en", other_unit)
    _clean, problems = cat.clean_entry({**ENTRY, "channels": ["sunshine_tv"]}, other_unit)
    assert "channels: Unknown channel “sunshine_tv”." in problems
    user("it-other-admin", ("admin", w["other_county"]))
    db.session.commit()
    other = sign_in(app, "it-other-admin")
    own = other.get("/admin/o/it-other/channels")
    assert own.status_code == 200 and "阳光台" not in own.get_data(as_text=True)
    assert other.get("/admin/o/it-county/channels").status_code == 403
    channel_id = channels.channels_of(w["county"])[0].id
    assert other.get(f"/admin/o/it-other/channels/{channel_id}/edit").status_code == 404
    # the same code is free in another county
    channels.add(w["other_county"], SUNSHINE, actor=w["county_admin"])


@pytest.mark.rule("CAT-6")
def test_a_code_of_the_code_list_or_of_a_plugin_is_refused(app, w, make_org, english):
    make_org("it-screen-unit", parent=w["county"], plugin_settings={"enabled": ["testplugin"]})
    for code in ("meeting", "testplugin_screen"):
        with pytest.raises(UserError) as refused:
            channels.add(w["county"], {**SUNSHINE, "code": code}, actor=w["county_admin"])
        assert "code: This code is a channel of the platform or of a plugin already." in (
            refused.value.problems
        )
    channels.add(w["county"], SUNSHINE, actor=w["county_admin"])
    with pytest.raises(UserError) as twice:
        channels.add(w["county"], SUNSHINE, actor=w["county_admin"])
    assert "code: The county has a channel with this code already." in twice.value.problems
    db.session.commit()
    # on the page: the refusal under the field, in the reader's language, nothing saved
    client = sign_in(app, "it-county-admin")
    page = "/admin/o/it-county/channels/new"
    token = csrf_token(client, page)
    response = client.post(page, data={**SUNSHINE_FORM, "code": "meeting", "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This code is a channel of the platform or of a plugin already." in html
    assert 'value="阳光台"' in html  # what was typed is kept
    chinese = client.post(
        page + "?lang=zh_Hans_CN", data={**SUNSHINE_FORM, "code": "meeting", "csrf_token": token}
    ).get_data(as_text=True)
    assert "This code" not in chinese
    missing = client.post(page, data={**SUNSHINE_FORM, "code": "radio", "label_zh_Hans_CN": "",
                                      "csrf_token": token})  # fmt: skip
    assert missing.status_code == 400
    assert [c.code for c in channels.channels_of(w["county"])] == ["sunshine_tv"]


@pytest.mark.rule("CAT-6")
def test_a_retired_channel_stays_where_it_was_chosen_and_is_no_longer_offered(app, w, english):
    channel = channels.add(w["county"], SUNSHINE, actor=w["county_admin"])
    unit_entry(w)
    item = published(w, entry_key="org.sunshine", scope="public", channels=["sunshine_tv"])
    draft = items.create(
        w["unit"], plan(entry_key="org.election", scope="public",
                        channels=["notice_board", "sunshine_tv"]), actor=w["editor"],
    )  # fmt: skip
    db.session.commit()

    client = sign_in(app, "it-county-admin")
    token = csrf_token(client, "/admin/o/it-county/channels")
    retired = client.post(f"/admin/o/it-county/channels/{channel.id}/retire",
                          data={"csrf_token": token})  # fmt: skip
    assert retired.status_code == 302
    channel = db.session.get(CountyChannel, channel.id)
    assert channel.active is False
    deleted = client.post(f"/admin/o/it-county/channels/{channel.id}/delete",
                          data={"csrf_token": token})  # fmt: skip
    assert deleted.status_code == 409
    assert "Retire it instead" in deleted.get_data(as_text=True)
    assert [c.id for c in channels.channels_of(w["county"])] == [channel.id]

    # kept where it was chosen, with its name
    html = app.test_client().get(f"/o/it-unit/items/{item.id}?lang=en").get_data(as_text=True)
    assert "Sunshine TV" in html
    assert "sunshine_tv" not in {e.code for e in cat.channel_entries(w["unit"])}
    draft = db.session.get(Item, draft.id)
    items.update(draft, {"titles": {"zh_Hans_CN": "改过的标题"}}, actor=w["editor"])
    assert draft.channels == ["notice_board", "sunshine_tv"]
    editor = sign_in(app, "it-editor")
    form = editor.get(f"/admin/o/it-unit/items/{draft.id}/edit").get_data(as_text=True)
    assert re.search(r'<input checked [^>]*value="sunshine_tv"', form)
    assert 'value="sunshine_tv"' not in editor.get("/admin/o/it-unit/items/new").get_data(
        as_text=True
    )
    # no longer offered for a new choice
    with pytest.raises(UserError) as refused:
        items.create(w["unit"], plan(entry_key="org.election", scope="public",
                                     channels=["sunshine_tv"]), actor=w["editor"])  # fmt: skip
    assert "channels: The channel “Sunshine TV” is retired: choose another one." in (
        refused.value.problems
    )
    # offered again
    channels.set_active(db.session.get(CountyChannel, channel.id), True, actor=w["county_admin"])
    assert "sunshine_tv" in {e.code for e in cat.channel_entries(w["unit"])}
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "county_channel")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["channels.add", "channels.retire", "channels.reactivate"]


def test_a_channel_nothing_chose_is_deleted(app, w):
    channel = channels.add(w["county"], SUNSHINE, actor=w["county_admin"])
    db.session.commit()
    client = sign_in(app, "it-county-admin")
    token = csrf_token(client, "/admin/o/it-county/channels")
    response = client.post(f"/admin/o/it-county/channels/{channel.id}/delete",
                           data={"csrf_token": token})  # fmt: skip
    assert response.status_code == 302
    assert channels.channels_of(w["county"]) == []
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "channels.delete"))


def test_only_the_county_admins_manage_channels(app, w):
    channel = channels.add(w["county"], SUNSHINE, actor=w["county_admin"])
    user("it-county-editor", ("editor", w["county"]))
    db.session.commit()
    for who in ("it-county-editor", "it-admin", "it-bureau-reviewer"):
        client = sign_in(app, who)
        assert client.get("/admin/o/it-county/channels").status_code == 403, who
        token = csrf_token(client)
        response = client.post(f"/admin/o/it-county/channels/{channel.id}/retire",
                               data={"csrf_token": token})  # fmt: skip
        assert response.status_code == 403, who
    # a unit's own admin: no channels page in a unit's console
    unit_admin = sign_in(app, "it-admin")
    assert unit_admin.get("/admin/o/it-unit/channels").status_code == 404
    assert "/channels" not in unit_admin.get("/admin/o/it-unit/").get_data(as_text=True)
    county_admin = sign_in(app, "it-county-admin")
    home = county_admin.get("/admin/o/it-county/").get_data(as_text=True)
    assert 'href="/admin/o/it-county/channels"' in home
    assert db.session.get(CountyChannel, channel.id).active is True


def test_the_channel_routes_refuse_bad_input_and_forms_without_their_token(app, w):
    """What the generated suites send (tests/test_no_server_errors.py, tests/test_csrf.py), here
    as the county's admin, who reaches the forms: no 5xx, and no change without the token."""
    from tests.test_no_server_errors import BAD_INTS, BAD_TEXTS

    channel = channels.add(w["county"], SUNSHINE, actor=w["county_admin"])
    db.session.commit()
    client = sign_in(app, "it-county-admin")
    base = "/admin/o/it-county/channels"
    writes = [f"{base}/new", f"{base}/{channel.id}/edit", f"{base}/{channel.id}/retire",
              f"{base}/{channel.id}/reactivate", f"{base}/{channel.id}/delete"]  # fmt: skip
    for path in writes:
        response = client.post(path, data=SUNSHINE_FORM)
        assert response.status_code == 400, path
    token = csrf_token(client, base)
    fields = [*SUNSHINE_FORM]
    for path in writes[:2]:
        for value in BAD_TEXTS:
            response = client.post(path, data={**dict.fromkeys(fields, value), "csrf_token": token})
            assert response.status_code == 400, (path, value)
    for value in BAD_INTS:
        assert client.get(f"{base}/{value}/edit").status_code == 404
        assert client.post(f"{base}/{value}/delete", data={"csrf_token": token}).status_code == 404
    kept = db.session.get(CountyChannel, channel.id)
    assert (kept.active, kept.labels, kept.audience) == (True, SUNSHINE["labels"], "society")
    assert [c.code for c in channels.channels_of(w["county"])] == ["sunshine_tv"]
