"""Electronic remittances (835) and professional claims (837P) from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from formservice.cli.common import read_bytes, read_json, with_services
from formservice.schemas.case import load_case
from formservice.usecases import Services
from formservice.usecases.claims_837p import claim_837p
from formservice.usecases.remittances import read_remittance_file

__all__ = ["claim", "era"]


@click.group()
def era() -> None:
    """Electronic remittance advice (X12 835)."""


@era.command("parse")
@click.argument("remittance", type=click.Path(path_type=Path))
@with_services
def era_parse(services: Services, remittance: Path) -> None:
    """Print an 835's claims and the denials among them as JSON (nothing is stored)."""
    result = read_remittance_file(services, read_bytes(remittance))
    click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))


@click.group()
def claim() -> None:
    """Electronic claims (X12 837P)."""


@claim.command("837p")
@click.argument("case_file", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="the .837")
@with_services
def claim_837p_command(services: Services, case_file: Path, output: Path) -> None:
    """Write CASE_FILE's professional claim as an 837P (005010X222A1); warnings on stderr."""
    result = claim_837p(services, load_case(read_json(case_file, "case")))
    partial = output.with_name(output.name + ".part")
    partial.write_bytes(result.data)
    partial.replace(output)  # never a half-written claim under the asked name
    for warning in result.warnings:
        click.echo(f"warning: {warning['message']}", err=True)
    click.echo(f"{output} ({result.lines} lines)")
