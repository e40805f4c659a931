"""The item form fits the work: the catalogue entry chosen by category with the entries due now
first, the off-catalogue item an explicit choice, the period chosen from the entry's cadence (two
steps without JavaScript) and the text previewed as it will be published, nothing saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import db, localtime
from core.catalogue import operations as cat
from core.items import operations as items
from core.items.models import Item
from core.items.views import due_now
from core.workflow.engine import SYSTEM
from tests import words
from tests.items_helpers import build_world, plan, sign_in
from tests.test_items_console import UNIT, form_data, html, item_id_from, post


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def select_html(page: str, name: str) -> str:
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert match, f"no select {name}"
    return match.group(1)


def groups(select: str) -> list[tuple[str | None, list[str]]]:
    """``[(optgroup label or None, [option values])]`` in the order of the page."""
    out: list[tuple[str | None, list[str]]] = []
    for label, inner, loose in re.findall(
        r'<optgroup label="([^"]*)">(.*?)</optgroup>|(<option[^>]*>[^<]*</option>)', select, re.S
    ):
        if loose:
            out.append((None, re.findall(r'value="([^"]*)"', loose)))
        else:
            out.append((label, re.findall(r'<option[^>]*value="([^"]*)"', inner)))
    return out


def chosen(select: str) -> list[str]:
    """The values of the selected options."""
    return [
        re.search(r'value="([^"]*)"', attrs).group(1)
        for attrs in re.findall(r"<option([^>]*)>", select)
        if re.search(r"\bselected\b", attrs)
    ]


def option_values(select: str) -> list[str]:
    return re.findall(r'<option[^>]*value="([^"]*)"', select)


def count_items() -> int:
    return db.session.scalar(select(func.count(Item.id)))


def test_the_entry_is_chosen_by_category_with_the_entries_due_now_first(app, w):
    editor = sign_in(app, "it-editor")
    entry = select_html(html(editor.get(UNIT + "/items/new")), "entry_key")
    # nothing is chosen for the editor: not even the off-catalogue item
    assert groups(entry) == [
        (None, [""]),
        ("Due this period", ["org.fees"]),
        ("组织管理", ["org.election"]),
        ("Outside the catalogue", ["~off"]),
    ]
    assert chosen(entry) == []
    # the quarterly entry is offered with the period that is due
    today = localtime.today(w["unit"])
    version = cat.effective_version(w["unit"])
    due = [d.period_key for d in due_now(w["unit"], version, today) if d.entry_key == "org.fees"]
    year, quarter = due[0].split("-Q")  # the current quarter, or the last one before its due date
    assert f">党费收缴、使用和管理情况 · Quarter {quarter} of {year}</option>" in entry
    # saving without a choice says what to choose and saves nothing
    before = count_items()
    response = post(editor, UNIT + "/items/new", form_data(entry_key=""))
    assert response.status_code == 400
    assert "Choose the catalogue entry, or an off-catalogue item." in html(response)
    assert count_items() == before
    # once every open period of the entry has its item, it is no longer due
    for due in due_now(w["unit"], version, today):
        items.create(w["unit"], plan(period_key=due.period_key), actor=SYSTEM)
    db.session.commit()
    entry = select_html(html(editor.get(UNIT + "/items/new")), "entry_key")
    assert groups(entry) == [
        (None, [""]),
        ("组织管理", ["org.fees", "org.election"]),
        ("Outside the catalogue", ["~off"]),
    ]


def test_the_period_is_chosen_from_the_entrys_cadence_in_two_steps(app, w):
    editor = sign_in(app, "it-editor")
    today = localtime.today(w["unit"])
    current = items.period_for("quarterly", today)
    page = html(editor.get(UNIT + "/items/new"))
    assert not re.search(r'<input[^>]*name="period_key"', page)  # no typed codes
    assert option_values(select_html(page, "period_key")) == [""]
    assert "Choose the catalogue entry first" in page
    before = count_items()
    # step one: the entry, then "Show its periods" (nothing is saved, the typing is kept)
    data = form_data(
        entry_key="org.fees", period_key="", title_zh_Hans_CN="保留的标题", periods="1"
    )
    response = post(editor, UNIT + "/items/new", data)
    assert response.status_code == 200
    page = html(response)
    periods = option_values(select_html(page, "period_key"))
    assert current in periods and f"{today.year - 1}-Q1" in periods and periods[-1] == ""
    assert f"{today.year - 2}-Q4" not in periods
    # the period due now is suggested
    version = cat.effective_version(w["unit"])
    due = {d.entry_key: d.period_key for d in due_now(w["unit"], version, today)}
    assert chosen(select_html(page, "period_key")) == [due.get("org.fees", current)]
    assert 'value="保留的标题"' in page
    assert count_items() == before
    # an entry disclosed on events has no period
    data.update(entry_key="org.election")
    page = html(post(editor, UNIT + "/items/new", data))
    assert option_values(select_html(page, "period_key")) == [""]
    assert "No period: this entry is disclosed when something happens" in page
    # a period that is not the entry's is refused at its field
    response = post(editor, UNIT + "/items/new", form_data(period_key=f"{today.year - 5}-Q1"))
    assert response.status_code == 400
    assert re.search(r'id="period_key-error-1">[^<]*Choose one of the periods', html(response))
    assert count_items() == before
    # step two: save with a period of the list
    response = post(editor, UNIT + "/items/new", form_data(period_key=current))
    assert response.status_code == 302, html(response)
    item = db.session.get(Item, item_id_from(response))
    assert item.period_key == current
    # the plan's link offers the entry with its due period chosen
    page = html(editor.get(UNIT + "/items/new?entry=org.fees"))
    assert chosen(select_html(page, "period_key")) == [due.get("org.fees", current)]


def test_an_older_period_of_an_item_stays_a_choice_when_it_is_edited(app, w):
    item = items.create(w["unit"], plan(period_key="2020-Q2"), actor=SYSTEM)
    db.session.commit()
    editor = sign_in(app, "it-editor")
    page = html(editor.get(f"{UNIT}/items/{item.id}/edit"))
    period = select_html(page, "period_key")
    assert "2020-Q2" in option_values(period)
    assert chosen(period) == ["2020-Q2"]
    assert chosen(select_html(page, "entry_key")) == ["org.fees"]


def test_an_off_catalogue_item_is_chosen_explicitly_and_edited_as_one(app, w):
    editor = sign_in(app, "it-editor")
    response = post(editor, UNIT + "/items/new", form_data(entry_key="~off", period_key=""))
    assert response.status_code == 302, html(response)
    item_id = item_id_from(response)
    assert db.session.get(Item, item_id).off_catalogue
    entry = select_html(html(editor.get(f"{UNIT}/items/{item_id}/edit")), "entry_key")
    assert chosen(entry) == ["~off"]


def test_the_preview_shows_the_text_as_it_will_be_published_and_saves_nothing(app, w):
    editor = sign_in(app, "it-editor")
    before = count_items()
    body = "本季度应缴党费 **1200** 元。\n\n<script>alert('x')</script>\n\n- 已全部缴纳"
    data = form_data(body_zh_Hans_CN=body, body_en="", title_en="", preview="1")
    response = post(editor, UNIT + "/items/new", data)
    assert response.status_code == 200
    page = html(response)
    assert "Preview: as it will be published" in page
    preview = page.split('id="preview-h"')[1].split("</section>")[0]
    assert "<strong>1200</strong>" in preview and "<li>已全部缴纳</li>" in preview
    assert "<script" not in preview
    assert "2026年第一季度党费收缴情况" in preview
    assert count_items() == before
    # the form keeps what was typed, and the preview works on the edit page too
    assert "本季度应缴党费 **1200** 元。" in page
    item = items.create(w["unit"], plan(), actor=SYSTEM)
    db.session.commit()
    response = post(editor, f"{UNIT}/items/{item.id}/edit", data)
    assert response.status_code == 200
    assert "<strong>1200</strong>" in html(response)
    db.session.expire_all()
    assert "<script>" not in (db.session.get(Item, item.id).current_version.bodies["zh_Hans_CN"])


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "ug"])
def test_the_form_shown_again_has_no_english_word(app, w, locale):
    """The pages a crawl does not reach (they answer a press of a button): the periods and the
    preview, in Chinese and Uyghur (:mod:`tests.words`)."""
    editor = sign_in(app, "it-editor")
    path = f"{UNIT}/items/new?lang={locale}"
    editor.get(path)
    data = form_data(title_en="", body_en="", title_ug="", body_ug="", periods="1")
    for press in ("periods", "preview"):
        data.pop("periods", None)
        data[press] = "1"
        page = html(post(editor, path, data))
        assert ('id="preview-h"' in page) == (press == "preview")
        typed = frozenset(re.findall(r"\bit-[a-z-]+", page))  # the world's codes as names
        found = [str(f) for f in words.findings(path, page, typed)]
        assert not found, "\n".join(found)
