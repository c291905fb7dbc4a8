"""Independent checks of a filled PDF: values read back, pixels rendered, text extracted.

These deliberately do not use the filler's own parser: values come from pypdf's object tree
(walked here by /T), pixels from PDFium (pypdfium2) and Poppler (pdftoppm), text from pdfplumber.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from typing import Any

import pdfplumber
import pypdfium2
import pytest
from PIL import Image
from pypdf import PdfReader

IN_CI = os.environ.get("CI") == "true"


def read_values(pdf: bytes) -> dict[str, Any]:
    """Every terminal field's /V by full name (pypdf's get_fields keys some forms by /TM)."""
    reader = PdfReader(io.BytesIO(pdf))
    acroform = reader.trailer["/Root"].get_object().get("/AcroForm")
    out: dict[str, Any] = {}
    if acroform is None:
        return out

    def walk(node: Any, prefix: str, inherited: Any) -> None:
        node = node.get_object()
        part = node.get("/T")
        name = f"{prefix}.{part}" if prefix and part is not None else str(part or prefix)
        value = node.get("/V", inherited)
        kids = [k.get_object() for k in node.get("/Kids", [])]
        named = [k for k in kids if "/T" in k]
        if named:
            for kid in named:
                walk(kid, name, value)
        else:
            out[name] = value.get_object() if hasattr(value, "get_object") else value

    for field in acroform.get_object().get("/Fields", []):
        walk(field, "", None)
    return out


def widget_states(pdf: bytes, name: str) -> list[str]:
    """The /AS of each widget of the field named name (last /T part), page by page."""
    reader = PdfReader(io.BytesIO(pdf))
    states = []
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            own = annot.get("/T")
            parent = annot.get("/Parent")
            title = own if own is not None else parent.get_object().get("/T") if parent else None
            if title == name and "/AS" in annot:
                states.append(str(annot["/AS"]))
    return states


def render_pdfium(pdf: bytes, page: int, dpi: int = 72) -> Image.Image:
    """A page rendered by PDFium with its form layer (widgets are drawn from their /AP)."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        doc.init_forms()
        bitmap = doc[page].render(scale=dpi / 72, may_draw_forms=True)
        return bitmap.to_pil().convert("L")
    finally:
        doc.close()


def render_poppler(pdf: bytes, page: int, dpi: int = 72) -> Image.Image:
    """A page rendered by Poppler's pdftoppm (fails in CI, skips locally, when missing)."""
    if shutil.which("pdftoppm") is None:
        message = "pdftoppm is not installed; install with: apt-get install poppler-utils"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page + 1), "-l", str(page + 1), "-gray", "-png"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return Image.open(io.BytesIO(result.stdout)).convert("L")


def ink(
    image: Image.Image,
    rect: tuple[float, float, float, float],
    page_height: float,
    dpi: int = 72,
) -> int:
    """Dark pixels inside a PDF rectangle (points, origin bottom-left) of a rendered page."""
    scale = dpi / 72
    x0, y0, x1, y1 = rect
    box = (
        int(x0 * scale) + 1,
        int((page_height - y1) * scale) + 1,
        int(x1 * scale) - 1,
        int((page_height - y0) * scale) - 1,
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return 0
    region = image.crop(box)
    histogram = region.histogram()
    return sum(histogram[:128])


def page_text(pdf: bytes) -> str:
    """All extracted text of the PDF, whitespace removed (wrapping moves spaces around)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        text = "".join(page.extract_text() or "" for page in doc.pages)
    return "".join(text.split())
