"""Lines, column segments and pages rebuilt from positioned words.

A `Line` is the words that share a baseline band, left to right; it is cut into `Segment`s where
the gap between two words is wider than a column gutter, so two letterhead columns on one line
("MEDICARE ... MEDICARE") or a label and a value set apart in a table stay apart. A page of plain
text (tests, or an OCR engine that returns text) becomes the same structure with one character
taken as `CHAR_WIDTH` points, so every rule works on positions either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from statistics import median

from formservice.denials.words import Word

__all__ = ["CHAR_WIDTH", "Line", "PageLayout", "Segment", "build_lines", "page_from_text"]

# A gap between two words wider than this many font sizes separates columns (a space is a
# quarter em, a column gutter several ems; 1.0 keeps "Member ID:   X123" apart and joins prose).
COLUMN_GAP = 1.0
CHAR_WIDTH = 6.0
# How far (in its own heights) a word's middle may sit from its line's middle.
ROW_TOLERANCE = 0.4
LINE_HEIGHT = 12.0


@dataclass(frozen=True)
class Segment:
    """Words of one line that belong together (no column gutter between them)."""

    words: tuple[Word, ...]

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


@dataclass(frozen=True)
class Line:
    """The words of one printed line, left to right, on page ``page``; ``ocr`` when read by OCR."""

    page: int
    words: tuple[Word, ...]
    ocr: bool = False
    segments: tuple[Segment, ...] = field(default=(), compare=False)

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @cached_property
    def size(self) -> float:
        """The line's font size (the median of its words')."""
        return float(median(w.size for w in self.words))

    @cached_property
    def conf(self) -> float:
        """The least sure word's reading confidence."""
        return min(w.conf for w in self.words)


@dataclass(frozen=True)
class PageLayout:
    """One page as lines in reading order, with its size (points) and where its text came from."""

    number: int
    lines: tuple[Line, ...]
    width: float = 612.0
    height: float = 792.0
    source: str = "text"  # text | ocr

    @property
    def text(self) -> str:
        """The page's text: one printed line per line, words separated by single spaces."""
        return "\n".join(line.text for line in self.lines)


def build_lines(words: Iterable[Word], page: int, *, ocr: bool = False) -> tuple[Line, ...]:
    """Group words into lines by their vertical middles, top to bottom, each left to right.

    A word joins a line when its middle is within `ROW_TOLERANCE` of its own height from the
    line's middle (the mean of its words'), so lines never chain into each other the way a
    growing band would on a tightly spaced or slightly skewed page.
    """
    rows: list[list[Word]] = []
    middles: list[float] = []
    heights: list[float] = []
    for word in sorted(words, key=lambda w: (w.middle, w.x0)):
        height = max(word.bottom - word.top, 0.1)
        placed = False
        # Only the last few rows can be level with a word further down the page. A box taller
        # than its row (a speck or a rule read with it) is held to the row's height.
        for index in range(len(rows) - 1, max(-1, len(rows) - 4), -1):
            if abs(word.middle - middles[index]) <= ROW_TOLERANCE * min(height, heights[index]):
                row = rows[index]
                row.append(word)
                middles[index] = sum(w.middle for w in row) / len(row)
                heights[index] = sorted(w.bottom - w.top for w in row)[len(row) // 2]
                placed = True
                break
        if not placed:
            rows.append([word])
            middles.append(word.middle)
            heights.append(height)
    lines = []
    for row in rows:
        ordered = tuple(_once(sorted(row, key=lambda w: w.x0)))
        lines.append(Line(page, ordered, ocr, split_segments(ordered)))
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return tuple(lines)


def _once(words: list[Word]) -> list[Word]:
    """A row's words without a word drawn twice at (almost) the same place (fake bold)."""
    out: list[Word] = []
    for word in words:
        if out and out[-1].text == word.text and abs(out[-1].x0 - word.x0) <= 1.0:
            continue
        out.append(word)
    return out


def split_segments(words: Sequence[Word]) -> tuple[Segment, ...]:
    """Cut a line's words where the gap is wider than a column gutter."""
    if not words:
        return ()
    segments: list[Segment] = []
    current = [words[0]]
    for word in words[1:]:
        size = max(min(word.size, current[-1].size), 1.0)
        if word.x0 - current[-1].x1 > COLUMN_GAP * size:
            segments.append(Segment(tuple(current)))
            current = []
        current.append(word)
    segments.append(Segment(tuple(current)))
    return tuple(segments)


def page_from_text(number: int, text: str, *, ocr: bool = False) -> PageLayout:
    """A page of plain text as a layout: one character is `CHAR_WIDTH` points wide, so two or
    more spaces between words read as a column gap and one space does not."""
    lines = []
    for row, raw in enumerate(text.splitlines()):
        words = []
        col = 0
        for token in raw.split(" "):
            if token:
                top = row * LINE_HEIGHT
                x0 = col * CHAR_WIDTH
                # OCR text without word confidences is taken as read at 0.9.
                conf = 0.9 if ocr else 1.0
                words.append(
                    Word(token, x0, top, x0 + len(token) * CHAR_WIDTH, top + 10.0, 10.0, conf)
                )
            col += len(token) + 1
        if words:
            ordered = tuple(words)
            lines.append(Line(number, ordered, ocr, split_segments(ordered)))
    width = max((ln.x1 for ln in lines), default=612.0)
    return PageLayout(number, tuple(lines), max(width, 612.0), max(len(lines) * 12.0, 792.0),
                      "ocr" if ocr else "text")  # fmt: skip
