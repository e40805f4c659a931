"""Every page type passes an automated WCAG 2.1 AA check in Chinese, English and Uyghur.

axe-core (Deque's engine, the copy the PyPI package ``axe-playwright-python`` ships) is run by
Playwright in Debian's Chromium over the public pages (portal, unit portal, item, catalogue,
search, feedback and request forms, statistics, register, open data, the screen), the sign-in
page and the main console pages, in zh_Hans_CN, en and ug. Any *serious* or *critical*
violation of a WCAG 2.0/2.1 A or AA rule fails the test, named with its rule, help text and the
elements concerned. The forms are also sent empty, so that the page with the errors is checked
too, and each error must be tied to its field (``aria-describedby``, ``aria-invalid``).

Beyond what axe can see: the skip link is the first thing the keyboard reaches and moves the
focus to the main content, and a focused control shows a visible outline.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LANGUAGES = ("zh_Hans_CN", "en", "ug")
HTML_LANG = {"zh_Hans_CN": "zh-Hans-CN", "en": "en", "ug": "ug"}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
    # axe's own CSSOM preload fetches the style sheets again and resolves an @import against the
    # page instead of the sheet (the classic theme imports ../base/gongkai.css): a 404 that the
    # browser never makes. The rules checked here read computed styles, not the CSSOM.
    "preload": False,
}
BLOCKING = {"serious", "critical"}

# The public pages: every page type a visitor reaches (paths; {items} are filled from the world)
PUBLIC_PAGES = {
    "platform home": "/",
    "county portal": "/o/it-county/",
    "unit portal": "/o/it-unit/",
    "item page": "/o/it-unit/items/{notice}",
    "catalogue": "/o/it-unit/catalogue",
    "search": "/o/it-unit/search?q=党费",
    "search without results": "/o/it-unit/search?q=无此内容",
    "feedback form": "/o/it-unit/feedback",
    "feedback answers": "/o/it-unit/feedback/answers",
    "feedback lookup": "/o/it-unit/feedback/lookup",
    "request form": "/o/it-unit/requests/new",
    "statistics": "/o/it-unit/statistics",
    "register": "/o/it-unit/register",
    "register checkpoints": "/o/it-unit/register/checkpoints",
    "open data": "/o/it-unit/data/",
    "open data fields": "/o/it-unit/data/fields",
    "county open data": "/o/it-county/data/",
    "screen": "/o/it-unit/screen",
    "sign-in": "/auth/login",
    "not found": "/o/it-unit/items/999999",
}
# The console pages of a unit's administrator
CONSOLE_PAGES = {
    "my work": "/admin",
    "organisation home": "/admin/o/it-unit/",
    "items": "/admin/o/it-unit/items",
    "new item form": "/admin/o/it-unit/items/new",
    "item in the console": "/admin/o/it-unit/items/{notice}",
    "review inbox": "/admin/o/it-unit/items/inbox",
    "timeliness": "/admin/o/it-unit/timeliness",
    "catalogue console": "/admin/o/it-unit/catalogue",
    "catalogue schedule": "/admin/o/it-unit/catalogue/schedule",
    "requests console": "/admin/o/it-unit/requests",
    "record a request": "/admin/o/it-unit/requests/new",
    "feedback ledger": "/admin/o/it-unit/feedback",
    "record feedback": "/admin/o/it-unit/feedback/new",
    "feedback statistics": "/admin/o/it-unit/feedback/stats",
    "evaluations": "/admin/o/it-unit/evaluations",
    "members": "/admin/o/it-unit/members",
    "parameters": "/admin/o/it-unit/parameters",
    "plugins": "/admin/o/it-unit/plugins",
    "register console": "/admin/o/it-unit/register",
    "printed board": "/admin/o/it-unit/board",
    "appearance": "/admin/o/it-unit/appearance",
    "notifications": "/notifications",
    "notification settings": "/notifications/settings",
    "my requests": "/requests",
}
# Forms sent empty: the page with the errors is checked, and each error names its field
EMPTY_FORMS = {
    "feedback form": "/o/it-unit/feedback",
    "request form": "/o/it-unit/requests/new",
    "new item form": "/admin/o/it-unit/items/new",
    "record feedback": "/admin/o/it-unit/feedback/new",
    "printed board": "/admin/o/it-unit/board",
}


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def axe_problems(page) -> list[str]:
    """The serious and critical WCAG A/AA violations axe finds on the page, one line each."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    problems = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        problems.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} — {targets}"
        )
    return problems


def check(page, name: str, lang: str, failures: list[str]) -> None:
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    for problem in axe_problems(page):
        failures.append(f"{name} ({lang}, {page.url}): {problem}")


def fill(path: str, ids: dict[str, int]) -> str:
    return path.format(**ids)


def expected_refusals(pages, statuses=("400", "404")) -> None:
    """A page answered with a 4xx on purpose (an empty form, a missing item) is reported by
    Chromium as a resource that failed to load: not an error of the page."""
    pages.errors[:] = [
        error
        for error in pages.errors
        if not any(f"status of {status} " in error for status in statuses)
    ]


@pytest.fixture
def visitor(pages):
    # bypass_csp: axe is injected as a script of the test, which the pages' policy would refuse
    return pages.new_context(bypass_csp=True).new_page()


