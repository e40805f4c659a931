"""JSON Schemas of the API's bodies: the ``components.schemas`` of the OpenAPI document.

One place for every shape an endpoint answers or accepts; endpoints name them in their
:func:`core.api.spec.operation` declaration (``"Item"``, ``"ItemPage"`` ...). Written for
OpenAPI 3.1 (JSON Schema 2020-12): a value that may be missing is ``"type": [..., "null"]``.
The schemathesis test checks every answer against them.
"""

from __future__ import annotations

from typing import Any

SCOPES = ["public", "party_wide", "unit", "specific"]
TOKEN_SCOPES = ["read", "register:read", "items:write"]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": [*types, "null"]}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object whose ``required`` properties are always present."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


STRING = {"type": "string"}
TEXT_OR_NULL = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
URL = {"type": "string", "format": "uri"}
TEXTS = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "A text per language (zh_Hans_CN, en, ug).",
}
STRINGS = {"type": "array", "items": STRING}
ORG_REF = obj({"code": STRING, "name": STRING})

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "code": STRING,
                    "message": STRING,
                    "problems": STRINGS,
                }
            )
        }
    ),
    # --- organisations ---
    "OrganisationSummary": obj(
        {
            "code": STRING,
            "name": STRING,
            "short_name": STRING,
            "type": STRING,
            "type_label": STRING,
            "sector": STRING,
            "url": URL,
            "api_url": URL,
        }
    ),
    "Organisation": obj(
        {
            "code": STRING,
            "name": STRING,
            "short_name": STRING,
            "names": {"type": "object", "additionalProperties": {"type": "object"}},
            "type": STRING,
            "type_label": STRING,
            "sector": STRING,
            "parent": nullable(ORG_REF),
            "county": ORG_REF,
            "children": {"type": "array", "items": ref("OrganisationSummary")},
            "contacts": obj(
                {},
                {
                    k: STRING
                    for k in ("hotline", "email", "suggestion_box", "reception_day", "address")
                },
            ),
            "leading_group": {"type": "object"},
            "default_locale": STRING,
            "timezone": STRING,
            "url": URL,
            "api_url": URL,
            "language": STRING,
        }
    ),
    "OrganisationNode": obj(
        {
            "code": STRING,
            "name": STRING,
            "short_name": STRING,
            "type": STRING,
            "type_label": STRING,
            "sector": STRING,
            "api_url": URL,
            "children": {"type": "array", "items": ref("OrganisationNode")},
        }
    ),
    "OrganisationList": obj(
        {
            "language": STRING,
            "organisations": {"type": "array", "items": ref("OrganisationSummary")},
        }
    ),
    "OrganisationTree": obj({"language": STRING, "size": INTEGER, "tree": ref("OrganisationNode")}),
    # --- catalogue ---
    "CatalogueEntry": obj(
        {
            "key": STRING,
            "title": STRING,
            "titles": TEXTS,
            "content": STRING,
            "scope": {"type": "string", "enum": SCOPES},
            "scope_label": STRING,
            "channels": STRINGS,
            "channel_labels": STRINGS,
            "cadence": STRING,
            "cadence_label": STRING,
            "due_rule": {"type": "object"},
        },
        {
            "responsible": STRING,
            "mandatory": BOOLEAN,
            "item_type": TEXT_OR_NULL,
            "notice_days": {"type": ["integer", "null"]},
            "template_key": TEXT_OR_NULL,
        },
    ),
    "CatalogueCategory": obj(
        {
            "key": STRING,
            "title": STRING,
            "titles": TEXTS,
            "code_2010": TEXT_OR_NULL,
            "code_2017": TEXT_OR_NULL,
            "entries": {"type": "array", "items": ref("CatalogueEntry")},
            "categories": {"type": "array", "items": ref("CatalogueCategory")},
        }
    ),
    "Catalogue": obj(
        {
            "organisation": ORG_REF,
            "version": INTEGER,
            "effective_from": DATE_OR_NULL,
            "approved_at": DATETIME_OR_NULL,
            "approved_by": TEXT_OR_NULL,
            "language": STRING,
            "categories": {"type": "array", "items": ref("CatalogueCategory")},
        }
    ),
    # --- items ---
    "Attachment": obj(
        {
            "id": INTEGER,
            "filename": STRING,
            "content_type": STRING,
            "size": INTEGER,
            "sha256": STRING,
            "url": URL,
        }
    ),
    "Version": obj(
        {
            "number": INTEGER,
            "title": STRING,
            "titles": TEXTS,
            "explanation": TEXT_OR_NULL,
            "published_at": DATETIME_OR_NULL,
            "current": BOOLEAN,
            "attachments": {"type": "array", "items": ref("Attachment")},
        }
    ),
    "Item": obj(
        {
            "id": INTEGER,
            "url": URL,
            "api_url": URL,
            "organisation": ORG_REF,
            "title": STRING,
            "titles": TEXTS,
            "state": {"type": "string", "enum": ["published", "closed", "revoked"]},
            "scope": {"type": "string", "enum": SCOPES},
            "scope_label": STRING,
            "channels": STRINGS,
            "channel_labels": STRINGS,
            "entry": nullable(
                obj(
                    {
                        "key": STRING,
                        "title": TEXT_OR_NULL,
                        "category": nullable(obj({"key": STRING, "title": TEXT_OR_NULL})),
                    }
                )
            ),
            "off_catalogue": BOOLEAN,
            "cadence": TEXT_OR_NULL,
            "period": TEXT_OR_NULL,
            "period_label": TEXT_OR_NULL,
            "decision_date": DATE_OR_NULL,
            "published_at": DATETIME_OR_NULL,
            "version": {"type": ["integer", "null"]},
            "notice": BOOLEAN,
            "notice_ends_at": DATETIME_OR_NULL,
            "notice_open": BOOLEAN,
        },
        {"snippet": {"type": "string", "description": "With q: the matching text."}},
    ),
    "ItemDetail": {
        "allOf": [
            ref("Item"),
            obj(
                {
                    "body_html": STRING,
                    "bodies": TEXTS,
                    "attachments": {"type": "array", "items": ref("Attachment")},
                    "versions": {"type": "array", "items": ref("Version")},
                    "revocation": nullable(
                        obj({"explanation": TEXT_OR_NULL, "revoked_at": DATETIME_OR_NULL})
                    ),
                    "language": STRING,
                }
            ),
        ]
    },
    "ItemPage": obj(
        {
            "organisation": ORG_REF,
            "language": STRING,
            "query": obj(
                {
                    "q": TEXT_OR_NULL,
                    "category": TEXT_OR_NULL,
                    "cadence": TEXT_OR_NULL,
                    "scope": TEXT_OR_NULL,
                    "state": TEXT_OR_NULL,
                    "from": DATE_OR_NULL,
                    "to": DATE_OR_NULL,
                }
            ),
            "total": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "next_cursor": TEXT_OR_NULL,
            "page": {"type": ["integer", "null"], "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "items": {"type": "array", "items": ref("Item")},
        }
    ),
    "VersionList": obj(
        {
            "item": obj({"id": INTEGER, "api_url": URL}),
            "language": STRING,
            "versions": {"type": "array", "items": ref("Version")},
        }
    ),
    # --- register ---
    "RegisterEntry": obj(
        {
            "seq": INTEGER,
            "recorded_at": DATETIME,
            "year": INTEGER,
            "action": STRING,
            "object_type": STRING,
            "object_id": STRING,
            "object_version": {"type": ["integer", "null"]},
            "title": STRING,
            "scope": TEXT_OR_NULL,
            "channels": STRINGS,
            "approvals": {"type": "array", "items": {"type": "object"}},
            "attachments": {"type": "array", "items": {"type": "object"}},
            "actor": STRING,
            "data": {"type": "object"},
            "prev_hash": STRING,
            "hash": STRING,
        }
    ),
    "RegisterPage": obj(
        {
            "organisation": ORG_REF,
            "year": {"type": ["integer", "null"]},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "next_cursor": TEXT_OR_NULL,
            "entries": {"type": "array", "items": ref("RegisterEntry")},
        }
    ),
    # --- writes ---
    "ObjectionInput": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 5000},
            "name": {"type": ["string", "null"], "maxLength": 100},
            "contact": {"type": ["string", "null"], "maxLength": 200},
        },
    },
    "Objection": obj(
        {
            "id": INTEGER,
            "receipt": {"type": "string"},
            "lookup_code": {"type": "string"},
            "lookup_url": URL,
            "item": obj({"id": INTEGER, "api_url": URL}),
            "received_at": DATETIME,
        }
    ),
    "TransitionInput": {
        "type": "object",
        "description": "What the step needs: comment, reason or explanation; the review's "
        "findings; an amendment's new titles and bodies.",
        "properties": {
            "comment": {"type": "string", "maxLength": 5000},
            "reason": {"type": "string", "maxLength": 5000},
            "explanation": {"type": "string", "maxLength": 5000},
            "secrecy_passed": BOOLEAN,
            "secrecy_basis": {"type": "string", "maxLength": 500},
            "necessity_ok": BOOLEAN,
            "accuracy_ok": BOOLEAN,
            "refuse_reason": {
                "type": "string",
                "enum": ["state_secret", "party_secret", "personal_privacy", "unverified", "other"],
            },
            "titles": TEXTS,
            "bodies": TEXTS,
        },
    },
    "WorkflowItem": obj(
        {
            "id": INTEGER,
            "organisation": ORG_REF,
            "state": STRING,
            "title": STRING,
            "titles": TEXTS,
            "scope": {"type": "string", "enum": SCOPES},
            "visible_scope": {"type": "string", "enum": SCOPES},
            "version": {"type": ["integer", "null"]},
            "planned_at": DATETIME_OR_NULL,
            "published_at": DATETIME_OR_NULL,
            "notice_ends_at": DATETIME_OR_NULL,
            "transitions": STRINGS,
            "api_url": URL,
        }
    ),
}
