"""Path parameters checked by the router: an id or a name that is malformed never reaches a view.

`register_converters` adds them to a Flask app's URL map (`<id:case_id>`, `<slug:name>`); a path
whose id is not 32 lower-case hex digits simply matches no route (404), before any query runs.
`PARAMETER_SCHEMAS` documents each converter in OpenAPI with its pattern.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import BaseConverter, Map

from formservice.schemas.common import ID_REGEX

SLUG_REGEX = r"[a-z0-9][a-z0-9_-]{0,119}"


class IdConverter(BaseConverter):
    """A row id (uuid4 hex)."""

    regex = ID_REGEX


class SlugConverter(BaseConverter):
    """A template name, payer form id or document kind: lower-case letters, digits, _ and -."""

    regex = SLUG_REGEX


CONVERTERS: dict[str, type[BaseConverter]] = {"id": IdConverter, "slug": SlugConverter}
PARAMETER_SCHEMAS: dict[type[BaseConverter], dict[str, Any]] = {
    IdConverter: {"type": "string", "pattern": f"^{ID_REGEX}$"},
    SlugConverter: {"type": "string", "pattern": f"^{SLUG_REGEX}$"},
}


def register_converters(url_map: Map) -> None:
    """Make `<id:...>` and `<slug:...>` available to the routes of `url_map`."""
    url_map.converters.update(CONVERTERS)
