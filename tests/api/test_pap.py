"""POST /api/v1/pap/eligibility and `formservice pap`: the decision, its numbers, bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from formservice.cli import main
from tests.conftest import SAMPLES, load_sample

URL = "/api/v1/pap/eligibility"


def _post(
    client: FlaskClient, auth: dict[str, str], payload: dict[str, Any], query: str = ""
) -> Any:
    return client.post(f"{URL}{query}", json=payload, headers=auth)


@pytest.mark.parametrize(
    ("sample", "query", "eligible", "deciding"),
    [
        (
            "05_breast_uninsured_pap",
            "",
            True,
            {"automatic.income_600_fpl", "conditional.no_insurance"},
        ),
        ("07_pap_automatic_income_uninsured", "", True, {"automatic.income_600_fpl"}),
        # Over 600% FPL and no cost to weigh (no hub price set, no SOB): hardship cannot
        # decide, and the decision says so rather than weighing a payer's payment rate.
        ("08_pap_hardship_over_income", "", None, {"automatic.hardship"}),
        ("08_pap_hardship_over_income", "?cost=130000", True, {"automatic.hardship"}),
        ("09_pap_conditional_underinsured", "", None, {"conditional.underinsured"}),
        (
            "09_pap_conditional_underinsured",
            "?underinsured=true",
            True,
            {"conditional.underinsured"},
        ),
        ("10_pap_conditional_not_covered", "", True, {"conditional.not_covered"}),
        # A denial with no appeal recorded is not final: the hub gives one appeal.
        ("11_pap_pa_denied_no_appeal", "", None, set()),
        (
            "11_pap_pa_denied_no_appeal",
            "?appeal_available=false",
            True,
            {"conditional.pa_denied_final"},
        ),
        ("12_pap_first_appeal_denied", "", True, {"conditional.pa_denied_final"}),
        ("13_offlabel_c91_leukemia", "", False, {"condition.on_label_diagnosis"}),
        ("14_po_box_only_address", "", False, {"condition.us_physical_address"}),
        ("15_alaska_household", "", True, {"automatic.income_600_fpl"}),
        ("16_hawaii_household", "", True, {"automatic.income_600_fpl"}),
    ],
)
def test_each_sample_path(
    client: FlaskClient,
    auth: dict[str, str],
    sample: str,
    query: str,
    eligible: bool | None,
    deciding: set[str],
) -> None:
    sep = "&" if query else "?"
    response = _post(client, auth, load_sample(sample), f"{query}{sep}application_date=2026-03-01")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["eligible"] is eligible, body["basis"]
    assert deciding <= set(body["decided_by"])
    assert {r["rule"] for r in body["reasons"]} >= {
        "condition.us_physical_address",
        "automatic.income_600_fpl",
        "automatic.hardship",
        "conditional.pa_denied_final",
    }


@pytest.mark.parametrize(
    ("sample", "year", "region", "size", "limit"),
    [
        ("15_alaska_household", 2026, "alaska", 2, 162_300),  # 6 x (19,950 + 7,100)
        ("16_hawaii_household", 2026, "hawaii", 9, 423_600),  # 6 x (18,360 + 8 x 6,530)
        ("07_pap_automatic_income_uninsured", 2026, "contiguous", 5, 232_080),
    ],
)
def test_fpl_numbers_are_stated(
    client: FlaskClient,
    auth: dict[str, str],
    sample: str,
    year: int,
    region: str,
    size: int,
    limit: int,
) -> None:
    body = _post(client, auth, load_sample(sample), "?application_date=2026-03-01").json
    fpl = body["fpl"]
    assert (fpl["year"], fpl["region"], fpl["household_size"], fpl["limit"]) == (
        year,
        region,
        size,
        limit,
    )
    assert fpl["percent_of_fpl"] is not None


@pytest.mark.parametrize(("day", "year"), [("2026-01-12", 2025), ("2026-01-13", 2026)])
def test_guideline_year_switches_on_its_effective_date(
    client: FlaskClient, auth: dict[str, str], day: str, year: int
) -> None:
    body = _post(client, auth, load_sample("05_breast_uninsured_pap"), f"?application_date={day}")
    assert body.json["fpl"]["year"] == year
    assert body.json["application_date_assumed"] is False


def test_missing_application_date_uses_today_and_says_so(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    body = _post(client, auth, load_sample("05_breast_uninsured_pap")).json
    assert body["application_date_assumed"] is True
    assert any("No application date given" in n for n in body["notes"])
    assert "assumed to be today" in body["basis"]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("patient", "household", "annual_income"), -1, "patient.household.annual_income"),
        (
            ("patient", "household", "adjusted_gross_income"),
            -0.01,
            "patient.household.adjusted_gross_income",
        ),
        (
            ("patient", "household", "adjusted_gross_income"),
            1e12,
            "patient.household.adjusted_gross_income",
        ),
        (("patient", "household", "size"), 0, "patient.household.size"),
        (("patient", "household", "size"), 31, "patient.household.size"),
        (("patient", "household", "size"), 2.5, "patient.household.size"),
    ],
)
def test_absurd_household_is_422_naming_the_field(
    client: FlaskClient, auth: dict[str, str], path: tuple[str, ...], value: Any, field: str
) -> None:
    payload = copy.deepcopy(load_sample("05_breast_uninsured_pap"))
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    response = _post(client, auth, payload)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?cost=-1", "cost"),
        ("?cost=nan", "cost"),
        ("?application_date=2026-13-01", "application_date"),
        ("?underinsured=maybe", "underinsured"),
    ],
)
def test_bad_options_are_422_naming_the_option(
    client: FlaskClient, auth: dict[str, str], query: str, field: str
) -> None:
    response = _post(client, auth, load_sample("05_breast_uninsured_pap"), query)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_application_date_before_any_guideline_is_422(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    response = _post(
        client, auth, load_sample("05_breast_uninsured_pap"), "?application_date=2024-06-01"
    )
    assert response.status_code == 422
    assert "no poverty guideline" in response.json["errors"]["application_date"][0]


def test_needs_an_api_key(client: FlaskClient) -> None:
    assert client.post(URL, json=load_sample()).status_code == 401


def test_cli_prints_the_decision(runner: CliRunner) -> None:
    path = SAMPLES / "cases" / "08_pap_hardship_over_income.json"
    result = runner.invoke(
        main, ["pap", str(path), "--application-date", "2026-03-01", "--cost", "130000"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["eligible"] is True
    assert body["application_date"] == "2026-03-01"
    assert "automatic.hardship" in body["decided_by"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cost", "-5"], "cost"),
        (["--application-date", "2020-01-01"], "application_date"),
    ],
)
def test_cli_bad_input_exits_2(runner: CliRunner, args: list[str], message: str) -> None:
    path = SAMPLES / "cases" / "05_breast_uninsured_pap.json"
    result = runner.invoke(main, ["pap", str(path), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_invalid_case_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    payload = load_sample("05_breast_uninsured_pap")
    payload["patient"]["household"]["size"] = -2
    path = tmp_path / "case.json"
    path.write_text(json.dumps(payload))
    result = runner.invoke(main, ["pap", str(path)])
    assert result.exit_code == 2
    assert "patient.household.size" in result.stderr
