"""Stored documents: download the file."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, principal, services
from formservice.usecases.documents import document_file

blp = Blueprint("documents", __name__, url_prefix="/documents", description="Generated documents")


@blp.route("/<document_id>/content")
class DocumentContent(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(
        200,
        description="The file",
        content_type="application/octet-stream",
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, document_id: str) -> Response:
        """Download a document with its media type and a filename."""
        row, data = document_file(services(), principal(), document_id)
        return Response(
            data,
            mimetype=row.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{row.filename}"',
                "ETag": f'"{row.blob_sha256}"',
            },
        )
