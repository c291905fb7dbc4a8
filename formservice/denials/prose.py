"""Running text: printed lines joined into paragraphs, paragraphs split into sentences.

A line runs on from the one above when it sits right under it (no paragraph gap) and either the
line above is a long line that did not end a sentence or this one starts in lower case. Lines cut
into columns (tables, two-column letterheads) stay lines of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from formservice.denials.layout import Line

__all__ = ["Sentence", "sentences"]

_LINE_END = re.compile(r"[.:;!?]$")
# A sentence ends at . ! ? before a capital; justified text sometimes loses the space in the text
# layer ("notice.You"), so a lower-case letter, the stop and a capitalised word split too.
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'¿¡])|(?<=[a-z][.!?])(?=[A-Z][a-z])")
# A line this long (characters) that does not end a sentence is wrapped body text.
_WRAPPED = 55
# A paragraph opening with a code and its meaning is a legend entry, not the letter speaking.
_LEGEND = re.compile(
    r"^\s*(?:(?:CO|PR|OA|PI|CR)[-\s]?)?(?:\d{1,3}|[A-Z]\d{1,2}|(?:MA|M|N)\d{1,3})\b[:\s]+\S"
)


@dataclass(frozen=True)
class Sentence:
    """A sentence of running text, its page, and whether it was read by OCR (least sure word)."""

    page: int
    text: str
    ocr: bool
    conf: float = 1.0
    glossary: bool = False  # part of a code legend ("N54: Claim information is ...")


def _runs_on(previous: Line, line: Line) -> bool:
    if previous.page != line.page or len(previous.segments) > 1 or len(line.segments) > 1:
        return False
    # Line pitch (top to top) is the same whatever box an engine draws around its glyphs; more
    # than one and a half font sizes is a paragraph gap.
    if line.top - previous.top > 1.6 * max(previous.size, line.size):
        return False
    text = previous.text
    return (len(text) >= _WRAPPED and not _LINE_END.search(text)) or line.text[:1].islower()


def sentences(lines: Sequence[Line]) -> list[Sentence]:
    """Every sentence of the lines, in reading order."""
    out: list[Sentence] = []
    paragraph: list[Line] = []

    def flush() -> None:
        if not paragraph:
            return
        text = " ".join(ln.text for ln in paragraph)
        conf = min(ln.conf for ln in paragraph)
        ocr = any(ln.ocr for ln in paragraph)
        legend = bool(_LEGEND.match(text))
        for piece in _SPLIT.split(text):
            if piece.strip():
                out.append(Sentence(paragraph[0].page, piece.strip(), ocr, conf, legend))
        paragraph.clear()

    for line in lines:
        if paragraph and not _runs_on(paragraph[-1], line):
            flush()
        paragraph.append(line)
    flush()
    return out
