"""The platform console for the working-day calendar: ``/admin/platform/calendar``.

The loaded years (source, counts, who loaded them), the years deadlines reached before they were
loaded, one year's special days, the import of a year's official schedule (a re-import replaces
the year as a whole) and loading the years the ``chinese-calendar`` package knows. Also a small
calculator to check a deadline. The action ``platform.manage`` (platform admins) only, else 403.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from core import text, web
from core.errors import UserError
from core.themes import render
from core.workdays import forms, schedule, seed
from core.workdays import operations as workdays

admin_bp = web.platform_blueprint("workdays_admin", __name__, prefix="/calendar")

MAX_CALCULATOR_DAYS = 366


def _calculator() -> tuple[dict[str, str], workdays.Deadline | None, list[str]]:
    """The deadline calculator's inputs, result and problems (``?start=...&days=...``)."""
    values = {"start": request.args.get("start", ""), "days": request.args.get("days", "")}
    if not values["start"] and not values["days"]:
        return values, None, []
    problems = []
    try:
        start = date.fromisoformat(values["start"].strip())
    except ValueError:
        start = None
        problems.append(gettext("Start: use a date YYYY-MM-DD."))
    try:
        days = int(values["days"])
        if not 0 <= days <= MAX_CALCULATOR_DAYS:
            raise ValueError
    except ValueError:
        days = None
        problems.append(
            gettext("Working days: a number from 0 to %(max)s.", max=MAX_CALCULATOR_DAYS)
        )
    if problems or start is None or days is None:
        return values, None, problems
    return values, workdays.add_working_days(start, days), []


@admin_bp.get("/")
def index():
    values, deadline, problems = _calculator()
    return render(
        "admin/workdays.html",
        years=workdays.years(),
        missing=workdays.missing_years(),
        package_years=seed.package_years(),
        package_version=seed.package_version(),
        calc=values,
        deadline=deadline,
        calc_errors=problems,
    ), (400 if problems else 200)


@admin_bp.get("/<int:year>")
def year_page(year: int):
    row = workdays.get_year(year)
    if row is None:
        abort(404)
    days = workdays.days_of(year)
    return render(
        "admin/workdays_year.html",
        row=row,
        days=days,
        label=workdays.holiday_label,
        weekday=schedule.weekday_name,
        csv_text=schedule.to_csv(days),
    )


@admin_bp.route("/import", methods=["GET", "POST"])
def import_page():
    form = forms.ImportForm()
    errors: list[str] = []
    if request.method == "GET":
        wanted = request.args.get("year", type=text.db_int)
        if wanted:
            form.year.data = wanted
            existing = workdays.get_year(wanted)
            if existing is not None:  # edit: the year as it is, to change and load again
                form.text.data = schedule.to_csv(workdays.days_of(wanted))
                form.note.data = existing.note
                form.replace.data = True
    if form.validate_on_submit():
        try:
            row = workdays.import_schedule(
                form.text.data,
                year=form.year.data,
                source="manual",
                note=form.note.data or "",
                replace=form.replace.data,
                actor=current_user,
            )
            flash(gettext("The special days of %(year)s were loaded.", year=row.year), "success")
            return redirect(url_for(".year_page", year=row.year))
        except UserError as exc:
            errors = web.refusal(exc)
    status = 400 if (errors or form.errors) else 200
    return render("admin/workdays_import.html", form=form, errors=errors), status


@admin_bp.post("/seed")
def seed_years():
    loaded = workdays.seed_from_package(actor=current_user)
    if loaded:
        flash(
            gettext(
                "Loaded from chinese-calendar: %(years)s.",
                years=", ".join(str(y) for y in loaded),
            ),
            "success",
        )
    else:
        flash(gettext("Every year chinese-calendar knows is already loaded."), "info")
    return redirect(url_for(".index"))
