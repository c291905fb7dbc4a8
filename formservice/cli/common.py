"""What every command shares: exit codes, one-line errors, settings, reading JSON, services.

Exit codes (CONTRACT.md §3): 0 success, 2 bad input (one line on stderr), 1 any other failure.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import click

from formservice.errors import FormserviceError
from formservice.settings import Settings, SettingsError, load_settings
from formservice.usecases import Services, build_services

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILURE",
    "errors_to_exit_codes",
    "fail",
    "read_bytes",
    "read_json",
    "services_or_exit",
    "settings_or_exit",
    "with_services",
]

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


def fail(message: str, code: int) -> NoReturn:
    """Print one line on stderr and exit with `code`."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _one_line(error: FormserviceError) -> str:
    # A field whose message the detail already says (an X12 file's one problem) is not repeated.
    said = {
        path: " ".join(msgs)
        for path, msgs in sorted(error.errors.items())
        if " ".join(msgs) not in error.detail
    }
    if said:
        fields = "; ".join(f"{path}: {message}" for path, message in said.items())
        return f"{error.detail} ({fields})"
    return error.detail


@contextmanager
def errors_to_exit_codes() -> Iterator[None]:
    """Turn deliberate errors into one line and the contract's exit code."""
    try:
        yield
    except FormserviceError as exc:
        fail(_one_line(exc), exc.exit_code)
    except SettingsError as exc:
        fail(str(exc), EXIT_BAD_INPUT)


def settings_or_exit(need_secret: bool = False) -> Settings:
    """The settings from the environment; a bad value exits 2 naming the variable."""
    try:
        return load_settings(need_secret=need_secret)
    except SettingsError as exc:
        fail(str(exc), EXIT_BAD_INPUT)


def read_json(path: Path, what: str) -> Any:
    """A JSON file's content; a missing or malformed file exits 2."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{what} file not found: {path}", EXIT_BAD_INPUT)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail(f"{what} file {path} is not valid JSON: {exc}", EXIT_BAD_INPUT)


def read_bytes(path: Path, what: str = "") -> bytes:
    """A file's bytes; a missing file exits 2."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"{what + ' ' if what else ''}file not found: {path}", EXIT_BAD_INPUT)


def services_or_exit(need_secret: bool = False) -> Services:
    """Services for the environment's settings, or one line on stderr and the error's exit code.

    The embedded database is migrated on first use; a database that is unreachable (exit 1) or
    needs `formservice db upgrade` (exit 2) ends the command there.
    """
    settings = settings_or_exit(need_secret=need_secret)
    try:
        return build_services(settings)
    except FormserviceError as exc:
        fail(_one_line(exc), exc.exit_code)


def with_services(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Build Services for a command, turn its errors into exit codes, close them afterwards."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        services = services_or_exit()
        try:
            with errors_to_exit_codes():
                return fn(services, *args, **kwargs)
        finally:
            services.close()

    return wrapper
