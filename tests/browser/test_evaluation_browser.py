"""Member evaluation (评议) in headless Chromium: a member of the unit finds the open round on the
unit's portal, rates every point once and sees the confirmation; after the superior published
the results, an anonymous visitor follows the portal's link to them. Comments never show."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.rule("SUP-3")]

TITLE = "2026年度党务公开工作党员评议"


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def open_round(live_server) -> int:
    """The superior's side (tested in tests/test_evaluation.py): a public round for it-unit."""
    from core import db
    from core.evaluation import operations as ev
    from tenants import operations as tenants

    with live_server.app.app_context():
        bureau = tenants.get_org("it-bureau")
        admin = tenants.get_user("it-bureau-admin")
        if admin is None:
            admin = tenants.create_user("it-bureau-admin", password="long-enough-pw")
            tenants.grant_membership(admin, bureau, "admin")
        today = ev.today(bureau)
        round_ = ev.create(
            bureau,
            {"titles": {"zh_Hans_CN": TITLE}, "opens_on": today,
             "closes_on": today + timedelta(days=7), "result_scope": "public",
             "units": ["it-unit"]},
            actor=admin,
        )  # fmt: skip
        ev.open_round(round_, actor=admin)
        db.session.commit()
        round_id = round_.id
        db.session.remove()
    return round_id


def close_and_publish(live_server, round_id: int) -> None:
    from core import db
    from core.evaluation import operations as ev
    from core.evaluation.models import EvaluationRound
    from tenants import operations as tenants

    with live_server.app.app_context():
        round_ = db.session.get(EvaluationRound, round_id)
        admin = tenants.get_user("it-bureau-admin")
        ev.close(round_, actor=admin)
        ev.publish(round_, actor=admin)
        db.session.commit()
        db.session.remove()


def test_a_member_rates_the_unit_once_and_a_visitor_reads_the_results(sign_in, page, live_server):
    round_id = open_round(live_server)
    member = sign_in("it-member")
    member.goto("/o/it-unit/")
    link = member.locator(f"a[href='/o/it-unit/evaluations/{round_id}/rate']")
    expect(link).to_contain_text(TITLE)
    link.click()
    expect(member.locator("h1")).to_have_text(TITLE)
    for group in member.locator("form.form fieldset").all():
        group.locator("input[value=satisfied]").check()
    member.locator("form.form fieldset").last.locator("input[value=basically_satisfied]").check()
    member.fill("textarea[name=comment]", "建议公开栏再大一些 zxbrowsr")
    member.locator("form.form button[type=submit]").click()
    expect(member.locator(".flash-success")).to_be_visible()
    expect(member.locator(".confirmation")).to_be_visible()
    expect(member.locator("input[name=a_overall]")).to_have_count(0)  # once per round
    member.goto("/o/it-unit/")
    expect(member.locator(f"a[href='/o/it-unit/evaluations/{round_id}/rate']")).to_have_count(0)

    close_and_publish(live_server, round_id)
    page.goto("/o/it-unit/")
    results = page.locator(f"a[href='/o/it-bureau/evaluations/{round_id}#unit-it-unit']")
    expect(results).to_contain_text(TITLE)
    results.click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#unit-it-unit-section table")).to_contain_text("100.0%")
    assert "zxbrowsr" not in page.content()
