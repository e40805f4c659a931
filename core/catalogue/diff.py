"""The differences between two versions of a catalogue, entry by entry and field by field (the
superior's decision page, the version pages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.catalogue.models import CatalogueVersion
from core.catalogue.reading import categories, entries
from core.catalogue.rules import ENTRY_FIELDS


@dataclass
class EntryChange:
    key: str
    kind: str  # added | removed | changed
    title: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def diff(
    version: CatalogueVersion, against: CatalogueVersion | None, locale: str = "zh_Hans_CN"
) -> list[EntryChange]:
    """Entry-level differences of ``version`` against ``against`` (the effective version)."""
    new = {e.key: e for e in entries(version)}
    old = {e.key: e for e in entries(against)} if against else {}
    new_cats = {c.id: c.title(locale) for c in categories(version)}
    old_cats = {c.id: c.title(locale) for c in categories(against)} if against else {}
    changes = []
    for key, entry in new.items():
        if key not in old:
            changes.append(EntryChange(key, "added", entry.title(locale)))
            continue
        before = old[key]
        fields = {}
        for name in ENTRY_FIELDS:
            if getattr(before, name) != getattr(entry, name):
                fields[name] = (getattr(before, name), getattr(entry, name))
        if old_cats.get(before.category_id) != new_cats.get(entry.category_id):
            fields["category"] = (old_cats.get(before.category_id), new_cats.get(entry.category_id))
        if fields:
            changes.append(EntryChange(key, "changed", entry.title(locale), fields))
    for key, entry in old.items():
        if key not in new:
            changes.append(EntryChange(key, "removed", entry.title(locale)))
    return changes
