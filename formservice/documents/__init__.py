"""Documents, rendered purely: (case, request, facts, template bytes, converter) → bytes.

Nothing here reads the database or the blob store, and nothing decides which document a case
should get: the application layer (`formservice.usecases`) gathers the inputs, `render_document`
makes the file, and `formservice.store` keeps it. Sub-packages by medium:

* `contexts`: case → template context (letters);
* `docx`: docxtpl rendering and template checks;
* `forms`: PDF forms (payer PA forms, the CMS-1500), filled with pypdf;
* `convert`: DOCX → PDF with a warm LibreOffice;
* `packet`: the appeal packet.
"""

from formservice.documents.catalog import KINDS, MEDIA_TYPES, DocumentKind, get_kind
from formservice.documents.provenance import content_sha256, input_hash, provenance, same_content
from formservice.documents.render import (
    RenderedDocument,
    RenderTools,
    render_document,
    resolve_kind,
)

__all__ = [
    "KINDS",
    "MEDIA_TYPES",
    "DocumentKind",
    "RenderTools",
    "RenderedDocument",
    "content_sha256",
    "get_kind",
    "input_hash",
    "provenance",
    "render_document",
    "resolve_kind",
    "same_content",
]
