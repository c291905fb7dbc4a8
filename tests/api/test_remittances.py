"""835 remittances through the API: denials stored and matched to cases, bad files refused."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formservice import create_app
from formservice.settings import Settings
from formservice.store.models import DenialRow
from formservice.usecases import Services, build_services
from tests.conftest import SAMPLES, load_sample, make_key

ERA = SAMPLES / "era"


def _upload(client: FlaskClient, auth: dict[str, str], data: bytes, name: str = "era.835") -> Any:
    return client.post(
        "/api/v1/remittances",
        data={"file": (io.BytesIO(data), name)},
        headers=auth,
        content_type="multipart/form-data",
    )


def _count(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(DenialRow)) or 0)


def test_upload_stores_denials_matched_to_their_cases(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    ada = client.post("/api/v1/cases", json=load_sample(), headers=auth).json["id"]
    response = _upload(client, auth, (ERA / "01_denial_medical_necessity.835").read_bytes())
    assert response.status_code == 201, response.json
    body = response.json
    assert len(body["claims"]) == 1
    (denial,) = body["denials"]
    assert denial["case_id"] == ada
    assert denial["carc_codes"] == ["50"]
    assert body["guide_problems"] == []
    assert body["guide_check"] == "done"
    # The stored denial reads back like a letter's and can feed the same flow.
    stored = client.get(f"/api/v1/denials/{denial['id']}", headers=auth)
    assert stored.status_code == 200
    assert stored.json["categories"] == ["medical_necessity"]
    # The same file again stores nothing new.
    again = _upload(client, auth, (ERA / "01_denial_medical_necessity.835").read_bytes())
    assert again.status_code == 201
    assert [d["id"] for d in again.json["denials"]] == [denial["id"]]
    assert _count(services) == 1


def test_a_claim_without_its_case_is_left_unmatched(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    client.post("/api/v1/cases", json=load_sample(), headers=auth)
    body = _upload(client, auth, (ERA / "04_multi_claim.835").read_bytes()).json
    assert len(body["claims"]) == 3
    assert [d["case_id"] for d in body["denials"]] == [None, None]


def test_another_patients_case_is_not_matched(client: FlaskClient, auth: dict[str, str]) -> None:
    payload = load_sample()
    payload["patient"]["last_name"] = "Otherperson"
    client.post("/api/v1/cases", json=payload, headers=auth)
    body = _upload(client, auth, (ERA / "01_denial_medical_necessity.835").read_bytes()).json
    assert body["denials"][0]["case_id"] is None


def _edit(old: str, new: str) -> bytes:
    text = (ERA / "01_denial_medical_necessity.835").read_text()
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("data", "segment", "position"),
    [
        (b"Dear provider, your claim was denied.", "ISA", 1),
        (_edit("*X*005010X221A1", "*X*004010X091A1"), "GS", 2),
        (_edit("SE*29*0001", "SE*30*0001"), "SE", 31),
        (_edit("IEA*1*000000101", "IEA*1*000000102"), "IEA", 33),
    ],
    ids=["not-x12", "version-4010", "se01", "isa-iea"],
)
def test_bad_files_are_422_naming_segment_and_position_and_store_nothing(
    client: FlaskClient,
    auth: dict[str, str],
    services: Services,
    data: bytes,
    segment: str,
    position: int,
) -> None:
    response = _upload(client, auth, data)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert (response.json["segment"], response.json["position"]) == (segment, position)
    assert f"segment {position} ({segment})" in response.json["errors"]["file"][0]
    assert _count(services) == 0
    assert not any(p.is_file() for p in services.settings.resolved_blob_dir.rglob("*"))


def test_an_empty_transaction_is_422(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    text = (ERA / "01_denial_medical_necessity.835").read_text().split("~\n")
    st = text.index("ST*835*0001")
    se = next(i for i, s in enumerate(text) if s.startswith("SE*"))
    empty = [*text[: st + 1], "SE*2*0001", *text[se + 1 :]]
    response = _upload(client, auth, "~\n".join(empty).encode())
    assert response.status_code == 422
    assert response.json["segment"] == "ST"
    assert _count(services) == 0


def test_a_cases_837p_is_served_as_x12(client: FlaskClient, auth: dict[str, str]) -> None:
    case_id = client.post("/api/v1/cases", json=load_sample(), headers=auth).json["id"]
    response = client.get(f"/api/v1/cases/{case_id}/claims/837p", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "application/edi-x12"
    assert response.data.startswith(b"ISA*00*")
    assert b"ST*837*0001*005010X222A1" in response.data
    assert "codes_not_verified" in response.headers["X-Formservice-Warnings"]  # 2026: 97008
    assert client.get(f"/api/v1/cases/{case_id}/claims/837p", headers=auth).data == response.data


def test_an_uninsured_cases_837p_is_422(client: FlaskClient, auth: dict[str, str]) -> None:
    payload = load_sample("05_breast_uninsured_pap")
    case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    response = client.get(f"/api/v1/cases/{case_id}/claims/837p", headers=auth)
    assert response.status_code == 422
    assert "coverage.member_id" in response.json["errors"]


def test_a_file_over_the_guide_check_limit_is_read_without_the_check(settings: Settings) -> None:
    small = settings.with_overrides(x12_guide_check_max_bytes=100)
    services = build_services(small)
    try:
        client = create_app(small, services=services).test_client()
        headers = {"Authorization": f"Bearer {make_key(services, 'hub')}"}
        body = _upload(client, headers, (ERA / "04_multi_claim.835").read_bytes()).json
        assert body["guide_check"].startswith("skipped")
        assert len(body["denials"]) == 2
    finally:
        services.close()


def test_matching_and_storing_on_sqlite_and_postgresql(storage_settings: Settings) -> None:
    services = build_services(storage_settings)
    try:
        client = create_app(storage_settings, services=services).test_client()
        headers = {"Authorization": f"Bearer {make_key(services, 'hub')}"}
        ada = client.post("/api/v1/cases", json=load_sample(), headers=headers).json["id"]
        body = _upload(client, headers, (ERA / "01_denial_medical_necessity.835").read_bytes()).json
        assert [d["case_id"] for d in body["denials"]] == [ada]
        assert _count(services) == 1
    finally:
        services.close()


def test_a_member_id_written_with_dashes_still_matches(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    payload = load_sample()
    payload["coverage"]["member_id"] = "nwh-123 456-789"
    ada = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    body = _upload(client, auth, (ERA / "01_denial_medical_necessity.835").read_bytes()).json
    assert body["denials"][0]["case_id"] == ada
