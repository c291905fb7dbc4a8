"""Every page of a denial-letter PDF as positioned lines: the text layer where it reads, OCR where
it does not.

The upload is checked first (`checks`). Text layers are read by PDFium's glyph boxes (pdfplumber
when PDFium cannot open the file, or when asked for, as the reference); a page whose text layer is
missing, made of unmapped glyphs, garbage or reversed is rasterised within the pixel bound and
OCR'd by Tesseract into word boxes with confidences. Every page ends as a `PageLayout`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pypdfium2
from PIL import Image

from formservice.denials.checks import (
    ExtractLimits,
    estimate_ocr_pages,
    file_problem,
    open_checked,
    raster_dpi,
)
from formservice.denials.layout import PageLayout, build_lines, page_from_text
from formservice.denials.ocr import OcrText, tesseract_words
from formservice.denials.textlayer import TextPage, pdfium_pages, pdfplumber_pages
from formservice.denials.words import Word
from formservice.pdfium import PDFIUM_LOCK

__all__ = [
    "ENGINES",
    "ExtractLimits",
    "ExtractedDocument",
    "ExtractedPage",
    "OcrEngine",
    "estimate_ocr_pages",
    "extract_pages",
    "tesseract_ocr",
]

# An OCR engine reads a page image within a time limit: positioned words (`OcrText`), or plain
# text from a simpler engine (laid out one character per `layout.CHAR_WIDTH`).
OcrEngine = Callable[[Image.Image, float], "OcrText | str"]
tesseract_ocr: OcrEngine = tesseract_words
ENGINES: dict[str, Callable[[bytes], Iterable[TextPage]]] = {
    "pdfium": pdfium_pages,
    "pdfplumber": pdfplumber_pages,
}
_CID = re.compile(r"\(cid:\d+\)")
_TOKEN = re.compile(r"[^\W\d_]{2,}")
# Words any letter, notice or remittance carries (English and Spanish); a text layer where
# these only appear spelled backwards ("eht", "mialc") was drawn in reverse: OCR reads it.
_COMMON = frozenset(
    "the of and to for you your is this in on we be by with claim date service member patient "
    "provider plan appeal notice code amount paid total denied health name number page are "
    "de la el que los las en por su para con del".split()
)


@dataclass(frozen=True)
class ExtractedPage:
    """One page: its lines with positions, and where they came from (``text`` or ``ocr``)."""

    page_no: int
    layout: PageLayout
    source: str

    @property
    def text(self) -> str:
        return self.layout.text


@dataclass(frozen=True)
class ExtractedDocument:
    """Every page, how its text was obtained, and what went wrong short of failing."""

    pages: tuple[ExtractedPage, ...]
    text_source: str
    page_count: int
    warnings: tuple[str, ...] = field(default_factory=tuple)
    engine: str = "pdfium"

    def page_texts(self) -> list[tuple[int, str, str]]:
        """Return ``(page_no, text, source)`` triples."""
        return [(p.page_no, p.text, p.source) for p in self.pages]

    def layouts(self) -> list[PageLayout]:
        """Every page as the parser reads it."""
        return [p.layout for p in self.pages]


def readable(text: str, limits: ExtractLimits) -> bool:
    """Whether a text layer can be trusted: enough letters, mapped glyphs, not drawn reversed."""
    # Glyphs without a Unicode mapping come out as "(cid:42)": such a layer is no text layer.
    plain = _CID.sub("", text)
    if sum(ch.isalnum() for ch in plain) < limits.min_text_chars:
        return False
    tokens = [t.lower() for t in _TOKEN.findall(plain)]
    forward = sum(t in _COMMON for t in tokens)
    backward = sum(t[::-1] in _COMMON and t not in _COMMON for t in tokens)
    return not (backward >= 3 and backward > 2 * forward)


_usable = readable  # the name older callers use


def extract_pages(
    data: bytes,
    *,
    limits: ExtractLimits,
    ocr: OcrEngine = tesseract_ocr,
    engine: str = "pdfium",
) -> ExtractedDocument:
    """Return every page of a PDF as lines, OCR'ing pages without a readable text layer."""
    open_checked(data, limits)
    pages, used = _text_pages(data, engine)
    layouts: dict[int, PageLayout] = {}
    needs_ocr: list[int] = []
    for index, page in enumerate(pages):
        layout = PageLayout(
            index + 1, build_lines(page.words, index + 1), page.width, page.height, "text"
        )
        if readable(layout.text, limits):
            layouts[index] = layout
        else:
            needs_ocr.append(index)
    warnings: list[str] = []
    if needs_ocr:
        layouts.update(_ocr_pages(data, needs_ocr, limits, ocr, warnings))
    out = tuple(ExtractedPage(i + 1, layouts[i], layouts[i].source) for i in range(len(pages)))
    sources = {p.source for p in out}
    text_source = sources.pop() if len(sources) == 1 else "mixed"
    return ExtractedDocument(out, text_source, len(out), tuple(warnings), used)


