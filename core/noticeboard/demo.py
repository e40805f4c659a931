"""The printed board's postings of the demo: two units of Kashgar put their boards up (a drawn
photo of a red board, as a phone would take it, with the camera's date and a location that the
upload strips); the city committee's page shows them and the units that have not."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import func, select

from core import db, localtime
from core.noticeboard import operations
from core.noticeboard.models import BoardPosting
from tenants import operations as tenants

POSTINGS = (
    ("kashgar-kg3", 3, "幼儿园大门左侧党务公开栏，按A3横版打印张贴。"),
    ("kashgar-edu", 12, "市教育系统工委办公楼一楼大厅公开栏。"),
)


def photo(taken: date) -> bytes:
    """A phone's photo of a red notice board on a wall (with the camera's date and GPS)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 900), (226, 221, 208))
    draw = ImageDraw.Draw(image)
    draw.rectangle((150, 110, 1050, 790), fill=(168, 22, 22))
    draw.rectangle((190, 200, 1010, 750), fill=(250, 249, 242))
    draw.rectangle((420, 135, 780, 175), fill=(232, 190, 80))
    for y in range(240, 720, 38):
        draw.line((230, y, 970 - (y % 3) * 90, y), fill=(70, 70, 70), width=6)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d 10:15:00")
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 28.0, 12.0), 3: "E", 4: (75.0, 59.0, 3.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def load(today: date | None = None) -> str:
    loaded = 0
    for code, days_ago, note in POSTINGS:
        org = tenants.get_org(code)
        if org is None:
            continue
        has = db.session.scalar(
            select(func.count(BoardPosting.id)).where(BoardPosting.org_id == org.id)
        )
        if has:
            continue
        day = (today or localtime.today(org)) - timedelta(days=days_ago)
        operations.record(
            org,
            posted_on=day,
            photo=("IMG_board.jpg", photo(day)),
            note=note,
            actor=tenants.get_user(f"{code}-admin"),
        )
        loaded += 1
    return f"Demo notice boards: {loaded} postings with photos."
