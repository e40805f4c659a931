"""Catalogue import and export: YAML and XLSX (many units keep their catalogue in Excel).

YAML::

    catalogue:
      categories:
        - key: resolutions                   # stable key, a-z0-9._-
          titles: {zh_Hans_CN: 党的决议、决定及执行情况, en: ...}
          code_2010: "1"                     # optional: the eight 2010 categories ("1".."8")
          code_2017: "1"                     # optional: the seven 2017 grassroots items ("1".."7")
          children: [...]                    # optional nested categories
          entries:
            - key: resolutions.major
              titles: {zh_Hans_CN: ..., en: ...}
              content: {zh_Hans_CN: ...}
              scope: public                  # public | party_wide | unit | specific
              channels: [notice_board, website]  # codes of the code list "channel"
              cadence: on_progress           # standing | monthly | ... | immediate
              due_days: 10                   # optional
              notice_days: 7                 # optional
              responsible: 支部书记
              mandatory: true                # honoured in templates only
              item_type: null                # optional

XLSX: a workbook with the sheets ``categories`` and ``entries`` (columns :data:`CATEGORY_COLUMNS`
and :data:`ENTRY_COLUMNS`, header row first; ``channels`` comma-separated, ``mandatory`` yes/no).

An import replaces the whole content of a *draft* version. The file is validated as a whole first
(every problem with its place: ``line N, field: ...`` or ``sheet entries, row N, column scope: ...``
for a workbook) and nothing is written unless there are none. In a unit draft an entry whose key is
the key of a template entry *is* that template entry: it gets its ``template_key``, and
``mandatory`` comes from the template (and sector plugins' sections), never from the file; a file
that lacks a mandatory template entry is rejected (CAT-3).

Writing keeps categories and entries matched by key (their ids stay), so an import that changes
nothing writes nothing, not even an audit entry; any change writes one ``catalogue.import`` audit
entry listing the keys added, changed and removed. Export → import → export gives the same output
(byte for byte, XLSX included: the workbook carries no timestamps).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import escape
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from core import audit, db, spreadsheets
from core.catalogue import labels
from core.catalogue import operations as ops
from core.catalogue.models import CatalogueVersion, Category, Entry
from core.config import SUPPORTED_LOCALES
from core.errors import Problem, UserError
from core.i18n import _

CODES_2010 = tuple(str(n) for n in range(1, 9))  # the eight categories of 2010 (CAT-4)
CODES_2017 = tuple(str(n) for n in range(1, 8))  # the seven grassroots items of 2017 (CAT-4)
CATEGORY_FIELDS = ("key", "titles", "code_2010", "code_2017", "children", "entries")
ENTRY_KEYS = ("key", *ops.ENTRY_FIELDS)

CATEGORY_COLUMNS = (
    "key",
    "parent_key",
    *(f"title_{loc}" for loc in SUPPORTED_LOCALES),
    "code_2010",
    "code_2017",
)
ENTRY_COLUMNS = (
    "key",
    "category_key",
    *(f"title_{loc}" for loc in SUPPORTED_LOCALES),
    *(f"content_{loc}" for loc in SUPPORTED_LOCALES),
    "scope",
    "channels",
    "cadence",
    "due_days",
    "notice_days",
    "responsible",
    "mandatory",
    "item_type",
)
REQUIRED_COLUMNS = {
    "categories": ("key", "parent_key", "title_zh_Hans_CN"),
    "entries": (
        "key",
        "category_key",
        "title_zh_Hans_CN",
        "content_zh_Hans_CN",
        "scope",
        "channels",
        "cadence",
        "responsible",
    ),
}
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}
"""The formats of a catalogue file, by the ending of its name."""
FIXED_TIME = datetime(1980, 1, 1)  # the zip epoch: exports carry no time of their own
YES = ("yes", "y", "true", "1", "是")
NO = ("no", "n", "false", "0", "否", "")


class ImportRejected(UserError):
    """The file was rejected as a whole; ``problems`` lists every one with its place
    (:class:`FileProblem`, in file order)."""


REJECTED = _("The file was rejected; nothing was imported.")
NOT_YAML = _("The file is not valid YAML; nothing was imported.")


@dataclass(frozen=True)
class Place:
    """Where in the file a problem is: ``text`` in words (a translation: "line 12, titles.fr",
    "sheet entries, row 4, column scope"; the field and column names as the file has them) and
    ``order``, its place in the file (problems are listed in file order)."""

    text: Any
    order: tuple[int, int] = (0, 0)

    def __str__(self) -> str:
        return str(self.text)


class FileProblem(Problem):
    """A problem of an imported file: where it is (``field``: the place in words) and the
    message, both translations made when they are read; ``order`` sorts problems into file
    order without reading their (translated) text. ``str()`` is "place: message" in the
    reader's language, and a page shows the same (the place is what the reader needs)."""

    __slots__ = ("order",)

    def __init__(self, where: Place, message: Any):
        super().__init__(where.text, message)
        self.order = where.order

    def __str__(self) -> str:
        return str(_("%(place)s: %(problem)s", place=self.field, problem=self.message))

    def __repr__(self) -> str:
        return f"FileProblem({str(self)!r})"

    def __html__(self) -> str:
        return str(escape(str(self)))


