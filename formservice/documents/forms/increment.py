"""PDF incremental updates: append changed and new objects after the original bytes.

A filled form differs from its template in a few dozen small objects, so writing only those
(plus a cross-reference section pointing back at the original one, ISO 32000-1 §7.5.6) is
what makes a fill cost milliseconds instead of re-serialising a 1.5 MB file. The update uses the
same kind of cross-reference (table or stream) as the file it extends.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.generic import IndirectObject, PdfObject, TextStringObject


@dataclass(frozen=True, slots=True)
class BaseInfo:
    """What an update needs to know about the file it extends."""

    startxref: int
    size: int
    root: bytes
    info: bytes | None
    file_id: bytes | None
    xref_stream: bool


def read_base(data: bytes, reader: PdfReader) -> BaseInfo:
    """Read the trailer facts an incremental update must repeat."""
    tail = data.rfind(b"startxref")
    startxref = int(data[tail + 9 :].split()[0])
    trailer: Any = reader.trailer  # pypdf types entries as PdfObject; these are dicts/arrays
    root = trailer.raw_get("/Root")
    info = trailer.raw_get("/Info") if "/Info" in trailer else None
    file_id = None
    if "/ID" in trailer:
        ids = trailer["/ID"]
        parts = [_string_bytes(part.get_object()) for part in ids]
        file_id = b"[" + b" ".join(b"<" + p.hex().encode() + b">" for p in parts) + b"]"
    return BaseInfo(
        startxref=startxref,
        size=int(trailer["/Size"]),
        root=_ref_bytes(root),
        info=_ref_bytes(info) if isinstance(info, IndirectObject) else None,
        file_id=file_id,
        xref_stream=not data[startxref : startxref + 4].startswith(b"xref"),
    )


def _string_bytes(value: object) -> bytes:
    if isinstance(value, TextStringObject):
        return value.original_bytes
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _ref_bytes(ref: IndirectObject) -> bytes:
    return f"{ref.idnum} {ref.generation} R".encode()


class Increment:
    """Objects to append to a base file: `add` new ones, `replace` existing ones."""

    def __init__(self, base: BaseInfo, data: bytes | None = None) -> None:
        self._base = base
        self._data = data
        self._next = base.size
        self._objects: dict[int, tuple[int, PdfObject | bytes]] = {}
        self._info: IndirectObject | None = None

    def add(self, obj: PdfObject | bytes) -> IndirectObject:
        """Give obj a new object number; bytes are written verbatim (a pre-serialised object)."""
        number = self._next
        self._next += 1
        self._objects[number] = (0, obj)
        return IndirectObject(number, 0, None)  # pdf=None: only ever written, never resolved

    def set_info(self, info: PdfObject) -> None:
        """Point the trailer at a new document-information dictionary."""
        self._info = self.add(info)

    def replace(self, ref: IndirectObject, obj: PdfObject | bytes) -> None:
        """Write a new version of an existing object (or of one `add` reserved)."""
        self._objects[ref.idnum] = (ref.generation, obj)

    def write(self, out: io.BytesIO, data: bytes) -> None:
        """Write data followed by this update to out."""
        out.write(data)
        if not data.endswith(b"\n"):
            out.write(b"\n")
        offsets: dict[int, tuple[int, int]] = {}
        for number in sorted(self._objects):
            generation, obj = self._objects[number]
            offsets[number] = (out.tell(), generation)
            out.write(f"{number} {generation} obj\n".encode())
            if isinstance(obj, bytes):
                out.write(obj)
            else:
                obj.write_to_stream(out)
            out.write(b"\nendobj\n")
        if self._base.xref_stream:
            self._write_xref_stream(out, offsets)
        else:
            self._write_xref_table(out, offsets)

    def to_bytes(self) -> bytes:
        """The base bytes given at construction plus this update."""
        if self._data is None:
            raise ValueError("Increment.to_bytes needs the base data")
        out = io.BytesIO()
        self.write(out, self._data)
        return out.getvalue()

    def _trailer_entries(self, size: int) -> bytes:
        base = self._base
        parts = [b"/Size %d" % size, b"/Root " + base.root, b"/Prev %d" % base.startxref]
        if self._info is not None:
            parts.append(b"/Info " + _ref_bytes(self._info))
        elif base.info:
            parts.append(b"/Info " + base.info)
        if base.file_id:
            parts.append(b"/ID " + base.file_id)
        return b" ".join(parts)

    def _write_xref_table(self, out: io.BytesIO, offsets: dict[int, tuple[int, int]]) -> None:
        start = out.tell()
        out.write(b"xref\n")
        for first, run in _runs(sorted(offsets)):
            out.write(b"%d %d\n" % (first, len(run)))
            for number in run:
                offset, generation = offsets[number]
                out.write(b"%010d %05d n\r\n" % (offset, generation))
        size = max(self._next, self._base.size)
        out.write(b"trailer\n<< " + self._trailer_entries(size) + b" >>\n")
        out.write(b"startxref\n%d\n%%%%EOF\n" % start)

    def _write_xref_stream(self, out: io.BytesIO, offsets: dict[int, tuple[int, int]]) -> None:
        number = self._next
        start = out.tell()
        entries = dict(offsets)
        entries[number] = (start, 0)
        rows = bytearray()
        index: list[int] = []
        for first, run in _runs(sorted(entries)):
            index += [first, len(run)]
            for obj in run:
                offset, generation = entries[obj]
                rows += b"\x01" + offset.to_bytes(5, "big") + generation.to_bytes(2, "big")
        head = b"%d 0 obj\n<< /Type /XRef /W [1 5 2] /Index [%s] /Length %d " % (
            number,
            " ".join(str(i) for i in index).encode(),
            len(rows),
        )
        out.write(head + self._trailer_entries(number + 1) + b" >>\nstream\n")
        out.write(bytes(rows))
        out.write(b"\nendstream\nendobj\n")
        out.write(b"startxref\n%d\n%%%%EOF\n" % start)


def _runs(numbers: list[int]) -> list[tuple[int, list[int]]]:
    runs: list[tuple[int, list[int]]] = []
    for number in numbers:
        if runs and runs[-1][1][-1] == number - 1:
            runs[-1][1].append(number)
        else:
            runs.append((number, [number]))
    return runs
