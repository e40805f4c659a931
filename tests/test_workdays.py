"""The working-day calendar: deadlines over official holidays and make-up working days (调休).

The 2026 dates are those of the chinese-calendar package (the official 2026 schedule): National
Day 2026-10-01 (Thursday) to 10-07 with Saturday 10-10 worked; Spring Festival 2026-02-15 to
02-23 with Saturdays 02-14 and 02-28 worked. The 2027 schedule is not published yet: every 2027
schedule below is made-up test data, not the official one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from core import db, events
from core.audit import AuditEntry
from core.cli import main
from core.errors import UserError
from core.plugins.testing import csrf_token
from core.workdays import demo, seed
from core.workdays import operations as workdays
from core.workdays.models import MissingYear, SpecialDay, WorkdayYear
from tenants import operations as tenants

# TEST DATA: a made-up schedule, NOT the official 2027 schedule (published in November).
FICTIONAL_2027 = """\
# made-up test data, not an official schedule
date,kind,name,name_en
2027-01-01,holiday,元旦,New Year's Day
2027-01-04,holiday,测试假日,Test holiday
2027-01-09,workday,测试假日,Test holiday
"""

D = date.fromisoformat


@pytest.fixture
def app_settings(app_settings):
    # English messages, so that assertions on them hold once the catalogues are translated
    return {**app_settings, "default_locale": "en"}


@pytest.fixture
def year_2026(app):
    assert workdays.seed_from_package([2026]) == [2026]
    db.session.commit()


@pytest.fixture
def sent(app):
    """The calendar's events, as receivers see them."""
    got: dict[str, list] = {"missing": [], "loaded": []}

    def on_missing(sender, **kwargs):
        got["missing"].append(sender)

    def on_loaded(sender, **kwargs):
        got["loaded"].append((sender, kwargs.get("actor")))

    events.workdays_year_missing.connect(on_missing)
    events.workdays_year_loaded.connect(on_loaded)
    yield got
    events.workdays_year_missing.disconnect(on_missing)
    events.workdays_year_loaded.disconnect(on_loaded)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


@pytest.fixture
def count_queries(app):
    engine = db.session.get_bind()
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


# --- deadlines (REQ-2, REQ-4) ----------------------------------------------------------------


@pytest.mark.rule("REQ-2")
def test_deadline_over_national_day_skips_the_holiday_and_counts_the_makeup_day(year_2026):
    # Monday 2026-09-28: 09-29, 09-30 | 10-01..10-07 off | 10-08, 10-09, Sat 10-10 (worked),
    # 10-12..10-16, 10-19..10-23 -> the 15th working day is Friday 2026-10-23
    deadline = workdays.add_working_days(D("2026-09-28"), 15)
    assert deadline.due == D("2026-10-23")
    assert not deadline.provisional and deadline.missing_years == ()
    assert deadline.paused_days == 0
    assert (D("2026-10-10"), "国庆节") in deadline.skipped  # the make-up working day counted
    assert {d for d, _n in deadline.skipped if _n == "国庆节"} == {
        D("2026-10-01"), D("2026-10-02"), D("2026-10-05"), D("2026-10-06"), D("2026-10-07"),
        D("2026-10-10"),
    }  # fmt: skip
    lines = deadline.explain()
    assert lines[0] == (
        "15 working days from 2026-09-28 (the start day is not counted): due on 2026-10-23."
    )
    assert "Skipped National Day: 2026-10-01 – 2026-10-07." in lines
    assert "Counted the make-up working day 2026-10-10 (National Day)." in lines
    assert "Skipped 3 weekend days." in lines  # 10-11, 10-17, 10-18
    # counting weekends only would give Monday 2026-10-19
    assert workdays.working_days_between(D("2026-09-28"), D("2026-10-19")) == 11
    assert workdays.working_days_between(D("2026-09-28"), D("2026-10-23")) == 15
    assert workdays.is_working_day(D("2026-10-10"))  # Saturday, worked
    assert not workdays.is_working_day(D("2026-10-05"))  # Monday, National Day
    assert not workdays.is_working_day(D("2026-10-11"))  # Sunday
    assert workdays.is_working_day(D("2026-10-08"))