FILE = Place(_("file"))
SHEETS = {"categories": 1, "entries": 2}  # the order of the workbook's sheets


@dataclass
class ImportResult:
    categories_added: list[str] = field(default_factory=list)
    categories_changed: list[str] = field(default_factory=list)
    categories_removed: list[str] = field(default_factory=list)
    entries_added: list[str] = field(default_factory=list)
    entries_changed: list[str] = field(default_factory=list)
    entries_removed: list[str] = field(default_factory=list)
    reordered: list[str] = field(default_factory=list)  # keys whose only change is their place

    @property
    def changed(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)

    def summary(self) -> Any:
        """What the import changed, in words (a translation made when it is read)."""
        if not self.changed:
            return _("Nothing changed: the draft already has this content.")
        return _(
            "entries: %(entries_added)s added, %(entries_changed)s changed, %(entries_removed)s "
            "removed; categories: %(categories_added)s added, %(categories_changed)s changed, "
            "%(categories_removed)s removed; %(moved)s moved among siblings.",
            **{name: len(getattr(self, name)) for name in self.__dataclass_fields__
               if name != "reordered"},
            moved=len(self.reordered),
        )  # fmt: skip


# --- export ----------------------------------------------------------------------------------


def _texts_out(texts: dict[str, str] | None) -> dict[str, str]:
    texts = texts or {}
    ordered = [loc for loc in SUPPORTED_LOCALES if texts.get(loc)]
    return {loc: texts[loc] for loc in [*ordered, *sorted(set(texts) - set(ordered))] if texts[loc]}


def _flow(mapping: dict) -> CommentedMap:
    out = CommentedMap(mapping)
    out.fa.set_flow_style()
    return out


def _flow_seq(items: list) -> CommentedSeq:
    out = CommentedSeq(items)
    out.fa.set_flow_style()
    return out


def _entry_out(entry: Entry) -> CommentedMap:
    out = CommentedMap()
    out["key"] = entry.key
    out["titles"] = _flow(_texts_out(entry.titles))
    out["content"] = _flow(_texts_out(entry.content))
    out["scope"] = entry.scope
    out["channels"] = _flow_seq(list(entry.channels or []))
    out["cadence"] = entry.cadence
    for name in ("due_days", "notice_days"):
        if getattr(entry, name) is not None:
            out[name] = getattr(entry, name)
    out["responsible"] = entry.responsible
    out["mandatory"] = bool(entry.mandatory)
    if entry.item_type:
        out["item_type"] = entry.item_type
    return out


def _category_out(node: ops.CategoryNode) -> CommentedMap:
    cat = node.category
    out = CommentedMap()
    out["key"] = cat.key
    out["titles"] = _flow(_texts_out(cat.titles))
    for name in ("code_2010", "code_2017"):
        if getattr(cat, name):
            out[name] = getattr(cat, name)
    if node.children:
        out["children"] = [_category_out(child) for child in node.children]
    if node.entries:
        out["entries"] = [_entry_out(entry) for entry in node.entries]
    return out


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def export_yaml(version: CatalogueVersion) -> str:
    """The content of ``version`` as a YAML document that :func:`import_yaml` takes."""
    doc = CommentedMap()
    doc["catalogue"] = CommentedMap(categories=[_category_out(n) for n in ops.tree(version)])
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def _walk(nodes: list[ops.CategoryNode], parent: Category | None = None):
    for node in nodes:
        yield node, parent
        yield from _walk(node.children, node.category)


def _sheet(wb, title: str, columns: tuple[str, ...], rows: list[list[Any]]):
    ws = wb.create_sheet(title)
    spreadsheets.write_sheet(ws, columns, rows)  # the one writer: formulas neutralised
    return ws


