"""Assessment (SUP-3): a superior sets a scheme of weighted criteria for a year — scored by hand,
by an automatic metric (hook ``assessment_metrics``) or by a checklist standard whose every point
needs evidence — its units assess themselves, the superior scores them and publishes the results
in the scope it chose (SCOPE-1); contact points and model units are designated with their
standard."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import select

from core import db
from core.assessments import metrics, visibility
from core.assessments import operations as ops
from core.assessments.models import AssessmentEvidence, AssessmentSheet
from core.errors import UserError
from core.notifications import operations as notify
from core.notifications import reminders
from core.notifications.models import Notification
from core.storage import storage
from core.workflow.engine import TransitionRefused
from tenants.models import User
from tests.items_helpers import sign_in, user
from tests.printed import pdf_fonts, pdf_text

YEAR = date.today().year


@pytest.fixture(autouse=True)
def english(app):
    """Refusals read in English (the messages the assertions quote); pages in their own."""
    with force_locale("en"):
        yield


@pytest.fixture
def w(make_org):
    county = make_org("as-county", type_code="county_committee")
    bureau = make_org("as-bureau", parent=county, type_code="party_committee")
    a = make_org("as-a", parent=bureau)
    b = make_org("as-b", parent=bureau)
    outside = make_org("as-outside", parent=county)
    other = make_org("as-other", type_code="county_committee")
    w = {"county": county, "bureau": bureau, "a": a, "b": b, "outside": outside, "other": other}
    w["admin"] = user("as-bureau-admin", ("admin", bureau))
    w["reviewer"] = user("as-bureau-reviewer", ("reviewer", bureau))
    w["a_admin"] = user("as-a-admin", ("admin", a))
    w["a_editor"] = user("as-a-editor", ("editor", a))
    w["a_member"] = user("as-a-member", ("member", a))
    w["b_admin"] = user("as-b-admin", ("admin", b))
    w["outside_admin"] = user("as-outside-admin", ("admin", outside))
    w["other_admin"] = user("as-other-admin", ("admin", other))
    db.session.commit()
    return w


def criteria(manual=40, checklist=30, metric=30) -> list[dict]:
    return [
        {"key": "work", "labels": {"zh_Hans_CN": "工作落实", "en": "Work done"},
         "weight": manual, "method": "manual"},
        {"key": "haves", "labels": {"zh_Hans_CN": "“五有”建设"}, "weight": checklist,
         "method": "checklist", "standard": "five_haves"},
        {"key": "feedback", "labels": {"zh_Hans_CN": "意见建议办理"}, "weight": metric,
         "method": "metric", "metric": "feedback_handling"},
    ]  # fmt: skip


def data(**overrides) -> dict:
    found = {
        "year": YEAR,
        "titles": {"zh_Hans_CN": f"{YEAR}年度党务公开工作考核", "en": f"Disclosure work {YEAR}"},
        "self_due_on": date.today() + timedelta(days=20),
        "result_scope": "unit",
        "criteria": criteria(),
    }
    found.update(overrides)
    return found


def opened(w, **overrides):
    scheme = ops.create(w["bureau"], data(**overrides), actor=w["admin"])
    ops.open_scheme(scheme, actor=w["admin"])
    db.session.commit()
    return scheme


def by_key(scheme):
    return {c.key: c for c in ops.criteria(scheme)}


def photo() -> bytes:
    image = Image.new("RGB", (64, 48), (180, 20, 20))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (39.0, 28.0, 12.5), 3: "E", 4: (75.0, 59.0, 1.0)}
    exif.get_ifd(0x8769)[0x9003] = "2026:05:03 10:11:12"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def notified(kind: str) -> list[str]:
    rows = db.session.scalars(select(Notification.user_id).where(Notification.kind == kind))
    return sorted(db.session.get(User, uid).username for uid in rows)


def scored(sheet, scheme, *, work=30, confirm=(), by_hand=15, actor=None):
    """The bureau reviewer scores ``sheet``: ``by_hand`` for the metric when it measured
    nothing (no feedback was due)."""
    c = by_key(scheme)
    reviewer = db.session.scalar(select(User).where(User.username == "as-bureau-reviewer"))
    return ops.score(
        sheet,
        {
            "scores": {c["work"].id: {"score": work}, c["feedback"].id: {"score": by_hand}},
            "confirmed": {c["haves"].id: list(confirm)},
        },
        actor=actor or reviewer,
    )


# --- the scheme ---------------------------------------------------------------------------------


@pytest.mark.rule("SUP-3")
def test_a_scheme_opens_only_when_its_weights_add_up_to_100(w):
    with pytest.raises(UserError) as refused:  # more than 100 is refused while drafting
        ops.create(w["bureau"], data(criteria=criteria(manual=41)), actor=w["admin"])
    assert "101" in " ".join(refused.value.problems)
    scheme = ops.create(w["bureau"], data(criteria=criteria(manual=39)), actor=w["admin"])
    with pytest.raises(TransitionRefused) as short:  # 99: the last value refused
        ops.open_scheme(scheme, actor=w["admin"])
    assert "99" in " ".join(short.value.problems)
    assert ops.sheets(scheme) == []
    ops.update(scheme, data(), actor=w["admin"])  # 100: the first accepted
    ops.open_scheme(scheme, actor=w["admin"])
    db.session.commit()
    assert scheme.state == "open"
    assert sorted(s.organisation.code for s in ops.sheets(scheme)) == ["as-a", "as-b"]
    with pytest.raises(UserError):
        ops.update(scheme, data(), actor=w["admin"])  # open: frozen


@pytest.mark.rule("SUP-3")
def test_only_the_superior_s_admins_set_a_scheme_and_its_criteria_are_checked(w):
    for actor in (w["reviewer"], w["a_admin"], w["outside_admin"]):
        with pytest.raises(UserError):
            ops.create(w["bureau"], data(), actor=actor)
    bad = [
        {"labels": {"zh_Hans_CN": "甲"}, "weight": 0, "method": "manual"},
        {"labels": {"zh_Hans_CN": "乙"}, "weight": 10, "method": "metric", "metric": "nope"},
        {"labels": {"zh_Hans_CN": "丙"}, "weight": 10, "method": "checklist", "standard": "x"},
        {"labels": {"en": "no Chinese"}, "weight": 10, "method": "guess"},
    ]
    with pytest.raises(UserError) as refused:
        ops.create(w["bureau"], data(criteria=bad, year="20x6"), actor=w["admin"])
    text = " ".join(refused.value.problems)
    for field in ("year", "criteria.1.weight", "criteria.2.metric", "criteria.3.standard",
                  "criteria.4.method", "criteria.4"):  # fmt: skip
        assert field in text, field
    county_wide = ops.create(
        w["county"], data(), actor=user("as-county-admin", ("admin", w["county"]))
    )
    ops.open_scheme(
        county_wide, actor=db.session.scalar(select(User).where(User.username == "as-county-admin"))
    )
    assert {s.organisation.code for s in ops.sheets(county_wide)} == {
        "as-bureau", "as-a", "as-b", "as-outside"}  # fmt: skip


# --- the unit's side, the superior's side -------------------------------------------------------


@pytest.mark.rule("SUP-3")
def test_a_checklist_point_counts_only_with_evidence(w):
    scheme = opened(w)
    haves = by_key(scheme)["haves"]
    sheet = ops.sheet_of(scheme, w["a"])
    with pytest.raises(UserError):  # no file
        ops.add_evidence(sheet, haves.id, "board", actor=w["a_editor"])
    with pytest.raises(UserError):  # not this unit's staff
        ops.add_evidence(sheet, haves.id, "board", actor=w["b_admin"], files=[("b.jpg", photo())])
    with pytest.raises(UserError, match="no such"):
        ops.add_evidence(sheet, haves.id, "garden", actor=w["a_editor"], files=[("b.jpg", photo())])
    ops.add_evidence(sheet, haves.id, "board", actor=w["a_editor"], files=[("b.jpg", photo())])
    db.session.commit()
    (row,) = db.session.scalars(select(AssessmentEvidence)).all()
    assert row.taken_on == date(2026, 5, 3) and row.point_key == "board"
    stored = Image.open(io.BytesIO(storage().open(row.storage_key)))
    assert not dict(stored.getexif())  # the location and the camera are gone
    ops.submit(sheet, actor=w["a_admin"])
    db.session.commit()
    assert sheet.self_total == 6.0  # 1 of 5 points claimed: 30 x 1/5
    with pytest.raises(UserError) as refused:  # "team" has no evidence: cannot be confirmed
        scored(sheet, scheme, confirm=("board", "team"))
    assert "evidence" in " ".join(refused.value.problems)
    assert sheet.state == "self_assessed"
    scored(sheet, scheme, confirm=("board",))
    db.session.commit()
    assert sheet.state == "scored"
    assert sheet.total == 30 + 6 + 15  # by hand, 30 x 1/5 confirmed, the metric by hand


@pytest.mark.rule("SUP-3")
def test_a_score_is_from_zero_to_the_criterion_s_weight(w):
    scheme = opened(w)
    sheet = ops.sheet_of(scheme, w["b"])
    with pytest.raises(UserError) as refused:
        scored(sheet, scheme, work=40.1)  # above the weight of 40: refused
    assert "0 to 40" in " ".join(refused.value.problems)
    with pytest.raises(UserError):
        scored(sheet, scheme, work=-1)
    with pytest.raises(UserError):
        scored(sheet, scheme, work="lots")
    assert sheet.state == "pending" and sheet.total is None
    scored(sheet, scheme, work=40)  # the weight itself: accepted
    assert ops.scores(sheet)[by_key(scheme)["work"].id].score == 40


def test_a_metric_that_measured_nothing_is_scored_by_hand(w):
    satisfied = {"key": "satisfied", "labels": {"zh_Hans_CN": "满意率"}, "weight": 60,
                 "method": "metric", "metric": "satisfaction"}  # fmt: skip
    scheme = opened(w, criteria=[criteria()[0], satisfied])
    sheet = ops.sheet_of(scheme, w["a"])
    c = by_key(scheme)
    assert ops.scores(sheet)[c["satisfied"].id].measured is None  # no evaluation round
    with pytest.raises(UserError, match="not saved") as refused:
        ops.score(sheet, {"scores": {c["work"].id: {"score": 10}}}, actor=w["reviewer"])
    assert f"scores.{c['satisfied'].id}" in " ".join(refused.value.problems)
    ops.score(
        sheet,
        {"scores": {str(c["work"].id): {"score": "10"}, str(c["satisfied"].id): {"score": 55}}},
        actor=w["reviewer"],
    )
    assert sheet.total == 65


@pytest.mark.rule("SUP-3")
def test_the_flow_self_assess_return_score_publish_tells_people(w):
    scheme = opened(w)
    assert notified("assessments.opened") == ["as-a-admin", "as-a-editor", "as-b-admin"]
    a, b = ops.sheet_of(scheme, w["a"]), ops.sheet_of(scheme, w["b"])
    assert [s.id for s in ops.to_self_assess(w["a_editor"])] == [a.id]
    c = by_key(scheme)
    ops.self_assess(a, {"summary": "按目录公开", "scores": {c["work"].id: {"score": 35}}},
                    actor=w["a_editor"])  # fmt: skip
    with pytest.raises(TransitionRefused):
        ops.submit(a, actor=w["a_editor"])  # the unit's admin submits
    ops.submit(a, actor=w["a_admin"])
    db.session.commit()
    assert a.self_total == 35 and notified("assessments.self_assessed") == [
        "as-bureau-admin",
        "as-bureau-reviewer",
    ]
    assert [s.id for s in ops.to_score(w["reviewer"])] == [a.id]
    assert ops.to_score(w["a_admin"]) == []
    with pytest.raises(UserError):
        ops.self_assess(a, {"summary": "x"}, actor=w["a_editor"])  # submitted: frozen
    with pytest.raises(TransitionRefused):
        ops.return_sheet(a, actor=w["reviewer"], comment="")  # a comment is required
    with pytest.raises(TransitionRefused):
        ops.return_sheet(a, actor=w["a_admin"], comment="自己退回")  # not the superior
    ops.return_sheet(a, actor=w["reviewer"], comment="请补充佐证材料")
    db.session.commit()
    assert a.state == "pending" and notified("assessments.returned") == [
        "as-a-admin",
        "as-a-editor",
    ]
    ops.submit(a, actor=w["a_admin"])
    with pytest.raises(TransitionRefused):
        scored(a, scheme, actor=w["a_admin"])  # a unit cannot score itself
    scored(a, scheme, work=36)
    with pytest.raises(TransitionRefused) as refused:  # one unit left: refused
        ops.publish(scheme, actor=w["admin"])
    assert "1" in " ".join(refused.value.problems)
    scored(b, scheme, work=20)
    ops.publish(scheme, actor=w["admin"])  # none left: accepted
    db.session.commit()
    assert scheme.state == "published"
    assert [s.organisation.code for s in ops.sheets(scheme)] == ["as-a", "as-b"]  # best first
    assert "as-b-admin" in notified("assessments.published")
    with pytest.raises(TransitionRefused):
        scored(b, scheme, work=21)  # published: final


@pytest.mark.rule("SUP-3")
@pytest.mark.parametrize(
    "scope, readers, others",
    [
        ("unit", ["a_member", "admin", "b_admin"], ["outside_admin", "other_admin", None]),
        ("party_wide", ["a_member", "outside_admin"], ["other_admin", None]),
        ("public", ["other_admin", None], []),
    ],
)
def test_results_are_read_in_the_scope_the_superior_chose(w, scope, readers, others):
    scheme = opened(w, result_scope=scope)
    for sheet in ops.sheets(scheme):
        scored(sheet, scheme)
    db.session.commit()
    assert not visibility.can_see_results(w["admin"], scheme)  # not published yet
    ops.publish(scheme, actor=w["admin"])
    db.session.commit()
    for name in readers:
        assert visibility.can_see_results(w[name] if name else None, scheme), name
    for name in others:
        assert not visibility.can_see_results(w[name] if name else None, scheme), name


def test_self_assessments_due_are_reminded(w):
    scheme = opened(w, self_due_on=notify.local_day() + timedelta(days=3))
    ops.submit(ops.sheet_of(scheme, w["b"]), actor=w["b_admin"])
    db.session.commit()
    early = datetime.now(UTC) - timedelta(days=1)
    assert reminders.run("assessments.self_due", early) == 0  # four days before: not yet
    reminders.run("assessments.self_due")
    reminders.run("assessments.self_due")  # once a day
    db.session.commit()
    assert notified("assessments.self_due") == ["as-a-admin", "as-a-editor"]


# --- contact points and model units --------------------------------------------------------------


def test_a_superior_designates_contact_points_and_model_units_below_it(w):
    row = ops.designate(w["bureau"], w["a"], "model_unit", standard="eight_haves", actor=w["admin"])
    ops.designate(w["bureau"], w["b"], "contact_point", actor=w["admin"])
    with pytest.raises(UserError, match="already"):
        ops.designate(w["bureau"], w["a"], "model_unit", actor=w["admin"])
    for unit, kind, actor in (
        (w["outside"], "model_unit", w["admin"]),  # not below the bureau
        (w["a"], "leader", w["admin"]),
        (w["a"], "contact_point", w["reviewer"]),  # not an admin
    ):
        with pytest.raises(UserError):
            ops.designate(w["bureau"], unit, kind, actor=actor)
    db.session.commit()
    found = ops.designations_in([w["a"], w["b"], w["outside"]])
    assert [d.kind for d in found[w["a"].id]] == ["model_unit"] and w["outside"].id not in found
    ops.end_designation(row, actor=w["admin"])
    assert w["a"].id not in ops.designations_in([w["a"]])


# --- the hook ------------------------------------------------------------------------------------


def test_hook_assessment_metrics(w):
    """A plugin's metric is offered to a superior that enables the plugin, measured per unit."""
    assert "testplugin.notes" not in metrics.available(w["bureau"])
    assert {"timeliness", "coverage", "feedback_handling", "request_handling",
            "satisfaction"} <= set(metrics.available(w["bureau"]))  # fmt: skip
    w["bureau"].plugin_settings = {"enabled": ["testplugin"]}
    db.session.commit()
    found = metrics.available(w["bureau"])
    assert found["testplugin.notes"].labels["zh_Hans_CN"] == "测试笔记"
    scheme = opened(w, criteria=[
        {"key": "notes", "labels": {"zh_Hans_CN": "笔记"}, "weight": 100, "method": "metric",
         "metric": "testplugin.notes"}])  # fmt: skip
    sheet = ops.sheet_of(scheme, w["a"])
    assert ops.scores(sheet)[by_key(scheme)["notes"].id].measured == 0.0
    ops.score(sheet, {}, actor=w["reviewer"])
    assert sheet.total == 0.0
    assert (
        db.session.scalar(select(AssessmentSheet.state).where(AssessmentSheet.id == sheet.id))
        == "scored"
    )


