"""The template registry: check, publish, list, activate (roll back), preview; bad files refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from formservice.cli import main
from formservice.documents.contexts.common import context_variables
from formservice.documents.docx.render import document_text
from formservice.documents.docx.template_check import check_template
from formservice.errors import NotFoundError, ValidationProblem
from formservice.usecases.services import Services
from formservice.usecases.templates import (
    activate_template,
    list_template_versions,
    preview_template,
    publish_template,
)
from tests.conftest import make_key
from tests.corpus import corpus_names, corpus_path
from tests.regeneration.conftest import LMN, MARKER, changed_lmn


def _corpus() -> list[Path]:
    return [corpus_path(f"docx_templates/{n}") for n in corpus_names("docx_templates", ".docx")]


def test_checker_over_the_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    rows = []
    for path in _corpus():
        report = check_template(path.read_bytes(), context_variables())
        rows.append((path.name, report))
        print(
            f"{path.name:45s} {'ok' if report.ok else 'REFUSED':8s} "
            f"unknown={report.unknown_variables} "
            f"errors={[(p.kind, p.paragraph[:40]) for p in report.errors]}"
        )
    by_name = dict(rows)
    broken = by_name["docxtpl_template_error_tpl.docx"]
    assert not broken.ok
    syntax = [p for p in broken.errors if p.kind == "syntax"]
    assert syntax
    assert "endif" in syntax[0].message
    assert "fifth paragraph" in syntax[0].paragraph  # where it is, in the author's words
    # Good templates pass, or only list variables our case context does not provide.
    assert by_name["docxtpl_order_tpl.docx"].ok
    assert "customer_name" in by_name["docxtpl_order_tpl.docx"].unknown_variables
    assert by_name["docxtpl_horizontal_merge_tpl.docx"].publishable
    # Smart quotes inside a tag are named with their paragraph.
    quotes = [
        p
        for p in by_name["docxtpl_custom_jinja_filters_tpl.docx"].problems
        if p.kind == "smart_quotes"
    ]
    assert quotes
    assert "filter" in quotes[0].paragraph
    ok = [name for name, r in rows if r.ok]
    assert len(ok) >= 15


def test_shipped_template_is_version_1_and_clean(services: Services) -> None:
    listed = list_template_versions(services)
    lmn = next(t for t in listed if t["name"] == LMN)
    assert lmn["active_version"] == 1
    assert lmn["versions"][0]["source"] == "shipped"
    data = (Path(__file__).resolve().parents[2] / "templates" / "docx" / f"{LMN}.docx").read_bytes()
    assert check_template(data, context_variables()).publishable


def test_publish_activates_and_rollback_restores(services: Services) -> None:
    v2 = changed_lmn()
    row = publish_template(services, LMN, v2)
    assert row.version == 2
    assert MARKER in document_text(preview_template(services, LMN))
    activate_template(services, LMN, 1)
    assert MARKER not in document_text(preview_template(services, LMN))
    assert MARKER in document_text(preview_template(services, LMN, 2))
    again = publish_template(services, LMN, v2)  # same bytes: the same version
    assert again.version == 2


def _docx_with(text: str) -> bytes:
    return changed_lmn(text)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7 not a docx", "not_docx"),
        (b"", "not_docx"),
        (b"PK\x03\x04 truncated zip", "not_docx"),
        (None, "too_large"),  # a zip bomb
        ("{% if patient.first_name %}no end", "syntax"),
        ("{{ patient.first_name == \u201cAda\u201d }}", "smart_quotes"),
        ("{{ patient.shoe_size }} {{ horoscope }}", "unknown_variable"),
    ],
)
def test_bad_templates_are_never_published(
    services: Services, data: bytes | str | None, kind: str
) -> None:
    if data is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("word/document.xml", b"<w:document/>" + b" " * (60 * 1024 * 1024))
        payload = buf.getvalue()
        assert len(payload) < 1024 * 1024
    elif isinstance(data, str):
        payload = _docx_with(data)
    else:
        payload = data
    with pytest.raises(ValidationProblem) as info:
        publish_template(services, LMN, payload)
    assert any(p["kind"] == kind for p in info.value.extra["problems"]), info.value.errors
    assert list_template_versions(services)[0]["active_version"] == 1


def test_unknown_template_name_is_404(services: Services) -> None:
    with pytest.raises(NotFoundError):
        publish_template(services, "horoscope_letter", changed_lmn())


def test_api_publish_list_activate(client: FlaskClient, services: Services) -> None:
    ops = {"Authorization": f"Bearer {make_key(services, 'ops')}"}
    listed = client.get("/api/v1/templates", headers=ops)
    assert listed.status_code == 200
    assert any(t["name"] == LMN for t in listed.json)
    made = client.post(
        f"/api/v1/templates/{LMN}/versions",
        data={"file": (io.BytesIO(changed_lmn()), "lmn-v2.docx")},
        headers=ops,
        content_type="multipart/form-data",
    )
    assert made.status_code == 201, made.json
    assert made.json["version"] == 2
    assert made.json["active"] is True
    bad = client.post(
        f"/api/v1/templates/{LMN}/versions",
        data={"file": (io.BytesIO(_docx_with("{% for x in %}")), "broken.docx")},
        headers=ops,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    assert "file" in bad.json["errors"]
    rolled = client.post(f"/api/v1/templates/{LMN}/versions/1/activate", headers=ops)
    assert rolled.status_code == 200
    assert rolled.json["active"] is True
    preview = client.get(f"/api/v1/templates/{LMN}/versions/2/preview", headers=ops)
    assert preview.status_code == 200
    assert MARKER in document_text(preview.data)
    missing = client.post("/api/v1/templates/nope/versions/1/activate", headers=ops)
    assert missing.status_code == 404


def test_api_needs_the_ops_role(client: FlaskClient, services: Services) -> None:
    clinic = {"Authorization": f"Bearer {make_key(services, 'clinic', '1003000126')}"}
    response = client.post(
        f"/api/v1/templates/{LMN}/versions",
        data={"file": (io.BytesIO(changed_lmn()), "x.docx")},
        headers=clinic,
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert (
        client.post("/api/v1/regenerations", json={"template": LMN}, headers=clinic).status_code
        == 403
    )


def test_cli_check_publish_list(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.docx"
    good.write_bytes(changed_lmn())
    broken = tmp_path / "broken.docx"
    broken.write_bytes(_docx_with("{% if x %}"))
    assert runner.invoke(main, ["templates", "check", str(good), "--name", LMN]).exit_code == 0
    result = runner.invoke(main, ["templates", "check", str(broken)])
    assert result.exit_code == 2
    assert "syntax" in result.stdout
    assert "in paragraph" in result.stdout
    published = runner.invoke(main, ["templates", "publish", LMN, str(good)])
    assert published.exit_code == 0, published.output
    assert "v2" in published.stdout
    refused = runner.invoke(main, ["templates", "publish", LMN, str(broken)])
    assert refused.exit_code == 2
    listing = runner.invoke(main, ["templates", "list"])
    assert f"* {LMN} v2" in listing.stdout
    assert runner.invoke(main, ["templates", "activate", LMN, "1"]).exit_code == 0
    out = tmp_path / "preview.docx"
    assert (
        runner.invoke(
            main, ["templates", "preview", LMN, "--version", "2", "-o", str(out)]
        ).exit_code
        == 0
    )
    assert MARKER in document_text(out.read_bytes())
