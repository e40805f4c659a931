"""Member evaluation (评议, SUP-3): a superior opens a round for units of its subtree, their members
rate once by secret ballot, the results are counted per unit and criterion and published in the
scope the superior chose (SCOPE-1)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from core import audit, db, jobs
from core.errors import NotFound, UserError
from core.evaluation import operations as ev
from core.evaluation.models import (
    EvaluationBallot,
    EvaluationRound,
    EvaluationUnit,
    EvaluationVoter,
)
from core.plugins.testing import csrf_token
from core.workflow.engine import SYSTEM
from core.workflow.models import WorkflowStep
from tenants import operations as tenants

pytestmark = pytest.mark.rule("SUP-3")

PASSWORD = "long-enough-pw"
SAT, BASIC, DIS = "satisfied", "basically_satisfied", "dissatisfied"


def user(username, *grants):
    u = tenants.create_user(username, password=PASSWORD, display_name=username)
    for role, org in grants:
        tenants.grant_membership(u, org, role)
    return u


pytestmark = pytest.mark.usefixtures("english")  # refusals read in English (pages keep theirs)


@pytest.fixture
def w(make_org):
    county = make_org("ev-county", type_code="county_committee")
    bureau = make_org("ev-bureau", parent=county, type_code="party_committee")
    unit_a = make_org("ev-unit-a", parent=bureau)
    unit_b = make_org("ev-unit-b", parent=bureau)
    child = make_org("ev-child", parent=unit_a, type_code="party_group")
    outside = make_org("ev-outside", parent=county)
    other = make_org("ev-other", type_code="county_committee")
    other_unit = make_org("ev-other-unit", parent=other)
    people = {
        "county_admin": user("ev-county-admin", ("admin", county)),
        "admin": user("ev-bureau-admin", ("admin", bureau)),
        "bureau_reviewer": user("ev-bureau-reviewer", ("reviewer", bureau)),
        # unit a: four people, one of them with two roles (counted once)
        "a_admin": user("ev-a-admin", ("admin", unit_a), ("member", unit_a)),
        "a1": user("ev-a1", ("member", unit_a)),
        "a2": user("ev-a2", ("member", unit_a)),
        "a3": user("ev-a3", ("member", unit_a)),
        "b_admin": user("ev-b-admin", ("admin", unit_b)),
        "b1": user("ev-b1", ("member", unit_b)),
        "child1": user("ev-child1", ("member", child)),
        "outside": user("ev-outside-member", ("member", outside)),
        "other_admin": user("ev-other-admin", ("admin", other)),
        "other_member": user("ev-other-member", ("member", other_unit)),
    }
    db.session.commit()
    return {
        "county": county,
        "bureau": bureau,
        "a": unit_a,
        "b": unit_b,
        "child": child,
        "outside": outside,
        "other": other,
        "other_unit": other_unit,
        **people,
    }


def data(w, **overrides) -> dict:
    today = ev.today(w["bureau"])
    base = {
        "titles": {"zh_Hans_CN": "2026年度党务公开工作党员评议", "en": "Member evaluation 2026"},
        "opens_on": today,
        "closes_on": today + timedelta(days=10),
        "result_scope": "unit",
        "units": ["ev-unit-a", "ev-unit-b"],
    }
    base.update(overrides)
    return base


def opened(w, **overrides) -> EvaluationRound:
    round_ = ev.create(w["bureau"], data(w, **overrides), actor=w["admin"])
    ev.open_round(round_, actor=w["admin"])
    db.session.commit()
    return round_


def answers(round_, value=SAT, **per_key) -> dict:
    found = {key: value for key in [*round_.criterion_keys(), "overall"]}
    found.update(per_key)
    return found


def sign_in(app, username):
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


def rate_path(unit_code, round_) -> str:
    return f"/o/{unit_code}/evaluations/{round_.id}/rate"


def rate_form(round_, value=SAT, comment="") -> dict:
    form = {f"a_{k}": v for k, v in answers(round_, value).items()}
    form["comment"] = comment
    return form


# --- rounds ----------------------------------------------------------------------------------


def test_a_superior_opens_a_round_for_its_subtree_and_the_roll_is_fixed(app, w):
    round_ = ev.create(w["bureau"], data(w, units=None, all_units=True), actor=w["admin"])
    assert round_.state == "draft"
    assert [o.code for o in ev.units_of(round_)] == ["ev-unit-a", "ev-unit-b", "ev-child"]
    assert [c["key"] for c in round_.criteria] == [
        "comprehensive",
        "timely",
        "accessible",
        "responsive",
    ]
    assert round_.criteria[0]["labels"]["zh_Hans_CN"] == "公开内容是否全面"
    ev.open_round(round_, actor=w["admin"])
    db.session.commit()
    assert round_.state == "open" and round_.opened_at is not None
    eligible = {u.organisation.code: u.eligible for u in ev.round_units(round_)}
    assert eligible == {"ev-unit-a": 4, "ev-child": 1, "ev-unit-b": 2}  # a_admin once
    # for the notifications: who has not rated yet
    assert {u.username for u in ev.members_who_have_not_rated(round_, w["a"])} == {
        "ev-a-admin",
        "ev-a1",
        "ev-a2",
        "ev-a3",
    }
    assert round_ in ev.open_rounds()
    steps = db.session.scalars(
        select(WorkflowStep).where(WorkflowStep.object_type == "evaluation_round")
    ).all()
    assert [(s.transition, s.to_state) for s in steps] == [("open", "open")]


def test_a_round_only_evaluates_units_below_the_superior(app, w):
    with pytest.raises(UserError) as refused:
        ev.create(w["bureau"], data(w, units=["ev-outside", "ev-other-unit"]), actor=w["admin"])
    problems = " ".join(map(str, refused.value.problems))
    assert "“ev-outside” is not a unit under this organisation" in problems
    assert "“ev-other-unit”" in problems
    with pytest.raises(UserError, match="Only an admin"):
        ev.create(w["bureau"], data(w), actor=w["bureau_reviewer"])
    with pytest.raises(UserError, match="Only an admin"):
        ev.create(w["bureau"], data(w), actor=w["county_admin"])  # not the opening organisation


def test_the_terms_are_checked(app, w):
    today = ev.today(w["bureau"])
    with pytest.raises(UserError) as refused:
        ev.create(
            w["bureau"],
            data(w, titles={"en": "no Chinese"}, closes_on=today - timedelta(days=1),
                 result_scope="specific", criteria=[]),
            actor=w["admin"],
        )  # fmt: skip
    problems = " ".join(map(str, refused.value.problems))
    for expected in ("title: the Chinese text is required", "closes_on: the last day comes",
                     "result_scope: “specific”", "criteria: at least one"):  # fmt: skip
        assert expected in problems


# --- rating ----------------------------------------------------------------------------------


def test_a_member_rates_once_and_a_second_ballot_is_refused(app, w):
    round_ = opened(w)
    client = sign_in(app, "ev-a1")
    page = client.get(rate_path("ev-unit-a", round_))
    assert page.status_code == 200
    assert "公开内容是否全面" in html(page) or "Is what is disclosed comprehensive?" in html(page)
    token = csrf_token(client, rate_path("ev-unit-a", round_))
    first = client.post(
        rate_path("ev-unit-a", round_),
        data={**rate_form(round_, comment="很好"), "csrf_token": token},
    )
    assert first.status_code == 302
    done = client.get(rate_path("ev-unit-a", round_))
    assert "You have rated this unit in this round" in html(done)
    assert 'name="a_overall"' not in html(done)  # no second form
    second = client.post(
        rate_path("ev-unit-a", round_),
        data={**rate_form(round_, DIS), "csrf_token": token},
    )
    assert second.status_code == 400
    assert "already rated" in html(second)
    assert db.session.scalar(select(func.count()).select_from(EvaluationBallot)) == 1
    with pytest.raises(UserError, match="already rated"):
        ev.cast(round_, w["a"], actor=w["a1"], answers=answers(round_))


def test_an_incomplete_ballot_is_refused_and_nothing_is_recorded(app, w):
    round_ = opened(w)
    client = sign_in(app, "ev-a2")
    token = csrf_token(client, rate_path("ev-unit-a", round_))
    form = rate_form(round_)
    del form["a_overall"]
    response = client.post(rate_path("ev-unit-a", round_), data={**form, "csrf_token": token})
    assert response.status_code == 400
    assert "Choose one answer." in html(response)
    no_token = client.post(rate_path("ev-unit-a", round_), data=rate_form(round_))
    assert no_token.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(EvaluationBallot)) == 0
    assert ev.roll_entry(round_, w["a"], w["a2"]).voted_at is None


def test_a_member_of_a_unit_outside_the_round_cannot_rate(app, w):
    round_ = opened(w)
    for username, unit in (
        ("ev-outside-member", "ev-outside"),  # the unit is not in the round
        ("ev-outside-member", "ev-unit-a"),  # not a member of the unit
        ("ev-child1", "ev-unit-a"),  # a member of a sub-unit is not a member of the unit
        ("ev-bureau-admin", "ev-unit-a"),  # the superior does not rate its units
        ("ev-other-member", "ev-unit-a"),
    ):
        client = sign_in(app, username)
        assert client.get(rate_path(unit, round_)).status_code == 404, (username, unit)
        posted = client.post(
            rate_path(unit, round_),
            data={**rate_form(round_), "csrf_token": csrf_token(client, "/auth/login")},
        )
        assert posted.status_code == 404, (username, unit)
    anonymous = app.test_client().get(rate_path("ev-unit-a", round_))
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    with pytest.raises(NotFound):
        ev.cast(round_, w["a"], actor=w["outside"], answers=answers(round_))
    assert db.session.scalar(select(func.count()).select_from(EvaluationBallot)) == 0


def test_a_draft_or_closed_round_takes_no_ballot(app, w):
    draft = ev.create(w["bureau"], data(w), actor=w["admin"])
    db.session.commit()
    client = sign_in(app, "ev-a1")
    assert client.get(rate_path("ev-unit-a", draft)).status_code == 404
    round_ = opened(w)
    ev.close(round_, actor=w["admin"])
    db.session.commit()
    page = client.get(rate_path("ev-unit-a", round_))
    assert page.status_code == 200 and "rating has ended" in html(page)
    with pytest.raises(UserError, match="not open"):
        ev.cast(round_, w["a"], actor=w["a1"], answers=answers(round_))


def test_ballots_are_taken_from_the_first_to_the_last_day_of_the_round(app, w):
    today = ev.today(w["bureau"])
    last_day = opened(w, closes_on=today)  # today is its last day: still taken
    ev.cast(last_day, w["a"], actor=w["a1"], answers=answers(last_day))
    tomorrow = opened(w, opens_on=today + timedelta(days=1))
    with pytest.raises(UserError, match="begins on the first day"):
        ev.cast(tomorrow, w["a"], actor=w["a1"], answers=answers(tomorrow))
    over = opened(w)
    over.opens_on = over.closes_on = today - timedelta(days=1)  # the sweep has not closed it yet
    with pytest.raises(UserError, match="rating has ended"):
        ev.cast(over, w["a"], actor=w["a1"], answers=answers(over))
    assert ev.participation(last_day)[w["a"].id][0] == 1


def test_participation_counts_the_roll_of_the_opening(app, w):
    round_ = opened(w)
    late = user("ev-a-late", ("member", w["a"]))  # joins after the round opened
    db.session.commit()
    with pytest.raises(UserError, match="not on this unit's roll"):
        ev.cast(round_, w["a"], actor=late, answers=answers(round_))
    page = sign_in(app, "ev-a-late").get(rate_path("ev-unit-a", round_))
    assert "not on this unit's roll" in html(page)
    ev.cast(round_, w["a"], actor=w["a1"], answers=answers(round_))
    (result,) = ev.results(round_, unit=w["a"])
    assert (result.voters, result.eligible, result.participation) == (1, 4, 0.25)


def test_the_results_are_counted_exactly(app, w):
    round_ = opened(w)
    key = round_.criterion_keys()[0]
    ballots = [
        (w["a1"], answers(round_, SAT)),
        (w["a2"], answers(round_, BASIC, **{key: SAT})),
        (w["a3"], answers(round_, DIS)),
        (w["a_admin"], answers(round_, SAT, overall=DIS)),
    ]
    for voter, given in ballots:
        ev.cast(round_, w["a"], actor=voter, answers=given)
    ev.cast(round_, w["b"], actor=w["b1"], answers=answers(round_, BASIC), comment="  ")
    ev.close(round_, actor=w["admin"])
    db.session.commit()
    a, b = ev.results(round_)
    assert a.unit.code == "ev-unit-a" and (a.voters, a.eligible, a.ballots) == (4, 4, 4)
    first = a.tallies[0]
    assert first.key == key and first.counts == {SAT: 3, BASIC: 0, DIS: 1}
    assert first.satisfaction == 0.75
    second = a.tallies[1]
    assert second.counts == {SAT: 2, BASIC: 1, DIS: 1} and second.satisfaction == 0.75
    assert a.overall.counts == {SAT: 1, BASIC: 1, DIS: 2} and a.overall.satisfaction == 0.5
    assert a.participation == 1.0
    assert (b.voters, b.eligible, b.participation) == (1, 2, 0.5)
    assert b.overall.counts == {SAT: 0, BASIC: 1, DIS: 0} and b.overall.satisfaction == 1.0
    assert ev.comments(round_, w["b"]) == []  # a blank comment is no comment
    page = sign_in(app, "ev-bureau-admin").get(f"/admin/o/ev-bureau/evaluations/{round_.id}")
    text = html(page)
    assert page.status_code == 200 and "75.0%" in text and "50.0%" in text


@pytest.mark.rule("SUP-3")
def test_the_ballot_is_secret(app, w):
    """No column of the ballots links a ballot to a person or to the moment it was cast."""
    columns = inspect(db.session.get_bind()).get_columns("evaluation_ballots")
    names = {c["name"] for c in columns}
    assert names == {"id", "round_id", "org_id", "county_id", "answers", "comment"}
    for fk in inspect(db.session.get_bind()).get_foreign_keys("evaluation_ballots"):
        assert fk["referred_table"] in ("evaluation_rounds", "organisations"), fk
    assert not {c.name for c in EvaluationVoter.__table__.columns} & {"answers", "comment"}
    round_ = opened(w)
    for voter in (w["a1"], w["a2"], w["a3"]):
        ev.cast(round_, w["a"], actor=voter, answers=answers(round_), comment="zxsecret")
    db.session.commit()
    ids = db.session.scalars(select(EvaluationBallot.id)).all()
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)  # random, not a sequence
    voted = db.session.scalars(select(EvaluationVoter).where(EvaluationVoter.voted_at.is_not(None)))
    assert {v.user_id for v in voted} == {w["a1"].id, w["a2"].id, w["a3"].id}
    entries = db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "evaluation.rate")
    ).all()
    assert len(entries) == 3
    assert all("zxsecret" not in repr(e.changes) and SAT not in repr(e.changes) for e in entries)


# --- publication and scope -------------------------------------------------------------------


def published(w, scope: str) -> EvaluationRound:
    round_ = opened(w, result_scope=scope)
    ev.cast(round_, w["a"], actor=w["a1"], answers=answers(round_), comment="评论 zxcomment")
    ev.cast(round_, w["b"], actor=w["b1"], answers=answers(round_, BASIC))
    ev.close(round_, actor=w["admin"])
    ev.publish(round_, actor=w["admin"])
    db.session.commit()
    return round_


# reader: (the scopes in which they read the results)
READERS = {
    "anonymous": {"public"},
    "ev-other-member": {"public"},  # another county
    "ev-outside-member": {"public", "party_wide"},  # the same county, outside the subtree
    "ev-b1": {"public", "party_wide", "unit"},  # a member in the subtree
    "ev-child1": {"public", "party_wide", "unit"},  # deeper in the subtree
    "ev-county-admin": {"public", "party_wide", "unit"},  # a superior's staff
}


@pytest.mark.rule("SCOPE-1")
@pytest.mark.parametrize("scope", ["public", "party_wide", "unit"])
def test_the_results_are_published_in_the_chosen_scope(app, w, scope):
    round_ = published(w, scope)
    path = f"/o/ev-bureau/evaluations/{round_.id}"
    for reader, scopes in READERS.items():
        client = app.test_client() if reader == "anonymous" else sign_in(app, reader)
        page = client.get(path + "?lang=en")
        if scope in scopes:
            assert page.status_code == 200, (reader, scope)
            assert "Member evaluation 2026" in html(page)
        else:
            assert page.status_code == 404, (reader, scope)
            assert "Member evaluation 2026" not in html(page)
        portal = client.get("/o/ev-unit-b/?lang=en")
        assert portal.status_code == 200
        assert (f"/o/ev-bureau/evaluations/{round_.id}#unit-ev-unit-b" in html(portal)) == (
            scope in scopes
        ), (reader, scope)
        assert "zxcomment" not in html(page) + html(portal)


def test_comments_are_never_published_but_read_in_the_console(app, w):
    round_ = published(w, "public")
    public = app.test_client().get(f"/o/ev-bureau/evaluations/{round_.id}?lang=en")
    text = html(public)
    assert public.status_code == 200 and "zxcomment" not in text
    assert "ev-unit-a" in text and "100.0%" in text  # participation and satisfaction
    superior = sign_in(app, "ev-bureau-admin").get(f"/admin/o/ev-bureau/evaluations/{round_.id}")
    assert "zxcomment" in html(superior)
    unit = sign_in(app, "ev-a-admin").get(f"/admin/o/ev-unit-a/evaluations/{round_.id}")
    assert unit.status_code == 200 and "zxcomment" in html(unit)
    sibling = sign_in(app, "ev-b-admin").get(f"/admin/o/ev-unit-b/evaluations/{round_.id}")
    assert sibling.status_code == 200 and "zxcomment" not in html(sibling)
    member = sign_in(app, "ev-a1").get(f"/admin/o/ev-unit-a/evaluations/{round_.id}")
    assert member.status_code == 403  # members are not staff


def test_a_round_is_published_only_after_closing_by_its_superior(app, w):
    round_ = opened(w)
    with pytest.raises(UserError):
        ev.publish(round_, actor=w["admin"])
    ev.close(round_, actor=w["admin"])
    with pytest.raises(UserError):
        ev.publish(round_, actor=w["county_admin"])
    with pytest.raises(UserError):
        ev.publish(round_, actor=w["bureau_reviewer"])
    ev.publish(round_, actor=w["admin"])
    db.session.commit()
    assert round_.state == "published" and round_.published_at is not None
    from core.register.models import RegisterEntry

    entry = db.session.scalar(
        select(RegisterEntry).where(RegisterEntry.object_type == "evaluation_round")
    )
    assert entry.org_id == w["bureau"].id and entry.action == "publish"
    assert entry.data["units"]["ev-unit-a"] == {"eligible": 4, "voters": 0}


def test_while_open_the_console_shows_participation_not_answers(app, w):
    round_ = opened(w)
    ev.cast(round_, w["a"], actor=w["a1"], answers=answers(round_, DIS), comment="zxopenc")
    db.session.commit()
    page = sign_in(app, "ev-bureau-admin").get(f"/admin/o/ev-bureau/evaluations/{round_.id}")
    text = html(page)
    assert page.status_code == 200 and "25.0%" in text  # 1 of 4 members of unit a
    assert "zxopenc" not in text and "Satisfaction rate" not in text
    unit = sign_in(app, "ev-a-admin").get(f"/admin/o/ev-unit-a/evaluations/{round_.id}")
    assert "zxopenc" not in html(unit) and "Satisfaction rate" not in html(unit)


def test_superiors_of_another_county_cannot_see_or_manage(app, w):
    round_ = opened(w)
    other = sign_in(app, "ev-other-admin")
    base = f"/admin/o/ev-bureau/evaluations/{round_.id}"
    for path in ("/admin/o/ev-bureau/evaluations", base, base + "/close", base + "/edit"):
        assert other.get(path).status_code == 403, path
    token = csrf_token(other, "/auth/login")
    assert other.post(base + "/close", data={"csrf_token": token}).status_code == 403
    assert other.get(f"/admin/o/ev-other/evaluations/{round_.id}").status_code == 404
    assert other.get(f"/o/ev-bureau/evaluations/{round_.id}").status_code == 404
    # a reviewer of the superior reads but does not manage
    reviewer = sign_in(app, "ev-bureau-reviewer")
    assert reviewer.get(base).status_code == 200
    assert reviewer.get(base + "/close").status_code == 403
    assert round_.state == "open"


# --- the console -----------------------------------------------------------------------------


def test_the_console_runs_a_round_from_draft_to_published(app, w):
    client = sign_in(app, "ev-bureau-admin")
    assert "No evaluation round" in html(client.get("/admin/o/ev-bureau/evaluations"))
    form_page = client.get("/admin/o/ev-bureau/evaluations/new")
    assert form_page.status_code == 200 and "公开内容是否全面" in html(form_page)
    token = csrf_token(client, "/admin/o/ev-bureau/evaluations/new")
    today = ev.today(w["bureau"])
    form = {
        "csrf_token": token,
        "title_zh_Hans_CN": "专项评议",
        "title_en": "Special evaluation",
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=7)).isoformat(),
        "criteria_zh_Hans_CN": "公开是否及时\n内容是否准确",
        "criteria_en": "Timely?\nAccurate?",
        "result_scope": "public",
        "units": ["ev-unit-b"],
    }
    bad = client.post("/admin/o/ev-bureau/evaluations/new", data={**form, "units": []})
    assert bad.status_code == 400 and "Choose at least one unit." in html(bad)
    uneven = client.post("/admin/o/ev-bureau/evaluations/new", data={**form, "criteria_en": "x"})
    assert uneven.status_code == 400
    created = client.post("/admin/o/ev-bureau/evaluations/new", data=form)
    assert created.status_code == 302
    round_ = db.session.scalar(select(EvaluationRound))
    assert round_.criteria == [
        {"key": "comprehensive", "labels": {"zh_Hans_CN": "公开是否及时", "en": "Timely?"}},
        {"key": "timely", "labels": {"zh_Hans_CN": "内容是否准确", "en": "Accurate?"}},
    ]
    base = f"/admin/o/ev-bureau/evaluations/{round_.id}"
    edited = client.post(base + "/edit", data={**form, "units": ["ev-unit-a", "ev-unit-b"]})
    assert edited.status_code == 302
    assert len(ev.round_units(round_)) == 2
    for step, state in (("open", "open"), ("close", "closed"), ("publish", "published")):
        confirm = client.get(f"{base}/{step}")
        assert confirm.status_code == 200 and "Yes, go ahead" in html(confirm)
        done = client.post(f"{base}/{step}", data={"csrf_token": token})
        assert done.status_code == 302, (step, html(done))
        db.session.expire_all()
        assert db.session.get(EvaluationRound, round_.id).state == state
    again = client.post(f"{base}/open", data={"csrf_token": token})
    assert again.status_code == 409
    actions = db.session.scalars(
        select(audit.AuditEntry.action)
        .where(audit.AuditEntry.object_type == "evaluation_round")
        .order_by(audit.AuditEntry.id)
    ).all()
    assert actions == [
        "evaluation.create",
        "evaluation.update",
        "evaluation.open",
        "evaluation.close",
        "evaluation.publish",
    ]
    listing = html(client.get("/admin/o/ev-bureau/evaluations?lang=en"))
    assert "Special evaluation" in listing and "Results published" in listing
    assert client.get(base + "/edit").status_code == 302  # no longer a draft


def test_a_draft_is_removed_after_confirmation(app, w):
    round_ = ev.create(w["bureau"], data(w), actor=w["admin"])
    db.session.commit()
    client = sign_in(app, "ev-bureau-admin")
    base = f"/admin/o/ev-bureau/evaluations/{round_.id}"
    assert "Remove this draft round?" in html(client.get(base + "/delete"))
    token = csrf_token(client, base + "/delete")
    assert client.post(base + "/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(EvaluationUnit)) == 0


def test_the_unit_portal_invites_members_to_rate(app, w):
    round_ = opened(w)
    member = sign_in(app, "ev-a1")
    portal = html(member.get("/o/ev-unit-a/"))
    assert rate_path("ev-unit-a", round_) in portal
    assert rate_path("ev-unit-a", round_) not in html(member.get("/o/ev-unit-b/"))
    assert rate_path("ev-unit-a", round_) not in html(app.test_client().get("/o/ev-unit-a/"))
    ev.cast(round_, w["a"], actor=w["a1"], answers=answers(round_))
    db.session.commit()
    assert rate_path("ev-unit-a", round_) not in html(member.get("/o/ev-unit-a/"))


# --- the sweep -------------------------------------------------------------------------------


def test_the_sweep_closes_a_round_when_its_last_day_is_over(app, w):
    today = ev.today(w["bureau"])
    current = opened(w, closes_on=today)
    ending = opened(w, closes_on=today + timedelta(days=1))
    current.opens_on = current.closes_on = today - timedelta(days=1)  # its last day was yesterday
    db.session.commit()
    assert jobs.run_sweep("close_evaluation_rounds") == 1
    db.session.expire_all()
    assert db.session.get(EvaluationRound, current.id).state == "closed"
    assert db.session.get(EvaluationRound, ending.id).state == "open"
    step = db.session.scalar(
        select(WorkflowStep).where(
            WorkflowStep.object_id == current.id, WorkflowStep.transition == "close"
        )
    )
    assert step.actor_label == SYSTEM.username
    assert jobs.run_sweep("close_evaluation_rounds") == 0


def test_units_of_and_members_who_have_not_rated(app, w):
    round_ = opened(w)
    ev.cast(round_, w["b"], actor=w["b1"], answers=answers(round_))
    db.session.commit()
    assert [o.code for o in ev.units_of(round_)] == ["ev-unit-a", "ev-unit-b"]
    assert [u.username for u in ev.members_who_have_not_rated(round_, w["b"])] == ["ev-b-admin"]


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_has_rounds_in_every_state_and_loads_once(app):
    from core.evaluation import demo
    from tenants import demo as tenants_demo

    tenants_demo.load(
        sectors=set(app.extensions["gongkai.plugins"].sectors()),
        themes=set(app.extensions["gongkai.themes"]),
    )
    db.session.commit()
    first = demo.load()
    db.session.commit()
    assert "2 superiors loaded" in first
    counts = {m: db.session.scalar(select(func.count()).select_from(m))
              for m in (EvaluationRound, EvaluationVoter, EvaluationBallot)}  # fmt: skip
    for code in demo.SUPERIORS:
        org = tenants.get_org(code)
        rounds = {r.state: r for r in ev.rounds_of(org)}
        assert set(rounds) == {"draft", "open", "closed", "published"}, code
        open_results = ev.results(rounds["open"])
        assert 0 < sum(r.ballots for r in open_results) < sum(r.eligible for r in open_results)
        assert all(r.voters == r.ballots for r in ev.results(rounds["published"]))
        close_step = [s for s in ev.history(rounds["closed"]) if s.transition == "close"]
        assert close_step[0].actor_label == "system"
    published = ev.rounds_of(tenants.get_org("hongjiang-agri"))
    public = next(r for r in published if r.state == "published")
    page = app.test_client().get(f"/o/hongjiang-agri/evaluations/{public.id}")
    assert page.status_code == 200 and "hongjiang-bamianshan" in html(page)
    portal = app.test_client().get("/o/hongjiang-seed-farm/")
    assert f"/o/hongjiang-agri/evaluations/{public.id}#unit-hongjiang-seed-farm" in html(portal)
    assert "0 superiors loaded, 2 had rounds already" in demo.load()
    assert counts == {m: db.session.scalar(select(func.count()).select_from(m))
                      for m in (EvaluationRound, EvaluationVoter, EvaluationBallot)}  # fmt: skip


# --- the security suites' world --------------------------------------------------------------


def test_the_security_suites_world_shows_the_rounds_to_those_who_may_see_them(app):
    """The positive control for tests/test_isolation.py and test_scope_suite.py: the rounds of
    tests/isolation_world.py are on the pages of those who may see them (so that "no marker
    shown" there means refused, not absent)."""
    from tests import isolation_world as iw

    world = iw.build()
    rounds = dict(world.extra["evaluation_rounds"])  # code: the last round id with that code
    published = rounds[iw.SUPERIOR]
    member, a_member, sup_admin, anonymous = iw.readers(
        app, [iw.B_MEMBER, iw.A_MEMBER, "iso-sup-admin", iw.ANONYMOUS]
    )
    assert {"zxbevopn", "zxbevuni"} <= iw.markers(html(member.client.get("/o/iso-b/")))
    results = f"/o/iso-sup/evaluations/{published}"
    assert "zxbevuni" in iw.markers(html(a_member.client.get(results)))
    assert anonymous.client.get(results).status_code == 404
    console = html(sup_admin.client.get(f"/admin/o/iso-sup/evaluations/{published}"))
    assert {"zxbevuni", "zxbevcmu"} <= iw.markers(console)
    listing = html(sup_admin.client.get("/admin/o/iso-sup/evaluations"))
    assert {"zxbevdrf", "zxbevopn", "zxbevuni"} <= iw.markers(listing)


def test_a_second_ballot_is_refused_in_chinese_and_the_first_stays(app, w):
    """Issue 11: the refusal reads in the member's language."""
    round_ = opened(w)
    ev.cast(round_, w["a"], actor=w["a1"], answers=answers(round_))
    db.session.commit()
    client = sign_in(app, "ev-a1")
    client.get("/?lang=zh_Hans_CN")
    token = csrf_token(client, rate_path("ev-unit-a", round_))
    second = client.post(
        rate_path("ev-unit-a", round_), data={**rate_form(round_, DIS), "csrf_token": token}
    )
    assert second.status_code == 400
    assert "您已在本次评议中评议过该单位；每名成员只评议一次。" in html(second)
    assert "already rated" not in html(second)
    ballots = db.session.scalars(select(EvaluationBallot)).all()
    assert [b.answers["overall"] for b in ballots] == [SAT]
