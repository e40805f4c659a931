"""Reading back what the platform prints: the text of a PDF (poppler's pdftotext), where its words
are on the page (``pdftotext -bbox``), and the QR codes of a PDF (its pages rendered to PNG with
pdftoppm) or of a PNG, decoded with zxing-cpp — the way a phone reads them."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import zxingcpp
from PIL import Image


def pdf_text(data: bytes, *options: str) -> str:
    """The text of a PDF, page after page (pdftotext; ``-layout`` etc. as options)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", *options, str(source), "-"],
            capture_output=True,
            timeout=60,
        )
    if done.returncode:
        raise ValueError(f"not a PDF ({done.stderr.decode()!r}): {data[:200]!r}")
    return done.stdout.decode("utf-8")


@dataclass
class Word:
    page: int
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    text: str
    page_width: float


def pdf_words(data: bytes) -> list[Word]:
    """Every word of a PDF with its box (points from the top left of its page)."""
    html = pdf_text(data, "-bbox")
    words = []
    for number, (width, body) in enumerate(
        re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', html, re.S), start=1
    ):
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            body,
        ):
            words.append(
                Word(
                    number, float(x0), float(y0), float(x1), float(y1), unescape(text), float(width)
                )
            )
    return words


def pdf_info(data: bytes) -> dict[str, str]:
    """pdfinfo's fields (``Pages``, ``Page size``, ``Title`` ...)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        info = subprocess.run(
            ["pdfinfo", str(source)], capture_output=True, check=True, timeout=60
        ).stdout.decode()
    return dict(re.findall(r"^([^:\n]+):\s+(.*)$", info, re.M))


def pdf_fonts(data: bytes) -> list[tuple[str, bool]]:
    """The fonts of a PDF (pdffonts): ``(name, embedded)``."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        out = subprocess.run(
            ["pdffonts", str(source)], capture_output=True, check=True, text=True, timeout=60
        ).stdout
    rows = [row.split() for row in out.splitlines()[2:]]
    # name type [type...] encoding emb sub uni object id: "emb" is the fifth column from the end
    return [(row[0], row[-5] == "yes") for row in rows]


def pdf_page_size(data: bytes) -> tuple[float, float]:
    """Width and height of the first page, in points."""
    found = re.match(r"([\d.]+) x ([\d.]+) pts", pdf_info(data)["Page size"])
    return float(found.group(1)), float(found.group(2))


def pdf_images(data: bytes, dpi: int = 150) -> list[Image.Image]:
    """The pages of a PDF as images (pdftoppm)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", str(source), str(Path(folder) / "page")],
            check=True,
            timeout=120,
        )
        return [Image.open(p).copy() for p in sorted(Path(folder).glob("page-*.png"))]


def qr_codes(image: Image.Image) -> list[str]:
    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def pdf_qr_codes(data: bytes, dpi: int = 150) -> list[list[str]]:
    """The QR codes of each page of a PDF, decoded."""
    return [qr_codes(page) for page in pdf_images(data, dpi)]


def png_qr_codes(data: bytes) -> list[str]:
    return qr_codes(Image.open(io.BytesIO(data)))


def readable(response, *, qr: bool = False) -> str:
    """What a person reads of an answer: the text of a page, a PDF's text (and, with ``qr``, the
    addresses of its QR codes), the address in a QR code."""
    kind = response.mimetype
    data = response.get_data()
    raw = data.decode("utf-8", "replace")
    if response.status_code == 200 and kind == "application/pdf":
        try:
            text = pdf_text(data)
        except ValueError:  # not a PDF poppler reads (a test's stand-in attachment): its bytes
            return raw
        if qr:
            text += "\n" + "\n".join(code for page in pdf_qr_codes(data) for code in page)
        return raw + "\n" + text
    if response.status_code == 200 and kind == "image/png":
        return "\n".join(png_qr_codes(data))
    return raw
