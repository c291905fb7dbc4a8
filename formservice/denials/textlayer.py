"""Words with positions from a PDF's text layer: PDFium (primary) and pdfplumber (reference).

PDFium reads a page's glyph boxes roughly ten times faster than pdfminer; pdfplumber stays as the
fallback when PDFium cannot read a file and as the reference the tests compare it with. Both
engines go through the same steps: glyphs in the text's own reading frame (`words.Frame`: text
drawn at 90° or 270° reads normally), duplicates dropped (fake bold), glyphs grouped into words.
PDFium is not thread-safe: every call holds `PDFIUM_LOCK`.
"""

from __future__ import annotations

import ctypes
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pdfplumber
import pypdfium2
import pypdfium2.raw as pdfium_c

from formservice.denials.words import SOFT_SPACE, Char, Frame, Word, words_from_chars
from formservice.pdfium import PDFIUM_LOCK

__all__ = ["TextPage", "pdfium_pages", "pdfplumber_pages"]

# Glyph angles are sampled, not read for every glyph: the page's direction is their majority.
_ANGLE_SAMPLES = 64


@dataclass(frozen=True)
class TextPage:
    """The words of one page's text layer in its reading frame, and the frame's size."""

    words: tuple[Word, ...]
    width: float
    height: float
    quadrant: int


