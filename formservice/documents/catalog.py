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
        DocumentKind("pap_letter", "PAP Determination Letter", "pap_letter", ("docx", "pdf")),
        DocumentKind("sob", "Summary of Benefits", "summary_of_benefits", ("docx", "pdf")),
        DocumentKind(
            "pa_checklist", "Prior Authorization Checklist", "pa_checklist", ("docx", "pdf")
        ),
        DocumentKind(
            "claim_checklist", "Claim Filing Checklist", "claim_checklist", ("docx", "pdf")
        ),
        DocumentKind(
            "appeal_checklist",
            "Letter of Appeal Checklist",
            "appeal_checklist",
            ("docx", "pdf"),
            needs_denial=True,
        ),
        DocumentKind(
            "appeal", "Letter of Appeal", "letter_of_appeal", ("docx", "pdf"), needs_denial=True
        ),
        DocumentKind(
            "abn",
            "Advance Beneficiary Notice of Noncoverage (ABN)",
            "advance_beneficiary_notice",
            ("docx", "pdf"),
        ),
        DocumentKind("pa_form", "Payer prior-authorization form", None, ("pdf",), needs_form=True),
        DocumentKind("cms1500", "CMS-1500 Health Insurance Claim Form", None, ("pdf",)),
        DocumentKind("appeal_packet", "Appeal packet", None, ("pdf",), needs_denial=True),
    )
}


def get_kind(name: str) -> DocumentKind | None:
    """The document kind called `name`, or None."""
    return KINDS.get(name)
