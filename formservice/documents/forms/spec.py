"""The index of a prepared form: a `FormTemplate` of `FieldSpec`s, their `Widget`s and
`Appearance`s, and the `PageSpec`s the flattener needs; `pdf_get` reads the raw pypdf objects."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, IndirectObject, NameObject

from formservice.documents.forms.increment import BaseInfo
from formservice.documents.forms.names import RawName

__all__ = [
    "NORMAL",
    "READ_ERRORS",
    "Appearance",
    "FieldSpec",
    "FormTemplate",
    "PageSpec",
    "Widget",
    "pdf_get",
]

_FF_MULTILINE = 1 << 12
_FF_PASSWORD = 1 << 13
_FF_EDIT = 1 << 18
_FF_MULTISELECT = 1 << 21
_FF_COMB = 1 << 24
# What pypdf raises on a damaged file, besides its own errors: a bad number, a missing key, a
# wrong type where a dict was expected, a broken compressed stream, a reference cycle.
READ_ERRORS: tuple[type[BaseException], ...] = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    zlib.error,
    RecursionError,
)
NORMAL = "\x00normal"  # key of a widget's single (stateless) normal appearance


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
    # state -> the name as the file spells it, for states outside ASCII (see names.py)
    names: Mapping[str, RawName] = field(default_factory=dict)

    def name(self, state: str) -> NameObject:
        """The state's name object: the file's own bytes when it has them."""
        return self.names.get(state) or NameObject("/" + state)

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


def pdf_get(obj: Any, key: str, default: Any = None) -> Any:
    """obj[key] resolved when present (pypdf's dict.get returns indirect references as-is)."""
    value = obj.get(key) if isinstance(obj, DictionaryObject) else None
    return value.get_object() if value is not None else default
