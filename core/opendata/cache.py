"""The open data files, made once per data version and kept in the instance folder.

The **data version** of an organisation's subtree is a digest of its public activity — for each
unit: how many items are disclosed and when one last changed, the objections and how many were
handled, the feedback entries, the requests, the register's heads, the organisations
themselves, the member evaluation rounds of the county — and of the unit's local date (some
figures depend on the day). Six grouped statements compute it for any number of units (and for
the whole platform at once, for the DCAT catalogue). Publishing, amending, revoking, widening,
answering, deciding, registering: each changes a count or a time, so the version changes and the
next download makes new files; otherwise the files are served as they are.

Files live in ``<instance>/opendata/<org id>/<version>/<dataset>.<csv|json>``, written to a
temporary name and renamed (a reader never sees half a file); making a new version removes the
older ones of that organisation. Several processes may each make the same version once: the
result is the same.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select

from core import db
from core.catalogue.operations import today_for
from core.disclosure_requests.models import DisclosureRequest
from core.evaluation.models import EvaluationRound
from core.feedback.models import FeedbackEntry
from core.items.models import VISIBLE_STATES, Item, Objection
from core.opendata.datasets import DATASETS, Dataset
from core.register.models import RegisterHead
from core.spreadsheets import csv_text
from tenants.models import Organisation

FILE_FORMAT = 1
"""Bump when the files' layout changes: every version changes with it."""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Activity:
    """What the data version of one organisation (or a subtree, folded) is made of."""

    counts: tuple[int, ...]
    modified: datetime | None

    def fold(self, other: Activity) -> Activity:
        counts = tuple(a + b for a, b in zip(self.counts, other.counts, strict=True))
        stamps = [m for m in (self.modified, other.modified) if m is not None]
        return Activity(counts, max(stamps) if stamps else None)


EMPTY = Activity((0,) * 8, None)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def activity(within: Organisation | None = None) -> dict[int, Activity]:
    """``{org id: Activity}`` of every organisation (of ``within``'s subtree): six statements."""

    def scoped(query, column):
        query = query.join(Organisation, Organisation.id == column)
        if within is not None:
            query = query.where(Organisation.path.startswith(within.path, autoescape=True))
        return query.group_by(column)

    found: dict[int, list] = {}

    def add(rows, slot: int, width: int = 2) -> None:
        for org_id, *values in rows:
            entry = found.setdefault(org_id, [[0] * 8, []])
            for n, value in enumerate(values[: width - 1]):
                entry[0][slot + n] = int(value or 0)
            stamp = _aware(values[width - 1]) if len(values) >= width else None
            if stamp is not None:
                entry[1].append(stamp)

    add(
        db.session.execute(
            scoped(
                select(Item.org_id, func.count(Item.id), func.max(Item.updated_at)).where(
                    Item.state.in_(VISIBLE_STATES)
                ),
                Item.org_id,
            )
        ),
        0,
    )
    add(
        db.session.execute(
            scoped(
                select(
                    Objection.org_id,
                    func.count(Objection.id),
                    func.coalesce(func.sum(case((Objection.handled.is_(True), 1), else_=0)), 0),
                    func.max(Objection.lodged_at),
                ),
                Objection.org_id,
            )
        ),
        1,
        width=3,
    )
    for slot, model in ((3, FeedbackEntry), (4, DisclosureRequest), (6, EvaluationRound)):
        add(
            db.session.execute(
                scoped(
                    select(model.org_id, func.count(model.id), func.max(model.updated_at)),
                    model.org_id,
                )
            ),
            slot,
        )
    add(
        db.session.execute(
            scoped(
                select(
                    RegisterHead.org_id,
                    func.sum(RegisterHead.entry_count),
                    func.max(RegisterHead.updated_at),
                ),
                RegisterHead.org_id,
            )
        ),
        5,
    )
    orgs = select(Organisation.id, Organisation.updated_at)
    if within is not None:
        orgs = orgs.where(Organisation.path.startswith(within.path, autoescape=True))
    for org_id, updated in db.session.execute(orgs):
        entry = found.setdefault(org_id, [[0] * 8, []])
        entry[0][7] = 1
        if updated is not None:
            entry[1].append(_aware(updated))
    return {
        org_id: Activity(tuple(counts), max(stamps) if stamps else None)
        for org_id, (counts, stamps) in found.items()
    }


