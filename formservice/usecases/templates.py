"""Template operations for ops: check and publish a version, list, activate, preview.

The variables a template may use are the keys of the context its document kind really builds
(for a sample case), so the check can never drift from the renderer.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from formservice.documents import RenderTools, catalog, render_document
from formservice.documents.contexts import letter_variables
from formservice.documents.convert import Converter
from formservice.documents.docx import TemplateRenderError, TemplateReport, check_template
from formservice.documents.docx.template_check import TemplateProblem
from formservice.errors import NotFoundError, TemplateRejectedError, ValidationProblem
from formservice.model import Benefits, CaseFacts, Denial, DocumentRequest, TemplateVersion
from formservice.schemas.case import load_case
from formservice.settings import Settings
from formservice.store import templates as registry
from formservice.store.audit import record_event
from formservice.store.blobs import sha256_hex
from formservice.store.db import reading, transaction
from formservice.store.models import TemplateVersionRow
from formservice.store.unit_of_work import on_commit
from formservice.usecases.documents import render_for_case
from formservice.usecases.services import Services, template_limits

PREVIEW_CASE = "01_breast_commercial_office"


def _sample_payload(settings: Settings) -> dict[str, Any]:
    path = settings.samples_dir / "cases" / f"{PREVIEW_CASE}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _sample_facts(settings: Settings) -> CaseFacts:
    """Facts every letter kind can draw on: a sample denial and a sample benefits check."""

    def first(folder: str) -> Any:
        paths = sorted((settings.samples_dir / folder).glob("*.json"))
        return json.loads(paths[0].read_text(encoding="utf-8")) if paths else None

    denial, benefits = first("denials"), first("benefits")
    return CaseFacts(
        denial=Denial.from_json(denial) if denial else None,
        benefits=Benefits.from_json(benefits) if benefits else None,
        documents=frozenset(catalog.KINDS),
    )


def kind_for_template(name: str) -> catalog.DocumentKind | None:
    """The document kind a template name renders, if any."""
    return next((k for k in catalog.KINDS.values() if k.template == name), None)


def template_variables(settings: Settings, name: str | None) -> frozenset[str]:
    """The top-level variables the context of `name`'s document kind provides."""
    kind = kind_for_template(name) if name else None
    case = load_case(_sample_payload(settings))
    return letter_variables(
        kind.name if kind else None, case, _sample_facts(settings), date.today()
    )


def check_template_file(settings: Settings, data: bytes, name: str | None) -> TemplateReport:
    """Check a .docx meant for template `name` (its variables; any letter's when None).

    With a name, a template that passes the static checks is also rendered against the sample
    case under the render limits (FORMSERVICE_TEMPLATE_*): a sandbox block or a limit passed
    is a `sandbox` or `limit` problem, as publishing would refuse it.
    """
    report = check_template(data, template_variables(settings, name))
    kind = kind_for_template(name) if name else None
    if report.ok and kind is not None:
        tools = RenderTools(
            templates=lambda _name: _draft(str(name), data),
            converter=_no_converter,
            forms_dir=settings.templates_dir / "pdf",
            template_limits=template_limits(settings),
        )
        try:
            render_document(
                load_case(_sample_payload(settings)),
                DocumentRequest(kind=kind.name, format="docx"),
                _sample_facts(settings),
                today=date.today(),
                tools=tools,
            )
        except TemplateRejectedError as exc:
            problem = "sandbox" if exc.extra.get("limit") == "sandbox" else "limit"
            report.problems.append(TemplateProblem(problem, exc.detail))
        except TemplateRenderError as exc:
            report.problems.append(TemplateProblem("render", exc.detail))
    return report


def _draft(name: str, data: bytes) -> TemplateVersion:
    return TemplateVersion(name=name, version=0, sha256=sha256_hex(data), data=data)


def _no_converter() -> Converter:
    raise RuntimeError("a template check renders DOCX only")  # never reached: format="docx"


def check_for_publish(settings: Settings, name: str, data: bytes) -> TemplateReport:
    """Check a file meant as a new version of `name`; raise a 422 listing every problem."""
    report = check_template(data, template_variables(settings, name))
    if report.problems:
        errors: dict[str, list[str]] = {}
        for p in report.problems:
            where = (
                f" (in {p.part}: {p.paragraph!r})"
                if p.paragraph
                else (f" (in {p.part})" if p.part else "")
            )
            errors.setdefault("file", []).append(f"{p.kind}: {p.message}{where}")
        raise ValidationProblem(
            f"the template has {len(report.problems)} problem(s) and was not published",
            errors=errors,
            problems=[p.to_json() for p in report.problems],
        )
    return report


def publish_template(
    services: Services, name: str, data: bytes, *, actor: str | None = None
) -> TemplateVersionRow:
    """Validate and publish `data` as the new active version of `name`.

    With `actor` (the command line), the publication is recorded in the audit trail; requests
    are recorded by the web layer's audit hook.
    """
    services.sync_templates()
    with reading(services.sessions) as session:
        if name not in registry.known_names(session):
            raise NotFoundError(f"no template named {name!r}")
    check_for_publish(services.settings, name, data)
    # A preview render against a sample case proves it renders before anyone depends on it.
    _render_preview(services, name, data)
    with transaction(services.sessions) as session:
        row = registry.publish(session, services.blobs, name, data)
        if actor is not None:
            record_event(
                session, actor=actor, action="publish_template", path=f"{name}@v{row.version}"
            )
    # Once committed, this process renders with it at once; others within the cache's TTL.
    on_commit(services.sessions, services.active_templates.clear)
    return row


def _render_preview(services: Services, name: str, data: bytes, payload: Any = None) -> bytes:
    kind = kind_for_template(name)
    if kind is None:
        raise NotFoundError(f"no document kind uses the template {name!r}")
    case = load_case(payload if payload is not None else _sample_payload(services.settings))
    version = _draft(name, data)
    try:
        rendered = render_for_case(
            services,
            case,
            DocumentRequest(kind=kind.name, format="docx"),
            _sample_facts(services.settings),
            template=version,
        )
    except TemplateRenderError as exc:
        # The template fails on the sample case: refused with the reason (422), not a 500.
        raise TemplateRejectedError(exc.detail, limit="render") from exc
    return rendered.data


def preview_template(
    services: Services, name: str, version: int | None = None, payload: Any = None
) -> bytes:
    """Render a stored version (default: active) against a case (default: a sample)."""
    return _render_preview(services, name, services.template(name, version=version).data, payload)


def activate_template(services: Services, name: str, version: int) -> TemplateVersionRow:
    """Make an existing version active (a rollback when older)."""
    services.sync_templates()
    with transaction(services.sessions) as session:
        row = registry.activate(session, name, version)
    # Once committed, this process renders with it at once; others within the cache's TTL.
    on_commit(services.sessions, services.active_templates.clear)
    return row


def list_template_versions(services: Services) -> list[dict[str, Any]]:
    """Names, versions and which is active, as plain data."""
    services.sync_templates()
    with reading(services.sessions) as session:
        return [
            {
                "name": info.name,
                "active_version": info.active_version,
                "versions": [
                    {
                        "version": v.version,
                        "sha256": v.sha256,
                        "active": v.active,
                        "source": v.source,
                        "created_at": v.created_at,
                    }
                    for v in info.versions
                ],
            }
            for info in registry.list_templates(session)
        ]
