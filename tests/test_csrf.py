"""CSRF on every form: generated from the URL map, like the isolation suite.

Every route that accepts a write is sent the full console form by a user who may run it (the
unit's own admin, editor and reviewer, on the unit's own objects) from a signed-in browser
session, but without the CSRF token: the answer is the "form has expired" page (400) and no
table changes. The JSON API is exempt only for requests that carry a Bearer token (a browser
session cannot forge one); a session-authenticated API write without the token is refused too.
"""

from __future__ import annotations

import pytest

from tests import isolation_world as iw

STAFF = "iso-b-staff"
# Writes that a browser session may send without a token, and why.
EXEMPT = {
    "items_api.objections": "anonymous JSON objections: no session to ride; rate-limited",
}


@pytest.fixture
def world(app):
    return iw.build()


def own_writes(app, world) -> list[iw.Call]:
    """Every write route, filled with iso-b's objects under iso-b's own code (or no code)."""
    return [
        call
        for call in iw.calls(app, world)
        if call.method in iw.WRITES
        and call.variant == "own"
        and call.bundle.get("org_code", iw.B) == iw.B
        and call.endpoint not in EXEMPT
    ]


EXPIRED = ("The form has expired", "The form had expired", "csrf_failed")


def refused_for_csrf(response) -> bool:
    """The CSRF refusal (the objection form keeps the visitor's text, so its wording differs),
    or a 404 for an object this user cannot reach at all (refused before the form is read)."""
    text = response.get_data(as_text=True)
    if response.status_code == 404:
        return True
    return response.status_code == 400 and any(words in text for words in EXPIRED)


def test_every_form_refuses_a_post_without_the_csrf_token(app, world):
    (staff,) = iw.readers(app, [STAFF])
    calls = own_writes(app, world)
    endpoints = {c.endpoint for c in calls}
    assert {"items_admin.edit", "members_admin.grant", "auth.login"} <= endpoints, endpoints
    problems = []
    before = iw.snapshot()
    for call in sorted(calls, key=lambda c: c.endpoint == "auth.logout"):
        response = staff.client.open(
            call.path, method=call.method, data=dict(iw.FORM), headers={"Accept-Language": "en"}
        )
        if not refused_for_csrf(response):
            problems.append(f"{call.method} {call.path}: {response.status_code}")
        after = iw.snapshot()
        changed = sorted(t for t in after if after[t] != before[t])
        if changed:
            problems.append(f"{call.method} {call.path} changed {', '.join(changed)}")
        before = after
    assert not problems, "\n".join(problems)


def test_the_same_forms_with_the_token_reach_their_view(app, world):
    """The control: with the token, the same requests get past the CSRF check (so the 400s
    above are the check's, not a broken form)."""
    (staff,) = iw.readers(app, [STAFF])
    passed = 0
    for call in own_writes(app, world):
        if call.endpoint == "auth.logout":
            continue
        response = iw.send(staff, call)
        if response.status_code != 404 and not refused_for_csrf(response):
            passed += 1
    assert passed > 20
