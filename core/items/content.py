"""Item content: Markdown rendered to sanitised HTML, and attachment checks."""

from __future__ import annotations

import hashlib
import html
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from core.errors import UserError
from core.i18n import _
from core.storage import storage

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render(markdown: str | None) -> Markup:
    """Markdown → HTML with only harmless tags and attributes (no scripts, no styles)."""
    html = _markdown.render(markdown or "")
    # a heading level 1 is the page's title: demote the body's headings by one
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def plain_text(markdown: str | None) -> str:
    """The text of the Markdown without markup (for search, feeds and summaries)."""
    return html.unescape(nh3.clean(_markdown.render(markdown or ""), tags=set())).strip()


# --- attachments -----------------------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ATTACHMENT_TYPES = {
    # extension: (content type, signatures the file must start with)
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (_ZIP,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (_ZIP,)),
    ".doc": ("application/msword", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".ppt": ("application/vnd.ms-powerpoint", (_OLE,)),
    ".wps": ("application/vnd.ms-works", (_OLE,)),
}


def check_attachment(filename: str, data: bytes) -> tuple[str, str]:
    """``(suffix, content type)`` of an acceptable attachment; UserError otherwise."""
    name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in ATTACHMENT_TYPES:
        allowed = ", ".join(sorted(ATTACHMENT_TYPES))
        raise UserError(
            _("%(file)s: this type of file is not accepted (use %(types)s).",
              file=name or _("The file"), types=allowed)
        )  # fmt: skip
    if not data:
        raise UserError(_("%(file)s: the file is empty.", file=name))
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise UserError(
            _("%(file)s: the file is larger than %(n)s MB.",
              file=name, n=MAX_ATTACHMENT_BYTES // (1024 * 1024))
        )  # fmt: skip
    content_type, signatures = ATTACHMENT_TYPES[suffix]
    if not any(data.startswith(sig) for sig in signatures):
        raise UserError(
            _("%(file)s: the content does not match a %(type)s file.", file=name, type=suffix)
        )
    return suffix, content_type


def store_attachment(filename: str, data: bytes, actor: Any) -> dict[str, Any]:
    """Check an upload (:func:`check_attachment`), put it in the storage and return the columns
    an attachment row (of an item or of a request's decision) keeps of it."""
    suffix, content_type = check_attachment(filename, data)
    return {
        "filename": filename.replace("\\", "/").rsplit("/", 1)[-1][:255],
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "storage_key": storage().put(data, suffix),
        "uploaded_by_id": getattr(actor, "id", None),
    }
