"""A county's branding: its display name per language, its emblem and its two colours.

:func:`save` is the one writer of the form (with :func:`remove_emblem` and
:func:`reset_colours`); each checks what it is given, changes the county's
:class:`~core.appearance.models.CountyAppearance` row, audits the change field by field and
announces it (``events.appearance_changed``: the portal's response cache forgets the county's
pages). Nothing is written when anything is refused.

* **Display name.** Per language; Chinese required; at most
  :data:`~core.appearance.models.NAME_MAX` characters. A language left empty shows the county's
  own name in that language.
* **Emblem.** PNG or JPEG only (told by the file's signature, never its name), at most
  :data:`EMBLEM_MAX_BYTES` bytes and :data:`EMBLEM_MAX_PIXELS` pixels; decoded, stripped of its
  metadata and re-encoded (:func:`core.images.clean`), scaled down to :data:`EMBLEM_SIDE` pixels.
  The stored file is content-addressed (:mod:`core.storage`) and is never deleted: removing the
  emblem only clears the row (an older entry of the audit log names its digest).
* **Colours** (``#rrggbb``, each optional: an empty one keeps the theme's). The header's text
  (:data:`HEADER_TEXT`) on the primary colour, and links in the accent colour on every page
  background of the installed themes (:data:`PAGE_BACKGROUNDS`), keep the contrast of WCAG 2.1
  AA (:data:`core.appearance.contrast.AA`, 4.5:1); a colour below it is refused with the ratio
  measured.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext
from sqlalchemy import select

from core import audit, db, events, images
from core.appearance import contrast
from core.appearance.models import NAME_MAX, CountyAppearance
from core.config import SUPPORTED_LOCALES
from core.errors import UserError
from core.storage import storage
from tenants.models import Organisation

EMBLEM_MAX_BYTES = 2 * 1024 * 1024
EMBLEM_MAX_PIXELS = 16_000_000
EMBLEM_SIDE = 512
EMBLEM_FORMATS = {"image/png", "image/jpeg"}
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

HEADER_TEXT = "#ffffff"
"""The colour of the header's text and links, which stand on the primary colour."""
PAGE_BACKGROUNDS = ("#ffffff", "#fafafa", "#fffaf0")
"""Where links stand: panels (white) and the page background of each installed theme (base,
classic; tests/test_branding.py checks this list against the themes' style sheets)."""


def county_of(org: Organisation) -> int:
    return org.root_id or org.id


def of(org: Organisation) -> CountyAppearance | None:
    """The branding of ``org``'s county (the same for every unit of its subtree), or None."""
    return db.session.scalar(
        select(CountyAppearance).where(CountyAppearance.org_id == county_of(org))
    )


def _snapshot(row: CountyAppearance | None) -> dict:
    if row is None:
        return {}
    return {
        "display_names": dict(sorted((row.display_names or {}).items())),
        "primary_colour": row.primary_colour,
        "accent_colour": row.accent_colour,
        "emblem_sha256": row.sha256,
    }


def _row(county: Organisation) -> CountyAppearance:
    if not county.is_root:
        raise UserError(gettext("Only a county sets the branding of its pages."))
    row = of(county)
    if row is None:
        row = CountyAppearance(org_id=county.id, display_names={})
        db.session.add(row)
    return row


def _finish(row: CountyAppearance, before: dict, county: Organisation, actor) -> bool:
    after = _snapshot(row)
    delta = audit.diff(before, after)
    if not delta:
        return False
    row.updated_by_id = getattr(actor, "id", None)
    row.updated_at = db.utcnow()
    db.session.flush()
    audit.log("appearance.branding", "county_appearance", row.id, org_id=county.id,
              actor=actor, changes=delta)  # fmt: skip
    events.appearance_changed.send(row)
    return True


