"""The DCAT-AP catalogue of the open datasets (``/data/catalog.jsonld``) and the JSON Schemas.

One ``dcat:Catalog`` of the deployment; one ``dcat:Dataset`` per organisation and dataset (the
organisation's whole subtree, as on its ``/o/<code>/data/`` page), each with two
``dcat:Distribution`` s (CSV and JSON). Classes and properties used, from DCAT-AP 2/3: Catalog
(title, description, publisher, homepage, modified, language, dataset), Dataset (identifier,
title, description, publisher, contactPoint, keyword, landingPage, modified, language,
distribution, conformsTo), Distribution (title, accessURL, downloadURL, mediaType, format,
conformsTo), Agent (name), vcard:Organization (fn, hasURL, hasEmail). Texts carry language tags
(zh-Hans, en, ug). The context is inline, so the document parses as JSON-LD offline.

Filters: ``county=CODE`` (that hosted county only) and ``modified_since=YYYY-MM-DD`` (or an ISO
time; datasets whose data changed since then). Pages of :data:`PER_PAGE` organisations, linked
with ``hydra:PartialCollectionView`` (what harvesters such as ckanext-dcat follow).

:data:`CATALOG_SCHEMA` is the JSON Schema of that document (served at
``/data/schemas/catalog.json``); :func:`dataset_schema` makes the schema of a dataset's JSON file
from its fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import aliased

from core import db
from core.config import SUPPORTED_LOCALES
from core.i18n import _
from core.opendata import cache
from core.opendata.datasets import DATASETS, FORMATS, Dataset
from tenants.models import Organisation

PER_PAGE = 100
LANG_TAGS = {"zh_Hans_CN": "zh-Hans", "en": "en", "ug": "ug"}
MEDIA = {
    "csv": ("text/csv", "CSV"),
    "json": ("application/json", "JSON"),
}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
}
KEYWORDS = (_("Party affairs disclosure"), _("open data"))
CATALOG_TITLE = _("Open data of Party affairs disclosure")
CATALOG_DESCRIPTION = _(
    "Machine-readable data of what the hosted Party organisations disclose to the public: "
    "published items, notices, answers to feedback, request statistics, the public register "
    "and statistics per organisation."
)


class FilterError(ValueError):
    """A filter of the catalogue that cannot be used (the message names it)."""


def texts(value: Any) -> list[dict[str, str]]:
    """A (lazy) text in every language of the platform, as JSON-LD language-tagged values."""
    out = []
    for loc in SUPPORTED_LOCALES:
        with force_locale(loc):
            out.append({"@language": LANG_TAGS[loc], "@value": str(value)})
    return out


def stamp(value: datetime) -> dict[str, str]:
    return {"@value": value.astimezone(UTC).isoformat(), "@type": "xsd:dateTime"}


def parse_since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError("modified_since") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def organisations(county: Organisation | None) -> list[Organisation]:
    """Enabled organisations of enabled counties (of ``county`` only), in tree order."""
    root = aliased(Organisation)
    query = (
        select(Organisation)
        .join(root, root.id == Organisation.root_id)
        .where(Organisation.enabled.is_(True), root.enabled.is_(True))
        .order_by(Organisation.root_id, Organisation.path)
    )
    if county is not None:
        query = query.where(Organisation.root_id == county.id)
    return list(db.session.scalars(query))


def modified_by_org(orgs: list[Organisation], county: Organisation | None) -> dict[int, datetime]:
    """The last change of each organisation's subtree (grouped statements, rolled up)."""
    rows = cache.activity(county)
    own = {org_id: a.modified for org_id, a in rows.items()}
    result: dict[int, datetime] = {}
    for org in orgs:
        result[org.id] = own.get(org.id) or cache.EPOCH
    by_depth = sorted(orgs, key=lambda o: o.path.count("/"), reverse=True)
    for org in by_depth:  # children first: each adds itself to its parent
        parent = org.parent_id
        if parent in result and result[org.id] > result[parent]:
            result[parent] = result[org.id]
    return result


