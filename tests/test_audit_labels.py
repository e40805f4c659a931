"""The audit log in words: every action written anywhere in the code has a translated label
(``core/audit_labels.py``, the workflows' steps, the plugins' hook ``audit_labels``), and the
platform console's audit log shows words, not codes (issue 11)."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from core import audit, audit_labels, db
from core.plugins.testing import csrf_token
from core.workflow.engine import WORKFLOWS
from tenants import operations as tenants
from tests.words import read

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "long-enough-pw"

WRITERS = {"log": 0, "audit_log": 0}
"""Functions whose call writes an audit entry, and the position of the action among their
arguments: ``audit.log`` (``audit_log`` in the toolkit) …"""
LOCAL_WRITERS = {
    ("core/auth/views.py", "_record"): 0,  # a refused sign-in
    ("core/feedback/operations.py", "_store"): 1,  # a received feedback entry
}
"""… and the helpers of a module that write one for their callers."""

PASSED_ON = {
    ("core/audit.py", "log"),  # audit.log itself: AuditEntry(action=action)
    ("core/auth/views.py", "_record"),  # its callers name the action (scanned)
    ("core/feedback/operations.py", "_store"),  # its callers name the action (scanned)
    ("core/workflow/engine.py", "run"),  # f"{workflow.name}.{name}": every step (below)
}
"""The writers whose action is a variable: where it comes from is followed by hand here."""


def _action_argument(call: ast.Call, path: str) -> ast.expr | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name == "AuditEntry":
        return next((k.value for k in call.keywords if k.arg == "action"), None)
    position = LOCAL_WRITERS.get((path, name), WRITERS.get(name))
    if position is None:
        return None
    if name == "log" and not (
        isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "audit"
    ):
        return None
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == "action"), None)


def _strings(node: ast.expr) -> list[str] | None:
    """The codes a literal action may be (both branches of ``a if x else b``), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def logged_actions() -> tuple[set[str], set[tuple[str, str]]]:
    """The literal actions written in core, tenants and plugins, and the writers (file,
    function) whose action is not a literal."""
    codes: set[str] = set()
    variable: set[tuple[str, str]] = set()
    for folder in ("core", "tenants", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations/versions" in path.as_posix():
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(ROOT).as_posix()
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if not isinstance(node, ast.Call):
                        continue
                    argument = _action_argument(node, where)
                    if argument is None:
                        continue
                    found = _strings(argument)
                    if found is None:
                        variable.add((where, function.name))
                    else:
                        codes.update(found)
    return codes, variable


def every_action() -> set[str]:
    codes, _variable = logged_actions()
    steps = {f"{w.name}.{step}" for w in WORKFLOWS.values() for step in w.transitions}
    return codes | steps


def test_the_scan_finds_the_writers():
    codes, variable = logged_actions()
    assert variable == PASSED_ON, (
        "an audit action is built from a variable: follow it, list its codes here and label them"
    )
    assert {
        "user.password_reset_link", "auth.login_throttled", "feedback.record",
        "organisation.disable", "three_important.ratify", "item.close_refused",
    } <= codes  # fmt: skip


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "ug"])
def test_every_logged_action_has_words(app, lang):
    codes = every_action()
    assert len(codes) > 150
    with app.test_request_context("/"):
        with force_locale("en"):
            english = {code: audit_labels.known("actions", code) for code in codes}
        with force_locale(lang):
            words = {code: audit_labels.known("actions", code) for code in codes}
    missing = sorted(code for code, label in words.items() if not label or label == code)
    assert not missing, f"audit actions without words: {missing}"
    untranslated = sorted(code for code in codes if words[code] == english[code])
    assert not untranslated, f"audit actions not translated to {lang}: {untranslated}"


def test_kinds_of_object_and_common_fields_have_words(app):
    with app.test_request_context("/"), force_locale("zh_Hans_CN"):
        for code in (*audit_labels.OBJECTS, "three_important_decision", "delivery"):
            assert re.search(r"[\u4e00-\u9fff]", audit_labels.object_type(code)), code
        for code in audit_labels.FIELDS:
            assert re.search(r"[\u4e00-\u9fff]", audit_labels.field(code)), code
        assert audit_labels.field("no_such_field") is None


def test_hook_audit_labels(app):
    assert "testplugin" in app.extensions["gongkai.plugins"].installed()
    with app.test_request_context("/"):
        with force_locale("zh_Hans_CN"):  # the plugin's own domain, though no organisation
            assert audit_labels.action("testplugin.note") == "写入测试记录"
            assert audit_labels.object_type("testplugin_note") == "测试记录"
            assert audit_labels.field("text") == "记录内容"
        with force_locale("ug"):
            assert audit_labels.action("testplugin.note") == "سىناق خاتىرىسى يېزىلدى"
        with force_locale("en"):
            assert audit_labels.action("testplugin.note") == "Test note written"
        assert audit_labels.action("testplugin.unknown") == "testplugin.unknown"


# --- the platform console's audit log --------------------------------------------------------


