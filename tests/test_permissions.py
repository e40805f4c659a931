"""The one permission function (``core.permissions.may``): roles in the unit and above, the
superior cascade, platform admins, the system actor, scopes (SCOPE-1), API token restrictions and
plugin decisions (the ``permission_decision`` hook)."""

from __future__ import annotations

import pytest

from core import db, permissions
from core.errors import Forbidden, UserError
from core.items import operations as items
from core.items import workflow as item_wf
from core.items.visibility import can_see
from core.toolkit import hookimpl, register_action
from core.workflow import TransitionRefused, allowed_transitions
from core.workflow.engine import SYSTEM
from tenants import operations as tenants
from tests.items_helpers import build_world, plan, published, through_review, user


@pytest.fixture
def w(make_org):
    world = build_world(make_org)
    county, bureau, unit = world["county"], world["bureau"], world["unit"]
    world["county_reviewer"] = user("pm-county-reviewer", ("reviewer", county))
    world["bureau_admin"] = user("pm-bureau-admin", ("admin", bureau))
    world["sibling_admin"] = user("pm-sibling-admin", ("admin", world["sibling"]))
    world["other_admin"] = user("pm-other-admin", ("admin", world["other_county"]))
    world["platform_admin"] = tenants.create_user(
        "pm-platform", password="long-enough-pw", platform_admin=True
    )
    world["anonymous"] = None
    world["supervisor"] = user("pm-supervisor", ("supervisor", unit))
    db.session.commit()
    return world


# Who may do what in the unit (it-unit, under it-bureau, under it-county). "county_reviewer"
# decides two levels up: a superior's role applies to the whole subtree.
ACTORS = (
    "admin", "editor", "reviewer", "supervisor", "member", "bureau_reviewer", "county_reviewer",
    "bureau_admin", "county_admin", "sibling_admin", "other_admin", "platform_admin", "anonymous",
)  # fmt: skip
MATRIX = {
    #                  edit  console decide manage view  cat.decide
    "admin":           (1,    1,      0,     1,     1,    0),
    "editor":          (1,    1,      0,     0,     1,    0),
    "reviewer":        (0,    1,      0,     0,     1,    0),
    "supervisor":      (0,    1,      0,     0,     1,    0),
    "member":          (0,    0,      0,     0,     0,    0),
    "bureau_reviewer": (0,    1,      1,     0,     1,    1),
    "county_reviewer": (0,    1,      1,     0,     1,    1),
    "bureau_admin":    (0,    1,      0,     1,     1,    0),
    "county_admin":    (0,    1,      0,     1,     1,    0),
    "sibling_admin":   (0,    0,      0,     0,     0,    0),
    "other_admin":     (0,    0,      0,     0,     0,    0),
    "platform_admin":  (0,    0,      0,     1,     1,    0),
    "anonymous":       (0,    0,      0,     0,     0,    0),
}  # fmt: skip
ACTIONS = (
    "items.edit", "items.view_console", "items.decide", "members.manage", "members.view",
    "catalogue.decide",
)  # fmt: skip


@pytest.mark.parametrize("who", ACTORS)
def test_the_permission_matrix_of_a_unit(w, who):
    actor, unit = w[who], w["unit"]
    got = tuple(int(permissions.may(actor, name, unit)) for name in ACTIONS)
    assert got == MATRIX[who], dict(zip(ACTIONS, got, strict=True))


def test_roles_do_not_cascade_for_unit_actions_but_do_for_superior_actions(w):
    # an admin of the county edits nothing in a branch; a county reviewer approves down there
    child = w["child"]
    assert not permissions.may(w["county_admin"], "items.edit", child)
    assert permissions.may(w["county_reviewer"], "items.decide", child)
    # a reviewer of the unit decides for the unit's children, not for the unit itself
    assert permissions.may(w["reviewer"], "items.decide", child)
    assert not permissions.may(w["reviewer"], "items.decide", w["unit"])
    # nothing crosses into a sibling or another county
    assert not permissions.may(w["bureau_reviewer"], "items.decide", w["other_county"])
    assert not permissions.may(w["admin"], "members.view", w["sibling"])


