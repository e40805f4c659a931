"""The ``gongkai`` command: operator commands, one unit of work each.

A refused command prints why on standard error and exits with code 2; nothing is half-written.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
import sys
import time
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from core import db, jobs, migrations
from core.app import create_app
from core.cliutil import failure, operation, say
from core.config import ConfigError
from core.i18n import _
from core.params import operations as params
from core.progress import stages

log = logging.getLogger(__name__)


class ConfigurationRefused(click.ClickException):
    """A configuration that cannot work. Its message stays English: there is no application
    (and so no catalog) when the configuration is refused."""

    exit_code = 2


def _create_app():
    """The application of a command; a configuration that cannot work is a message, exit 2."""
    try:
        return create_app()
    except ConfigError as exc:
        raise ConfigurationRefused(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             load_dotenv=False, set_debug_flag=False)  # fmt: skip
def main():
    """Gongkai (公开): Party affairs disclosure platform — operator commands."""


# --- serving -------------------------------------------------------------------------------


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--reload/--no-reload", default=False, help="Restart on code changes.")
@with_appcontext
def run_command(host: str, port: int, reload: bool):
    """Serve the application (development server; embedded jobs without REDIS_URL)."""
    import os

    app = current_app._get_current_object()
    runner = None
    if jobs.embedded() and (not reload or os.environ.get("WERKZEUG_RUN_MAIN")):
        runner = jobs.EmbeddedRunner().start()
    try:
        # app.run() refuses to run from a Flask CLI command; serve with werkzeug directly
        from werkzeug.serving import run_simple

        click.echo(f"Serving Gongkai on http://{host}:{port}/")
        run_simple(host, port, app, use_reloader=reload, threaded=True)
    finally:
        if runner:
            runner.stop()


@main.command("shell")
@with_appcontext
def shell_command():
    """A Python shell in the application context."""
    import code

    code.interact(local={"app": current_app, "db": db})


# --- database ------------------------------------------------------------------------------


@main.group("db")
def db_group():
    """Schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str):
    """Create or upgrade the schema to REVISION (default: the latest)."""
    migrations.upgrade(current_app.config["DATABASE_URL"], revision)
    from core.portal import response_cache

    response_cache.bump_now({response_cache.EVERYTHING})  # a migration may change any page
    from core.console import page_cache

    page_cache.changed_everything()  # and any console page
    click.echo(f"Database at revision {migrations.current(current_app.config['DATABASE_URL'])}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str):
    """Downgrade the schema to REVISION."""
    migrations.downgrade(current_app.config["DATABASE_URL"], revision)


@db_group.command("current")
@with_appcontext
def db_current():
    """Show the schema revision of the database."""
    click.echo(migrations.current(current_app.config["DATABASE_URL"]) or "empty database")


@db_group.command("check")
@click.option("--wait", "wait", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seconds to keep checking (every 2 s) before giving up.")  # fmt: skip
@with_appcontext
def db_check(wait: int):
    """Exit 0 when the schema is the one this code needs, else 1 (what is pending).

    Containers of a new release wait with it for the migration job (``--wait``)."""
    import time

    url = current_app.config["DATABASE_URL"]
    deadline = time.monotonic() + wait
    while True:
        try:
            missing = migrations.pending(url)
            problem = f"the database lacks the revisions {', '.join(missing)}" if missing else ""
        except Exception as exc:  # database not reachable yet
            problem = f"the database is not reachable ({type(exc).__name__})"
        if not problem:
            click.echo(f"Database schema is up to date ({', '.join(migrations.heads(url))}).")
            return
        if time.monotonic() >= deadline:
            click.echo(f"Not ready: {problem}; run `gongkai db upgrade`.", err=True)
            sys.exit(1)
        time.sleep(2)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str):
    """Autogenerate a migration from the models (for developers)."""
    migrations.revision(current_app.config["DATABASE_URL"], message)


# --- translations --------------------------------------------------------------------------


@main.group("i18n")
def i18n_group():
    """Translation catalogs."""


@i18n_group.command("compile")
@with_appcontext
def i18n_compile():
    """Compile the catalogs of core and the installed plugins (.po → .mo) where needed.

    Optional: without it, catalogs are compiled in memory when first used."""
    from core.i18n import compile_catalogs

    written = compile_catalogs(current_app)
    for path in written:
        click.echo(f"compiled {path}")
    click.echo(f"{len(written)} catalog(s) compiled; the others were current.")


# --- jobs ----------------------------------------------------------------------------------


REDIS_START_WAIT = 60
"""Seconds a worker or scheduler waits for Redis when it starts (Redis restarting, or started
at the same time) before it gives up."""


NO_REDIS = {
    "jobs": _("REDIS_URL is not set: jobs run inside `gongkai run` (embedded mode)."),
    "sweeps": _("REDIS_URL is not set: sweeps run inside `gongkai run` (embedded mode)."),
}


def _require_redis(what: str, *, wait: float = REDIS_START_WAIT) -> None:
    """Refuse without REDIS_URL (usage error, exit 2); wait up to ``wait`` seconds for Redis
    when it is unreachable, then fail clearly (in the operator's language)."""
    if jobs.embedded():
        raise failure(NO_REDIS[what], click.UsageError)
    deadline = time.monotonic() + wait
    while True:
        try:
            jobs.redis_connection().ping()
            return
        except Exception as exc:
            if time.monotonic() >= deadline:
                raise failure(
                    _("cannot reach Redis at REDIS_URL (%(error)s)",
                      error=f"{type(exc).__name__}: {exc}")
                ) from None  # fmt: skip
            log.warning("Redis unreachable (%s): the %s wait for it", exc, what)
            time.sleep(2)


@main.command("worker")
@click.option("--queue", "queues", multiple=True, default=jobs.QUEUES, show_default=True,
              type=click.Choice(jobs.QUEUES))  # fmt: skip
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--redis-wait", type=click.IntRange(0, 3600), default=REDIS_START_WAIT,
              show_default=True, metavar="SECONDS",
              help="How long to wait for Redis at start before giving up.")  # fmt: skip
