"""Flattening: burn each widget's appearance into its page, then drop widgets and fields.

The appearance streams are drawn as form XObjects from the page's content (so the text stays
real, selectable text), placed by the algorithm of ISO 32000-1 §12.5.5. Hidden and
non-printing widgets (a form's "Print" and "Clear" buttons) are dropped, as a printer would.
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
    FormTemplate,
    PageSpec,
    Widget,
    pdf_get,
)

_F_HIDDEN = 2
_F_PRINT = 4


def flatten_pages(
    tpl: FormTemplate,
    update: Increment,
    edited: Mapping[int, DictionaryObject],
    drawn: Mapping[int, Appearance],
) -> None:
    """Add to update: pages with their widgets drawn in, and an AcroForm without fields.

    edited: the widget dicts this fill changed, by object number; drawn: their new appearances.
    """
    widgets = {w.ref.idnum: w for spec in tpl.fields.values() for w in spec.widgets}
    for page in tpl.pages:
        if not any(_idnum(a) in widgets for a in page.annots):
            continue
        kept, ops, xobjects = ArrayObject(), [b"Q"], DictionaryObject()
        for annot in page.annots:
            widget = widgets.get(_idnum(annot))
            if widget is None:
                kept.append(annot)  # links, comments: not part of the form
                continue
            placed = _placement(widget, edited.get(widget.ref.idnum, widget.raw), drawn)
            if placed is None:
                continue
            name = f"/FsW{len(xobjects)}"
            xobjects[NameObject(name)] = placed[0]
            ops.append(f"q {placed[1]} cm {name} Do Q".encode())
        _replace_page(update, page, kept, ops, xobjects)
    acroform = DictionaryObject(tpl.acroform)
    acroform[NameObject("/Fields")] = ArrayObject()
    update.replace(tpl.acroform_ref, acroform)


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


def _placement(
    widget: Widget, node: DictionaryObject, drawn: Mapping[int, Appearance]
) -> tuple[Any, str] | None:
    flags = int(pdf_get(node, "/F", 0) or 0)
    if flags & _F_HIDDEN or not flags & _F_PRINT:
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
    old = list(contents) if isinstance(contents, ArrayObject) else [contents]
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
