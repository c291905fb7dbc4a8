"""Documents from the command line: render one, payer forms, JSON Schemas of the payloads."""

from __future__ import annotations

import json
from pathlib import Path

import click

from formservice.cli.common import (
    errors_to_exit_codes,
    read_bytes,
    read_json,
    settings_or_exit,
    with_services,
)
from formservice.documents.forms import format_fields, inspect_form, list_forms, write_skeleton
from formservice.model import CaseFacts, DocumentRequest, Principal
from formservice.schemas.case import load_case
from formservice.schemas.jsonschema import write_all
from formservice.usecases import Services
from formservice.usecases.denial_identity import check_identity
from formservice.usecases.denials import facts_from_letter_file
from formservice.usecases.documents import render_applicable
from formservice.usecases.plan import plan_for_payload

CLI_PRINCIPAL = Principal("user", "cli", "cli", "hub", None)

__all__ = ["forms", "plan", "render", "schemas"]


@click.command()
@click.argument("kind")
@click.argument("case_file", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf"]), default=None)
@click.option("--form", default=None, help="PA form id (pa_form)")
@click.option(
    "--denial",
    type=click.Path(path_type=Path),
    default=None,
    help="the denial as JSON (CONTRACT §4) or the letter PDF (appeal_packet needs the PDF)",
)
@click.option("--flatten", is_flag=True, help="burn form values into the page (pa_form, cms1500)")
@click.option("--pdfa", is_flag=True, help="PDF/A-2b for letters (with --format pdf)")
@with_services
def render(
    services: Services,
    kind: str,
    case_file: Path,
    output: Path,
    fmt: str | None,
    form: str | None,
    denial: Path | None,
    flatten: bool,
    pdfa: bool,
) -> None:
    """Render one document for CASE_FILE (a case JSON) into OUTPUT."""
    case = load_case(read_json(case_file, "case"))
    facts = facts_from_letter_file(services, read_bytes(denial, "denial")) if denial else None
    if facts is not None and facts.denial is not None and kind in ("appeal", "appeal_packet"):
        # An appeal for one patient never answers another patient's letter (exit 2 naming the
        # facts): the same check as attaching a letter to a stored case, with no override here.
        check_identity(case, facts.denial, CLI_PRINCIPAL, None)
    ask = DocumentRequest(kind=kind, format=fmt, form=form, flatten=flatten, pdfa=pdfa)
    rendered = render_applicable(services, case, ask, facts or CaseFacts())
    tmp = output.with_name(f".{output.name}.part")
    tmp.write_bytes(rendered.data)
    tmp.replace(output)  # never leave a half-written file under the requested name
    click.echo(f"wrote {output} ({len(rendered.data)} bytes, {rendered.media_type})", err=True)
    # What the API answers in `details.warnings` (and the packet page shows), on stderr: a
    # caveat nobody sees is a silent error (`claim 837p` does the same).
    for warning in rendered.details.get("warnings") or []:
        message = warning.get("message") if isinstance(warning, dict) else warning
        click.echo(f"warning: {message}", err=True)


@click.command()
@click.argument("case_file", type=click.Path(path_type=Path))
@click.option(
    "--denial",
    type=click.Path(path_type=Path),
    default=None,
    help="the denial as JSON (CONTRACT §4) or the letter PDF: the appeal documents then apply",
)
@with_services
def plan(services: Services, case_file: Path, denial: Path | None) -> None:
    """Print the plan JSON of CASE_FILE: the documents that apply and why, those that don't."""
    case = load_case(read_json(case_file, "case"))
    facts = facts_from_letter_file(services, read_bytes(denial, "denial")) if denial else None
    click.echo(json.dumps(plan_for_payload(services, case, facts).to_json(), indent=2))


@click.group()
def forms() -> None:
    """Payer PDF forms: the shipped ones, and inspecting a new one."""


@forms.command("list")
def forms_list() -> None:
    """The shipped payer forms and how much of each the field map fills."""
    settings = settings_or_exit()
    with errors_to_exit_codes():
        for info in list_forms(settings.templates_dir / "pdf"):
            click.echo(
                f"{info.form_id:30s} {info.pages}p {info.mapped_fields:3d}/{info.fields:3d} mapped"
                f"  {info.title}"
            )


@forms.command("inspect")
@click.argument("form", type=click.Path(path_type=Path))
@click.option(
    "--skeleton",
    type=click.Path(path_type=Path),
    default=None,
    help="write a field-map skeleton (YAML) proposing case paths",
)
def forms_inspect(form: Path, skeleton: Path | None) -> None:
    """Every field of a PDF form: name, type, page, rectangle, flags, max length, options."""
    data = read_bytes(form)
    with errors_to_exit_codes():
        fields = inspect_form(data, source=form.name)
    click.echo(format_fields(fields))
    if skeleton is not None:
        write_skeleton(fields, skeleton, form_id=form.stem)
        click.echo(f"wrote {skeleton}", err=True)


@click.group()
def schemas() -> None:
    """JSON Schema of the public payloads."""


@schemas.command("write")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("schemas"))
def schemas_write(directory: Path) -> None:
    """Regenerate schemas/*.schema.json from the marshmallow schemas."""
    for path in write_all(directory):
        click.echo(f"wrote {path}")
