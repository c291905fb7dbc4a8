"""Words with positions, built from positioned glyphs (any engine) in the page's reading frame.

Coordinates are PDF points in the *reading frame*: origin at the top left of the text as it reads,
x to the right along the lines, y down the page. A page drawn sideways (text at 90° or 270°, with
or without ``/Rotate``) is turned into this frame by `Frame`, so layout code never sees rotation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["SOFT_SPACE", "Char", "Frame", "Word", "dedupe_chars", "words_from_chars"]

# Two copies of a glyph closer than this (points) are one glyph drawn twice: "fake bold" letter
# generators draw each label twice, 0.2-0.5 pt apart (pdfplumber's dedupe_chars uses 1 pt too).
DUPLICATE_TOLERANCE = 1.0
# A gap wider than this fraction of the font size between two glyphs starts a new word
# (pdfplumber's default x_tolerance is 3 pt, i.e. 0.3 of a 10 pt font).
WORD_GAP = 0.3
SPACE_GAP = 0.15
# Marks a space an engine inserted (it has no width in the file), as opposed to a drawn one.
SOFT_SPACE = "\u200b"


@dataclass(slots=True)
class Char:
    """One glyph in the reading frame (not frozen: tens of thousands are made per letter)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float


@dataclass(frozen=True, slots=True)
class Word:
    """One word: its text, box (reading frame, points), font size and reading confidence.

    ``conf`` is 1.0 for a text layer and Tesseract's own word confidence (0-1) for OCR.
    """

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    conf: float = 1.0

    @property
    def middle(self) -> float:
        """The vertical middle of the word."""
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Frame:
    """Turns page coordinates (PDF space, y up) into the reading frame of text drawn at an angle.

    ``quadrant`` is the text direction in quarter turns counter-clockwise (0: normal text,
    1: text running up the page, 2: upside down, 3: text running down the page).
    """

    width: float
    height: float
    quadrant: int = 0

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the page as the text reads."""
        return (self.height, self.width) if self.quadrant % 2 else (self.width, self.height)

    def box(
        self, left: float, bottom: float, right: float, top: float
    ) -> tuple[float, float, float, float]:
        """Return ``(x0, top, x1, bottom)`` in the reading frame of a PDF-space box."""
        q = self.quadrant % 4
        if q == 0:
            return left, self.height - top, right, self.height - bottom
        if q == 1:  # text runs up: reading x is PDF y, reading down is PDF x
            return bottom, left, top, right
        if q == 2:
            return self.width - right, bottom, self.width - left, top
        return self.height - top, self.width - right, self.height - bottom, self.width - left

    @staticmethod
    def quadrant_of(angles: Iterable[float]) -> int:
        """The most common quarter turn among text angles (radians, clockwise as pdfium says)."""
        votes = [0, 0, 0, 0]
        for angle in angles:
            # pdfium measures clockwise; turn it into counter-clockwise quarter turns.
            votes[round(((2 * math.pi - angle) % (2 * math.pi)) / (math.pi / 2)) % 4] += 1
        return max(range(4), key=lambda q: votes[q])


def dedupe_chars(chars: Iterable[Char], tolerance: float = DUPLICATE_TOLERANCE) -> Iterator[Char]:
    """Drop glyphs drawn twice at (almost) the same place: fake bold and overprinted text."""
    items = list(chars)
    glyphs = sorted(
        (c.text, c.x0, c.top, i)
        for i, c in enumerate(items)
        if not (c.text.isspace() or c.text == SOFT_SPACE)
    )
    twins: set[int] = set()
    # Sorted by glyph and left edge, a glyph's twin is among the next ones with that glyph and
    # an edge within the tolerance (digits of a column share an edge on many lines: check tops).
    count = len(glyphs)
    for k in range(count):
        text, x0, top, i = glyphs[k]
        m = k + 1
        while m < count:
            other_text, other_x0, other_top, j = glyphs[m]
            if other_text != text or other_x0 - x0 > tolerance:
                break
            if abs(other_top - top) <= tolerance:
                twins.add(max(i, j))  # the later drawing is the copy
            m += 1
    return (c for i, c in enumerate(items) if i not in twins)


def words_from_chars(chars: Iterable[Char]) -> list[Word]:
    """Group glyphs (in the engine's reading order) into words.

    A space, a gap wider than `WORD_GAP` of the font size, a step back or a change of line ends
    a word; so does a `SOFT_SPACE` (a space the engine made up) followed by a gap of at least
    `SPACE_GAP` (a real space is a quarter em wide; one made up between two touching text runs
    is no word break).
    """
    words: list[Word] = []
    current: list[Char] = []
    spaced = False
    for char in chars:
        if char.text == SOFT_SPACE:
            spaced = True
            continue
        if char.text.isspace() or not char.text:
            _flush(current, words)
            continue
        if current:
            last = current[-1]
            size = max(last.size, char.size, 1.0)
            gap = char.x0 - last.x1
            new_line = (
                abs(char.top - last.top) > 0.5 * size
                and abs(char.bottom - last.bottom) > 0.5 * size
            )
            if (
                new_line
                or gap > WORD_GAP * size
                or (spaced and gap > SPACE_GAP * size)
                or char.x1 < last.x0
            ):
                _flush(current, words)
        spaced = False
        current.append(char)
    _flush(current, words)
    return words


def _flush(current: list[Char], words: list[Word]) -> None:
    if not current:
        return
    words.append(
        Word(
            text="".join(c.text for c in current),
            x0=min(c.x0 for c in current),
            top=min(c.top for c in current),
            x1=max(c.x1 for c in current),
            bottom=max(c.bottom for c in current),
            size=max(c.size for c in current),
        )
    )
    current.clear()
