"""One lock for every use of PDFium in the process.

PDFium (through pypdfium2) is not thread-safe, not even across different documents, and the
service renders pages from several threads (waitress workers, OCR, page images). Every call
into pypdfium2 holds `PDFIUM_LOCK`; only the rendering does, never the slow work after it.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
