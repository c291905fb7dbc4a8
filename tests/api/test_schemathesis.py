"""Schema-driven robustness: every operation of /openapi.json, fuzzed in process.

For each operation, schemathesis generates requests from the documented schema (a bounded
number per operation) and sends them to the WSGI app with the key of each role (hub, clinic,
ops). Every response must not be a 5xx, must have a documented status code and media type, and
its body must match the documented schema (a refused role's 403 included). All failures are
collected and reported together, each with its operation and role (issue 15, item 10).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from formservice.usecases.services import Services
from tests.conftest import load_sample, make_key

# Examples per operation and role: the hub key reaches the most code; a clinic key runs the same
# code walled to its facility, and an ops key is refused most operations before any of it.
MAX_EXAMPLES = {"hub": 20, "clinic": 10, "ops": 10}
FACILITY_A = "1003000126"  # the sample case's facility
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz(operation: Any, role: str, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES[role],
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run: a failure here is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if failures:
            return  # one failure per operation is enough to report it
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseExceptionGroup as exc:  # schemathesis reports failures as a FailureGroup
            failures.append(f"{operation.label} as {role}: {str(exc).strip()[:1200]}")

    run()
    return failures


@pytest.mark.slow
def test_item10_every_operation_conforms_with_every_roles_key(
    app: Flask, services: Services
) -> None:
    keys = {
        "hub": make_key(services, "hub"),
        "clinic": make_key(services, "clinic", FACILITY_A),
        "ops": make_key(services, "ops"),
    }
    # A real case, so the operations on /cases/{case_id} have something to find sometimes.
    client = app.test_client()
    hub = {"Authorization": f"Bearer {keys['hub']}"}
    assert client.post("/api/v1/cases", json=load_sample(), headers=hub).status_code == 201
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    failures: list[str] = []
    for role, key in keys.items():
        for operation in operations:
            failures.extend(_fuzz(operation, role, {"Authorization": f"Bearer {key}"}))
    assert not failures, "\n\n".join(failures)
