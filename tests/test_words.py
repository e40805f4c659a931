"""Words, not codes (issue 11): every state and step has a translated label, the workflow
engine refuses in the reader's language, and a crawl of the demo as each kind of person finds
no English word on any console or portal page in Chinese and in Uyghur (:mod:`tests.words`).

The crawl reads the demo from one SQLite file loaded once for the module: the words on a page
do not depend on the database (the pages themselves run on both backends in their own tests).
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from core import db
from core.catalogue import workflow as catalogue_workflow
from core.disclosure_requests import workflow as request_workflow
from core.evaluation import workflow as evaluation_workflow
from core.feedback import workflow as feedback_workflow
from core.items import workflow as item_workflow
from core.plugins.testing import csrf_token
from core.questionnaires import workflow as questionnaire_workflow
from tests import demodb, words

WORKFLOWS = (
    item_workflow.item,
    catalogue_workflow.unit_catalogue,
    catalogue_workflow.template,
    request_workflow.request,
    feedback_workflow.feedback,
    evaluation_workflow.evaluation,
    questionnaire_workflow.questionnaire,
)


def chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def uyghur(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_every_state_and_step_of_a_workflow_has_a_translated_label(app, workflow):
    for locale, written in (("zh_Hans_CN", chinese), ("ug", uyghur)):
        with force_locale(locale):
            missing = [s for s in workflow.states if not written(workflow.state_label(s))]
            missing += [t for t in workflow.transitions if not written(workflow.label(t))]
        assert missing == [], (workflow.name, locale)


@pytest.fixture
def w(make_org):
    from tests.items_helpers import build_world

    return build_world(make_org)


def test_the_engine_refuses_in_the_readers_language(w):
    """A step refused by the engine itself (roles, state) says why in words: the roles by
    their names, the state by its label, never a code."""
    from core.items import operations as items
    from core.workflow.engine import TransitionRefused
    from tests.items_helpers import plan

    item = items.create(w["unit"], plan(), actor=w["editor"])
    for locale, written in (("zh_Hans_CN", chinese), ("ug", uyghur)):
        with force_locale(locale):
            with pytest.raises(TransitionRefused) as refused:
                items.publish(item, actor=w["editor"])  # a draft: not possible in this state
            lines = refused.value.lines()
        assert all(written(line) for line in lines), lines
        assert words.english_words(" ".join(lines)) == [], lines
    with force_locale("zh_Hans_CN"):  # read later, the refusal speaks the reader's language
        assert str(refused.value).splitlines()[1].endswith("目前状态为“草稿”。")
    with force_locale("en"):
        assert "it is Draft" in str(refused.value)


def test_the_word_reader_finds_english_words_and_leaves_codes_marked_as_such():
    page = (
        '<html><body><h1>事项 draft</h1><p translate="no">leadership.duties</p>'
        '<p>下载 CSV、<a href="/o/x">/o/x</a> 见 PUB-5</p><p lang="en">English</p>'
        '<input type="submit" value="Save"><script>var x = "draft";</script>'
        "<p>回执号 FK-HSPE-YPEU，时区 Asia/Shanghai</p><p>in_review</p></body></html>"
    )
    found = [w for f in words.findings("/p", page, frozenset()) for w in f.words]
    assert sorted(found) == ["PUB-5", "Save", "draft", "in_review"]
    assert words.english_words("由 hongjiang-agri 提交", frozenset({"hongjiang-agri"})) == []


# --- the crawl ------------------------------------------------------------------------------

PEOPLE = (
    None,  # a visitor who is not signed in
    "platform-admin",
    "hongjiang-admin",  # a county committee
    "hongjiang-agri-admin",  # a party committee with units below
    "hongjiang-seed-farm-reviewer",  # a unit's reviewer
    "hongjiang-bamianshan-admin",  # a state enterprise (三重一大)
    "kashgar-kg3-admin",  # a kindergarten (园务公开)
    "hengdong-tts-admin",  # a school (校务公开)
    "hongjiang-qiancheng-village1-admin",  # a village (村务公开)
    "hongjiang-retirees-member",  # a Party member
    "demo-applicant",  # a citizen with disclosure requests
)


@pytest.fixture(scope="module")
def demo(demo_database):
    """The demo (tests.demodb: the process's one load, copied for this module)."""
    with demodb.app_on(demo_database.url, demo_database.instance, RATELIMIT_ENABLED=False) as app:
        yield app, words.typed_codes()


# the pages' words do not depend on the database: SQLite's demo only (and SQLite's test worker)
@pytest.mark.parametrize("gongkai_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("locale", words.LOCALES)
@pytest.mark.parametrize("username", PEOPLE, ids=lambda u: u or "visitor")
def test_no_english_word_on_any_page_a_person_reaches(demo, username, locale):
    from sqlalchemy import select

    from tenants.models import User

    app, typed = demo
    client = app.test_client()
    if username is None:
        client.get(f"/?lang={locale}")
    else:
        user = db.session.scalar(select(User).where(User.username == username))
        user.locale = locale
        db.session.commit()
        signed_in = client.post(
            "/auth/login",
            data={"username": username, "password": "gongkai-demo",
                  "csrf_token": csrf_token(client, "/auth/login")},
        )  # fmt: skip
        assert signed_in.status_code in (302, 303), username
    done = words.crawl(client, words.seeds(app, username), typed=typed, limit=160, per_pattern=2)
    assert done.pages >= (10 if username else 5), done.seen
    assert done.errors == []
    assert done.found == [], words.report(done.found)