@pytest.mark.rule("REQ-2")
def test_deadline_over_spring_festival(year_2026):
    # Tuesday 2026-02-10: 02-11..02-13, Sat 02-14 (worked) | 02-15..02-23 off | 02-24..02-27,
    # Sat 02-28 (worked), 03-02..03-06, 03-09 -> Monday 2026-03-09
    deadline = workdays.add_working_days(D("2026-02-10"), 15)
    assert deadline.due == D("2026-03-09")
    assert deadline.makeup_days == ((D("2026-02-14"), "春节"), (D("2026-02-28"), "春节"))
    assert "Skipped Spring Festival: 2026-02-15 – 2026-02-23." in deadline.explain()
    assert not workdays.is_working_day(D("2026-02-23"))  # Monday of the break
    assert workdays.add_working_days(D("2026-02-10"), 0).due == D("2026-02-10")


@pytest.mark.rule("REQ-4")
def test_a_pause_moves_the_deadline_by_the_working_days_inside_it(year_2026):
    start = D("2026-09-28")
    # five calendar days, Friday 10-09 to Tuesday 10-13: Fri, Sat (worked), Sun, Mon, Tue ->
    # four working days inside the pause
    pause = (D("2026-10-09"), D("2026-10-13"))
    inside = workdays.working_days_between(D("2026-10-08"), D("2026-10-13"))
    assert inside == 4
    plain = workdays.add_working_days(start, 15)
    paused = workdays.add_working_days(start, 15, paused=[pause])
    assert plain.due == D("2026-10-23")
    assert paused.due == D("2026-10-29")  # 10-26, 10-27, 10-28, 10-29: four working days later
    assert paused.due == workdays.add_working_days(start, 15 + inside).due
    assert paused.paused_days == 5
    assert workdays.working_days_between(start, paused.due, paused=[pause]) == 15
    assert "The clock was stopped for 5 calendar days." in paused.explain()
    # a pause still running is taken as ending today, and the deadline says so
    running = workdays.add_working_days(
        start, 15, paused=[(D("2026-10-09"), None)], today=D("2026-10-13")
    )
    assert running.due == D("2026-10-29") and running.open_pause
    assert not paused.open_pause
    later = workdays.add_working_days(
        start, 15, paused=[(D("2026-10-09"), None)], today=D("2026-10-14")
    )
    assert later.due == D("2026-10-30")  # one more working day stopped: one day later
    # a pause before the start, or after the due date, changes nothing
    assert workdays.add_working_days(
        start, 15, paused=[(D("2026-09-01"), D("2026-09-20"))]
    ).due == (plain.due)
    assert workdays.add_working_days(
        start, 15, paused=[(D("2026-11-01"), D("2026-11-05"))]
    ).due == (plain.due)


@pytest.mark.rule("REQ-2")
def test_working_days_between_counts_after_start_up_to_end(year_2026):
    assert workdays.working_days_between(D("2026-10-23"), D("2026-10-23")) == 0
    assert workdays.working_days_between(D("2026-10-22"), D("2026-10-23")) == 1
    assert workdays.working_days_between(D("2026-10-23"), D("2026-10-26")) == 1  # over a weekend
    # end before start: negative (overdue)
    assert workdays.working_days_between(D("2026-10-26"), D("2026-10-23")) == -1
    assert workdays.working_days_between(D("2026-09-30"), D("2026-10-08")) == 1
    # a receipt time is a day in Beijing; a datetime is refused (it would match no calendar day)
    received = datetime(2026, 9, 30, 17, 30, tzinfo=UTC)  # 01:30 on 10-01 in Beijing
    assert workdays.local_date(received) == D("2026-10-01")
    with pytest.raises(TypeError):
        workdays.add_working_days(received, 15)


@pytest.mark.rule("REQ-2")
def test_a_deadline_in_a_year_not_loaded_is_provisional_and_alerts_once(year_2026, sent):
    # 2026-12-21..12-25, 12-28..12-31 (9), then 2027 with weekends only: 01-01, 01-04..01-08
    deadline = workdays.add_working_days(D("2026-12-20"), 15)
    assert deadline.due == D("2027-01-08")
    assert deadline.provisional and deadline.missing_years == (2027,)
    assert (
        "Provisional: the official holidays of 2027 are not loaded yet, so only weekends were "
        "skipped there."
    ) in deadline.explain()
    assert sent["missing"] == [2027]
    workdays.add_working_days(D("2026-12-21"), 15)
    workdays.working_days_between(D("2026-12-01"), D("2027-02-01"))
    db.session.commit()
    workdays.add_working_days(D("2026-12-20"), 15)  # another unit of work, the same day
    db.session.commit()
    assert sent["missing"] == [2027]  # once per year per day
    assert not workdays.year_known(2027) and workdays.year_known(2026)
    assert [m.year for m in workdays.missing_years()] == [2027]
    # the next day the admins are told again
    db.session.execute(update(MissingYear).values(alerted_on=workdays.today() - timedelta(days=1)))
    db.session.commit()
    workdays.add_working_days(D("2026-12-20"), 15)
    assert sent["missing"] == [2027, 2027]
    # a year before the loaded ones is missing too
    assert workdays.add_working_days(D("2003-12-01"), 5).missing_years == (2003,)