# --- pages -------------------------------------------------------------------------------------


def token(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_scheme_form_saves_a_draft_and_shows_what_is_wrong(app, w):
    client = sign_in(app, "as-bureau-admin")
    client.get("/?lang=zh_Hans_CN")
    page = client.get("/admin/o/as-bureau/assessments/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "公开及时率" in html
    form = {
        "csrf_token": token(html),
        "title_zh_Hans_CN": "年度考核",
        "year": str(YEAR),
        "self_due_on": date.today().isoformat(),
        "result_scope": "unit",
        "criteria-0-label_zh_Hans_CN": "工作落实",
        "criteria-0-weight": "101",
        "criteria-0-method": "manual",
    }
    refused = client.post("/admin/o/as-bureau/assessments/new", data=form)
    assert refused.status_code == 400
    form["criteria-0-weight"] = "100"
    saved = client.post("/admin/o/as-bureau/assessments/new", data=form)
    assert saved.status_code == 302
    scheme_id = int(re.search(r"/assessments/(\d+)$", saved.headers["Location"]).group(1))
    detail = client.get(f"/admin/o/as-bureau/assessments/{scheme_id}").get_data(as_text=True)
    assert "工作落实" in detail and f"/assessments/{scheme_id}/open" in detail
    opened_page = client.post(
        f"/admin/o/as-bureau/assessments/{scheme_id}/open", data={"csrf_token": token(detail)}
    )
    assert opened_page.status_code == 302
    assert client.get("/admin/o/as-bureau/assessments/9999999").status_code == 404
    assert client.get("/admin/o/as-bureau/assessments/99999999999").status_code == 404


@pytest.mark.rule("SUP-3")
def test_the_unit_and_the_superior_work_on_a_sheet_in_the_console(app, w):
    scheme = opened(w)
    c = by_key(scheme)
    sheet_id = ops.sheet_of(scheme, w["a"]).id
    unit = sign_in(app, "as-a-admin")
    listing = unit.get("/admin/o/as-a/assessments").get_data(as_text=True)
    assert f"/admin/o/as-a/assessments/sheets/{sheet_id}" in listing
    page = unit.get(f"/admin/o/as-a/assessments/sheets/{sheet_id}").get_data(as_text=True)
    csrf = token(page)
    bad = unit.post(
        f"/admin/o/as-a/assessments/sheets/{sheet_id}/self",
        data={"csrf_token": csrf, f"score-{c['work'].id}": "41"},
    )
    assert bad.status_code == 400 and "0" in bad.get_data(as_text=True)
    assert (
        unit.post(
            f"/admin/o/as-a/assessments/sheets/{sheet_id}/self",
            data={"csrf_token": csrf, f"score-{c['work'].id}": "38", "summary": "全年按目录公开"},
        ).status_code
        == 302
    )
    assert unit.post(
        f"/admin/o/as-a/assessments/sheets/{sheet_id}/evidence",
        data={"csrf_token": csrf, "point": f"{c['haves'].id}:board",
              "files": (io.BytesIO(photo()), "board.jpg")},
        content_type="multipart/form-data",
    ).status_code == 302  # fmt: skip
    junk = unit.post(
        f"/admin/o/as-a/assessments/sheets/{sheet_id}/evidence",
        data={"csrf_token": csrf, "point": "x:y", "files": (io.BytesIO(b"<html>"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert junk.status_code == 400
    (row,) = db.session.scalars(select(AssessmentEvidence)).all()
    served = unit.get(f"/admin/o/as-a/assessments/sheets/{sheet_id}/evidence/{row.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert (
        unit.post(
            f"/admin/o/as-a/assessments/sheets/{sheet_id}/submit", data={"csrf_token": csrf}
        ).status_code
        == 302
    )
    superior = sign_in(app, "as-bureau-reviewer")
    page = superior.get(f"/admin/o/as-bureau/assessments/sheets/{sheet_id}").get_data(as_text=True)
    assert "全年按目录公开" in page and 'name="confirm-' in page
    scored_page = superior.post(
        f"/admin/o/as-bureau/assessments/sheets/{sheet_id}/score",
        data={"csrf_token": token(page), f"score-{c['work'].id}": "36",
              f"score-{c['feedback'].id}": "20", f"confirm-{c['haves'].id}": ["board", "team"]},
    )  # fmt: skip
    assert scored_page.status_code == 400 and "evidence" in scored_page.get_data(as_text=True)
    assert superior.post(
        f"/admin/o/as-bureau/assessments/sheets/{sheet_id}/score",
        data={"csrf_token": token(page), f"score-{c['work'].id}": "36",
              f"score-{c['feedback'].id}": "20", f"confirm-{c['haves'].id}": ["board"]},
    ).status_code == 302  # fmt: skip
    assert db.session.get(AssessmentSheet, sheet_id).total == 62
    sheet = superior.get(f"/admin/o/as-bureau/assessments/{scheme.id}.xlsx")
    assert sheet.status_code == 200
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][-1] == 62
    printed = superior.get(f"/admin/o/as-bureau/assessments/{scheme.id}.pdf")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert "62" in pdf_text(printed.data) and all(e for _n, e in pdf_fonts(printed.data))
    # the unit does not see the superior's score before the results are published
    mine = unit.get(f"/admin/o/as-a/assessments/sheets/{sheet_id}").get_data(as_text=True)
    assert ">62<" not in mine.replace("<strong>", "").replace("</strong>", "")
    # other people: another unit's staff 404, a member 403
    other = sign_in(app, "as-b-admin")
    assert other.get(f"/admin/o/as-b/assessments/sheets/{sheet_id}").status_code == 404
    assert other.get(f"/admin/o/as-a/assessments/sheets/{sheet_id}").status_code == 403
    assert sign_in(app, "as-a-member").get("/admin/o/as-a/assessments").status_code == 403
    outside = sign_in(app, "as-outside-admin")
    assert outside.get(f"/admin/o/as-outside/assessments/{scheme.id}").status_code == 404
    assert outside.get(f"/admin/o/as-outside/assessments/{scheme.id}.xlsx").status_code == 404
    assert outside.get(f"/admin/o/as-outside/assessments/{scheme.id}.pdf").status_code == 404


@pytest.mark.rule("SUP-3")
def test_a_unit_s_own_scoring_sheet_exports_with_the_scores_its_reader_may_see(app, w):
    """One unit's sheet as XLSX and PDF: every criterion with its self-assessment; the
    superior's score only to the superior until the results are published."""
    from openpyxl import load_workbook

    scheme = opened(w)
    c = by_key(scheme)
    sheet = ops.sheet_of(scheme, w["a"])
    ops.self_assess(sheet, {"scores": {c["work"].id: {"score": 33, "note": "按目录公开全部事项"}}},
                    actor=w["a_admin"])  # fmt: skip
    ops.submit(sheet, actor=w["a_admin"])
    ops.score(sheet, {"scores": {c["work"].id: {"score": 29, "note": "两项迟报"},
                                 c["feedback"].id: {"score": 15}}},
              actor=w["reviewer"])  # fmt: skip
    db.session.commit()

    def rows(client, org):
        response = client.get(f"/admin/o/{org}/assessments/sheets/{sheet.id}.xlsx")
        assert response.status_code == 200
        return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))

    superior = sign_in(app, "as-bureau-reviewer")
    table = rows(superior, "as-bureau")
    work = next(r for r in table if r and r[1] == c["work"].label("en"))
    assert work[0] == w["a"].name("en")
    assert (work[4], work[5], work[6], work[7]) == (33, "按目录公开全部事项", 29, "两项迟报")
    printed = superior.get(f"/admin/o/as-bureau/assessments/sheets/{sheet.id}.pdf")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    text = pdf_text(printed.data).replace("\n", "")
    assert "按目录公开全部事项" in text and "两项迟报" in text

    unit = sign_in(app, "as-a-admin")
    page = unit.get(f"/admin/o/as-a/assessments/sheets/{sheet.id}").get_data(as_text=True)
    assert f"/admin/o/as-a/assessments/sheets/{sheet.id}.pdf" in page  # linked from its page
    mine = rows(unit, "as-a")
    assert "两项迟报" not in str(mine) and 29 not in [v for r in mine for v in r]
    assert "两项迟报" not in pdf_text(
        unit.get(f"/admin/o/as-a/assessments/sheets/{sheet.id}.pdf").data
    ).replace("\n", "")
    other = sign_in(app, "as-b-admin")
    assert other.get(f"/admin/o/as-b/assessments/sheets/{sheet.id}.xlsx").status_code == 404
    assert other.get(f"/admin/o/as-b/assessments/sheets/{sheet.id}.pdf").status_code == 404
