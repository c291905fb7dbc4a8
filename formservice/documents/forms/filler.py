"""One fill's bookkeeping: copy-on-write edits of field and widget dicts, the appearance streams
drawn so far and the fonts they use, all collected into one incremental update (`Increment`).

`fill` drives a `Filler`; `value_writers` writes each kind of value through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pypdf.generic import DictionaryObject, IndirectObject, NameObject, TextStringObject

from formservice.documents.forms import appearance as draw
from formservice.documents.forms.field_maps import FieldOptions
from formservice.documents.forms.fonts import FontFile, pdf_font_objects
from formservice.documents.forms.increment import Increment
from formservice.documents.forms.shaping import FontUse, UnicodeFace
from formservice.documents.forms.spec import Appearance, FieldSpec, FormTemplate, Widget

__all__ = ["Filler", "Overflow", "pdf_ref"]


@dataclass(frozen=True, slots=True)
class Overflow:
    """A value that did not fit its field: which field, why, and what was shown instead."""

    field: str
    reason: str  # max_length | width | height | unsupported_characters | left_out
    value: str
    detail: str


class Filler:
    """One fill: copy-on-write edits of field and widget dicts, collected into one update."""

    def __init__(self, tpl: FormTemplate, options: Mapping[str, FieldOptions]) -> None:
        self.tpl = tpl
        self.options = options
        self.update = Increment(tpl.base)
        self.edits: dict[int, tuple[IndirectObject, DictionaryObject]] = {}
        self.overflow: list[Overflow] = []
        self.filled: dict[str, Any] = {}
        self.drawn: dict[int, Appearance] = {}  # widget object number -> its new appearance
        self.fonts = f"{draw.FONT_RESOURCE} {pdf_ref(tpl.font_ref)} /ZaDb {pdf_ref(tpl.zapf_ref)}"
        self.font_use = FontUse()
        self.face = UnicodeFace(self.font_use)  # for values outside WinAnsi
        self.font_refs: dict[FontFile, IndirectObject] = {}

    @property
    def resources(self) -> bytes:
        """The /Font resources of an appearance: Helvetica, Dingbats, embedded fonts so far."""
        extra = ""
        for font, name in self.font_use.names.items():
            if font not in self.font_refs:
                self.font_refs[font] = self.update.add(b"null")  # written by embed_fonts
            extra += f" {name} {pdf_ref(self.font_refs[font])}"
        return f"/Font << {self.fonts}{extra} >>".encode()

    def embed_fonts(self) -> None:
        """Write each embedded font, subset to the glyphs this fill drew."""
        for font, ref in self.font_refs.items():
            objects = pdf_font_objects(font, self.font_use.glyphs[font])
            refs = {k: pdf_ref(self.update.add(objects[k])) for k in ("file", "tounicode")}
            descriptor = objects["descriptor"].replace(b"{file}", refs["file"].encode())
            refs["descriptor"] = pdf_ref(self.update.add(descriptor))
            cidfont = objects["cidfont"].replace(b"{descriptor}", refs["descriptor"].encode())
            refs["cidfont"] = pdf_ref(self.update.add(cidfont))
            type0 = objects["type0"]
            for key in ("cidfont", "tounicode"):
                type0 = type0.replace(b"{%s}" % key.encode(), refs[key].encode())
            self.update.replace(ref, type0)

    def edit(self, ref: IndirectObject, raw: DictionaryObject) -> DictionaryObject:
        """The dict at `ref`, copied on first edit; later edits change the same copy."""
        if ref.idnum not in self.edits:
            self.edits[ref.idnum] = (ref, DictionaryObject(raw))
        return self.edits[ref.idnum][1]

    def nodes(self, spec: FieldSpec) -> list[DictionaryObject]:
        """The field's dict (and its same-named twins), ready to edit."""
        pairs = [(spec.ref, spec.raw), *spec.twins]
        return [self.edit(ref, raw) for ref, raw in pairs]

    def write_edits(self) -> None:
        """Put every edited dict into the update (again, if edited since)."""
        for ref, obj in self.edits.values():
            self.update.replace(ref, obj)

    def set_da(self, spec: FieldSpec, size: float, color: str) -> None:
        """Set the default appearance (font, size, colour) on the field and its widgets."""
        da = TextStringObject(f"{draw.FONT_RESOURCE} {draw.number(size)} Tf {color}")
        for node in self.nodes(spec):
            node[NameObject("/DA")] = da
        for widget in spec.widgets:
            if "/DA" in widget.raw:
                self.edit(widget.ref, widget.raw)[NameObject("/DA")] = da

    def set_normal(
        self, widget: Widget, content: bytes, box: draw.Box, matrix: tuple[float, ...]
    ) -> None:
        """Give the widget `content` as its normal appearance, and remember it for flattening."""
        ref = self.update.add(self.xobject(content, box, matrix))
        node = self.edit(widget.ref, widget.raw)
        node[NameObject("/AP")] = DictionaryObject({NameObject("/N"): ref})
        bbox = (0.0, 0.0, box.width, box.height)
        self.drawn[widget.ref.idnum] = Appearance(ref, bbox, six(matrix))

    def xobject(
        self, content: bytes, box: draw.Box, matrix: tuple[float, ...], extra: bytes = b""
    ) -> bytes:
        """A form XObject (the bytes of a stream object) drawing `content` in `box`."""
        head = b"<< /Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources << %s%s >>" % (
            draw.number(box.width).encode(),
            draw.number(box.height).encode(),
            self.resources,
            extra,
        )
        if matrix != (1, 0, 0, 1, 0, 0):
            head += b" /Matrix [" + " ".join(draw.number(m) for m in matrix).encode() + b"]"
        head += b" /Length %d >>\nstream\n" % len(content)
        return head + content + b"\nendstream"

    def report(self, spec: FieldSpec, reason: str, value: str, detail: str) -> None:
        """Record a value that was not shown in full (see `Overflow`)."""
        self.overflow.append(Overflow(spec.name, reason, value, detail))


def pdf_ref(ref: IndirectObject) -> str:
    """``N G R``: how a content stream or dict refers to an object."""
    return f"{ref.idnum} {ref.generation} R"


def six(matrix: tuple[float, ...]) -> tuple[float, float, float, float, float, float]:
    """A widget matrix as the six-number tuple `Appearance` keeps."""
    a, b, c, d, e, f = matrix
    return (a, b, c, d, e, f)
