"""Text of a denial-letter PDF, page by page: the text layer where there is one, OCR where not.

Before any text is read the upload is checked against `ExtractLimits`, cheaply and with pypdf:
the ``%PDF-`` signature (415 otherwise), an end-of-file marker (truncated uploads are 422), the
password (an empty one opens; a real one is 422), the page count from the page tree (422 above the
limit, before a single page is parsed) and the decoded size of every stream (a decompression bomb
is 422 after at most ``max_decoded_bytes`` of inflating, never after hundreds of MB).
"""

from __future__ import annotations

import io
import os
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pdfplumber
import pypdfium2
import pytesseract
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from formservice.errors import (
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnsupportedMediaError,
    ValidationProblem,
)
from formservice.pdfium import PDFIUM_LOCK

__all__ = [
    "ExtractLimits",
    "ExtractedDocument",
    "ExtractedPage",
    "OcrEngine",
    "estimate_ocr_pages",
    "extract_pages",
    "tesseract_ocr",
]

# The signature may follow a little junk (Acrobat accepts it within the first 1024 bytes).
_MAGIC_WINDOW = 1024
_EOF_WINDOW = 2048
_FLATE = {"/FlateDecode", "/Fl"}
_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode"}
_CHUNK = 1 << 20
# Above this, a declared page count is taken as is: no letter limit will be set that high.
_MAX_TRUSTED_COUNT = 1000
_CID = re.compile(r"\(cid:\d+\)")


@dataclass(frozen=True)
class ExtractLimits:
    """Resource limits for one upload; the app fills them from settings."""

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 50
    ocr_seconds_per_page: float = 20.0
    ocr_dpi: int = 300
    max_ocr_seconds: float = 120.0
    # Sum of decoded stream sizes; a letter's streams decode to a few MB at most.
    max_decoded_bytes: int = 64 * 1024 * 1024
    # Pixels of one embedded image; a letter-size page at 600 dpi is about 34 million.
    max_image_pixels: int = 60_000_000
    # A page with fewer letters and digits than this in its text layer is OCR'd (fax headers
    # stamped over a scan carry a few dozen characters).
    min_text_chars: int = 40


@dataclass(frozen=True)
class ExtractedPage:
    """One page's text and where it came from (``text`` layer or ``ocr``)."""

    page_no: int
    text: str
    source: str


@dataclass(frozen=True)
class ExtractedDocument:
    """The text of every page, how it was obtained, and what went wrong short of failing."""

    pages: tuple[ExtractedPage, ...]
    text_source: str
    page_count: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def page_texts(self) -> list[tuple[int, str, str]]:
        """Return ``(page_no, text, source)`` triples, the parser's input."""
        return [(p.page_no, p.text, p.source) for p in self.pages]


OcrEngine = Callable[[Image.Image, float], str]


def tesseract_ocr(image: Image.Image, timeout: float) -> str:
    """Return the text Tesseract reads in an image, killing it after ``timeout`` seconds."""
    # pytesseract on a page rendered by pypdfium2 rather than ocrmypdf: one tesseract process per
    # page and nothing else (ocrmypdf adds Ghostscript, a PDF rewrite and its own worker pool), a
    # per-page kill through pytesseract's ``timeout``, and the render DPI stays ours to choose.
    # Tesseract's OpenMP threads fight each other on a small shared machine: one thread per
    # process reads a letter page in under 2 s where the default took 5-8 s (measured on 2 cores).
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        return str(pytesseract.image_to_string(image, lang="eng", timeout=timeout))
    except pytesseract.TesseractNotFoundError as exc:
        raise ServiceUnavailableError(
            "the OCR engine is not installed (apt-get install tesseract-ocr)"
        ) from exc


def _file_problem(message: str) -> ValidationProblem:
    return ValidationProblem(message, errors={"file": [message]})


