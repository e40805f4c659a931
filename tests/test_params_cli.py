"""``gongkai params``: show where a value comes from; set, lock and clear."""

from __future__ import annotations

import pytest

from core.cli import main


@pytest.fixture
def tree(make_org):
    county = make_org("p-county", type_code="county_committee")
    return county, make_org("p-branch", parent=county)


def test_show_set_clear(app, tree):
    runner = app.test_cli_runner()
    shown = runner.invoke(main, ["params", "show", "p-branch", "notice.min_days"])
    assert shown.exit_code == 0
    assert "notice.min_days = 7  (default)" in shown.output
    assert (
        runner.invoke(
            main, ["params", "set", "p-county", "notice.min_days", "15", "--lock"]
        ).exit_code
        == 0
    )
    shown = runner.invoke(main, ["params", "show", "p-branch", "notice.min_days"])
    assert "notice.min_days = 15  (set by p-county, locked)" in shown.output
    refused = runner.invoke(main, ["params", "set", "p-branch", "notice.min_days", "9"])
    assert refused.exit_code == 2
    assert "locked" in refused.output
    cleared = runner.invoke(main, ["params", "clear", "p-county", "notice.min_days"])
    assert "notice.min_days = 7 for p-county (from default)" in cleared.output


def test_bad_values_exit_2(app, tree):
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["params", "set", "p-branch", "notice.min_days", "3"]).exit_code == 2
    assert runner.invoke(main, ["params", "set", "p-branch", "nope", "3"]).exit_code == 2
    assert runner.invoke(main, ["params", "show", "no-such-org"]).exit_code == 2
    assert runner.invoke(main, ["params", "clear", "p-branch", "notice.min_days"]).exit_code == 2