def check_colours(primary: str | None, accent: str | None) -> list[str]:
    """The problems of a pair of colours (``"field: message"``), empty when both may be used."""
    problems = []
    for name, value in (("primary", primary), ("accent", accent)):
        if value and not contrast.HEX.fullmatch(value):
            problems.append(
                name
                + ": "
                + gettext("Give the colour as # and six hexadecimal digits, e.g. #9b111e.")
            )
    if problems:
        return problems
    if primary:
        measured = contrast.ratio(HEADER_TEXT, primary)
        if measured < contrast.AA:
            problems.append(
                "primary: "
                + gettext(
                    "The header's white text on this colour has a contrast of %(ratio)s:1; at "
                    "least %(least)s:1 is needed. Choose a darker colour.",
                    ratio=contrast.shown(measured),
                    least=contrast.AA,
                )
            )
    if accent:
        measured = min(contrast.ratio(accent, bg) for bg in PAGE_BACKGROUNDS)
        if measured < contrast.AA:
            problems.append(
                "accent: "
                + gettext(
                    "Links in this colour have a contrast of %(ratio)s:1 on the page background; "
                    "at least %(least)s:1 is needed. Choose a darker colour.",
                    ratio=contrast.shown(measured),
                    least=contrast.AA,
                )
            )
    return problems


def clean_emblem(data: bytes) -> images.CleanImage:
    """The uploaded emblem checked and re-encoded; :class:`UserError` when it may not be used."""
    if not data:
        raise UserError(gettext("The file is empty."))
    if len(data) > EMBLEM_MAX_BYTES:
        raise UserError(
            gettext(
                "The emblem is larger than %(size)s MB: save it smaller.",
                size=EMBLEM_MAX_BYTES // (1024 * 1024),
            )
        )
    if not data.startswith(_SIGNATURES):
        raise UserError(gettext("The emblem must be a picture in PNG or JPEG format."))
    picture = images.clean(data, max_side=EMBLEM_SIDE, max_pixels=EMBLEM_MAX_PIXELS)
    if picture.content_type not in EMBLEM_FORMATS:  # the signature said otherwise: refuse
        raise UserError(gettext("The emblem must be a picture in PNG or JPEG format."))
    return picture


def save(
    county: Organisation,
    *,
    names: dict[str, str],
    primary: str | None,
    accent: str | None,
    emblem: bytes | None = None,
    actor=None,
) -> bool:
    """Set ``county``'s display names (``{locale: text}``; Chinese required), colours (None or
    empty: the theme's) and, when given, a new emblem. True when anything changed; refused
    (:class:`UserError`, problems naming the fields) with nothing written."""
    problems = []
    names = {loc: (names.get(loc) or "").strip() for loc in SUPPORTED_LOCALES}
    if not names.get("zh_Hans_CN"):
        problems.append("display_name_zh_Hans_CN: " + gettext("Give the display name in Chinese."))
    for loc, value in names.items():
        if len(value) > NAME_MAX:
            problems.append(
                f"display_name_{loc}: "
                + gettext("A display name has at most %(count)s characters.", count=NAME_MAX)
            )
    primary = (primary or "").strip().lower() or None
    accent = (accent or "").strip().lower() or None
    problems += check_colours(primary, accent)
    picture = None
    if emblem is not None:
        try:
            picture = clean_emblem(emblem)
        except UserError as exc:
            problems.append("emblem: " + str(exc.message))
    if problems:
        raise UserError(gettext("The branding was not saved."), problems=problems)
    row = _row(county)
    before = _snapshot(row) if row.id is not None else {}
    row.display_names = {loc: v for loc, v in names.items() if v}
    row.primary_colour, row.accent_colour = primary, accent
    if picture is not None:
        row.storage_key = storage().put(picture.data, picture.suffix)
        row.emblem_type = picture.content_type
        row.emblem_width, row.emblem_height = picture.width, picture.height
        row.sha256 = hashlib.sha256(picture.data).hexdigest()
    return _finish(row, before, county, actor)


def remove_emblem(county: Organisation, *, actor=None) -> bool:
    """The header shows no emblem any more; True when there was one."""
    row = of(county) if county.is_root else None
    if row is None or row.storage_key is None:
        return False
    before = _snapshot(row)
    row.storage_key = row.emblem_type = row.sha256 = None
    row.emblem_width = row.emblem_height = None
    return _finish(row, before, county, actor)


def reset_colours(county: Organisation, *, actor=None) -> bool:
    """The pages take the theme's colours again; True when the county had its own."""
    row = of(county) if county.is_root else None
    if row is None or not row.has_colours:
        return False
    before = _snapshot(row)
    row.primary_colour = row.accent_colour = None
    return _finish(row, before, county, actor)


def emblem(row: CountyAppearance) -> bytes:
    return storage().open(row.storage_key)
