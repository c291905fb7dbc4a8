"""Write one value into a text, button or choice field: its field dict, and an appearance stream
for each widget (text drawn by `appearance`, check marks over the form's own frame).

Each writer records what it wrote in `Filler.filled` and what it could not show in
`Filler.overflow`; a value the field cannot take raises `Rejected`.
"""

from __future__ import annotations

from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from formservice.documents.forms import appearance as draw
from formservice.documents.forms.field_maps import FieldOptions
from formservice.documents.forms.field_values import (
    FieldValue,
    Rejected,
    choose_state,
    option_index,
    option_state,
)
from formservice.documents.forms.filler import Filler, pdf_ref, six
from formservice.documents.forms.flatten import fit_matrix
from formservice.documents.forms.names import respell
from formservice.documents.forms.shaping import UnicodeFace
from formservice.documents.forms.spec import Appearance, FieldSpec, Widget, pdf_get
from formservice.documents.forms.widget_box import parse_da, widget_box

__all__ = ["fill_button", "fill_choice", "fill_text"]


def fill_text(filler: Filler, spec: FieldSpec, text: str) -> None:
    """Set a text field's value (cut to its max length) and draw it in every widget."""
    opts = filler.options.get(spec.name, FieldOptions())
    limits = [n for n in (spec.max_length, opts.max_length) if n]
    limit = min(limits) if limits else None
    if limit is not None and len(text) > limit:
        filler.report(spec, "max_length", text, f"{len(text)} characters, {limit} allowed")
        text = text[:limit]
    for node in filler.nodes(spec):
        node[NameObject("/V")] = TextStringObject(text)
        node.pop(NameObject("/RV"), None)
    size, color = parse_da(spec.da)
    filler.set_da(spec, 0.0 if opts.auto_size else size, color)
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
            unicode_face=filler.face,
        )
        fits, bad = fits and result.fits, bad or result.unsupported
        filler.set_normal(widget, result.content, box, matrix)
    if not fits:
        reason = "height" if spec.multiline else "width"
        filler.report(spec, reason, text, "drawn at the smallest size and clipped by the box")
    if bad:
        filler.report(spec, "unsupported_characters", text, unsupported(bad, filler.face))
    filler.filled[spec.name] = text


def fill_button(filler: Filler, spec: FieldSpec, value: FieldValue) -> None:
    """Set a check box or radio group to the state `value` names, on every widget."""
    state = choose_state(spec, value)
    spelled = next((w.names[state] for w in spec.widgets if state in w.names), None)
    for node in filler.nodes(spec):
        node[NameObject("/V")] = spelled or NameObject("/" + state)
    _, color = parse_da(spec.da)
    for index, widget in enumerate(spec.widgets):
        wnode = filler.edit(widget.ref, widget.raw)
        own = widget.on_states or (option_state(spec, index),)
        shown = state if state in own else "Off"
        wnode[NameObject("/AS")] = widget.name(shown)
        if shown != "Off" or not widget.appearances:
            _draw_states(filler, spec, widget, wnode, own[0], shown != "Off", color)
    filler.filled[spec.name] = state


def _draw_states(
    filler: Filler,
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
        extra = b" /XObject << /FsOff " + pdf_ref(off.ref).encode() + b" >>"
    else:
        head = draw.frame(box)
    on_ref = filler.update.add(
        filler.xobject(head + draw.draw_mark(box, char=char, color=color), box, matrix, extra)
    )
    states = DictionaryObject({widget.name(on): on_ref})
    if off is not None:
        states[NameObject("/Off")] = off.ref
    else:
        states[NameObject("/Off")] = filler.update.add(filler.xobject(draw.frame(box), box, matrix))
    ap = DictionaryObject({NameObject("/N"): states})
    old_ap = pdf_get(widget.raw, "/AP")
    if isinstance(old_ap, DictionaryObject) and "/D" in old_ap:
        ap[NameObject("/D")] = respell(old_ap.raw_get("/D"), widget.names)
    node[NameObject("/AP")] = ap
    chosen = on_ref if checked else states.raw_get("/Off")
    filler.drawn[widget.ref.idnum] = Appearance(
        chosen, (0.0, 0.0, box.width, box.height), six(matrix)
    )


def fill_choice(filler: Filler, spec: FieldSpec, value: FieldValue) -> None:
    """Choose one option (or several, in a multi-select list) and draw the choice."""
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
    for node in filler.nodes(spec):
        if len(exports) == 1:
            node[NameObject("/V")] = TextStringObject(exports[0])
        else:
            node[NameObject("/V")] = ArrayObject(TextStringObject(e) for e in exports)
        if spec.kind == "list":
            node[NameObject("/I")] = ArrayObject(NumberObject(i) for i in sorted(indices))
    size, color = parse_da(spec.da)
    filler.set_da(spec, size, color)
    for widget in spec.widgets:
        box, matrix = widget_box(widget)
        if spec.kind == "list":
            displays = [d for _, d in spec.options]
            result = draw.draw_list(
                displays, set(indices), box, size=size, color=color, unicode_face=filler.face
            )
        else:
            shown = spec.options[indices[0]][1] if indices else exports[0]
            result = draw.draw_text(
                shown,
                box,
                size=size,
                color=color,
                quadding=spec.quadding,
                unicode_face=filler.face,
            )
            if not result.fits:
                filler.report(spec, "width", shown, "drawn at the smallest size and clipped")
        filler.set_normal(widget, result.content, box, matrix)
        if result.unsupported:
            detail = unsupported(result.unsupported, filler.face)
            filler.report(spec, "unsupported_characters", ", ".join(exports), detail)
    filler.filled[spec.name] = exports[0] if len(exports) == 1 else exports


def unsupported(chars: str, face: UnicodeFace) -> str:
    """The overflow detail for characters no font could draw."""
    names = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in chars)
    if face.available():
        return f"no installed font has {names}: drawn as an empty box"
    return f"drawn as '?' (no font installed for text outside WinAnsi): {names}"
