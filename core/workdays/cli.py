"""``gongkai calendar``: the working-day calendar (official holidays and make-up working days)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from core.cliutil import operation
from core.errors import UserError
from core.i18n import _
from core.progress import progress
from core.workdays import operations as workdays
from core.workdays import schedule, seed


@click.group("calendar")
def calendar_group():
    """The working-day calendar: official holidays and make-up working days (调休)."""


@calendar_group.command("years")
@operation
def calendar_years():
    """The loaded years with their source and counts, and the years deadlines reached before
    they were loaded."""
    rows = workdays.years()
    for s in rows:
        r = s.row
        click.echo(
            f"{r.year}\t{r.source}\t{s.holidays} holidays\t{s.workdays} make-up working days\t"
            f"loaded {r.loaded_at:%Y-%m-%d %H:%M} by {r.loaded_by}"
            + (f"\t{r.note}" if r.note else "")
        )
    click.echo(f"{len(rows)} year(s) loaded.")
    for m in workdays.missing_years():
        click.echo(f"NOT LOADED: {m.year} (deadlines reach it; last alert {m.alerted_on})")
    known = seed.package_years()
    if known:
        click.echo(f"chinese-calendar {seed.package_version()} knows {known[0]}-{known[-1]}.")


@calendar_group.command("show")
@click.argument("year", type=int)
@click.option("--csv", "as_csv", is_flag=True, help="Print the CSV that `import` reads.")
@operation
def calendar_show(year: int, as_csv: bool):
    """The special days of YEAR (a weekday off, or a weekend day worked)."""
    row = workdays.get_year(year)
    if row is None:
        raise UserError(
            _(
                "%(year)s is not loaded: deadlines in it count weekends only "
                "(see `gongkai calendar import` and `gongkai calendar seed`).",
                year=year,
            )
        )
    days = workdays.days_of(year)
    if as_csv:
        click.echo(schedule.to_csv(days), nl=False)
        return
    click.echo(f"{year}: source {row.source}" + (f", {row.note}" if row.note else ""))
    for d in days:
        what = "holiday" if d.kind == "holiday" else "workday (make-up)"
        english = f" ({d.name_en})" if d.name_en else ""
        click.echo(f"{d.day.isoformat()}\t{d.day:%a}\t{what}\t{d.name}{english}")
    click.echo(f"{len(days)} special day(s).")


@calendar_group.command("seed")
@click.option("--year", "years", type=int, multiple=True, help="Only this year (repeatable).")
@operation
def calendar_seed(years: tuple[int, ...]):
    """Load the years the chinese-calendar package knows that are not loaded yet (a loaded
    year is left as it is)."""
    known = set(seed.package_years())
    unknown = sorted(set(years) - known)
    if unknown:
        raise UserError(
            _(
                "chinese-calendar %(version)s does not know %(years)s; import the official "
                "schedule instead.",
                version=seed.package_version(),
                years=", ".join(map(str, unknown)),
            )
        )
    with progress("calendar years") as bar:
        loaded = workdays.seed_from_package(years or None, progress=bar.set)
    if loaded:
        click.echo(f"Loaded from chinese-calendar: {', '.join(map(str, loaded))}.")
    else:
        click.echo("Nothing to load: every year asked for is already loaded.")


@calendar_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, help="The year of the schedule (default: the file's).")
@click.option("--note", help="Where it comes from, e.g. the State Council notice.")
@click.option("--replace", is_flag=True, help="Replace the year if it is already loaded.")
@operation
def calendar_import(file: Path, year: int | None, note: str | None, replace: bool):
    """Load a year's official schedule from FILE (.csv: date,kind,name[,name_en] a line;
    .yaml: a list of days with the same fields): all or nothing, every problem by line."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("%(file)s: not a UTF-8 text file.", file=file)) from None
    suffix = file.suffix.lower()
    fmt = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}.get(suffix)
    row = workdays.import_schedule(
        text, year=year, fmt=fmt, source="import", note=note, replace=replace
    )
    days = workdays.days_of(row.year)
    holidays = sum(1 for d in days if d.kind == "holiday")
    click.echo(
        f"Loaded {row.year}: {holidays} holidays, {len(days) - holidays} make-up working days."
    )


def _pause(text: str) -> tuple[date, date | None]:
    first, sep, last = text.partition(":")
    try:
        if not sep:
            raise ValueError
        begin, end = date.fromisoformat(first), date.fromisoformat(last) if last else None
        if end is not None and end < begin:
            raise ValueError
        return begin, end
    except ValueError:
        raise UserError(
            _(
                "--pause “%(value)s”: use FROM:TO or FROM: (dates YYYY-MM-DD, TO not before FROM).",
                value=text,
            )
        ) from None


@calendar_group.command("deadline")
@click.argument("start")
@click.argument("days", type=click.IntRange(0, 3650))
@click.option("--pause", "pauses", multiple=True, metavar="FROM:[TO]",
              help="The clock stops from FROM to TO inclusive (no TO: still stopped).")  # fmt: skip
@operation
def calendar_deadline(start: str, days: int, pauses: tuple[str, ...]):
    """The DAYS-th working day after START (YYYY-MM-DD), and how it was computed."""
    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise UserError(_("START “%(value)s”: use a date YYYY-MM-DD.", value=start)) from None
    deadline = workdays.add_working_days(first, days, paused=[_pause(p) for p in pauses])
    click.echo(deadline.due.isoformat() + (" (provisional)" if deadline.provisional else ""))
    for line in deadline.explain():
        click.echo(f"  {line}")


COMMANDS = (calendar_group,)
"""The commands this module adds to ``gongkai`` (found by ``core.cli``)."""