def _choices(ws, column: str, values: Iterable[str], rows: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(ENTRY_COLUMNS.index(column) + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{max(rows + 1, 2) + 200}")


class _StableZip(zipfile.ZipFile):
    """Zip members with a fixed date, so that the same catalogue gives the same bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=(1980, 1, 1, 0, 0, 0))
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each worksheet from a temporary file, whose time ``ZipFile.write``
        # would record (two exports on either side of a 2-second step differed)
        with open(filename, "rb") as f:
            self.writestr(str(arcname or filename), f.read(), compress_type, compresslevel)


def export_xlsx(version: CatalogueVersion) -> bytes:
    """The content of ``version`` as an XLSX workbook that :func:`import_xlsx` takes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    cat_rows, entry_rows = [], []
    for node, parent in _walk(ops.tree(version)):
        cat = node.category
        titles = cat.titles or {}
        cat_rows.append(
            [
                cat.key,
                parent.key if parent else None,
                *(titles.get(loc) for loc in SUPPORTED_LOCALES),
                cat.code_2010,
                cat.code_2017,
            ]
        )
        for e in node.entries:
            entry_rows.append(
                [
                    e.key,
                    cat.key,
                    *((e.titles or {}).get(loc) for loc in SUPPORTED_LOCALES),
                    *((e.content or {}).get(loc) for loc in SUPPORTED_LOCALES),
                    e.scope,
                    ", ".join(e.channels or []),
                    e.cadence,
                    e.due_days,
                    e.notice_days,
                    e.responsible,
                    "yes" if e.mandatory else "no",
                    e.item_type,
                ]
            )
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "categories", CATEGORY_COLUMNS, cat_rows)
    ws = _sheet(wb, "entries", ENTRY_COLUMNS, entry_rows)
    from core.catalogue.models import CADENCES, SCOPES

    _choices(ws, "scope", SCOPES, len(entry_rows))
    _choices(ws, "cadence", CADENCES, len(entry_rows))
    _choices(ws, "mandatory", ("yes", "no"), len(entry_rows))
    wb.properties.created = wb.properties.modified = FIXED_TIME  # same catalogue, same bytes
    wb.properties.creator = "Gongkai"
    buf = io.BytesIO()
    with _StableZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return buf.getvalue()


# --- reading files ---------------------------------------------------------------------------


def _line_place(line: int | None, path: str) -> Place:
    """``line N, field`` of the YAML file (the field as the file names it)."""
    line = line or 1
    return Place(_("line %(line)s, %(field)s", line=line, field=path), (0, line))


def _sheet_place(sheet: str, *, row: int | None = None, column: str | None = None) -> Place:
    """``sheet S[, row R][, column C]`` of the workbook (sheet and column as the file names
    them)."""
    order = (SHEETS.get(sheet, 0), row or 0)
    if row is not None and column is not None:
        text = _("sheet %(sheet)s, row %(row)s, column %(column)s", sheet=sheet, row=row,
                 column=column)  # fmt: skip
    elif row is not None:
        text = _("sheet %(sheet)s, row %(row)s", sheet=sheet, row=row)
    elif column is not None:
        text = _("sheet %(sheet)s, column %(column)s", sheet=sheet, column=column)
    else:
        text = _("sheet %(sheet)s", sheet=sheet)
    return Place(text, order)


class _YamlPlace:
    """Where a field of one mapping of the YAML file is: ``line N, field``."""

    def __init__(self, mapping):
        self.mapping = mapping

    def ref(self) -> Any:
        return _("line %(line)s", line=_line(self.mapping))

    def at(self, path: str) -> Place:
        node, line = self.mapping, _line(self.mapping)
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                break
            line = _line(node, part) or line
            node = node[part]
        return _line_place(line, path)


class _SheetPlace:
    """Where a cell of the workbook is: ``sheet entries, row N, column scope``."""

    def __init__(self, sheet: str, row: int):
        self.sheet, self.row = sheet, row

    def ref(self) -> Any:
        return _("row %(row)s", row=self.row)

    def at(self, path: str) -> Place:
        root, _dot, sub = path.partition(".")
        column = {"titles": "title", "content": "content"}.get(root)
        column = f"{column}_{sub or 'zh_Hans_CN'}" if column else root
        return _sheet_place(self.sheet, row=self.row, column=column)


class _SheetRoot:
    """The workbook as a whole, for problems that have no row (an entry that is missing)."""

    def at(self, path: str) -> Place:
        return _sheet_place("entries")


@dataclass
class _RawCategory:
    key: Any
    parent_key: Any
    titles: Any
    code_2010: Any
    code_2017: Any
    place: Any


@dataclass
class _RawEntry:
    key: Any
    category_key: Any
    data: dict[str, Any]
    place: Any


@dataclass
class _Parsed:
    categories: list[_RawCategory] = field(default_factory=list)
    entries: list[_RawEntry] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    root: Any = None  # the place of the whole catalogue (for problems that have no line or row)


def _line(container, key=None) -> int | None:
    try:
        if key is None:
            return container.lc.line + 1
        if isinstance(container, CommentedSeq):
            return container.lc.item(key)[0] + 1
        return container.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


class _Constructor(RoundTripConstructor):
    """Dates stay text while loading, so that a date-like title is text, not a crash."""


_Constructor.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda constructor, node: constructor.construct_scalar(node)
)


