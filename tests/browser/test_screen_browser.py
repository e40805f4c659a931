"""A unit's screen (/o/<code>/screen) in a real browser: the slides rotate and follow keys,
buttons and swipes (mirrored in Uyghur), the content refreshes itself, and when the network drops
the screen keeps what it had for an hour, saying how old it is. Time runs on Playwright's clock.
Screenshots go to tests/browser/artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.world import INTERNAL_DUES_TITLE, NAMES

pytestmark = pytest.mark.browser

OFFLINE_ERRORS = ("ERR_INTERNET_DISCONNECTED", "Failed to fetch")


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def current(page):
    return page.locator(".slide.current")


def open_screen(pages, lang: str, size=(1280, 900)):
    context = pages.new_context()
    page = context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.clock.install()
    page.goto(f"/o/it-unit/screen?lang={lang}")
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    return context, page


def test_the_screen_rotates_and_follows_keys_buttons_and_swipes(pages, live_server, artifacts):
    _context, page = open_screen(pages, "en", size=(1366, 768))
    expect(current(page)).to_have_count(1)
    assert page.locator(".slide").count() >= 3
    first = current(page).get_attribute("data-id")
    assert first == str(live_server.ids["notice"])  # the notice in its period comes first
    expect(current(page)).to_contain_text(re.compile(r"\d+ days? \d+ hours? left"))
    expect(page.locator("#screen-position")).to_have_text(re.compile(r"^1 of \d+$"))
    page.screenshot(path=artifacts / "screen-en-1366.png")
    page.clock.fast_forward(16_000)  # one turn of 15 seconds
    second = current(page).get_attribute("data-id")
    assert second != first
    page.keyboard.press("ArrowLeft")  # back
    expect(current(page)).to_have_attribute("data-id", first)
    page.get_by_role("button", name="Next").click()
    expect(current(page)).to_have_attribute("data-id", second)
    box = page.locator("#screen-slides").bounding_box()
    y = box["y"] + 40
    page.mouse.move(box["x"] + box["width"] - 40, y)  # a swipe from right to left: next
    page.mouse.down()
    page.mouse.move(box["x"] + 40, y, steps=5)
    page.mouse.up()
    third = current(page).get_attribute("data-id")
    assert third not in (first, second)
    pause = page.get_by_role("button", name="Pause")
    pause.click()
    expect(page.get_by_role("button", name="Play")).to_have_attribute("aria-pressed", "true")
    page.clock.fast_forward(180_000)
    expect(current(page)).to_have_attribute("data-id", third)  # paused: stays
    expect(page.locator("body")).not_to_contain_text(INTERNAL_DUES_TITLE)


def test_the_screen_keeps_its_content_for_an_hour_without_network(pages, live_server):
    context, page = open_screen(pages, "en")
    status = page.locator("#screen-status")
    expect(status).to_contain_text("Updated at")
    context.set_offline(True)
    page.clock.fast_forward("05:00")  # five refreshes failed
    expect(status).to_contain_text(
        re.compile(r"No connection since .+: showing the content of 5 minutes ago")
    )
    expect(current(page)).to_be_visible()
    page.clock.fast_forward("55:30")  # an hour and a half minute since the last refresh
    expect(page.locator("#screen-expired")).to_contain_text("no connection for more than an hour")
    expect(page.locator("#screen-slides")).to_be_hidden()
    context.set_offline(False)
    # Back online, the screen refreshes at once (the browser's online event) and, should that
    # first request still fail while the network settles, again ten seconds later; it does not
    # wait for the minute's refresh (which the clock, running in real time now, does not reach).
    expect(page.locator("#screen-slides")).to_be_visible(timeout=15_000)
    expect(current(page)).to_have_count(1)
    expect(status).to_contain_text("Updated at")
    pages.errors[:] = [e for e in pages.errors if not any(o in e for o in OFFLINE_ERRORS)]


def test_the_uyghur_screen_reads_and_turns_right_to_left(pages, live_server, artifacts):
    _context, page = open_screen(pages, "ug", size=(1366, 768))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text(NAMES["it-unit"]["ug"]["full"])
    first = current(page).get_attribute("data-id")
    qr = current(page).locator(".slide-qr").bounding_box()
    text = current(page).locator(".slide-text").bounding_box()
    assert qr["x"] + qr["width"] <= text["x"] + 1, "the QR code stands left of the text"
    page.screenshot(path=artifacts / "screen-ug-1366.png")
    page.keyboard.press("ArrowLeft")  # forward, in a right-to-left language
    expect(current(page)).not_to_have_attribute("data-id", first)
    page.keyboard.press("ArrowRight")
    expect(current(page)).to_have_attribute("data-id", first)


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en", "ug"])
def test_the_screen_fits_a_phone_and_a_kiosk(pages, live_server, artifacts, lang):
    for width, height in ((1366, 768), (390, 844)):
        _context, page = open_screen(pages, lang, size=(width, height))
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"wider than the window at {width}: {sizes}"
        expect(page.locator("#screen-controls")).to_be_visible()
        page.screenshot(path=artifacts / f"screen-{lang}-{width}.png", full_page=width < 1000)


def test_without_the_script_every_slide_is_listed(pages, live_server):
    context = pages.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/o/it-unit/screen?lang=en")
    slides = page.locator(".slide")
    assert slides.count() >= 3
    for n in range(slides.count()):
        expect(slides.nth(n)).to_be_visible()
    expect(page.locator("#screen-controls")).to_be_hidden()
