"""The text of an X12 file as segments: split once, elements read by 1-based index.

pyx12's `RawX12File` reads the ISA (fixed-width, 106 characters: the version and the delimiters
it fixes) and refuses what is not X12; the rest is split on the segment terminator here in one
call. The elements are split here rather than by pyx12's `X12Reader`, which builds an object per
element and component: on a 10,000-claim file that reader alone took as long as everything else
(bench/parse_era.py). An `X12Segment` keeps its elements (``fields[0]`` is the id), its component
separator and its text for evidence; `element`, `money` and `day` read one element.
"""

from __future__ import annotations

import io
from datetime import date

import pyx12.errors
from pyx12.rawx12file import RawX12File

from formservice.errors import InvalidX12Error

__all__ = ["ISA_LENGTH", "X12Segment", "day", "element", "money", "split_x12"]

ISA_LENGTH = 106  # the ISA is fixed-width: 106 characters, its terminator included


class X12Segment:
    """One segment: its elements split (``fields[0]`` is the id, ``fields[4]`` is CLP04), the
    component separator, and its text for evidence (with ``*`` and ``:``)."""

    __slots__ = ("fields", "sub", "text")

    def __init__(self, line: str, ele: str, sub: str) -> None:
        self.fields = line.split(ele)
        self.sub = sub
        standard = ele == "*" and sub == ":"
        self.text = line if standard else "*".join(f.replace(sub, ":") for f in self.fields)


def element(seg: X12Segment, index: int, sub: int = 0) -> str:
    """Element ``index`` (1-based: CLP04 is 4) or its component ``sub`` (1-based; 0: the whole
    element), stripped; "" when absent."""
    fields = seg.fields
    if index >= len(fields):
        return ""
    if sub:
        parts = fields[index].split(seg.sub)
        return parts[sub - 1].strip() if sub <= len(parts) else ""
    return fields[index].strip()


def money(seg: X12Segment, index: int, position: int) -> float:
    raw = element(seg, index)
    if not raw:
        return 0.0
    try:
        return round(float(raw), 2)
    except ValueError:
        ref = f"{seg.fields[0]}{index:02d}"
        raise InvalidX12Error(
            f"{ref} is {raw!r}, not an amount", segment=seg.fields[0], position=position
        ) from None


def day(seg: X12Segment, index: int) -> date | None:
    """A CCYYMMDD date, or None when it is missing or not a date: a payer's bad date in one
    element (seen in public examples) should not lose the whole remittance; the fact is then
    missing and the denial names it in ``review_fields``."""
    raw = element(seg, index)
    try:
        return date(int(raw[0:4]), int(raw[4:6]), int(raw[6:8])) if len(raw) == 8 else None
    except ValueError:
        return None


def split_x12(data: bytes) -> tuple[list[str], str, str]:
    """The file's segments (text), element and component separators.

    pyx12's `RawX12File` reads the ISA (106 characters: the version and the delimiters it
    fixes) and refuses what is not X12; the rest is split on the segment terminator here in one
    call, several times faster than its segment-by-segment buffer.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidX12Error(
            f"byte {exc.start} is not text: an X12 file is plain text",
            segment="ISA",
            position=1,
        ) from None
    text = text.lstrip("\ufeff\r\n\t ")
    try:
        raw = RawX12File(io.StringIO(text[:ISA_LENGTH]))
    except pyx12.errors.X12Error as exc:
        raise InvalidX12Error(
            f"not an X12 file: {str(exc).split(' for ', 1)[0][:120]}",
            segment="ISA",
            position=1,
        ) from None
    seg_term, ele, sub, _eol, _rep = raw.get_term()
    pieces = text.split(seg_term)
    while pieces and not pieces[-1].strip():
        pieces.pop()
    return pieces, ele, sub