def _scalar(value: Any) -> Any:
    """Plain Python values (ruamel returns subclasses of str, int, ... that keep their style)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else float(value)
    if isinstance(value, dict):
        return {str(k): _scalar(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    return value


def _parse_yaml(text: str) -> _Parsed:
    parsed = _Parsed()
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        doc = yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ImportRejected(
            NOT_YAML, problems=[_not_yaml(mark.line + 1 if mark else 1, problem)]
        ) from None
    except ValueError as exc:  # a value YAML itself cannot build
        raise ImportRejected(NOT_YAML, problems=[_not_yaml(1, exc)]) from None
    root = doc.get("catalogue") if isinstance(doc, dict) else None
    if not isinstance(root, dict) or not isinstance(root.get("categories"), list):
        where = _line(doc, "catalogue") if isinstance(doc, dict) and "catalogue" in doc else 1
        message = _("the file must have a mapping “catalogue” with a list “categories”")
        raise ImportRejected(
            REJECTED, problems=[FileProblem(_line_place(where, "catalogue"), message)]
        )
    parsed.root = _YamlPlace(root)
    for key in doc:
        if key != "catalogue":
            parsed.problems.append(
                FileProblem(_line_place(_line(doc, key), str(key)), _("unknown field"))
            )
    for key in root:
        if key != "categories":
            place = _line_place(_line(root, key), f"catalogue.{key}")
            parsed.problems.append(FileProblem(place, _("unknown field")))
    _yaml_categories(root["categories"], None, parsed)
    return parsed


def _yaml_categories(items, parent_key, parsed: _Parsed) -> None:
    for i, m in enumerate(items):
        if not isinstance(m, dict):
            parsed.problems.append(
                FileProblem(
                    _line_place(_line(items, i), "categories"),
                    _("each category must be a mapping of fields"),
                )
            )
            continue
        place = _YamlPlace(m)
        for key in m:
            if key not in CATEGORY_FIELDS:
                parsed.problems.append(_unknown_field(place.at(str(key)), CATEGORY_FIELDS))
        parsed.categories.append(
            _RawCategory(
                _scalar(m.get("key")),
                parent_key,
                _scalar(m.get("titles")),
                _scalar(m.get("code_2010")),
                _scalar(m.get("code_2017")),
                place,
            )
        )
        key = _scalar(m.get("key"))
        for name in ("children", "entries"):
            if m.get(name) is not None and not isinstance(m.get(name), list):
                parsed.problems.append(FileProblem(place.at(name), _("must be a list")))
        if isinstance(m.get("children"), list):
            _yaml_categories(m["children"], key, parsed)
        if isinstance(m.get("entries"), list):
            _yaml_entries(m["entries"], key, parsed)


def _yaml_entries(items, category_key, parsed: _Parsed) -> None:
    for i, m in enumerate(items):
        if not isinstance(m, dict):
            parsed.problems.append(
                FileProblem(
                    _line_place(_line(items, i), "entries"),
                    _("each entry must be a mapping of fields"),
                )
            )
            continue
        place = _YamlPlace(m)
        data: dict[str, Any] = {}
        for key in m:
            if key not in ENTRY_KEYS:
                parsed.problems.append(_unknown_field(place.at(str(key)), ENTRY_KEYS))
            elif key != "key":
                data[key] = _scalar(m[key])
        mandatory = data.get("mandatory", False)
        if mandatory is None:
            data["mandatory"] = False
        elif not isinstance(mandatory, bool):
            parsed.problems.append(FileProblem(place.at("mandatory"), _("must be true or false")))
            data["mandatory"] = False
        parsed.entries.append(_RawEntry(_scalar(m.get("key")), category_key, data, place))


def _not_yaml(line: int, detail: Any) -> FileProblem:
    """The place where the YAML parser stopped; its own explanation (English, from the
    library) is quoted as it is."""
    return FileProblem(
        _line_place(line, "yaml"),
        _("this is not valid YAML (check the indentation, colons and brackets here and on the "
          "line before; the parser says: %(detail)s)", detail=str(detail)),
    )  # fmt: skip


def _unknown_field(where: Place, allowed: Iterable[str]) -> FileProblem:
    return FileProblem(where, _("unknown field (allowed: %(fields)s)", fields=", ".join(allowed)))


def _text_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(spreadsheets.restore(value)).strip()  # our export's neutralised formulas


def _parse_xlsx(data: bytes) -> _Parsed:
    from openpyxl import load_workbook

    parsed = _Parsed(root=_SheetRoot())
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a file that is not a workbook
        raise ImportRejected(
            _("The file is not an XLSX workbook; nothing was imported."),
            problems=[
                FileProblem(
                    FILE,
                    _("it cannot be read as a workbook (%(error)s)", error=type(exc).__name__),
                )
            ],
        ) from None
    sheets = {}
    for name in ("categories", "entries"):
        if name not in wb.sheetnames:
            parsed.problems.append(FileProblem(_sheet_place(name), _("the sheet is missing")))
            continue
        rows = list(wb[name].iter_rows(values_only=True))
        header = [_text_cell(v) for v in (rows[0] if rows else ())]
        known = CATEGORY_COLUMNS if name == "categories" else ENTRY_COLUMNS
        columns: dict[str, int] = {}
        for i, title in enumerate(header):
            if not title:
                continue
            where = _sheet_place(name, column=title)
            if title not in known:
                parsed.problems.append(
                    FileProblem(where, _("unknown column (known: %(columns)s)",
                                         columns=", ".join(known)))
                )  # fmt: skip
            elif title in columns:
                parsed.problems.append(FileProblem(where, _("the column appears twice")))
            else:
                columns[title] = i
        for title in REQUIRED_COLUMNS[name]:
            if title not in columns:
                parsed.problems.append(
                    FileProblem(_sheet_place(name, column=title), _("the column is missing"))
                )
        sheets[name] = (columns, rows[1:])
    wb.close()
    if parsed.problems:  # without its sheets and columns, the rows cannot be read
        raise ImportRejected(REJECTED, problems=parsed.problems)
    for name, (columns, rows) in sheets.items():
        for number, row in enumerate(rows, start=2):
            if all(v is None or _text_cell(v) == "" for v in row):
                continue

            def get(col, row=row, columns=columns):
                i = columns.get(col)
                return row[i] if i is not None and i < len(row) else None

            place = _SheetPlace(name, number)
            titles = {loc: _text_cell(get(f"title_{loc}")) for loc in SUPPORTED_LOCALES}
            if name == "categories":
                parsed.categories.append(
                    _RawCategory(
                        _text_cell(get("key")),
                        _text_cell(get("parent_key")) or None,
                        titles,
                        _text_cell(get("code_2010")) or None,
                        _text_cell(get("code_2017")) or None,
                        place,
                    )
                )
                continue
            mandatory = _text_cell(get("mandatory")).lower()
            if mandatory not in YES + NO:
                parsed.problems.append(
                    FileProblem(
                        place.at("mandatory"), _("“%(value)s” is not yes or no", value=mandatory)
                    )
                )
            entry = {
                "titles": titles,
                "content": {loc: _text_cell(get(f"content_{loc}")) for loc in SUPPORTED_LOCALES},
                "scope": _text_cell(get("scope")) or None,
                "channels": _text_cell(get("channels")),
                "cadence": _text_cell(get("cadence")) or None,
                "due_days": _text_cell(get("due_days")) or None,
                "notice_days": _text_cell(get("notice_days")) or None,
                "responsible": _text_cell(get("responsible")),
                "mandatory": mandatory in YES,
                "item_type": _text_cell(get("item_type")) or None,
            }
            parsed.entries.append(
                _RawEntry(_text_cell(get("key")), _text_cell(get("category_key")), entry, place)
            )
    return parsed


# --- validation ------------------------------------------------------------------------------


@dataclass
class _CleanCategory:
    key: str
    parent_key: str | None
    titles: dict[str, str]
    code_2010: str | None
    code_2017: str | None
    position: int = 0


@dataclass
class _CleanEntry:
    key: str
    category_key: str
    fields: dict[str, Any]
    template_key: str | None
    position: int = 0


KEY_REQUIRED = {
    "category": _("the category key is required"),
    "entry": _("the entry key is required"),
}


def _key(value: Any, what: str, place, problems: list[FileProblem]) -> str | None:
    if value is None or value == "":
        problems.append(FileProblem(place.at("key"), KEY_REQUIRED[what]))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(FileProblem(place.at("key"), _("must be text")))
        return None
    key = str(value).strip()
    if not ops.KEY_PATTERN.match(key):
        problems.append(
            FileProblem(
                place.at("key"),
                _("“%(key)s” is not a valid key (a-z, 0-9, “.”, “_”, “-”; at most 60 "
                  "characters)", key=key),
            )
        )  # fmt: skip
        return None
    return key


def _code(
    value: Any, name: str, allowed: tuple[str, ...], place, problems: list[FileProblem]
) -> str | None:
    if value is None or value == "":
        return None
    code = str(value).strip()
    if isinstance(value, bool) or code not in allowed:
        problems.append(
            FileProblem(
                place.at(name),
                _("“%(code)s” is not one of %(allowed)s", code=code, allowed=", ".join(allowed)),
            )
        )
        return None
    return code


def _located(place, problem) -> FileProblem:
    """``clean_entry`` says ``title.en: ...``; name the file's field and its place (the message
    stays a translation, printed in the operator's language: :mod:`core.cliutil`)."""
    if isinstance(problem, Problem):
        name, message = problem.field, problem.message
    else:
        name, _, message = str(problem).partition(": ")
    root, dot, rest = name.partition(".")
    path = {"title": "titles"}.get(root, root) + dot + rest
    return FileProblem(place.at(path), message)


