"""A fillable PDF parsed once: its fields, widgets and pages, ready to be filled many times.

`prepare_template` decrypts a form protected only by an empty password, drops XFA (so viewers
show the AcroForm values), clears NeedAppearances (every fill writes real appearances) and adds
the Helvetica resource the appearances draw with. It then indexes every field
(`index.index_form`) with the raw pypdf objects a fill needs.
"""

from __future__ import annotations

import io
from typing import Any

from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, IndirectObject, NameObject

from formservice.documents.forms.appearance import FONT_RESOURCE
from formservice.documents.forms.increment import Increment, read_base
from formservice.documents.forms.index import index_form
from formservice.documents.forms.spec import READ_ERRORS, FormTemplate, pdf_get
from formservice.errors import BadInputError, FormserviceError, UnreadablePdfError

__all__ = ["prepare_template"]

_OPEN_ERRORS: tuple[type[BaseException], ...] = (*READ_ERRORS, OSError)


def prepare_template(data: bytes, *, form_id: str = "", source: str = "<bytes>") -> FormTemplate:
    """Parse, normalise and index a fillable PDF; a clear error if it cannot be filled.

    UnreadablePdfError (422) when pypdf cannot read the file at any step (a damaged file often
    opens and breaks later, while decrypting or walking its pages); BadInputError when it reads
    but cannot be filled (locked, no fields, pure XFA).
    """
    try:
        return _prepare(data, form_id, source)
    except FormserviceError:
        raise
    except READ_ERRORS as exc:
        raise UnreadablePdfError(
            f"{source}: the PDF is damaged and cannot be read ({_short(exc)})",
            errors={"file": [f"{type(exc).__name__}: {_short(exc)}"]},
        ) from exc


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _prepare(data: bytes, form_id: str, source: str) -> FormTemplate:
    reader = _open(data, source)
    if reader.is_encrypted:
        data = _decrypted_copy(reader, source)
        reader = _open(data, source)
    root: Any = reader.trailer["/Root"]
    acroform = _resolved(root.get("/AcroForm"))
    fields = _resolved(acroform.get("/Fields")) if isinstance(acroform, DictionaryObject) else None
    if not fields:
        if isinstance(acroform, DictionaryObject) and "/XFA" in acroform:
            raise BadInputError(f"{source}: a pure XFA form (no AcroForm fields); cannot fill it")
        raise BadInputError(f"{source}: the PDF has no fillable form fields")
    data = _normalised(data, reader)
    reader = _open(data, source)
    return index_form(reader, data, form_id=form_id, source=source)


def _resolved(value: Any) -> Any:
    return value.get_object() if value is not None else None


def _open(data: bytes, source: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if not reader.is_encrypted:
            _ = reader.trailer["/Root"]
    except _OPEN_ERRORS as exc:
        raise UnreadablePdfError(
            f"{source}: not a readable PDF ({_short(exc)})", errors={"file": [_short(exc)]}
        ) from exc
    return reader


def _decrypted_copy(reader: PdfReader, source: str) -> bytes:
    """Decrypt a form that opens with an empty user password and rewrite it in the clear."""
    try:
        ok = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except (PyPdfError, NotImplementedError) as exc:
        raise UnreadablePdfError(
            f"{source}: cannot decrypt the PDF ({_short(exc)})", errors={"file": [_short(exc)]}
        ) from exc
    if not ok:
        raise BadInputError(f"{source}: the PDF is password-protected; supply an unlocked copy")
    writer = PdfWriter(clone_from=reader)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _normalised(data: bytes, reader: PdfReader) -> bytes:
    """Append one update: AcroForm without XFA/NeedAppearances, with our fonts in /DR."""
    base = read_base(data, reader)
    update = Increment(base, data)
    root_ref = reader.trailer.raw_get("/Root")
    root: Any = reader.trailer["/Root"]
    font = _font_dict("/Helvetica", winansi=True)
    font_ref = update.add(font)
    zapf_ref = update.add(_font_dict("/ZapfDingbats", winansi=False))
    acroform_raw = root.raw_get("/AcroForm")
    acroform = DictionaryObject(root["/AcroForm"])
    for key in ("/XFA", "/NeedAppearances"):
        acroform.pop(NameObject(key), None)
    dr = pdf_get(acroform, "/DR")
    dr = DictionaryObject(dr) if isinstance(dr, DictionaryObject) else DictionaryObject()
    fonts = pdf_get(dr, "/Font")
    fonts = DictionaryObject(fonts) if isinstance(fonts, DictionaryObject) else DictionaryObject()
    fonts[NameObject(FONT_RESOURCE)] = font_ref
    fonts.setdefault(NameObject("/ZaDb"), zapf_ref)
    dr[NameObject("/Font")] = fonts
    acroform[NameObject("/DR")] = dr
    if isinstance(acroform_raw, IndirectObject):
        update.replace(acroform_raw, acroform)
    else:
        catalog = DictionaryObject(root)
        catalog[NameObject("/AcroForm")] = update.add(acroform)
        update.replace(root_ref, catalog)
    return update.to_bytes()


def _font_dict(base_font: str, *, winansi: bool) -> DictionaryObject:
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject(base_font),
        }
    )
    if winansi:
        font[NameObject("/Encoding")] = NameObject("/WinAnsiEncoding")
    return font
