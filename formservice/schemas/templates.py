"""Shapes of the template registry and regeneration endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields

from formservice.schemas.common import CleanSchema, StrictSchema


class TemplateVersionSchema(Schema):
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    active = fields.Boolean(required=True)
    source = fields.String(required=True, metadata={"description": "shipped | published"})
    created_at = fields.DateTime(required=True)


class TemplateSchema(Schema):
    name = fields.String(required=True)
    active_version = fields.Integer(required=True)
    versions = fields.List(fields.Nested(TemplateVersionSchema), required=True)


class TemplateUploadSchema(CleanSchema):
    """Multipart upload of a new template version."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class RegenerationRequestSchema(StrictSchema):
    template = fields.String(required=True, metadata={"example": "letter_of_medical_necessity"})
    dry_run = fields.Boolean(load_default=False)


class RegenerationFailureSchema(Schema):
    document_id = fields.String(required=True)
    error = fields.String(required=True)


class RegenerationSchema(Schema):
    id = fields.String(required=True)
    template = fields.String(required=True)
    template_version = fields.Integer(required=True)
    status = fields.String(required=True)
    total = fields.Integer(required=True)
    done = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    failures = fields.List(fields.Nested(RegenerationFailureSchema), required=True)
    elapsed_seconds = fields.Float(required=True)
    created_at = fields.String(allow_none=True)


class DryRunDocumentSchema(Schema):
    document_id = fields.String(required=True)
    kind = fields.String(required=True)
    template_version = fields.Integer(required=True)
    case = fields.String(required=True)


class DryRunSchema(Schema):
    template = fields.String(required=True)
    template_version = fields.Integer(required=True)
    count = fields.Integer(required=True)
    listed = fields.Integer(required=True)
    documents = fields.List(fields.Nested(DryRunDocumentSchema), required=True)
