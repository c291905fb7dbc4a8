"""OOXML package plumbing for rendered documents: a deterministic zip and document properties.

Pure byte-in, byte-out helpers used by `documents.docx.render`: deflate a member once and
reuse it, write a zip whose every timestamp is 1980-01-01 00:00, declare a package part, write
core properties with a fixed date and custom properties carrying provenance, and read them back.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

__all__ = [
    "CORE_CT",
    "CORE_NAME",
    "CORE_TEXT_TAGS",
    "CUSTOM_CT",
    "CUSTOM_NAME",
    "SAFE_XML",
    "PackedMember",
    "core_properties_xml",
    "custom_properties_xml",
    "declare_part",
    "document_text",
    "pack_member",
    "read_properties",
    "unsafe_xml",
    "write_zip",
]

CORE_NAME = "docProps/core.xml"
CUSTOM_NAME = "docProps/custom.xml"
CORE_CT = "application/vnd.openxmlformats-package.core-properties+xml"
CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CORE_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_DCTERMS_NS = "http://purl.org/dc/terms/"
_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# The format id every custom document property uses (ECMA-376 part 1, §22.3.2.2).
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
# MS-DOS date and time fields of 1980-01-01 00:00:00, the earliest a zip can say.
_DOS_DATE = (0 << 9) | (1 << 5) | 1
_DOS_TIME = 0

# Text core properties, by python-docx CoreProperties attribute name -> element in core.xml.
CORE_TEXT_TAGS = {
    "author": f"{{{_DC_NS}}}creator",
    "comments": f"{{{_DC_NS}}}description",
    "identifier": f"{{{_DC_NS}}}identifier",
    "language": f"{{{_DC_NS}}}language",
    "subject": f"{{{_DC_NS}}}subject",
    "title": f"{{{_DC_NS}}}title",
}


@dataclass(frozen=True, slots=True)
class PackedMember:
    """A zip member already deflated, so untouched template parts are compressed only once."""

    name: bytes
    crc: int
    size: int
    data: bytes


# Deflate levels. A member packed once per template (styles, fonts, a part without Jinja) takes
# zlib's default level 6. A part rendered per request takes level 1: on the LMN's
# word/document.xml (19.6 KB) it costs 0.19 ms against 0.42 ms, for 4,980 bytes against 4,379
# (the whole DOCX 1.4% larger), measured on this kind of machine.
ONCE_LEVEL = 6
PER_RENDER_LEVEL = 1


def _window_bits(size: int) -> int:
    """The smallest deflate window (2**9 to 2**15 bytes) that reaches back over a whole part.

    Deflate looks back at most the window less 262 bytes (zlib's MIN_LOOKAHEAD), so a part that
    fits gets the matches the full 32 KB window would find, while its compressor's buffers
    (window, hash table, pending output) shrink with it. A 1 KB core.xml then costs about 10 us
    to compress instead of 45 us, most of which went to allocating and clearing 256 KB of state.
    """
    return min(15, max(9, (size + 261).bit_length()))


def pack_member(name: str, blob: bytes, *, level: int = ONCE_LEVEL) -> PackedMember:
    """Deflate one member (raw deflate at `level`, 0-9) for `write_zip`."""
    bits = _window_bits(len(blob))
    # zlib's default proportion (a 2**15 window, memory level 8): hash bits = memory level + 7.
    deflate = zlib.compressobj(level, zlib.DEFLATED, -bits, bits - 7)
    data = deflate.compress(blob) + deflate.flush()
    return PackedMember(name.encode("utf-8"), zlib.crc32(blob), len(blob), data)


def write_zip(members: Sequence[PackedMember]) -> bytes:
    """A plain deflated zip (no zip64, no extras) with every timestamp at 1980-01-01 00:00."""
    out = io.BytesIO()
    central = []
    deflated = zipfile.ZIP_DEFLATED
    for m in members:
        flags = 0 if m.name.isascii() else 0x800  # bit 11: the name is UTF-8
        offset = out.tell()
        sizes = (m.crc, len(m.data), m.size, len(m.name))
        out.write(
            struct.pack(
                "<4s2B4HL2L2H",
                b"PK\x03\x04",
                20,
                0,
                flags,
                deflated,
                _DOS_TIME,
                _DOS_DATE,
                *sizes,
                0,
            )  # fmt: skip
        )
        out.write(m.name)
        out.write(m.data)
        central.append(
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\x01\x02",
                20,
                3,
                20,
                0,
                flags,
                deflated,
                _DOS_TIME,
                _DOS_DATE,
                *sizes,
                0,
                0,
                0,
                0,
                0o644 << 16,
                offset,
            )  # fmt: skip
            + m.name
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    count = len(central)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))
    return out.getvalue()


def declare_part(members: dict[str, bytes], partname: str, content_type: str, reltype: str) -> None:
    """Declare a package-level part in [Content_Types].xml and _rels/.rels when missing."""
    types = etree.fromstring(members["[Content_Types].xml"])
    if not any(o.get("PartName") == "/" + partname for o in types.iter(f"{{{_CT_NS}}}Override")):
        etree.SubElement(
            types, f"{{{_CT_NS}}}Override", PartName="/" + partname, ContentType=content_type
        )
        members["[Content_Types].xml"] = etree.tostring(types, encoding="UTF-8", standalone=True)
    rels = etree.fromstring(members["_rels/.rels"])
    if not any(r.get("Type") == reltype for r in rels.iter(f"{{{_RELS_NS}}}Relationship")):
        ids = {r.get("Id") for r in rels}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        etree.SubElement(
            rels, f"{{{_RELS_NS}}}Relationship", Id=f"rId{n}", Type=reltype, Target=partname
        )
        members["_rels/.rels"] = etree.tostring(rels, encoding="UTF-8", standalone=True)


def core_properties_xml(source: bytes | None, texts: Mapping[str, str], stamp: str) -> bytes:
    """core.xml from the template's (or a new one): text properties set, dated `stamp`.

    A pure function of its arguments, and they repeat: a template's title and subject rarely
    name the patient, and the stamp is the letter's date. The last 256 answers are kept.
    """
    return _core_properties_xml(source, tuple(texts.items()), stamp)


@functools.lru_cache(maxsize=256)
def _core_properties_xml(
    source: bytes | None, texts: tuple[tuple[str, str], ...], stamp: str
) -> bytes:
    if source:
        root = etree.fromstring(source)
    else:
        root = etree.Element(
            f"{{{_CORE_NS}}}coreProperties",
            nsmap={"cp": _CORE_NS, "dc": _DC_NS, "dcterms": _DCTERMS_NS, "xsi": _XSI_NS},
        )

    def put(tag: str, text: str, **attrib: str) -> None:
        element = root.find(tag)
        if element is None:
            element = etree.SubElement(root, tag)
        element.text = text
        for key, value in attrib.items():
            element.set(key, value)

    for attr, text in texts:
        if text:
            put(CORE_TEXT_TAGS[attr], text)
    w3cdtf = {f"{{{_XSI_NS}}}type": "dcterms:W3CDTF"}
    put(f"{{{_DCTERMS_NS}}}created", stamp, **w3cdtf)
    put(f"{{{_DCTERMS_NS}}}modified", stamp, **w3cdtf)
    put(f"{{{_CORE_NS}}}lastModifiedBy", "formservice")
    put(f"{{{_CORE_NS}}}revision", "1")
    stale = root.find(f"{{{_CORE_NS}}}lastPrinted")
    if stale is not None:
        root.remove(stale)
    return bytes(etree.tostring(root, encoding="UTF-8", standalone=True))


# Names and values that XML writes as they are (no escaping, nothing lxml would refuse): every
# provenance property (template names, versions, sha256 digests) is one.
_PLAIN_PROPERTY = re.compile(r"[A-Za-z0-9 ._:/+=@-]+")


def custom_properties_xml(properties: Mapping[str, str]) -> bytes:
    """custom.xml holding each property as a string, sorted by name.

    Raises TypeError for a name that is not a non-empty str or a value that is not a str.
    """
    items = sorted(properties.items())
    if all(
        # Exactly str: a str subclass (an Enum) may format otherwise than lxml writes it.
        type(name) is str
        and type(value) is str
        and _PLAIN_PROPERTY.fullmatch(name)
        and (value == "" or _PLAIN_PROPERTY.fullmatch(value))
        for name, value in items
    ):
        # Plain text needs no escaping: the bytes lxml writes, as one string (a render pays
        # 0.05 ms for the element tree otherwise). `_custom_properties_tree` is the reference.
        body = "".join(
            f'<property fmtid="{_CUSTOM_FMTID}" pid="{pid}" name="{name}">'
            + f"<vt:lpwstr>{value}</vt:lpwstr></property>"
            for pid, (name, value) in enumerate(items, start=2)
        )
        root = f'<Properties xmlns="{_CUSTOM_NS}" xmlns:vt="{_VT_NS}"'
        root += f">{body}</Properties>" if body else "/>"
        return (_XML_DECLARATION + root).encode("utf-8")
    return _custom_properties_tree(properties)


_XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"


def _custom_properties_tree(properties: Mapping[str, str]) -> bytes:
    """custom.xml written by lxml (any text, escaped; lxml refuses what XML cannot hold)."""
    root = etree.Element(f"{{{_CUSTOM_NS}}}Properties", nsmap={None: _CUSTOM_NS, "vt": _VT_NS})
    for pid, (name, value) in enumerate(sorted(properties.items()), start=2):
        if not isinstance(name, str) or not name or not isinstance(value, str):
            raise TypeError(f"document property {name!r} must be a non-empty str with a str value")
        prop = etree.SubElement(
            root, f"{{{_CUSTOM_NS}}}property", fmtid=_CUSTOM_FMTID, pid=str(pid), name=name
        )
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = value
    return bytes(etree.tostring(root, encoding="UTF-8", standalone=True))


def read_properties(document: bytes) -> dict[str, str]:
    """The custom document properties of a DOCX (empty when it has none)."""
    with zipfile.ZipFile(io.BytesIO(document)) as zf:
        if CUSTOM_NAME not in zf.namelist():
            return {}
        root = etree.fromstring(zf.read(CUSTOM_NAME))
    return {
        p.get("name", ""): "".join(p.itertext()) for p in root.iter(f"{{{_CUSTOM_NS}}}property")
    }


def document_text(document: bytes, member: str = "word/document.xml") -> str:
    """The text of a DOCX part: one line per paragraph, tabs and line breaks kept."""
    with zipfile.ZipFile(io.BytesIO(document)) as zf:
        root = etree.fromstring(zf.read(member))
    w = f"{{{_W_NS}}}"
    marks = {f"{w}tab": "\t", f"{w}br": "\n"}
    lines = []
    for paragraph in root.iter(f"{w}p"):
        parts = [
            (node.text or "") if node.tag == f"{w}t" else marks[node.tag]
            for node in paragraph.iter(f"{w}t", f"{w}tab", f"{w}br")
        ]
        lines.append("".join(parts))
    return "\n".join(lines)


# lxml (already python-docx's parser) told to resolve no entity, load no DTD and fetch nothing,
# rather than defusedxml: its lxml support is deprecated, and the rule here is stricter anyway.
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def unsafe_xml(member: str, blob: bytes) -> str | None:
    """Why an XML part of a DOCX must not be read, or None.

    A DOCX part never declares a DTD (ECMA-376 Part 2, Open Packaging Conventions: package XML
    must not contain DTD declarations), so any DOCTYPE is refused outright: an external entity
    (a file or URL read while parsing) or an entity bomb (entities nested to expand to
    gigabytes) can only come in through one. Checked on the raw part, before python-docx or
    docxtpl parse it, in every part (styles.xml, settings, relationships), not only templated.
    """
    try:
        tree = etree.fromstring(blob, parser=SAFE_XML).getroottree()
    except etree.XMLSyntaxError as exc:
        return f"{member} is not well-formed XML: {exc}."
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return (
            f"{member} declares a DTD (<!DOCTYPE ...>), which no Word document has: entities "
            "from it could read files or expand without bound, so the file is refused."
        )
    return None
