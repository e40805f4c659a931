"""The security suites on the routes of the plugin three_important: the isolation suite (no page
or form of iso-b's or iso-c's 三重一大 records answers iso-a's people, anonymous visitors or
iso-c's), and CSRF (every form refuses a post without its token)."""

from __future__ import annotations

import pytest

from tests import isolation_world as iw
from tests.test_csrf import refused_for_csrf as refused_in_english
from tests.test_isolation import check, report


def refused_for_csrf(response) -> bool:
    """The CSRF refusal, in English or (the default locale) in Chinese."""
    text = response.get_data(as_text=True)
    return refused_in_english(response) or (response.status_code == 400 and "表单已过期" in text)


def mine(rule) -> bool:
    return rule.endpoint.startswith("three_important.")


@pytest.fixture
def world(app):
    return iw.build()


def test_the_plugins_routes_refuse_other_units_and_counties(app, world):
    violations, count = check(app, world, only=mine)
    assert count > 100, count
    assert not violations, report(violations)


def test_the_plugins_forms_refuse_a_post_without_the_csrf_token(app, world):
    (staff,) = iw.readers(app, ["iso-b-staff"])
    calls = [
        c
        for c in iw.calls(app, world, only=mine)
        if c.method in iw.WRITES and c.variant == "own" and c.bundle.get("org_code") == iw.B
    ]
    assert {c.endpoint for c in calls} >= {
        "three_important.new_meeting",
        "three_important.add_decision",
        "three_important.add_emergency",
        "three_important.ratify",
        "three_important.disclose",
        "three_important.add_list",
        "three_important.approve_list",
    }
    before = iw.snapshot()
    for call in calls:
        response = staff.client.open(call.path, method=call.method, data=dict(iw.FORM))
        assert refused_for_csrf(response), (call.path, response.status_code)
    assert iw.snapshot() == before
    # the control: with the token the same requests reach their views
    for call in calls:
        response = iw.send(staff, call)
        assert response.status_code != 404 and not refused_for_csrf(response), call.path
