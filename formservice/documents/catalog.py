"""The document kinds the service makes: which template, which formats, which renderer."""

from __future__ import annotations

from dataclasses import dataclass

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MEDIA_TYPE = "application/pdf"
MEDIA_TYPES = {"docx": DOCX_MEDIA_TYPE, "pdf": PDF_MEDIA_TYPE}


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document: a DOCX letter (from a template) or a filled PDF form."""

    name: str
    title: str
    template: str | None  # docx template name in templates/docx/, None for PDF forms
    formats: tuple[str, ...]
    needs_form: bool = False
    needs_denial: bool = False

    @property
    def default_format(self) -> str:
        return self.formats[0]


KINDS: dict[str, DocumentKind] = {
    k.name: k
    for k in (
        DocumentKind(
            "lmn", "Letter of Medical Necessity", "letter_of_medical_necessity", ("docx", "pdf")
        ),
    )
}


def get_kind(name: str) -> DocumentKind | None:
    """The document kind called `name`, or None."""
    return KINDS.get(name)