def _open_checked(data: bytes, limits: ExtractLimits) -> PdfReader:
    """Run every cheap check and return the opened, decrypted reader."""
    if not data:
        raise _file_problem("the file is empty")
    if len(data) > limits.max_bytes:
        raise PayloadTooLargeError(
            f"the file has {len(data)} bytes; the limit is {limits.max_bytes}",
            errors={"file": [f"larger than the limit of {limits.max_bytes} bytes"]},
        )
    if b"%PDF-" not in data[:_MAGIC_WINDOW]:
        raise UnsupportedMediaError(
            "the file is not a PDF", errors={"file": ["expected a PDF (application/pdf)"]}
        )
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise _file_problem("the PDF is truncated or corrupt (no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _file_problem("the PDF is password-protected; upload it without a password")
        count = _page_count(reader)
        if count == 0:
            raise _file_problem("the PDF has no pages")
        if count > limits.max_pages:
            raise _file_problem(f"the PDF has {count} pages; the limit is {limits.max_pages} pages")
        _check_stream_sizes(reader, limits)
    except ValidationProblem:
        raise
    except LimitReachedError as exc:
        raise _file_problem(
            f"the PDF exceeds a safety limit while decoding ({exc}); a decompression bomb?"
        ) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
        raise _file_problem(f"the PDF is corrupt and cannot be read ({exc})") from exc
    return reader


def _page_count(reader: PdfReader) -> int:
    # /Count of the page-tree root is read without walking the tree, so a 100,000-page file
    # costs nothing; the tree is walked (len(pages)) only when /Count claims a small number,
    # and then the walk's count is the one that counts (a lying /Count gains nothing).
    root = reader.trailer["/Root"].get_object()
    pages = root["/Pages"].get_object() if isinstance(root, DictionaryObject) else None
    declared = pages.get("/Count", 0) if isinstance(pages, DictionaryObject) else 0
    declared = int(declared) if isinstance(declared, int) else 0
    return declared if declared > _MAX_TRUSTED_COUNT else len(reader.pages)


def _all_streams(reader: PdfReader) -> Iterator[StreamObject]:
    """Yield every stream object of the file (streams never live in object streams)."""
    for generation, table in reader.xref.items():
        for idnum in table:
            try:
                obj = reader.get_object(IndirectObject(idnum, generation, reader))
            except LimitReachedError:
                raise
            except (PyPdfError, ValueError, KeyError, TypeError, zlib.error):
                continue  # an unreadable object is pdfminer's to skip too; it holds no text
            if isinstance(obj, StreamObject):
                yield obj


def _filters(stream: StreamObject) -> list[str]:
    value = stream.get("/Filter")
    if isinstance(value, ArrayObject):
        return [str(v) for v in value]
    return [str(value)] if value is not None else []


def _inflated_size(raw: bytes, budget: int) -> int:
    """Return how many bytes ``raw`` inflates to, stopping once it passes ``budget``."""
    inflater = zlib.decompressobj()
    total = 0
    pending = raw
    try:
        while pending:
            total += len(inflater.decompress(pending, _CHUNK))
            if total > budget:
                return total
            pending = inflater.unconsumed_tail
    except zlib.error:
        pass  # a damaged stream decodes to what came before the damage; pdfminer does the same
    return total


def _as_int(value: Any) -> int:
    value = _resolved(value)
    return int(value) if isinstance(value, int | float) else 0


def _check_stream_sizes(reader: PdfReader, limits: ExtractLimits) -> None:
    budget = limits.max_decoded_bytes
    bomb = _file_problem(
        f"the PDF's content decodes to more than {limits.max_decoded_bytes} bytes "
        "(a decompression bomb?)"
    )
    for stream in _all_streams(reader):
        if stream.get("/Subtype") == "/Image":
            # Text extraction never decodes images; pdfium decodes one page's images at a time
            # for OCR, bounded by the declared size, so images are held to a pixel limit and a
            # long scanned fax does not count against the content budget.
            pixels = _as_int(stream.get("/Width")) * _as_int(stream.get("/Height"))
            if pixels > limits.max_image_pixels:
                raise _file_problem(
                    f"an image of the PDF has {pixels} pixels; the limit is "
                    f"{limits.max_image_pixels}"
                )
            continue
        filters = _filters(stream)
        raw: bytes = getattr(stream, "_data", b"") or b""
        if not filters:
            size = len(raw)
        elif filters[0] in _FLATE:
            size = _inflated_size(raw, budget)
        elif filters[0] in _IMAGE_FILTERS:
            size = len(raw)
        else:
            try:
                size = len(stream.get_data())  # pypdf caps LZW/RunLength/ASCII output itself
            except LimitReachedError:
                raise bomb from None
            except (PyPdfError, ValueError, NotImplementedError, zlib.error):
                size = len(raw)
        budget -= size
        if budget < 0:
            raise bomb


def _resolved(obj: Any) -> Any:
    return obj.get_object() if obj is not None else None


def _has_fonts(resources: Any, depth: int = 0) -> bool:
    resources = _resolved(resources)
    if not isinstance(resources, DictionaryObject) or depth > 3:
        return False
    fonts = _resolved(resources.get("/Font"))
    if isinstance(fonts, DictionaryObject) and len(fonts) > 0:
        return True
    xobjects = _resolved(resources.get("/XObject"))
    if isinstance(xobjects, DictionaryObject):
        for ref in xobjects.values():
            xobj = _resolved(ref)
            if isinstance(xobj, DictionaryObject) and xobj.get("/Subtype") == "/Form":
                if _has_fonts(xobj.get("/Resources"), depth + 1):
                    return True
    return False


def estimate_ocr_pages(data: bytes, *, limits: ExtractLimits) -> int:
    """Return how many pages have no fonts (so will be OCR'd), after the upload checks."""
    # A page without fonts cannot have a text layer; a page with fonts but almost no text (a fax
    # header over a scan) is missed here and still OCR'd by extract_pages.
    reader = _open_checked(data, limits)
    missing = 0
    for page in reader.pages:
        if not _has_fonts(page.get("/Resources")):
            missing += 1
    return missing


def _usable(text: str, limits: ExtractLimits) -> bool:
    # Glyphs without a Unicode mapping come out as "(cid:42)": a text layer made of them is no
    # text layer at all, so such a page is OCR'd.
    readable = _CID.sub("", text)
    return sum(ch.isalnum() for ch in readable) >= limits.min_text_chars


def _render(pdf: pypdfium2.PdfDocument, index: int, dpi: int) -> Image.Image:
    page = pdf[index]
    try:
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        return bitmap.to_pil()
    finally:
        page.close()


def extract_pages(
    data: bytes, *, limits: ExtractLimits, ocr: OcrEngine = tesseract_ocr
) -> ExtractedDocument:
    """Return the text of every page of a PDF, OCR'ing pages without a usable text layer."""
    reader = _open_checked(data, limits)
    del reader  # checks done; pdfplumber and pdfium read the bytes themselves
    texts: list[tuple[int, str]] = []
    needs_ocr: list[int] = []
    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for index, page in enumerate(pdf.pages):
                text = page.extract_text() or ""
                page.close()  # drops the page's parsed layout; long letters stay small in memory
                texts.append((index + 1, text))
                if not _usable(text, limits):
                    needs_ocr.append(index)
    except Exception as exc:  # pdfminer raises bare Exceptions (PSEOF, ...) on broken files
        raise _file_problem(f"the PDF's text cannot be read ({type(exc).__name__})") from exc

    ocr_texts, warnings = _ocr_pages(data, needs_ocr, limits, ocr) if needs_ocr else ({}, [])
    pages = tuple(
        ExtractedPage(no, ocr_texts[no - 1], "ocr")
        if no - 1 in ocr_texts
        else ExtractedPage(no, text, "text")
        for no, text in texts
    )
    sources = {p.source for p in pages}
    text_source = sources.pop() if len(sources) == 1 else "mixed"
    return ExtractedDocument(pages, text_source, len(pages), tuple(warnings))


def _ocr_pages(
    data: bytes, indexes: list[int], limits: ExtractLimits, ocr: OcrEngine
) -> tuple[dict[int, str], list[str]]:
    out: dict[int, str] = {}
    warnings: list[str] = []
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
                out[index] = ""
                continue
            with PDFIUM_LOCK:  # render under the lock; OCR the image without it
                image = _render(pdf, index, limits.ocr_dpi)
            try:
                out[index] = ocr(image, min(limits.ocr_seconds_per_page, remaining))
            except RuntimeError as exc:
                # pytesseract signals its timeout kill as RuntimeError; other failures too.
                warnings.append(f"page {index + 1}: OCR failed ({exc})")
                out[index] = ""
            finally:
                image.close()
    finally:
        with PDFIUM_LOCK:
            pdf.close()
    return out, warnings