def test_objects_answer_for_their_organisation_and_require_raises_forbidden(w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    assert permissions.may(w["editor"], "items.edit", item)
    assert not permissions.may(w["sibling_admin"], "items.edit", item)
    with pytest.raises(Forbidden):
        permissions.require(w["sibling_admin"], "items.edit", item)
    permissions.require(w["editor"], "items.edit", item)


def test_platform_actions_are_for_platform_admins_only(w):
    assert permissions.may(w["platform_admin"], "platform.manage", None)
    for who in ("county_admin", "admin", "anonymous"):
        assert not permissions.may(w[who], "platform.manage", None), who
        assert not permissions.may(w[who], "platform.manage", w["county"]), who


def test_unknown_actions_are_an_error_not_a_refusal(w):
    with pytest.raises(KeyError, match="unknown action"):
        permissions.may(w["admin"], "items.frobnicate", w["unit"])


def test_the_system_actor_may_run_system_actions_only(w):
    item = published(w, scope="unit")
    assert permissions.may(SYSTEM, "items.view", item)  # registered with system=True
    assert not permissions.may(SYSTEM, "members.manage", w["unit"])
    assert not permissions.may(SYSTEM, "items.decide", w["unit"])


VIEWERS = (
    "anonymous", "member", "sibling_member", "other_member", "child_member", "bureau_member",
    "bureau_reviewer",
)  # fmt: skip
PLANS = {
    "public": {"entry_key": "org.election", "scope": "public", "channels": ["website"]},
    "party_wide": {"scope": "party_wide", "channels": ["meeting", "notice_board"]},
    "unit": {"scope": "unit", "channels": ["meeting", "notice_board"]},
}
SEEN_BY = {
    "public": set(VIEWERS),
    "party_wide": set(VIEWERS) - {"anonymous", "other_member"},  # the county's members
    # the unit, its subtree and its superiors' staff; a plain member above is no superior
    "unit": {"member", "child_member", "bureau_reviewer"},
}


@pytest.mark.rule("SCOPE-1")
@pytest.mark.parametrize("scope", sorted(PLANS))
def test_items_view_is_the_visibility_rule(w, scope):
    item = published(w, **PLANS[scope])
    expected = SEEN_BY[scope]
    for who in VIEWERS:
        actor = w[who]
        answer = permissions.may(actor, "items.view", item)
        assert answer == can_see(actor, item), who
        assert answer == (who in expected), f"{who} on a {scope} item"


def test_items_view_refuses_drafts_to_everyone_outside_the_console(w):
    draft = items.create(w["unit"], plan(**PLANS["public"]), actor=w["editor"])
    assert not permissions.may(None, "items.view", draft)
    assert not permissions.may(w["admin"], "items.view", draft)


# --- plugins: the permission_decision hook -----------------------------------------------------

register_action("freeze.lift", {"admin"}, "unit", plugin_grant=True)


class FreezePlugin:
    """Freezes the items of organisations whose settings say so; lets their secretary lift it."""

    @hookimpl
    def permission_decision(self, actor, action, org, obj):
        if action == "items.edit" and (org.plugin_settings or {}).get("frozen"):
            return False  # a veto: nobody edits while the unit is frozen
        if action == "freeze.lift" and actor is not None:
            secretary = (org.officers or {}).get("secretary")
            if secretary and getattr(actor, "username", None) == secretary:
                return True  # grants the plugin's own action (registered with plugin_grant)
        return None  # no view: the roles decide


class YesPlugin:
    """Says yes to everything: it must not widen any core rule."""

    calls: list

    def __init__(self):
        self.calls = []

    @hookimpl
    def permission_decision(self, actor, action, org, obj):
        self.calls.append((org.code, action))
        return True


def enable(org, *names, **settings):
    tenants.update_organisation(
        org, {"plugin_settings": {"enabled": list(names), **settings}}
    )  # fmt: skip
    db.session.commit()


def test_hook_permission_decision(w, with_plugins):
    with_plugins(freeze=FreezePlugin())
    unit, sibling = w["unit"], w["sibling"]
    enable(unit, "freeze", frozen=True)
    tenants.update_organisation(sibling, {"plugin_settings": {"frozen": True}})
    tenants.update_organisation(unit, {"officers": {"secretary": "it-member"}})
    editor = w["editor"]
    sibling_editor = user("pm-sibling-editor", ("editor", sibling))
    db.session.commit()
    # the veto: the unit enables the plugin, so its editor may not edit ...
    assert not permissions.may(editor, "items.edit", unit)
    assert permissions.may(sibling_editor, "items.edit", sibling)  # ... its sibling does not
    with pytest.raises(UserError):
        items.create(unit, plan(), actor=editor)
    # the grant: a plugin-grantable action for someone the roles refuse
    assert permissions.may(w["member"], "freeze.lift", unit)
    assert not permissions.may(w["editor"], "freeze.lift", unit)  # roles: admins only
    assert permissions.may(w["admin"], "freeze.lift", unit)


def test_a_plugin_yes_does_not_widen_core_rules_and_is_not_asked_where_not_enabled(w, with_plugins):
    yes = YesPlugin()
    with_plugins(yes=yes)
    enable(w["unit"], "yes")
    member, unit = w["member"], w["unit"]
    assert not permissions.may(member, "items.edit", unit)
    assert not permissions.may(member, "members.manage", unit)
    draft = items.create(unit, plan(scope="unit"), actor=w["editor"])
    assert not permissions.may(None, "items.view", draft)
    assert permissions.may(w["admin"], "members.manage", unit)
    assert ("it-unit", "members.manage") in yes.calls
    yes.calls.clear()
    sibling = w["sibling"]
    assert permissions.may(w["sibling_member"], "items.view_console", sibling) is False
    assert permissions.may(w["bureau_admin"], "members.manage", sibling)
    assert yes.calls == []  # the sibling does not enable the plugin: never consulted


class NoPublishing:
    """Vetoes one workflow transition (decided by ``may_run``, the same hook)."""

    @hookimpl
    def permission_decision(self, actor, action, org, obj):
        return False if action == "item.publish" else None


def test_a_plugin_veto_reaches_workflow_transitions(w, with_plugins, english):
    with_plugins(nopub=NoPublishing())
    item = items.create(w["unit"], plan(), actor=w["editor"])
    through_review(w, item)
    items.approve(item, actor=w["admin"])
    items.schedule_publication(item, actor=w["editor"])
    db.session.commit()
    admin = w["admin"]
    assert "publish" in {t.name for t in allowed_transitions(item_wf.item, item, actor=admin)}
    enable(w["unit"], "nopub")
    assert "publish" not in {t.name for t in allowed_transitions(item_wf.item, item, actor=admin)}
    for actor in (admin, SYSTEM):  # the scheduled job too
        with pytest.raises(TransitionRefused) as refused:
            items.publish(item, actor=actor)
        assert "not allowed" in str(refused.value)
    assert item.state == "scheduled"


# --- API tokens ------------------------------------------------------------------------------


def test_an_api_token_restriction_can_only_deny(app, w):
    from flask import g

    from core.api import operations as api_tokens

    admin, editor, unit = w["admin"], w["editor"], w["unit"]
    item = items.create(unit, plan(), actor=editor)
    read_only, _secret = api_tokens.create(admin, scopes=())
    editor_read, _secret = api_tokens.create(editor, scopes=())
    member_write, _secret = api_tokens.create(w["member"], scopes=["items:write"])
    with app.test_request_context("/api/v1/items"):
        g.api_token = read_only
        assert permissions.may(admin, "items.view_console", unit)
        assert not permissions.may(admin, "items.edit", unit)  # the admin may; the token not
        assert not permissions.may(admin, "members.manage", unit)  # no token manages members
        g.api_token = editor_read
        assert allowed_transitions(item_wf.item, item, actor=editor) == []
        g.api_token = member_write
        assert not permissions.may(w["member"], "items.edit", unit)  # a token never grants
        del g.api_token  # (g belongs to the test's app context, shared by both requests)
    with app.test_request_context("/"):
        assert permissions.may(admin, "items.edit", unit)
        assert permissions.may(admin, "members.manage", unit)
        assert [t.name for t in allowed_transitions(item_wf.item, item, actor=editor)] == [
            "propose"
        ]
