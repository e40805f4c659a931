"""Checklist standards (SUP-3): the "haves" of the source plans, as a code list
(``standards.yaml``): ``five_haves`` (班子、牌子、房子、栏子、柜子), ``eight_haves`` (the model
units' 八有), and the five haves of Xiaoyi and of Chenggong. A checklist criterion of a scheme
copies the points of its standard; each point is met only with evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from core.i18n import _, localised

STANDARDS: dict[str, dict[str, Any]] = YAML(typ="safe").load(
    (Path(__file__).with_name("standards.yaml")).read_text(encoding="utf-8")
)
"""``{code: {"labels": {locale: text}, "points": [{"key", "labels"}]}}``."""

DESIGNATION_KINDS = {
    "contact_point": _("Contact point (联系点)"),
    "model_unit": _("Model unit (示范点)"),
}


def label(code: str | None, locale: str) -> str:
    standard = STANDARDS.get(code or "")
    return localised(standard["labels"], locale) if standard else (code or "")


def points(code: str) -> list[dict[str, Any]]:
    """A copy of the points of standard ``code`` (a scheme keeps its own)."""
    return [{"key": p["key"], "labels": dict(p["labels"])} for p in STANDARDS[code]["points"]]
