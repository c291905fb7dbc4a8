"""Staff accounts: validation, slow hashes, lockout, session revocation, `formservice users`."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from formservice.cli import main
from formservice.errors import ConflictError, ValidationProblem
from formservice.settings import DEFAULT_PASSWORD_HASH_METHOD, Settings
from formservice.store.db import transaction
from formservice.store.models import AuditEvent, User
from formservice.usecases import build_services
from formservice.usecases.accounts import (
    DEFAULT_LOCK_MINUTES,
    LOGIN_FAILED_MESSAGE,
    LoginFailedError,
    authenticate_user,
    create_user,
    end_sessions,
    log_in,
    session_principal,
)
from formservice.usecases.services import Services

SECRET = "a long test password"  # noqa: S105  # a test account's password
NPI = "1003000126"


def _make(services: Services, **kwargs: object) -> User:
    fields = {"email": "ana@clinic.example", "role": "clinic_staff", "password": SECRET,
              "facility_npi": NPI, "hash_method": services.settings.password_hash_method,
              } | kwargs  # fmt: skip
    with transaction(services.sessions) as session:
        user = create_user(session, **fields)  # type: ignore[arg-type]
        session.expunge(user)
        return user


def test_password_is_stored_only_as_a_scrypt_hash(services: Services) -> None:
    # Production's method (the tests' settings use a cheap one: conftest TEST_PASSWORD_HASH).
    assert Settings().password_hash_method == DEFAULT_PASSWORD_HASH_METHOD == "scrypt"  # noqa: S105
    user = _make(services, email="  Ana@Clinic.Example ", hash_method=DEFAULT_PASSWORD_HASH_METHOD)
    assert user.email == "ana@clinic.example"
    assert user.password_hash.startswith("scrypt:")
    assert SECRET not in user.password_hash


def test_no_password_hash_is_made_at_import() -> None:
    """Importing the service costs no hash (scrypt: about 0.1 s of CPU and 32 MiB each)."""
    code = (
        "import werkzeug.security as security\n"
        "made = []\n"
        "real = security.generate_password_hash\n"
        "security.generate_password_hash = lambda *a, **k: made.append(1) or real(*a, **k)\n"
        "import formservice.cli, formservice.usecases.accounts\n"
        "print(len(made))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_bad_users_are_refused_naming_every_field(services: Services) -> None:
    with pytest.raises(ValidationProblem) as caught, transaction(services.sessions) as session:
        create_user(session, email="not-an-email", role="clinic_staff", password=SECRET[:5])
    assert set(caught.value.errors) == {"email", "facility", "password"}
    with pytest.raises(ValidationProblem) as caught, transaction(services.sessions) as session:
        create_user(session, email="h@hub.example", role="hub_admin", password=SECRET,
                    facility_npi=NPI)  # fmt: skip
    assert set(caught.value.errors) == {"facility"}
    with pytest.raises(ValidationProblem) as caught, transaction(services.sessions) as session:
        create_user(session, email="h@hub.example", role="root", password=SECRET)
    assert set(caught.value.errors) == {"role"}
    with pytest.raises(ValidationProblem) as caught, transaction(services.sessions) as session:
        create_user(session, email="c@x.example", role="clinic_staff", password=SECRET,
                    facility_npi="1234567890")  # fmt: skip
    assert "Luhn" in caught.value.errors["facility"][0]


def test_an_email_is_taken_once(services: Services) -> None:
    _make(services)
    with pytest.raises(ConflictError):
        _make(services, email="ANA@clinic.example", role="hub_staff", facility_npi=None)


def test_principals_carry_the_facility_of_clinic_staff_only(services: Services) -> None:
    _make(services)
    _make(services, email="hub@hub.example", role="hub_staff", facility_npi=None)
    with transaction(services.sessions) as session:
        clinic, _ = authenticate_user(session, "ana@clinic.example", SECRET, max_failures=5)
        hub, _ = authenticate_user(session, "HUB@hub.example", SECRET, max_failures=5)
    assert (clinic.kind, clinic.role, clinic.facility_npi) == ("user", "clinic_staff", NPI)
    assert (hub.role, hub.facility_npi) == ("hub_staff", None)
    assert clinic.label == "user:ana@clinic.example"


def _fail_once(services: Services, password: str, now: datetime) -> None:
    with transaction(services.sessions) as session:
        with pytest.raises(LoginFailedError) as caught:
            authenticate_user(session, "ana@clinic.example", password, max_failures=3, now=now)
        assert caught.value.detail == LOGIN_FAILED_MESSAGE


def test_lockout_after_repeated_failures_then_unlock_after_the_lock_time(
    services: Services,
) -> None:
    _make(services)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    for _ in range(3):
        _fail_once(services, "wrong password!", now)
    _fail_once(services, SECRET, now + timedelta(minutes=1))  # locked: the right one fails too
    later = now + timedelta(minutes=DEFAULT_LOCK_MINUTES + 1)
    with transaction(services.sessions) as session:
        principal, user = authenticate_user(
            session, "ana@clinic.example", SECRET, max_failures=3, now=later
        )
        assert user.failed_logins == 0
        assert user.locked_until is None
    assert principal.facility_npi == NPI


def test_a_success_resets_the_failure_count(services: Services) -> None:
    _make(services)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    for _ in range(2):
        _fail_once(services, "wrong password!", now)
    with transaction(services.sessions) as session:
        authenticate_user(session, "ana@clinic.example", SECRET, max_failures=3, now=now)
    for _ in range(2):
        _fail_once(services, "wrong password!", now)
    with transaction(services.sessions) as session:
        user = session.scalars(select(User)).one()
        assert user.failed_logins == 2
        assert user.locked_until is None


def test_ending_sessions_invalidates_the_old_nonce(services: Services) -> None:
    user = _make(services)
    with services.sessions() as session:
        assert session_principal(session, user.id, user.session_nonce) is not None
    with transaction(services.sessions) as session:
        stored = session.get(User, user.id)
        assert stored is not None
        end_sessions(stored)
    with services.sessions() as session:
        assert session_principal(session, user.id, user.session_nonce) is None
        assert session_principal(session, "no-such-user", user.session_nonce) is None


def test_cli_users_create_reads_the_password_and_records_it(
    runner: CliRunner, services: Services
) -> None:
    args = ["users", "create", "--email", "bo@clinic.example", "--role", "clinic_staff",
            "--facility", NPI, "--name", "Bo Staff", "--password-stdin"]  # fmt: skip
    result = runner.invoke(main, args, input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert "created clinic_staff bo@clinic.example for facility 1003000126" in result.output
    with transaction(services.sessions) as session:
        principal, _ = authenticate_user(session, "bo@clinic.example", SECRET, max_failures=5)
        assert principal.facility_npi == NPI
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions == ["create_user"]
    again = runner.invoke(main, args, input=SECRET + "\n")
    assert again.exit_code == 2
    assert "already exists" in again.output
    short = runner.invoke(
        main,
        ["users", "create", "--email", "x@y.example", "--role", "hub_staff", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 2
    assert "password" in short.output


def test_cli_users_create_prompts_twice_without_echo(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        ["users", "create", "--email", "hub@hub.example", "--role", "hub_admin"],
        input=f"{SECRET}\n{SECRET}\n",
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "created hub_admin hub@hub.example (all facilities)" in result.output


def test_item2_lockout_holds_under_concurrency(storage_settings: Settings) -> None:
    """16 wrong passwords, 8 at a time, lock the account: the right one is refused after them.

    Each guess reads the account, spends a slow hash, then counts its failure: counted in
    Python, parallel guesses overwrote each other's count and the lock never came.
    """
    services = build_services(storage_settings)
    try:
        # Production's slow hash: the window between reading and counting is what this tests.
        _make(services, hash_method=DEFAULT_PASSWORD_HASH_METHOD)
        email = "ana@clinic.example"
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(
                pool.map(lambda _: _attempt(services, email, "wrong password!"), range(16))
            )
        assert outcomes == ["refused"] * 16
        assert _attempt(services, email, SECRET) == "refused"
        with services.sessions() as session:
            user = session.scalars(select(User)).one()
            assert user.locked_until is not None
    finally:
        services.close()


def _attempt(services: Services, email: str, password: str) -> str:
    try:
        log_in(services, email, password)
    except LoginFailedError:
        return "refused"
    return "logged in"
