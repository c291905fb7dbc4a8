"""The audit trail, read-only, for hub administrators and operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from formservice.api.common import AUTH, services
from formservice.schemas.common import Id, StrictSchema
from formservice.usecases.audit import read_audit, verify_audit

blp = Blueprint("audit", __name__, url_prefix="/audit", description="Audit trail")


class AuditQuerySchema(StrictSchema):
    """Filters; every one given must match."""

    actor = fields.String(
        validate=validate.Length(max=260),
        load_default=None,
        metadata={"description": "e.g. user:ana@clinic.example or key:portal"},
    )
    action = fields.String(
        load_default=None, validate=validate.Length(max=40), metadata={"example": "view_case"}
    )
    case_id = Id(load_default=None)
    since = fields.AwareDateTime(
        load_default=None, metadata={"description": "from this moment (inclusive), ISO 8601"}
    )
    until = fields.AwareDateTime(
        load_default=None, metadata={"description": "before this moment, ISO 8601"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEventSchema(Schema):
    """One recorded access or security event."""

    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(validate=validate.Length(max=260), required=True)
    role = fields.String(allow_none=True)
    action = fields.String(required=True)
    method = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    status = fields.Integer(allow_none=True)
    case_id = fields.String(allow_none=True)
    document_id = fields.String(allow_none=True)
    denial_id = fields.String(allow_none=True)
    remote_addr = fields.String(allow_none=True)
    external_id = fields.String(
        allow_none=True, metadata={"description": "the case's external id of a stateless render"}
    )
    row_hash = fields.String(
        allow_none=True, metadata={"description": "sha256 chaining this row to the one before"}
    )


class AuditVerifyQuerySchema(StrictSchema):
    """What to check the chain against."""

    head = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[0-9a-f]{64}$"),
        metadata={"description": "a head reported earlier: the chain must still hold it"},
    )


class AuditChainSchema(Schema):
    """The hash chain of the audit trail, walked from the first row."""

    intact = fields.Boolean(required=True)
    rows = fields.Integer(required=True, metadata={"description": "rows that link"})
    last_id = fields.Integer(allow_none=True, metadata={"description": "the last row that links"})
    head = fields.String(required=True, metadata={"description": "the last linking row's hash"})
    broken_id = fields.Integer(allow_none=True, metadata={"description": "first broken row"})
    reason = fields.String(allow_none=True)


@blp.route("")
class AuditEvents(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(AuditQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, AuditEventSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(
        self,
        actor: str | None,
        action: str | None,
        case_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Audit events, newest first, filtered by actor, action, case and time."""
        return read_audit(
            services(),
            actor=actor,
            action=action,
            case_id=case_id,
            since=since,
            until=until,
            limit=limit,
        )


@blp.route("/verify")
class AuditVerify(MethodView):
    @blp.doc(security=AUTH)
    @blp.arguments(AuditVerifyQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, AuditChainSchema())
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, head: str | None) -> dict[str, Any]:
        """Walk the audit trail's hash chain; name the first row that does not link."""
        report = verify_audit(services(), head=head)
        return {
            "intact": report.intact,
            "rows": report.rows,
            "last_id": report.last_id,
            "head": report.head,
            "broken_id": report.broken_id,
            "reason": report.reason or None,
        }
