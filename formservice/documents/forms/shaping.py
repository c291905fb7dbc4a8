"""Text Helvetica cannot draw: bidi order, a font for each character, shaping, and the ops.

A line is split into runs of one embedding level and one font; each run is shaped by
**harfbuzz** (uharfbuzz) in logical order and the runs are placed in visual order (UAX #9, L2).
Why harfbuzz: Arabic letters join (initial, medial, final forms), Indic scripts reorder and stack
marks, Vietnamese stacks two diacritics; only a shaping engine gets every script right, and
harfbuzz is the one browsers, LibreOffice and Android use (kept, with wheels for every platform).
Why **python-bidi** for the levels: it is the maintained UAX #9 implementation for Python; its
step-by-step module (`bidi.algorithm`) gives each character's resolved level, which shaping needs
(its `get_display` only returns a reordered string, which cannot be shaped: Arabic joins in
logical order).

Each line is wrapped in a marked-content span whose /ActualText is the line as typed, so copying
or extracting text (Poppler, PDFium, Acrobat) gives the value in logical order, not the glyphs'
visual order. A character no installed font has is drawn as the font's .notdef box and listed in
`missing`, for the filler to report.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import uharfbuzz as hb
from bidi.algorithm import (
    explicit_embed_and_overrides,
    get_base_level,
    get_embedding_levels,
    get_empty_storage,
    resolve_implicit_levels,
    resolve_neutral_types,
    resolve_weak_types,
)

from formservice.documents.forms.fonts import FontFile, font_for, primary_font

__all__ = ["FontUse", "UnicodeFace"]


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


@dataclass(frozen=True, slots=True)
class _Glyph:
    font: FontFile
    gid: int
    x: float  # pen position, in em units of the line's start
    dx: float
    dy: float
    text: str  # the characters this glyph stands for ("" for the rest of a cluster)


@dataclass
class FontUse:
    """The embedded fonts one fill uses: a resource name each, and the glyphs drawn."""

    names: dict[FontFile, str] = field(default_factory=dict)
    glyphs: dict[FontFile, dict[int, str]] = field(default_factory=dict)

    def name(self, font: FontFile) -> str:
        if font not in self.names:
            self.names[font] = f"/FsU{len(self.names)}"
            self.glyphs[font] = {}
        return self.names[font]

    def record(self, glyph: _Glyph) -> None:
        texts = self.glyphs[glyph.font]
        if not texts.get(glyph.gid):  # the first text a glyph stood for names it
            texts[glyph.gid] = glyph.text


def _levels(text: str) -> list[int]:
    """Each character's resolved bidi embedding level (even: left to right)."""
    storage = get_empty_storage()
    base = get_base_level(text)
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    get_embedding_levels(text, storage)
    for index, char in enumerate(storage["chars"]):
        char["index"] = index
    explicit_embed_and_overrides(storage)  # X9 drops joiners and embedding controls
    resolve_weak_types(storage)
    resolve_neutral_types(storage, False)
    resolve_implicit_levels(storage, False)
    resolved = {c["index"]: int(c["level"]) for c in storage["chars"]}
    levels: list[int] = []
    for index in range(len(text)):
        levels.append(resolved.get(index, levels[-1] if levels else base))
    return levels


def _attaches(char: str) -> bool:
    """Marks, joiners and variation selectors stay in the font of the character before."""
    return unicodedata.category(char) in ("Mn", "Me", "Mc", "Cf") or 0xFE00 <= ord(char) <= 0xFE0F


def _fonts(text: str) -> list[FontFile]:
    primary = primary_font()
    chosen: list[FontFile] = []
    for char in text:
        prev = chosen[-1] if chosen else None
        if prev is not None and (
            _attaches(char) or (not unicodedata.category(char).startswith("L") and prev.has(char))
        ):
            chosen.append(prev)
            continue
        font = font_for(char) or prev or primary
        if font is None:
            raise LookupError("no font installed to draw text outside WinAnsi")
        chosen.append(font)
    return chosen


