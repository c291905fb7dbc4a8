"""The `formservice` command: serve, keys, render, samples, db.

Exit codes (CONTRACT.md §3): 0 success, 2 bad input (one line on stderr), 1 any other failure.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from formservice.errors import FormserviceError
from formservice.settings import Settings, SettingsError, load_settings

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _one_line(error: FormserviceError) -> str:
    if error.errors:
        fields = "; ".join(
            f"{path}: {' '.join(msgs)}" for path, msgs in sorted(error.errors.items())
        )
        return f"{error.detail} ({fields})"
    return error.detail


@contextmanager
def _errors_to_exit_codes() -> Iterator[None]:
    """Turn deliberate errors into one line and the contract's exit code."""
    try:
        yield
    except FormserviceError as exc:
        _fail(_one_line(exc), EXIT_BAD_INPUT if 400 <= exc.status < 500 else EXIT_FAILURE)
    except SettingsError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)


def _settings(need_secret: bool = False) -> Settings:
    try:
        return load_settings(need_secret=need_secret)
    except SettingsError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{what} file not found: {path}", EXIT_BAD_INPUT)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _fail(f"{what} file {path} is not valid JSON: {exc}", EXIT_BAD_INPUT)


def _with_services(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Build Services for a command and close them afterwards."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from formservice.services import build_services

        services = build_services(_settings())
        try:
            with _errors_to_exit_codes():
                return fn(services, *args, **kwargs)
        finally:
            services.close()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group()
@click.version_option(package_name="formservice")
def main() -> None:
    """formservice: letters, payer forms, denials and PAP decisions for a reimbursement hub."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Run the service (SQLite and a local blob folder unless configured otherwise)."""
    import waitress

    from formservice import create_app

    with _errors_to_exit_codes():
        app = create_app(_settings(need_secret=True))
    click.echo(f"formservice listening on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="formservice")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations up to the newest."""
    from formservice.store.db import upgrade_database

    settings = _settings()
    with _errors_to_exit_codes():
        upgrade_database(settings.resolved_database_url)
    click.echo("database is up to date")


@main.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(["hub", "clinic", "ops"]))
@click.option("--facility", "facility", default=None, help="facility NPI (clinic keys)")
@click.option("--name", required=True)
@_with_services
def keys_create(services: Any, role: str, facility: str | None, name: str) -> None:
    """Print a new API key once (it is stored hashed)."""
    from formservice.security import create_api_key
    from formservice.store.db import transaction

    with transaction(services.sessions) as session:
        row, key = create_api_key(session, name=name, role=role, facility_npi=facility)
    click.echo(f"API key for {row.name!r} (role {row.role}); shown once, keep it safe:", err=True)
    click.echo(key)


@main.group()
def samples() -> None:
    """Synthetic sample cases."""


@samples.command("load")
@_with_services
def samples_load(services: Any) -> None:
    """Store every sample case (idempotent)."""
    from formservice.schemas.case import load_case
    from formservice.security import Principal
    from formservice.store.cases import save_case
    from formservice.store.db import transaction

    loader = Principal("user", "cli", "cli", "hub", None)
    paths = sorted((services.settings.samples_dir / "cases").glob("*.json"))
    for path in paths:
        case = load_case(_read_json(path, "sample case"))
        with transaction(services.sessions) as session:
            row, created = save_case(session, loader, case)
        click.echo(
            f"{'stored ' if created else 'present'} {row.id}  {case.external_id}  ({path.name})"
        )


def _denial_facts(services: Any, path: Path) -> Any:
    """Facts from a denial given as JSON, or as the letter PDF (read here, kept for the packet)."""
    from formservice.denials import read_denial
    from formservice.denials.service import check_upload, extract_limits
    from formservice.documents.generate import CaseFacts
    from formservice.store.blobs import sha256_hex

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        _fail(f"denial file not found: {path}", EXIT_BAD_INPUT)
    if not data.lstrip().startswith(b"%PDF-"):
        return CaseFacts(denial=_read_json(path, "denial"))
    check_upload(services.settings, data)
    result = read_denial(data, limits=extract_limits(services.settings), today=services.today())
    return CaseFacts(denial=result, denial_source_sha256=sha256_hex(data), denial_pdf=data)


@main.group()
def schemas() -> None:
    """JSON Schema of the public payloads."""


@schemas.command("write")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("schemas"))
def schemas_write(directory: Path) -> None:
    """Regenerate schemas/*.schema.json from the marshmallow schemas."""
    from formservice.schemas.jsonschema import write_all

    for path in write_all(directory):
        click.echo(f"wrote {path}")


