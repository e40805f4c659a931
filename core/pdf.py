"""PDFs printed on the server (kernel): WeasyPrint with the fonts of the system embedded.

The printed notice board, a half-year report, an assessment's scoring sheet: each renders a page
of HTML (a template of the organisation's theme) into an A4 or A3 PDF here.

* :func:`write` — the PDF of a page of HTML. Nothing outside the page is ever fetched: only the
  ``data:`` images the page itself carries (QR codes, photos) are read, no link of a text a user
  typed, no file, no host (:func:`fetcher`).
* :func:`print_document` — the PDF of a template extending ``print/_document.html`` (A4, the
  page counter and a footer on every sheet, in the reader's language and direction);
* :func:`page_counter` — the CSS ``content`` of "Page 2 of 3" in the reader's language, for a
  page's margin box (``@top-right { content: {{ page_counter }} }``).

Fonts: the templates name Noto Sans CJK (Chinese), Noto Sans Arabic / DejaVu Sans (Uyghur, set
right to left) and Noto Sans; WeasyPrint embeds the subsets it uses (Debian ``fonts-noto-cjk``,
``fonts-noto-core``, ``fonts-dejavu-core``).
"""

from __future__ import annotations

import re

from flask_babel import gettext

PDF_MIMETYPE = "application/pdf"


def fetcher():
    """WeasyPrint's URL fetcher: only the ``data:`` images we put in are read."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=2)


def write(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html`` (a whole document, its paper set by its ``@page`` rule)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url, url_fetcher=fetcher()).write_pdf()


def css_string(text: str) -> str:
    """``text`` as a CSS string: quoted, and nothing in it closes the style element."""
    text = text.replace("<", "‹").replace(">", "›")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter() -> str:
    """The CSS ``content`` of "Page 2 of 3" in the reader's language."""
    text = gettext("Page %(page)s of %(pages)s", page="\x00", pages="\x01")
    out = []
    for part in re.split("(\x00|\x01)", text):
        if part == "\x00":
            out.append("counter(page)")
        elif part == "\x01":
            out.append("counter(pages)")
        elif part:
            out.append(css_string(part))
    return " ".join(out)


def response(data: bytes, filename: str):
    """A PDF answer shown in the browser (``inline``), named ``filename``, never kept by a
    shared cache."""
    from flask import Response

    answer = Response(data, mimetype=PDF_MIMETYPE)
    answer.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    answer.headers["Cache-Control"] = "private, no-store"
    return answer


def print_document(template: str, *, footer: str = "", **context) -> bytes:
    """A PDF of ``template`` (a page extending ``print/_document.html``), on A4, with the page
    counter and ``footer`` on every sheet in the reader's language."""
    from flask import request
    from markupsafe import Markup

    from core import i18n
    from core.themes import render

    context = {"locale": i18n.locale(), **context}
    html = render(
        template,
        page_counter=Markup(page_counter()),  # noqa: S704 - quoted by css_string
        footer_text=Markup(css_string(footer)),  # noqa: S704 - quoted by css_string
        direction=i18n.text_direction(),
        **context,
    )
    return write(html, base_url=request.host_url)
