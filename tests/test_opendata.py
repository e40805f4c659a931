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
from core.opendata import dcat
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