def _template_entries(version: CatalogueVersion) -> dict[str, bool]:
    """``{key: mandatory}`` of the entries a unit draft derives from (template, sector sections)."""
    if version.kind == "template":
        return {}
    out: dict[str, bool] = {}
    if version.template_version_id is not None:
        template = db.session.get(CatalogueVersion, version.template_version_id)
        out.update({e.key: bool(e.mandatory) for e in ops.entries(template)})
    for section in ops.plugin_sections(version.organisation):
        for data in section.get("entries", []):
            out.setdefault(data["key"], bool(data.get("mandatory")))
    return out


def _validate(
    version: CatalogueVersion, parsed: _Parsed
) -> tuple[list[_CleanCategory], list[_CleanEntry]]:
    problems = parsed.problems
    org = version.organisation
    cats: list[_CleanCategory] = []
    places: dict[str, Any] = {}  # key: where the category is
    for raw in parsed.categories:
        key = _key(raw.key, "category", raw.place, problems)
        found: list[str] = []
        titles = ops.texts(raw.titles, "titles", found, required=True)
        problems += [_located(raw.place, p) for p in found]
        codes = (
            _code(raw.code_2010, "code_2010", CODES_2010, raw.place, problems),
            _code(raw.code_2017, "code_2017", CODES_2017, raw.place, problems),
        )
        if key is None:
            continue
        if key in places:
            problems.append(
                FileProblem(
                    raw.place.at("key"),
                    _("duplicate category key “%(key)s” (first at %(place)s)", key=key,
                      place=places[key].ref()),
                )
            )  # fmt: skip
            continue
        places[key] = raw.place
        parent_key = str(raw.parent_key).strip() if raw.parent_key not in (None, "") else None
        cats.append(_CleanCategory(key, parent_key, titles, *codes))
    by_key = {c.key: c for c in cats}
    for c in cats:
        if c.parent_key is not None and c.parent_key not in by_key:
            if isinstance(
                places[c.key], _SheetPlace
            ):  # in YAML the parent's own key is the problem
                message = _("unknown category “%(key)s”", key=c.parent_key)
                problems.append(FileProblem(places[c.key].at("parent_key"), message))
            c.parent_key = None
    cats = _parents_first(cats, places, problems)

    template = _template_entries(version)
    entries: list[_CleanEntry] = []
    seen: dict[str, Any] = {}  # key: where the entry is
    for raw in parsed.entries:
        key = _key(raw.key, "entry", raw.place, problems)
        category_key = str(raw.category_key).strip() if raw.category_key not in (None, "") else ""
        # (in YAML an entry sits in its category, whose own key problem is reported)
        if category_key not in by_key and isinstance(raw.place, _SheetPlace):
            message = (
                _("unknown category “%(key)s”", key=category_key)
                if category_key
                else _("the category key is required")
            )
            problems.append(FileProblem(raw.place.at("category_key"), message))
        data = dict(raw.data)
        channels = data.get("channels")
        bad_channels = channels is not None and not isinstance(channels, str | list)
        if bad_channels:
            problems.append(
                FileProblem(raw.place.at("channels"), _("must be a list of channel codes"))
            )
            data["channels"] = None
        elif isinstance(channels, list):
            data["channels"] = [str(c).strip() for c in channels if c is not None]
        item_type = data.get("item_type")
        if item_type is not None and (not isinstance(item_type, str) or len(item_type) > 60):
            problems.append(
                FileProblem(raw.place.at("item_type"), _("must be text of at most 60 characters"))
            )
            data["item_type"] = None
        clean, found = ops.clean_entry(data, org)
        problems += [
            _located(raw.place, p)
            for p in found
            if not (bad_channels and getattr(p, "field", None) == "channels")
        ]
        if key is None:
            continue
        if key in seen:
            problems.append(
                FileProblem(
                    raw.place.at("key"),
                    _("duplicate entry key “%(key)s” (first at %(place)s)", key=key,
                      place=seen[key].ref()),
                )
            )  # fmt: skip
            continue
        seen[key] = raw.place
        template_key = None
        if version.kind != "template":
            template_key = key if key in template else None
            clean["mandatory"] = template.get(key, False)  # only the template decides (CAT-3)
        entries.append(_CleanEntry(key, category_key, clean, template_key))
    for key, mandatory in template.items():
        if mandatory and key not in seen:
            problems.append(
                FileProblem(
                    parsed.root.at("entries"),
                    _("the mandatory template entry “%(key)s” is missing; it cannot be removed",
                      key=key),
                )  # CAT-3
            )  # fmt: skip
    if problems:
        problems.sort(key=lambda p: p.order)  # file order: by line, or by sheet and row
        raise ImportRejected(REJECTED, problems=problems)
    return cats, entries


