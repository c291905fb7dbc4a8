"""Fixtures for the denial tests: sample letters and small PDFs built on the spot."""

from __future__ import annotations

import io
import os
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import EncodedStreamObject, NameObject
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen import canvas

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "denials"


def require_tesseract() -> None:
    """Fail in CI and skip locally (naming the install command) when Tesseract is missing."""
    if shutil.which("tesseract"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("tesseract is not installed; install with: apt-get install tesseract-ocr")
    pytest.skip("install with: apt-get install tesseract-ocr")


def sample_pdfs() -> list[Path]:
    """Every sample denial letter."""
    return sorted(SAMPLES.glob("*.pdf"))


def text_pdf(lines: list[str], pages: int = 1) -> bytes:
    """A small text-layer PDF with the given lines on every page."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=LETTER, invariant=1)
    for page in range(pages):
        y = 720
        for line in lines:
            pdf.drawString(72, y, line.replace("{page}", str(page + 1)))
            y -= 16
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def write(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.fixture(scope="session")
def letter_lines() -> list[str]:
    return [
        "Northwind Health Plan",
        "PO Box 4410, Seattle, WA 98101  Phone 1-800-555-0142",
        "Date: 03/15/2026",
        "Member ID: NWH123456789   Group No.: 884512",
        "Claim No.: 2026031500123   DOS: 03/02/2026",
        # A complete letter names the patient and the billed codes (missing ones need review).
        "Patient: Maria Samplename   Service: Scalp cooling, CPT 0662T",
        "Scalp cooling is not medically necessary (CO-50).",
        "You may appeal within 180 days of the date of this notice.",
    ]


@pytest.fixture(scope="session")
def letter_pdf(letter_lines: list[str]) -> bytes:
    return text_pdf(letter_lines)


@pytest.fixture(scope="session")
def encrypt() -> Callable[[bytes, str], bytes]:
    def _encrypt(data: bytes, password: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        owner = "owner-" + password  # an owner password distinct from the user password
        writer.encrypt(user_password=password, owner_password=owner, algorithm="AES-128")
        return write(writer)

    return _encrypt


@pytest.fixture(scope="session")
def many_pages_pdf() -> bytes:
    writer = PdfWriter()
    for _ in range(3000):
        writer.add_blank_page(612, 792)
    return write(writer)


@pytest.fixture(scope="session")
def bomb_pdf() -> bytes:
    """A one-page PDF (well under 1 MB) whose content stream inflates to 400 MB."""
    deflater = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    raw = b"".join(deflater.compress(chunk) for _ in range(400)) + deflater.flush()
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    stream = EncodedStreamObject()
    stream._data = raw  # raw deflate bytes as they go into the file; pypdf writes them as is
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    return write(writer)


@pytest.fixture(scope="session")
def image_page_pdf() -> bytes:
    """A page that is only an image of text (no fonts), like a fax scan."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    lines = [
        "Fabrikam Health",
        "Member ID: FAB00443322",
        "Claim No.: FH2605110987",
        "DOS: 04/27/2026",
        "Claim denied: duplicate claim.",
    ]
    for i, line in enumerate(lines):
        draw.text((150, 200 + 70 * i), line, fill=0, font=font)
    buf = io.BytesIO()
    image.save(buf, format="PDF", resolution=200)
    return buf.getvalue()


@pytest.fixture(scope="session")
def mixed_pdf(letter_pdf: bytes, image_page_pdf: bytes) -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(letter_pdf)))
    writer.append(PdfReader(io.BytesIO(image_page_pdf)))
    return write(writer)
