"""The `formservice` command: serve, worker, db, keys, users, samples, render, denial, pap,
forms, templates, regenerate, schemas, audit.

Exit codes (CONTRACT.md §3): 0 success, 2 bad input (one line on stderr), 1 any other failure.
Every command translates its arguments into one application call (`formservice.usecases`) and
prints the result.
"""

from __future__ import annotations

import logging

import click

from formservice.cli import audit_trail, denials, documents, remittances, service, templates

__all__ = ["main"]


@click.group()
@click.version_option(package_name="formservice")
def main() -> None:
    """formservice: letters, payer forms, denials and PAP decisions for a reimbursement hub."""
    # pypdf logs every repair it tries on a damaged file ("Ignoring padding error", ...) as a
    # warning; on the command line the one-line error (exit 2) says all a person can act on.
    logging.getLogger("pypdf").setLevel(logging.ERROR)


for _command in (
    service.serve,
    service.worker,
    service.db,
    service.keys,
    service.users,
    service.samples,
    documents.render,
    documents.plan,
    documents.forms,
    documents.schemas,
    denials.denial,
    denials.pap,
    remittances.era,
    remittances.claim,
    templates.templates,
    templates.regenerate,
    audit_trail.audit,
):
    main.add_command(_command)
