"""What a document request asks for, what the store knows about a case, and a template version.

These cross the line between the application layer and the pure renderers: a use case gathers
them (from the request, the store and the registry) and hands them to `documents.render_document`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from formservice.model.benefits import Benefits
from formservice.model.denial import Denial


@dataclass(frozen=True)
class DocumentRequest:
    """What to make: a kind, a format, and the options some kinds take."""

    kind: str
    format: str | None = None
    form: str | None = None
    denial_id: str | None = None
    flatten: bool = False
    pdfa: bool = False
    late_reason: str | None = None  # appeal packets: the good cause for a late appeal
    # Why a hub user makes a document the applicability rules refuse (audited); None otherwise.
    override_reason: str | None = None


@dataclass(frozen=True)
class PacketContents:
    """What an appeal packet encloses after its letter of appeal, in the packet's order: the
    letter of medical necessity, the copy of the denial (``denial_copy``: ``"letter"``, or
    ``"remittance"`` for a denial read from an 835), the clinical notes page and the PA request
    form, the last two only when the packet holds them."""

    denial_copy: str = "letter"
    clinical_notes: bool = False
    pa_form: bool = False

    @property
    def parts(self) -> tuple[str, ...]:
        """The enclosed parts' keys, in order (appeals.yaml `packet_enclosures`)."""
        copy = "remittance" if self.denial_copy == "remittance" else "denial_letter"
        return (
            "lmn",
            copy,
            *(("clinical_notes",) if self.clinical_notes else ()),
            *(("pa_form",) if self.pa_form else ()),
        )


@dataclass(frozen=True)
class CaseFacts:
    """What the service knows about a case beyond its payload.

    ``documents`` are the kinds already generated for the case; ``forms`` the PA form ids
    generated for it, oldest first; ``denial`` the parsed letter an appeal answers and
    ``denial_source_sha256``/``denial_pdf`` the uploaded letter itself (for the packet).
    """

    benefits: Benefits | None = None
    documents: frozenset[str] = frozenset()
    denial: Denial | None = None
    denial_source_sha256: str | None = None
    forms: tuple[str, ...] = ()
    denial_pdf: bytes | None = field(default=None, repr=False, compare=False)
    pa_history: tuple[dict[str, object], ...] = ()
    case_id: str | None = None
    late_reason: str | None = None  # the good cause of a late appeal (the packet's request)
    # The hub's product price and its source (settings FORMSERVICE_PAP_PRODUCT_PRICE[_SOURCE]),
    # weighed by the PAP hardship test when no out-of-pocket estimate is on file.
    product_price: tuple[float, str] | None = None
    # What a letter of medical necessity is for: "request" (a standalone LMN asks for prior
    # or retroactive authorization) or "appeal_enclosure" (the LMN of an appeal packet documents
    # the medical necessity of the claim under appeal and asks for no authorization).
    lmn_purpose: str = "request"
    # Set for the letters of an appeal packet: what the packet encloses, so that their
    # enclosure lists name exactly that (`reimbursement.appeals.enclosures`).
    packet: PacketContents | None = None


@dataclass(frozen=True)
class TemplateVersion:
    """The bytes of one letter-template version and what identifies it."""

    name: str
    version: int
    sha256: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class RenderedDocument:
    """A finished file and everything needed to trace and reproduce it."""

    kind: str
    format: str
    data: bytes
    media_type: str
    filename: str
    template_name: str
    template_sha256: str
    template_version: int
    input_sha256: str
    form: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
