"""Letter templates: list versions, publish a new one (multipart), activate (roll back), preview."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from formservice.api.common import AUTH, Blueprint, download, services
from formservice.documents.catalog import DOCX_MEDIA_TYPE
from formservice.errors import ValidationProblem
from formservice.schemas.templates import (
    TemplateSchema,
    TemplateUploadSchema,
    TemplateVersionSchema,
)
from formservice.usecases.templates import (
    activate_template,
    list_template_versions,
    preview_template,
    publish_template,
)

blp = Blueprint("templates", __name__, url_prefix="/templates", description="Letter templates")


@blp.route("")
class Templates(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, TemplateSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self) -> list[dict[str, Any]]:
        """Every template name, its versions, and which one is active."""
        return list_template_versions(services())


@blp.route("/<slug:name>/versions")
class TemplateVersions(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(TemplateUploadSchema(), location="files")
    @blp.response(201, TemplateVersionSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, files: dict[str, Any], name: str) -> Any:
        """Validate an uploaded .docx and publish it as the new active version."""
        upload = files["file"]
        data = upload.read()
        if not data:
            raise ValidationProblem("the uploaded file is empty", errors={"file": ["Empty file."]})
        return publish_template(services(), name, data)


@blp.route("/<slug:name>/versions/<int:version>/activate")
class TemplateActivate(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(200, TemplateVersionSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, name: str, version: int) -> Any:
        """Make an existing version the active one (a rollback when it is older)."""
        return activate_template(services(), name, version)


@blp.route("/<slug:name>/versions/<int:version>/preview")
class TemplatePreview(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(
        200, description="The version rendered against a sample case", content_type=DOCX_MEDIA_TYPE
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, name: str, version: int) -> Response:
        """Render a template version against a sample case."""
        data = preview_template(services(), name, version)
        return download(data, DOCX_MEDIA_TYPE, f"{name}-v{version}-preview.docx")
