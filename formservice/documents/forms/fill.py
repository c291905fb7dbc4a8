"""Fill payer PDF forms (AcroForms) with pypdf: editable or flattened, visible in every viewer.

A template is parsed once (`load_form`, cached; or `prepare_template` for bytes) into an index
of fields and widgets. `fill_form` then writes each value's field dict and a real appearance
stream (drawn in Helvetica, or for text outside WinAnsi in embedded font subsets: see
`appearance`, `shaping`, `fonts`) and appends only those objects to the template bytes as one
incremental update; flattening draws every widget a viewer shows into its page and removes the
widgets. Text that does not fit, characters no font has and widgets left out of a flat page are
reported in `FillResult.overflow`, never dropped silently. Shipped forms (by id, through their
field maps) are in `shipped`.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from formservice.documents.forms import appearance as draw
from formservice.documents.forms.field_maps import FieldOptions
from formservice.documents.forms.field_values import (
    FieldValue,
    Rejected,
    as_text,
    choose_state,
    option_index,
    option_state,
)
from formservice.documents.forms.flatten import fit_matrix, flatten_pages
from formservice.documents.forms.fonts import FontFile, pdf_font_objects
from formservice.documents.forms.increment import Increment
from formservice.documents.forms.names import respell
from formservice.documents.forms.shaping import FontUse, UnicodeFace
from formservice.documents.forms.spec import (
    NORMAL,
    Appearance,
    FieldSpec,
    FormTemplate,
    Widget,
    pdf_get,
)
from formservice.documents.forms.template import prepare_template
from formservice.documents.forms.widget_box import parse_da, widget_box
from formservice.errors import UnreadablePdfError, ValidationProblem

__all__ = [
    "FieldOptions",
    "FieldValue",
    "FillResult",
    "FormTemplate",
    "Overflow",
    "fill_form",
    "prepare_template",
]


@dataclass(frozen=True, slots=True)
class Overflow:
    """A value that did not fit its field: which field, why, and what was shown instead."""

    field: str
    reason: str  # max_length | width | height | unsupported_characters | left_out
    value: str
    detail: str


@dataclass(frozen=True, slots=True)
class FillResult:
    """The filled PDF, what did not fit, and the value written to each field."""

    pdf: bytes
    overflow: list[Overflow] = field(default_factory=list)
    filled: dict[str, Any] = field(default_factory=dict)


def fill_form(
    template: FormTemplate | bytes,
    values: Mapping[str, FieldValue],
    *,
    flatten: bool = False,
    options: Mapping[str, FieldOptions] | None = None,
    properties: Mapping[str, str] | None = None,
) -> FillResult:
    """Fill fields by full name; None leaves a field as it is. Raises ValidationProblem.

    `properties` are added to the document information (provenance, as letters carry it).
    """
    tpl = template if isinstance(template, FormTemplate) else prepare_template(template)
    filler = _Filler(tpl, options or {})
    try:
        filler.fill_all(values)
        if flatten:
            filler.flatten()
        filler.embed_fonts()
    except (PyPdfError, zlib.error) as exc:  # an object the index left unresolved is damaged
        detail = " ".join(str(exc).split())[:200]
        raise UnreadablePdfError(
            f"{tpl.source}: part of the PDF is damaged and cannot be read ({detail})",
            errors={"file": [detail]},
        ) from exc
    if properties:
        info = DictionaryObject(tpl.info)
        for key, value in properties.items():
            info[NameObject("/" + key)] = TextStringObject(value)
        filler.update.set_info(info)
    out = io.BytesIO()
    filler.update.write(out, tpl.data)
    return FillResult(pdf=out.getvalue(), overflow=filler.overflow, filled=filler.filled)


class _Filler:
    """One fill: copy-on-write edits of field and widget dicts, collected into one update."""

    def __init__(self, tpl: FormTemplate, options: Mapping[str, FieldOptions]) -> None:
        self.tpl = tpl
        self.options = options
        self.update = Increment(tpl.base)
        self.edits: dict[int, tuple[IndirectObject, DictionaryObject]] = {}
        self.overflow: list[Overflow] = []
        self.filled: dict[str, Any] = {}
        self.drawn: dict[int, Appearance] = {}  # widget object number -> its new appearance
        self.fonts = f"{draw.FONT_RESOURCE} {_ref(tpl.font_ref)} /ZaDb {_ref(tpl.zapf_ref)}"
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
            extra += f" {name} {_ref(self.font_refs[font])}"
        return f"/Font << {self.fonts}{extra} >>".encode()

    def embed_fonts(self) -> None:
        """Write each embedded font, subset to the glyphs this fill drew."""
        for font, ref in self.font_refs.items():
            objects = pdf_font_objects(font, self.font_use.glyphs[font])
            refs = {k: _ref(self.update.add(objects[k])) for k in ("file", "tounicode")}
            descriptor = objects["descriptor"].replace(b"{file}", refs["file"].encode())
            refs["descriptor"] = _ref(self.update.add(descriptor))
            cidfont = objects["cidfont"].replace(b"{descriptor}", refs["descriptor"].encode())
            refs["cidfont"] = _ref(self.update.add(cidfont))
            type0 = objects["type0"]
            for key in ("cidfont", "tounicode"):
                type0 = type0.replace(b"{%s}" % key.encode(), refs[key].encode())
            self.update.replace(ref, type0)

    def edit(self, ref: IndirectObject, raw: DictionaryObject) -> DictionaryObject:
        if ref.idnum not in self.edits:
            self.edits[ref.idnum] = (ref, DictionaryObject(raw))
        return self.edits[ref.idnum][1]

    def nodes(self, spec: FieldSpec) -> list[DictionaryObject]:
        """The field's dict (and its same-named twins), ready to edit."""
        pairs = [(spec.ref, spec.raw), *spec.twins]
        return [self.edit(ref, raw) for ref, raw in pairs]

    def fill_all(self, values: Mapping[str, FieldValue]) -> None:
        problems: dict[str, list[str]] = {}
        for name, value in values.items():
            if value is None:
                continue
            spec = self.tpl.fields.get(name)
            if spec is None:
                problems[name] = [f"form '{self.tpl.source}' has no field named {name!r}"]
                continue
            try:
                self._fill(spec, value)
            except Rejected as exc:
                problems[name] = [str(exc)]
        if problems:
            raise ValidationProblem("some values cannot go into this form", errors=problems)
        for ref, obj in self.edits.values():
            self.update.replace(ref, obj)

    def _fill(self, spec: FieldSpec, value: FieldValue) -> None:
        if spec.kind == "text":
            self._fill_text(spec, as_text(value))
        elif spec.kind in ("checkbox", "radio"):
            self._fill_button(spec, value)
        elif spec.kind in ("combo", "list"):
            self._fill_choice(spec, value)
        else:
            raise Rejected(f"a {spec.kind} field cannot be filled")

    def _fill_text(self, spec: FieldSpec, text: str) -> None:
        opts = self.options.get(spec.name, FieldOptions())
        limits = [n for n in (spec.max_length, opts.max_length) if n]
        limit = min(limits) if limits else None
        if limit is not None and len(text) > limit:
            self._report(spec, "max_length", text, f"{len(text)} characters, {limit} allowed")
            text = text[:limit]
        for node in self.nodes(spec):
            node[NameObject("/V")] = TextStringObject(text)
            node.pop(NameObject("/RV"), None)
        size, color = parse_da(spec.da)
        self._set_da(spec, 0.0 if opts.auto_size else size, color)
        comb = limit if spec.comb and limit else 0
        fits, bad = True, ""
        for widget in spec.widgets:
            box, matrix = widget_box(widget)
            if spec.flags & (1 << 13):  # password field: never draw the secret
                shown = "*" * len(text)
            else:
                shown = text
            result = draw.draw_text(
                shown,
                box,
                size=size,
                color=color,
                quadding=spec.quadding,
                multiline=spec.multiline,
                comb=comb,
                shrink=opts.auto_size,
                unicode_face=self.face,
            )
            fits, bad = fits and result.fits, bad or result.unsupported
            self._set_normal(widget, result.content, box, matrix)
        if not fits:
            reason = "height" if spec.multiline else "width"
            self._report(spec, reason, text, "drawn at the smallest size and clipped by the box")
        if bad:
            self._report(spec, "unsupported_characters", text, _unsupported(bad, self.face))
        self.filled[spec.name] = text

    def _set_da(self, spec: FieldSpec, size: float, color: str) -> None:
        da = TextStringObject(f"{draw.FONT_RESOURCE} {draw.number(size)} Tf {color}")
        for node in self.nodes(spec):
            node[NameObject("/DA")] = da
        for widget in spec.widgets:
            if "/DA" in widget.raw:
                self.edit(widget.ref, widget.raw)[NameObject("/DA")] = da

    def _set_normal(
        self, widget: Widget, content: bytes, box: draw.Box, matrix: tuple[float, ...]
    ) -> None:
        ref = self.update.add(self._xobject(content, box, matrix))
        node = self.edit(widget.ref, widget.raw)
        node[NameObject("/AP")] = DictionaryObject({NameObject("/N"): ref})
        bbox = (0.0, 0.0, box.width, box.height)
        self.drawn[widget.ref.idnum] = Appearance(ref, bbox, _six(matrix))

    def _xobject(
        self, content: bytes, box: draw.Box, matrix: tuple[float, ...], extra: bytes = b""
    ) -> bytes:
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

    def _fill_button(self, spec: FieldSpec, value: FieldValue) -> None:
        state = choose_state(spec, value)
        spelled = next((w.names[state] for w in spec.widgets if state in w.names), None)
        for node in self.nodes(spec):
            node[NameObject("/V")] = spelled or NameObject("/" + state)
        _, color = parse_da(spec.da)
        for index, widget in enumerate(spec.widgets):
            wnode = self.edit(widget.ref, widget.raw)
            own = widget.on_states or (option_state(spec, index),)
            shown = state if state in own else "Off"
            wnode[NameObject("/AS")] = widget.name(shown)
            if shown != "Off" or not widget.appearances:
                self._draw_states(spec, widget, wnode, own[0], shown != "Off", color)
        self.filled[spec.name] = state

    def _draw_states(
        self,
        spec: FieldSpec,
        widget: Widget,
        node: DictionaryObject,
        on: str,
        checked: bool,
        color: str,
    ) -> None:
        """Give the widget a vector on-appearance (and an off one if it had none).

        The frame is the widget's own off appearance drawn as a form XObject, so only the mark
        differs from what the form's author drew.
        """
        box, matrix = widget_box(widget)
        default = "l" if spec.kind == "radio" else "4"
        char = str(pdf_get(pdf_get(widget.raw, "/MK"), "/CA", default))[:1] or default
        off = widget.appearances.get("Off")
        extra = b""
        if off is not None:
            fit = fit_matrix(off, (0.0, 0.0, box.width, box.height))
            head = b"q " + fit.encode() + b" cm /FsOff Do Q\n"
            extra = b" /XObject << /FsOff " + _ref(off.ref).encode() + b" >>"
        else:
            head = draw.frame(box)
        on_ref = self.update.add(
            self._xobject(head + draw.draw_mark(box, char=char, color=color), box, matrix, extra)
        )
        states = DictionaryObject({widget.name(on): on_ref})
        if off is not None:
            states[NameObject("/Off")] = off.ref
        else:
            states[NameObject("/Off")] = self.update.add(
                self._xobject(draw.frame(box), box, matrix)
            )
        ap = DictionaryObject({NameObject("/N"): states})
        old_ap = pdf_get(widget.raw, "/AP")
        if isinstance(old_ap, DictionaryObject) and "/D" in old_ap:
            ap[NameObject("/D")] = respell(old_ap.raw_get("/D"), widget.names)
        node[NameObject("/AP")] = ap
        chosen = on_ref if checked else states.raw_get("/Off")
        self.drawn[widget.ref.idnum] = Appearance(
            chosen, (0.0, 0.0, box.width, box.height), _six(matrix)
        )

    def _fill_choice(self, spec: FieldSpec, value: FieldValue) -> None:
        wanted = [value] if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        wanted = [str(v) for v in wanted]
        if len(wanted) > 1 and not spec.multiselect:
            raise Rejected("only one value may be chosen in this field")
        exports, indices = [], []
        for item in wanted:
            index = option_index(spec, item)
            if index is None:
                if not (spec.kind == "combo" and spec.editable_choice) and spec.options:
                    choices = ", ".join(repr(d) for _, d in spec.options)
                    raise Rejected(f"{item!r} is not one of the options: {choices}")
                exports.append(item)
            else:
                exports.append(spec.options[index][0])
                indices.append(index)
        for node in self.nodes(spec):
            if len(exports) == 1:
                node[NameObject("/V")] = TextStringObject(exports[0])
            else:
                node[NameObject("/V")] = ArrayObject(TextStringObject(e) for e in exports)
            if spec.kind == "list":
                node[NameObject("/I")] = ArrayObject(NumberObject(i) for i in sorted(indices))
        size, color = parse_da(spec.da)
        self._set_da(spec, size, color)
        for widget in spec.widgets:
            box, matrix = widget_box(widget)
            if spec.kind == "list":
                displays = [d for _, d in spec.options]
                result = draw.draw_list(
                    displays, set(indices), box, size=size, color=color, unicode_face=self.face
                )
            else:
                shown = spec.options[indices[0]][1] if indices else exports[0]
                result = draw.draw_text(
                    shown,
                    box,
                    size=size,
                    color=color,
                    quadding=spec.quadding,
                    unicode_face=self.face,
                )
                if not result.fits:
                    self._report(spec, "width", shown, "drawn at the smallest size and clipped")
            self._set_normal(widget, result.content, box, matrix)
            if result.unsupported:
                detail = _unsupported(result.unsupported, self.face)
                self._report(spec, "unsupported_characters", ", ".join(exports), detail)
        self.filled[spec.name] = exports[0] if len(exports) == 1 else exports

    def _report(self, spec: FieldSpec, reason: str, value: str, detail: str) -> None:
        self.overflow.append(Overflow(spec.name, reason, value, detail))

    def flatten(self) -> None:
        """Burn every widget a viewer shows into its page and drop widgets and fields."""
        self._draw_shown_values()
        edited = {number: node for number, (_, node) in self.edits.items()}
        for name, why in flatten_pages(self.tpl, self.update, edited, self.drawn):
            self.overflow.append(
                Overflow(name, "left_out", "", f"left out of the flat page: {why}")
            )

    def _draw_shown_values(self) -> None:
        """Give an appearance to each value the form holds but does not draw itself.

        A viewer draws such a value (a form saved with NeedAppearances, a check box without
        /AP), so the flat page must too. Values of this fill are drawn already.
        """
        filled = dict(self.filled)
        for spec in self.tpl.fields.values():
            if spec.name in filled or not _shown_without_appearance(spec):
                continue
            try:
                if spec.kind == "text":
                    self._fill_text(spec, str(spec.value))
                elif spec.kind in ("checkbox", "radio"):
                    self._fill_button(spec, str(spec.value))
                else:
                    self._fill_choice(spec, _choice_value(spec.value))
            except Rejected as exc:
                self._report(spec, "left_out", str(spec.value), f"not drawn: {exc}")
        self.filled = filled
        for ref, obj in self.edits.values():
            self.update.replace(ref, obj)