@with_appcontext
def worker_command(queues, burst: bool, redis_wait: int):
    """Run an RQ worker (with its scheduler for delayed jobs). Needs REDIS_URL."""
    _require_redis("jobs", wait=redis_wait)
    jobs.run_worker(queues, burst=burst)


@main.command("scheduler")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="While another scheduler runs: wait to take over (a standby), or exit 2.",
)
@click.option("--redis-wait", type=click.IntRange(0, 3600), default=REDIS_START_WAIT,
              show_default=True, metavar="SECONDS",
              help="How long to wait for Redis at start before giving up.")  # fmt: skip
@with_appcontext
def scheduler_command(wait: bool, redis_wait: int):
    """Run the periodic sweeps (RQ cron), one scheduler at a time: a second one waits and takes
    over when the first one stops, or 30 s after it died."""
    _require_redis("sweeps", wait=redis_wait)
    try:
        jobs.run_scheduler(wait=wait)
    except jobs.SchedulerAlreadyRunning as exc:
        say(_("Error: %(message)s", message=_("another scheduler is running (%(holder)s)",
                                                holder=exc.holder)), err=True)  # fmt: skip
        sys.exit(2)


@main.command("sweep")
@click.argument("name", required=False)
@with_appcontext
def sweep_command(name: str | None):
    """Run the sweep NAME now, in this process (without NAME: list the sweeps)."""
    if not name:
        for sweep in jobs.sweeps():
            click.echo(f"{sweep.name}\tevery {sweep.interval}s\t{sweep.func}")
        return
    if name not in {s.name for s in jobs.sweeps()}:
        raise click.BadParameter(f"unknown sweep {name!r}", param_hint="NAME")
    click.echo(f"{name}: {jobs.run_sweep(name)}")


@main.command("outbox")
@with_appcontext
def outbox_command():
    """List jobs that could not be sent yet (they are re-sent by the resend_outbox sweep), and
    jobs sent long ago that have not finished (failing, or waiting for a retry)."""
    rows = jobs.pending()
    for e in rows:
        fields = (e.id, f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.queue, e.func, e.org_id or "",
                  e.attempts, e.last_error or "")  # fmt: skip
        click.echo("\t".join(str(f) for f in fields))
    click.echo(f"{len(rows)} unsent job(s).")
    stuck = jobs.unfinished()
    for e in stuck:
        fields = (e.id, f"{e.sent_at:%Y-%m-%d %H:%M:%S}", e.queue, e.func, e.org_id or "",
                  f"runs {e.runs}", e.job_id or "")  # fmt: skip
        click.echo("\t".join(str(f) for f in fields))
    if stuck:
        click.echo(f"{len(stuck)} job(s) sent more than {jobs.LOST_AFTER} ago and not finished "
                   "(see RQ's failed job registry of their queue).")  # fmt: skip


