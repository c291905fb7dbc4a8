"""DOCX letters: render a docxtpl template (`render`, compiled once by `template_compile`), its
OOXML plumbing (`ooxml`) and the checks a template passes before it is published
(`template_check`)."""

from formservice.documents.docx.render import (
    DEFAULT_LIMITS,
    TemplateLimits,
    TemplateRenderError,
    document_text,
    read_properties,
    render_docx,
    template_environment,
)
from formservice.documents.docx.template_check import TemplateReport, check_template

__all__ = [
    "DEFAULT_LIMITS",
    "TemplateLimits",
    "TemplateRenderError",
    "TemplateReport",
    "check_template",
    "document_text",
    "read_properties",
    "render_docx",
    "template_environment",
]
