"""One decision per step: the workflow engine is the one place that checks a step.

A click on a step asks the enabled plugins once: ``permission_decision`` once for the step's
action (the view's 403 check and the run share the engine's decision), and ``workflow_guard``
once, only after the transition's own guards have passed (plugins/README.md). A refusal for lack
of a role still answers 403.
"""

from __future__ import annotations

import pytest

from core import db
from core.items import operations as items
from core.items import workflow as item_workflow
from core.plugins.testing import csrf_token
from core.toolkit import hookimpl
from core.workflow import TransitionRefused, may_start
from tests.items_helpers import build_world, plan, sign_in

# the refusals these tests read (str(exc), match=...) are in English
pytestmark = pytest.mark.usefixtures("english")

UNIT = "/admin/o/it-unit"


class Counter:
    """A plugin that counts what it is asked, and answers no view (or a refusal, when told)."""

    def __init__(self):
        self.guards: list[tuple[str, str]] = []
        self.decisions: list[str] = []
        self.refuse = False

    @hookimpl
    def workflow_guard(self, org, workflow, transition, obj, actor, inputs):
        self.guards.append((workflow, transition))
        return ["The counter refuses."] if self.refuse else []

    @hookimpl
    def permission_decision(self, actor, action, org, obj):
        self.decisions.append(action)
        return None


@pytest.fixture
def w(make_org, with_plugins):
    world = build_world(make_org)
    counter = Counter()
    with_plugins(counter=counter)
    world["unit"].plugin_settings = {"enabled": ["counter"]}
    db.session.commit()
    world["counter"] = counter
    return world


def click(client, path):
    token = csrf_token(client, UNIT + "/items")
    return client.post(path, data={"csrf_token": token})


def test_a_click_asks_each_plugin_hook_once(app, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    counter = w["counter"]
    client = sign_in(app, "it-editor")
    counter.guards.clear()
    counter.decisions.clear()
    response = click(client, f"{UNIT}/items/{item.id}/propose")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(item), item.id).state == "proposed"
    assert counter.guards == [("item", "propose")]  # once, not once in the view and once more
    assert counter.decisions.count("item.propose") == 1  # the view's check and the run share it


def test_the_workflow_guard_runs_after_the_transitions_own_guards(app, w):
    """An incomplete plan is refused by the item's own guard (PUB-1): the plugin is not asked."""
    item = items.create(w["unit"], plan(planned_at=None), actor=w["editor"])
    counter = w["counter"]
    counter.guards.clear()
    with pytest.raises(TransitionRefused) as refused:
        items.propose(item, actor=w["editor"])
    assert "planned publication time" in " ".join(map(str, refused.value.problems))
    assert counter.guards == []
    item.planned_at = db.utcnow()
    items.propose(item, actor=w["editor"])
    assert counter.guards == [("item", "propose")]


def test_a_plugins_refusal_is_the_engines(app, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    w["counter"].refuse = True
    with pytest.raises(TransitionRefused) as refused:
        items.propose(item, actor=w["editor"])
    assert refused.value.problems == ["The counter refuses."]
    assert item.state == "draft"


def test_a_step_refused_for_lack_of_a_role_answers_403(app, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    db.session.commit()
    client = sign_in(app, "it-reviewer")  # sees the console, may not propose
    response = click(client, f"{UNIT}/items/{item.id}/propose")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(type(item), item.id).state == "draft"


def test_the_views_ask_the_engine_which_steps_to_offer(app, w):
    item = items.create(w["unit"], plan(), actor=w["editor"])
    assert may_start(item_workflow.item, item, "propose", actor=w["editor"])
    assert not may_start(item_workflow.item, item, "propose", actor=w["reviewer"])
    db.session.commit()
    client = sign_in(app, "it-editor")
    response = client.get(f"{UNIT}/items/{item.id}?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert f"/items/{item.id}/propose" in page
