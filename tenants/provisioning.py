"""Organisation trees as YAML: import (validated as a whole) and export.

File format (nested ``children``; a top-level entry may name an existing ``parent``)::

    organisations:
      - code: kashgar
        type: county_committee
        names:
          zh_Hans_CN: {full: 中共喀什市委员会, short: 喀什市委}
        children:
          - code: kashgar-edu
            type: working_committee
            ...

An import is all or nothing: every problem of the file is listed with its line and field, and
nothing is written unless there are none. Re-importing the same file changes nothing. Fields a
file leaves out are left as they are.
"""

from __future__ import annotations

import io
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarint import ScalarInt
from sqlalchemy import select

from core import db
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from tenants import codelists, hierarchy, leading_group, operations
from tenants.models import CODE_PATTERN, Organisation

CONTACT_KEYS = ("hotline", "suggestion_box", "reception_day", "email", "address")
OFFICER_KEYS = ("secretary", "deputy", "contact")
NAME_FORMS = ("full", "short")
HOST_PATTERN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$"
)

# YAML key -> model field, in export order
FIELD_MAP = {
    "type": "type_code",
    "sector": "sector",
    "names": "names",
    "hierarchical_code": "hierarchical_code",
    "affiliation": "affiliation",
    "founded_on": "founded_on",
    "term_ends_on": "term_ends_on",
    "full_members": "full_members",
    "officers": "officers",
    "contacts": "contacts",
    "leading_group": "leading_group",
    "default_locale": "default_locale",
    "locales": "locales",
    "timezone": "timezone",
    "theme": "theme",
    "plugins": "plugin_settings",
    "host": "host",
    "enabled": "enabled",
}
STRUCTURE_KEYS = ("code", "parent", "children")
# fields an explicit empty value (``affiliation:`` or ``~``) clears
NULLABLE_FIELDS = (
    "hierarchical_code",
    "affiliation",
    "founded_on",
    "term_ends_on",
    "full_members",
    "host",
)
DATE_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class _Constructor(RoundTripConstructor):
    """Dates stay text while loading, so a bad one is a problem with its line, not a crash."""


_Constructor.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda constructor, node: constructor.construct_scalar(node)
)


@dataclass
class Problem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.message}"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.moved)


class ImportRejected(UserError):
    """The file was rejected as a whole; ``problems`` lists every one."""


@dataclass
class _Node:
    code: str
    parent_code: str | None
    values: dict[str, Any]
    line: int | None
    group: int = 0  # siblings listed together (one ``children`` list, or top-level with one parent)
    lines: dict[str, int | None] = field(default_factory=dict)  # line of ``parent``, ``host``


def _line(container, key=None) -> int | None:
    try:
        if key is None:
            return container.lc.line + 1
        if isinstance(container, CommentedSeq):
            return container.lc.item(key)[0] + 1
        return container.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