def _text_pages(data: bytes, engine: str) -> tuple[list[TextPage], str]:
    try:
        return list(ENGINES[engine](data)), engine
    except Exception as exc:  # noqa: BLE001 - PDFium and pdfminer raise bare errors on bad files
        if engine != "pdfium":
            raise file_problem(f"the PDF's text cannot be read ({type(exc).__name__})") from exc
    try:  # PDFium could not read the file: pdfminer is more forgiving of some damage
        return list(pdfplumber_pages(data)), "pdfplumber"
    except Exception as exc:  # noqa: BLE001
        raise file_problem(f"the PDF's text cannot be read ({type(exc).__name__})") from exc


def _ocr_pages(
    data: bytes, indexes: Sequence[int], limits: ExtractLimits, ocr: OcrEngine, warnings: list[str]
) -> dict[int, PageLayout]:
    out: dict[int, PageLayout] = {}
    started = time.monotonic()
    with PDFIUM_LOCK:
        pdf = pypdfium2.PdfDocument(data, password="")
    try:
        for index in indexes:
            remaining = limits.max_ocr_seconds - (time.monotonic() - started)
            if remaining <= 0:
                warnings.append(
                    f"page {index + 1}: not OCR'd, the OCR time limit of "
                    f"{limits.max_ocr_seconds:g} s for the letter was used up"
                )
                out[index] = PageLayout(index + 1, (), source="ocr")
                continue
            with PDFIUM_LOCK:  # render under the lock; OCR the image without it
                image, dpi = _render(pdf, index, limits)
            try:
                read = ocr(image, min(limits.ocr_seconds_per_page, remaining))
                out[index] = _ocr_layout(index + 1, read, dpi)
            except RuntimeError as exc:
                # A timeout kill and other Tesseract failures: the page is left empty.
                warnings.append(f"page {index + 1}: OCR failed ({exc})")
                out[index] = PageLayout(index + 1, (), source="ocr")
            finally:
                image.close()
    finally:
        with PDFIUM_LOCK:
            pdf.close()
    return out


def _render(
    pdf: pypdfium2.PdfDocument, index: int, limits: ExtractLimits
) -> tuple[Image.Image, int]:
    page = pdf[index]
    try:
        width, height = page.get_size()
        # The page's own size decides the pixels (inline images included, as they are drawn
        # at page scale): lower the dpi to stay in bounds, or refuse a page that cannot.
        dpi = raster_dpi(width, height, limits, index + 1)
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        image = bitmap.to_pil().copy()  # the bitmap's memory belongs to pdfium
        image.info["dpi"] = (dpi, dpi)
        return image, dpi
    finally:
        page.close()


def _ocr_layout(number: int, read: OcrText | str, dpi: int) -> PageLayout:
    if isinstance(read, str):
        return page_from_text(number, read, ocr=True)
    scale = 72 / dpi
    words = [
        Word(
            w.text,
            w.x0 * scale,
            w.top * scale,
            w.x1 * scale,
            w.bottom * scale,
            w.size * scale,
            w.conf,
        )  # fmt: skip
        for w in read.words
    ]
    return PageLayout(
        number, build_lines(words, number, ocr=True), read.width * scale, read.height * scale, "ocr"
    )
