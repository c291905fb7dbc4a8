"""Field maps: each shipped map fits its PDF and the case model; transforms; bad maps fail early."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pdf_checks import read_values

from formservice.documents.forms.field_maps import (
    FieldMapError,
    load_field_map,
    parse_field_map,
    resolve_path,
    resolve_values,
)
from formservice.documents.forms.inspect import inspect_form, propose, write_skeleton
from formservice.documents.forms.shipped import DEFAULT_FORMS_DIR, load_form, render_pa_form
from formservice.model import Case
from formservice.schemas.case import load_case

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 1, 22)
SHIPPED = sorted(p.name.removesuffix(".map.yaml") for p in DEFAULT_FORMS_DIR.glob("*.map.yaml"))


@dataclasses.dataclass(frozen=True)
class ClaimLine:
    """The shape the billing rules will hand over (see field_maps.CLAIM_LINE_ATTRS)."""

    date_of_service: date
    place_of_service: str
    cpt: str
    modifiers: list[str]
    diagnosis_pointer: str
    charges: float | None
    units: int
    rendering_npi: str


@pytest.fixture
def case() -> Case:
    payload = json.loads((REPO / "samples/cases/01_breast_commercial_office.json").read_text())
    return load_case(payload)


def _map(text: str, form_id: str = "tx_nofr001") -> Any:
    return parse_field_map(text, load_form(form_id), name="test.map.yaml")


def test_every_shipped_map_loads_against_its_pdf() -> None:
    assert SHIPPED == ["cms1500", "nwhp_scalp_cooling_precert", "tx_nofr001"]
    for form_id in SHIPPED:
        template = load_form(form_id)
        fmap = load_field_map(form_id, DEFAULT_FORMS_DIR, template)
        assert fmap.form_id == form_id
        assert all(entry.field in template.fields for entry in fmap.entries)
        doc = yaml.safe_load((DEFAULT_FORMS_DIR / f"{form_id}.map.yaml").read_text())
        assert len(fmap.entries) == len(doc["fields"])


def test_map_naming_a_field_the_pdf_lacks_fails_at_load_naming_it() -> None:
    with pytest.raises(FieldMapError, match=r"'Patient Shoe Size'.*no such field"):
        _map("fields:\n  Patient Shoe Size: {source: patient.first_name}\n")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{source: patient.shoe_size}", "Patient has no 'shoe_size'"),
        ("{source: diagnoses.code}", "not inside a record"),
        ("{computed: tomorrow}", "unknown computed value 'tomorrow'"),
        ("{computed: 'cpt_lines[0].price'}", "items have no 'price'"),
        ("{source: patient.first_name, transform: {rot13: true}}", "unknown transform 'rot13'"),
        ("{source: patient.first_name, value: x}", "exactly one of"),
        ("{}", "exactly one of"),
        ("{source: patient.first_name, colour: red}", "unknown keys"),
    ],
)
def test_bad_map_entries_fail_at_load(entry: str, message: str) -> None:
    with pytest.raises(FieldMapError, match=message):
        _map(f"fields:\n  Patient Name: {entry}\n")


def test_choice_table_naming_an_option_the_field_lacks_fails_at_load() -> None:
    entry = "{source: coverage.payer.plan_type, transform: {choice: {commercial: Gold}}}"
    text = f"fields:\n  plan_type: {entry}\n"
    with pytest.raises(FieldMapError, match=r"plan_type.*\['Gold'\]"):
        _map(text, "nwhp_scalp_cooling_precert")


def test_button_fields_cannot_be_mapped() -> None:
    with pytest.raises(FieldMapError, match="button"):
        _map("fields:\n  Print: {value: true}\n")


@pytest.mark.parametrize(
    ("transform", "source", "expected"),
    [
        ({"date": "%m/%d/%Y"}, "patient.date_of_birth", "04/09/1971"),
        ({"date": "%y"}, "patient.date_of_birth", "71"),
        ({"phone": "dashed"}, "patient.phone", "512-555-0142"),
        ({"phone": "parens"}, "patient.phone", "(512) 555-0142"),
        ({"phone": "area"}, "patient.phone", "512"),
        ({"phone": "local"}, "patient.phone", "555-0142"),
        ({"upper": True}, "patient.last_name", "SAMPLECASE"),
        ({"remove": "."}, "primary_diagnosis.code", "C50911"),
        ({"join": " + "}, "treatment.agents", "docetaxel + cyclophosphamide"),
        ({"lookup": {"F": "Female"}}, "patient.sex", "Female"),
        ({"template": "{value} sessions"}, "treatment.sessions", "6 sessions"),
        ({"default": "n/a"}, "prior_authorization.number", "n/a"),
        ({"money": True}, "treatment.sessions", "6.00"),
    ],
)
def test_transforms(case: Case, transform: dict[str, Any], source: str, expected: str) -> None:
    entry = json.dumps({"source": source, "transform": transform})
    fmap = _map(f"fields:\n  Patient Name: {entry}\n")
    values, _ = resolve_values(fmap, case, today=TODAY)
    assert values["Patient Name"] == expected


def test_checkbox_when_reads_its_own_path(case: Case) -> None:
    rule = "{transform: {checkbox_when: {path: treatment.site_of_care, equals: physician_office}}}"
    other = rule.replace("physician_office", "hospital_outpatient")
    fmap = _map(f"fields:\n  Provider Office: {rule}\n  Outpatient: {other}\n")
    values, _ = resolve_values(fmap, case, today=TODAY)
    assert values == {"Provider Office": True, "Outpatient": False}


def test_font_size_auto_and_max_length_become_filler_options(case: Case) -> None:
    fmap = _map(
        "fields:\n"
        "  Patient Name: {source: patient.full_name, font_size: auto}\n"
        "  Group Number: {source: coverage.group_number, transform: {max_length: 4}}\n"
    )
    _, options = resolve_values(fmap, case, today=TODAY)
    assert options["Patient Name"].auto_size
    assert options["Group Number"].max_length == 4

    result = render_pa_form_with(fmap, case)
    assert [(o.field, o.reason) for o in result.overflow] == [("Group Number", "max_length")]


def render_pa_form_with(fmap: Any, case: Case) -> Any:
    from formservice.documents.forms.fill import fill_form

    values, options = resolve_values(fmap, case, today=TODAY)
    return fill_form(load_form("tx_nofr001"), values, options=options)


def test_resolve_path_handles_indexes_properties_and_absent_values(case: Case) -> None:
    assert resolve_path(case, "diagnoses[0].code") == case.diagnoses[0].code
    assert resolve_path(case, "diagnoses[5].code") is None
    assert resolve_path(case, "prescriber.full_name").startswith(case.prescriber.first_name)
    assert resolve_path(case, "prior_authorization.number") is None


def test_course_end_date_is_start_plus_cycles(case: Case) -> None:
    fmap = _map(
        "fields:\n"
        "  Planned Service or Procedure End Date Row 2: {computed: 'cpt_lines[1].end_date'}\n"
        "  Planned Service or Procedure End Date Row 1: {computed: 'cpt_lines[0].end_date'}\n"
    )
    # 97009 is asked for only with the minutes of cooling after the infusion (as on the claim).
    case = dataclasses.replace(
        case, treatment=dataclasses.replace(case.treatment, post_infusion_cooling_minutes=60)
    )
    values, _ = resolve_values(fmap, case, today=TODAY)
    # 2026: row 1 is 97008 (every session), row 2 is 97009: both end on the last session.
    assert values["Planned Service or Procedure End Date Row 2"] == date(2026, 5, 18)  # 2/2 + 5*21
    assert values["Planned Service or Procedure End Date Row 1"] == date(2026, 5, 18)
    earlier = dataclasses.replace(
        case, treatment=dataclasses.replace(case.treatment, start_date=date(2025, 2, 3))
    )
    values, _ = resolve_values(fmap, earlier, today=TODAY)
    assert values["Planned Service or Procedure End Date Row 1"] == date(2025, 2, 3)  # 0662T x1


def test_cms1500_claim_lines_fill_item_24_and_total(case: Case) -> None:
    lines = [
        ClaimLine(date(2026, 2, 2), "11", "0662T", [], "A", 1750.5, 1, "1234567893"),
        ClaimLine(date(2026, 2, 2), "11", "0663T", ["59", "GY"], "AB", None, 1, "1234567893"),
    ]

    got = read_values(render_pa_form(case, "cms1500", today=TODAY, claim_lines=lines).pdf)

    assert (got["sv1_mm_from"], got["sv1_dd_from"], got["sv1_yy_from"]) == ("02", "02", "26")
    assert (got["cpt1"], got["cpt2"], got["mod2"], got["mod2a"]) == ("0662T", "0663T", "59", "GY")
    assert (got["place1"], got["diag2"], got["ch1"], got["day1"]) == ("11", "AB", "1750.50", "1")
    assert got["local1"] == "1234567893"
    assert got["t_charge"] == "1750.50"
    assert "cpt3" not in got or got["cpt3"] in (None, "")
    assert got["diagnosis1"] == "C50911"
    assert str(got["insurance_type"]) == "/Group"


def test_cms1500_without_claim_lines_leaves_item_24_blank(case: Case) -> None:
    got = read_values(render_pa_form(case, "cms1500", today=TODAY).pdf)
    assert all(got.get(f"cpt{n}") in (None, "") for n in range(1, 7))
    assert got["prior_auth"] in (None, "")  # the sample has no PA number yet
    assert got["tax_id"] == "123456789"


def test_inspect_lists_every_field_with_its_facts() -> None:
    fields = {f.name: f for f in inspect_form(load_form("tx_nofr001").data)}

    assert len(fields) == 98
    urgent = fields["Review Type - Urgent"]
    assert (urgent.kind, urgent.page, urgent.on_states) == ("checkbox", 2, ("On",))
    notes = fields["SECTION VI  CLINICAL DOCUMENTATION SEE INSTRUCTIONS PAGE SECTION VI"]
    assert notes.flags & 4096
    assert notes.rect[2] - notes.rect[0] > 500
    assert fields["Issuer Name"].tooltip == "Issuer Name:"
    radio = {f.name: f for f in inspect_form(load_form("nwhp_scalp_cooling_precert").data)}
    assert radio["request_type"].on_states == ("initial", "continuation", "modification")
    assert "Commercial" in radio["plan_type"].options


def test_skeleton_proposes_case_paths_and_loads(tmp_path: Path) -> None:
    template = load_form("tx_nofr001")
    fields = inspect_form(template.data)

    path = write_skeleton(fields, tmp_path / "tx_new.map.yaml")

    fmap = parse_field_map(path.read_text(), template, name=path.name)
    proposed = {e.field: e.source or e.computed for e in fmap.entries}
    assert proposed["Member or Medicaid ID Number"] == "coverage.member_id"
    assert proposed["Patient Date of Birth"] == "patient.date_of_birth"
    assert proposed["Requesting Provider or Facility NPI Number"] == "prescriber.npi"
    assert proposed["Service Provider or Facility NPI Number"] == "facility.npi"
    assert proposed["Group Number"] == "coverage.group_number"
    assert proposed["Issuer Fax Number"] == "coverage.payer.fax"
    assert proposed["Patient Phone Number"] == "patient.phone"
    assert proposed["Planned Service or Procedure Diagnosis Code Row 1"] == "primary_diagnosis.code"
    assert "Print" not in path.read_text()


def test_propose_leaves_unknown_fields_alone() -> None:
    fields = inspect_form(load_form("tx_nofr001").data)
    cardiac = next(f for f in fields if f.name == "Cardiac Rehab")
    assert propose(cardiac) is None


def test_case_with_sparse_data_still_renders(case: Case) -> None:
    sparse = dataclasses.replace(
        case,
        coverage=dataclasses.replace(case.coverage, payer=None, member_id=None),
        treatment=dataclasses.replace(case.treatment, start_date=None, sessions=None),
    )
    for form_id in SHIPPED:
        result = render_pa_form(sparse, form_id, today=TODAY)
        assert result.pdf.startswith(b"%PDF")


def test_field_table_for_the_cli_shows_states_and_options() -> None:
    from formservice.documents.forms.inspect import format_fields

    table = format_fields(inspect_form(load_form("nwhp_scalp_cooling_precert").data))

    assert "on-states: /initial, /continuation, /modification" in table
    assert "options: (select), Commercial" in table
    assert len(table.splitlines()) == 2 + 48


def test_nwhp_form_is_reproducible_from_its_script(tmp_path: Path) -> None:
    import importlib.util

    script = DEFAULT_FORMS_DIR / "build_nwhp_form.py"
    spec = importlib.util.spec_from_file_location("build_nwhp_form", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    built = module.build(tmp_path / "nwhp.pdf")

    assert built.read_bytes() == (DEFAULT_FORMS_DIR / "nwhp_scalp_cooling_precert.pdf").read_bytes()
