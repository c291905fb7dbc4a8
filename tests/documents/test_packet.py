"""The appeal packet: only what the payer should see, addressed where the denial says, stamped in
a reserved band, with nothing active from the uploaded letter (issue 13 items 2-5 and 8, issue
15 item 7). The checks read the rendered PDF the way a reviewer does: its text and its boxes."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import date
from typing import Any

import pdfplumber
import pikepdf
import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from formservice.documents.packet.assemble import BAND
from formservice.model import CaseFacts, Denial, DocumentRequest
from formservice.reimbursement.appeals import appeal_route
from formservice.reimbursement.checklists import appeal_checklist
from formservice.reimbursement.codes import chemo_admin_codes, scalp_cooling_codes
from formservice.reimbursement.reconciliation import agreed_denial
from formservice.schemas.case import load_case
from formservice.usecases.documents import render_for_case
from formservice.usecases.services import Services
from tests.conftest import SAMPLES, denial_case, require_tool

STEM = "01_erisa_medical_necessity"
DENIAL = SAMPLES / "denials" / f"{STEM}.pdf"
IN_TIME = date(2026, 4, 1)  # after the letter (2026-03-15), before its deadline (2026-09-11)
PAIRS = sorted(p.stem for p in (SAMPLES / "denial_cases").glob("*.json"))
ACTIVE = ("/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFiles", "/AcroForm")


def _sample_names() -> set[str]:
    names = set()
    for folder in ("cases", "denial_cases"):
        for path in (SAMPLES / folder).glob("*.json"):
            patient = json.loads(path.read_text())["patient"]
            names.add(f"{patient['first_name']} {patient['last_name']}")
    return names


def _texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def _stamp_overlaps(pdf: bytes) -> list[str]:
    """Pages whose stamp box meets a text box, or whose text reaches into the band."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for number, page in enumerate(doc.pages, start=1):
            band_top = float(page.height) - BAND
            words = page.extract_words()
            stamp = [w for w in words if w["top"] >= band_top]
            content = [w for w in words if w["top"] < band_top]
            assert stamp, f"page {number} has no stamp"
            assert any(w["text"] == str(number) for w in stamp)
            x0 = min(w["x0"] for w in stamp)
            x1 = max(w["x1"] for w in stamp)
            top = min(w["top"] for w in stamp)
            bottom = max(w["bottom"] for w in stamp)
            for w in content:
                if w["bottom"] > band_top:
                    found.append(f"page {number}: {w['text']!r} reaches into the band")
                elif w["x0"] < x1 and w["x1"] > x0 and w["top"] < bottom and w["bottom"] > top:
                    found.append(f"page {number}: {w['text']!r} under the stamp")
    return found


def _active_names(pdf: bytes) -> set[str]:
    """Every active key found in any object of the file (pikepdf walks them all)."""
    found = set()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary):
                found |= {k for k in obj.keys() if k in ACTIVE}  # noqa: SIM118  # pikepdf keys
                if obj.get("/S") in ("/JavaScript", "/Launch"):
                    found.add(str(obj.get("/S")))
    return found


def _letter_with_javascript(source: bytes) -> bytes:
    """The sample letter with every kind of active content a PDF can carry."""
    writer = PdfWriter(clone_from=io.BytesIO(source))
    writer.add_attachment("payload.txt", b"an embedded file")
    script = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('active content in a denial letter');"),
        }
    )
    names = writer._root_object["/Names"].get_object()
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("alert"), writer._add_object(script)])}
    )
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('https://example.invalid');"),
        }
    )
    page = writer.pages[0]
    page[NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/Launch"),
                    NameObject("/F"): TextStringObject("calc.exe"),
                }
            )
        }
    )
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 72, 200, 90)]),
            NameObject("/Border"): ArrayObject([NumberObject(0)] * 3),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("this.exportDataObject('payload.txt');"),
                }
            ),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _post_case(client: FlaskClient, auth: dict[str, str], payload: dict[str, Any]) -> str:
    response = client.post("/api/v1/cases", json=payload, headers=auth)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def _upload(client: FlaskClient, auth: dict[str, str], case_id: str, data: bytes) -> str:
    response = client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(data), DENIAL.name), "case_id": case_id},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def _packet(client: FlaskClient, auth: dict[str, str], case_id: str, denial_id: str) -> Any:
    made = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "appeal_packet", "denial_id": denial_id},
        headers=auth,
    )
    assert made.status_code == 201, made.json
    return made


