"""Small helpers the API views share."""

from __future__ import annotations

import io
from typing import Any, cast

import flask_smorest
from flask import Response, current_app, g, send_file
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from formservice.model import Principal
from formservice.usecases.services import Services

AUTH: list[dict[str, list[str]]] = [{"apiKey": []}]


class MultipartParser(FlaskParser):
    """webargs' parser, reading a multipart body whole: the `files` location holds its files
    and its plain fields, so one schema describes (and OpenAPI documents) the whole body."""

    def load_files(self, req: Any, schema: Any) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint; `location="files"` parses a whole multipart/form-data body."""

    ARGUMENTS_PARSER = MultipartParser()


def services() -> Services:
    """The Services of the running app."""
    return cast(Services, current_app.extensions["formservice"])


def principal() -> Principal:
    """Who is calling (set by the API-key check)."""
    return cast(Principal, g.principal)


def download(data: bytes, mimetype: str, filename: str, *, etag: str | None = None) -> Response:
    """A file as an attachment: werkzeug builds Content-Disposition (RFC 6266, quoted, with
    `filename*` for names beyond ASCII); never stored by a cache."""
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=filename,
        etag=etag or False,
        conditional=False,
    )
    response.headers["Cache-Control"] = "no-store"
    # send_file wraps the bytes in the server's file wrapper, which a WSGI server without a
    # file descriptor to sendfile() reads 8 KiB at a time: a 30 KB letter went out in four
    # writes, each dropping and retaking the GIL against the threads rendering beside it. The
    # bytes are in memory already: one chunk, still an iterator (the audit hook records the
    # download once the body is out, as for any file).
    response.response = iter((data,))
    return response
