"""The disclosure leading group of an organisation (党务公开工作领导小组, docs/rules.md ORG-2):
its people and its office, in one canonical shape.

The group is a leader, deputy leaders and members; its office (办公室) has a name, a director,
deputy directors and members; a liaison (联络员) is the contact person, and the office's
telephone and e-mail are how the public reaches it. People are named by name and post (职务);
they need not be users of the platform::

    {"leader": {"name": "周建国", "post": "局党委书记、局长"},
     "deputies": [{"name": "陈立新", "post": "局党委副书记"}],
     "members": [...],
     "office": "局党务公开工作领导小组办公室",
     "office_director": {"name": ..., "post": ...},
     "office_deputy_directors": [...], "office_members": [...],
     "liaison": {"name": ..., "post": ...},
     "office_phone": "0745-0000010", "office_email": "dwgk@example.org"}

Only filled fields are kept. :func:`clean` turns what a file or a form gives into this shape and
lists what is wrong; it also reads the older shape of YAML files, where a person was one text
(``"周建国（局党委书记、局长）"``: the post in full-width or ASCII brackets after the name).
The kernel-free rules here are used by the import (``tenants.provisioning``), the operation
that keeps the history (``tenants.operations.set_leading_group``) and the console's form.
"""

from __future__ import annotations

import re
from typing import Any

PERSON_ROLES = ("leader", "office_director", "liaison")
"""Roles held by one person."""
LIST_ROLES = ("deputies", "members", "office_deputy_directors", "office_members")
"""Roles held by a list of people, in the order given."""
TEXTS = ("office", "office_phone", "office_email")
"""The office's name and how to reach it."""
FIELDS = ("leader", "deputies", "members", "office", "office_director",
          "office_deputy_directors", "office_members", "liaison", "office_phone",
          "office_email")  # fmt: skip
"""Every field, in the order pages show them."""

NAME_MAX = 100
POST_MAX = 200
TEXT_MAX = 200
LIST_MAX = 50
"""At most this many people in one list (a branch committee is far smaller)."""

_WITH_POST = re.compile(r"^(?P<name>[^（(]+?)\s*[（(](?P<post>.+)[）)]\s*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+()\-\s]{3,40}(?:\s*(?:转|ext\.?|x)\s*[0-9]{1,6})?$")


def person_from_text(text: str) -> dict[str, str]:
    """``"王晓燕（副园长，兼）"`` → ``{"name": "王晓燕", "post": "副园长，兼"}``; a text without a
    post in brackets is a name alone."""
    text = (text or "").strip()
    match = _WITH_POST.match(text)
    if match:
        return {"name": match["name"].strip(), "post": match["post"].strip()}
    return {"name": text}


def person_text(person: dict[str, str] | None) -> str:
    """A person as one line: name, and the post in brackets."""
    if not person:
        return ""
    name, post = person.get("name", ""), person.get("post", "")
    return f"{name}（{post}）" if post else name


def clean(data: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The canonical group of ``data`` and its problems as ``(field, what is wrong)`` (English,
    for files and logs; the console's form checks its fields itself before it calls this)."""
    problems: list[tuple[str, str]] = []
    if data is None:
        return {}, problems
    if not isinstance(data, dict):
        return {}, [("leading_group", "must be a mapping")]
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in PERSON_ROLES:
            person = _person(value, key, problems)
            if person:
                out[key] = person
        elif key in LIST_ROLES:
            if value is None:
                continue
            if not isinstance(value, list):
                problems.append((key, "must be a list of people"))
                continue
            if len(value) > LIST_MAX:
                problems.append((key, f"has more than {LIST_MAX} people"))
            people = [_person(v, f"{key}[{i + 1}]", problems) for i, v in enumerate(value)]
            people = [p for p in people if p]
            if people:
                out[key] = people
        elif key in TEXTS:
            text = _text(value, key, TEXT_MAX, problems)
            if text:
                out[key] = text
        else:
            problems.append((key, f"unknown field (allowed: {', '.join(FIELDS)})"))
    email = out.get("office_email")
    if email and not EMAIL.match(email):
        problems.append(("office_email", f"{email!r} is not an e-mail address"))
    phone = out.get("office_phone")
    if phone and not PHONE.match(phone):
        problems.append(("office_phone", f"{phone!r} is not a telephone number"))
    return {k: out[k] for k in FIELDS if k in out}, problems


def _text(value: Any, field: str, limit: int, problems: list[tuple[str, str]]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append((field, "must be text"))
        return ""
    text = str(value).strip()
    if len(text) > limit:
        problems.append((field, f"is longer than {limit} characters"))
    return text


def _person(value: Any, field: str, problems: list[tuple[str, str]]) -> dict[str, str]:
    """A person from ``{name, post}`` or from one text (the older shape)."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        person = person_from_text(value)
    elif isinstance(value, dict):
        unknown = set(value) - {"name", "post"}
        if unknown:
            problems.append((field, f"unknown field {sorted(unknown)[0]!r} (allowed: name, post)"))
        person = {
            "name": _text(value.get("name"), f"{field}.name", NAME_MAX, problems),
            "post": _text(value.get("post"), f"{field}.post", POST_MAX, problems),
        }
        if not person["name"] and person["post"]:
            problems.append((f"{field}.name", "is required when a post is given"))
    else:
        problems.append((field, "must be a person {name, post} or a text"))
        return {}
    if len(person.get("name", "")) > NAME_MAX:
        problems.append((f"{field}.name", f"is longer than {NAME_MAX} characters"))
    return {k: v for k, v in person.items() if v}


def people_count(group: dict[str, Any] | None) -> int:
    """How many places the group fills (a person named twice counts twice)."""
    group = group or {}
    return sum(1 for k in PERSON_ROLES if group.get(k)) + sum(
        len(group.get(k) or []) for k in LIST_ROLES
    )


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The fields whose value differs, in page order."""
    before, after = before or {}, after or {}
    return [k for k in FIELDS if before.get(k) != after.get(k)]