@pytest.mark.libreoffice
def test_packet_holds_only_what_the_payer_should_see(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    services.today = lambda: IN_TIME
    payload = denial_case(STEM)
    case_id = _post_case(client, auth, payload)
    # A PA form generated but never sent: not enclosed.
    form = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "pa_form", "form": "nwhp_scalp_cooling_precert", "format": "pdf"},
        headers=auth,
    )
    assert form.status_code == 201, form.json
    denial_id = _upload(client, auth, case_id, DENIAL.read_bytes())
    made = _packet(client, auth, case_id, denial_id)
    reader = PdfReader(io.BytesIO(client.get(made.json["content_url"], headers=auth).data))
    assert [item.title for item in reader.outline] == [
        "Fax cover sheet",
        "Letter of appeal",
        "Letter of medical necessity",
        "Copy of the denial letter",
        "Clinical notes",
    ]
    # No gate warning; what the appeal calls for and the packet cannot hold; and the renderer's
    # own caveat on the 2026 codes the letters print (it was once dropped on the way).
    warnings = made.json["details"]["warnings"]
    assert [w.split(".")[0] for w in warnings] == [
        "Add before sending: the chemotherapy treatment plan",
        "Add before sending: copies of the references cited (the articles and guidelines under "
        "References in the letter of appeal)",
        # The LMN inside bills 97008 only: the case gives no minutes of cooling after the
        # infusion, so no 97009.
        "Codes not yet confirmed: 97008 (in use from 01/01/2026) is reported by secondary sources "
        "only; check it against the payer's current code list before submitting",
        # The denial is of 0662T/0663T on a 2026 date, codes the table ends after 2025.
        "The denial is for CPT 0662T, 0663T on March 2, 2026, but those codes ended on December "
        "31, 2025; for that date the code table lists 97008, 97009 (not yet confirmed)",
    ]

    # Recorded as sent to this payer on that form: now it is enclosed, flattened.
    step = client.post(
        f"/api/v1/cases/{case_id}/prior-authorization",
        json={"status": "required", "on": "2026-02-20"},
        headers=auth,
    )
    assert step.status_code == 200, step.json
    step = client.post(
        f"/api/v1/cases/{case_id}/prior-authorization",
        json={
            "status": "submitted",
            "on": "2026-02-21",
            "number": "PA-1",
            "form": "nwhp_scalp_cooling_precert",
        },
        headers=auth,
    )
    assert step.status_code == 200, step.json
    made = _packet(client, auth, case_id, denial_id)
    pdf = client.get(made.json["content_url"], headers=auth).data
    reader = PdfReader(io.BytesIO(pdf))
    titles = [item.title for item in reader.outline]
    assert titles[-1] == "Prior authorization request form"
    assert not any("checklist" in t.lower() for t in titles)
    starts = [reader.get_destination_page_number(item) for item in reader.outline]
    form_page = reader.pages[starts[-1]]
    assert not [
        a for a in form_page.get("/Annots", []) if a.get_object().get("/Subtype") == "/Widget"
    ]
    texts = _texts(pdf)
    total = len(texts)
    assert f"{total} (including this cover sheet)" in texts[0]
    assert "(206) 555-0199" in texts[0]  # the denial's own appeals fax, not the directory's
    assert "512-555-0191" not in "".join(texts)
    assert "First-level deadline: September 11, 2026" in texts[0]
    assert "Appeal under 29 CFR 2560.503-1 (ERISA)" in texts[0]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text, number
    assert _stamp_overlaps(pdf) == []
    assert "2026031500123" in texts[starts[3]]  # the denial letter itself is inside
    info = reader.metadata
    assert info is not None
    assert info["/formservice.input_sha256"] == made.json["input_sha256"]


