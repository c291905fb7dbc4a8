"""Letter templates (check, publish, list, activate, preview) and batch regeneration."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from formservice.audit import cli_actor
from formservice.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    fail,
    read_bytes,
    read_json,
    settings_or_exit,
    with_services,
)
from formservice.cli.worker_pool import WorkerPool
from formservice.usecases import Services, regeneration
from formservice.usecases.regeneration import RunSummary
from formservice.usecases.templates import (
    activate_template,
    check_template_file,
    list_template_versions,
    preview_template,
    publish_template,
)

__all__ = ["regenerate", "templates"]


@click.group()
def templates() -> None:
    """Letter templates: check, publish, list, activate (roll back), preview."""


@templates.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="the template name it is meant for (its variables)")
def templates_check(file: Path, name: str | None) -> None:
    """Check a .docx template: syntax, smart quotes, split tags, unknown variables."""
    report = check_template_file(settings_or_exit(), read_bytes(file), name)
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
@with_services
def templates_publish(services: Services, name: str, file: Path) -> None:
    """Validate FILE and publish it as the new active version of NAME."""
    row = publish_template(services, name, read_bytes(file), actor=cli_actor())
    click.echo(f"published {name} v{row.version} ({row.sha256[:12]}), now active")


@templates.command("list")
@with_services
def templates_list(services: Services) -> None:
    """Every template, its versions, and which is active."""
    for info in list_template_versions(services):
        for v in info["versions"]:
            mark = "*" if v["active"] else " "
            click.echo(f"{mark} {info['name']} v{v['version']} {v['sha256'][:12]} {v['source']}")


@templates.command("activate")
@click.argument("name")
@click.argument("version", type=int)
@with_services
def templates_activate(services: Services, name: str, version: int) -> None:
    """Make VERSION the active one (roll back or forward)."""
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
@with_services
def templates_preview(
    services: Services, name: str, version: int | None, case_file: Path | None, output: Path
) -> None:
    """Render a template version against a sample case."""
    payload = read_json(case_file, "case") if case_file else None
    data = preview_template(services, name, version, payload)
    output.write_bytes(data)
    click.echo(f"wrote {output}", err=True)


@click.command()
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
@with_services
def regenerate(services: Services, name: str, dry_run: bool, workers: int, timeout: float) -> None:
    """Re-render every stored document of a template with its active version."""
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
    regeneration.enqueue_run(services, summary.id)
    with WorkerPool(workers) as pool:
        summary = _follow(services, summary, timeout)
        peaks = pool.peak_memory_mb()
    if peaks:
        click.echo(f"worker peak memory (MB): {', '.join(f'{p:.0f}' for p in peaks)}", err=True)
    click.echo(json.dumps(summary.to_json(), indent=2))
    if summary.pending:
        fail(
            f"run {summary.id} still has {summary.pending} pending item(s) after {timeout:.0f}s",
            EXIT_FAILURE,
        )
    if summary.failed:
        fail(f"{summary.failed} item(s) failed; see failures above", EXIT_FAILURE)


def _follow(services: Services, summary: RunSummary, timeout: float) -> RunSummary:
    """Show a progress bar until the run has nothing pending (or the time is up)."""
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