@pytest.mark.rule("REQ-2")
def test_loading_the_missing_year_makes_the_deadline_final(year_2026, sent):
    admin = tenants.create_user("cal-root", password="pw-cal-root", platform_admin=True)
    db.session.commit()
    assert workdays.add_working_days(D("2026-12-20"), 15).provisional
    db.session.commit()
    recomputed = []

    def recompute(year, **kwargs):  # what disclosure requests do on this event
        recomputed.append((year, workdays.add_working_days(D("2026-12-20"), 15)))

    events.workdays_year_loaded.connect(recompute)
    try:
        row = workdays.import_schedule(FICTIONAL_2027, source="import", actor=admin)
    finally:
        events.workdays_year_loaded.disconnect(recompute)
    assert row.year == 2027 and row.source == "import" and row.loaded_by == "cal-root"
    assert sent["loaded"] == [(2027, admin)]
    # inside the same unit of work the receiver already computes with the new year
    ((year, deadline),) = recomputed
    assert year == 2027
    # 9 days in 2026, then 01-01 and 01-04 off (made up), 01-05..01-08, Sat 01-09 worked, 01-11
    assert deadline.due == D("2027-01-11")
    assert not deadline.provisional and deadline.missing_years == ()
    db.session.commit()
    assert workdays.add_working_days(D("2026-12-20"), 15).due == D("2027-01-11")
    assert workdays.missing_years() == []
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "workdays.year.load", AuditEntry.object_id == "2027"
        )
    ).one()
    assert entry.actor_label == "cal-root" and entry.org_id is None
    assert "2027-01-09 workday 测试假日" in entry.changes["days"][1]


# --- importing a year ------------------------------------------------------------------------

BAD_CSV = """\
date,kind,name
2027-02-30,holiday,坏日期
2027-10-02,holiday,国庆节
2027-10-11,workday,国庆节
2026-12-31,holiday,元旦
2027-10-01,holiday,国庆节
2027-10-01,holiday,国庆节
2027-10-04,vacation,国庆节
2027-10-05,holiday
2027-10-06,holiday,
"""


def _problem(problems: list[str], line: int, *words: str) -> bool:
    return any(p.startswith(f"line {line}: ") and all(w in p for w in words) for p in problems)


def test_import_refuses_a_bad_file_with_every_problem_located_and_changes_nothing(year_2026, sent):
    before = db.session.scalar(select(func.count()).select_from(SpecialDay))
    with pytest.raises(UserError) as refused:
        workdays.import_schedule(BAD_CSV, year=2027)
    problems = refused.value.problems
    assert _problem(problems, 2, "2027-02-30", "not a date")
    assert _problem(problems, 3, "2027-10-02", "Saturday", "weekday")
    assert _problem(problems, 4, "2027-10-11", "Monday", "Saturday or a Sunday")
    assert _problem(problems, 5, "2026-12-31", "not in 2027")
    assert _problem(problems, 7, "2027-10-01", "listed twice", "line 6")
    assert _problem(problems, 8, "vacation")
    assert _problem(problems, 9, "date,kind,name")
    assert _problem(problems, 10, "name is missing")
    assert len(problems) == 8
    assert "nothing was changed" in refused.value.message
    assert not workdays.year_known(2027)
    assert db.session.scalar(select(func.count()).select_from(SpecialDay)) == before
    assert sent["loaded"] == []
    # the file's year and the year asked for must agree
    with pytest.raises(UserError) as refused:
        workdays.import_schedule(FICTIONAL_2027, year=2028)
    assert _problem(refused.value.problems, 3, "2027-01-01", "not in 2028")
    with pytest.raises(UserError, match="no days"):
        workdays.import_schedule("date,kind,name\n# nothing\n")


