"""Building blocks for the feedback tests: the items tests' world and feedback in every state."""

from __future__ import annotations

import re
from datetime import timedelta

from core import db
from core.feedback import operations as feedback
from core.feedback.models import FeedbackEntry
from core.plugins.testing import csrf_token
from tests.items_helpers import build_world, published

PASSWORD = "long-enough-pw"
UNIT = "it-unit"
PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}


def world(make_org) -> dict:
    """:func:`tests.items_helpers.build_world` with a public item of the unit."""
    w = build_world(make_org)
    w["item"] = published(
        w,
        **PUBLIC,
        titles={"zh_Hans_CN": "支部委员会换届选举结果"},
        bodies={"zh_Hans_CN": "选举结果如下。"},
    )
    return w


def online(w, content="希望公开栏的内容及时更新。", **kwargs) -> FeedbackEntry:
    entry = feedback.submit_online(w["unit"], content=content, **kwargs).entry
    db.session.commit()
    return entry


def recorded(w, channel="hotline", content="反映党费公示不够清楚。", **kwargs) -> FeedbackEntry:
    kwargs.setdefault("name", "王先生")
    kwargs.setdefault("contact", "13800000000")
    entry = feedback.record(
        w["unit"], actor=w["editor"], channel=channel, content=content, **kwargs
    )
    db.session.commit()
    return entry


def answered(w, entry: FeedbackEntry, *, channel: str | None = "phone") -> FeedbackEntry:
    if entry.state == "received":
        feedback.assign(entry, actor=w["admin"], handler=w["member"])
    feedback.answer(
        entry,
        actor=w["member"],
        text="已在公开栏补充说明，感谢您的意见。",
        channel=None if entry.anonymous else channel,
    )
    db.session.commit()
    return entry


def closed(w, entry: FeedbackEntry, *, publish: bool = True) -> FeedbackEntry:
    answered(w, entry)
    if publish or entry.anonymous:
        feedback.publish(entry, actor=w["admin"], public_question="关于公开栏更新的建议")
    feedback.close(entry, actor=w["admin"])
    db.session.commit()
    return entry


def sign_in(app, username: str, *, lang: str = "en"):
    """A fresh client signed in as ``username``, reading the pages in ``lang``."""
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, username
    client.get(f"/?lang={lang}")
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def form_token(client, path: str) -> str:
    return csrf_token(client, path)


def receipt_and_code(page: str) -> tuple[str, str]:
    receipt = re.search(r'class="receipt-number">([^<]+)<', page).group(1)
    code = re.search(r'class="lookup-code">([^<]+)<', page).group(1)
    return receipt, code


def days(n: int) -> timedelta:
    return timedelta(days=n)