@pytest.fixture
def administrator(pages):
    page = pages.new_context(bypass_csp=True).new_page()
    page.goto("/auth/login")
    page.fill("#username", "it-admin")
    page.fill("#password", "long-enough-pw")
    page.click("form[action='/auth/login'] button[type=submit]")
    page.wait_for_selector(".signed-in")
    return page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_passes_wcag_aa(visitor, pages, live_server, lang):
    failures: list[str] = []
    for name, path in PUBLIC_PAGES.items():
        visitor.goto(with_lang(fill(path, live_server.ids), lang))
        check(visitor, name, lang, failures)
    expected_refusals(pages, ("404",))
    assert not failures, "WCAG 2.1 AA violations:\n" + "\n".join(failures)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_console_page_passes_wcag_aa(administrator, live_server, lang):
    failures: list[str] = []
    for name, path in CONSOLE_PAGES.items():
        administrator.goto(with_lang(fill(path, live_server.ids), lang))
        check(administrator, name, lang, failures)
    assert not failures, "WCAG 2.1 AA violations:\n" + "\n".join(failures)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_form_errors_pass_wcag_aa_and_are_tied_to_their_fields(
    administrator, pages, live_server, lang
):
    failures: list[str] = []
    visitor = administrator
    for name, path in EMPTY_FORMS.items():
        visitor.goto(with_lang(path, lang))
        form = visitor.locator("main form[method=post]").first
        form.evaluate("form => form.setAttribute('novalidate', '')")  # the server's checks
        form.locator("button[type=submit]:not([formnovalidate])").last.click()  # not Preview
        visitor.wait_for_load_state()
        invalid = visitor.locator("[aria-invalid=true]")
        assert invalid.count() > 0, f"{name}: no field is marked invalid after an empty send"
        for field in invalid.all():
            # a field's own description, or its group's (a set of checkboxes is one question)
            described = field.evaluate(
                """el => el.getAttribute("aria-describedby")
                        || el.closest("fieldset")?.getAttribute("aria-describedby") || ''"""
            )
            messages = [
                visitor.locator(f"#{ident}").inner_text().strip() for ident in described.split()
            ]
            assert any(messages), f"{name}: {field.get_attribute('name')} names no error"
        check(visitor, f"{name} with errors", lang, failures)
    expected_refusals(pages, ("400", "422"))
    assert not failures, "WCAG 2.1 AA violations:\n" + "\n".join(failures)


@pytest.fixture
def classic_unit(live_server):
    """it-unit in the classic theme for one test (then back to base)."""
    from sqlalchemy import select

    from core import db
    from tenants.models import Organisation

    def set_theme(name: str) -> None:
        with live_server.app.app_context():
            unit = db.session.scalar(select(Organisation).filter_by(code="it-unit"))
            unit.theme = name
            db.session.commit()

    set_theme("classic")
    yield
    set_theme("base")


CLASSIC_PAGES = ("unit portal", "item page", "search", "feedback form", "statistics", "register")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_classic_theme_passes_wcag_aa(classic_unit, administrator, live_server, lang):
    failures: list[str] = []
    page = administrator
    for name in CLASSIC_PAGES:
        page.goto(with_lang(fill(PUBLIC_PAGES[name], live_server.ids), lang))
        assert "/static/t/classic/gongkai.css" in page.content(), page.url
        check(page, f"{name} (classic)", lang, failures)
    for name in ("items", "printed board", "appearance"):
        page.goto(with_lang(fill(CONSOLE_PAGES[name], live_server.ids), lang))
        check(page, f"{name} (classic)", lang, failures)
    assert not failures, "WCAG 2.1 AA violations:\n" + "\n".join(failures)


def test_the_skip_link_comes_first_and_takes_the_focus_to_the_content(visitor, live_server):
    visitor.goto("/o/it-unit/")
    visitor.keyboard.press("Tab")
    focused = visitor.evaluate(
        "[document.activeElement.tagName, document.activeElement.getAttribute('href')]"
    )
    assert focused[0] == "A" and focused[1] == "#main", focused
    skip = visitor.locator("a[href='#main']").first
    expect(skip).to_be_visible()  # shown while it has the focus
    visitor.keyboard.press("Enter")
    assert visitor.evaluate("document.activeElement.id") == "main"


OUTLINE = "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }"


def visible_outline(element) -> bool:
    style, width = element.evaluate(OUTLINE)
    return style != "none" and float(width.removesuffix("px") or 0) >= 2


def test_a_focused_control_shows_a_visible_outline(visitor, live_server):
    visitor.goto("/o/it-unit/feedback")
    visitor.keyboard.press("Tab")  # the skip link
    visitor.keyboard.press("Tab")  # the next link
    focused = visitor.evaluate_handle("document.activeElement")
    assert visible_outline(focused), focused.evaluate("el => el.outerHTML")
    field = visitor.locator("main form textarea, main form input[type=text]").first
    field.focus()
    assert visible_outline(field), field.evaluate("el => el.outerHTML")


def test_the_check_finds_what_it_must(visitor, live_server):
    """The check itself: a field without a label and pale grey text on white are named."""
    visitor.goto("/o/it-unit/")
    visitor.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend",
                '<form><input type="text" id="nameless"></form>'
                + '<p style="color:#bbb;background:#fff">淡灰色的文字</p>');
        }"""
    )
    problems = "\n".join(axe_problems(visitor))
    assert "label" in problems and "#nameless" in problems, problems
    assert "color-contrast" in problems, problems