class _Validator:
    def __init__(self, *, sectors: set[str], themes: set[str], org_types: set[str]):
        self.sectors, self.themes, self.org_types = sectors, themes, org_types
        self.problems: list[Problem] = []
        self.nodes: list[_Node] = []
        self.groups: dict[tuple, int] = {}

    def problem(self, container, key, field_name: str, message: str) -> None:
        self.problems.append(Problem(_line(container, key), field_name, message))

    # -- scalar helpers
    def text(self, m, key, *, max_len=200, required=False) -> str | None:
        value = m.get(key)
        if value is None or value == "":
            if required:
                self.problem(m, key if key in m else None, key, "is required")
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.problem(m, key, key, "must be text")
            return None
        if isinstance(value, ScalarInt) and getattr(value, "_width", None):
            value = str(int(value)).zfill(value._width)  # keep leading zeros: 0745, 001203
        value = str(value).strip()
        if len(value) > max_len:
            self.problem(m, key, key, f"is longer than {max_len} characters")
        return value

    def text_map(self, m, key, allowed, prefix) -> dict[str, str] | None:
        value = m.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(m, key, key, "must be a mapping")
            return None
        out = {}
        for k in value:
            if k not in allowed:
                self.problem(
                    value, k, f"{prefix}.{k}", f"unknown field (allowed: {', '.join(allowed)})"
                )
                continue
            text = self.text(value, k)
            if text is not None:
                out[k] = text
        return out

    def date_(self, m, key) -> date | None:
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        match = DATE_PATTERN.match(str(value).strip())
        try:
            if match is None:
                raise ValueError
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            self.problem(m, key, key, f"{str(value)!r} is not a date (YYYY-MM-DD)")
            return None

    # -- one organisation
    def organisation(
        self, m, parent_code: str | None, top_level: bool, index: int, container, list_id: int
    ) -> None:
        if not isinstance(m, dict):
            where = "organisations" if top_level else "children"
            self.problem(container, index, where, "each entry must be a mapping of fields")
            return
        allowed = set(FIELD_MAP) | {"code", "children"} | ({"parent"} if top_level else set())
        for key in m:
            if key not in allowed:
                hint = " (only top-level entries name a parent)" if key == "parent" else ""
                self.problem(m, key, str(key), "unknown field" + hint)
        code = self.text(m, "code", required=True, max_len=63)
        if code is not None and not re.match(CODE_PATTERN, code):
            self.problem(m, "code", "code", f"{code!r} is not a valid code (a-z, 0-9, '-')")
        if top_level and m.get("parent") is not None:
            parent_code = self.text(m, "parent", max_len=63)
        lines = {"parent": _line(m, "parent") if "parent" in m else _line(m)}
        values: dict[str, Any] = {"position": index}
        type_code = self.text(m, "type", required=True, max_len=60)
        if type_code is not None and type_code not in self.org_types:
            self.problem(
                m,
                "type",
                "type",
                f"unknown organisation type {type_code!r} "
                f"(known: {', '.join(sorted(self.org_types))})",
            )
        values["type_code"] = type_code
        if "sector" in m:
            sector = self.text(m, "sector", max_len=60)
            if sector is not None and sector not in self.sectors:
                self.problem(
                    m,
                    "sector",
                    "sector",
                    f"unknown sector {sector!r} (known: {', '.join(sorted(self.sectors))})",
                )
            values["sector"] = sector
        values["names"] = self.names(m)
        for key in ("hierarchical_code", "affiliation"):
            if key in m:
                values[key] = self.text(m, key)
        for key in ("founded_on", "term_ends_on"):
            if key in m:
                values[key] = self.date_(m, key)
        if (
            values.get("founded_on")
            and values.get("term_ends_on")
            and values["term_ends_on"] < values["founded_on"]
        ):
            self.problem(m, "term_ends_on", "term_ends_on", "is before founded_on")
        if "full_members" in m:
            n = m.get("full_members")
            if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
                self.problem(m, "full_members", "full_members", "must be a whole number, 0 or more")
                n = None
            values["full_members"] = n
        if "officers" in m:
            values["officers"] = self.text_map(m, "officers", OFFICER_KEYS, "officers") or {}
        if "contacts" in m:
            contacts = self.text_map(m, "contacts", CONTACT_KEYS, "contacts") or {}
            email = contacts.get("email")
            if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
                self.problem(
                    m["contacts"], "email", "contacts.email", f"{email!r} is not an e-mail address"
                )
            values["contacts"] = contacts
        if "leading_group" in m:
            values["leading_group"] = self.leading_group(m)
        if "default_locale" in m:
            loc = self.text(m, "default_locale", max_len=20)
            if loc is not None and loc not in SUPPORTED_LOCALES:
                self.problem(
                    m,
                    "default_locale",
                    "default_locale",
                    f"{loc!r} is not one of {', '.join(SUPPORTED_LOCALES)}",
                )
            values["default_locale"] = loc or "zh_Hans_CN"
        if "locales" in m:
            locs = m.get("locales") or []
            if not isinstance(locs, list) or any(loc not in SUPPORTED_LOCALES for loc in locs):
                self.problem(
                    m, "locales", "locales", f"must be a list of {', '.join(SUPPORTED_LOCALES)}"
                )
                locs = []
            values["locales"] = list(locs)
        if "timezone" in m:
            tz = self.text(m, "timezone", max_len=60)
            try:
                if tz:
                    zoneinfo.ZoneInfo(tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                self.problem(m, "timezone", "timezone", f"unknown time zone {tz!r}")
            values["timezone"] = tz or "Asia/Shanghai"
        if "theme" in m:
            theme = self.text(m, "theme", max_len=60)
            if theme is not None and theme not in self.themes:
                self.problem(
                    m,
                    "theme",
                    "theme",
                    f"unknown theme {theme!r} (known: {', '.join(sorted(self.themes))})",
                )
            values["theme"] = theme or "base"
        if "plugins" in m:
            values["plugin_settings"] = self.plugins(m)
        if "host" in m:
            host = self.text(m, "host", max_len=255)
            if host is not None:
                host = host.lower()
                if not HOST_PATTERN.match(host):
                    self.problem(m, "host", "host", f"{host!r} is not a host name")
            values["host"] = host
            lines["host"] = _line(m, "host")
        if "enabled" in m:
            if not isinstance(m["enabled"], bool):
                self.problem(m, "enabled", "enabled", "must be true or false")
            values["enabled"] = bool(m["enabled"])
        if code:
            group = self.groups.setdefault((list_id, parent_code), len(self.groups))
            self.nodes.append(_Node(code, parent_code, values, _line(m), group, lines))
        children = m.get("children")
        if children is not None:
            if not isinstance(children, list):
                self.problem(m, "children", "children", "must be a list of organisations")
                return
            for i, child in enumerate(children):
                self.organisation(
                    child, code, top_level=False, index=i, container=children, list_id=id(children)
                )

    def names(self, m) -> dict[str, Any] | None:
        names = m.get("names")
        if not isinstance(names, dict) or not names:
            self.problem(
                m,
                "names" if "names" in m else None,
                "names",
                "is required: a mapping of locale to {full, short}",
            )
            return None
        out = {}
        for loc, entry in names.items():
            if loc not in SUPPORTED_LOCALES:
                self.problem(
                    names,
                    loc,
                    f"names.{loc}",
                    f"unknown locale (use {', '.join(SUPPORTED_LOCALES)})",
                )
                continue
            if isinstance(entry, str):
                entry = {"full": entry}
            if not isinstance(entry, dict):
                self.problem(names, loc, f"names.{loc}", "must be a mapping {full, short}")
                continue
            parsed = (
                self.text_map(names, loc, NAME_FORMS, f"names.{loc}")
                if isinstance(names[loc], dict)
                else {"full": entry["full"].strip()}
            )
            if parsed is not None and not parsed.get("full"):
                self.problem(names, loc, f"names.{loc}.full", "is required")
            out[loc] = parsed or {}
        if "zh_Hans_CN" not in names:
            self.problem(m, "names", "names.zh_Hans_CN", "the Chinese name is required")
        return out

    def leading_group(self, m) -> dict[str, Any]:
        """The leading group in its canonical shape (:mod:`tenants.leading_group`): people as
        ``{name, post}`` or, as older files have them, one text ``"name（post）"``."""
        group = m.get("leading_group")
        if not isinstance(group, dict):
            self.problem(m, "leading_group", "leading_group", "must be a mapping")
            return {}
        out, problems = leading_group.clean(group)
        for field_name, message in problems:
            key = field_name.split(".", 1)[0].split("[", 1)[0]
            self.problem(group, key if key in group else None,
                         f"leading_group.{field_name}", message)  # fmt: skip
        return out

    def plugins(self, m) -> dict[str, list[str]]:
        value = m.get("plugins")
        if not isinstance(value, dict):
            self.problem(
                m, "plugins", "plugins", "must be a mapping {enabled: [...], disabled: [...]}"
            )
            return {}
        out = {}
        for key in value:
            items = value.get(key) or []
            if key not in ("enabled", "disabled"):
                self.problem(
                    value, key, f"plugins.{key}", "unknown field (allowed: enabled, disabled)"
                )
            elif not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                self.problem(value, key, f"plugins.{key}", "must be a list of plugin names")
            else:
                out[key] = sorted(set(items))
        return out


def parse(text: str, *, sectors: set[str], themes: set[str]) -> list[_Node]:
    """Parse and validate a YAML document; raise :class:`ImportRejected` with every problem."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        doc = yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ImportRejected(
            "The file is not valid YAML.",
            problems=[str(Problem(line, "yaml", getattr(exc, "problem", None) or str(exc)))],
        ) from None
    except ValueError as exc:  # a value YAML itself cannot build
        raise ImportRejected(
            "The file is not valid YAML.", problems=[str(Problem(None, "yaml", str(exc)))]
        ) from None
    if not isinstance(doc, CommentedMap) or not isinstance(doc.get("organisations"), list):
        raise ImportRejected(
            "The file was rejected.",
            problems=[
                str(
                    Problem(
                        1, "organisations", "the file must have a top-level list 'organisations'"
                    )
                )
            ],
        )
    validator = _Validator(
        sectors=sectors, themes=themes, org_types=codelists.codes(codelists.ORG_TYPE)
    )
    entries = doc["organisations"]
    for i, entry in enumerate(entries):
        validator.organisation(
            entry, None, top_level=True, index=i, container=entries, list_id=id(entries)
        )
    _check_tree(validator)
    if validator.problems:
        raise ImportRejected(
            "The file was rejected; nothing was imported.",
            problems=[str(p) for p in validator.problems],
        )
    return validator.nodes


def _check_tree(validator: _Validator) -> None:
    """Checks across entries and against the platform: duplicates, parents, moves, hosts."""
    problems = validator.problems
    seen: dict[str, _Node] = {}
    for node in validator.nodes:
        if node.code in seen:
            problems.append(
                Problem(
                    node.line,
                    "code",
                    f"{node.code!r} appears twice (first on line {seen[node.code].line})",
                )
            )
        else:
            seen[node.code] = node
    codes = set(seen) | {n.parent_code for n in seen.values() if n.parent_code}
    existing = {
        o.code: o
        for o in db.session.scalars(select(Organisation).where(Organisation.code.in_(codes)))
    }
    # the platform's tree in the counties the file touches: code -> parent code
    code_of: dict[int, str] = {}
    platform_parent: dict[str, str | None] = {}
    root_ids = {o.root_id for o in existing.values()}
    if root_ids:
        rows = db.session.execute(
            select(Organisation.id, Organisation.code, Organisation.parent_id).where(
                Organisation.root_id.in_(root_ids)
            )
        ).all()
        code_of = {id_: code for id_, code, _ in rows}
        platform_parent = {code: code_of.get(pid) if pid else None for _, code, pid in rows}

    def parent_after_import(code: str) -> str | None:
        node = seen.get(code)
        return node.parent_code if node is not None else platform_parent.get(code)

    def is_county(code: str) -> bool:
        if code in seen:
            return seen[code].parent_code is None
        return code in platform_parent and platform_parent[code] is None

    for node in seen.values():
        parent_line = node.lines.get("parent", node.line)
        if node.parent_code and node.parent_code not in seen and node.parent_code not in existing:
            problems.append(
                Problem(
                    parent_line,
                    "parent",
                    f"parent {node.parent_code!r} is neither in the file nor on the platform",
                )
            )
            continue
        chain, code, cyclic = [node.code], node.parent_code, False
        while code is not None:
            if code == node.code:
                cyclic = True
                break
            if code in chain:  # a cycle above this node: reported for the nodes on it
                break
            chain.append(code)
            code = parent_after_import(code)
        if cyclic:
            problems.append(
                Problem(
                    parent_line,
                    "parent",
                    f"{node.code!r} would be its own ancestor ({' -> '.join([*chain, node.code])})",
                )
            )
            continue
        current = existing.get(node.code)
        if current is None:
            continue
        if current.parent_id is None and node.parent_code:
            problems.append(
                Problem(
                    parent_line,
                    "parent",
                    f"{node.code!r} is a hosted county on the platform and cannot be placed "
                    f"under {node.parent_code!r}",
                )
            )
        elif current.parent_id is not None and node.parent_code is None:
            problems.append(
                Problem(
                    node.line,
                    "parent",
                    f"{node.code!r} exists under another organisation; name its parent",
                )
            )
        elif (
            current.parent_id is not None
            and is_county(chain[-1])
            and chain[-1] != code_of.get(current.root_id)
        ):
            problems.append(
                Problem(
                    parent_line,
                    "parent",
                    f"{node.code!r} belongs to the county {code_of.get(current.root_id)!r} and "
                    f"cannot be moved into {chain[-1]!r}",
                )
            )
    hosts: dict[str, _Node] = {}
    for node in seen.values():
        host = node.values.get("host")
        if host:
            if host in hosts:
                problems.append(
                    Problem(
                        node.lines.get("host", node.line),
                        "host",
                        f"{host!r} is also mapped to {hosts[host].code!r}",
                    )
                )
            else:
                hosts[host] = node
    if hosts:
        taken = db.session.execute(
            select(Organisation.host, Organisation.code).where(Organisation.host.in_(hosts))
        )
        for host, code in taken:
            node = hosts[host]
            if node.code != code:
                problems.append(
                    Problem(
                        node.lines.get("host", node.line),
                        "host",
                        f"{host!r} is already mapped to {code!r}",
                    )
                )


def _parents_first(nodes: list[_Node]) -> list[_Node]:
    """File order, except that a parent named by a later top-level entry comes first."""
    by_code = {n.code: n for n in nodes}
    done: set[str] = set()
    out: list[_Node] = []

    def visit(node: _Node) -> None:
        if node.code in done:
            return
        done.add(node.code)
        parent = by_code.get(node.parent_code) if node.parent_code else None
        if parent is not None:
            visit(parent)
        out.append(node)

    for node in nodes:
        visit(node)
    return out


def _keep_positions(nodes: list[_Node]) -> None:
    """Siblings the platform already holds in the file's order keep their positions.

    Positions are the order of a ``children`` list; re-importing an export (whose order is the
    platform's order, ties broken by code) must not renumber them.
    """
    codes = {n.code for n in nodes} | {n.parent_code for n in nodes if n.parent_code}
    orgs = {
        o.code: o
        for o in db.session.scalars(select(Organisation).where(Organisation.code.in_(codes)))
    }
    ids = {o.id: code for code, o in orgs.items()}
    groups: dict[int, list[_Node]] = {}
    for node in nodes:
        groups.setdefault(node.group, []).append(node)
    for members in groups.values():
        if not all(
            n.code in orgs and ids.get(orgs[n.code].parent_id) == n.parent_code for n in members
        ):
            continue
        current = sorted(members, key=lambda n: (orgs[n.code].position, n.code))
        if [n.code for n in current] == [n.code for n in members]:
            for n in members:
                n.values.pop("position", None)


def apply(
    nodes: list[_Node], *, actor=None, today: date | None = None, source: str = "import"
) -> ImportReport:
    """Write validated nodes (parents first); the caller commits. A changed leading group
    becomes a new version of it, marked with ``source`` (``import``; the demo's ``demo``)."""
    report = ImportReport()
    _keep_positions(nodes)
    for node in _parents_first(nodes):
        parent = operations.get_org(node.parent_code) if node.parent_code else None
        org = operations.get_org(node.code)
        values = {k: v for k, v in node.values.items() if v is not None or k in NULLABLE_FIELDS}
        if org is None:
            try:
                operations.create_organisation(
                    node.code, parent=parent, actor=actor, source=source, **values
                )
            except UserError as exc:
                raise ImportRejected(
                    "The file was rejected; nothing was imported.",
                    problems=[f"line {node.line}, code: {exc.message}"],
                ) from None
            report.created.append(node.code)
            continue
        if parent is not None and org.parent_id != parent.id:
            try:
                operations.move_organisation(org, parent, actor=actor)
            except UserError as exc:
                raise ImportRejected(
                    "The file was rejected; nothing was imported.",
                    problems=[f"line {node.line}, parent: {exc.message}"],
                ) from None
            report.moved.append(node.code)
            org = operations.get_org(node.code)
        if operations.update_organisation(org, values, actor=actor, source=source):
            report.updated.append(node.code)
        elif node.code not in report.moved:
            report.unchanged.append(node.code)
    report.warnings = advisory_warnings([operations.get_org(n.code) for n in nodes], today=today)
    return report


def import_yaml(
    text: str,
    *,
    sectors: set[str],
    themes: set[str],
    actor=None,
    today=None,
    source: str = "import",
) -> ImportReport:
    """Validate the whole file, then write it; nothing is written when any problem is found.

    Every check runs before the first write. Should a write still be refused, the
    :class:`ImportRejected` leaves the unit of work to its caller, which rolls it back as every
    command and request does on a :class:`UserError`. (No savepoint here: with pysqlite, a
    SAVEPOINT that opens the transaction is committed by its RELEASE, so a dry run that rolls
    back afterwards would have written on SQLite.)
    """
    nodes = parse(text, sectors=sectors, themes=themes)
    return apply(nodes, actor=actor, today=today, source=source)


# --- advisory checks (ORG-3) -----------------------------------------------------------------

TERM_YEARS_LONG = 5  # village and community organisations
TERM_YEARS = 3
TERM_REMINDER_DAYS = 90


def advisory_warnings(orgs: list[Organisation], *, today: date | None = None) -> list[str]:
    """ORG-3 checks, as warnings (they never block an import)."""
    today = today or date.today()
    warnings = []
    for org in orgs:
        n = org.full_members
        if org.type_code in codelists.BRANCH_TYPES and n is not None:
            if n < 3:
                warnings.append(
                    f"{org.code}: a branch needs at least 3 full members ({n} recorded)."
                )
            elif n > 50:
                warnings.append(
                    f"{org.code}: a branch normally has at most 50 full members "
                    f"({n} recorded); consider a general branch."
                )
        if org.type_code in codelists.COMMITTEE_TYPES and n is not None and n < 7:
            warnings.append(
                f"{org.code}: a committee is expected to have 7 or more members ({n} recorded)."
            )
        if org.founded_on and org.term_ends_on:
            years = TERM_YEARS_LONG if org.sector in ("village", "community") else TERM_YEARS
            expected = (
                org.founded_on.replace(year=org.founded_on.year + years)
                if not (org.founded_on.month == 2 and org.founded_on.day == 29)
                else org.founded_on + timedelta(days=365 * years)
            )
            if abs((org.term_ends_on - expected).days) > 31:
                warnings.append(
                    f"{org.code}: the term should last {years} years (from {org.founded_on} "
                    f"to about {expected}, recorded {org.term_ends_on})."
                )
        if org.term_ends_on:
            left = (org.term_ends_on - today).days
            if left < 0:
                warnings.append(
                    f"{org.code}: the term ended on {org.term_ends_on}; the election is overdue."
                )
            elif left <= TERM_REMINDER_DAYS:
                warnings.append(
                    f"{org.code}: the term ends on {org.term_ends_on} ({left} days); "
                    "prepare the election."
                )
    return warnings


# --- export ----------------------------------------------------------------------------------


def _export_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _export_value(v)
        return out
    if isinstance(value, list):
        return [_export_value(v) for v in value]
    return value


def _export_org(org: Organisation, kids: list, *, parent_code: str | None) -> CommentedMap:
    out = CommentedMap()
    out["code"] = org.code
    if parent_code:
        out["parent"] = parent_code
    for key, attr in FIELD_MAP.items():
        value = getattr(org, attr)
        if value in (None, {}, []) and key not in ("type", "names"):
            continue
        out[key] = _export_value(value)
    if kids:
        out["children"] = [_export_org(child, grand, parent_code=None) for child, grand in kids]
    return out


def export_yaml(root: Organisation | None = None) -> str:
    """The tree under ``root`` (or every hosted county) as a YAML document ``import_yaml`` takes."""
    if root is None:
        nodes = list(db.session.scalars(select(Organisation)))
        parents: dict[int, str] = {}
    else:
        nodes = hierarchy.subtree(root)
        parents = {root.id: hierarchy.ancestors(root)[-1].code} if root.parent_id else {}
    doc = CommentedMap()
    doc["organisations"] = [
        _export_org(org, kids, parent_code=parents.get(org.id))
        for org, kids in hierarchy.build_tree(nodes)
    ]
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()