def test_import_reads_yaml_and_locates_its_problems(app):
    good = (
        "# made-up test data, not an official schedule\n"
        "year: 2027\n"
        "note: test data\n"
        "days:\n"
        "  - {date: 2027-01-01, kind: holiday, name: 元旦, name_en: New Year's Day}\n"
        "  - date: 2027-01-09\n"
        "    kind: 班\n"
        "    name: 测试假日\n"
    )
    with pytest.raises(UserError) as refused:
        workdays.import_schedule(good.replace("2027-01-09", "2027-01-08"))
    assert _problem(refused.value.problems, 6, "2027-01-08", "Friday")
    with pytest.raises(UserError) as refused:
        workdays.import_schedule("days:\n  - {date: 2027-01-01, kind: holiday\n")
    assert refused.value.problems[0].startswith("line ")
    row = workdays.import_schedule(good)
    assert (row.year, row.note, row.source) == (2027, "test data", "import")
    days = workdays.days_of(2027)
    assert [(d.day, d.kind, d.name) for d in days] == [
        (D("2027-01-01"), "holiday", "元旦"),
        (D("2027-01-09"), "workday", "测试假日"),
    ]


def test_reimport_replaces_the_year_as_a_whole_and_is_audited(year_2026, sent):
    with pytest.raises(UserError, match="already loaded"):
        workdays.import_schedule(
            "2026-10-08,holiday,国庆节\n", fmt="csv", source="manual"
        )  # the package's 2026 stays unless replaced on purpose
    assert len(workdays.days_of(2026)) == 25
    workdays.import_schedule("2026-10-08,holiday,国庆节\n", source="manual", replace=True)
    db.session.commit()
    assert [(d.day, d.kind, d.source) for d in workdays.days_of(2026)] == [
        (D("2026-10-08"), "holiday", "manual")
    ]
    assert workdays.get_year(2026).source == "manual"
    assert workdays.is_working_day(D("2026-10-05")) and not workdays.is_working_day(D("2026-10-08"))
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "workdays.year.replace")
    ).one()
    assert entry.changes["source"] == ["chinese-calendar", "manual"]
    assert "2026-10-01 holiday 国庆节" in entry.changes["days"][0]
    assert entry.changes["days"][1] == ["2026-10-08 holiday 国庆节"]
    assert sent["loaded"] == [(2026, None)]


def test_load_year_checks_rows_given_by_code(app):
    from core.workdays.schedule import DayRow

    with pytest.raises(UserError) as refused:
        workdays.load_year(
            2027,
            [DayRow(D("2027-01-02"), "holiday", "元旦"), DayRow(D("2028-01-03"), "holiday", "x")],
            source="manual",
        )
    assert len(refused.value.problems) == 2
    assert db.session.get(WorkdayYear, 2027) is None


# --- seeding ---------------------------------------------------------------------------------


def test_the_first_computation_on_an_empty_calendar_seeds_it(app, sent):
    assert db.session.scalar(select(func.count()).select_from(WorkdayYear)) == 0
    assert workdays.add_working_days(D("2026-09-28"), 15).due == D("2026-10-23")
    loaded = [y for y, _actor in sent["loaded"]]
    assert loaded == seed.package_years() and loaded[0] == 2004 and 2026 in loaded
    db.session.commit()
    rows = workdays.years()
    assert {r.row.source for r in rows} == {"chinese-calendar"}
    assert rows[0].row.note == f"chinese-calendar {seed.package_version()}"
    # the package lists weekend days of a break too; the calendar keeps weekdays off only
    assert all(
        (d.kind == "holiday") == (d.day.weekday() < 5)
        for d in db.session.scalars(select(SpecialDay))
    )
    assert workdays.seed_from_package() == []  # idempotent
    assert "already loaded" in demo.load()
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "workdays.year.load")
    ) == len(loaded)


def test_seeding_keeps_an_imported_year(app):
    workdays.import_schedule("2026-10-08,holiday,国庆节\n")
    assert 2026 not in workdays.seed_from_package()
    assert [d.day for d in workdays.days_of(2026)] == [D("2026-10-08")]


def test_the_daily_sweep_alerts_for_next_year_in_december(year_2026, sent):
    november = workdays.check_calendar(on=D("2026-11-26"))
    assert november == {"seeded": [y for y in seed.package_years() if y != 2026], "missing": []}
    db.session.commit()
    assert workdays.check_calendar(on=D("2026-12-01")) == {"seeded": [], "missing": [2027]}
    assert sent["missing"] == [2027]


