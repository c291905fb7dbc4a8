"""Index a normalised form once: every terminal field by full name, with its inherited
attributes, widgets and their appearances, and every page with its resources and annotations.

The index keeps the raw pypdf objects a fill needs, so filling never touches the parser again
(and is thread-safe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from formservice.documents.forms.appearance import FONT_RESOURCE
from formservice.documents.forms.increment import read_base
from formservice.documents.forms.names import original_names
from formservice.documents.forms.spec import (
    NORMAL,
    Appearance,
    FieldSpec,
    FormTemplate,
    PageSpec,
    Widget,
    pdf_get,
)

__all__ = ["index_form"]

_FF_RADIO = 1 << 15
_FF_PUSHBUTTON = 1 << 16
_FF_COMBO = 1 << 17
_INHERITED = ("/FT", "/Ff", "/DA", "/Q", "/MaxLen", "/Opt", "/V", "/TU")


def index_form(reader: PdfReader, data: bytes, *, form_id: str, source: str) -> FormTemplate:
    """The prepared form's index: its pages, its fields by full name, its fonts and info."""
    pages: list[PageSpec] = []
    page_of: dict[int, int] = {}
    for number, page in enumerate(reader.pages):
        annots = pdf_get(page, "/Annots")
        raw_annots = tuple(annots) if isinstance(annots, ArrayObject) else ()
        for annot in raw_annots:
            if isinstance(annot, IndirectObject):
                page_of[annot.idnum] = number
        resources = page.get("/Resources")
        assert page.indirect_reference is not None  # noqa: S101  # pages in a parsed file are indirect
        pages.append(
            PageSpec(
                ref=page.indirect_reference,
                raw=DictionaryObject(page),
                resources=_deep_dict(resources),
                annots=raw_annots,
            )
        )
    root: Any = reader.trailer["/Root"]
    acroform_ref = root.raw_get("/AcroForm")
    acroform = root["/AcroForm"]
    found: dict[str, FieldSpec] = {}
    default_da = str(pdf_get(acroform, "/DA", "/Helv 0 Tf 0 g"))
    scan = _Scan(reader, data, page_of)
    for kid in pdf_get(acroform, "/Fields", ArrayObject()):
        _walk(kid, "", {"/DA": default_da}, scan, found, depth=0)
    fonts = acroform["/DR"]["/Font"]
    return FormTemplate(
        form_id=form_id,
        source=source,
        data=data,
        base=read_base(data, reader),
        fields=found,
        pages=tuple(pages),
        acroform_ref=acroform_ref,
        acroform=DictionaryObject(acroform),
        font_ref=fonts.raw_get(FONT_RESOURCE),
        zapf_ref=fonts.raw_get("/ZaDb"),
        info=_info(reader),
    )


def _info(reader: PdfReader) -> DictionaryObject:
    """The document-information dictionary, resolved (empty when the file has none)."""
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else None
    return DictionaryObject(info) if isinstance(info, DictionaryObject) else DictionaryObject()


def _deep_dict(value: Any) -> DictionaryObject:
    """A page's resources resolved one level, so the flattener can extend /XObject."""
    value = value.get_object() if value is not None else None
    out = DictionaryObject(value) if isinstance(value, DictionaryObject) else DictionaryObject()
    for key, item in list(out.items()):
        resolved = item.get_object()
        if isinstance(resolved, DictionaryObject):
            out[key] = DictionaryObject(resolved)
    return out


@dataclass(frozen=True, slots=True)
class _Scan:
    """What indexing a widget needs beyond its dict: the file, and each annotation's page."""

    reader: PdfReader
    data: bytes
    page_of: dict[int, int]


def _walk(
    ref: Any,
    parent: str,
    inherited: dict[str, Any],
    scan: _Scan,
    found: dict[str, FieldSpec],
    depth: int,
) -> None:
    if depth > 32 or not isinstance(ref, IndirectObject):
        return  # a cycle or a direct field dict: neither is fillable by reference
    node = ref.get_object()
    if not isinstance(node, DictionaryObject):
        return
    part = pdf_get(node, "/T")
    name = f"{parent}.{part}" if parent and part is not None else str(part or parent)
    attrs = dict(inherited)
    for key in _INHERITED:
        if key in node:
            attrs[key] = node[key]
    kids = [k for k in pdf_get(node, "/Kids", ArrayObject()) if isinstance(k, IndirectObject)]
    named = [k for k in kids if "/T" in _as_dict(k.get_object())]
    if named:
        for kid in named:
            _walk(kid, name, attrs, scan, found, depth + 1)
        return
    widget_refs = kids or [ref]
    widgets = tuple(_widget(w, scan) for w in widget_refs)
    if name in found:  # two terminal nodes with one name act as one field
        old = found[name]
        twins = (*old.twins, (ref, DictionaryObject(node)))
        found[name] = FieldSpec(
            **{**_spec_dict(old), "widgets": old.widgets + widgets, "twins": twins}
        )
        return
    found[name] = _field(name, ref, node, attrs, widgets)


