"""Denial letters and PAP decisions from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from formservice.cli.common import read_bytes, read_json, with_services
from formservice.schemas.case import load_case
from formservice.usecases import Services
from formservice.usecases.denials import read_letter
from formservice.usecases.pap import check_pap

__all__ = ["denial", "pap"]


@click.group()
def denial() -> None:
    """Denial letters."""


@denial.command("parse")
@click.argument("letter", type=click.Path(path_type=Path))
@with_services
def denial_parse(services: Services, letter: Path) -> None:
    """Print the facts of a denial letter PDF as JSON (CONTRACT.md §4)."""
    result = read_letter(services, read_bytes(letter))
    click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))


@click.command()
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
@with_services
def pap(
    services: Services,
    case_file: Path,
    application_date: datetime | None,
    cost: float | None,
    underinsured: bool | None,
    appeal_available: bool | None,
) -> None:
    """Print the PAP decision JSON for CASE_FILE (a case JSON)."""
    decision = check_pap(
        services,
        load_case(read_json(case_file, "case")),
        application_date=application_date.date() if application_date else None,
        cost=cost,
        underinsured=underinsured,
        appeal_available=appeal_available,
    )
    click.echo(json.dumps(decision.to_json(), indent=2))