# --- demo ------------------------------------------------------------------------------------


@main.group("demo")
def demo_group():
    """The five demo counties of the source plans, with their catalogues."""


@demo_group.command("load")
@operation
def demo_load():
    """Load the demo counties, accounts and catalogues; running it again changes nothing."""
    import core.auth.demo
    import core.catalogue.demo
    import core.disclosure_requests.demo
    import core.evaluation.demo
    import core.feedback.demo
    import core.items.demo
    import core.noticeboard.demo
    import core.notifications.demo
    import core.questionnaires.demo
    import core.reports.demo
    import core.supervision.demo
    import core.workdays.demo
    import tenants.demo

    plugins = current_app.extensions["gongkai.plugins"]
    first_notification = core.notifications.demo.last_id()  # what people had stays as it is
    known = {
        "sectors": set(plugins.sectors()),
        "themes": set(current_app.extensions["gongkai.themes"]),
    }
    loaders = [
        ("counties", lambda: tenants.demo.load(**known)),
        ("self-registration", core.auth.demo.load),
        ("catalogues", core.catalogue.demo.load),
        ("items", core.items.demo.load),
        ("calendar", core.workdays.demo.load),  # before anything that computes a deadline
        ("requests", core.disclosure_requests.demo.load),
        ("feedback", core.feedback.demo.load),
        ("evaluation", core.evaluation.demo.load),
        ("notice boards", core.noticeboard.demo.load),
        ("questionnaires", core.questionnaires.demo.load),
        ("reporting", core.reports.demo.load),  # reports, campaigns, assessments
        *plugin_demo_loaders(),  # after core's, through the hook demo_data
        # inspects the village plugin's demo town and villages: after the plugins' demo data
        ("supervision", core.supervision.demo.load),
        # last: the hand-offs of the steps the demo completed are read, the waiting work's not
        ("inboxes", functools.partial(core.notifications.demo.settle, first_notification)),
    ]
    with params.cached():  # thousands of workflow steps read the same few parameters
        for summary in stages(loaders):
            if summary:
                click.echo(summary)


def plugin_demo_loaders() -> list[tuple[str, Any]]:
    """``(plugin name, load)`` of every installed plugin's demo data (hook ``demo_data``), in
    the order of their names: core never imports a plugin."""
    plugins = current_app.extensions["gongkai.plugins"]
    return sorted(plugins.implementations("demo_data"), key=lambda pair: pair[0])


def plugin_demos() -> list[str]:
    """Load the demo data of every installed plugin: the lines they print."""
    return [str(line) for _name, load in plugin_demo_loaders() if (line := load())]


@demo_group.command("synthesize")
@click.option("--counties", type=click.IntRange(1, 1000), default=30, show_default=True)
@click.option("--units-per-county", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--items", type=click.IntRange(0, 10_000_000), default=300_000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True, help="Of the random choices.")
@operation
def demo_synthesize(counties: int, units_per_county: int, items: int, seed: int):
    """Build a synthetic province for load and scale work: COUNTIES county committees
    (syn-c1, ...), each with UNITS-PER-COUNTY units, catalogues and people (password
    gongkai-demo), and ITEMS items in the demo's mix of states, indexed and registered."""
    from core import synthesize
    from core.console import page_cache

    page_cache.changed_everything(db.session)  # rows copied in bulk, without the ORM's events
    synthesize.synthesize(counties, units_per_county, items, seed=seed, report=click.echo)


def register_commands() -> None:
    """Attach the commands of the other packages: every ``cli`` module of core and tenants (found
    by name, not listed) hands its commands over in ``COMMANDS``."""
    import core
    import tenants

    for package in (core, tenants):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.rsplit(".", 1)[-1] == "cli" and info.name != "core.cli":
                for command in importlib.import_module(info.name).COMMANDS:
                    main.add_command(command)


register_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