def _as_dict(value: Any) -> DictionaryObject:
    return value if isinstance(value, DictionaryObject) else DictionaryObject()


def _spec_dict(spec: FieldSpec) -> dict[str, Any]:
    return {k: getattr(spec, k) for k in FieldSpec.__slots__}


def _field(
    name: str,
    ref: IndirectObject,
    node: DictionaryObject,
    attrs: dict[str, Any],
    widgets: tuple[Widget, ...],
) -> FieldSpec:
    ft = attrs.get("/FT")
    flags = int(attrs.get("/Ff", 0) or 0)
    if ft == "/Tx":
        kind = "text"
    elif ft == "/Btn":
        if flags & _FF_PUSHBUTTON:
            kind = "button"
        else:
            kind = "radio" if flags & _FF_RADIO else "checkbox"
    elif ft == "/Ch":
        kind = "combo" if flags & _FF_COMBO else "list"
    elif ft == "/Sig":
        kind = "signature"
    else:
        kind = "unknown"
    max_len = attrs.get("/MaxLen")
    tooltip = attrs.get("/TU")
    return FieldSpec(
        name=name,
        kind=kind,
        ref=ref,
        raw=DictionaryObject(node),
        flags=flags,
        da=str(attrs.get("/DA", "")),
        quadding=int(attrs.get("/Q", 0) or 0),
        max_length=int(max_len) if max_len is not None else None,
        options=_options(attrs.get("/Opt")),
        tooltip=str(tooltip) if tooltip is not None else None,
        value=attrs.get("/V"),
        widgets=widgets,
    )


def _options(opt: Any) -> tuple[tuple[str, str], ...]:
    opt = opt.get_object() if opt is not None else None
    if not isinstance(opt, ArrayObject):
        return ()
    out: list[tuple[str, str]] = []
    for item in opt:
        item = item.get_object()
        if isinstance(item, ArrayObject) and len(item) >= 2:
            out.append((str(item[0].get_object()), str(item[1].get_object())))
        else:
            out.append((str(item), str(item)))
    return tuple(out)


def _widget(ref: IndirectObject, scan: _Scan) -> Widget:
    raw = ref.get_object()
    assert isinstance(raw, DictionaryObject)  # noqa: S101  # kids of a field are dictionaries
    rect = [float(v) for v in pdf_get(raw, "/Rect", [0, 0, 0, 0])]
    x0, x1 = sorted((rect[0], rect[2]))
    y0, y1 = sorted((rect[1], rect[3]))
    for key in ("/MK", "/BS"):
        pdf_get(raw, key)  # resolve now: fills then hit pypdf's object cache, not the parser
    appearances: dict[str, Appearance] = {}
    ap = pdf_get(raw, "/AP")
    normal = pdf_get(ap, "/N")
    if isinstance(normal, StreamObject):
        appearances[NORMAL] = _appearance(ap.raw_get("/N"))
    elif isinstance(normal, DictionaryObject):
        for key in normal:
            stream = normal.raw_get(key)
            if isinstance(stream.get_object(), StreamObject):
                appearances[str(key)[1:]] = _appearance(stream)
    names = {}
    if not all(state.isascii() for state in appearances):
        holders = [ref, raw.get("/AP"), ap.get("/N"), ap.get("/D")]
        names = original_names(scan.reader, scan.data, holders, appearances)
    return Widget(
        ref=ref,
        page=scan.page_of.get(ref.idnum, -1),
        rect=(x0, y0, x1, y1),
        raw=DictionaryObject(raw),
        appearances=appearances,
        names=names,
    )


def _appearance(ref: Any) -> Appearance:
    stream = ref.get_object()
    bbox = [float(v) for v in pdf_get(stream, "/BBox", [0, 0, 0, 0])]
    matrix = [float(v) for v in pdf_get(stream, "/Matrix", [1, 0, 0, 1, 0, 0])]
    return Appearance(
        ref=ref,
        bbox=(bbox[0], bbox[1], bbox[2], bbox[3]),
        matrix=(matrix[0], matrix[1], matrix[2], matrix[3], matrix[4], matrix[5]),
    )