@main.command()
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
@_with_services
def render(
    services: Any,
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
    from formservice.documents.generate import CaseFacts, DocumentRequest, render_document
    from formservice.schemas.case import load_case

    case = load_case(_read_json(case_file, "case"))
    facts = _denial_facts(services, denial) if denial else CaseFacts()
    ask = DocumentRequest(kind=kind, format=fmt, form=form, flatten=flatten, pdfa=pdfa)
    rendered = render_document(services, case, ask, facts)
    tmp = output.with_name(f".{output.name}.part")
    tmp.write_bytes(rendered.data)
    tmp.replace(output)  # never leave a half-written file under the requested name
    click.echo(f"wrote {output} ({len(rendered.data)} bytes, {rendered.media_type})", err=True)


@main.command()
@click.option("--workers", default=1, show_default=True, type=int, help="threads in this process")
def worker(workers: int) -> None:
    """Run a queue worker (regeneration, background OCR) until interrupted."""
    from formservice.services import build_services

    services = build_services(_settings())
    try:
        services.jobs.run_worker(workers)
    finally:
        services.close()


@main.command()
@click.option(
    "--template", "name", required=True, help="template name, e.g. letter_of_medical_necessity"
)
@click.option("--dry-run", is_flag=True, help="count and list what would be regenerated")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="worker processes to start here (0: use workers started elsewhere)",
)
@click.option("--timeout", default=3600.0, show_default=True, type=float, help="seconds to wait")
@_with_services
def regenerate(services: Any, name: str, dry_run: bool, workers: int, timeout: float) -> None:
    """Re-render every stored document of a template with its active version."""
    from formservice import regeneration

    if dry_run:
        plan = regeneration.dry_run(services, name, limit=1_000_000)
        for doc in plan["documents"]:
            click.echo(
                f"{doc['document_id']}  {doc['kind']}  v{doc['template_version']}  {doc['case']}"
            )
        click.echo(
            f"{plan['count']} document(s) of {name} would move to v{plan['template_version']}"
        )
        return
    summary = regeneration.start_run(services, name, created_by="cli")
    click.echo(
        f"run {summary.id}: {summary.total} document(s) of {name} -> v{summary.template_version}",
        err=True,
    )
    services.jobs.enqueue_run(summary.id)
    from formservice.worker_pool import WorkerPool

    with WorkerPool(workers) as pool:
        summary = _follow(services, summary, timeout)
        peaks = pool.peak_memory_mb()
    if peaks:
        click.echo(f"worker peak memory (MB): {', '.join(f'{p:.0f}' for p in peaks)}", err=True)
    click.echo(json.dumps(summary.to_json(), indent=2))
    if summary.pending:
        _fail(
            f"run {summary.id} still has {summary.pending} pending item(s) after {timeout:.0f}s",
            EXIT_FAILURE,
        )
    if summary.failed:
        _fail(f"{summary.failed} item(s) failed; see failures above", EXIT_FAILURE)


def _follow(services: Any, summary: Any, timeout: float) -> Any:
    """Show a progress bar until the run has nothing pending (or the time is up)."""
    import time

    from formservice import regeneration

    deadline = time.monotonic() + timeout
    seen = 0
    with click.progressbar(length=summary.total, label="regenerating", file=sys.stderr) as bar:
        while True:
            summary = regeneration.summarize(services, summary.id)
            finished = summary.total - summary.pending
            bar.update(finished - seen)
            seen = finished
            if summary.finished or time.monotonic() > deadline:
                return summary
            time.sleep(0.3)


@main.group()
def templates() -> None:
    """Letter templates: check, publish, list, activate (roll back), preview."""


def _known_variables(name: str | None) -> frozenset[str]:
    from formservice.template_admin import template_variables

    return template_variables(_settings(), name)


@templates.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="the template name it is meant for (its variables)")
def templates_check(file: Path, name: str | None) -> None:
    """Check a .docx template: syntax, smart quotes, split tags, unknown variables."""
    from formservice.documents.template_check import check_template

    try:
        data = file.read_bytes()
    except FileNotFoundError:
        _fail(f"file not found: {file}", EXIT_BAD_INPUT)
    report = check_template(data, _known_variables(name))
    for p in report.problems:
        where = f" [{p.part}]" if p.part else ""
        near = f"\n    in paragraph: {p.paragraph!r}" if p.paragraph else ""
        click.echo(f"{p.kind}{where}: {p.message}{near}")
    if not report.problems:
        click.echo(f"{file}: ok ({len(report.variables)} variable(s))")
    if not report.ok:
        sys.exit(EXIT_BAD_INPUT)


@templates.command("publish")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@_with_services
def templates_publish(services: Any, name: str, file: Path) -> None:
    """Validate FILE and publish it as the new active version of NAME."""
    from formservice.template_admin import publish_template

    try:
        data = file.read_bytes()
    except FileNotFoundError:
        _fail(f"file not found: {file}", EXIT_BAD_INPUT)
    row = publish_template(services, name, data)
    from formservice.audit import cli_actor, record_event
    from formservice.store.db import transaction

    with transaction(services.sessions) as session:
        record_event(
            session, actor=cli_actor(), action="publish_template", path=f"{name}@v{row.version}"
        )
    click.echo(f"published {name} v{row.version} ({row.sha256[:12]}), now active")


@templates.command("list")
@_with_services
def templates_list(services: Any) -> None:
    """Every template, its versions, and which is active."""
    from formservice.template_admin import list_template_versions

    for info in list_template_versions(services):
        for v in info["versions"]:
            mark = "*" if v["active"] else " "
            click.echo(f"{mark} {info['name']} v{v['version']} {v['sha256'][:12]} {v['source']}")