def _runs(text: str) -> list[tuple[int, FontFile, str]]:
    """(level, font, text) runs in logical order."""
    levels, fonts = _levels(text), _fonts(text)
    runs: list[tuple[int, FontFile, str]] = []
    for char, level, font in zip(text, levels, fonts, strict=True):
        if runs and runs[-1][0] == level and runs[-1][1] is font:
            runs[-1] = (level, font, runs[-1][2] + char)
        else:
            runs.append((level, font, char))
    return runs


def _visual(runs: list[tuple[int, FontFile, str]]) -> list[tuple[int, FontFile, str]]:
    """UAX #9 rule L2: from the highest level down to the lowest odd one, reverse every
    sequence of runs at that level or higher."""
    if not runs:
        return runs
    order = list(runs)
    highest = max(r[0] for r in order)
    lowest_odd = min((r[0] for r in order if r[0] % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if order[i][0] >= level:
                j = i
                while j < len(order) and order[j][0] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


def _shape(level: int, font: FontFile, text: str, start: float) -> tuple[list[_Glyph], float]:
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = "rtl" if level % 2 else "ltr"
    hb.shape(font.hb_font, buf, {})
    starts = sorted({info.cluster for info in buf.glyph_infos})
    ends = {s: (starts[i + 1] if i + 1 < len(starts) else len(text)) for i, s in enumerate(starts)}
    glyphs, pen, given = [], start, set()
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        cluster = info.cluster
        own = text[cluster : ends[cluster]] if cluster not in given else ""
        given.add(cluster)
        glyphs.append(
            _Glyph(
                font, info.codepoint, pen, pos.x_offset / font.upem, pos.y_offset / font.upem, own
            )
        )
        pen += pos.x_advance / font.upem
    return glyphs, pen


@dataclass
class UnicodeFace:
    """Measures and draws lines of any script, recording the glyphs in a FontUse."""

    use: FontUse
    _cache: dict[str, tuple[list[_Glyph], float]] = field(default_factory=dict)

    def _layout(self, line: str) -> tuple[list[_Glyph], float]:
        if line not in self._cache:
            glyphs: list[_Glyph] = []
            pen = 0.0
            for level, font, text in _visual(_runs(line)):
                shaped, pen = _shape(level, font, text, pen)
                glyphs += shaped
            self._cache[line] = (glyphs, pen)
        return self._cache[line]

    def width(self, line: str, size: float) -> float:
        return self._layout(line)[1] * size

    def select(self, size: float) -> str:
        return ""  # each line selects its own fonts

    def line(self, line: str, x: float, y: float, size: float) -> bytes:
        glyphs, _ = self._layout(line)
        ops = []
        current: FontFile | None = None
        for glyph in glyphs:
            if glyph.font is not current:
                current = glyph.font
                ops.append(f"{self.use.name(current)} {_number(size)} Tf")
            gx, gy = x + (glyph.x + glyph.dx) * size, y + glyph.dy * size
            show = f"1 0 0 1 {_number(gx)} {_number(gy)} Tm <{glyph.gid:04X}> Tj"
            if glyph.gid == 0 and glyph.text:  # a box for a missing character: say what it was
                actual = ("\ufeff" + glyph.text).encode("utf-16-be").hex().upper()
                show = f"/Span << /ActualText <{actual}> >> BDC {show} EMC"
            else:
                self.use.record(glyph)
            ops.append(show)
        return "\n".join(ops).encode()

    def available(self) -> bool:
        """Whether any font is installed to draw with."""
        return primary_font() is not None

    def missing_in(self, text: str) -> str:
        """The characters of text no installed font has (drawn as .notdef boxes)."""
        return "".join(sorted({c for c in text if _unfound(c)}))


def _unfound(char: str) -> bool:
    return not char.isspace() and not _attaches(char) and font_for(char) is None