def _parents_first(
    cats: list[_CleanCategory], places, problems: list[FileProblem]
) -> list[_CleanCategory]:
    """Order categories so that each comes after its parent (sibling order kept); report cycles."""
    done: dict[str, _CleanCategory] = {}
    pending = list(cats)
    while pending:
        ready = [c for c in pending if c.parent_key is None or c.parent_key in done]
        if not ready:
            for c in pending:
                problems.append(
                    FileProblem(
                        places[c.key].at("parent_key"),
                        _("the parents of “%(key)s” lead round in a circle and never reach a "
                          "top-level category", key=c.key),
                    )
                )  # fmt: skip
            break
        for c in ready:
            done[c.key] = c
        pending = [c for c in pending if c.key not in done]
    return list(done.values())


# --- writing ---------------------------------------------------------------------------------


def _number(items: list, group_of, old: dict[str, tuple[Any, int, int]]) -> None:
    """Positions: siblings in file order; a group whose order is unchanged keeps its numbers.

    ``old`` is ``{key: (group, position, id)}`` of the draft as it is.
    """
    groups: dict[Any, list] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append(item)
    for group, siblings in groups.items():
        current = sorted(
            (k for k, (g, _p, _i) in old.items() if g == group), key=lambda k: old[k][1:]
        )
        keep = [s.key for s in siblings] == current
        for i, s in enumerate(siblings):
            s.position = old[s.key][1] if keep else i