def _shown_without_appearance(spec: FieldSpec) -> bool:
    """The field holds a value a viewer shows, and a widget has no appearance to show it."""
    value = spec.value
    if value is None or spec.kind not in ("text", "checkbox", "radio", "combo", "list"):
        return False
    if spec.kind in ("checkbox", "radio"):
        state = str(value)[1:] if str(value).startswith("/") else str(value)
        return state not in ("", "Off") and any(state not in w.appearances for w in spec.widgets)
    if not str(value if not isinstance(value, ArrayObject) else "".join(value)):
        return False
    return any(NORMAL not in w.appearances for w in spec.widgets)


def _choice_value(value: Any) -> FieldValue:
    if isinstance(value, ArrayObject):
        return [str(v) for v in value]
    return str(value)


def _unsupported(chars: str, face: UnicodeFace) -> str:
    names = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in chars)
    if face.available():
        return f"no installed font has {names}: drawn as an empty box"
    return f"drawn as '?' (no font installed for text outside WinAnsi): {names}"


def _ref(ref: IndirectObject) -> str:
    return f"{ref.idnum} {ref.generation} R"


def _six(matrix: tuple[float, ...]) -> tuple[float, float, float, float, float, float]:
    a, b, c, d, e, f = matrix
    return (a, b, c, d, e, f)
