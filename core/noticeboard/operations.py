"""Marking the printed board put up, with its photo; reading the postings of a unit and of the
units below a superior.

:func:`record` is the only writer: it checks the day and the photo (:func:`core.images.clean`:
re-encoded, EXIF and location stripped), stores the photo, adds the posting and audits it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy import func, select

from core import audit, db, images, localtime
from core.errors import UserError
from core.noticeboard.models import NOTE_MAX, BoardPosting
from core.portal import board
from core.storage import storage
from tenants import hierarchy
from tenants.models import Organisation

OLDEST_DAYS = 366
"""How far back a posting may be dated (a board put up more than a year ago is not evidence of
the current board)."""


def record(
    org: Organisation,
    *,
    posted_on: date | None,
    photo: tuple[str, bytes] | None,
    note: str | None = None,
    actor=None,
) -> BoardPosting:
    """Mark ``org``'s printed board as put up on ``posted_on`` with ``photo`` (``(filename,
    bytes)``). Refused (:class:`~core.errors.UserError`, problems naming the fields) when the day
    is in the future or more than :data:`OLDEST_DAYS` days ago, the photo is missing or is not
    an acceptable picture, or the note is too long."""
    problems = []
    today = localtime.today(org)
    if posted_on is None:
        problems.append("posted_on: " + gettext("Give the day the board was put up."))
    elif posted_on > today:
        problems.append(
            "posted_on: " + gettext("The day the board was put up cannot be later than today.")
        )
    elif posted_on < today - timedelta(days=OLDEST_DAYS):
        problems.append(
            "posted_on: "
            + gettext(
                "The day the board was put up is more than %(days)s days ago: photograph the "
                "board as it stands now.",
                days=OLDEST_DAYS,
            )
        )
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        problems.append(
            "note: " + gettext("The note has at most %(count)s characters.", count=NOTE_MAX)
        )
    picture = None
    if photo is None or not photo[1]:
        problems.append("photo: " + gettext("Attach a photo of the board as it was put up."))
    else:
        try:
            picture = images.clean(photo[1])
        except UserError as exc:
            problems.append("photo: " + exc.message)
    if problems:
        raise UserError(gettext("The posting of the board was not recorded."), problems=problems)
    assert picture is not None and posted_on is not None
    posting = BoardPosting(
        org_id=org.id,
        posted_on=posted_on,
        edition=board.edition(org, db.utcnow()),
        note=note,
        photo_key=storage().put(picture.data, picture.suffix),
        photo_type=picture.content_type,
        photo_width=picture.width,
        photo_height=picture.height,
        photo_size=len(picture.data),
        photo_sha256=hashlib.sha256(picture.data).hexdigest(),
        photo_taken_on=picture.taken_at.date() if picture.taken_at else None,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(posting)
    db.session.flush()
    audit.log(
        "noticeboard.posted",
        "board_posting",
        posting.id,
        org_id=org.id,
        actor=actor,
        changes={
            "posted_on": posted_on.isoformat(),
            "photo_sha256": posting.photo_sha256,
            "photo_taken_on": posting.photo_taken_on.isoformat()
            if posting.photo_taken_on
            else None,
        },
    )
    return posting


def postings(org: Organisation, limit: int = 50) -> list[BoardPosting]:
    """``org``'s postings, the latest day first."""
    query = (
        select(BoardPosting)
        .where(BoardPosting.org_id == org.id)
        .order_by(BoardPosting.posted_on.desc(), BoardPosting.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def posting(org: Organisation, posting_id: int) -> BoardPosting | None:
    """One posting of ``org`` (None for another organisation's)."""
    return db.session.scalar(
        select(BoardPosting).where(BoardPosting.id == posting_id, BoardPosting.org_id == org.id)
    )


def photo(posting: BoardPosting) -> bytes:
    return storage().open(posting.photo_key)


@dataclass(frozen=True)
class UnitBoard:
    """A unit below a superior and its latest posting (None: never marked)."""

    unit: Organisation
    latest: BoardPosting | None

    def age_days(self, today: date) -> int | None:
        return None if self.latest is None else (today - self.latest.posted_on).days


def units_below(org: Organisation) -> list[UnitBoard]:
    """Every unit below ``org`` with its latest posting, in the order of the tree (two queries)."""
    units = hierarchy.subtree(org, include_self=False)
    if not units:
        return []
    ranked = (
        select(
            BoardPosting.id,
            func.row_number()
            .over(
                partition_by=BoardPosting.org_id,
                order_by=(BoardPosting.posted_on.desc(), BoardPosting.id.desc()),
            )
            .label("rank"),
        )
        .where(BoardPosting.org_id.in_(hierarchy.subtree_ids_query(org)))
        .subquery()
    )
    latest = db.session.scalars(
        select(BoardPosting).where(
            BoardPosting.id.in_(select(ranked.c.id).where(ranked.c.rank == 1))
        )
    )
    by_org = {p.org_id: p for p in latest}
    return [UnitBoard(unit, by_org.get(unit.id)) for unit in units]