@templates.command("activate")
@click.argument("name")
@click.argument("version", type=int)
@_with_services
def templates_activate(services: Any, name: str, version: int) -> None:
    """Make VERSION the active one (roll back or forward)."""
    from formservice.template_admin import activate_template

    row = activate_template(services, name, version)
    click.echo(f"{name} v{row.version} is active")


@templates.command("preview")
@click.argument("name")
@click.option("--version", type=int, default=None)
@click.option(
    "--case",
    "case_file",
    type=click.Path(path_type=Path),
    default=None,
    help="case JSON (default: the first sample)",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@_with_services
def templates_preview(
    services: Any, name: str, version: int | None, case_file: Path | None, output: Path
) -> None:
    """Render a template version against a sample case."""
    from formservice.template_admin import preview_template

    payload = _read_json(case_file, "case") if case_file else None
    data = preview_template(services, name, version, payload)
    output.write_bytes(data)
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.argument("case_file", type=click.Path(path_type=Path))
@click.option(
    "--application-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="YYYY-MM-DD; chooses the poverty-guideline year (default: today, and it says so)",
)
@click.option("--cost", type=float, default=None, help="product cost for the hardship test")
@click.option("--underinsured/--not-underinsured", default=None, help="BI verdict on coverage")
@click.option("--appeal-available/--no-appeal-available", default=None, help="PA appeal still open")
def pap(
    case_file: Path,
    application_date: Any,
    cost: float | None,
    underinsured: bool | None,
    appeal_available: bool | None,
) -> None:
    """Print the PAP decision JSON for CASE_FILE (a case JSON)."""
    from datetime import date

    from formservice.errors import ValidationProblem
    from formservice.reimbursement.pap import PapInputError, decide_pap
    from formservice.schemas.case import load_case

    with _errors_to_exit_codes():
        case = load_case(_read_json(case_file, "case"))
        try:
            decision = decide_pap(
                case,
                application_date=application_date.date() if application_date else None,
                cost=cost,
                today=date.today(),
                underinsured=underinsured,
                appeal_available=appeal_available,
            )
        except PapInputError as exc:
            reason = str(exc).split(": ", 1)[-1]
            raise ValidationProblem("invalid PAP input", errors={exc.field: [reason]}) from exc
    click.echo(json.dumps(decision.to_json(), indent=2))


@main.group()
def denial() -> None:
    """Denial letters."""


@denial.command("parse")
@click.argument("letter", type=click.Path(path_type=Path))
def denial_parse(letter: Path) -> None:
    """Print the facts of a denial letter PDF as JSON (CONTRACT.md §4)."""
    from formservice.denials import read_denial
    from formservice.denials.service import check_upload, extract_limits

    settings = _settings()
    try:
        data = letter.read_bytes()
    except FileNotFoundError:
        _fail(f"file not found: {letter}", EXIT_BAD_INPUT)
    with _errors_to_exit_codes():
        check_upload(settings, data)
        result = read_denial(data, limits=extract_limits(settings))
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


@main.group()
def users() -> None:
    """Staff accounts for the web pages."""


@users.command("create")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["hub_admin", "hub_staff", "clinic_staff"])
)
@click.option("--facility", "facility", default=None, help="facility NPI (clinic_staff)")
@click.option("--name", default="", help="the person's name, as the pages show it")
@click.option(
    "--password-stdin", is_flag=True, help="read the password from standard input (scripts)"
)
@_with_services
def users_create(
    services: Any, email: str, role: str, facility: str | None, name: str, password_stdin: bool
) -> None:
    """Create a user who logs in to the staff pages (the password is asked for, never an option)."""
    from formservice.accounts import create_user
    from formservice.audit import cli_actor, record_event
    from formservice.store.db import transaction

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with transaction(services.sessions) as session:
        user = create_user(
            session, email=email, role=role, password=password, facility_npi=facility, name=name
        )
        record_event(session, actor=cli_actor(), action="create_user", path=f"user:{user.email}")
    where = f" for facility {user.facility_npi}" if user.facility_npi else " (all facilities)"
    click.echo(f"created {user.role} {user.email}{where}")


@main.group()
def forms() -> None:
    """Payer PDF forms: the shipped ones, and inspecting a new one."""


@forms.command("list")
def forms_list() -> None:
    """The shipped payer forms and how much of each the field map fills."""
    from formservice.documents.pdf_forms import list_forms

    settings = _settings()
    with _errors_to_exit_codes():
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
    from formservice.documents.form_inspect import format_fields, inspect_form, write_skeleton

    try:
        data = form.read_bytes()
    except FileNotFoundError:
        _fail(f"file not found: {form}", EXIT_BAD_INPUT)
    with _errors_to_exit_codes():
        fields = inspect_form(data, source=form.name)
    click.echo(format_fields(fields))
    if skeleton is not None:
        write_skeleton(fields, skeleton, form_id=form.stem)
        click.echo(f"wrote {skeleton}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
