"""The printed board's evidence (issue 13): a unit marks the day its printed board was put up with
a photo; the photo is re-encoded with its location and camera details stripped (its date kept
beside it); the unit and its superiors see the postings, the county sees when each unit below
last put its board up; nobody else sees anything."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from core import db, localtime
from core.audit import AuditEntry
from core.errors import UserError
from core.noticeboard import operations as noticeboard
from core.noticeboard.models import BoardPosting
from tests.feedback_helpers import html, sign_in
from tests.items_helpers import build_world

PAGE = "/admin/o/it-unit/board"
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def photo(taken: str | None = "2026:12:01 09:30:00", *, fmt: str = "JPEG") -> bytes:
    """A photo as a phone writes it: camera make, the time it was taken and where (GPS)."""
    image = Image.new("RGB", (320, 240), (180, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if taken:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 28.0, 12.0), 3: "E", 4: (75.0, 59.0, 3.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def post(client, data: dict, *, path: str = PAGE):
    from core.plugins.testing import csrf_token

    token = csrf_token(client, path)
    return client.post(path, data={**data, "csrf_token": token}, content_type="multipart/form-data")


def today(w):
    return localtime.today(w["unit"])


def postings() -> list[BoardPosting]:
    db.session.rollback()
    return list(db.session.scalars(select(BoardPosting).order_by(BoardPosting.id)))


# --- marking the board -------------------------------------------------------------------------


def test_an_editor_marks_the_board_put_up_and_the_photo_loses_its_location(app, w):
    client = sign_in(app, "it-editor")
    day = today(w) - timedelta(days=2)
    original = photo()
    assert b"PhoneMaker" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    response = post(
        client,
        {
            "posted_on": day.isoformat(),
            "photo": (io.BytesIO(original), "IMG_0001.jpg"),
            "note": "幼儿园大门左侧",
        },
    )
    assert response.status_code == 302, html(response)
    [posting] = postings()
    assert (posting.posted_on, posting.note, posting.org_id) == (
        day,
        "幼儿园大门左侧",
        w["unit"].id,
    )
    assert posting.photo_taken_on == date(2026, 12, 1)  # kept as our data
    assert posting.recorded_by_id == w["editor"].id
    assert posting.edition is not None

    page = html(client.get(PAGE))
    assert "幼儿园大门左侧" in page
    served = client.get(f"{PAGE}/postings/{posting.id}/photo")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in served.headers["Cache-Control"]
    kept = Image.open(io.BytesIO(served.data))
    assert kept.size == (320, 240)
    assert not kept.getexif()  # no camera, no time, no GPS in the file we serve
    assert b"PhoneMaker" not in served.data
    assert "exif" not in kept.info
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "noticeboard.posted"))
    [entry] = list(audit)
    assert entry.actor_id == w["editor"].id and entry.org_id == w["unit"].id


def test_the_day_is_today_at_the_latest_and_a_year_ago_at_the_earliest(app, w):
    unit = w["unit"]
    latest = noticeboard.record(
        unit, posted_on=today(w), photo=("a.jpg", photo()), actor=w["admin"]
    )
    with pytest.raises(UserError) as refused:
        noticeboard.record(
            unit, posted_on=today(w) + timedelta(days=1), photo=("a.jpg", photo()), actor=None
        )
    assert any(p.startswith("posted_on: ") for p in refused.value.problems)
    oldest = today(w) - timedelta(days=noticeboard.OLDEST_DAYS)
    earliest = noticeboard.record(unit, posted_on=oldest, photo=("a.jpg", photo()), actor=None)
    with pytest.raises(UserError) as refused:
        noticeboard.record(
            unit, posted_on=oldest - timedelta(days=1), photo=("a.jpg", photo()), actor=None
        )
    assert "366" in " ".join(refused.value.problems)
    db.session.commit()
    assert [p.id for p in postings()] == [latest.id, earliest.id]


def test_a_file_that_is_not_a_picture_is_refused_under_its_field_and_nothing_is_kept(app, w):
    client = sign_in(app, "it-admin", lang="zh_Hans_CN")
    page = b"<html><script>alert(1)</script></html>"
    response = post(
        client,
        {"posted_on": today(w).isoformat(), "photo": (io.BytesIO(page), "photo.jpg")},
    )
    assert response.status_code == 400
    text = html(response)
    assert "该文件不是 JPEG、PNG 或 WebP 格式的图片" in text or "图片" in text
    assert 'id="photo-error-1"' in text and 'aria-describedby="photo-hint photo-error-1"' in text
    assert postings() == []


def test_a_posting_without_a_photo_or_a_day_is_refused(app, w):
    client = sign_in(app, "it-admin")
    response = post(client, {"posted_on": "", "note": "没有照片"})
    assert response.status_code == 400
    text = html(response)
    assert "Attach a photo of the board" in text and "Give the day the board was put up" in text
    assert "没有照片" in text  # what was typed comes back
    assert postings() == []


def test_a_photo_without_a_date_of_its_own_says_so(app, w):
    noticeboard.record(w["unit"], posted_on=today(w), photo=("a.png", photo(None, fmt="PNG")))
    db.session.commit()
    [posting] = postings()
    assert posting.photo_taken_on is None and posting.photo_type == "image/png"
    page = html(sign_in(app, "it-admin").get(PAGE))
    assert "The photo carries no date of its own." in page


# --- who sees and who records ------------------------------------------------------------------


def test_the_unit_and_its_superiors_see_the_board_others_do_not(app, w):
    posting = noticeboard.record(w["unit"], posted_on=today(w), photo=("a.jpg", photo()))
    db.session.commit()
    photo_url = f"{PAGE}/postings/{posting.id}/photo"
    for username in (
        "it-admin",
        "it-editor",
        "it-reviewer",
        "it-bureau-reviewer",
        "it-county-admin",
    ):
        client = sign_in(app, username)
        assert client.get(PAGE).status_code == 200, username
        assert client.get(photo_url).status_code == 200, username
    for username in ("it-member", "it-sibling-member", "it-other-member", "it-child-member"):
        client = sign_in(app, username)
        assert client.get(PAGE).status_code == 403, username
        assert client.get(photo_url).status_code == 403, username
    anonymous = app.test_client()
    assert anonymous.get(photo_url).status_code == 302
    # another unit's posting under this unit's address: not found
    sibling = sign_in(app, "it-county-admin")
    assert sibling.get(f"/admin/o/it-sibling/board/postings/{posting.id}/photo").status_code == 404


def test_only_the_units_admins_and_editors_record(app, w):
    for username in ("it-reviewer", "it-bureau-reviewer", "it-county-admin"):
        client = sign_in(app, username)
        assert 'enctype="multipart/form-data"' not in html(client.get(PAGE)), username
        response = client.post(PAGE, data={"posted_on": today(w).isoformat()})
        assert response.status_code in (400, 403), username  # no CSRF token, or refused
        from core.plugins.testing import csrf_token

        token = csrf_token(client, "/admin/o/it-unit/items")
        response = client.post(
            PAGE,
            data={
                "posted_on": today(w).isoformat(),
                "photo": (io.BytesIO(photo()), "a.jpg"),
                "csrf_token": token,
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 403, username
    assert postings() == []


def test_the_county_sees_when_each_unit_below_last_put_its_board_up(app, w):
    older = today(w) - timedelta(days=30)
    noticeboard.record(w["unit"], posted_on=older, photo=("a.jpg", photo()))
    latest = noticeboard.record(
        w["unit"], posted_on=today(w) - timedelta(days=3), photo=("b.jpg", photo())
    )
    db.session.commit()
    rows = {row.unit.code: row for row in noticeboard.units_below(w["county"])}
    assert rows["it-unit"].latest.id == latest.id
    assert rows["it-unit"].age_days(today(w)) == 3
    assert rows["it-sibling"].latest is None
    assert "it-other" not in rows and "it-county" not in rows

    page = html(sign_in(app, "it-county-admin").get("/admin/o/it-county/board"))
    assert "3 days ago" in page and "Never marked" in page
    assert f"/admin/o/it-unit/board/postings/{latest.id}/photo" in page
