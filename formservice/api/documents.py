"""Stored documents: download the file."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from formservice.api.common import AUTH, download, principal, services
from formservice.usecases.documents import document_file

blp = Blueprint("documents", __name__, url_prefix="/documents", description="Generated documents")


@blp.route("/<id:document_id>/content")
class DocumentContent(MethodView):
    @blp.doc(security=AUTH)
    @blp.response(
        200,
        description="The file",
        content_type="application/octet-stream",
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, document_id: str) -> Response:
        """Download a document with its media type and a filename."""
        row, data = document_file(services(), principal(), document_id)
        return download(data, row.media_type, row.filename, etag=row.blob_sha256)
