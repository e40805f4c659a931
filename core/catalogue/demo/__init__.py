"""The demo catalogues: templates of the five demo counties and a catalogue for every demo unit.

Loaded by ``gongkai demo load`` after the demo counties and their accounts (``tenants.demo``).

* Templates (基本目录), in the import format (:mod:`core.catalogue.transfer`), published by the
  owner's demo admin: ``kashgar-edu`` (the education working committee keeps Kashgar's template,
  as in source plan 1), ``hongjiang``, ``xiaoyi`` and ``hengdong`` (the eight categories of 2010),
  ``chenggong`` (the commerce bureau's four classes with fifteen sub-items: a category tree).
* Every demo organisation below a county gets a unit catalogue derived from its nearest template,
  adjusted as ``units.yaml`` says, submitted by its demo admin and approved by the demo reviewer
  of its parent (effective today). Counties have no superior on the platform, so they keep no
  unit catalogue: four of them publish their template (Kashgar's is kept by ``kashgar-edu``).
* Hongjiang adds two channels of its own before its template is published (阳光台, the city's
  sunshine TV programme, and its service guide 办事指南); the template's entry on major
  decisions is disclosed on the first, and so its units' catalogues and items.
* ``hongjiang-seed-farm`` has a second version submitted to its superior;
  ``xiaoyi-landscape-maintenance`` has one returned with a comment.

Running it again changes nothing: an organisation that already keeps a template (or a unit
catalogue) is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from core.catalogue import county_channels, transfer
from core.catalogue import operations as ops
from core.errors import UserError
from core.params import operations as params
from tenants import demo as tenants_demo
from tenants import operations as tenants

HERE = Path(__file__).parent
TEMPLATES = {  # owner: file
    "kashgar-edu": "kashgar-edu.yaml",
    "hongjiang": "hongjiang.yaml",
    "xiaoyi": "xiaoyi.yaml",
    "chenggong": "chenggong.yaml",
    "hengdong": "hengdong.yaml",
}
UNITS_FILE = HERE / "units.yaml"
COUNTY_CHANNELS = {  # county: its own channels (CAT-6), added before its template
    "hongjiang": (
        {"code": "sunshine_tv", "audience": "society",
         "labels": {"zh_Hans_CN": "阳光台", "en": "Sunshine TV", "ug": "ئاپتاپ تېلېۋىزىيەسى"}},
        {"code": "service_guide", "audience": "society",
         "labels": {"zh_Hans_CN": "办事指南", "en": "Service guide",
                    "ug": "ئىش بېجىرىش يېتەكچىسى"}},
    ),
}  # fmt: skip


def demo_codes() -> list[tuple[str, str | None]]:
    """``(code, parent code)`` of every demo organisation, parents first (from the demo file)."""
    doc = YAML(typ="safe").load(tenants_demo.DEMO_FILE.read_text(encoding="utf-8"))
    out: list[tuple[str, str | None]] = []

    def walk(nodes: list[dict], parent: str | None) -> None:
        for node in nodes:
            out.append((node["code"], parent))
            walk(node.get("children") or [], node["code"])

    walk(doc["organisations"], None)
    return out


def _org(code: str):
    org = tenants.get_org(code)
    if org is None:
        raise UserError(f"The demo organisation {code} is missing: load the demo counties first.")
    return org


def _user(username: str):
    user = tenants.get_user(username)
    if user is None:
        raise UserError(f"The demo account {username} is missing: load the demo counties first.")
    return user


def _adjust(draft, spec: dict[str, Any], actor) -> None:
    entries = {e.key: e for e in ops.entries(draft)}
    categories = {c.key: c for c in ops.categories(draft)}
    for key in spec.get("remove") or []:
        ops.remove_entry(entries[key], actor=actor)
    for key, changes in (spec.get("update") or {}).items():
        ops.update_entry(entries[key], changes, actor=actor)
    for data in spec.get("add") or []:
        data = dict(data)
        category, key = categories[data.pop("category")], data.pop("key")
        ops.add_entry(draft, category, data, key=key, actor=actor)
    if spec.get("note"):
        draft.note = spec["note"]


def _submit(draft, org, admin) -> None:
    """Submit to the superior, through the unit's own reviewer where the unit review is on."""
    if params.value(org, "catalogue.unit_review"):
        ops.transition(draft, "submit_for_review", actor=admin)
        ops.transition(draft, "sign_off", actor=_user(f"{org.code}-reviewer"))
    else:
        ops.transition(draft, "submit", actor=admin)


def load(actor=None) -> str:
    """Load the demo catalogues; ``actor`` (default: each organisation's demo admin) edits them.

    Workflow steps are always taken by the demo accounts that hold the roles they need.
    """
    units = YAML(typ="safe").load(UNITS_FILE.read_text(encoding="utf-8"))["units"]
    published = approved = kept = 0
    pending: list[str] = []
    channels = 0
    for county_code, wanted in COUNTY_CHANNELS.items():
        county = _org(county_code)
        have = {c.code for c in county_channels.channels_of(county)}
        for data in wanted:
            if data["code"] not in have:
                county_channels.add(county, data, actor=actor or _user(f"{county_code}-admin"))
                channels += 1
    for owner, filename in TEMPLATES.items():
        org = _org(owner)
        if ops.versions(org, "template"):
            kept += 1
            continue
        admin = _user(f"{owner}-admin")
        draft = ops.start_draft(org, "template", actor=actor or admin)
        transfer.import_yaml(
            draft, (HERE / filename).read_text(encoding="utf-8"), actor=actor or admin
        )
        ops.transition(draft, "publish", actor=admin)
        published += 1

    for code, parent_code in demo_codes():
        if parent_code is None:
            continue  # a county has no superior to approve its catalogue: its template serves
        org = _org(code)
        if ops.versions(org, "unit"):
            kept += 1
            continue
        admin, reviewer = _user(f"{code}-admin"), _user(f"{parent_code}-reviewer")
        spec = units.get(code) or {}
        draft = ops.start_draft(org, actor=actor or admin)
        _adjust(draft, spec, actor or admin)
        _submit(draft, org, admin)
        ops.transition(draft, "approve", actor=reviewer)
        approved += 1
        following = spec.get("next")
        if following:
            draft = ops.start_draft(org, actor=actor or admin)
            _adjust(draft, following, actor or admin)
            _submit(draft, org, admin)
            if following.get("return"):
                ops.transition(draft, "return", actor=reviewer, comment=following["return"])
            pending.append(f"{code} {draft.state}")
    later = f" ({', '.join(pending)})" if pending else ""
    return (
        f"Demo catalogues: {published} templates published, {approved} unit catalogues approved, "
        f"{len(pending)} later versions{later}; {kept} catalogues were there already; "
        f"{channels} county channels added."
    )