@pytest.fixture
def world(make_org):
    unit = make_org("al-unit")
    other = make_org("al-other")
    platform = tenants.create_user("al-platform", password=PASSWORD, platform_admin=True)
    tenants.grant_membership(platform, unit, "admin")  # opens al-unit's console, not al-other's
    audit.log("item.update", "item", 9, org_id=other.id, actor=platform)
    person = tenants.create_user("al-person", password=PASSWORD, display_name="王小明")
    reset, _token = tenants.create_password_reset(person, actor=platform)
    audit.log("item.update", "item", 42, org_id=unit.id, actor=platform,
              changes={"involves_secrets": [True, False], "scope": ["unit", "public"]})  # fmt: skip
    db.session.commit()
    return {"unit": unit, "platform": platform, "person": person, "reset": reset}


def signed_in(app, lang):
    client = app.test_client()
    answer = client.post(
        "/auth/login",
        data={"username": "al-platform", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert answer.status_code == 302
    client.get(f"/?lang={lang}")
    return client


def shown(html: str) -> str:
    return " ".join(text for _where, text in read(html).runs)


def test_the_audit_log_shows_words_not_codes(app, world):
    client = signed_in(app, "zh_Hans_CN")
    html = client.get("/admin/platform/audit/").get_data(as_text=True)
    text = shown(html)
    assert "生成重置密码链接" in text
    assert "user.password_reset_link" not in text and "expires_at" not in text
    assert 'title="user.password_reset_link"' in html  # the code, for specialists
    person = world["person"]
    # the object: the account in words, with a link to its page on the platform console
    assert f'<a href="/admin/platform/users/{person.id}">王小明</a>' in html
    assert re.search(r"账户\s*<a", html)
    # the changes: the field in words (its key in the title), the date as the page shows dates
    when = r"\d{4}/\d{1,2}/\d{1,2} \d{2}:\d{2}"
    assert re.search(rf'<data value="expires_at" title="expires_at">有效期至</data>: {when}<', html)
    assert str(world["reset"].expires_at.year) + "-" not in text
    assert re.search(r"涉及党和国家秘密</data>: 是 → 否<", html)  # yes/no; the form's label
    assert "中文: 全称: al-unit 党组织, 简称: al-unit" in html  # names by language, in words
    assert "本单位公开（本单位及下级、上级党组织） → 向社会公开" in text  # a scope in words
    assert 'href="/admin/o/al-unit/items/42"' in html  # an item opens in its console …
    assert (
        '公开事项 <span class="object-id" translate="no">9</span>' in html
    )  # … where the reader may open it
    assert 'href="/admin/platform/counties/al-unit"' in html  # a county: its platform page


def test_the_audit_export_has_the_action_in_words_next_to_its_code(app, world):
    client = signed_in(app, "zh_Hans_CN")
    answer = client.get("/admin/platform/audit/export.csv?action=user.")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    action = header.index("操作")
    assert header[action + 1] == "操作（代码）"
    [row] = [r for r in rows[1:] if r[action + 1] == "user.password_reset_link"]
    assert row[action] == "生成重置密码链接"
    assert row[action + 2] == "账户" and row[action + 3] == "user"
    assert "有效期至: " in row[-2] and "expires_at" not in row[-2]
    assert "T" not in row[-2].split("有效期至: ")[1]  # the date as the page shows it


def test_the_audit_log_names_types_sectors_superiors_and_parameters(app, make_org, world):
    """Issue 11: an organisation's type and sector by their labels, its superior by its name
    (linked), a policy parameter by its label and its choice in words; each code stays in a
    <data> and its title for the specialist."""
    from core.params import operations as params

    county = make_org("al-county", type_code="county_committee")
    platform = world["platform"]
    audit.log("organisation.update", "organisation", world["unit"].id, org_id=world["unit"].id,
              actor=platform, changes={"type_code": ["branch", "general_branch"],
                                       "sector": ["agency", "soe"],
                                       "parent_id": [None, county.id]})  # fmt: skip
    params.set_value(world["unit"], "request.filing", "all", actor=platform)
    db.session.commit()
    client = signed_in(app, "zh_Hans_CN")
    html = client.get("/admin/platform/audit/?org=al-unit").get_data(as_text=True)
    text = shown(html)
    assert re.search(
        r'<data value="type_code" title="type_code">[^<]+</data>: '
        r'<data value="branch" title="branch">党支部</data> → '
        r'<data value="general_branch" title="general_branch">党总支</data><',
        html,
    )
    assert '<data value="agency" title="agency">机关</data> → ' in html
    assert '<data value="soe" title="soe">国有企业</data><' in html
    link = '<a href="/admin/platform/counties/al-county">al-county</a>'  # a county: its page
    assert f'<data value="{county.id}" title="{county.id}">{link}</data>' in html
    # the parameter by its label (its key in the title), its choice in words
    assert "政策参数 依申请公开：向上级报备的答复类型" in text
    assert 'title="parameter request.filing"' in html
    assert '<data value="all" title="all">全部申请及其办理情况</data>' in html
    assert re.search(r'<data value="locked" title="locked">[\u4e00-\u9fff]+</data>: 否<', html)
    for code in ("branch", "general_branch", "soe", "agency", "request.filing"):
        assert code not in text.split(), code
    with force_locale("en"):
        assert audit_labels.object_name("parameter", "request.filing") == (
            "Disclosure requests: which decisions are filed with the superior"
        )
