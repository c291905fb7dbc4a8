"""A fillable PDF parsed once: its fields, widgets and pages, ready to be filled many times.

`prepare_template` decrypts a form protected only by an empty password, drops XFA (so viewers
show the AcroForm values), clears NeedAppearances (every fill writes real appearances) and adds
the Helvetica resource the appearances draw with. It then indexes every field with the raw
pypdf objects a fill needs, so filling never touches the parser again (and is thread-safe).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from formservice.documents.forms.appearance import FONT_RESOURCE
from formservice.documents.forms.increment import BaseInfo, Increment, read_base
from formservice.errors import BadInputError

_FF_MULTILINE = 1 << 12
_FF_PASSWORD = 1 << 13
_FF_RADIO = 1 << 15
_FF_PUSHBUTTON = 1 << 16
_FF_COMBO = 1 << 17
_FF_EDIT = 1 << 18
_FF_MULTISELECT = 1 << 21
_FF_COMB = 1 << 24
NORMAL = "\x00normal"  # key of a widget's single (stateless) normal appearance
_INHERITED = ("/FT", "/Ff", "/DA", "/Q", "/MaxLen", "/Opt", "/V", "/TU")


@dataclass(frozen=True, slots=True)
class Appearance:
    """An existing appearance stream: its reference, bounding box and matrix."""

    ref: Any
    bbox: tuple[float, float, float, float]
    matrix: tuple[float, float, float, float, float, float] = (1, 0, 0, 1, 0, 0)


@dataclass(frozen=True, slots=True)
class Widget:
    """One widget annotation of a field, as found in the template."""

    ref: IndirectObject
    page: int
    rect: tuple[float, float, float, float]
    raw: DictionaryObject
    # /AP /N: NORMAL -> the single stream (text, choice); state name -> stream (button states;
    # a state may be named "" - an OpenOffice radio's empty export value)
    appearances: Mapping[str, Appearance] = field(default_factory=dict)

    @property
    def on_states(self) -> tuple[str, ...]:
        """The widget's on-state names (without the slash), read from /AP /N."""
        return tuple(s for s in self.appearances if s not in ("Off", NORMAL))


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A terminal field: its full name, kind, inherited attributes and widgets."""

    name: str
    kind: str  # text | checkbox | radio | combo | list | button | signature
    ref: IndirectObject
    raw: DictionaryObject
    flags: int
    da: str
    quadding: int
    max_length: int | None
    options: tuple[tuple[str, str], ...]  # (export value, display text)
    tooltip: str | None
    value: Any
    widgets: tuple[Widget, ...]
    # Other terminal nodes with the same full name (some tools write one per widget): a fill
    # sets /V on each, or viewers disagree on the value.
    twins: tuple[tuple[IndirectObject, DictionaryObject], ...] = ()

    @property
    def multiline(self) -> bool:
        return bool(self.flags & _FF_MULTILINE)

    @property
    def comb(self) -> bool:
        return bool(self.flags & _FF_COMB) and self.max_length is not None

    @property
    def editable_choice(self) -> bool:
        return bool(self.flags & _FF_EDIT)

    @property
    def multiselect(self) -> bool:
        return bool(self.flags & _FF_MULTISELECT)

    @property
    def on_states(self) -> tuple[str, ...]:
        """Every on-state of every widget, in widget order, without duplicates."""
        seen: dict[str, None] = {}
        for widget in self.widgets:
            seen.update(dict.fromkeys(widget.on_states))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class PageSpec:
    """A page as the flattener needs it: its dict, effective resources and annotations."""

    ref: IndirectObject
    raw: DictionaryObject
    resources: DictionaryObject
    annots: tuple[Any, ...]


@dataclass(frozen=True, slots=True, eq=False)
class FormTemplate:
    """A prepared form: bytes to append fills to, and the index that makes filling cheap."""

    form_id: str
    source: str
    data: bytes
    base: BaseInfo
    fields: Mapping[str, FieldSpec]
    pages: tuple[PageSpec, ...]
    acroform_ref: IndirectObject
    acroform: DictionaryObject
    font_ref: IndirectObject
    zapf_ref: IndirectObject
    info: DictionaryObject = field(default_factory=DictionaryObject)  # the document properties


def prepare_template(data: bytes, *, form_id: str = "", source: str = "<bytes>") -> FormTemplate:
    """Parse, normalise and index a fillable PDF; a clear BadInputError if it cannot be filled."""
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
    return _index(reader, data, form_id=form_id, source=source)


def _resolved(value: Any) -> Any:
    return value.get_object() if value is not None else None


def pdf_get(obj: Any, key: str, default: Any = None) -> Any:
    """obj[key] resolved when present (pypdf's dict.get returns indirect references as-is)."""
    value = obj.get(key) if isinstance(obj, DictionaryObject) else None
    return value.get_object() if value is not None else default


def _open(data: bytes, source: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if not reader.is_encrypted:
            _ = reader.trailer["/Root"]
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise BadInputError(f"{source}: not a readable PDF ({exc})") from exc
    return reader


def _decrypted_copy(reader: PdfReader, source: str) -> bytes:
    """Decrypt a form that opens with an empty user password and rewrite it in the clear."""
    try:
        ok = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except (PyPdfError, NotImplementedError) as exc:
        raise BadInputError(f"{source}: cannot decrypt the PDF ({exc})") from exc
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


def _index(reader: PdfReader, data: bytes, *, form_id: str, source: str) -> FormTemplate:
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
    for kid in pdf_get(acroform, "/Fields", ArrayObject()):
        _walk(kid, "", {"/DA": default_da}, page_of, found, depth=0)
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


def _walk(
    ref: Any,
    parent: str,
    inherited: dict[str, Any],
    page_of: dict[int, int],
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
            _walk(kid, name, attrs, page_of, found, depth + 1)
        return
    widget_refs = kids or [ref]
    widgets = tuple(_widget(w, page_of) for w in widget_refs)
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


def _widget(ref: IndirectObject, page_of: dict[int, int]) -> Widget:
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
    return Widget(
        ref=ref,
        page=page_of.get(ref.idnum, -1),
        rect=(x0, y0, x1, y1),
        raw=DictionaryObject(raw),
        appearances=appearances,
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
