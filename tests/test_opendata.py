"""Open data (issue 13): downloads per organisation's subtree (CSV with a byte order mark, JSON
against its schema), the fields page, public statistics, the DCAT-AP catalogue — all of them the
anonymous view, made once per data version, in agreement with the API's public counts.

The world is the isolation suite's (:mod:`tests.isolation_world`): iso-b holds items of every
scope and state, feedback, a request and evaluation rounds; iso-c in county 2 the same in small.
"""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from core import db
from core.opendata import cache
from core.opendata.datasets import DATASETS
from tests import isolation_world as iw

ANON = iw.visible_to(iw.ANONYMOUS)
PAGES = ("/data/", "/data/fields", "/statistics")


@pytest.fixture
def world(app):
    return iw.build()


def get_json(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.data[:300])
    return json.loads(response.data)


def download(client, code: str, name: str, fmt: str):
    response = client.get(f"/o/{code}/data/{name}.{fmt}")
    assert response.status_code == 200, (code, name, fmt, response.data[:300])
    return response


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en", "ug"])
def test_the_open_data_pages_render_in_every_language(app, client, world, lang):
    for code in (iw.COUNTY, iw.B):
        for page in PAGES:
            response = client.get(f"/o/{code}{page}?lang={lang}")
            assert response.status_code == 200, (code, page, response.status_code)
            text = response.get_data(as_text=True)
            assert f'lang="{"zh-Hans-CN" if lang == "zh_Hans_CN" else lang}"' in text
    fields = client.get(f"/o/{iw.B}/data/fields?lang=en").get_data(as_text=True)
    for dataset in DATASETS.values():
        for field in dataset.fields:
            assert f">{field.name}</code>" in fields, field.name
    portal = client.get(f"/o/{iw.B}/?lang=en").get_data(as_text=True)
    for link in (f"/o/{iw.B}/data/", f"/o/{iw.B}/statistics", f"/o/{iw.B}/register"):
        assert f'href="{link}"' in portal, link


@pytest.mark.rule("SCOPE-1")
def test_every_download_is_valid_and_holds_only_what_the_public_may_see(app, client, world):
    for code in (iw.COUNTY, iw.SUPERIOR, iw.B, iw.COUNTY2, iw.C):
        for name, dataset in DATASETS.items():
            body = download(client, code, name, "csv").data
            assert body.startswith("\ufeff".encode()), (code, name)
            text = body.decode("utf-8")
            rows = list(csv.reader(io.StringIO(text[1:])))
            assert rows[0] == dataset.field_names
            doc = json.loads(download(client, code, name, "json").data)
            schema = get_json(client, f"/data/schemas/{name}.json")
            jsonschema.validate(doc, schema)
            assert len(doc["records"]) == len(rows) - 1, (code, name)
            leaked = (iw.markers(text) | iw.markers(json.dumps(doc, ensure_ascii=False))) - ANON
            assert not leaked, (code, name, leaked)
    # the positive control: the public items and answers are there
    items = download(client, iw.COUNTY, "items", "json").get_data(as_text=True)
    assert {"zxbpubli", "zxbnotic", "zxbamdor"} <= iw.markers(items)
    answers = download(client, iw.B, "feedback-answers", "csv").get_data(as_text=True)
    assert {"zxbfbpbq", "zxbfbans", "zxbfbrec"} <= iw.markers(answers)


def test_the_files_agree_with_the_apis_public_counts(app, client, world):
    """The items of a subtree are the API's public list of it; the published answers are the
    API's; the statistics count the same items and answers."""
    for code in (iw.COUNTY, iw.B, iw.C):
        api = get_json(client, f"/api/v1/orgs/{code}/items?per_page=100")
        doc = json.loads(download(client, code, "items", "json").data)
        assert [r["id"] for r in doc["records"]] == [i["id"] for i in api["items"]]
        assert len(doc["records"]) == api["total"] > 0
    for code in (iw.B, iw.C):
        answers = get_json(client, f"/api/v1/orgs/{code}/feedback/answers")
        doc = json.loads(download(client, code, "feedback-answers", "json").data)
        assert [r["receipt"] for r in doc["records"]] == [a["receipt"] for a in answers["answers"]]
        assert len(doc["records"]) == answers["total"] == 1
    year = json.loads(download(client, iw.B, "statistics", "json").data)["records"]
    this_year = max(r["year"] for r in year)
    row = next(r for r in year if r["organisation_code"] == iw.B and r["year"] == this_year)
    api = get_json(client, f"/api/v1/orgs/{iw.B}/items?per_page=100")
    assert row["items_published"] == api["total"]
    assert row["feedback_published"] == 1 and row["notices"] == 1 and row["objections"] == 1


def test_request_statistics_count_outcomes_and_working_days(app, client, world):
    """iso-b's requests were decided (its member's granted), iso-c's declined, each on the day it
    was accepted: counts per month and outcome, decided on time, response time 0 working days."""
    months = json.loads(download(client, iw.COUNTY2, "requests", "json").data)["records"]
    assert len(months) == 1
    (row,) = months
    assert row["organisation_code"] == iw.C
    assert (row["received"], row["decided"], row["decided_on_time"]) == (1, 1, 1)
    assert row["outcome_declined"] == 1 and row["outcome_granted"] == 0
    assert row["days_0_5"] == 1 and row["days_31_plus"] == 0
    stats = json.loads(download(client, iw.B, "statistics", "json").data)["records"]
    row = max((r for r in stats if r["organisation_code"] == iw.B), key=lambda r: r["year"])
    # iso-b decided three on time: its member's (granted) and an outsider's two (already public,
    # granted and published)
    assert row["outcome_granted"] == 1 and row["requests_decided_on_time"] == 3
    assert row["response_median_working_days"] == 0
    page = client.get(f"/o/{iw.C}/statistics?lang=en").get_data(as_text=True)
    assert "Declined" in page and "Decisions by response time" in page
    # nothing of a request's content or applicant
    for name in ("requests", "statistics"):
        text = download(client, iw.COUNTY, name, "csv").get_data(as_text=True)
        assert not iw.markers(text), name