def _note(result: ImportResult, changed: list[str], key: str, before: dict, after: dict) -> bool:
    """Record ``key`` as changed (or only moved among its siblings); False when it stays as is."""
    if before == after:
        return False
    without_place = ({k: v for k, v in d.items() if k != "position"} for d in (before, after))
    (result.reordered if next(without_place) == next(without_place) else changed).append(key)
    return True


def _entry_state(e: Entry, category_key: str) -> dict[str, Any]:
    return {
        **{f: getattr(e, f) for f in ops.ENTRY_FIELDS},
        "category": category_key,
        "template_key": e.template_key,
        "position": e.position,
    }


def _replace(
    version: CatalogueVersion,
    cats: list[_CleanCategory],
    entries: list[_CleanEntry],
    *,
    fmt: str,
    actor=None,
) -> ImportResult:
    """Make the draft's content exactly the file's, matching categories and entries by key."""
    result = ImportResult()
    old_cats = {c.key: c for c in ops.categories(version)}
    key_of = {c.id: c.key for c in old_cats.values()}
    old_parent = {c.key: key_of.get(c.parent_id) for c in old_cats.values()}
    old_entries = {e.key: e for e in ops.entries(version)}
    new_cat_keys = {c.key for c in cats}
    new_entry_keys = {e.key for e in entries}
    _number(
        cats,
        lambda c: c.parent_key,
        {k: (old_parent[k], c.position, c.id) for k, c in old_cats.items()},
    )
    _number(
        entries,
        lambda e: e.category_key,
        {k: (key_of.get(e.category_id), e.position, e.id) for k, e in old_entries.items()},
    )

    # categories: create or update, parents first (``cats`` is in that order)
    ids: dict[str, int] = {}
    for c in cats:
        values = {
            "titles": c.titles,
            "code_2010": c.code_2010,
            "code_2017": c.code_2017,
            "position": c.position,
        }
        current = old_cats.get(c.key)
        if current is None:
            current = Category(
                version_id=version.id,
                key=c.key,
                **values,
                parent_id=ids[c.parent_key] if c.parent_key else None,
            )
            db.session.add(current)
            db.session.flush()
            result.categories_added.append(c.key)
        else:
            before = {n: getattr(current, n) for n in values} | {"parent": old_parent[c.key]}
            after = values | {"parent": c.parent_key}
            if _note(result, result.categories_changed, c.key, before, after):
                for name, value in values.items():
                    setattr(current, name, value)
                current.parent_id = ids[c.parent_key] if c.parent_key else None
        ids[c.key] = current.id

    # entries: create or update
    for e in entries:
        values = {**e.fields, "template_key": e.template_key, "position": e.position}
        current = old_entries.get(e.key)
        if current is None:
            db.session.add(
                Entry(version_id=version.id, key=e.key, category_id=ids[e.category_key], **values)
            )
            result.entries_added.append(e.key)
            continue
        before = _entry_state(current, key_of.get(current.category_id))
        after = values | {"category": e.category_key}
        if _note(result, result.entries_changed, e.key, before, after):
            for name, value in values.items():
                setattr(current, name, value)
            current.category_id = ids[e.category_key]
    db.session.flush()

    # removals: entries, then categories from the deepest up (kept children were moved above)
    for key in sorted(set(old_entries) - new_entry_keys):
        db.session.delete(old_entries[key])
        result.entries_removed.append(key)
    db.session.flush()

    def depth(key: str) -> int:
        n = 0
        while old_parent.get(key):
            key, n = old_parent[key], n + 1
        return n

    for key in sorted(set(old_cats) - new_cat_keys, key=lambda k: (-depth(k), k)):
        db.session.delete(old_cats[key])
        db.session.flush()
        result.categories_removed.append(key)

    if result.changed:
        changes = {
            name: [None, getattr(result, name)]
            for name in result.__dataclass_fields__
            if getattr(result, name)
        }
        audit.log(
            "catalogue.import",
            "catalogue_version",
            version.id,
            org_id=version.org_id,
            actor=actor,
            changes={"format": [None, fmt], **changes},
        )
    return result