@pytest.mark.libreoffice
def test_a_denial_with_javascript_leaves_nothing_active_in_the_packet(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    services.today = lambda: IN_TIME
    hostile = _letter_with_javascript(DENIAL.read_bytes())
    assert {"/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/JS"} <= _active_names(hostile)
    case_id = _post_case(client, auth, denial_case(STEM))
    denial_id = _upload(client, auth, case_id, hostile)
    made = _packet(client, auth, case_id, denial_id)
    pdf = client.get(made.json["content_url"], headers=auth).data
    assert _active_names(pdf) == set()
    assert b"app.alert" not in pdf
    assert b"payload.txt" not in pdf
    texts = _texts(pdf)
    start = next(p["first_page"] for p in made.json["details"]["parts"] if "denial" in p["title"])
    assert "2026031500123" in texts[start - 1]  # the letter's page is still there to read


def test_packet_without_denial_is_422(client: FlaskClient, auth: dict[str, str]) -> None:
    case_id = _post_case(client, auth, denial_case(STEM))
    response = client.post(
        f"/api/v1/cases/{case_id}/documents", json={"kind": "appeal_packet"}, headers=auth
    )
    assert response.status_code == 422
    assert "denial_id" in response.json["errors"]


def _sample_packet(
    services: Services, case: Any, stem: str, pa_history: tuple[dict[str, object], ...] = ()
) -> tuple[CaseFacts, Any]:
    """Sample letter `stem` as facts, and its packet for `case` (the renderer only, no gate)."""
    denial = Denial.from_json(json.loads((SAMPLES / "denials" / f"{stem}.json").read_text()))
    facts = CaseFacts(
        denial=denial,
        denial_pdf=(SAMPLES / "denials" / f"{stem}.pdf").read_bytes(),
        pa_history=pa_history,
    )
    made = render_for_case(
        services,
        case,
        DocumentRequest("appeal_packet", "pdf", denial_id="sample"),
        facts,
        letter_date=date(2026, 11, 30),
    )
    return facts, made


def _facts_codes(case: Any, agreed: Denial) -> set[str]:
    """The reconciled facts' codes, and the codebook's procedure codes the arguments explain
    (0662T once per course, 0663T with chemotherapy administration 96409-96417)."""
    return (
        {d.code for d in case.diagnoses}
        | set(agreed.procedure_codes or ("0662T", "0663T"))
        | set(scalp_cooling_codes())
        | set(chemo_admin_codes())
        | {case.treatment.chemo_administration_code or "96413"}
    )


@pytest.mark.libreoffice
@pytest.mark.parametrize("stem", PAIRS)
def test_every_sample_pair_gives_a_clean_packet(stem: str, services: Services) -> None:
    """Issue 13 item 8 (and 2): each sample letter with its own sample case."""
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    case = load_case(denial_case(stem))
    facts, made = _sample_packet(services, case, stem)
    denial = facts.denial
    assert denial is not None
    texts = _texts(made.data)
    parts = {p["title"]: p for p in made.details["parts"]}
    everything = "\n".join(texts)
    ours = case.patient.full_name
    # No other patient's name (the letter copy aside, which is the payer's own notice).
    denial_part = parts["Copy of the denial letter"]
    copy_pages = range(
        denial_part["first_page"] - 1, denial_part["first_page"] - 1 + denial_part["pages"]
    )
    ours_only = "\n".join(t for i, t in enumerate(texts) if i not in copy_pages)
    others = [n for n in _sample_names() if n != ours and n in ours_only]
    assert others == []
    # No checklist.
    assert not any("checklist" in title.lower() for title in parts)
    assert "Not ready" not in everything
    # The fax is the denial's (the directory only where the letter states none).
    route = appeal_route(case, agreed_denial(case, denial))
    if denial.appeal_to and denial.appeal_to.fax:
        assert route.fax == denial.appeal_to.fax
    if route.fax:
        assert f"Fax: {route.fax}" in texts[0]
    # The diagnosis in the letter's table is the one in its body, and the case's.
    appeal = parts["Letter of appeal"]
    letter_text = "\n".join(
        texts[appeal["first_page"] - 1 : appeal["first_page"] - 1 + appeal["pages"]]
    )
    table = re.search(r"Diagnosis codes\s+ICD-10-CM ([A-Z0-9., ]+)", letter_text)
    assert table is not None, letter_text[:1500]
    in_table = [c.strip() for c in table.group(1).split(",")]
    assert in_table[0] == case.primary_diagnosis.code
    body_text = letter_text[letter_text.index("Dear Appeals Reviewer") :]
    in_body = set(re.findall(r"\b[A-Z][0-9]{2}\.[0-9A-Z]{1,4}\b", body_text))
    assert in_body <= set(in_table), (in_body, in_table)
    # One source of facts: every diagnosis and procedure code the letter names is a reconciled
    # fact, and the member ID it names is the case's.
    agreed = agreed_denial(case, denial)
    named = set(re.findall(r"\b[A-Z][0-9]{2}\.[0-9A-Z]{1,4}\b", letter_text))
    named |= set(re.findall(r"\b(?:0\d{3}T|964\d{2})\b", letter_text))
    quoted = " ".join(
        re.findall(r"“([^”]*)”", letter_text.replace("\n", " "))
    )  # the payer's own words
    assert {c for c in named if c not in quoted} <= _facts_codes(case, agreed)
    if case.coverage.member_id:
        assert case.coverage.member_id in letter_text
    # No stamp overlaps text.
    assert _stamp_overlaps(made.data) == []


def test_the_quote_is_only_the_reason_sentence() -> None:
    from formservice.reimbursement.appeals.quote import reason_quote

    block = (
        "Page 1 of 2 ---------------- PATIENT: ROE, JANE   MEMBER ID: X1   0663T   450.00   0.00 "
        "We denied this claim because scalp cooling is not medically necessary (CARC 50). "
        "Patient: Jane Roe"
    )
    assert reason_quote(block) == (
        "We denied this claim because scalp cooling is not medically necessary (CARC 50)."
    )
    assert reason_quote("necessary for the diagnosis billed under policy MP-214.") is None
    assert reason_quote("-----------------------------") is None
    long = "We denied this claim because it is not covered. " * 12
    quoted = reason_quote(long)
    assert quoted is not None
    assert len(quoted) <= 300


def test_names_reconcile_in_any_order_and_case() -> None:
    from formservice.reimbursement.reconciliation import names_match

    assert names_match("Maria", "O'Connor", "O'CONNOR, MARIA T")
    assert names_match("Maria", "O'Connor", "Maria T. O’Connor")
    assert names_match("Maria", "De La Cruz", "DE LA CRUZ, MARIA")
    assert not names_match("Maria", "O'Connor", "Mario O'Connor")
    assert not names_match("Maria", "O'Connor", "Maria Samplename")
    assert not names_match("Ada", "Samplecase", "Ada Samplecase Otherperson")


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.libreoffice
def test_the_packets_lmn_documents_the_claim_and_asks_for_no_authorization(
    services: Services,
) -> None:
    """The LMN in an appeal packet is an enclosure for the claim under appeal: addressed to
    appeals, no prior or retroactive authorization asked; the standalone LMN of the same case on
    the same day (after the start of treatment) still asks for retroactive authorization."""
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    case = load_case(denial_case(STEM))
    assert case.treatment.start_date is not None
    assert case.treatment.start_date < IN_TIME
    denial = Denial.from_json(json.loads((SAMPLES / "denials" / f"{STEM}.json").read_text()))
    facts = CaseFacts(denial=denial, denial_pdf=DENIAL.read_bytes())
    made = render_for_case(
        services,
        case,
        DocumentRequest("appeal_packet", "pdf", denial_id="sample"),
        facts,
        letter_date=IN_TIME,
    )
    texts = _texts(made.data)
    lmn = next(p for p in made.details["parts"] if p["title"] == "Letter of medical necessity")
    lmn_text = _one_line(
        "\n".join(texts[lmn["first_page"] - 1 : lmn["first_page"] - 1 + lmn["pages"]])
    )
    assert "Prior Authorization" not in lmn_text
    assert "retroactive authorization" not in lmn_text.lower()
    assert "retroactive to" not in lmn_text
    assert "for the claim under appeal" in lmn_text
    named = denial.appeal_to.name if denial.appeal_to and denial.appeal_to.name else "Appeals"
    assert f"Attn: {_one_line(named)}" in lmn_text

    standalone = render_for_case(
        services, case, DocumentRequest("lmn", "pdf"), CaseFacts(), letter_date=IN_TIME
    )
    alone = _one_line("\n".join(_texts(standalone.data)))
    assert "Attn: Utilization Review / Prior Authorization" in alone
    assert "retroactive authorization" in alone
    assert [w["code"] for w in standalone.details.get("warnings", [])].count(
        "retroactive_request"
    ) == 1


# The parts a packet's letters may name as enclosed: each named item starts with one of them.
_PART_TITLES = (
    "Letter of medical necessity",
    "Copy of the denial letter",
    "Remittance advice (835)",
    "Clinical notes",
    "Prior authorization request form",
)


def _part_pages(texts: list[str], part: dict[str, Any]) -> str:
    start = int(part["first_page"]) - 1
    return "\n".join(texts[start : start + int(part["pages"])])


def _letter_enclosures(letter_text: str) -> list[str]:
    """The items of the appeal letter's numbered "Enclosures" list, as the reviewer reads them
    (each item's first line; the list may run onto the next page)."""
    lines = [line.strip() for line in letter_text.splitlines()]
    start = max(i for i, line in enumerate(lines) if line == "Enclosures")
    items: list[str] = []
    for line in lines[start + 1 :]:
        if line == "References":
            break
        found = re.match(r"(\d+)\.\s+(.*)", line)
        if found and int(found.group(1)) == len(items) + 1:
            items.append(found.group(2))
    return items


def _lmn_enclosures(lmn_text: str) -> list[str]:
    flat = " ".join(lmn_text.split())
    found = re.search(r"Enclosures: (.*?)(?: References | Page \d+ of \d+|$)", flat)
    assert found is not None, flat[-600:]
    return [item.strip() for item in found.group(1).split(";") if item.strip()]


def _cover_contents(cover_text: str) -> list[str]:
    lines = [line.strip() for line in cover_text.splitlines()]
    start = lines.index("Enclosed:")
    return [m.group(1) for line in lines[start + 1 :] if (m := re.match(r"\d+\. (.*)", line))]


def _titled(item: str) -> str:
    """The packet part an enclosure item names (its title starts the item), or ''."""
    return next((t for t in _PART_TITLES if item.lower().startswith(t.lower())), "")


ENCLOSURE_CASES = [
    # A medical-necessity argument that cites references; no PA on file.
    ("01_erisa_medical_necessity", {}, ("copies of the references cited",)),
    # Experimental (FDA letter) and missing records (pathology report ...), references.
    (
        "02_erisa_experimental_records",
        {},
        ("FDA 510(k) clearance letter", "pathology report", "copies of the references cited"),
    ),
    # No PA on file and no clinical notes on the case: neither listed, the notes to add.
    ("04_medicaid_no_auth", {"notes": None}, ("clinical notes and chemotherapy treatment plan",)),
    # A PA on file but no form sent on the PA record: the PA and its determination to add.
    ("12_fax_auth_mismatch_scan", {}, ("prior authorization PA-2026-00417 and its determination",)),
    # A PA form sent to this payer: enclosed and listed; its determination is not.
    (
        "14_erisa_eligibility",
        {"pa": "PA-1", "form": "nwhp_scalp_cooling_precert"},
        ("the payer's determination on prior authorization PA-1", "eligibility verification"),
    ),
]


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("stem", "change", "to_add"), ENCLOSURE_CASES, ids=[c[0] for c in ENCLOSURE_CASES]
)
def test_the_letters_list_exactly_what_the_packet_encloses(
    stem: str, change: dict[str, Any], to_add: tuple[str, ...], services: Services
) -> None:
    """Read as the payer's reviewer reads it: every enclosure the letter of appeal (and the LMN,
    and the cover) names is a part of the packet, in the packet's order, and nothing else; what
    the appeal calls for that the packet cannot hold is a warning to add it before sending."""
    require_tool("soffice", "make test (apt-get install libreoffice-writer-nogui)")
    case = load_case(denial_case(stem))
    history: tuple[dict[str, object], ...] = ()
    if "notes" in change:
        case = dataclasses.replace(case, clinical_notes=change["notes"])
    if "pa" in change:
        pa = dataclasses.replace(case.prior_authorization, number=change["pa"])
        case = dataclasses.replace(case, prior_authorization=pa)
        history = ({"status": "submitted", "form": change["form"], "number": change["pa"]},)
    facts, made = _sample_packet(services, case, stem, history)
    texts = _texts(made.data)
    parts = made.details["parts"]
    titles = [p["title"] for p in parts]
    assert titles[:2] == ["Fax cover sheet", "Letter of appeal"]
    enclosed = titles[2:]  # what the packet holds after the letter, in order

    named = _letter_enclosures(_part_pages(texts, parts[1]))
    assert [_titled(item) for item in named] == enclosed, named
    lmn = next(p for p in parts if p["title"] == "Letter of medical necessity")
    assert [_titled(item) for item in _lmn_enclosures(_part_pages(texts, lmn))] == enclosed[1:]
    assert _cover_contents(texts[0]) == titles[1:]
    # Each part named is there to read: its pages are in the packet and not blank.
    for part in parts[2:]:
        assert _part_pages(texts, part).strip(), part["title"]
    if "Prior authorization request form" in enclosed:
        assert "(PA-1)" in " ".join(named)
    everything = " ".join(" ".join(texts).split())
    assert "Copies of the references cited" not in everything
    assert "and its determination" not in everything
    assert "Most recent office visit note" not in everything  # the standalone LMN's list

    # What the appeal calls for and the packet cannot hold: a warning to add it.
    warnings = [str(w) for w in made.details.get("enclosure_warnings") or []]
    assert all(w.startswith("Add before sending: ") for w in warnings), warnings
    for item in to_add:
        assert any(item.lower() in w.lower() for w in warnings), (item, warnings)
    assert not any(_titled(w.removeprefix("Add before sending: ")) in enclosed for w in warnings)
    # ... and on the appeal checklist.
    row = next(
        i for i in appeal_checklist(case, facts, date(2026, 11, 30)) if i.id == "enclosures_to_add"
    )
    assert row.status == "missing"
    for item in to_add:
        assert item.lower() in row.detail.lower(), (item, row.detail)