def test_files_are_made_once_per_data_version(app, client, world, monkeypatch):
    first = download(client, iw.B, "items", "csv")
    etag = first.headers["ETag"]
    cached = client.get(f"/o/{iw.B}/data/items.csv", headers={"If-None-Match": etag})
    assert cached.status_code == 304

    def refuse(*_args, **_kw):
        raise AssertionError("made again although the data did not change")

    monkeypatch.setattr(cache, "render_csv", refuse)
    monkeypatch.setattr(cache, "render_json", refuse)
    again = download(client, iw.B, "items", "csv")
    assert again.headers["ETag"] == etag and again.data == first.data
    download(client, iw.B, "items", "json")  # made with the CSV
    monkeypatch.undo()

    # an objection lodged changes the data version: the next download counts it
    from core.items import operations as items
    from core.items.models import Item

    notices = json.loads(download(client, iw.B, "notices", "json").data)["records"]
    assert [r["objections_lodged"] for r in notices] == [1]
    items.lodge_objection(db.session.get(Item, world.items["zxbnotic"][1]), text="再一条异议")
    db.session.commit()
    fresh = download(client, iw.B, "items", "csv")
    assert fresh.headers["ETag"] != etag
    notices = json.loads(download(client, iw.B, "notices", "json").data)["records"]
    assert [r["objections_lodged"] for r in notices] == [2]
    unit_id = world.orgs[iw.B]
    versions = list((cache.root() / str(unit_id)).iterdir())
    assert len(versions) == 1  # the older version's files are gone


@pytest.mark.rule("SCOPE-1")
def test_the_dcat_catalogue_validates_parses_and_filters(app, client, world):
    import rdflib

    response = client.get("/data/catalog.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    doc = json.loads(response.data)
    jsonschema.validate(doc, get_json(client, "/data/schemas/catalog.json"))
    assert doc == {**doc, "@type": "dcat:Catalog"}
    graph = rdflib.Graph().parse(data=response.data, format="json-ld")
    dcat_ns = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    datasets = set(graph.subjects(rdflib.RDF.type, dcat_ns.Dataset))
    distributions = set(graph.subjects(rdflib.RDF.type, dcat_ns.Distribution))
    orgs = {iw.COUNTY, iw.SUPERIOR, iw.A, iw.B, iw.COUNTY2, iw.C}
    assert len(datasets) == len(orgs) * len(DATASETS)
    assert len(distributions) == 2 * len(datasets)
    assert not iw.markers(response.get_data(as_text=True)) - ANON
    downloads = {str(o) for o in graph.objects(None, dcat_ns.downloadURL)}
    assert f"http://localhost/o/{iw.C}/data/items.csv" in downloads
    # filters: a county, modified since
    county2 = json.loads(client.get(f"/data/catalog.jsonld?county={iw.COUNTY2}").data)
    ids = {d["dct:identifier"].split("/")[0] for d in county2["dcat:dataset"]}
    assert ids == {iw.COUNTY2, iw.C}
    later = json.loads(client.get("/data/catalog.jsonld?modified_since=2999-01-01").data)
    assert later["dcat:dataset"] == []
    earlier = json.loads(client.get("/data/catalog.jsonld?modified_since=2000-01-01").data)
    assert len(earlier["dcat:dataset"]) == len(datasets)
    for bad in ("county=nope", f"county={iw.B}", "modified_since=yesterday", "page=0",
                "page=99999999999999999999"):  # fmt: skip
        refused = client.get(f"/data/catalog.jsonld?{bad}")
        assert refused.status_code == 400, bad
        assert json.loads(refused.data)["error"]["status"] == 400


def test_bad_addresses_are_refused_without_a_server_error(app, client, world):
    for path, status in (
        (f"/o/{iw.B}/statistics?year=abc", 404),
        (f"/o/{iw.B}/statistics?year=1999", 404),
        (f"/o/{iw.B}/statistics?year=२०२६", 404),
        (f"/o/{iw.B}/data/nothing.csv", 404),
        (f"/o/{iw.B}/data/items.xlsx", 404),
        ("/o/no-such-unit/data/", 404),
        ("/data/schemas/nothing.json", 404),
    ):
        assert client.get(path).status_code == status, path


class TestDownloadLimit:
    @pytest.fixture
    def app_settings(self, app_settings):
        return {**app_settings, "config": {"RATELIMIT_ENABLED": True}}

    def test_downloads_are_limited_per_address(self, app, client, world):
        statuses = [client.get(f"/o/{iw.B}/data/items.csv").status_code for _ in range(31)]
        assert statuses == [200] * 30 + [429]
        other = app.test_client()
        refused = other.get(f"/o/{iw.B}/data/items.json", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert refused.status_code == 429
        elsewhere = other.get(
            f"/o/{iw.B}/data/items.json", environ_base={"REMOTE_ADDR": "127.0.0.9"}
        )
        assert elsewhere.status_code == 200
