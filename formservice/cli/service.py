"""Running the service: serve, worker, database, API keys, staff users, sample cases."""

from __future__ import annotations

import sys

import click

from formservice import create_app
from formservice.audit import cli_actor
from formservice.cli.common import (
    errors_to_exit_codes,
    read_json,
    services_or_exit,
    settings_or_exit,
    with_services,
)
from formservice.cli.server import ProductionServer, gunicorn_options
from formservice.model import Principal
from formservice.schemas.case import load_case
from formservice.store.db import upgrade_database
from formservice.usecases import Services
from formservice.usecases.accounts import USER_ROLES, add_user
from formservice.usecases.cases import create_case
from formservice.usecases.keys import KEY_ROLES, issue_api_key
from formservice.usecases.tasks import run_worker

__all__ = ["db", "keys", "samples", "serve", "users", "worker"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="worker processes, each with its own LibreOffice  [default: FORMSERVICE_WEB_WORKERS, "
    "else one per CPU core]",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="threads per worker  [default: FORMSERVICE_WEB_THREADS, 4]",
)
def serve(host: str, port: int, workers: int | None, threads: int | None) -> None:
    """Run the service on gunicorn (SQLite and a local blob folder unless configured otherwise).

    The embedded SQLite database is migrated on first use; an unmigrated PostgreSQL database
    stops the start (run `formservice db upgrade`).
    """
    settings = settings_or_exit(need_secret=True)
    with errors_to_exit_codes():
        app = create_app(settings)
    # The schema check's connections stay with the master: each worker opens its own.
    app.extensions["formservice"].engine.dispose()
    options = gunicorn_options(settings, workers=workers, threads=threads)
    options["bind"] = f"{host}:{port}"
    click.echo(
        f"formservice listening on http://{host}:{port}  (docs: http://{host}:{port}/docs; "
        f"{options['workers']} worker(s) x {options['threads']} thread(s))"
    )
    ProductionServer(app, options).run()


@click.command()
@click.option("--workers", default=1, show_default=True, type=int, help="threads in this process")
def worker(workers: int) -> None:
    """Run a queue worker (regeneration, background OCR) until interrupted.

    It also queues again the work of workers that were killed, and sweeps orphan blobs.
    """
    services = services_or_exit()
    try:
        run_worker(services, workers)
    finally:
        services.close()


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations up to the newest."""
    settings = settings_or_exit()
    with errors_to_exit_codes():
        upgrade_database(settings.resolved_database_url)
    click.echo("database is up to date")


@click.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(KEY_ROLES))
@click.option("--facility", "facility", default=None, help="facility NPI (clinic keys)")
@click.option("--name", required=True)
@with_services
def keys_create(services: Services, role: str, facility: str | None, name: str) -> None:
    """Print a new API key once (it is stored hashed)."""
    row, key = issue_api_key(
        services, name=name, role=role, facility_npi=facility, actor=cli_actor()
    )
    click.echo(f"API key for {row.name!r} (role {row.role}); shown once, keep it safe:", err=True)
    click.echo(key)


@click.group()
def samples() -> None:
    """Synthetic sample cases."""


@samples.command("load")
@with_services
def samples_load(services: Services) -> None:
    """Store every sample case (idempotent): samples/cases, and samples/denial_cases (the case
    each sample denial letter belongs to, named like the letter)."""
    loader = Principal("user", "cli", "cli", "hub", None)
    folder = services.settings.samples_dir
    paths = sorted((folder / "cases").glob("*.json")) + sorted(
        (folder / "denial_cases").glob("*.json")
    )
    for path in paths:
        case = load_case(read_json(path, "sample case"))
        view, created = create_case(services, loader, case, actor=cli_actor())
        click.echo(
            f"{'stored ' if created else 'present'} {view.row.id}  {case.external_id}  "
            f"({path.name})"
        )


@click.group()
def users() -> None:
    """Staff accounts for the web pages."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(USER_ROLES))
@click.option("--facility", "facility", default=None, help="facility NPI (clinic_staff)")
@click.option("--name", default="", help="the person's name, as the pages show it")
@click.option(
    "--password-stdin", is_flag=True, help="read the password from standard input (scripts)"
)
@with_services
def users_create(
    services: Services,
    email: str,
    role: str,
    facility: str | None,
    name: str,
    password_stdin: bool,
) -> None:
    """Create a user who logs in to the staff pages (the password is asked for, never an option)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = add_user(
        services,
        email=email,
        role=role,
        password=password,
        facility_npi=facility,
        name=name,
        actor=cli_actor(),
    )
    where = f" for facility {user.facility_npi}" if user.facility_npi else " (all facilities)"
    click.echo(f"created {user.role} {user.email}{where}")
