"""The installed TrueType fonts that draw what Helvetica cannot, and their subsets for a PDF.

Which fonts: `FONT_FILES`, in order of preference, from the Debian packages the Makefile installs
(fonts-noto-core: Latin, Greek, Cyrillic, Vietnamese, Arabic, Hebrew, Indic, Thai...;
fonts-droid-fallback: Chinese and Japanese; fonts-nanum: Korean; fonts-dejavu-core and Noto's
symbol fonts for the rest), then every other `NotoSans*-Regular.ttf` found, for scripts the list
does not name. A character is drawn in the first font whose cmap has it; a character no font has
is reported by the caller, never drawn as "?". Only glyph-outline (glyf) TrueType files qualify:
PDF viewers cannot draw colour-bitmap emoji fonts, so an emoji is reported too.

Fonts are read once per process (fontTools, metrics and cmap; harfbuzz for shaping). The subset
written into each fill is cut here from the raw `glyf`/`loca` bytes, keeping glyph ids (so the
PDF's CIDs are the glyph ids, /CIDToGIDMap /Identity): fontTools' Subsetter costs 0.15 s for
Noto Sans and 1.1 s for the CJK fallback on every call, while this costs microseconds, and a fill
stays a few milliseconds plus a few kilobytes per font used.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import threading
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz as hb
from fontTools.ttLib import TTFont

__all__ = ["FONT_DIRS", "FONT_FILES", "FontFile", "font_for", "pdf_font_objects"]

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/droid"),
    Path("/usr/share/fonts/truetype/nanum"),
    Path("/usr/share/fonts/truetype/dejavu"),
)
FONT_FILES = (
    "NotoSans-Regular.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "DroidSansFallbackFull.ttf",
    "NanumGothic.ttf",
    "DejaVuSans.ttf",
    "NotoSansSymbols-Regular.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "NotoSansMath-Regular.ttf",
)
_KEEP_TABLES = (b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf", b"cvt ", b"fpgm", b"prep")


@dataclass(frozen=True, slots=True, eq=False)
class FontFile:
    """One installed font: what drawing and embedding it needs, read once."""

    path: Path
    name: str  # PostScript name, for /BaseFont
    upem: int
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    advances: tuple[int, ...]  # by glyph id, in font units
    cmap: Mapping[int, str]
    glyph_ids: Mapping[str, int]
    hb_font: hb.Font
    tables: Mapping[bytes, bytes]
    loca: tuple[int, ...]

    def has(self, char: str) -> bool:
        return ord(char) in self.cmap

    def advance(self, gid: int) -> int:
        return self.advances[gid] if gid < len(self.advances) else self.advances[-1]


def _candidates() -> Iterator[Path]:
    seen: set[str] = set()
    for name in FONT_FILES:
        for folder in FONT_DIRS:
            if (folder / name).is_file() and name not in seen:
                seen.add(name)
                yield folder / name
    for folder in FONT_DIRS:
        for path in sorted(folder.glob("NotoSans*-Regular.ttf")):
            if path.name not in seen:
                seen.add(path.name)
                yield path


@functools.cache
def _candidate_paths() -> tuple[Path, ...]:
    return tuple(_candidates())


_LOCK = threading.Lock()
_LOADED: dict[Path, FontFile | None] = {}


def _font(path: Path) -> FontFile | None:
    with _LOCK:
        if path not in _LOADED:
            _LOADED[path] = _read(path)
        return _LOADED[path]


@functools.cache
def font_for(char: str) -> FontFile | None:
    """The first installed font that has char, or None."""
    for path in _candidate_paths():
        font = _font(path)
        if font is not None and font.has(char):
            return font
    return None


def primary_font() -> FontFile | None:
    """The font text is drawn in unless a character needs another (Noto Sans)."""
    paths = _candidate_paths()
    return _font(paths[0]) if paths else None


def _read(path: Path) -> FontFile | None:
    data = path.read_bytes()
    if data[:4] not in (b"\x00\x01\x00\x00", b"true"):
        return None  # a collection or a CFF font: not embedded as CIDFontType2
    tables = _table_bytes(data)
    if b"glyf" not in tables or b"loca" not in tables:
        return None  # bitmap-only (colour emoji): viewers cannot draw it
    font = TTFont(io.BytesIO(data), lazy=True)
    head, hhea = font["head"], font["hhea"]
    os2 = font["OS/2"] if "OS/2" in font else None
    order = font.getGlyphOrder()
    hmtx = font["hmtx"].metrics
    long_loca = head.indexToLocFormat == 1
    raw_loca = tables[b"loca"]
    loca = (
        struct.unpack(f">{len(raw_loca) // 4}I", raw_loca)
        if long_loca
        else tuple(2 * v for v in struct.unpack(f">{len(raw_loca) // 2}H", raw_loca))
    )
    face = hb.Face(hb.Blob(data))
    return FontFile(
        path=path,
        name=str(font["name"].getDebugName(6) or path.stem).replace(" ", ""),
        upem=head.unitsPerEm,
        ascent=hhea.ascent,
        descent=hhea.descent,
        cap_height=int(getattr(os2, "sCapHeight", 0) or hhea.ascent),
        bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
        advances=tuple(hmtx[name][0] for name in order),
        cmap=dict(font.getBestCmap()),
        glyph_ids={name: i for i, name in enumerate(order)},
        hb_font=hb.Font(face),
        tables={tag: tables[tag] for tag in _KEEP_TABLES if tag in tables},
        loca=loca,
    )


def _table_bytes(data: bytes) -> dict[bytes, bytes]:
    count = struct.unpack(">H", data[4:6])[0]
    out = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i])
        out[tag] = data[offset : offset + length]
    return out


# --- the subset ---------------------------------------------------------------------------


def _components(glyph: bytes) -> list[int]:
    """The glyph ids a composite glyph is built from (empty for a simple glyph)."""
    if len(glyph) < 10 or struct.unpack(">h", glyph[:2])[0] >= 0:
        return []
    found, pos = [], 10
    while pos + 4 <= len(glyph):
        flags, gid = struct.unpack(">HH", glyph[pos : pos + 4])
        found.append(gid)
        pos += 4 + (4 if flags & 0x0001 else 2)
        if flags & 0x0008:
            pos += 2
        elif flags & 0x0040:
            pos += 4
        elif flags & 0x0080:
            pos += 8
        if not flags & 0x0020:
            break
    return found


def subset_bytes(font: FontFile, gids: set[int]) -> bytes:
    """A TrueType file with only the outlines of gids (and their components), ids unchanged."""
    glyf = font.tables[b"glyf"]
    last = len(font.loca) - 2

    def outline(gid: int) -> bytes:
        return glyf[font.loca[gid] : font.loca[gid + 1]] if gid <= last else b""

    keep, todo = set(), {0, *gids}
    while todo:
        gid = todo.pop()
        if gid not in keep and gid <= last:
            keep.add(gid)
            todo.update(_components(outline(gid)))
    count = max(keep) + 1
    new_glyf, offsets = bytearray(), [0]
    for gid in range(count):
        if gid in keep:
            new_glyf += outline(gid)
            new_glyf += b"\x00" * (-len(new_glyf) % 4)
        offsets.append(len(new_glyf))
    tables = dict(font.tables)
    tables[b"glyf"] = bytes(new_glyf)
    tables[b"loca"] = struct.pack(f">{len(offsets)}I", *offsets)
    head = bytearray(tables[b"head"])
    head[8:12] = b"\x00\x00\x00\x00"  # checkSumAdjustment: not checked by viewers
    head[50:52] = struct.pack(">h", 1)  # long loca offsets
    tables[b"head"] = bytes(head)
    maxp = bytearray(tables[b"maxp"])
    maxp[4:6] = struct.pack(">H", count)
    tables[b"maxp"] = bytes(maxp)
    hhea = tables[b"hhea"]
    long_metrics = struct.unpack(">H", hhea[34:36])[0]
    kept_metrics = min(long_metrics, count)
    hmtx = font.tables[b"hmtx"]
    side = hmtx[4 * long_metrics :][: 2 * (count - kept_metrics)]
    tables[b"hmtx"] = hmtx[: 4 * kept_metrics] + side
    tables[b"hhea"] = hhea[:34] + struct.pack(">H", kept_metrics) + hhea[36:]
    return _sfnt(tables)


def _sfnt(tables: Mapping[bytes, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    head = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, 0)
    head = head[:10] + struct.pack(">H", count * 16 - power * 16)
    offset = 12 + 16 * count
    directory, body = bytearray(), bytearray()
    for tag in tags:
        data = tables[tag]
        padded = data + b"\x00" * (-len(data) % 4)
        checksum = sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF
        directory += struct.pack(">4sIII", tag, checksum, offset + len(body), len(data))
        body += padded
    return head + bytes(directory) + bytes(body)


def pdf_font_objects(font: FontFile, texts: Mapping[int, str]) -> dict[str, bytes]:
    """The serialised objects of a Type 0 font drawing glyph ids texts (gid -> its text).

    Keys: type0, cidfont, descriptor, file, tounicode; each value is an object body whose
    references to the others are written as `{cidfont}` etc., for the caller to fill in.
    """
    gids = sorted(texts)
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(repr(gids).encode()).digest()[:6])
    base = f"/{tag}+{font.name}"
    scale = 1000 / font.upem
    widths = " ".join(f"{g} [{round(font.advance(g) * scale)}]" for g in gids)
    x0, y0, x1, y1 = (round(v * scale) for v in font.bbox)
    subset = subset_bytes(font, set(gids))
    program = zlib.compress(subset)
    cmap = _to_unicode(texts)
    return {
        "type0": (
            f"<< /Type /Font /Subtype /Type0 /BaseFont {base} /Encoding /Identity-H "
            "/DescendantFonts [{cidfont}] /ToUnicode {tounicode} >>"
        ).encode(),
        "cidfont": (
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {base} /CIDSystemInfo "
            "<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {{descriptor}} /DW 1000 /W [{widths}] /CIDToGIDMap /Identity >>"
        ).encode(),
        "descriptor": (
            f"<< /Type /FontDescriptor /FontName {base} /Flags 4 /FontBBox [{x0} {y0} {x1} {y1}]"
            f" /ItalicAngle 0 /Ascent {round(font.ascent * scale)} /Descent "
            f"{round(font.descent * scale)} /CapHeight {round(font.cap_height * scale)} "
            "/StemV 80 /FontFile2 {file} >>"
        ).encode(),
        "file": b"<< /Filter /FlateDecode /Length %d /Length1 %d >>\nstream\n%s\nendstream"
        % (len(program), len(subset), program),
        "tounicode": _stream(cmap),
    }


def _stream(data: bytes) -> bytes:
    packed = zlib.compress(data)
    return b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(packed), packed)


def _to_unicode(texts: Mapping[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    items = sorted((gid, text) for gid, text in texts.items() if text)
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for gid, text in chunk:
            lines.append(f"<{gid:04X}> <{text.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines += ["endcmap CMapName currentdict /CMap defineresource pop end end"]
    return "\n".join(lines).encode()
