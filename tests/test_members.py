"""Membership administration in the console (``/admin/o/<code>/members``: grant, revoke,
invite, withdraw) and the invitation link (``/auth/invitations/<token>``), with the audit log."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import db
from core.audit import AuditEntry
from core.plugins.testing import csrf_token
from tenants import operations as tenants
from tenants.models import Invitation, Membership

PASSWORD = "long-enough-pw"
UNIT = "/admin/o/mb-unit"
MEMBERS = UNIT + "/members"


def person(username, *grants, **kwargs):
    user = tenants.create_user(username, password=PASSWORD, display_name=username, **kwargs)
    for role, org in grants:
        tenants.grant_membership(user, org, role)
    return user


@pytest.fixture
def w(make_org):
    county = make_org("mb-county", type_code="county_committee")
    bureau = make_org("mb-bureau", parent=county, type_code="party_committee")
    unit = make_org("mb-unit", parent=bureau)
    sibling = make_org("mb-sibling", parent=bureau)
    world = {"county": county, "bureau": bureau, "unit": unit, "sibling": sibling}
    world["admin"] = person("mb-admin", ("admin", unit))
    world["editor"] = person("mb-editor", ("editor", unit))
    world["member"] = person("mb-member", ("member", unit))
    world["sibling_admin"] = person("mb-sibling-admin", ("admin", sibling))
    world["bureau_admin"] = person("mb-bureau-admin", ("admin", bureau))
    world["platform"] = person("mb-platform", platform_admin=True)
    world["newcomer"] = person("mb-newcomer")
    db.session.commit()
    return world


def sign_in(app, username):
    """A fresh client signed in as ``username``, reading the pages in English."""
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, username
    client.get("/?lang=en")
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def post(client, path, data=None, *, token_from=MEMBERS, **kwargs):
    token = csrf_token(client, token_from)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def roles(user, org) -> set[str]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.org_id == org.id
            )
        )
    )


def audit_actions(org) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.org_id == org.id).order_by(AuditEntry.id)
        )
    )


def invite(client, role="member", note="Wang Fang", days="14") -> str:
    """Create an invitation through the page; the token from the link shown once."""
    response = post(
        client,
        MEMBERS + "/invitations",
        {"invite-role": role, "invite-note": note, "invite-days": days},
    )
    assert response.status_code == 201, html(response)
    match = re.search(r'value="(http://[^"]*/auth/invitations/([^"]+))"', html(response))
    assert match, "the page shows the invitation link"
    return match.group(2)


# --- who may use the page --------------------------------------------------------------------


def test_admins_of_the_unit_and_above_and_platform_admins_manage_members(app, w):
    for who in ("admin", "bureau_admin", "platform"):
        page = html(sign_in(app, w[who].username).get(MEMBERS))
        assert "mb-editor" in page and "Give the role" in page, who
    page = html(sign_in(app, "mb-editor").get(MEMBERS))  # staff read, without the forms
    assert "mb-member" in page
    assert "Give the role" not in page and "Revoke" not in page


@pytest.mark.parametrize("who", ["member", "sibling_admin", "newcomer"])
def test_members_and_outsiders_get_403(app, w, who):
    client = sign_in(app, w[who].username)
    assert client.get(MEMBERS).status_code == 403


@pytest.mark.parametrize("who", ["editor", "member", "sibling_admin"])
def test_only_those_who_manage_members_may_change_them(app, w, who):
    client = sign_in(app, w[who].username)
    token = csrf_token(client)
    grant = client.post(
        MEMBERS + "/grant",
        data={"grant-username": "mb-newcomer", "grant-role": "admin", "csrf_token": token},
    )
    assert grant.status_code == 403
    membership = db.session.scalar(select(Membership).where(Membership.user_id == w["member"].id))
    revoke = client.post(MEMBERS + f"/{membership.id}/revoke", data={"csrf_token": token})
    assert revoke.status_code == 403
    made = client.post(MEMBERS + "/invitations", data={"invite-role": "admin", "csrf_token": token})
    assert made.status_code == 403
    assert roles(w["newcomer"], w["unit"]) == set()
    assert roles(w["member"], w["unit"]) == {"member"}
    assert db.session.scalar(select(Invitation)) is None


def test_the_console_links_to_the_members_page(app, w):
    items_page = html(sign_in(app, "mb-editor").get(UNIT + "/catalogue"))
    assert 'href="/admin/o/mb-unit/members"' in items_page


def test_an_organisation_without_members_says_so(app, w):
    page = html(sign_in(app, "mb-platform").get("/admin/o/mb-county/members"))
    assert "Nobody holds a role in this organisation yet." in page
    assert "No invitation is waiting." in page
    assert "No changes yet." in page


# --- grant and revoke ------------------------------------------------------------------------


def test_an_admin_grants_a_role_and_it_is_audited_and_listed(app, w):
    client = sign_in(app, "mb-admin")
    response = post(client, MEMBERS + "/grant", {"grant-username": "mb-newcomer",
                                                 "grant-role": "editor"})  # fmt: skip
    assert response.status_code == 302
    assert roles(w["newcomer"], w["unit"]) == {"editor"}
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "membership.grant", AuditEntry.org_id == w["unit"].id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    assert entry.actor_label == "mb-admin"
    assert entry.changes == {"user": [None, "mb-newcomer"], "role": [None, "editor"]}
    page = html(client.get(MEMBERS))
    assert "mb-newcomer now holds the role Editor." in page  # the confirmation
    assert "mb-newcomer was given the role Editor." in page  # the latest changes


def test_an_admin_may_grant_admin_in_the_unit_and_a_superior_admin_in_the_subtree(app, w):
    post(sign_in(app, "mb-admin"), MEMBERS + "/grant",
         {"grant-username": "mb-newcomer", "grant-role": "admin"})  # fmt: skip
    assert roles(w["newcomer"], w["unit"]) == {"admin"}
    # an admin of the unit manages nothing above it
    client = sign_in(app, "mb-admin")
    assert client.get("/admin/o/mb-bureau/members").status_code == 403


def test_granting_to_an_unknown_user_is_404_with_the_input_kept(app, w):
    client = sign_in(app, "mb-admin")
    before = audit_actions(w["unit"])
    response = post(client, MEMBERS + "/grant", {"grant-username": "no-such-person",
                                                 "grant-role": "reviewer"})  # fmt: skip
    assert response.status_code == 404
    page = html(response)
    assert "There is no user with this name." in page
    assert 'value="no-such-person"' in page
    assert re.search(r'<option selected value="reviewer">|<option value="reviewer" selected', page)
    assert audit_actions(w["unit"]) == before


def test_forms_need_the_csrf_token(app, w):
    client = sign_in(app, "mb-admin")
    response = client.post(MEMBERS + "/grant", data={"grant-username": "mb-newcomer",
                                                     "grant-role": "admin"})  # fmt: skip
    assert response.status_code == 400
    assert roles(w["newcomer"], w["unit"]) == set()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == w["member"].id))
    assert client.post(MEMBERS + f"/{membership.id}/revoke").status_code == 400
    assert roles(w["member"], w["unit"]) == {"member"}


def test_revoking_asks_first_then_revokes_and_audits(app, w):
    client = sign_in(app, "mb-admin")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == w["member"].id))
    confirm = client.get(MEMBERS + f"/{membership.id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke the role Party member of mb-member (mb-member)" in html(confirm)
    assert roles(w["member"], w["unit"]) == {"member"}  # nothing happened yet
    done = post(client, MEMBERS + f"/{membership.id}/revoke",
                token_from=MEMBERS + f"/{membership.id}/revoke")  # fmt: skip
    assert done.status_code == 302
    assert roles(w["member"], w["unit"]) == set()
    assert audit_actions(w["unit"])[-1] == "membership.revoke"
    assert "mb-member no longer holds the role Party member." in html(client.get(MEMBERS))


def test_a_membership_of_another_unit_is_404(app, w):
    client = sign_in(app, "mb-admin")
    other = db.session.scalar(select(Membership).where(Membership.user_id == w["sibling_admin"].id))
    assert client.get(MEMBERS + f"/{other.id}/revoke").status_code == 404


def test_nobody_gives_up_the_last_admin_role_of_a_unit(app, w):
    client = sign_in(app, "mb-admin")
    own = db.session.scalar(select(Membership).where(Membership.user_id == w["admin"].id))
    path = MEMBERS + f"/{own.id}/revoke"
    response = post(client, path, token_from=path)
    assert response.status_code == 409
    assert "You are the last admin of this organisation." in html(response)
    assert roles(w["admin"], w["unit"]) == {"admin"}
    # with a second admin it may go; the former admin then lands on the portal
    tenants.grant_membership(w["newcomer"], w["unit"], "admin")
    db.session.commit()
    response = post(client, path, token_from=path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/o/mb-unit/")
    assert roles(w["admin"], w["unit"]) == set()


def test_a_superior_admin_may_revoke_the_last_admin_of_a_unit(app, w):
    client = sign_in(app, "mb-bureau-admin")
    own = db.session.scalar(select(Membership).where(Membership.user_id == w["admin"].id))
    path = MEMBERS + f"/{own.id}/revoke"
    assert post(client, path, token_from=path).status_code == 302
    assert roles(w["admin"], w["unit"]) == set()


# --- invitations -----------------------------------------------------------------------------


def test_an_invitation_link_is_shown_once_and_its_token_is_not_stored(app, w):
    client = sign_in(app, "mb-admin")
    token = invite(client, role="reviewer", note="Wang Fang")
    invitation = db.session.scalar(select(Invitation))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = db.session.execute(select(Invitation.__table__)).one()
    assert all(token not in str(value) for value in row)
    entries = db.session.scalars(select(AuditEntry.changes)).all()
    assert all(token not in str(changes) for changes in entries)
    assert invitation.role == "reviewer" and invitation.note == "Wang Fang"
    assert invitation.created_by_id == w["admin"].id
    assert timedelta(days=13) < invitation.expires_at - invitation.created_at <= timedelta(days=14)
    assert audit_actions(w["unit"])[-1] == "invitation.create"
    page = html(client.get(MEMBERS))
    assert token not in page  # not again
    assert "Wang Fang" in page and "Pending invitations" in page


def test_an_invitation_form_with_bad_days_is_refused_with_the_input_kept(app, w):
    client = sign_in(app, "mb-admin")
    data = {"invite-role": "member", "invite-note": "Li Lei", "invite-days": "400"}
    response = post(client, MEMBERS + "/invitations", data)
    assert response.status_code == 400
    assert 'value="Li Lei"' in html(response)
    assert db.session.scalar(select(Invitation)) is None


def test_a_withdrawn_invitation_no_longer_works(app, w):
    admin = sign_in(app, "mb-admin")
    token = invite(admin)
    invitation = db.session.scalar(select(Invitation))
    response = post(admin, MEMBERS + f"/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    assert audit_actions(w["unit"])[-1] == "invitation.revoke"
    assert "No invitation is waiting." in html(admin.get(MEMBERS))
    newcomer = sign_in(app, "mb-newcomer")
    gone = newcomer.get(f"/auth/invitations/{token}")
    assert gone.status_code == 410
    assert "withdrawn" in html(gone)


def test_a_signed_in_user_accepts_an_invitation_once(app, w):
    token = invite(sign_in(app, "mb-admin"), role="editor")
    client = sign_in(app, "mb-newcomer")
    link = f"/auth/invitations/{token}"
    page = client.get(link)
    assert page.status_code == 200
    assert "You are invited to take the role Editor in mb-unit" in html(page)
    accepted = post(client, link, token_from=link)
    assert accepted.status_code == 302
    assert accepted.headers["Location"].startswith("/admin/o/mb-unit/")  # staff: the console
    assert roles(w["newcomer"], w["unit"]) == {"editor"}
    invitation = db.session.scalar(select(Invitation))
    assert invitation.redeemed_by_id == w["newcomer"].id and invitation.redeemed_at is not None
    assert audit_actions(w["unit"])[-2:] == ["membership.grant", "invitation.redeem"]
    # single use: someone else who got the link is refused
    other = sign_in(app, "mb-member")
    assert other.get(link).status_code == 410
    assert post(other, link, token_from="/auth/login").status_code == 410
    assert "editor" not in roles(w["member"], w["unit"])


def test_an_invitation_opened_before_signing_in_is_redeemed_by_the_sign_in(app, w, client, login):
    token = invite(sign_in(app, "mb-admin"), role="member")
    client.get("/?lang=en")
    page = client.get(f"/auth/invitations/{token}")
    assert page.status_code == 200
    assert "Sign in to accept" in html(page)
    assert f"/auth/login?next=/auth/invitations/{token}" in html(page)
    response = login("mb-newcomer", PASSWORD)
    assert response.status_code == 302
    assert roles(w["newcomer"], w["unit"]) == {"member"}
    assert audit_actions(w["unit"])[-1] == "invitation.redeem"
    landing = client.get(response.headers["Location"], follow_redirects=True)
    assert "you now hold the role Party member in mb-unit" in html(landing)
    with client.session_transaction() as session:
        assert "pending_invitation" not in session
    # the sign-in page returns to the link (its ?next=): a member lands on the unit's portal
    back = client.get(f"/auth/invitations/{token}")
    assert back.status_code == 302
    assert back.headers["Location"].endswith("/o/mb-unit/")


def test_an_invitation_that_expired_meanwhile_is_skipped_at_sign_in(app, w, client, login):
    token = invite(sign_in(app, "mb-admin"))
    client.get("/?lang=en")
    assert client.get(f"/auth/invitations/{token}").status_code == 200
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = db.utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = login("mb-newcomer", PASSWORD)
    assert response.status_code == 302  # the sign-in itself goes on
    assert roles(w["newcomer"], w["unit"]) == set()
    assert audit_actions(w["unit"])[-1] == "invitation.refused"
    home = client.get(response.headers["Location"], follow_redirects=True)
    assert "could not be accepted: This invitation has expired." in html(home)


def test_expired_and_unknown_invitations_are_refused_clearly(app, w):
    token = invite(sign_in(app, "mb-admin"))
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = db.utcnow() - timedelta(seconds=1)
    db.session.commit()
    client = sign_in(app, "mb-newcomer")
    expired = client.get(f"/auth/invitations/{token}")
    assert expired.status_code == 410
    assert "This invitation has expired." in html(expired)
    assert post(client, f"/auth/invitations/{token}", token_from="/auth/login").status_code == 410
    unknown = client.get("/auth/invitations/not-a-real-token")
    assert unknown.status_code == 404
    assert "not valid" in html(unknown)
    assert roles(w["newcomer"], w["unit"]) == set()
