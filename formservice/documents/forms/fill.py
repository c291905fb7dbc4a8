"""Fill payer PDF forms (AcroForms) with pypdf: editable or flattened, visible in every viewer.

A template is parsed once (`load_form`, cached; or `prepare_template` for bytes) into an index
of fields and widgets. `fill_form` then writes each value's field dict and a real appearance
stream (`value_writers`; drawn in Helvetica, or for text outside WinAnsi in embedded font
subsets: see `appearance`, `shaping`, `fonts`) and appends only those objects to the template
bytes as one incremental update (`filler`); flattening draws every widget a viewer shows into its
page and removes the widgets. Text that does not fit, characters no font has and widgets left out
of a flat page are reported in `FillResult.overflow`, never dropped silently. Shipped forms (by
id, through their field maps) are in `shipped`.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from formservice.documents.forms.field_maps import FieldOptions
from formservice.documents.forms.field_values import FieldValue, Rejected, as_text
from formservice.documents.forms.filler import Filler, Overflow
from formservice.documents.forms.flatten import flatten_pages
from formservice.documents.forms.spec import NORMAL, FieldSpec, FormTemplate
from formservice.documents.forms.template import prepare_template
from formservice.documents.forms.value_writers import fill_button, fill_choice, fill_text
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
    filler = Filler(tpl, options or {})
    try:
        _fill_all(filler, values)
        if flatten:
            _flatten(filler)
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


def _fill_all(filler: Filler, values: Mapping[str, FieldValue]) -> None:
    """Write every value; one ValidationProblem names each field that cannot take its value."""
    problems: dict[str, list[str]] = {}
    for name, value in values.items():
        if value is None:
            continue
        spec = filler.tpl.fields.get(name)
        if spec is None:
            problems[name] = [f"form '{filler.tpl.source}' has no field named {name!r}"]
            continue
        try:
            _fill(filler, spec, value)
        except Rejected as exc:
            problems[name] = [str(exc)]
    if problems:
        raise ValidationProblem("some values cannot go into this form", errors=problems)
    filler.write_edits()


def _fill(filler: Filler, spec: FieldSpec, value: FieldValue) -> None:
    if spec.kind == "text":
        fill_text(filler, spec, as_text(value))
    elif spec.kind in ("checkbox", "radio"):
        fill_button(filler, spec, value)
    elif spec.kind in ("combo", "list"):
        fill_choice(filler, spec, value)
    else:
        raise Rejected(f"a {spec.kind} field cannot be filled")


def _flatten(filler: Filler) -> None:
    """Burn every widget a viewer shows into its page and drop widgets and fields."""
    _draw_shown_values(filler)
    edited = {number: node for number, (_, node) in filler.edits.items()}
    for name, why in flatten_pages(filler.tpl, filler.update, edited, filler.drawn):
        filler.overflow.append(Overflow(name, "left_out", "", f"left out of the flat page: {why}"))


def _draw_shown_values(filler: Filler) -> None:
    """Give an appearance to each value the form holds but does not draw itself.

    A viewer draws such a value (a form saved with NeedAppearances, a check box without
    /AP), so the flat page must too. Values of this fill are drawn already.
    """
    filled = dict(filler.filled)
    for spec in filler.tpl.fields.values():
        if spec.name in filled or not _shown_without_appearance(spec):
            continue
        try:
            if spec.kind == "text":
                fill_text(filler, spec, str(spec.value))
            elif spec.kind in ("checkbox", "radio"):
                fill_button(filler, spec, str(spec.value))
            else:
                fill_choice(filler, spec, _choice_value(spec.value))
        except Rejected as exc:
            filler.report(spec, "left_out", str(spec.value), f"not drawn: {exc}")
    filler.filled = filled
    filler.write_edits()


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
