"""Appearance streams for AcroForm widgets: the bytes a viewer draws for a field's value.

The font: every value WinAnsi can encode is drawn in standard-14 **Helvetica**
(WinAnsiEncoding), never in the font a field's /DA names. Why: the Texas form's fields name
Calibri, which the file does not embed, so drawing "in Calibri" would leave every viewer to
substitute a font of its choosing.
A standard-14 font needs no embedding (PDFium, Poppler, pdf.js and Acrobat all carry
metric-compatible Helvetica), keeps each fill a few kilobytes instead of a subsetted TrueType
per form, and its widths are exact (reportlab's AFM tables), so overflow is measured, not guessed.
Its limit is WinAnsi: a value with any character outside Windows-1252 (Arabic, Hebrew, CJK,
Vietnamese, Greek, Cyrillic...) is drawn instead by a `shaping.UnicodeFace`, in installed fonts
embedded as subsets; only a character no installed font has is reported (`Drawn.unsupported`).
Without such a face (no fonts installed), those characters are drawn as "?" and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from reportlab.pdfbase.pdfmetrics import stringWidth

from formservice.documents.forms.shaping import UnicodeFace

FONT_RESOURCE = "/FsHelv"
_FONT = "Helvetica"
_ASCENT = 0.718  # Helvetica cap height / ascender from the AFM, per unit of font size
_DESCENT = 0.207
_LEADING = 1.15
AUTO_MAX_SIZE = 12.0
AUTO_MULTILINE_SIZE = 10.0
AUTO_MIN_SIZE = 5.0  # below this a printed/faxed form is unreadable: report instead


@dataclass(frozen=True, slots=True)
class Box:
    """A widget's drawing area in its own coordinates, with its border and colours."""

    width: float
    height: float
    border_width: float = 0.0
    background: tuple[float, ...] | None = None
    border_color: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class Drawn:
    """An appearance stream and what it cost to draw the value in it."""

    content: bytes
    font_size: float
    fits: bool
    unsupported: str = ""


class Face(Protocol):
    """What lays out a line: its width, the op that selects its font, and the line's ops."""

    def width(self, line: str, size: float) -> float: ...

    def select(self, size: float) -> str: ...

    def line(self, line: str, x: float, y: float, size: float) -> bytes: ...


class Helvetica:
    """Standard-14 Helvetica in WinAnsi: the face of every value it can encode."""

    def width(self, line: str, size: float) -> float:
        return _width(line, size)

    def select(self, size: float) -> str:
        return f"{FONT_RESOURCE} {number(size)} Tf"

    def line(self, line: str, x: float, y: float, size: float) -> bytes:
        raw = line.encode("cp1252", "replace")
        return f"1 0 0 1 {number(x)} {number(y)} Tm ".encode() + _literal(raw) + b" Tj"


HELVETICA = Helvetica()


def choose_face(text: str, unicode_face: UnicodeFace | None) -> tuple[Face, str, str]:
    """The face for text, the text it draws, and the characters it cannot draw.

    Helvetica when WinAnsi encodes the whole value (the lightest fill); else the embedded fonts,
    which miss only characters no installed font has (drawn as a box); else, with no fonts
    installed, Helvetica drawing "?" for each character outside WinAnsi.
    """
    raw, bad = encode_text(text)
    if not bad:
        return HELVETICA, text, ""
    if unicode_face is not None and unicode_face.available():
        return unicode_face, text, unicode_face.missing_in(text)
    return HELVETICA, raw.decode("cp1252", errors="replace"), bad


def encode_text(text: str) -> tuple[bytes, str]:
    """The WinAnsi bytes for text (unsupported characters as '?') and those characters."""
    try:
        return text.encode("cp1252"), ""
    except UnicodeEncodeError:
        bad = "".join(sorted({c for c in text if not _encodable(c)}))
        return text.encode("cp1252", errors="replace"), bad


