"""Flattening: burn each widget's appearance into its page, then drop widgets and fields.

The appearance streams are drawn as form XObjects from the page's content (so the text stays
real, selectable text), placed by the algorithm of ISO 32000-1 §12.5.5. What is burnt in is what
the editable PDF shows on screen: a field's value is drawn even when its widget lacks the Print
flag (a viewer shows it; the filler gives a value without an appearance one first). Hidden widgets
are dropped, as every viewer hides them; a push button or signature that is not printed (a form's
"Print" and "Clear" buttons) is left out, and every widget left out that a viewer would have
shown is returned to the caller, so it is reported, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from formservice.documents.forms.appearance import number
from formservice.documents.forms.increment import Increment
from formservice.documents.forms.spec import (
    NORMAL,
    Appearance,
    FieldSpec,
    FormTemplate,
    PageSpec,
    Widget,
    pdf_get,
)

_F_HIDDEN = 2
_F_PRINT = 4
_F_NOVIEW = 32


def flatten_pages(
    tpl: FormTemplate,
    update: Increment,
    edited: Mapping[int, DictionaryObject],
    drawn: Mapping[int, Appearance],
) -> list[tuple[str, str]]:
    """Add to update: pages with their widgets drawn in, and an AcroForm without fields.

    edited: the widget dicts this fill changed, by object number; drawn: their new appearances.
    Returns (field name, why) for each widget a viewer shows that the flat page leaves out.
    """
    owners = {w.ref.idnum: (w, spec) for spec in tpl.fields.values() for w in spec.widgets}
    left_out: list[tuple[str, str]] = []
    for page in tpl.pages:
        if not any(_idnum(a) in owners for a in page.annots):
            continue
        kept, ops, xobjects = ArrayObject(), [b"Q"], DictionaryObject()
        for annot in page.annots:
            if _idnum(annot) not in owners:
                kept.append(annot)  # links, comments: not part of the form
                continue
            widget, spec = owners[_idnum(annot)]
            node = edited.get(widget.ref.idnum, widget.raw)
            placed = _placement(widget, node, drawn)
            if placed is None:
                continue
            if _left_out(spec, node):
                left_out.append((spec.name, f"a {spec.kind} without the Print flag is not printed"))
                continue
            name = f"/FsW{len(xobjects)}"
            xobjects[NameObject(name)] = placed[0]
            ops.append(f"q {placed[1]} cm {name} Do Q".encode())
        _replace_page(update, page, kept, ops, xobjects)
    acroform = DictionaryObject(tpl.acroform)
    acroform[NameObject("/Fields")] = ArrayObject()
    update.replace(tpl.acroform_ref, acroform)
    return left_out


def fit_matrix(appearance: Appearance, rect: tuple[float, float, float, float]) -> str:
    """ISO 32000-1 §12.5.5: the transformed BBox is scaled and moved onto the widget's Rect."""
    a, b, c, d, e, f = appearance.matrix
    bx0, by0, bx1, by1 = appearance.bbox
    corners = [(x * a + y * c + e, x * b + y * d + f) for x in (bx0, bx1) for y in (by0, by1)]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    tx0, ty0, tx1, ty1 = min(xs), min(ys), max(xs), max(ys)
    sx = (rect[2] - rect[0]) / (tx1 - tx0) if tx1 > tx0 else 1.0
    sy = (rect[3] - rect[1]) / (ty1 - ty0) if ty1 > ty0 else 1.0
    nums = (sx, 0.0, 0.0, sy, rect[0] - tx0 * sx, rect[1] - ty0 * sy)
    return " ".join(number(n) for n in nums)


def _idnum(annot: Any) -> int:
    return annot.idnum if isinstance(annot, IndirectObject) else -1


def _left_out(spec: FieldSpec, node: DictionaryObject) -> bool:
    """A control that holds no value and is not printed: left out of the flat page."""
    flags = int(pdf_get(node, "/F", 0) or 0)
    return not flags & _F_PRINT and spec.kind in ("button", "signature", "unknown")


def _placement(
    widget: Widget, node: DictionaryObject, drawn: Mapping[int, Appearance]
) -> tuple[Any, str] | None:
    """The appearance a viewer shows for the widget and where, or None when it shows nothing."""
    flags = int(pdf_get(node, "/F", 0) or 0)
    if flags & (_F_HIDDEN | _F_NOVIEW):
        return None
    appearance = drawn.get(widget.ref.idnum)
    if appearance is None:
        state = str(pdf_get(node, "/AS"))[1:] if "/AS" in node else NORMAL
        appearance = widget.appearances.get(state)
    if appearance is None:
        return None  # an empty field without an appearance draws nothing
    return appearance.ref, fit_matrix(appearance, widget.rect)


def _replace_page(
    update: Increment,
    page: PageSpec,
    kept: ArrayObject,
    ops: list[bytes],
    xobjects: DictionaryObject,
) -> None:
    """A new page dict: contents wrapped in q ... Q so the widgets draw in the default state."""
    body = b"\n".join(ops) + b"\n"
    push = update.add(b"<< /Length 2 >>\nstream\nq\n\nendstream")
    draw = update.add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body))
    contents = page.raw.get("/Contents")
    resolved = contents.get_object() if contents is not None else None
    # /Contents may be a stream, an array of streams, or a reference to such an array: an array
    # nested in the new one is no content stream ("Weird page contents": a blank page in Poppler)
    old = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
    new_page = DictionaryObject(page.raw)
    new_page[NameObject("/Contents")] = ArrayObject([push, *[c for c in old if c], draw])
    resources = DictionaryObject(page.resources)
    existing = pdf_get(resources, "/XObject")
    merged = DictionaryObject(existing) if isinstance(existing, DictionaryObject) else None
    merged = merged or DictionaryObject()
    merged.update(xobjects)
    resources[NameObject("/XObject")] = merged
    new_page[NameObject("/Resources")] = resources
    if kept:
        new_page[NameObject("/Annots")] = kept
    else:
        new_page.pop(NameObject("/Annots"), None)
    update.replace(page.ref, new_page)
