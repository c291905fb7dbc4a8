"""Every error formservice raises on purpose, and how it reads as an RFC 9457 problem.

The tree::

    FormserviceError (500)
    ├── BadInputError (400)            malformed JSON, unreadable request
    │   └── CsrfError (400)            a form posted without a valid CSRF token
    ├── UnauthorizedError (401)        no or wrong API key / not logged in
    ├── ForbiddenError (403)           authenticated, but the role may not do this
    ├── NotFoundError (404)            unknown id, or another facility's data
    ├── ConflictError (409)            same external_id with another payload, a bad transition
    │   ├── InvalidTransition (409)    a PA status change the machine does not allow; `allowed`
    │   ├── IdentityMismatchError      a denial naming another patient; `reconciliation`
    │   └── DuplicateUploadError       a letter file uploaded before; `existing_denial_id`
    ├── PayloadTooLargeError (413)     body or upload over its limit
    ├── UnsupportedMediaError (415)    an upload that is not what the endpoint takes
    ├── ValidationProblem (422)        invalid values; ``errors`` maps field path → messages
    │   ├── UnreadablePdfError (422)   a PDF (form, upload) that pypdf cannot read: damaged
    │   ├── InvalidX12Error (422)      an X12 file (835) that is not X12, not 5010, or broken;
    │   │                              names the segment and its position
    │   ├── RuleInputError (422)       a value a rule cannot use; names its path in the case
    │   │   ├── PapInputError          PAP rules: negative income, a household of 0 ...
    │   │   └── ClaimBuildError        claim lines: no start date, no diagnosis ...
    │   └── CodeNotInEffect (422)      a procedure code not valid on the date of service
    ├── ChargeMasterError (500)        the charge master file is missing or malformed
    ├── ServiceUnavailableError (503)  a dependency (the PDF converter) cannot serve
    │   ├── DatabaseNotReadyError      the database is unreachable, or its schema is not the
    │   │                              newest (run `formservice db upgrade`)
    │   └── QueueUnavailableError      the job queue's broker (Redis) cannot take work now
    └── GatewayTimeoutError (504)      a dependency took longer than its time limit

Each class knows its status, problem ``type`` and ``title``; `to_problem` renders any of them.
Each also knows its command-line exit code: 2 for 4xx errors (and for a database the operator
must migrate first), 1 for everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "https://formservice.example/problems/"


class FormserviceError(Exception):
    """Root of every deliberate error; renders as a problem+json document."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        self.extra = extra

    @property
    def type(self) -> str:
        return _TYPE_BASE + self.slug

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this error (CONTRACT.md §3): 2 bad input, 1 anything else."""
        return 2 if 400 <= self.status < 500 else 1

    def to_problem(self) -> dict[str, Any]:
        """The RFC 9457 body for this error."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class BadInputError(FormserviceError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class CsrfError(BadInputError):
    slug = "csrf"
    title = "Missing or invalid CSRF token"


class UnauthorizedError(FormserviceError):
    status = 401
    slug = "unauthorized"
    title = "Unauthorized"


