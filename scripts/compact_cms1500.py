"""Make templates/pdf/cms1500.pdf small: re-encode its scanned background, un-embed Arial.

Why: the NUCC fillable CMS-1500 carries its printed form as a 1267 x 1639 RGB JPEG (1.47 MB) and
a full embedded Arial TrueType (0.45 MB) used only by viewers that redraw an editable field.
Each filled copy repeated both, so a three-copy claim weighed about 5 MB (issue 14). The form is
red line art on white: an 8-colour indexed image (Flate) keeps it legible (checked by eye at
150 dpi) in about 160 KB, and the fields are drawn in standard-14 Helvetica by our filler
(documents/forms/appearance.py), so Arial need not be embedded (a viewer substitutes it).

Run once after replacing the PDF (idempotent: an already indexed image is left alone):
    .venv/bin/python scripts/compact_cms1500.py templates/pdf/cms1500.pdf
"""

from __future__ import annotations

import io
import sys
import zlib
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    NameObject,
    NumberObject,
    StreamObject,
)

COLOURS = 8


def _indexed(data: bytes) -> tuple[bytes, bytes, int, int]:
    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=COLOURS)
    palette = bytes(image.getpalette()[: COLOURS * 3])
    return image.tobytes(), palette, image.width, image.height


def compact(path: Path) -> tuple[int, int]:
    before = path.stat().st_size
    writer = PdfWriter(clone_from=PdfReader(str(path)))
    for page in writer.pages:
        for form in page["/Resources"].get("/XObject", {}).values():
            form = form.get_object()
            for ref in form.get("/Resources", {}).get("/XObject", {}).values():
                image = ref.get_object()
                if image.get("/Filter") != "/DCTDecode":
                    continue
                pixels, palette, width, height = _indexed(image.get_data())
                new = StreamObject()
                new._data = zlib.compress(pixels, 9)
                new.update(
                    {
                        NameObject("/Type"): NameObject("/XObject"),
                        NameObject("/Subtype"): NameObject("/Image"),
                        NameObject("/Width"): NumberObject(width),
                        NameObject("/Height"): NumberObject(height),
                        NameObject("/BitsPerComponent"): NumberObject(8),
                        NameObject("/ColorSpace"): ArrayObject(
                            [
                                NameObject("/Indexed"),
                                NameObject("/DeviceRGB"),
                                NumberObject(COLOURS - 1),
                                ByteStringObject(palette),
                            ]
                        ),
                        NameObject("/Filter"): NameObject("/FlateDecode"),
                    }
                )
                image.clear()
                image.update(new)
                image._data = new._data
    dr = writer._root_object["/AcroForm"].get("/DR", {})
    for font in dr.get("/Font", {}).values():
        descriptor = font.get_object().get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            del descriptor.get_object()["/FontFile2"]
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return before, path.stat().st_size


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "templates/pdf/cms1500.pdf")
    old, new = compact(target)
    print(f"{target}: {old} -> {new} bytes")
