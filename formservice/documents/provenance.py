"""What identifies a generated document: the properties it carries and the hashes that trace it.

Every generated file records the template (name, version, SHA-256) and the SHA-256 of everything
else that went into it (`input_hash`), in its own document properties and in its database row, so
any letter can be traced to its inputs and made again byte for byte. DOCX letters carry them as
custom properties; PDFs (forms, packets, and letters converted by LibreOffice, `stamp_pdf`) in
their document information dictionary.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pypdf import PdfWriter

from formservice.model import Case, CaseFacts, DocumentRequest
from formservice.schemas.case import dump_case

__all__ = [
    "content_sha256",
    "form_identity",
    "input_hash",
    "provenance",
    "same_content",
    "stamp_pdf",
]


def provenance(kind: str, name: str, version: int, sha256: str, inputs: str) -> dict[str, str]:
    """The properties every generated document carries: what made it, from what."""
    return {
        "formservice.template": name,
        "formservice.template_version": str(version),
        "formservice.template_sha256": sha256,
        "formservice.input_sha256": inputs,
        "formservice.kind": kind,
    }


def stamp_pdf(pdf: bytes, properties: Mapping[str, str]) -> bytes:
    """`pdf` with `properties` added to its document information dictionary.

    Written as an incremental update: the converter's bytes stay exactly as they were and the
    new information dictionary is appended, so a PDF/A file stays PDF/A (the added keys are
    custom ones, with no XMP counterpart to keep in step).
    """
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_metadata({f"/{key}": value for key, value in properties.items()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def input_hash(case: Case, request: DocumentRequest, facts: CaseFacts, today: date) -> str:
    """SHA-256 of everything that goes into a document besides the template."""
    canonical = json.dumps(
        {
            "case": dump_case(case),
            "kind": request.kind,
            "form": request.form,
            "flatten": request.flatten,
            "pdfa": request.pdfa,
            # Only when given: documents made before it existed keep their hash.
            **({"late_reason": request.late_reason} if request.late_reason else {}),
            "date": today.isoformat(),
            "benefits": facts.benefits.to_json() if facts.benefits else None,
            "denial": facts.denial.facts_json() if facts.denial else None,
            "denial_source": facts.denial_source_sha256,
            "forms": list(facts.forms),
            "documents": sorted(facts.documents),
            **({"pa_history": list(facts.pa_history)} if request.kind == "appeal_packet" else {}),
            # A packet's letters list what the packet holds: only when set (standalone letters
            # keep their hash).
            **({"packet": list(facts.packet.parts)} if facts.packet is not None else {}),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def form_identity(forms_dir: Path, form_id: str) -> str:
    """SHA-256 of a payer form and its field map: the "template" identity of a filled form."""
    digest = hashlib.sha256()
    for suffix in (".pdf", ".map.yaml"):
        digest.update((forms_dir / f"{form_id}{suffix}").read_bytes())
    return digest.hexdigest()


def content_sha256(data: bytes) -> str:
    """Hash of what a reader sees: every DOCX part but the document properties (PDFs whole).

    Built from the zip's central directory (name, CRC-32 and size of each part), so nothing is
    decompressed; read with struct because regeneration runs this twice per letter.
    """
    if not data.startswith(b"PK"):
        return hashlib.sha256(data).hexdigest()
    entries = central_directory(data)
    digest = hashlib.sha256()
    for name, crc, size in sorted(entries):
        if not name.startswith("docProps/"):
            digest.update(f"{name}\0{crc:08x}\0{size}\n".encode())
    return digest.hexdigest()


def same_content(a: bytes, b: bytes) -> bool:
    """Whether two documents read the same: ``content_sha256(a) == content_sha256(b)``, told
    from the parts' names, CRC-32s and sizes directly (regeneration asks once per letter)."""
    if not (a.startswith(b"PK") and b.startswith(b"PK")):
        return content_sha256(a) == content_sha256(b)
    return _reader_parts(a) == _reader_parts(b)


def _reader_parts(data: bytes) -> list[tuple[str, int, int]]:
    return sorted(e for e in central_directory(data) if not e[0].startswith("docProps/"))


_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"


def central_directory(data: bytes) -> list[tuple[str, int, int]]:
    """(name, CRC-32, uncompressed size) of every part of a zip, from its central directory."""
    end = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if end >= 0:
        count, _size, offset = struct.unpack_from("<HIIH", data, end + 10)[:3]
        entries, pos = [], offset
        for _ in range(count):
            if data[pos : pos + 4] != _CENTRAL:
                break
            crc, _csize, usize, nlen, elen, clen = struct.unpack_from("<IIIHHH", data, pos + 16)
            name = data[pos + 46 : pos + 46 + nlen].decode("utf-8", "replace")
            entries.append((name, crc, usize))
            pos += 46 + nlen + elen + clen
        else:
            return entries
    # Anything unusual (zip64, a damaged directory): let zipfile read it.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, i.CRC, i.file_size) for i in zf.infolist()]