def test_the_number_of_queries_does_not_grow_with_the_span(year_2026, count_queries):
    workdays.seed_from_package([2025])
    db.session.commit()
    count_queries.count = 0
    workdays.add_working_days(D("2026-09-28"), 15)
    short = count_queries.count
    assert short <= 3  # (BEGIN,) the loaded years, the special days of the years reached
    db.session.commit()
    count_queries.count = 0
    workdays.add_working_days(D("2025-01-02"), 300)  # over two years and a dozen holidays
    workdays.working_days_between(D("2025-01-02"), D("2026-12-31"))
    assert count_queries.count == short
    count_queries.count = 0
    for n in range(1, 40):  # the same unit of work: read once
        workdays.add_working_days(D("2026-09-28"), n)
        workdays.is_working_day(D("2025-10-01"))
        workdays.year_known(2026)
    assert count_queries.count == 0


# --- the platform console --------------------------------------------------------------------


@pytest.fixture
def people(org):
    tenants.create_user("cal-admin", password="cal-admin-pw", platform_admin=True)
    unit_admin = tenants.create_user("unit-admin", password="unit-admin-pw")
    tenants.grant_membership(unit_admin, org, "admin")
    db.session.commit()


def test_platform_admins_import_a_year_in_the_console(client, login, people, year_2026, sent):
    assert login("cal-admin", "cal-admin-pw").status_code == 302
    page = client.get("/admin/platform/calendar/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ">2026</a>" in html and "chinese-calendar" in html
    assert 'href="/admin/platform/calendar/"' in client.get("/admin").get_data(as_text=True)
    year = client.get("/admin/platform/calendar/2026").get_data(as_text=True)
    assert "2026-10-10" in year and "National Day" in year and "国庆节" in year
    assert client.get("/admin/platform/calendar/2031").status_code == 404

    form = client.get("/admin/platform/calendar/import?year=2027").get_data(as_text=True)
    assert 'name="csrf_token"' in form
    token = csrf_token(client, "/admin/platform/calendar/import")
    data = {"year": "2027", "text": FICTIONAL_2027, "note": "test data", "csrf_token": token}
    # without the token: refused, nothing loaded
    refused = client.post("/admin/platform/calendar/import", data={**data, "csrf_token": ""})
    assert refused.status_code == 400
    bad = client.post("/admin/platform/calendar/import", data={**data, "text": BAD_CSV})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "line 3: 2027-10-02 is a Saturday" in text and "line 7: 2027-10-01" in text
    db.session.expire_all()
    assert workdays.get_year(2027) is None and sent["loaded"] == []

    done = client.post("/admin/platform/calendar/import", data=data)
    assert done.status_code == 302 and done.headers["Location"].endswith("/calendar/2027")
    db.session.expire_all()
    row = workdays.get_year(2027)
    assert (row.source, row.loaded_by, row.note) == ("manual", "cal-admin", "test data")
    assert [d.day for d in workdays.days_of(2027)] == [D("2027-01-01"), D("2027-01-04"),
                                                       D("2027-01-09")]  # fmt: skip
    assert [y for y, actor in sent["loaded"]] == [2027]
    # loading it again needs "replace"
    again = client.post("/admin/platform/calendar/import", data=data)
    assert again.status_code == 400 and "already loaded" in again.get_data(as_text=True)
    edit = client.get("/admin/platform/calendar/import?year=2027").get_data(as_text=True)
    assert "2027-01-09,workday,测试假日,Test holiday" in edit
    # the calculator
    calc = client.get("/admin/platform/calendar/?start=2026-12-20&days=15").get_data(as_text=True)
    assert "Due on 2027-01-11" in calc
    assert client.get("/admin/platform/calendar/?start=soon&days=15").status_code == 400


def test_others_may_not_use_the_calendar_console(client, login, people, year_2026):
    assert client.get("/admin/platform/calendar/").status_code == 302  # to the sign-in page
    login("unit-admin", "unit-admin-pw")
    assert client.get("/admin/platform/calendar/").status_code == 403
    assert client.get("/admin/platform/calendar/2026").status_code == 403
    assert client.get("/admin/platform/calendar/import").status_code == 403
    token = csrf_token(client, "/auth/logout")
    data = {"year": "2027", "text": FICTIONAL_2027, "csrf_token": token}
    assert client.post("/admin/platform/calendar/import", data=data).status_code == 403
    assert client.post("/admin/platform/calendar/seed", data=data).status_code == 403
    assert 'href="/admin/platform/calendar/"' not in client.get("/admin").get_data(as_text=True)
    db.session.expire_all()
    assert workdays.get_year(2027) is None


def test_the_console_loads_the_package_years(client, login, people, year_2026):
    login("cal-admin", "cal-admin-pw")
    token = csrf_token(client, "/admin/platform/calendar/")
    response = client.post("/admin/platform/calendar/seed", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert workdays.get_year(2004).source == "chinese-calendar"
    assert workdays.get_year(2026).loaded_by == "system"  # the fixture's, kept
    assert workdays.get_year(2025).loaded_by == "cal-admin"


# --- the commands ----------------------------------------------------------------------------


def test_calendar_commands(app, tmp_path):
    runner = app.test_cli_runner()
    seeded = runner.invoke(main, ["calendar", "seed", "--year", "2026"])
    assert seeded.exit_code == 0 and "2026" in seeded.output
    years = runner.invoke(main, ["calendar", "years"])
    assert years.exit_code == 0
    assert "2026\tchinese-calendar\t19 holidays\t6 make-up working days" in years.output
    shown = runner.invoke(main, ["calendar", "show", "2026"])
    assert shown.exit_code == 0
    assert "2026-10-10\tSat\tworkday (make-up)\t国庆节 (National Day)" in shown.output
    as_csv = runner.invoke(main, ["calendar", "show", "2026", "--csv"])
    assert "2026-10-01,holiday,国庆节,National Day" in as_csv.output

    good = tmp_path / "fictional-2027.csv"
    good.write_text(FICTIONAL_2027, encoding="utf-8")
    loaded = runner.invoke(main, ["calendar", "import", str(good), "--note", "test data"])
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 2027: 2 holidays, 1 make-up working days." in loaded.output
    assert runner.invoke(main, ["calendar", "import", str(good)]).exit_code == 2  # loaded
    assert runner.invoke(main, ["calendar", "import", str(good), "--replace"]).exit_code == 0

    deadline = runner.invoke(main, ["calendar", "deadline", "2026-09-28", "15"])
    assert deadline.exit_code == 0 and deadline.output.startswith("2026-10-23\n")
    assert "Counted the make-up working day 2026-10-10" in deadline.output
    paused = runner.invoke(
        main, ["calendar", "deadline", "2026-09-28", "15", "--pause", "2026-10-09:2026-10-13"]
    )
    assert paused.output.startswith("2026-10-29\n")


def test_calendar_commands_refuse_bad_input_with_exit_code_2(app, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    refused = runner.invoke(main, ["calendar", "import", str(bad), "--year", "2027"])
    assert refused.exit_code == 2
    assert "line 2: 2027-02-30 is not a date" in refused.output
    assert db.session.scalar(select(func.count()).select_from(WorkdayYear)) == 0
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert runner.invoke(main, ["calendar", "import", str(binary)]).exit_code == 2
    assert runner.invoke(main, ["calendar", "import", str(tmp_path / "none.csv")]).exit_code == 2
    assert runner.invoke(main, ["calendar", "show", "2031"]).exit_code == 2
    assert runner.invoke(main, ["calendar", "show", "next"]).exit_code == 2
    assert runner.invoke(main, ["calendar", "seed", "--year", "1999"]).exit_code == 2
    assert runner.invoke(main, ["calendar", "deadline", "tomorrow", "15"]).exit_code == 2
    assert runner.invoke(main, ["calendar", "deadline", "2026-09-28", "-1"]).exit_code == 2
    assert (
        runner.invoke(
            main, ["calendar", "deadline", "2026-09-28", "5", "--pause", "2026-10-09:2026-10-01"]
        ).exit_code
        == 2
    )


def test_calendar_refusals_speak_the_operators_language(app):
    """Issue 11: a command's refusal in the operator's language (GONGKAI_CLI_LOCALE)."""
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["calendar", "seed", "--year", "2026"]).exit_code == 0
    zh = {"GONGKAI_CLI_LOCALE": "zh_Hans_CN"}
    missing = runner.invoke(main, ["calendar", "show", "2031"], env=zh)
    assert missing.exit_code == 2
    assert "2031 年的工作日历尚未载入：该年的期限只扣除周末" in missing.output
    pause = ["calendar", "deadline", "2026-09-28", "5", "--pause", "2026-10-09:2026-10-01"]
    refused = runner.invoke(main, pause, env=zh)
    assert refused.exit_code == 2 and "请写 FROM:TO 或 FROM:" in refused.output
    assert db.session.scalar(select(func.count()).select_from(WorkdayYear)) == 1  # kept
