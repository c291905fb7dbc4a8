"""Where a widget draws and in what: its box (rotated per /MK /R) and page matrix, and the font
size and colour of a default-appearance (/DA) string."""

from __future__ import annotations

import re
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject

from formservice.documents.forms import appearance as draw
from formservice.documents.forms.spec import Widget, pdf_get

__all__ = ["parse_da", "widget_box"]

_DA_FONT = re.compile(r"/[^\s/]+\s+(-?[\d.]+)\s+Tf")
_DA_COLOR = re.compile(r"((?:-?[\d.]+\s+){1,4})(g|rg|k)\b")


def parse_da(da: str) -> tuple[float, str]:
    """The font size (0 = auto) and fill colour operator of a default-appearance string."""
    font = _DA_FONT.search(da)
    size = float(font.group(1)) if font else 0.0
    color = _DA_COLOR.search(da)
    return size, (f"{color.group(1).strip()} {color.group(2)}" if color else "0 g")


def _colors(value: Any) -> tuple[float, ...] | None:
    if not isinstance(value, ArrayObject) or not value:
        return None
    return tuple(float(v) for v in value)


def widget_box(widget: Widget) -> tuple[draw.Box, tuple[float, ...]]:
    """The widget's drawing box (rotated per /MK /R) and the matrix that puts it on the page."""
    x0, y0, x1, y1 = widget.rect
    width, height = x1 - x0, y1 - y0
    mk = pdf_get(widget.raw, "/MK", DictionaryObject())
    rotation = int(pdf_get(mk, "/R", 0) or 0) % 360
    bs = pdf_get(widget.raw, "/BS")
    border_color = _colors(pdf_get(mk, "/BC"))
    border = float(pdf_get(bs, "/W", 1))
    matrix: tuple[float, ...] = (1, 0, 0, 1, 0, 0)
    if rotation in (90, 270):
        width, height = height, width
        matrix = (0, 1, -1, 0, height, 0) if rotation == 90 else (0, -1, 1, 0, 0, width)
    elif rotation == 180:
        matrix = (-1, 0, 0, -1, width, height)
    box = draw.Box(
        width=width,
        height=height,
        border_width=border if border_color else 0.0,
        background=_colors(pdf_get(mk, "/BG")),
        border_color=border_color,
    )
    return box, matrix
