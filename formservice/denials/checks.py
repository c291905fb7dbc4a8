"""Checks on an uploaded PDF before a single page is read, and the page-size bound for images.

Cheap and with pypdf: the ``%PDF-`` signature (415 otherwise), an end-of-file marker (truncated
uploads are 422), the password (an empty one opens; a real one is 422), the page count from the
page tree (422 above the limit, before a single page is parsed), the decoded size of every stream
(a decompression bomb is 422 after at most ``max_decoded_bytes`` of inflating), the pixels of every
image, inline images in content streams included (an inline image is decoded by the renderer and
the text reader alike), and the pixels a page would take when rasterised for OCR.
"""

from __future__ import annotations

import io
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from formservice.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationProblem

__all__ = [
    "ExtractLimits",
    "estimate_ocr_pages",
    "file_problem",
    "open_checked",
    "raster_dpi",
]

# The signature may follow a little junk (Acrobat accepts it within the first 1024 bytes).
_MAGIC_WINDOW = 1024
_EOF_WINDOW = 2048
_FLATE = {"/FlateDecode", "/Fl"}
_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode"}
_CHUNK = 1 << 20
# Above this, a declared page count is taken as is: no letter limit will be set that high.
_MAX_TRUSTED_COUNT = 1000
# An inline image: "BI /W 20000 /H 20000 /BPC 8 /CS /G ID <data> EI" inside a content stream.
_INLINE_IMAGE = re.compile(rb"(?<![A-Za-z])BI\s+((?:/[A-Za-z]+\s*[^/]{0,40}?\s*){1,12}?)ID\s")
_INLINE_SIZE = re.compile(rb"/(W|Width|H|Height)\s+(\d{1,9})")


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
    # Pixels of one page rasterised for OCR or shown as an image (page size x dpi): a letter
    # page at 300 dpi is 8.4 million. Above it the dpi is lowered, down to min_ocr_dpi.
    max_page_pixels: int = 40_000_000
    # Below this resolution OCR reads nothing useful: a page that would need less is refused.
    min_ocr_dpi: int = 100


def file_problem(message: str) -> ValidationProblem:
    return ValidationProblem(message, errors={"file": [message]})


def open_checked(data: bytes, limits: ExtractLimits) -> PdfReader:
    """Run every cheap check and return the opened, decrypted reader."""
    if not data:
        raise file_problem("the file is empty")
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
        raise file_problem("the PDF is truncated or corrupt (no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise file_problem("the PDF is password-protected; upload it without a password")
        count = _page_count(reader)
        if count == 0:
            raise file_problem("the PDF has no pages")
        if count > limits.max_pages:
            raise file_problem(f"the PDF has {count} pages; the limit is {limits.max_pages} pages")
        _check_stream_sizes(reader, limits)
    except ValidationProblem:
        raise
    except LimitReachedError as exc:
        raise file_problem(
            f"the PDF exceeds a safety limit while decoding ({exc}); a decompression bomb?"
        ) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
        raise file_problem(f"the PDF is corrupt and cannot be read ({exc})") from exc
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


def _inflated_size(raw: bytes, budget: int) -> tuple[int, int]:
    """Return how many bytes ``raw`` inflates to (stopping once it passes ``budget``) and the
    pixels of the largest inline image in it."""
    inflater = zlib.decompressobj()
    total = 0
    largest = 0
    pending = raw
    tail = b""
    try:
        while pending:
            chunk = inflater.decompress(pending, _CHUNK)
            total += len(chunk)
            largest = max(largest, _inline_pixels(tail + chunk))
            tail = chunk[-256:]  # an inline image header cut in two by the chunking
            if total > budget:
                return total, largest
            pending = inflater.unconsumed_tail
    except zlib.error:
        pass  # a damaged stream decodes to what came before the damage; pdfminer does the same
    return total, largest


def _inline_pixels(content: bytes) -> int:
    """Pixels of the largest inline image (``BI /W .. /H .. ID``) in a piece of content."""
    if b"BI" not in content:
        return 0
    largest = 0
    for match in _INLINE_IMAGE.finditer(content):
        sizes = {k: int(v) for k, v in _INLINE_SIZE.findall(match.group(1))}
        width = sizes.get(b"W", sizes.get(b"Width", 0))
        height = sizes.get(b"H", sizes.get(b"Height", 0))
        largest = max(largest, width * height)
    return largest


def _as_int(value: Any) -> int:
    value = _resolved(value)
    return int(value) if isinstance(value, int | float) else 0


def _check_stream_sizes(reader: PdfReader, limits: ExtractLimits) -> None:
    budget = limits.max_decoded_bytes
    bomb = file_problem(
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
                raise file_problem(
                    f"an image of the PDF has {pixels} pixels; the limit is "
                    f"{limits.max_image_pixels}"
                )
            continue
        filters = _filters(stream)
        raw: bytes = getattr(stream, "_data", b"") or b""
        inline = 0
        if not filters:
            size, inline = len(raw), _inline_pixels(raw)
        elif filters[0] in _FLATE:
            size, inline = _inflated_size(raw, budget)
        elif filters[0] in _IMAGE_FILTERS:
            size = len(raw)
        else:
            try:
                size = len(stream.get_data())  # pypdf caps LZW/RunLength/ASCII output itself
            except LimitReachedError:
                raise bomb from None
            except (PyPdfError, ValueError, NotImplementedError, zlib.error):
                size = len(raw)
        if inline > limits.max_image_pixels:
            # The renderer and the text reader decode an inline image to find where it ends.
            raise file_problem(
                f"an inline image of the PDF has {inline} pixels; the limit is "
                f"{limits.max_image_pixels}"
            )
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


def raster_dpi(width: float, height: float, limits: ExtractLimits, page: int) -> int:
    """The dpi to rasterise a page of ``width`` x ``height`` points at: ``ocr_dpi``, lowered so
    the image stays within ``max_page_pixels``; 422 when even ``min_ocr_dpi`` would not fit."""
    inches = max(width, 1.0) / 72 * max(height, 1.0) / 72
    fitting = math.floor(math.sqrt(limits.max_page_pixels / inches))
    if fitting < limits.min_ocr_dpi:
        raise file_problem(
            f"page {page} is {width / 72:.0f} x {height / 72:.0f} inches: at the lowest OCR "
            f"resolution ({limits.min_ocr_dpi} dpi) it would take "
            f"{int(inches * limits.min_ocr_dpi**2)} pixels; the limit is {limits.max_page_pixels}"
        )
    return min(limits.ocr_dpi, fitting)


def _page_size(page: Any) -> tuple[float, float]:
    box = page.cropbox if page.get("/CropBox") is not None else page.mediabox
    width, height = abs(float(box.width)), abs(float(box.height))
    unit = _resolved(page.get("/UserUnit"))
    scale = float(unit) if isinstance(unit, int | float) and unit > 0 else 1.0
    rotate = _as_int(page.get("/Rotate")) % 180
    width, height = width * scale, height * scale
    return (height, width) if rotate == 90 else (width, height)


def estimate_ocr_pages(data: bytes, *, limits: ExtractLimits) -> int:
    """Return how many pages have no fonts (so will be OCR'd), after the upload checks; a page
    too large to rasterise within the pixel limit is refused here (422)."""
    # A page without fonts cannot have a text layer; a page with fonts but almost no text (a fax
    # header over a scan) is missed here and still OCR'd by extract_pages.
    reader = open_checked(data, limits)
    missing = 0
    for number, page in enumerate(reader.pages, start=1):
        if not _has_fonts(page.get("/Resources")):
            missing += 1
            raster_dpi(*_page_size(page), limits, number)
    return missing
