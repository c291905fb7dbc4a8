"""PA tracking: allowed moves only (409 names them), dated steps, due dates, the due list."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from formservice.store.db import transaction
from formservice.store.models import DenialRow
from formservice.usecases.services import Services
from tests.conftest import load_sample, make_key


def _case(
    client: FlaskClient,
    auth: dict[str, str],
    sample: str = "01_breast_commercial_office",
    **changes: Any,
) -> str:
    payload = copy.deepcopy(load_sample(sample))
    for key, value in changes.items():
        payload[key] = value
    response = client.post("/api/v1/cases", json=payload, headers=auth)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def _step(
    client: FlaskClient,
    auth: dict[str, str],
    case_id: str,
    status: str,
    on: str | None = None,
    **extra: Any,
) -> Any:
    body = {"status": status, **({"on": on} if on else {}), **extra}
    return client.post(f"/api/v1/cases/{case_id}/prior-authorization", json=body, headers=auth)


@pytest.mark.parametrize(
    ("path", "bad", "allowed"),
    [
        ([], "approved", ["not_required", "required", "submitted"]),
        (["required"], "pending", ["submitted", "not_required"]),
        (["submitted"], "appeal_submitted", ["pending", "approved", "denied"]),
        (["submitted", "approved"], "denied", []),
        (["submitted", "denied"], "approved", ["appeal_submitted"]),
        # one appeal only: after it is denied, nothing more
        (["submitted", "denied", "appeal_submitted", "appeal_denied"], "appeal_submitted", []),
    ],
)
def test_invalid_transition_is_409_naming_allowed(
    client: FlaskClient, auth: dict[str, str], path: list[str], bad: str, allowed: list[str]
) -> None:
    case_id = _case(client, auth)
    for i, status in enumerate(path):
        assert _step(client, auth, case_id, status, f"2026-01-{10 + i:02d}").status_code == 200
    response = _step(client, auth, case_id, bad, "2026-01-25")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["allowed"] == allowed
    state = client.get(f"/api/v1/cases/{case_id}/prior-authorization", headers=auth).json
    assert state["status"] == (path[-1] if path else "not_submitted")
    assert len(state["history"]) == len(path)


def test_unknown_status_is_422(client: FlaskClient, auth: dict[str, str]) -> None:
    response = _step(client, auth, _case(client, auth), "lost_in_mail")
    assert response.status_code == 422
    assert "status" in response.json["errors"]


def test_full_path_records_dates_number_and_due(client: FlaskClient, auth: dict[str, str]) -> None:
    case_id = _case(client, auth)
    r = _step(client, auth, case_id, "required", "2026-01-21", note="BI: PA required")
    assert (r.json["next_due"], r.json["allowed"]) == (None, ["submitted", "not_required"])
    r = _step(client, auth, case_id, "submitted", "2026-01-25", number="NWH-PA-0001")
    # Northwind's typical turnaround in the payer directory is 15 days.
    assert r.json["next_due"] == "2026-02-09"
    assert "15 days" in r.json["next_due_reason"]
    r = _step(client, auth, case_id, "pending", "2026-02-09")
    assert r.json["next_due"] == "2026-02-24"
    r = _step(client, auth, case_id, "approved", "2026-02-12")
    assert (r.json["status"], r.json["next_due"], r.json["number"]) == (
        "approved",
        None,
        "NWH-PA-0001",
    )
    assert [h["status"] for h in r.json["history"]] == [
        "required",
        "submitted",
        "pending",
        "approved",
    ]
    assert r.json["history"][0]["note"] == "BI: PA required"
    view = client.get(f"/api/v1/cases/{case_id}", headers=auth).json
    assert view["pa_status"] == "approved"
    claim = {i["id"]: i for i in view["checklists"]["claim"]}
    assert claim["pa_number_recorded"]["status"] == "done"
    assert "NWH-PA-0001" in claim["pa_number_recorded"]["detail"]
    assert claim["pa_approved"]["status"] == "done"


def test_bi_turnaround_overrides_directory(client: FlaskClient, auth: dict[str, str]) -> None:
    case_id = _case(client, auth)
    _step(client, auth, case_id, "submitted", "2026-01-25")
    bi = {"coverage_active": True, "call_date": "2026-01-20", "turnaround_days": 3}
    assert client.put(f"/api/v1/cases/{case_id}/benefits", json=bi, headers=auth).status_code == 200
    state = client.get(f"/api/v1/cases/{case_id}/prior-authorization", headers=auth).json
    assert state["next_due"] == "2026-01-28"


def test_steps_must_be_in_date_order_and_not_future(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    case_id = _case(client, auth)
    _step(client, auth, case_id, "submitted", "2026-01-25")
    earlier = _step(client, auth, case_id, "pending", "2026-01-24")
    assert earlier.status_code == 422
    assert "on" in earlier.json["errors"]
    assert _step(client, auth, case_id, "pending", "2026-01-25").status_code == 200  # same day ok
    tomorrow = (services.today() + timedelta(days=1)).isoformat()
    future = _step(
        client, auth, _case(client, auth, external_id="HUB-TEST-FUTURE"), "submitted", tomorrow
    )
    assert future.status_code == 422
    assert "on" in future.json["errors"]


def test_step_without_date_uses_today(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    r = _step(client, auth, _case(client, auth), "submitted")
    assert r.json["history"][0]["on"] == services.today().isoformat()


def test_denied_erisa_gets_the_plan_appeal_window(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    # Sample 06 arrives denied on 2026-02-27 (ERISA plan: at least 180 days to appeal).
    case_id = _case(client, auth, "06_breast_erisa_not_covered")
    view = client.get(f"/api/v1/cases/{case_id}", headers=auth).json
    assert view["next_due"] == (date(2026, 2, 27) + timedelta(days=180)).isoformat()
    assert "appeal" in view["next_due_reason"]


def test_denied_without_rule_or_letter_is_due_now(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    case_id = _case(client, auth)  # commercial: no plan-type rule on file
    _step(client, auth, case_id, "submitted", "2026-01-25")
    r = _step(client, auth, case_id, "denied", "2026-02-01")
    assert r.json["next_due"] == "2026-02-01"
    assert "attach the denial letter" in r.json["next_due_reason"]


def test_denial_letter_deadline_wins(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    case_id = _case(client, auth)
    with transaction(services.sessions) as session:
        session.add(
            DenialRow(
                case_id=case_id,
                facility_npi="1003000126",
                source_sha256="0" * 64,
                filename="denial.pdf",
                appeal_deadline=date(2026, 7, 31),
            )
        )
    _step(client, auth, case_id, "submitted", "2026-01-25")
    r = _step(client, auth, case_id, "denied", "2026-02-01")
    assert r.json["next_due"] == "2026-07-31"
    assert "denial letter on file" in r.json["next_due_reason"]
    r = _step(client, auth, case_id, "appeal_submitted", "2026-02-10")
    assert r.json["next_due"] == "2026-02-25"  # follow up on the appeal after 15 days


def test_due_list_filters_and_puts_appeal_deadlines_first(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    follow = _case(client, auth)
    _step(client, auth, follow, "submitted", "2026-01-25")  # due 2026-02-09
    appeal = _case(client, auth, "06_breast_erisa_not_covered")  # appeal due 2026-08-26
    quiet = _case(client, auth, "05_breast_uninsured_pap")  # nothing due
    late = _case(client, auth, "10_pap_conditional_not_covered")
    _step(client, auth, late, "submitted", "2026-06-01")  # Contoso: 10 days -> 2026-06-11

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/cases{query}", headers=auth)
        assert response.status_code == 200
        return [c["id"] for c in response.json]

    assert ids("?due_before=2026-02-08") == []
    assert ids("?due_before=2026-02-09") == [follow]  # boundary: due on that day counts
    assert ids("?due_before=2026-12-31") == [appeal, follow, late]
    assert set(ids("")) == {follow, appeal, quiet, late}
    assert ids("?due_before=2026-12-31&limit=1") == [appeal]
    bad = client.get("/api/v1/cases?due_before=soon", headers=auth)
    assert bad.status_code == 422
    assert "due_before" in bad.json["errors"]
    other = {"Authorization": f"Bearer {make_key(services, 'clinic', '1234567893')}"}
    assert client.get("/api/v1/cases?due_before=2026-12-31", headers=other).json == []


def test_other_facility_cannot_move_a_pa(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    case_id = _case(client, auth)
    other = {"Authorization": f"Bearer {make_key(services, 'clinic', '1234567893')}"}
    assert _step(client, other, case_id, "submitted", "2026-01-25").status_code == 404
    assert (
        client.get(f"/api/v1/cases/{case_id}/prior-authorization", headers=auth).json["history"]
        == []
    )
