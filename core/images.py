"""Images that people upload (kernel): checked by what they are, re-encoded, stripped of metadata.

Evidence of an assessment's checklist point (a dated photo of the notice board), a campaign
stage's proof, later the photo of a printed board: every image goes through :func:`clean` before
it is stored or shown.

* **Its type is its signature, never its name.** Pillow reads the bytes and says what they are;
  only JPEG, PNG and WebP are accepted, whatever the file is called (a PNG named ``.jpg`` is a
  PNG; a page of HTML named ``photo.jpg`` is refused).
* **Limits.** At most :data:`MAX_BYTES` bytes and :data:`MAX_PIXELS` pixels (a "decompression
  bomb" — a small file that unpacks into gigabytes — is refused before it is decoded), at least
  :data:`MIN_SIDE` pixels a side; a larger picture is scaled down to :data:`MAX_SIDE` pixels on
  its longer side.
* **Re-encoded, metadata stripped.** The pixels are decoded (a truncated or corrupt file is
  refused), turned upright by their EXIF orientation, and written into a new file that carries
  nothing else: no EXIF (camera, time, **GPS location**), no XMP or IPTC, no comments, no
  embedded thumbnail (which may still show what was cropped), no colour profile. What is
  served is the new file, never the upload.
* **The date it was taken.** A photo often says when it was taken (EXIF ``DateTimeOriginal``);
  that date is read before the metadata goes and handed back (:attr:`CleanImage.taken_at`), so
  that "a dated photo" can keep its date as data of ours, not inside the file.

Refusals are :class:`core.errors.UserError` with a translated message.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext

from core.errors import UserError

FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
"""Accepted formats (Pillow's names): their content type and the suffix of the stored file."""
MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000
MAX_SIDE = 4000
MIN_SIDE = 16
JPEG_QUALITY = 88

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_DATETIME = 0x0132


@dataclass(frozen=True)
class CleanImage:
    """An image fit to store and show: ``data`` is a new file that carries pixels only."""

    data: bytes
    content_type: str
    suffix: str
    width: int
    height: int
    taken_at: datetime | None  # when the photo says it was taken (camera time, no zone)


def _refuse(message: str) -> UserError:
    return UserError(message)


def _exif_moment(text) -> datetime | None:
    if not isinstance(text, str):
        return None
    text = text.strip().replace("\x00", "")
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment if moment.year >= 1990 else None
    return None


def taken_at(image) -> datetime | None:
    """When a photo says it was taken: EXIF ``DateTimeOriginal``, else ``DateTimeDigitized``,
    else the file's ``DateTime``; None when it says nothing usable."""
    try:
        exif = image.getexif()
    except Exception:
        return None
    try:
        details = exif.get_ifd(_EXIF_IFD)
    except Exception:
        details = {}
    for value in (
        details.get(_DATETIME_ORIGINAL),
        details.get(_DATETIME_DIGITIZED),
        exif.get(_DATETIME),
    ):
        moment = _exif_moment(value)
        if moment is not None:
            return moment
    return None


def _open(data: bytes):
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise _refuse(
                gettext("The file is not a picture in JPEG, PNG or WebP format.")
            ) from None
        except (OSError, ValueError, SyntaxError):
            raise _refuse(gettext("The picture cannot be read: the file is damaged.")) from None
    return image


def clean(data: bytes, *, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """Check ``data`` (the uploaded bytes) and return the picture re-encoded without metadata;
    :class:`core.errors.UserError` when it is not an acceptable picture. ``max_pixels``: a use
    that needs less (an emblem) refuses larger pictures before they are decoded."""
    from PIL import Image, ImageOps

    if not data:
        raise _refuse(gettext("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _refuse(
            gettext(
                "The picture is larger than %(size)s MB: take it with a lower resolution.",
                size=MAX_BYTES // (1024 * 1024),
            )
        )
    image = _open(data)
    kind = image.format
    if kind not in FORMATS:
        raise _refuse(gettext("The file is not a picture in JPEG, PNG or WebP format."))
    width, height = image.size
    if width * height > max_pixels:
        raise _refuse(
            gettext(
                "The picture has too many pixels (at most %(count)s million).",
                count=max_pixels // 1_000_000,
            )
        )
    if min(width, height) < MIN_SIDE:
        raise _refuse(gettext("The picture is too small to show anything."))
    try:
        image.verify()  # structure and checksums, before decoding the pixels
        image = _open(data)
        when = taken_at(image)
        image.load()
    except UserError:
        raise
    except Exception:
        raise _refuse(gettext("The picture cannot be read: the file is damaged.")) from None
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:
        upright = image
    keep_alpha = kind != "JPEG" and (
        upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    )
    upright = upright.convert("RGBA" if keep_alpha else "RGB")
    if max(upright.size) > max_side:
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # a new image from the pixels alone: nothing of the upload's metadata comes along
    bare = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif kind == "PNG":
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=JPEG_QUALITY)
    content_type, suffix = FORMATS[kind]
    return CleanImage(out.getvalue(), content_type, suffix, bare.width, bare.height, when)