def distribution(org: Organisation, dataset: Dataset, fmt: str) -> dict[str, Any]:
    media, label = MEDIA[fmt]
    url = url_for(
        "opendata.download", org_code=org.code, dataset=dataset.name, fmt=fmt, _external=True
    )
    return {
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": [{**t, "@value": f"{t['@value']} ({label})"} for t in texts(dataset.title)],
        "dcat:accessURL": {"@id": url_for("opendata.index", org_code=org.code, _external=True)},
        "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {"@id": f"http://www.iana.org/assignments/media-types/{media}"},
        "dct:format": {
            "@id": f"http://publications.europa.eu/resource/authority/file-type/{label}"
        },
        "dct:conformsTo": {
            "@id": url_for("opendata_site.schema", name=dataset.name, _external=True)
        }
        if fmt == "json"
        else {"@id": url_for("opendata.fields", org_code=org.code, _external=True)},
    }


def dataset_node(org: Organisation, dataset: Dataset, modified: datetime) -> dict[str, Any]:
    portal = url_for("tenants.portal", org_code=org.code, _external=True)
    contact: dict[str, Any] = {
        "@type": "vcard:Organization",
        "vcard:fn": org.name("zh_Hans_CN"),
        "vcard:hasURL": {"@id": portal},
    }
    email = (org.contacts or {}).get("email") if isinstance(org.contacts, dict) else None
    if email:
        contact["vcard:hasEmail"] = {"@id": f"mailto:{email}"}
    return {
        "@id": url_for("opendata.index", org_code=org.code, _external=True) + f"#{dataset.name}",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{org.code}/{dataset.name}",
        "dct:title": [
            {**t, "@value": f"{org.name(loc)}: {t['@value']}"}
            for loc, t in zip(SUPPORTED_LOCALES, texts(dataset.title), strict=True)
        ],
        "dct:description": texts(dataset.description),
        "dct:publisher": {
            "@id": portal,
            "@type": "foaf:Agent",
            "foaf:name": org.name("zh_Hans_CN"),
        },
        "dcat:contactPoint": contact,
        "dcat:keyword": [t for k in KEYWORDS for t in texts(k)],
        "dcat:landingPage": {"@id": url_for("opendata.index", org_code=org.code, _external=True)},
        "dct:modified": stamp(modified),
        "dct:language": [{"@id": "http://publications.europa.eu/resource/authority/language/ZHO"}],
        "dct:conformsTo": {"@id": url_for("opendata.fields", org_code=org.code, _external=True)},
        "dcat:distribution": [distribution(org, dataset, fmt) for fmt in FORMATS],
    }


def catalog(
    *, county: Organisation | None, since: datetime | None, page: int = 1
) -> dict[str, Any]:
    """The catalogue document (one page of organisations)."""
    orgs = organisations(county)
    modified = modified_by_org(orgs, county)
    if since is not None:
        orgs = [o for o in orgs if modified[o.id] >= since]
    start = (page - 1) * PER_PAGE
    shown = orgs[start : start + PER_PAGE]
    args = {"county": county.code if county else None}
    if since is not None:
        args["modified_since"] = since.isoformat()
    here = url_for("opendata_site.catalog", _external=True, **args)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": here,
        "@type": "dcat:Catalog",
        "dct:title": texts(CATALOG_TITLE),
        "dct:description": texts(CATALOG_DESCRIPTION),
        "dct:publisher": {
            "@id": url_for("core.home", _external=True),
            "@type": "foaf:Agent",
            "foaf:name": "Gongkai",
        },
        "foaf:homepage": {"@id": url_for("core.home", _external=True)},
        "dct:language": [{"@id": "http://publications.europa.eu/resource/authority/language/ZHO"}],
        "dct:modified": stamp(max(modified.values(), default=cache.EPOCH)),
        "dcat:dataset": [
            dataset_node(org, dataset, modified[org.id])
            for org in shown
            for dataset in DATASETS.values()
        ],
    }
    pages = max(1, -(-len(orgs) // PER_PAGE))
    view: dict[str, Any] = {
        "@id": url_for("opendata_site.catalog", _external=True, page=page, **args),
        "@type": "hydra:PartialCollectionView",
        "hydra:first": {"@id": url_for("opendata_site.catalog", _external=True, page=1, **args)},
        "hydra:last": {"@id": url_for("opendata_site.catalog", _external=True, page=pages, **args)},
    }
    if page < pages:
        view["hydra:next"] = {
            "@id": url_for("opendata_site.catalog", _external=True, page=page + 1, **args)
        }
    if page > 1:
        view["hydra:previous"] = {
            "@id": url_for("opendata_site.catalog", _external=True, page=page - 1, **args)
        }
    doc["hydra:view"] = view
    return doc


# --- JSON Schemas ----------------------------------------------------------------------------

TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    "datetime": {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d{2}-\d{2}T"},
    "array": {"type": "array", "items": {"type": "string"}},
}


def dataset_schema(dataset: Dataset) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a dataset's JSON file, from its fields."""
    props = {}
    for f in dataset.fields:
        schema = dict(TYPES[f.type])
        if f.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        props[f.name] = {**schema, "description": str(f.description)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": str(dataset.title),
        "type": "object",
        "required": ["dataset", "organisation", "version", "modified", "fields", "records"],
        "properties": {
            "dataset": {"const": dataset.name},
            "organisation": {
                "type": "object",
                "required": ["code", "name", "url"],
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "url": {"type": "string"},
                },
            },
            "version": {"type": "string"},
            "modified": TYPES["datetime"],
            "generated_at": TYPES["datetime"],
            "fields": {"const": dataset.field_names},
            "records": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": dataset.field_names,
                    "additionalProperties": False,
                    "properties": props,
                },
            },
        },
    }


