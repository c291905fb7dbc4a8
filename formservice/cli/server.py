"""The production server: gunicorn, one process per CPU core, a few threads in each.

Rendering is CPU-bound Python (docxtpl, pypdf) and holds the GIL, so one process serves one
render at a time however many threads it has: worker *processes* are what scale. Each worker is
a gunicorn ``gthread`` worker (threads wait on LibreOffice, the database and the disk).

What is preloaded (built once in the master before it forks, then shared copy-on-write) and what
is not:

* preloaded: the Flask app (settings, routes, the OpenAPI document, Jinja environments) and the
  database check, so an embedded SQLite database is migrated once before any worker starts, and
  an unmigrated PostgreSQL stops the server before it binds a port;
* not preloaded, made by each worker on first use: database connections (the master's are
  dropped before forking, and `post_fork` drops any a worker would inherit, without closing the
  master's), the warm LibreOffice (one per worker, `Services.converter`, never inherited
  across a fork: two processes on one UNO pipe would garble each other's documents), the job
  queue's connection, the S3 client.

A stopping worker gets `Settings.graceful_timeout_seconds` to finish its requests (longer than a
conversion tried twice), then `worker_exit` stops its LibreOffice. The same options and hooks
serve gunicorn run directly, through its configuration file `formservice.cli.gunicorn_conf`.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from formservice.settings import Settings

__all__ = ["ProductionServer", "gunicorn_options", "post_fork", "worker_exit"]


def gunicorn_options(
    settings: Settings, *, workers: int | None = None, threads: int | None = None
) -> dict[str, Any]:
    """gunicorn's settings for these formservice settings (explicit arguments win)."""
    grace = math.ceil(settings.graceful_timeout_seconds)  # gunicorn takes whole seconds
    return {
        "workers": workers or settings.resolved_web_workers,
        "worker_class": "gthread",
        "threads": threads or settings.web_threads,
        "graceful_timeout": grace,
        # A worker that stops answering its master's heartbeat this long is restarted.
        "timeout": grace,
        "preload_app": True,
        "post_fork": post_fork,
        "worker_exit": worker_exit,
        "accesslog": "-",
        # Ids, statuses and timings only: query strings may carry names, so the path alone.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
        "proc_name": "formservice",
        # gunicorn's control socket defaults to one path per user: two servers on a host would
        # take each other's. Nothing here uses it (signals do: TERM stops, HUP reloads).
        "control_socket_disable": True,
    }


def _services(worker: Any) -> Any:
    """The Services of the app a worker serves (None before the app is loaded)."""
    app = getattr(worker, "wsgi", None) or getattr(worker.app, "callable", None)
    return app.extensions.get("formservice") if isinstance(app, Flask) else None


def post_fork(_server: Any, worker: Any) -> None:
    """In a new worker: forget the master's database connections without closing them."""
    services = _services(worker)
    if services is not None:
        services.engine.dispose(close=False)


def worker_exit(_server: Any, worker: Any) -> None:
    """A worker stops: stop its LibreOffice and close its connections."""
    services = _services(worker)
    if services is not None:
        services.close()


class ProductionServer(BaseApplication):
    """gunicorn serving an app built (and its database prepared) before the workers fork."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application