class ForbiddenError(FormserviceError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFoundError(FormserviceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class ConflictError(FormserviceError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLargeError(FormserviceError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaError(FormserviceError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationProblem(FormserviceError):
    status = 422
    slug = "validation"
    title = "Validation failed"


class UnreadablePdfError(ValidationProblem):
    """A PDF whose bytes cannot be read (damaged, badly encrypted); names the file."""

    slug = "unreadable-pdf"
    title = "Unreadable PDF"


class InvalidX12Error(ValidationProblem):
    """An X12 file that cannot be read: not X12, a version other than 005010, a broken envelope
    (SE01 count, ISA/IEA or GS/GE control numbers), or an empty transaction.

    ``segment`` is the segment's id (``SE``) and ``position`` its 1-based place in the file (ISA
    is 1); both are in the problem body, and ``errors`` maps ``file`` to the one message.
    """

    slug = "invalid-x12"
    title = "Invalid X12 file"

    def __init__(self, message: str, *, segment: str, position: int) -> None:
        detail = f"segment {position} ({segment}): {message}"
        super().__init__(detail, errors={"file": [detail]}, segment=segment, position=position)
        self.segment = segment
        self.position = position


class TemplateRejectedError(ValidationProblem):
    """A template refused with its reason: a sandbox block, a render limit (`limit` names the
    FORMSERVICE_TEMPLATE_* budget it passed), or an XML part with a DTD or entities."""

    slug = "template-rejected"
    title = "Template rejected"


class RuleInputError(ValidationProblem, ValueError):
    """A value of the case a business rule cannot use; ``field`` is its path in the payload.

    Also a `ValueError`: to the pure rules that raise it, it is a value they cannot take.

    ``str(error)`` reads ``"<field>: <message>"``; the problem's ``errors`` maps the field to the
    message, so every face shows it the same way.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors={field: [message]})
        self.field = field
        self.message = message


class PapInputError(RuleInputError):
    """An input the PAP rules refuse (negative income, a household of 0)."""

    title = "Invalid PAP input"


class ClaimBuildError(RuleInputError):
    """The case lacks what claim lines need (no start date, no diagnosis, a bad chemo code)."""

    title = "The claim cannot be built"


class ChargeMasterError(FormserviceError):
    """The charge master file (FORMSERVICE_CHARGE_MASTER) is missing or not in its shape: a
    deployment problem, so 500 naming the file, never a guessed price."""

    slug = "charge-master-error"
    title = "The charge master cannot be read"


class CodeNotInEffect(ValidationProblem, ValueError):
    """A procedure code (or any scalp-cooling code) is not valid on the date of service."""

    title = "Code not in effect"

    def __init__(self, message: str, *, code: str | None, date_of_service: date) -> None:
        super().__init__(message, errors={"date_of_service": [message]})
        self.code = code
        self.date_of_service = date_of_service


class DocumentNotApplicable(ValidationProblem):
    """A document that does not apply to the case (reimbursement/applicability.py); names the rule.

    ``rule`` is the rule id of applicability.yaml, ``overridable`` whether a hub user may make it
    anyway with ``override_reason``; the problem carries both, and ``errors`` names the field.
    """

    slug = "document-not-applicable"
    title = "Document does not apply to this case"

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        overridable: bool,
        fill_in: Sequence[str] = (),
        field: str | None = None,
    ) -> None:
        field = "override_reason" if overridable else field or "kind"
        hint = (
            "A hub user may make it anyway: give override_reason (recorded in the audit trail)."
            if overridable
            else message
        )
        errors = {field: [hint]} | {f: ["Fill this in first."] for f in fill_in}
        super().__init__(message, errors=errors, rule=rule, overridable=overridable)
        self.rule = rule
        self.overridable = overridable


class InvalidTransition(ConflictError):
    """A PA status change the machine does not allow; ``allowed`` lists the moves it does."""

    def __init__(self, current: str, new: str, allowed: tuple[str, ...]) -> None:
        names = ", ".join(allowed) if allowed else "none (final status)"
        super().__init__(
            f"prior authorization cannot go from {current!r} to {new!r}; allowed: {names}",
            allowed=list(allowed),
        )
        self.current = current
        self.new = new
        self.allowed = allowed


class IdentityMismatchError(ConflictError):
    """A denial whose patient name, member ID or date of birth differs from the case's.

    ``errors`` names each differing fact with both values; ``reconciliation`` carries every fact
    compared. Nothing is attached; a hub user may attach anyway with an ``override_reason``.
    """

    slug = "identity-mismatch"
    title = "The denial names another patient"


class DuplicateUploadError(ConflictError):
    """The same file (by SHA-256) was uploaded before and is still on record; nothing is stored.

    ``existing_denial_id`` names the earlier upload and ``uploaded_at`` its time (ISO 8601,
    UTC). A letter that failed to read does not count: uploading it again is how to retry.
    """

    slug = "duplicate-upload"
    title = "This letter was already uploaded"


class ServiceUnavailableError(FormserviceError):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"


class DatabaseNotReadyError(ServiceUnavailableError):
    """The database cannot be used yet: unreachable, not migrated, or migrated by a newer release.

    ``operator_action`` is True when the operator has to act before anything can run (migrate,
    upgrade formservice): the CLI then exits 2, like for bad input, rather than 1.
    """

    slug = "database-not-ready"
    title = "Database not ready"

    def __init__(self, detail: str, *, operator_action: bool = True) -> None:
        super().__init__(detail)
        self.operator_action = operator_action

    @property
    def exit_code(self) -> int:
        return 2 if self.operator_action else 1


class QueueUnavailableError(ServiceUnavailableError):
    """The job queue's broker cannot be reached: work that needs it is refused before anything
    is written, so nothing is left half-done; the caller may try again later."""

    slug = "queue-unavailable"
    title = "Job queue unavailable"


class GatewayTimeoutError(FormserviceError):
    status = 504
    slug = "timeout"
    title = "Timed out"


class HttpProblem(FormserviceError):
    """A plain HTTP error (405, 404 of an unknown route...) carried as a problem."""

    def __init__(self, status: int, title: str, detail: str | None = None) -> None:
        self.status = status
        self.title = title
        self.slug = title.lower().replace(" ", "-")
        super().__init__(detail or title)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested ``messages`` into ``{"a.0.b": [...]}`` field paths."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for k, v in flatten_messages(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list | tuple):
        for i, value in enumerate(messages):
            for k, v in flatten_messages(value, f"{prefix}.{i}" if prefix else str(i)).items():
                out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out
