"""Electronic remittances (835) and professional claims (837P) from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from formservice.cli.common import read_bytes, with_services
from formservice.usecases import Services
from formservice.usecases.remittances import read_remittance_file

__all__ = ["era"]


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