def pdfium_pages(data: bytes) -> Iterator[TextPage]:
    """Yield every page's words, read with PDFium's glyph boxes."""
    with PDFIUM_LOCK:
        pdf = pypdfium2.PdfDocument(data, password="")
        count = len(pdf)
    try:
        for index in range(count):
            with PDFIUM_LOCK:
                page = _pdfium_page(pdf, index)
            yield page  # outside the lock: the caller's work is not PDFium's
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def _pdfium_page(pdf: pypdfium2.PdfDocument, index: int) -> TextPage:
    page = pdf[index]
    textpage = page.get_textpage()
    try:
        width, height = page.get_size()
        raw = textpage.raw
        count = pdfium_c.FPDFText_CountChars(raw)
        text = textpage.get_text_range() if count > 0 else ""
        # One UTF-16 unit per glyph; a glyph outside the BMP shifts the text: read it per glyph.
        by_index = len(text) == count
        step = max(1, count // _ANGLE_SAMPLES)
        angles = [
            pdfium_c.FPDFText_GetCharAngle(raw, i)
            for i in range(0, count, step)
            if not (text[i].isspace() if by_index else False)
        ]
        frame = Frame(width, height, Frame.quadrant_of(angles) if angles else 0)
        if by_index:
            words = _pdfium_words(raw, text, frame)
        else:
            words = words_from_chars(_pdfium_chars(raw, count, None, frame))
    finally:
        textpage.close()
        page.close()
    # PDFium's text page already drops a glyph drawn twice at the same place (fake bold); a
    # whole word drawn twice is dropped when lines are built (`layout.build_lines`).
    fw, fh = frame.size
    return TextPage(tuple(words), fw, fh, frame.quadrant)


_WORD = re.compile(r"[^\s\ufffe\x00]+")


def _pdfium_words(raw: object, text: str, frame: Frame) -> list[Word]:
    """Words of a text page: PDFium's own text breaks words (at drawn spaces and the spaces it
    puts in gaps and between lines), so only each word's first and last glyph are measured."""
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    box = pdfium_c.FPDFText_GetLooseCharBox  # bound once: called twice for every word
    font_size = pdfium_c.FPDFText_GetFontSize
    turn = frame.box if frame.quadrant else None
    height = frame.height
    words = []
    for m in _WORD.finditer(text):
        first, last = m.start(), m.end() - 1
        if not box(raw, first, ref):
            continue
        left, bottom, right, top = rect.left, rect.bottom, rect.right, rect.top
        if last != first and box(raw, last, ref):  # the word's box: both ends' union
            left, bottom = min(left, rect.left), min(bottom, rect.bottom)
            right, top = max(right, rect.right), max(top, rect.top)
        if turn is None:
            x0, y0, x1, y1 = left, height - top, right, height - bottom
        else:
            x0, y0, x1, y1 = turn(left, bottom, right, top)
        size = font_size(raw, first)
        words.append(Word(m.group(), x0, y0, x1, y1, size if size > 0 else y1 - y0))
    return words


def _pdfium_chars(raw: object, count: int, text: str | None, frame: Frame) -> Iterator[Char]:
    # Loose boxes span each glyph's advance and the font's line height: tight glyph boxes leave
    # gaps around narrow glyphs ("(800)" in Courier would split into "( 800 )").
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    box = pdfium_c.FPDFText_GetLooseCharBox  # bound once: this loop runs for every glyph
    font_size = pdfium_c.FPDFText_GetFontSize
    unicode = pdfium_c.FPDFText_GetUnicode
    turn = frame.box if frame.quadrant else None
    height = frame.height
    space, soft = Char(" ", 0, 0, 0, 0, 0), Char(SOFT_SPACE, 0, 0, 0, 0, 0)
    size = 0.0
    fresh = True  # the font size is read once per run of glyphs, where a word starts
    for i in range(count):
        ch = text[i] if text is not None else chr(unicode(raw, i))
        if ch in "\ufffe\x00\r\n" or not box(raw, i, ref):
            continue
        if ch.isspace():
            # A space pdfium made up (no width) is its guess at a word break; the gap decides,
            # as it does for pdfplumber. A space the PDF draws ends the word.
            yield space if rect.right - rect.left > 0.01 else soft
            fresh = True
            continue
        if turn is None:
            x0, y0, x1, y1 = rect.left, height - rect.top, rect.right, height - rect.bottom
        else:
            x0, y0, x1, y1 = turn(rect.left, rect.bottom, rect.right, rect.top)
        if fresh:
            size = font_size(raw, i)
            fresh = False
        # The font size as pdfminer reports it, so both engines measure gaps alike.
        yield Char(ch, x0, y0, x1, y1, size if size > 0 else y1 - y0)


def pdfplumber_pages(data: bytes) -> Iterator[TextPage]:
    """Yield every page's words, read with pdfplumber (after ``dedupe_chars``)."""
    with pdfplumber.open(io.BytesIO(data), password="") as pdf:
        for page in pdf.pages:
            try:
                yield _pdfplumber_page(page)
            finally:
                page.close()  # drops the page's parsed layout; long letters stay small


def _pdfplumber_page(page: pdfplumber.page.Page) -> TextPage:
    deduped = page.dedupe_chars(tolerance=1)
    chars = deduped.chars
    angles = [_plumber_angle(c) for c in chars[:: max(1, len(chars) // _ANGLE_SAMPLES)]]
    width, height = float(page.width), float(page.height)
    quadrant = Frame.quadrant_of(angles) if angles else 0
    frame = Frame(width, height, quadrant)
    if quadrant == 0:
        found = deduped.extract_words(x_tolerance=3, y_tolerance=3, extra_attrs=["size"])
        words = [
            Word(
                w["text"],
                float(w["x0"]),
                float(w["top"]),
                float(w["x1"]),
                float(w["bottom"]),
                float(w["size"]),
            )  # fmt: skip
            for w in found
        ]
    else:
        # extract_words reads text drawn sideways backwards ("nalP htlaeH"): glyphs are turned
        # into the reading frame and grouped like PDFium's.
        turned = []
        for c in chars:
            x0, top, x1, bottom = frame.box(
                c["x0"], height - c["bottom"], c["x1"], height - c["top"]
            )
            # pdfminer's "size" of a turned glyph is not its font size; its box height is.
            turned.append(Char(c["text"], x0, top, x1, bottom, bottom - top))
        words = words_from_chars(_reading_order(turned))
    fw, fh = frame.size
    return TextPage(tuple(words), fw, fh, quadrant)


def _plumber_angle(char: dict[str, object]) -> float:
    """The glyph's angle, clockwise in radians as pdfium reports it, from its text matrix."""
    matrix = char.get("matrix") or (1, 0, 0, 1, 0, 0)
    a, b = float(matrix[0]), float(matrix[1])  # type: ignore[index]
    return (-math.atan2(b, a)) % (2 * math.pi)


def _reading_order(chars: list[Char]) -> list[Char]:
    """Glyphs sorted into lines (top to bottom) and along each line."""
    ordered: list[Char] = []
    line: list[Char] = []
    for char in sorted(chars, key=lambda c: (round(c.top), c.x0)):
        if line and abs(char.top - line[0].top) > 0.5 * max(char.size, 1.0):
            ordered += sorted(line, key=lambda c: c.x0) + [Char(" ", 0, 0, 0, 0, 0)]
            line = []
        line.append(char)
    return ordered + sorted(line, key=lambda c: c.x0)
