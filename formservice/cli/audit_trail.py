"""`formservice audit verify`: walk the audit trail's hash chain (store.audit)."""

from __future__ import annotations

import sys

import click

from formservice.cli.common import EXIT_FAILURE, with_services
from formservice.usecases import Services
from formservice.usecases.audit import verify_audit

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option(
    "--head",
    default=None,
    help="a row hash printed by an earlier verify; the chain must still hold it",
)
@with_services
def audit_verify(services: Services, head: str | None) -> None:
    """Check every row's hash link; exit 1 naming the first broken row, 0 when intact."""
    report = verify_audit(services, head=head)
    if not report.intact:
        click.echo(f"audit trail broken at row {report.broken_id}: {report.reason}", err=True)
        sys.exit(EXIT_FAILURE)
    click.echo(
        f"audit trail intact: {report.rows} rows, last id {report.last_id}, head {report.head}"
    )
