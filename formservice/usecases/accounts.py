"""Staff accounts: create a user, check a password, lock after repeated failures.

Passwords are kept only as a hash (werkzeug; scrypt unless `password_hash_method` says otherwise,
and only tests make it cheaper). A failed login never says which part was
wrong; after `login_max_failures` failures in a row the account is locked for
`login_lock_minutes` (both settings), and while it is locked even the right password is
refused with the same message.
"""

from __future__ import annotations

import functools
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from formservice.errors import ConflictError, UnauthorizedError, ValidationProblem
from formservice.model import Principal
from formservice.schemas.common import bad_characters, npi_is_valid
from formservice.settings import DEFAULT_PASSWORD_HASH_METHOD
from formservice.store.audit import record_event
from formservice.store.db import transaction
from formservice.store.models import User
from formservice.usecases.services import Services

__all__ = [
    "add_user",
    "log_in",
    "log_out",
    "HUB_ROLES",
    "LOGIN_FAILED_MESSAGE",
    "MIN_PASSWORD_LENGTH",
    "USER_ROLES",
    "LoginFailedError",
    "authenticate_user",
    "create_user",
    "end_sessions",
    "principal_for",
    "session_principal",
    "set_password",
]

USER_ROLES = ("hub_admin", "hub_staff", "clinic_staff")
HUB_ROLES = ("hub_admin", "hub_staff")  # see every facility
MIN_PASSWORD_LENGTH = 12
DEFAULT_LOCK_MINUTES = 15
LOGIN_FAILED_MESSAGE = (
    "The email or password is not right, or the account is locked after too many attempts. "
    "Try again, or ask your hub administrator."
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password, checked against when the email is unknown (or the account
    locked), so such a login costs the same time as a wrong password and the response time does
    not reveal which accounts exist. Made on first use, not at import: a scrypt hash costs
    about 0.1 s of CPU and 32 MiB, which every process that imports this module would pay."""
    return generate_password_hash(secrets.token_hex(16), method=method)


class LoginFailedError(UnauthorizedError):
    """Wrong email, wrong password, locked or disabled account: one message for all."""

    slug = "login-failed"
    title = "Login failed"

    def __init__(self, *, user_id: str | None = None) -> None:
        super().__init__(LOGIN_FAILED_MESSAGE)
        self.user_id = user_id


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _check_password(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"At least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip() != password:
        problems.append("No spaces at the start or end.")
    return problems


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    password: str,
    facility_npi: str | None = None,
    name: str = "",
    hash_method: str = DEFAULT_PASSWORD_HASH_METHOD,
) -> User:
    """Store a new user; a 422 names every bad field, a 409 a taken email.

    `hash_method` is a werkzeug method (settings: `password_hash_method`).
    """
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = ["Not an email address."]
    if role not in USER_ROLES:
        errors["role"] = [f"Must be one of: {', '.join(USER_ROLES)}."]
    if role == "clinic_staff" and not facility_npi:
        errors["facility"] = ["clinic_staff needs the facility NPI (--facility)."]
    if facility_npi and not npi_is_valid(facility_npi):
        errors["facility"] = ["Not a valid NPI (10 digits with a Luhn check digit)."]
    if facility_npi and role in HUB_ROLES:
        errors["facility"] = ["Hub roles see every facility; leave the facility out."]
    if problems := _check_password(password):
        errors["password"] = problems
    if errors:
        raise ValidationProblem("cannot create the user", errors=errors)
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        raise ConflictError(
            f"a user with email {email} already exists", errors={"email": ["Already taken."]}
        )
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        facility_npi=facility_npi if role == "clinic_staff" else None,
        password_hash=generate_password_hash(password, method=hash_method),
    )
    session.add(user)
    session.flush()
    return user


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    hash_method: str = DEFAULT_PASSWORD_HASH_METHOD,
) -> None:
    """Replace a user's password, unlock the account and end every session it had."""
    if problems := _check_password(password):
        raise ValidationProblem("cannot set the password", errors={"password": problems})
    user.password_hash = generate_password_hash(password, method=hash_method)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued to the user so far (logout)."""
    user.session_nonce = secrets.token_hex(16)


def principal_for(user: User) -> Principal:
    """The principal of a user: hub roles see every facility, clinic staff only their own."""
    facility = user.facility_npi if user.role == "clinic_staff" else None
    return Principal("user", user.id, user.email, user.role, facility)


def authenticate_user(
    session: Session,
    email: str,
    password: str,
    *,
    max_failures: int,
    lock_minutes: int = DEFAULT_LOCK_MINUTES,
    now: datetime | None = None,
    hash_method: str = DEFAULT_PASSWORD_HASH_METHOD,
) -> tuple[Principal, User]:
    """The principal of a correct login (counters reset), or LoginFailedError (failure counted).

    The caller commits the session in both cases, so a failure is counted even though it raises.
    Both outcomes are one conditional UPDATE each, so parallel guesses cannot lose a count and a
    login cannot clear a lock another request has just set. `hash_method` makes the hash an
    unknown email is checked against (the settings' method, so it costs what a real check does).
    """
    now = now or _now()
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254 or bad_characters(email):
        # Never reaches the database (a NUL in a parameter is an error on PostgreSQL).
        check_password_hash(_dummy_hash(hash_method), password)
        raise LoginFailedError()
    user = session.scalars(select(User).where(func.lower(User.email) == email)).first()
    if user is None:
        check_password_hash(_dummy_hash(hash_method), password)
        raise LoginFailedError()
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        check_password_hash(_dummy_hash(hash_method), password)
        raise LoginFailedError(user_id=user.id)
    if user.disabled or not check_password_hash(user.password_hash, password):
        _count_failure(session, user, max_failures=max_failures, lock_minutes=lock_minutes, now=now)
        raise LoginFailedError(user_id=user.id)
    # Reset the counters only if no parallel failure has locked the account meanwhile.
    reset = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.expire(user, ["failed_logins", "locked_until", "last_login_at"])
    if reset is None:
        raise LoginFailedError(user_id=user.id)
    return principal_for(user), user


def _count_failure(
    session: Session, user: User, *, max_failures: int, lock_minutes: int, now: datetime
) -> None:
    """Add one failure in the database itself; the one that reaches the limit sets the lock."""
    reaches = User.failed_logins + 1 >= max_failures
    until = literal(now + timedelta(minutes=lock_minutes), User.locked_until.type)
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            failed_logins=case((reaches, 0), else_=User.failed_logins + 1),
            locked_until=case((reaches, until), else_=User.locked_until),
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["failed_logins", "locked_until"])


def session_principal(session: Session, user_id: str, nonce: str) -> Principal | None:
    """The principal behind a session cookie; None if the user is gone, disabled or logged out."""
    user = session.get(User, user_id)
    if user is None or user.disabled or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return principal_for(user)


def log_in(services: Services, email: str, password: str) -> tuple[Principal, str]:
    """A correct login's principal and session nonce; LoginFailedError (401) otherwise.

    A failure is counted (and may lock the account) even though it raises: the counter is
    committed before the error leaves.
    """
    settings = services.settings
    failure: LoginFailedError | None = None
    with transaction(services.sessions) as session:
        try:
            principal, user = authenticate_user(
                session,
                email,
                password,
                max_failures=settings.login_max_failures,
                lock_minutes=settings.login_lock_minutes,
                hash_method=settings.password_hash_method,
            )
            nonce = user.session_nonce
        except LoginFailedError as error:
            failure = error  # the failure count is committed with this transaction
    if failure is not None:
        raise failure
    return principal, nonce


def log_out(services: Services, principal: Principal) -> None:
    """End every session of the user behind `principal` (this one and any other)."""
    with transaction(services.sessions) as session:
        user = session.get(User, principal.id)
        if user is not None:
            end_sessions(user)


def add_user(
    services: Services,
    *,
    email: str,
    role: str,
    password: str,
    facility_npi: str | None,
    name: str,
    actor: str,
) -> User:
    """Create a staff account and record who created it in the audit trail."""
    with transaction(services.sessions) as session:
        user = create_user(
            session,
            email=email,
            role=role,
            password=password,
            facility_npi=facility_npi,
            name=name,
            hash_method=services.settings.password_hash_method,
        )
        record_event(session, actor=actor, action="create_user", path=f"user:{user.email}")
        return user
