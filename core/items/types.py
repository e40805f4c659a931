"""Item types that plugins contribute: extra fields and validation (tenant hooks).

An organisation's item types are the answers of the hook ``item_types(org)`` of the plugins it
enables. An item's type is the ``item_type`` of its catalogue entry or, for an off-catalogue item,
the type chosen for it. The type's extra fields are shown in the item form (and the item's
page) and stored, cleaned, in ``Item.extra`` (``{field name: value}``, plain JSON values). The
hook ``validate_item(org, item, data)`` then refuses saving or proposing an item with problems
(``"extra.amount: ..."``, ``"scope: ..."``), shown under the form's fields.

A field is ``{"name", "labels", "type", "required", "choices", "hints"}``; ``type`` is one of
:data:`FIELD_TYPES` and decides the stored value: ``text``/``textarea`` a string, ``integer`` an
int, ``decimal`` a string of the exact number (``"12.50"``: compare with ``Decimal(value)``),
``date`` an ISO date string, ``boolean`` true or false, ``choice`` one of the choices' codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app

from core.errors import Problem
from core.i18n import _, localised

FIELD_TYPES = ("text", "textarea", "integer", "decimal", "date", "boolean", "choice")
MAX_LENGTH = {"text": 500, "textarea": 20000}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TRUE = {"1", "y", "yes", "true", "on"}


@dataclass(frozen=True)
class Field:
    name: str
    labels: dict[str, str]
    type: str = "text"
    required: bool = False
    choices: tuple[tuple[str, dict[str, str]], ...] = ()
    hints: dict[str, str] | None = None

    def label(self, locale: str) -> str:
        return localised(self.labels, locale) or self.name

    def hint(self, locale: str) -> str:
        return localised(self.hints or {}, locale)

    def choice_label(self, code: str, locale: str) -> str:
        labels = dict(self.choices).get(code)
        return localised(labels, locale) if labels else code


@dataclass(frozen=True)
class ItemType:
    code: str
    labels: dict[str, str]
    fields: tuple[Field, ...]

    def label(self, locale: str) -> str:
        return localised(self.labels, locale) or self.code

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _field(raw: dict[str, Any], where: str) -> Field:
    name = raw.get("name", "")
    kind = raw.get("type", "text")
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"{where}: a field name is lower-case letters, digits and _ ({name!r})")
    if kind not in FIELD_TYPES:
        raise ValueError(f"{where}.{name}: type {kind!r} is not one of {', '.join(FIELD_TYPES)}")
    choices = tuple(
        (str(c["code"]), dict(c.get("labels") or {"zh_Hans_CN": str(c["code"])}))
        for c in raw.get("choices") or ()
    )
    if kind == "choice" and not choices:
        raise ValueError(f"{where}.{name}: a choice field needs choices")
    return Field(
        name=name,
        labels=dict(raw.get("labels") or {"zh_Hans_CN": name}),
        type=kind,
        required=bool(raw.get("required", False)),
        choices=choices,
        hints=dict(raw["hints"]) if raw.get("hints") else None,
    )


def types_for(org) -> dict[str, ItemType]:
    """``{code: ItemType}`` of the plugins ``org`` enables (the first answer wins for a code)."""
    relay = current_app.extensions["gongkai.plugins"].relay(org)
    out: dict[str, ItemType] = {}
    for batch in relay.item_types(org=org):
        for raw in batch or []:
            code = raw.get("code")
            if not isinstance(code, str) or not code or len(code) > 60:
                raise ValueError(f"item type code must be text of 1 to 60 characters: {code!r}")
            if code in out:
                continue
            fields = tuple(_field(f, code) for f in raw.get("fields") or ())
            if len({f.name for f in fields}) != len(fields):
                raise ValueError(f"item type {code!r}: two fields have the same name")
            out[code] = ItemType(code, dict(raw.get("labels") or {"zh_Hans_CN": code}), fields)
    return out


def _value(field: Field, value: Any) -> tuple[Any, str | None]:
    """The stored value of ``field`` for the input ``value`` (``None``: empty), or a problem."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    kind = field.type
    if kind in ("text", "textarea"):
        text = str(value).replace("\r\n", "\n").strip()
        if len(text) > MAX_LENGTH[kind]:
            return None, _("At most %(n)s characters.", n=MAX_LENGTH[kind])
        return text, None
    if kind == "integer":
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(str(value).strip()) if not isinstance(value, int) else value, None
        except ValueError:
            return None, _("Give a whole number.")
    if kind == "decimal":
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            return None, _("Give a number.")
        if not number.is_finite():
            return None, _("Give a number.")
        return str(number), None
    if kind == "date":
        if isinstance(value, date):
            return value.isoformat(), None
        try:
            return date.fromisoformat(str(value).strip()).isoformat(), None
        except ValueError:
            return None, _("“%(value)s” is not a date (year-month-day).", value=value)
    if kind == "boolean":
        return (value if isinstance(value, bool) else str(value).strip().lower() in TRUE), None
    # choice
    code = str(value).strip()
    if code not in dict(field.choices):
        return None, _("Choose one of the choices offered.")
    return code, None


def clean_extra(
    item_type: ItemType | None, raw: dict[str, Any] | None, *, strict: bool = True
) -> tuple[dict[str, Any], list[str]]:
    """The extra values of ``raw`` cleaned for ``item_type``, and the problems
    (``"extra.<field>: ..."``). ``strict``: a value for a field the type lacks is a problem
    (otherwise it is dropped, as when an item's type changes)."""
    raw = raw or {}
    problems: list = []
    if not isinstance(raw, dict):
        return {}, [Problem("extra", _("Give a mapping of field names to values."))]
    fields = {f.name: f for f in item_type.fields} if item_type else {}
    if strict:
        for name in sorted(set(raw) - set(fields)):
            if raw[name] not in (None, ""):
                problems.append(Problem(f"extra.{name}", _("Not a field of this item type.")))
    out: dict[str, Any] = {}
    for name, field in fields.items():
        value, wrong = _value(field, raw.get(name))
        if wrong:
            problems.append(Problem(f"extra.{name}", wrong))
        elif value is None and field.required and field.type != "boolean":
            problems.append(Problem(f"extra.{name}", _("This field is required.")))
        elif value is not None:
            out[name] = value
    return out, problems


def validate(org, item, data: dict[str, Any]) -> list[str]:
    """The problems the enabled plugins find with ``data`` (hook ``validate_item``)."""
    relay = current_app.extensions["gongkai.plugins"].relay(org)
    return [p for batch in relay.validate_item(org=org, item=item, data=data) for p in batch or []]


def display(item, locale: str) -> list[tuple[str, str]]:
    """``(label, value)`` of the item's extra fields, for its page (in the type's order)."""
    if not item.extra or not item.item_type:
        return []
    item_type = types_for(item.organisation).get(item.item_type)
    if item_type is None:
        return [(name, str(value)) for name, value in sorted(item.extra.items())]
    out = []
    for field in item_type.fields:
        if field.name not in item.extra:
            continue
        value = item.extra[field.name]
        if field.type == "choice":
            value = field.choice_label(value, locale)
        elif field.type == "boolean":
            from flask_babel import gettext

            value = gettext("Yes") if value else gettext("No")
        out.append((field.label(locale), str(value)))
    return out