_TEXTS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["@language", "@value"],
        "properties": {"@language": {"type": "string"}, "@value": {"type": "string"}},
        "additionalProperties": False,
    },
}
_REF = {"type": "object", "required": ["@id"], "properties": {"@id": {"type": "string"}}}
_AGENT = {
    "type": "object",
    "required": ["@id", "@type", "foaf:name"],
    "properties": {"@type": {"const": "foaf:Agent"}, "foaf:name": {"type": "string"}},
}
_STAMP = {
    "type": "object",
    "required": ["@value", "@type"],
    "properties": {"@value": TYPES["datetime"], "@type": {"const": "xsd:dateTime"}},
}
CATALOG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "DCAT-AP catalogue of Gongkai's open data (JSON-LD, inline context)",
    "type": "object",
    "required": ["@context", "@id", "@type", "dct:title", "dct:description", "dct:publisher",
                 "dcat:dataset"],
    "properties": {
        "@context": {
            "type": "object",
            "required": ["dcat", "dct", "foaf", "vcard", "xsd"],
            "properties": {k: {"const": v} for k, v in CONTEXT.items()},
        },
        "@type": {"const": "dcat:Catalog"},
        "dct:title": _TEXTS,
        "dct:description": _TEXTS,
        "dct:publisher": _AGENT,
        "foaf:homepage": _REF,
        "dct:modified": _STAMP,
        "dct:language": {"type": "array", "items": _REF},
        "dcat:dataset": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["@id", "@type", "dct:identifier", "dct:title", "dct:description",
                             "dct:publisher", "dcat:contactPoint", "dct:modified",
                             "dcat:distribution"],
                "properties": {
                    "@type": {"const": "dcat:Dataset"},
                    "dct:identifier": {"type": "string"},
                    "dct:title": _TEXTS,
                    "dct:description": _TEXTS,
                    "dct:publisher": _AGENT,
                    "dcat:contactPoint": {
                        "type": "object",
                        "required": ["@type", "vcard:fn"],
                        "properties": {"@type": {"const": "vcard:Organization"},
                                       "vcard:fn": {"type": "string"}},
                    },
                    "dcat:keyword": _TEXTS,
                    "dcat:landingPage": _REF,
                    "dct:modified": _STAMP,
                    "dct:conformsTo": _REF,
                    "dcat:distribution": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["@id", "@type", "dcat:accessURL", "dcat:downloadURL",
                                         "dcat:mediaType", "dct:format"],
                            "properties": {
                                "@type": {"const": "dcat:Distribution"},
                                "dct:title": _TEXTS,
                                "dcat:accessURL": _REF,
                                "dcat:downloadURL": _REF,
                                "dcat:mediaType": _REF,
                                "dct:format": _REF,
                                "dct:conformsTo": _REF,
                            },
                        },
                    },
                },
            },
        },
        "hydra:view": {"type": "object", "required": ["@id", "@type"]},
    },
}  # fmt: skip
