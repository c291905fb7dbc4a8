"""JSON Schema (2020-12) of the public payloads, generated from the marshmallow schemas.

`schemas/*.schema.json` at the top of the repository are written by `formservice schemas write`
and a test fails when they drift from the marshmallow schemas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from formservice.schemas.benefits import BenefitsSchema
from formservice.schemas.case import CaseSchema
from formservice.schemas.common import CptCode, Icd10Code, Npi
from formservice.schemas.pap import PapDecisionSchema

PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "case": CaseSchema,
    "benefits": BenefitsSchema,
    "pap_decision": PapDecisionSchema,
}
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(schema: type[Schema], name: str) -> dict[str, Any]:
    """The JSON Schema of one marshmallow schema, nested schemas under $defs."""
    plugin = MarshmallowPlugin(schema_name_resolver=lambda s: _schema_name(s))
    spec = APISpec(title=name, version="1", openapi_version="3.1.0", plugins=[plugin])
    for field in (Npi, Icd10Code, CptCode):
        plugin.map_to_openapi_type(field, "string", None)
    spec.components.schema(_schema_name(schema), schema=schema)
    components = spec.to_dict()["components"]["schemas"]
    root = components.pop(_schema_name(schema))
    text = json.dumps({"$schema": _DIALECT, "$id": f"{name}.schema.json", "title": name, **root})
    defs = json.loads(json.dumps(components).replace("#/components/schemas/", "#/$defs/"))
    document: dict[str, Any] = json.loads(text.replace("#/components/schemas/", "#/$defs/"))
    document["$defs"] = defs
    return document


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def render_all() -> dict[str, str]:
    """File name → JSON text for every public schema."""
    return {
        f"{name}.schema.json": json.dumps(json_schema(schema, name), indent=2, sort_keys=True)
        + "\n"
        for name, schema in PUBLIC_SCHEMAS.items()
    }


def write_all(directory: Path) -> list[Path]:
    """Write every public schema into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in render_all().items():
        path = directory / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
