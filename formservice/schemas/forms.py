"""Shapes of the payer-form listing."""

from __future__ import annotations

from marshmallow import Schema, fields


class FormFieldSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    page = fields.Integer(required=True)
    max_length = fields.Integer(allow_none=True)
    options = fields.List(fields.String())
    on_states = fields.List(fields.String())
    tooltip = fields.String(allow_none=True)
    mapped_from = fields.String(
        allow_none=True, metadata={"description": "case path or computed value that fills it"}
    )


class FormSchema(Schema):
    form_id = fields.String(required=True)
    title = fields.String(required=True)
    source = fields.String(required=True)
    pages = fields.Integer(required=True)
    fields_count = fields.Integer(required=True, data_key="field_count")
    mapped_fields = fields.Integer(required=True)
    # "fields" would shadow marshmallow's own Schema.fields: named in Python, spelled in JSON.
    form_fields = fields.List(fields.Nested(FormFieldSchema), required=True, data_key="fields")
