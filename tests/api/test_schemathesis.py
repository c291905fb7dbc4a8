"""Schema-driven robustness: every operation of /openapi.json, fuzzed in process.

For each operation, schemathesis generates requests from the documented schema (a bounded
number per operation) and sends them to the WSGI app with a valid hub key. Every response must
not be a 5xx, must have a documented status code and media type, and its body must match the
documented schema. All failures are collected and reported together, each with its operation.
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

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz(operation: Any, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
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
            failures.append(f"{operation.label}: {str(exc).strip()[:1200]}")

    run()
    return failures


@pytest.mark.slow
def test_every_operation_conforms_to_its_schema(app: Flask, services: Services) -> None:
    headers = {"Authorization": f"Bearer {make_key(services, 'hub')}"}
    # A real case, so the operations on /cases/{case_id} have something to find sometimes.
    client = app.test_client()
    assert client.post("/api/v1/cases", json=load_sample(), headers=headers).status_code == 201
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    failures: list[str] = []
    for operation in operations:
        failures.extend(_fuzz(operation, headers))
    assert not failures, "\n\n".join(failures)
