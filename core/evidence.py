"""Evidence files (kernel): the photo or the document a unit gives to show that something is done.

An assessment's checklist point (五有: "a notice board" — a dated photo of it) and a campaign
stage's checklist take evidence the same way, so it lives here once:

* :func:`accept` checks an uploaded file by its content and returns what to store: a picture
  goes through :mod:`core.images` (signature, limits, re-encoded without metadata: no location
  leaves the building), a PDF is checked by its signature and size; any other file is refused.
* :class:`EvidenceFile` is the mixin of the tables that keep evidence (the stored file's key,
  type, size and digest, its original name, the day the photo was taken, a note, who gave it).
* :func:`response` serves a stored file: pictures inline, documents as downloads, never
  sniffed, never cached by a shared cache.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, send_file
from flask_babel import gettext
from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import db, images
from core.errors import UserError
from core.storage import storage

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_NOTE = 500
MAX_NAME = 200


@dataclass(frozen=True)
class Accepted:
    """A checked evidence file, ready to store: ``data`` is what is kept (a picture re-encoded)."""

    filename: str
    data: bytes
    content_type: str
    suffix: str
    taken_at: datetime | None  # a photo's own date (EXIF), if it has one

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:MAX_NAME] or "evidence"


def accept(filename: str, data: bytes) -> Accepted:
    """``data`` as evidence: a picture (JPEG, PNG, WebP; re-encoded without metadata) or a PDF,
    whatever its name says; :class:`core.errors.UserError` otherwise."""
    name = _name(filename)
    if not data:
        raise UserError(gettext("%(name)s: the file is empty.", name=name))
    if data.startswith(b"%PDF-"):
        if len(data) > MAX_DOCUMENT_BYTES:
            raise UserError(
                gettext(
                    "%(name)s: a document has at most %(size)s MB.",
                    name=name,
                    size=MAX_DOCUMENT_BYTES // (1024 * 1024),
                )
            )
        return Accepted(name, data, "application/pdf", ".pdf", None)
    try:
        picture = images.clean(data)
    except UserError as exc:
        raise UserError(
            gettext("%(name)s: %(problem)s", name=name, problem=exc.message)
            + " "
            + gettext("Evidence is a photo (JPEG, PNG, WebP) or a PDF document.")
        ) from None
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return Accepted(
        stem + picture.suffix, picture.data, picture.content_type, picture.suffix, picture.taken_at
    )


def check_day(taken_on: date | None, accepted: Accepted, today: date) -> tuple[date | None, str]:
    """The day a photo was taken — the day given, else the photo's own — and a problem ("" when
    none): a photo needs a day, and no day is in the future."""
    day = taken_on or (accepted.taken_at.date() if accepted.taken_at else None)
    if accepted.is_image and day is None:
        return None, gettext("Give the day the photo was taken (the photo does not say).")
    if day is not None and day > today:
        return None, gettext("The day the photo was taken cannot be in the future.")
    return day, ""


def accept_files(
    files, taken_on: date | None, today: date, problems: list[str], *, limit: int
) -> list[tuple[Accepted, date | None]]:
    """Each ``(filename, bytes)`` of ``files`` checked (:func:`accept`) and dated
    (:func:`check_day`): what to store, with the day each was taken; the problems are appended
    as ``"files: ..."`` and ``"taken_on: ..."`` (at most ``limit`` files)."""
    found = []
    if len(files) > limit:
        problems.append("files: " + gettext("at most %(n)s files", n=limit))
    for name, data in files[:limit]:
        try:
            accepted = accept(name, data)
        except UserError as exc:
            problems.append("files: " + exc.message)
            continue
        day, trouble = check_day(taken_on, accepted, today)
        if trouble:
            problems.append("taken_on: " + trouble)
        found.append((accepted, day))
    return found


class EvidenceFile:
    """Columns of a stored evidence file (a mixin of the tables that keep evidence)."""

    filename: Mapped[str] = mapped_column(String(MAX_NAME))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    taken_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=db.utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def fill(self, accepted: Accepted, *, taken_on: date | None, note: str | None, actor) -> None:
        """Store ``accepted`` and fill the columns (the caller adds and flushes the row)."""
        self.storage_key = storage().put(accepted.data, accepted.suffix)
        self.filename = accepted.filename
        self.content_type = accepted.content_type
        self.size = len(accepted.data)
        self.sha256 = hashlib.sha256(accepted.data).hexdigest()
        self.taken_on = taken_on
        self.note = (note or "").strip()[:MAX_NOTE] or None
        self.uploaded_by_id = getattr(actor, "id", None)


def response(row: EvidenceFile):
    """The stored file of ``row``: a picture inline, a document as a download (404 if gone)."""
    try:
        data = storage().open(row.storage_key)
    except (FileNotFoundError, ValueError):
        abort(404)
    answer = send_file(
        io.BytesIO(data),
        mimetype=row.content_type,
        as_attachment=not row.is_image,
        download_name=row.filename,
        etag=row.sha256,
        conditional=True,
        max_age=None,
    )
    answer.headers["Cache-Control"] = "private, no-store"
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer
