"""Bidirectional controls (issue 16, finding 12): no text a person typed keeps the embeddings,
overrides and isolates (U+202A–U+202E, U+2066–U+2069) that reorder what others read; the marks
Uyghur text needs (LRM, RLM, ALM) and the joiners stay.

The class check is generated from the schema: every text and JSON column of every table (but
the register, which cleans before it hashes) is written with the controls planted in it — on a
row of the isolation world — and read back clean.
"""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, String, select

from core import db, text
from core.items.models import Item
from core.register import operations as register
from tests import isolation_world as iw

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
MARKS = "\u200e\u200f\u061c\u200c\u200d"


def planted(value):
    """``value`` with every bidirectional control inside each of its texts."""
    if isinstance(value, str):
        return f"\u202e{value[:1]}{CONTROLS}{value[1:]}\u2069"
    if isinstance(value, dict):
        return {k: planted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [planted(v) for v in value]
    return value


def has_controls(value) -> bool:
    if isinstance(value, str):
        return any(ch in CONTROLS for ch in value)
    if isinstance(value, dict):
        return any(has_controls(k) or has_controls(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_controls(v) for v in value)
    return False


def test_clean_removes_controls_and_keeps_the_marks_uyghur_needs():
    uyghur = "\u200fئۇيغۇرچە 2026\u061c-يىل\u200e ABC\u200c\u200d"
    assert text.clean(uyghur) == uyghur
    assert text.clean(f"a{CONTROLS}b\x00c\x07d\te\r\nf") == "abcd\te\nf"
    assert text.clean_values({"zh": f"标题{CONTROLS}", "ug": [uyghur]}) == {
        "zh": "标题",
        "ug": [uyghur],
    }


def text_columns():
    """``(model, attribute)`` of every text and JSON column of every mapped table."""
    found = []
    for mapper in db.Base.registry.mappers:
        if mapper.local_table.name in text.UNCLEANED_TABLES:
            continue
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if isinstance(column.type, String | JSON) and not column.primary_key:
                found.append((mapper.class_, attr.key))
    return found


def test_every_text_column_is_stored_without_bidirectional_controls(app):
    iw.build()
    columns = text_columns()
    assert len(columns) > 100, len(columns)
    written, problems = 0, []
    for model, key in columns:
        row = db.session.scalars(select(model).limit(1)).first()
        value = getattr(row, key) if row is not None else None
        if row is None or value in (None, "", {}, []):
            continue
        setattr(row, key, planted(value))
        db.session.flush()
        db.session.expire(row)
        if has_controls(getattr(row, key)):
            problems.append(f"{model.__tablename__}.{key}")
        written += 1
    db.session.rollback()
    assert written > 60, written  # the world fills most columns: the check saw them
    assert not problems, "kept bidirectional controls: " + ", ".join(problems)


def test_an_item_title_shows_no_override_and_keeps_uyghur_marks(app, client):
    world = iw.build()
    _code, item_id = world.items["zxbpubli"]
    item = db.session.get(Item, item_id)
    version = item.current_version
    version.titles = {"zh_Hans_CN": "事项 \u202ezxbpubli\u202c", "ug": "\u200fئىش\u061c 2026"}
    db.session.commit()
    page = client.get(f"/o/iso-b/items/{item_id}?lang=ug").get_data(as_text=True)
    assert "\u202e" not in page and "\u202c" not in page
    assert "\u200fئىش\u061c 2026" in page


def test_register_entries_are_cleaned_before_they_are_hashed(app, make_org):
    org = make_org("tc-county", type_code="county_committee")
    approvals = [{"step": "review", "by": "\u202eeve", "at": None}]
    entry = register.append(org, "publish", object_type="item", object_id=1, approvals=approvals,
                            title=f"标题{CONTROLS}", data={"explanation": "说\u202e"})  # fmt: skip
    db.session.commit()
    assert entry.title == "标题" and entry.data["explanation"] == "说"
    assert not has_controls(entry.approvals)
    assert register.verify(org) == []  # the hash is of the cleaned texts


@pytest.mark.parametrize("field", ["content", "name"])
def test_feedback_uses_the_shared_cleaning(app, make_org, field):
    from core.feedback import operations as fb

    org = make_org("tc-unit")
    kwargs = {"content": "意见", field: f"文字{CONTROLS}\u200f"}
    entry = fb.submit_online(org, **kwargs).entry
    assert (entry.content if field == "content" else entry.submitter_name) == "文字\u200f"
