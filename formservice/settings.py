"""Every knob of the service, read from ``FORMSERVICE_*`` environment variables and validated once.

Nothing here runs at import: `load_settings()` is called by `create_app` and by the CLI. A bad
value stops the start with a message naming the variable. In production mode (the default for
``formservice serve`` outside ``make run``) there is no default secret key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PREFIX = "FORMSERVICE_"
# werkzeug's scrypt (n=2**15, r=8, p=1): the hash staff passwords are stored with.
DEFAULT_PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  # a method name, not a password
# The least a production hash may cost: werkzeug's scrypt parameters, or PBKDF2-HMAC-SHA256 at
# OWASP's 600,000 iterations (Password Storage Cheat Sheet, 2023). Cheaper ones are for tests.
_MIN_SCRYPT = (2**15, 8, 1)
_MIN_PBKDF2_ITERATIONS = 600_000
_PBKDF2_DEFAULT_ITERATIONS = 1_000_000  # werkzeug's, when the method names none
_REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting is missing or has a value the service cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration; build with `load_settings` (env) or `Settings(...)` (tests)."""

    env: str = "production"  # production | development | test
    secret_key: str = ""
    data_dir: Path = field(default_factory=lambda: Path.cwd() / "var")
    database_url: str = ""  # default: sqlite file in data_dir
    blob_dir: Path | None = None  # default: data_dir / "blobs"
    # Where blobs live: "local" (blob_dir) or "s3" (an S3-compatible object store, shared by hosts).
    blob_store: str = "local"
    s3_endpoint: str = ""  # e.g. http://objects.internal:8333; empty: AWS S3 for s3_region
    s3_bucket: str = ""
    s3_access_key: str = ""  # empty (with the secret): boto3's own chain (env, instance role)
    s3_secret_key: str = field(default="", repr=False)
    s3_region: str = "us-east-1"
    redis_url: str = ""  # empty: SqliteHuey beside the database
    templates_dir: Path = _REPO_ROOT / "templates"
    samples_dir: Path = _REPO_ROOT / "samples"
    # The facility charge master (YAML) the CMS-1500 prices its lines from (item 24F): the
    # clinic's own charges, never a payment rate. The default is a SYNTHETIC sample.
    charge_master: Path = _REPO_ROOT / "samples" / "charge_master.yaml"
    # Limits (documented in README "Limits").
    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 15 * 1024 * 1024
    max_pdf_pages: int = 50
    # An uploaded 835 up to this size is also checked against the 835 guide by pyx12, which walks
    # the guide's tree per segment (~12 s for 1,000 claims on a loaded 2-core host); a larger
    # file is read and stored without that check (its answer says so).
    x12_guide_check_max_bytes: int = 64 * 1024
    ocr_seconds_per_page: float = 20.0
    ocr_dpi: int = 300
    # Pixels of one page rasterised for OCR (page size x dpi): above it the dpi is lowered, and a
    # page that would need less than 100 dpi to fit is refused (422). Letter at 300 dpi: 8.4 M.
    max_page_pixels: int = 40_000_000
    # What a page of OCR is expected to take here (measured ~1.3 s at 300 dpi on one core);
    # pages x this above the request budget → the upload is finished in the background (202).
    ocr_expected_seconds_per_page: float = 3.0
    request_ocr_budget_seconds: float = 20.0
    render_timeout_seconds: float = 60.0
    # One letter render's budget (documents/docx/limits.py); a template whose preview passes any
    # of them is refused at publish (422 naming the limit).
    template_max_string_chars: int = 1_000_000
    template_max_loop_iterations: int = 100_000
    template_render_seconds: float = 5.0
    template_max_output_bytes: int = 5_000_000
    converter_pool_size: int = 1
    soffice_path: str = ""
    # The production server (gunicorn): worker processes (0: one per CPU core) and threads each.
    web_workers: int = 0
    web_threads: int = 4
    session_idle_minutes: int = 15
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # werkzeug `generate_password_hash` method: scrypt[:N:R:P] or pbkdf2[:sha256|sha512[:ITER]].
    password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD
    # Strict-Transport-Security max-age on answers served over HTTPS; 0 sends none.
    hsts_seconds: int = 0
    huey_immediate: bool = False
    # How long a process may reuse an API key's lookup and a template's active version before
    # reading them again (0: every request reads them). A revocation or activation made by
    # another process takes effect there within this time; in the process that made it, at once.
    cache_seconds: float = 5.0
    # Work that survives a killed worker (usecases.recovery). A worker holds a regeneration chunk
    # or a background OCR job for this long (a lease); past it, the reaper queues it again.
    lease_seconds: float = 120.0
    reaper_interval_seconds: float = 30.0
    # Claims of one job before it is marked failed (a letter that kills its worker every time).
    max_job_attempts: int = 3
    # A blob no row points to is removed once older than this (a write in flight is younger).
    orphan_blob_grace_seconds: float = 3600.0
    blob_sweep_interval_seconds: float = 3600.0
    # How long a readiness check or a broker check before queued work may wait for an answer.
    readiness_timeout_seconds: float = 2.0
    # The hub's price of the scalp-cooling product, weighed by the PAP hardship test when the
    # patient has no out-of-pocket estimate; 0: not set (the test then cannot decide). The source
    # (e.g. "hub price list 2026-01") is required with a price and is printed beside it.
    pap_product_price: float = 0.0
    pap_product_price_source: str = ""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'formservice.sqlite3'}"

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def resolved_web_workers(self) -> int:
        """Server worker processes: the setting, or one per CPU core this process may use."""
        return self.web_workers or len(os.sched_getaffinity(0)) or 1

    @property
    def graceful_timeout_seconds(self) -> float:
        """How long a stopping server worker may finish its requests: longer than one PDF
        conversion tried twice (the converter retries once after restarting LibreOffice)."""
        return 2 * self.render_timeout_seconds + 30

    def validated(self, *, need_secret: bool = True) -> Settings:
        """Return self after checking every value; raise SettingsError naming the variable.

        `need_secret` is False for CLI commands that never sign a session cookie.
        """
        problems: list[str] = []
        if self.pap_product_price < 0:
            problems.append(f"{PREFIX}PAP_PRODUCT_PRICE must be 0 (not set) or a price in USD")
        if self.pap_product_price > 0 and not self.pap_product_price_source.strip():
            problems.append(
                f"{PREFIX}PAP_PRODUCT_PRICE_SOURCE must say where the price comes from "
                "(e.g. 'hub price list 2026-01')"
            )
        if self.env not in {"production", "development", "test"}:
            problems.append(
                f"{PREFIX}ENV must be production, development or test, not {self.env!r}"
            )
        if need_secret and self.is_production and len(self.secret_key) < 32:
            problems.append(
                f"{PREFIX}SECRET_KEY must be set to at least 32 characters in production "
                f'(python -c "import secrets; print(secrets.token_hex(32))")'
            )
        for name in _POSITIVE_INTEGERS:
            if getattr(self, name) <= 0:
                problems.append(f"{PREFIX}{name.upper()} must be a positive integer")
        if self.cache_seconds < 0:
            problems.append(f"{PREFIX}CACHE_SECONDS must be 0 or a positive number of seconds")
        if self.hsts_seconds < 0:
            problems.append(f"{PREFIX}HSTS_SECONDS must be 0 (off) or a positive integer")
        for name in _POSITIVE_SECONDS:
            if getattr(self, name) <= 0:
                problems.append(f"{PREFIX}{name.upper()} must be a positive number of seconds")
        if self.blob_store not in {"local", "s3"}:
            problems.append(f"{PREFIX}BLOB_STORE must be local or s3, not {self.blob_store!r}")
        if self.blob_store == "s3" and not self.s3_bucket:
            problems.append(f"{PREFIX}S3_BUCKET must be set when {PREFIX}BLOB_STORE=s3")
        if bool(self.s3_access_key) != bool(self.s3_secret_key):
            problems.append(
                f"{PREFIX}S3_ACCESS_KEY and {PREFIX}S3_SECRET_KEY go together (or neither: "
                "boto3's own credential chain)"
            )
        if self.s3_endpoint and not self.s3_endpoint.startswith(("http://", "https://")):
            problems.append(f"{PREFIX}S3_ENDPOINT must be an http:// or https:// URL")
        if self.web_workers < 0:
            problems.append(f"{PREFIX}WEB_WORKERS must be 0 (one per CPU core) or more")
        if not Path(self.charge_master).is_file():
            problems.append(
                f"{PREFIX}CHARGE_MASTER must name a charge master YAML file; "
                f"{self.charge_master} does not exist"
            )
        problems += _hash_method_problems(self.password_hash_method, self.is_production)
        url = self.resolved_database_url
        if not url.startswith(("sqlite:", "postgresql")):
            problems.append(f"{PREFIX}DATABASE_URL must be a sqlite: or postgresql URL")
        if problems:
            raise SettingsError("; ".join(problems))
        return self

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some values changed (tests)."""
        return replace(self, **overrides)


# Settings that must be more than 0: counts and sizes, then durations in seconds.
_POSITIVE_INTEGERS = (
    "max_body_bytes",
    "max_upload_bytes",
    "max_pdf_pages",
    "x12_guide_check_max_bytes",
    "ocr_dpi",
    "max_page_pixels",
    "converter_pool_size",
    "web_threads",
    "session_idle_minutes",
    "login_max_failures",
    "login_lock_minutes",
    "template_max_string_chars",
    "template_max_loop_iterations",
    "template_max_output_bytes",
    "max_job_attempts",
)
_POSITIVE_SECONDS = (
    "ocr_seconds_per_page",
    "request_ocr_budget_seconds",
    "render_timeout_seconds",
    "template_render_seconds",
    "lease_seconds",
    "reaper_interval_seconds",
    "orphan_blob_grace_seconds",
    "blob_sweep_interval_seconds",
    "readiness_timeout_seconds",
)


def _hash_method_problems(method: str, production: bool) -> list[str]:
    """What is wrong with a password hash method (empty if nothing); cheap ones only off
    production, since a stored hash keeps the cost it was made with."""
    name = f"{PREFIX}PASSWORD_HASH_METHOD"
    kind, *args = method.split(":")
    if kind == "scrypt" and len(args) in (0, 3) and all(a.isdigit() for a in args):
        n, r, p = (int(a) for a in args) if args else _MIN_SCRYPT
        if n < 2 or n & (n - 1) or r < 1 or p < 1:
            return [f"{name}: scrypt's N must be a power of 2 and R, P at least 1"]
        weak = n < _MIN_SCRYPT[0] or r < _MIN_SCRYPT[1]
    elif (
        kind == "pbkdf2"
        and len(args) <= 2
        and args[:1] in ([], ["sha256"], ["sha512"])
        and (len(args) < 2 or args[1].isdigit())
    ):
        iterations = int(args[1]) if len(args) == 2 else _PBKDF2_DEFAULT_ITERATIONS
        if iterations < 1:
            return [f"{name}: pbkdf2 needs at least 1 iteration"]
        weak = iterations < _MIN_PBKDF2_ITERATIONS
    else:
        return [
            f"{name} must be scrypt, scrypt:N:R:P, pbkdf2, pbkdf2:sha256 or "
            f"pbkdf2:sha256:ITERATIONS (sha512 too), not {method!r}"
        ]
    if weak and production:
        return [
            f"{name}={method!r} is cheaper than production allows (scrypt with N >= 32768 and "
            f"R >= 8, or pbkdf2 with >= {_MIN_PBKDF2_ITERATIONS} iterations); leave it unset"
        ]
    return []


def _coerce(name: str, raw: str, current: Any) -> Any:
    target = type(current) if current is not None else str
    try:
        if isinstance(current, bool):
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if isinstance(current, Path) or name in {"blob_dir"}:
            return Path(raw).expanduser()
        if target in (int, float):
            return target(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid value") from exc
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None, *, need_secret: bool = True, **overrides: Any
) -> Settings:
    """Settings from the environment (``FORMSERVICE_*``) plus explicit overrides, validated."""
    environ = os.environ if environ is None else environ
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        key = PREFIX + f.name.upper()
        if key in environ:
            values[f.name] = _coerce(f.name, environ[key], getattr(defaults, f.name))
    values.update(overrides)
    settings = Settings(**values)
    if not settings.secret_key and (not settings.is_production or not need_secret):
        # Development and tests get a random per-process key: sessions do not survive restarts.
        settings = replace(settings, secret_key=secrets.token_hex(32))
    return settings.validated(need_secret=need_secret)