def subtree_activity(org: Organisation, rows: dict[int, Activity] | None = None) -> Activity:
    """The activity of ``org``'s whole subtree (its rows folded), with the county's evaluation
    rounds (a round of a superior shows in its units' figures)."""
    rows = activity(org) if rows is None else rows
    total = EMPTY
    for one in rows.values():
        total = total.fold(one)
    return total


@dataclass(frozen=True)
class Version:
    key: str
    modified: datetime
    day: date


def version(org: Organisation) -> Version:
    """The data version of ``org``'s subtree: changes whenever its public data may have."""
    act = subtree_activity(org)
    rounds = db.session.execute(
        select(func.count(EvaluationRound.id), func.max(EvaluationRound.updated_at)).where(
            EvaluationRound.root_id == (org.root_id or org.id)
        )
    ).one()
    day = today_for(org)
    text_ = json.dumps(
        [FILE_FORMAT, org.id, org.path, list(act.counts), str(act.modified), list(map(str, rounds)),
         day.isoformat()]
    )  # fmt: skip
    return Version(
        hashlib.sha256(text_.encode()).hexdigest()[:20],
        act.modified or EPOCH,
        day,
    )


# --- the files -------------------------------------------------------------------------------


def root() -> Path:
    return Path(current_app.instance_path) / "opendata"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def render_csv(dataset: Dataset, records: list[dict[str, Any]]) -> bytes:
    names = dataset.field_names
    return csv_text(names, ([_cell(r.get(n)) for n in names] for r in records)).encode("utf-8")


def document(org: Organisation, dataset: Dataset, records: list[dict], ver: Version) -> dict:
    """The JSON file of a dataset: what it is, of whom, which version, and its records."""
    from flask import url_for

    return {
        "dataset": dataset.name,
        "organisation": {
            "code": org.code,
            "name": org.name("zh_Hans_CN"),
            "url": url_for("tenants.portal", org_code=org.code, _external=True),
        },
        "version": ver.key,
        "modified": ver.modified.isoformat(),
        "generated_at": db.utcnow().isoformat(),
        "fields": dataset.field_names,
        "fields_url": url_for("opendata.fields", org_code=org.code, _external=True),
        "schema_url": url_for("opendata_site.schema", name=dataset.name, _external=True),
        "records": records,
    }


def render_json(org: Organisation, dataset: Dataset, records: list[dict], ver: Version) -> bytes:
    return json.dumps(document(org, dataset, records, ver), ensure_ascii=False, indent=1).encode(
        "utf-8"
    )


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{id(data)}.part")
    tmp.write_bytes(data)
    tmp.replace(path)


def _prune(org_dir: Path, keep: str) -> None:
    for child in org_dir.iterdir() if org_dir.exists() else ():
        if child.is_dir() and child.name != keep:
            shutil.rmtree(child, ignore_errors=True)


def file(org: Organisation, dataset: Dataset, fmt: str) -> tuple[Path, Version]:
    """The path of ``dataset`` of ``org``'s subtree as ``fmt`` at the current data version
    (made now, in both formats, when this version has no file yet)."""
    ver = version(org)
    org_dir = root() / str(org.id)
    path = org_dir / ver.key / f"{dataset.name}.{fmt}"
    if not path.exists():
        records = list(dataset.records(org))
        _write(org_dir / ver.key / f"{dataset.name}.csv", render_csv(dataset, records))
        _write(org_dir / ver.key / f"{dataset.name}.json", render_json(org, dataset, records, ver))
        _prune(org_dir, ver.key)
    return path, ver


def records(org: Organisation, name: str) -> tuple[list[dict[str, Any]], Version]:
    """The records of a dataset, through its cached JSON file (the statistics page uses it)."""
    path, ver = file(org, DATASETS[name], "json")
    return json.loads(path.read_bytes())["records"], ver