def _require_draft(version: CatalogueVersion) -> None:
    if version.state != "draft":
        states = labels.TEMPLATE_STATES if version.kind == "template" else labels.STATES
        raise UserError(
            _("Only a draft can be replaced by an import; version %(number)s is “%(state)s”. "
              "Start a new draft (or reopen a returned one) first.", number=version.number,
              state=states.get(version.state, version.state))
        )  # fmt: skip


def import_yaml(version: CatalogueVersion, text: str, actor=None) -> ImportResult:
    """Replace the content of the draft ``version`` with the YAML ``text`` (all or nothing)."""
    _require_draft(version)
    cats, entries = _validate(version, _parse_yaml(text))
    return _replace(version, cats, entries, fmt="yaml", actor=actor)


def import_file(version: CatalogueVersion, name: str, data: bytes, actor=None) -> ImportResult:
    """Replace the content of the draft ``version`` with the file ``name`` (its format from
    the ending of its name: :data:`FORMATS`) holding ``data`` (all or nothing)."""
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        raise UserError(
            _("Cannot tell the format of %(file)s: name it .yaml, .yml or .xlsx.", file=name)
        )
    if fmt == "xlsx":
        return import_xlsx(version, data, actor=actor)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            _("The file is not UTF-8 text; nothing was imported."),
            problems=[
                FileProblem(
                    FILE,
                    _("byte %(position)s is not UTF-8 (save the file as UTF-8 text)",
                      position=exc.start),
                )
            ],
        ) from None  # fmt: skip
    return import_yaml(version, text, actor=actor)


def import_xlsx(version: CatalogueVersion, data: bytes, actor=None) -> ImportResult:
    """Replace the content of the draft ``version`` with the XLSX ``data`` (all or nothing)."""
    _require_draft(version)
    cats, entries = _validate(version, _parse_xlsx(data))
    return _replace(version, cats, entries, fmt="xlsx", actor=actor)