def _encodable(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _literal(raw: bytes) -> bytes:
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped.replace(b"\r", b"\\r").replace(b"\n", b"\\n") + b")"


def _width(text: str, size: float) -> float:
    return float(stringWidth(text, _FONT, size))


def _pts(*values: float) -> str:
    return " ".join(number(v) for v in values)


def _color_op(color: tuple[float, ...], stroke: bool) -> str:
    ops = {1: ("g", "G"), 3: ("rg", "RG"), 4: ("k", "K")}
    if len(color) not in ops:
        return ""
    nums = " ".join(number(c) for c in color)
    return f"{nums} {ops[len(color)][1 if stroke else 0]}"


def number(value: float) -> str:
    """A PDF number: at most three decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _frame(box: Box) -> list[str]:
    """Background and border, drawn the way Acrobat draws /MK /BG and /BC."""
    ops: list[str] = []
    if box.background:
        fill = _color_op(box.background, stroke=False)
        if fill:
            ops.append(f"{fill} 0 0 {number(box.width)} {number(box.height)} re f")
    if box.border_color and box.border_width > 0:
        stroke = _color_op(box.border_color, stroke=True)
        bw = box.border_width
        if stroke:
            ops.append(
                f"{stroke} {number(bw)} w {number(bw / 2)} {number(bw / 2)} "
                f"{number(box.width - bw)} {number(box.height - bw)} re S"
            )
    return ops


def _padding(box: Box) -> float:
    """Space between the box edge and the text: the border plus 2 pt, as Acrobat leaves."""
    return box.border_width + 2.0


Measure = Callable[[str, float], float]


def _wrap(text: str, size: float, width: float, _width: Measure = _width) -> list[str]:
    """Break text into lines no wider than width (a word longer than a line is split)."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if _width(candidate, size) <= width or not current and _width(word, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = word
            while _width(current, size) > width and len(current) > 1:
                cut = len(current)
                while cut > 1 and _width(current[:cut], size) > width:
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
        lines.append(current)
    return lines


def _fit_single(
    text: str, box: Box, size: float, auto: bool, _width: Measure = _width
) -> tuple[float, bool]:
    inner_w = box.width - 2 * _padding(box)
    if not auto:
        return size, _width(text, size) <= inner_w
    if size <= 0:
        # Auto size starts where the text fills the box's height less its padding, as Acrobat.
        size = min(AUTO_MAX_SIZE, max(AUTO_MIN_SIZE, box.height - 2 * _padding(box)))
    text_w = _width(text, 1.0)
    if text_w * size > inner_w and text_w > 0:
        size = max(AUTO_MIN_SIZE, int(inner_w / text_w * 10) / 10)
    return size, _width(text, size) <= inner_w


def _fit_multi(
    text: str, box: Box, size: float, auto: bool, _width: Measure = _width
) -> tuple[float, list[str], bool]:
    inner_w = box.width - 2 * _padding(box)
    inner_h = box.height - 2 * _padding(box)
    if size <= 0:
        # Auto-sized paragraphs start at 10 pt (Acrobat's 12 looks shouted on a dense form).
        size = AUTO_MULTILINE_SIZE
    while True:
        lines = _wrap(text, size, inner_w, _width)
        fits = len(lines) * size * _LEADING <= inner_h + size * (_LEADING - 1)
        if fits or not auto or size <= AUTO_MIN_SIZE:
            return size, lines, fits
        size = max(AUTO_MIN_SIZE, round(size - 0.5, 1))


def draw_text(
    text: str,
    box: Box,
    *,
    size: float,
    color: str,
    quadding: int = 0,
    multiline: bool = False,
    comb: int = 0,
    shrink: bool = False,
    unicode_face: UnicodeFace | None = None,
) -> Drawn:
    """The appearance of a text (or combo box) value; size 0 means auto-size.

    shrink: start at size but shrink to fit, as auto-size does (a map's `font_size: auto`).
    unicode_face: draws a value Helvetica cannot (see `choose_face`).
    """
    auto = size <= 0 or shrink
    face, shown, bad = choose_face(text, unicode_face)
    width = face.width
    ops = ["/Tx BMC", "q", *_frame(box)]
    pad = _padding(box)
    clip = f"{number(box.border_width)} {number(box.border_width)} "
    clip += (
        f"{number(box.width - 2 * box.border_width)} {number(box.height - 2 * box.border_width)}"
    )
    ops += [f"{clip} re W n", "BT", color]
    body: list[bytes] = []
    if comb > 0 and not multiline:
        used = size if size > 0 else min(AUTO_MAX_SIZE, box.height / _LEADING)
        cell = box.width / comb
        fits = len(shown) <= comb and all(width(c, used) <= cell for c in shown)
        y = (box.height - used * (_ASCENT + _DESCENT)) / 2 + used * _DESCENT
        ops.append(face.select(used))
        for i, char in enumerate(shown):
            body.append(face.line(char, cell * i + (cell - width(char, used)) / 2, y, used))
    elif multiline:
        used, lines, fits = _fit_multi(shown, box, size, auto, width)
        ops.append(face.select(used))
        y = box.height - pad - used * _ASCENT
        for line in (raw_line.rstrip() for raw_line in lines):
            body.append(face.line(line, _aligned(line, used, box, quadding, width), y, used))
            y -= used * _LEADING
    else:
        used, fits = _fit_single(shown, box, size, auto, width)
        ops.append(face.select(used))
        y = (box.height - used * (_ASCENT + _DESCENT)) / 2 + used * _DESCENT
        body.append(face.line(shown, _aligned(shown, used, box, quadding, width), y, used))
    head = "\n".join(op for op in ops if op).encode() + b"\n"
    tail = b"\nET\nQ\nEMC\n"
    return Drawn(head + b"\n".join(body) + tail, used, fits, bad)


def _aligned(line: str, size: float, box: Box, quadding: int, _width: Measure = _width) -> float:
    pad = _padding(box)
    free = box.width - 2 * pad - _width(line, size)
    if quadding == 1:
        return pad + max(free, 0) / 2
    if quadding == 2:
        return pad + max(free, 0)
    return pad


def draw_list(
    options: Sequence[str],
    selected: set[int],
    box: Box,
    *,
    size: float,
    color: str,
    unicode_face: UnicodeFace | None = None,
) -> Drawn:
    """A list box showing its options from the top, selected ones highlighted like Acrobat."""
    used = size if size > 0 else AUTO_MAX_SIZE
    pad = _padding(box)
    line_h = used * _LEADING
    ops = [
        "/Tx BMC",
        "q",
        *_frame(box),
        f"1 1 {number(box.width - 2)} {number(box.height - 2)} re W n",
    ]
    first = min(selected) if selected else 0
    visible = max(1, int((box.height - 2) // line_h))
    start = max(0, min(first, len(options) - visible))
    for row, index in enumerate(range(start, min(len(options), start + visible))):
        if index in selected:
            top = box.height - 1 - line_h * (row + 1)
            ops.append(
                f"0.600006 0.756866 0.854904 rg 1 {number(top)} "
                f"{number(box.width - 2)} {number(line_h)} re f"
            )
    ops += ["BT", color, f"{FONT_RESOURCE} {number(used)} Tf"]
    body: list[bytes] = []
    bad = ""
    for row, index in enumerate(range(start, min(len(options), start + visible))):
        face, shown, missing = choose_face(options[index], unicode_face)
        bad += missing
        y = box.height - 1 - line_h * (row + 1) + used * _DESCENT + (line_h - used) / 2
        if face is not HELVETICA:
            body.append(face.line(shown, pad, y, used) + b"\n" + HELVETICA.select(used).encode())
        else:
            body.append(face.line(shown, pad, y, used))
    head = "\n".join(ops).encode() + b"\n"
    return Drawn(head + b"\n".join(body) + b"\nET\nQ\nEMC\n", used, True, bad)


def draw_mark(box: Box, *, char: str = "4", color: str = "0 g") -> bytes:
    """The on-state mark of a check box or radio button, drawn as vector paths.

    Why paths and not the ZapfDingbats glyph /MK /CA names: ZapfDingbats is never embedded, and
    a viewer without a Dingbats font (Poppler on a stock Debian, for one) draws nothing at all,
    so a checked box would look unchecked. Paths look the same in every viewer and in print.
    """
    side = min(box.width, box.height)
    cx, cy = box.width / 2, box.height / 2
    r = side * 0.3
    stroke = color.replace(" rg", " RG").replace(" g", " G").replace(" k", " K")
    if char == "l":  # circle (the radio default)
        k = r * 0.5523
        quarter = [
            (cx + r, cy + k, cx + k, cy + r, cx, cy + r),
            (cx - k, cy + r, cx - r, cy + k, cx - r, cy),
            (cx - r, cy - k, cx - k, cy - r, cx, cy - r),
            (cx + k, cy - r, cx + r, cy - k, cx + r, cy),
        ]
        curves = " ".join(" ".join(number(v) for v in q) + " c" for q in quarter)
        path = f"{number(cx + r)} {number(cy)} m {curves} f"
    elif char == "n":  # square
        path = f"{number(cx - r)} {number(cy - r)} {number(2 * r)} {number(2 * r)} re f"
    elif char == "u":  # diamond
        path = (
            f"{number(cx)} {number(cy + r)} m {number(cx + r)} {number(cy)} l "
            f"{number(cx)} {number(cy - r)} l {number(cx - r)} {number(cy)} l h f"
        )
    elif char == "8":  # cross
        path = (
            f"{number(side * 0.1)} w 1 J {_pts(cx - r, cy - r)} m {_pts(cx + r, cy + r)} l "
            f"{_pts(cx - r, cy + r)} m {_pts(cx + r, cy - r)} l S"
        )
    else:  # "4" and anything else: a check mark
        path = (
            f"{number(side * 0.12)} w 1 J 1 j {_pts(cx - r, cy)} m "
            f"{_pts(cx - r * 0.3, cy - r * 0.8)} l {_pts(cx + r, cy + r * 0.9)} l S"
        )
    return f"q {color} {stroke} {path} Q\n".encode()


def frame(box: Box) -> bytes:
    """The widget's border and background alone."""
    return "\n".join(_frame(box)).encode() + b"\n"
