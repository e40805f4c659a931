"""The OpenAPI document describes every API route, its reference page renders, and schemathesis
finds no server error and no answer that breaks the schema (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core import db
from core.api import operations as tokens
from core.api import spec
from core.items import operations as items
from tests.items_helpers import build_world, plan, published

PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def texts(marker: str) -> dict:
    return {"titles": {"zh_Hans_CN": f"事项 {marker}"}, "bodies": {"zh_Hans_CN": f"{marker} 正文"}}


# --- the document ----------------------------------------------------------------------------


def test_every_api_route_is_in_the_document(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert spec.undocumented(app) == []
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(p, m) for p, ops in document["paths"].items() for m in ops}
    assert routes == documented
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, ops in document["paths"].items():
        for op in ops.values():
            assert op["summary"] and op["responses"], path
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }


def test_the_document_is_a_valid_openapi_schema(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    labels = {op.ok().label for op in schema.get_all_operations()}  # .ok(): no invalid one
    documented = {f"{m.upper()} {p}" for p, ops in schema.raw_schema["paths"].items() for m in ops}
    # schemathesis leaves out the document's own address
    assert labels == documented - {"GET /api/v1/openapi.json"}


def test_the_reference_page_renders_without_scripts_or_inline_styles(app, client):
    page = client.get("/api/v1/docs?lang=en")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<h1>API reference" in html and "Token scopes" in html
    assert "GET /api/v1/orgs/{org_code}/items" in html
    assert 'id="schema-ItemPage"' in html and "register:read" in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    chinese = client.get("/api/v1/docs?lang=zh_Hans_CN").get_data(as_text=True)
    assert '<html lang="zh-Hans-CN"' in chinese


# --- schemathesis ----------------------------------------------------------------------------


class Isolated:
    """The application as a WSGI callable whose requests each get their own app context (as in
    production), whatever context the test holds (see ``core.plugins.testing.IsolatedClient``)."""

    def __init__(self, app):
        self.app = app
        self.outer = app.test_client_class.outer_context

    def __call__(self, environ, start_response):
        self.outer.pop()
        try:
            return list(self.app(environ, start_response))
        finally:
            self.outer.push()


def seed_feedback(w) -> None:
    """Published answers to feedback (one about an item), and an entry not answered yet."""
    from core.feedback import operations as feedback

    for n, item_id in enumerate((None, w["public_id"])):
        entry = feedback.submit_online(w["unit"], content=f"意见{n}", item_id=item_id).entry
        feedback.assign(entry, actor=w["admin"], handler=w["member"])
        feedback.answer(entry, actor=w["member"], text=f"答复{n}")
        feedback.publish(entry, actor=w["admin"], public_question=f"问题{n}")
    feedback.submit_online(w["unit"], content="未答复", contact="13800000000")


def seed_requests(w) -> list[int]:
    """Disclosure requests of the token's user: one decided with a document, one just filed."""
    from core.disclosure_requests import operations as requests

    filing = {"content": "党费明细", "purpose": "了解情况", "contact_email": "a@example.org"}
    decided = requests.file(w["unit"], filing, applicant=w["admin"])
    requests.accept(decided, actor=w["editor"])
    requests.decide(decided, "granted", {"answer": "见附件"}, actor=w["editor"],
                    files=[("明细.pdf", b"%PDF-1.4\n%%EOF\n")])  # fmt: skip
    waiting = requests.file(w["unit"], filing, applicant=w["member"])
    return [decided.id, waiting.id]


@pytest.fixture
def seeded(make_org) -> dict:
    """A county with units, public and non-public items, a notice, a draft and a token."""
    w = build_world(make_org)
    public = published(w, **PUBLIC, **texts("公开"))
    w["public_id"] = public.id
    notice = published(w, **PUBLIC, **texts("公示"), is_notice=True)
    internal = published(w, **texts("党内"))
    items.request_amendment(
        public, actor=w["editor"], bodies={"zh_Hans_CN": "更正"}, explanation="更正错字"
    )
    items.decide_amendment(public, actor=w["bureau_reviewer"], approve=True)
    draft = items.create(w["unit"], plan(**texts("草稿")), actor=w["editor"])
    seed_feedback(w)
    request_ids = seed_requests(w)
    _row, secret = tokens.create(w["admin"], scopes=list(tokens.SCOPES))
    db.session.commit()
    return {
        "headers": {"Authorization": f"Bearer {secret}"},
        "org_codes": ["it-unit", "it-county"],
        "item_ids": [public.id, notice.id, internal.id, draft.id],
        "request_ids": request_ids,
    }


def test_the_api_answers_as_its_schema_says(app, seeded, subtests):
    """For every operation, requests generated from the document (as an anonymous caller and
    with a token; then again with the path parameters of seeded objects, so that the answers
    are not all 404): no server error, and every answer matches its status, media type and
    schema. (Hypothesis drives each operation directly: schemathesis's pytest loader does not
    run under pytest 9.)"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", Isolated(app))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    def exercise(case) -> None:
        for headers in ({}, seeded["headers"]):
            case.call_and_validate(headers=headers, checks=CHECKS)
        params = dict(case.path_parameters or {})
        if not params:
            return
        if "org_code" in params:
            params["org_code"] = seeded["org_codes"][len(str(case.query or "")) % 2]
        if "item_id" in params:
            params["item_id"] = seeded["item_ids"][len(str(case.body or "")) % 4]
        if "request_id" in params:
            params["request_id"] = seeded["request_ids"][len(str(case.body or "")) % 2]
        case.path_parameters = params
        for headers in ({}, seeded["headers"]):
            case.call_and_validate(headers=headers, checks=CHECKS)

    for operation in operations:
        with subtests.test(operation.label):

            @given(case=operation.as_strategy())
            @settings(
                max_examples=25,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                exercise(case)

            run()
