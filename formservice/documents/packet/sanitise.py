"""A copy of an uploaded PDF with nothing active left in it, for reuse in a packet.

An uploaded denial letter is the payer's (or anyone's) file: it may carry JavaScript, an
OpenAction, additional actions (/AA) on the document or its pages, Launch or URI actions,
embedded files, form fields and annotations that run actions. The packet reuses only each
page's appearance: the page is copied alone (no document catalog, so no /Names JavaScript or
EmbeddedFiles tree, no /OpenAction, /AcroForm or outlines) and loses /AA and every
annotation. What the reviewer sees on paper is unchanged; a form field's value that exists
only in its widget is lost, which a denial letter does not rely on.

pypdf does the copying (a well-kept PDF library; see its docs/user/security.md).
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

__all__ = ["ACTIVE_KEYS", "sanitise_pdf"]

# Page keys that can run something or carry a file.
ACTIVE_KEYS = ("/AA", "/Annots", "/B", "/PieceInfo", "/Thumb")


def sanitise_pdf(reader: PdfReader) -> bytes:
    """The pages of `reader` as a new PDF with no actions, scripts, files, fields or annots.

    The keys go from the reader's pages before copying, so the writer never copies the objects
    they point to (an orphaned JavaScript object would still be in the file).
    """
    writer = PdfWriter()
    for page in reader.pages:
        for key in ACTIVE_KEYS:
            if NameObject(key) in page:
                del page[NameObject(key)]
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
