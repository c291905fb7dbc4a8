"""PDF names as the form spells them: a check box's on-state `/S#ed` stays `/S#ed`.

pypdf decodes a name's bytes (UTF-8, else GBK, else Latin-1) and writes every name back as
UTF-8, so an on-state `/Sí` saved by a Latin-1 tool (bytes `53 ED`) would come back as
`/S#C3#AD`: another name, which no longer matches the widget's appearance keys in every viewer.
`original_names` reads the bytes of the objects that hold a widget's names, and `RawName` is a
name that writes those bytes again. Only names outside ASCII need it, so ASCII forms (nearly all)
never pay for the extra read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, NameObject

__all__ = ["RawName", "original_names", "respell"]

_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]*")
_REGULAR = frozenset(range(0x21, 0x7F)) - frozenset(b"#()<>[]{}/%")


class RawName(NameObject):
    """A name written with the bytes it had in the file it came from."""

    raw: bytes

    def __new__(cls, name: str, raw: bytes) -> RawName:
        obj = super().__new__(cls, name)
        obj.raw = raw
        return obj

    def renumber(self) -> bytes:
        return b"/" + b"".join(bytes([b]) if b in _REGULAR else b"#%02X" % b for b in self.raw)


def _decoded(raw: bytes) -> str:
    """The name as pypdf decodes it (its NameObject.CHARSETS, then a byte-for-byte map)."""
    for charset in NameObject.CHARSETS:
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return raw.decode("charmap")


def _object_bytes(reader: PdfReader, data: bytes, ref: IndirectObject) -> bytes:
    """The serialised bytes of an indirect object, from the file or its object stream."""
    in_stream = reader.xref_objStm.get(ref.idnum)
    if in_stream is not None:
        stream: Any = reader.get_object(in_stream[0])
        body: bytes = stream.get_data()
        first = int(stream["/First"])
        header = [int(n) for n in body[:first].split()]
        offsets = dict(zip(header[::2], header[1::2], strict=False))
        starts = sorted(offsets.values())
        start = offsets.get(ref.idnum)
        if start is None:
            return b""
        later = [s for s in starts if s > start]
        return body[first + start : first + later[0] if later else len(body)]
    offset = reader.xref.get(ref.generation, {}).get(ref.idnum)
    if offset is None:
        return b""
    end = data.find(b"endobj", offset)
    return data[offset : end if end > 0 else len(data)]


def original_names(
    reader: PdfReader, data: bytes, refs: Iterable[Any], wanted: Iterable[str]
) -> dict[str, RawName]:
    """The file's own spelling of each wanted name (without slash) found in the objects refs."""
    missing = {w for w in wanted if not w.isascii()}
    found: dict[str, RawName] = {}
    for ref in refs:
        if not missing or not isinstance(ref, IndirectObject):
            continue
        for token in _NAME.findall(_object_bytes(reader, data, ref)):
            raw = NameObject.unnumber(token[1:])
            name = _decoded(raw)
            if name in missing:
                found[name] = RawName("/" + name, raw)
                missing.discard(name)
    return found


def respell(value: Any, names: Mapping[str, RawName]) -> Any:
    """A copy of a (direct) dictionary whose keys named in names are spelled as the file had."""
    if not names or not isinstance(value, DictionaryObject):
        return value
    out = DictionaryObject()
    for key, item in value.items():
        out[names.get(str(key)[1:], key)] = item
    return out
