"""Issue 15 item 9, template limits: a template blocked by the sandbox, over a render limit, or
with a DTD in any XML part is refused at publish (API and CLI) and at check with a 422 naming the
reason; limits are settings; a render after a refused template is served as before."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from formservice import create_app
from formservice.cli import main
from formservice.documents.docx import render_docx
from formservice.errors import TemplateRejectedError
from formservice.settings import Settings
from formservice.usecases import Services, build_services
from formservice.usecases.templates import list_template_versions
from tests.conftest import load_sample, make_key, require_tool
from tests.regeneration.conftest import LMN, changed_lmn

HOSTILE = {
    "injection": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals": "{{ cycler.__init__.__globals__.os.system('id') }}",
    "repeat": "{{ 'x' * 20000000 }}",
    "nine_million_loop": "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}"
    "{% endfor %}",
    "big_range": "{{ range(20000000)|length }}",
    "doubling": "{% set ns = namespace(s='x' * 1000) %}{% for i in range(30) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "padding": "{{ 'x'.ljust(20000000) }}",
    "center_filter": "{{ 'x'|center(20000000) }}",
    "format_width": "{{ '{:>20000000}'.format('x') }}",
    "percent_width": "{{ '%20000000s' % 'x' }}",
    "output": "{% for i in range(60000) %}{{ 'y' * 100 }}{% endfor %}",
    "power": "{{ 10 ** 100000000 }}",
    "join_method": "{{ ('x' * 4000).join(['a'] * 1000) }}",
    "join_filter": "{{ (['a'] * 1000)|join('x' * 4000) }}",
    "replace_method": "{{ ('a' * 1000).replace('a', 'b' * 4000) }}",
    "replace_filter": "{{ ('a' * 1000)|replace('a', 'b' * 4000) }}",
    "indent_filter": "{{ ('a\\n' * 1000)|indent('b' * 4000) }}",
    "format_filter": "{{ '%20000000s'|format('x') }}",
    "lipsum": "{{ lipsum(1000000) }}",
    "zero_division": "{{ 1 // 0 }}",
    "float_overflow": "{{ 1.5 ** 5000 }}",
    "recursion": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
}
REASONS = {
    "injection": "sandbox",
    "globals": "sandbox",
    "nine_million_loop": "MAX_LOOP_ITERATIONS",
    "big_range": "MAX_LOOP_ITERATIONS",
    "output": "MAX_OUTPUT_BYTES",
    "power": "4096 bits",
    "zero_division": "ZeroDivisionError",
    "float_overflow": "OverflowError",
    "recursion": "RecursionError",
}

_DTD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE w:styles ['
ENTITY_XML = {
    "external_entity": _DTD + b'<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    "entity_bomb": _DTD
    + b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    + b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    + b"]>",
}


def _with_styles(prologue: bytes) -> bytes:
    """The shipped LMN whose word/styles.xml starts with `prologue` (a DTD) and uses it."""
    source = zipfile.ZipFile(io.BytesIO(changed_lmn()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/styles.xml":
                body = data.split(b"?>", 1)[1].lstrip()
                entity = b"&x;" if b"SYSTEM" in prologue else b"&d;"
                # Used in the text of the root: a parser that resolves entities expands it.
                body = body.replace(b"</w:styles>", entity + b"</w:styles>")
                data = prologue + body
            zf.writestr(info, data)
    return out.getvalue()


def _publish(client: FlaskClient, ops: dict[str, str], data: bytes) -> tuple[int, Any]:
    response = client.post(
        f"/api/v1/templates/{LMN}/versions",
        data={"file": (io.BytesIO(data), "t.docx")},
        headers=ops,
        content_type="multipart/form-data",
    )
    return response.status_code, response.json


@pytest.fixture
def ops(services: Services) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(services, 'ops')}"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_templates_are_refused_at_publish_with_the_reason(
    client: FlaskClient, services: Services, ops: dict[str, str], name: str
) -> None:
    status, body = _publish(client, ops, changed_lmn(HOSTILE[name]))
    assert status == 422, body
    assert body["type"].endswith("/template-rejected")
    assert REASONS.get(name, "MAX_STRING_CHARS") in body["detail"], body["detail"]
    assert list_template_versions(services)[0]["active_version"] == 1


@pytest.mark.parametrize("name", sorted(ENTITY_XML))
def test_a_dtd_in_styles_xml_is_refused_at_publish_and_check(
    client: FlaskClient,
    services: Services,
    ops: dict[str, str],
    runner: CliRunner,
    tmp_path: Path,
    name: str,
) -> None:
    data = _with_styles(ENTITY_XML[name])
    status, body = _publish(client, ops, data)
    assert status == 422, body
    assert "word/styles.xml" in body["detail"] or "word/styles.xml" in str(body.get("errors"))
    assert list_template_versions(services)[0]["active_version"] == 1
    path = tmp_path / "t.docx"
    path.write_bytes(data)
    checked = runner.invoke(main, ["templates", "check", str(path), "--name", LMN])
    assert checked.exit_code == 2
    assert "unsafe_xml [word/styles.xml]" in checked.stdout
    # Rendering a stored template with one (published before this check existed): 422 too.
    with pytest.raises(TemplateRejectedError, match="DTD"):
        render_docx(data, {}, properties={})


def test_check_and_cli_publish_refuse_a_limit_and_name_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "big.docx"
    path.write_bytes(changed_lmn(HOSTILE["repeat"]))
    checked = runner.invoke(main, ["templates", "check", str(path), "--name", LMN])
    assert checked.exit_code == 2
    assert "limit:" in checked.stdout
    assert "FORMSERVICE_TEMPLATE_MAX_STRING_CHARS" in checked.stdout
    published = runner.invoke(main, ["templates", "publish", LMN, str(path)])
    assert published.exit_code == 2
    assert len(published.stderr.strip().splitlines()) == 1
    assert "MAX_STRING_CHARS" in published.stderr
    good = tmp_path / "good.docx"
    good.write_bytes(changed_lmn())
    assert runner.invoke(main, ["templates", "check", str(good), "--name", LMN]).exit_code == 0


def test_the_limits_are_settings(settings: Settings) -> None:
    # A loop under the iteration limit but over a 0.2 s budget: refused for time, whatever the
    # machine's speed (a 100-million-step loop takes far longer than 0.2 s anywhere).
    tight = settings.with_overrides(
        template_render_seconds=0.2, template_max_loop_iterations=100_000_000
    )
    services = build_services(tight)
    try:
        client = create_app(tight, services=services).test_client()
        ops = {"Authorization": f"Bearer {make_key(services, 'ops')}"}
        slow = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
        status, body = _publish(client, ops, changed_lmn(slow))
        assert status == 422
        assert "FORMSERVICE_TEMPLATE_RENDER_SECONDS" in body["detail"]
    finally:
        services.close()
    roomy = settings.with_overrides(template_max_string_chars=30_000_000)
    services = build_services(roomy)
    try:
        client = create_app(roomy, services=services).test_client()
        ops = {"Authorization": f"Bearer {make_key(services, 'ops')}"}
        status, body = _publish(client, ops, changed_lmn("{{ 'x' * 6000000 }}"))
        assert status == 422  # now under the string limit, but over the output budget
        assert "FORMSERVICE_TEMPLATE_MAX_OUTPUT_BYTES" in body["detail"]
    finally:
        services.close()


def test_a_pdf_after_refused_templates_is_served(
    client: FlaskClient, auth: dict[str, str], ops: dict[str, str]
) -> None:
    require_tool("soffice", "apt-get install libreoffice-writer-nogui")
    for name in ("repeat", "nine_million_loop", "injection"):
        assert _publish(client, ops, changed_lmn(HOSTILE[name]))[0] == 422
    pdf = client.post("/api/v1/render/lmn?format=pdf", json=load_sample(), headers=auth)
    assert pdf.status_code == 200, pdf.json
    assert pdf.data.startswith(b"%PDF")
