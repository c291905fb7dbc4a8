"""gunicorn's configuration file for formservice, for running gunicorn directly::

    gunicorn -c python:formservice.cli.gunicorn_conf -b 0.0.0.0:5000 'formservice:create_app()'

It gives gunicorn what `formservice serve` gives it (`formservice.cli.server`): gthread workers,
one per CPU core unless ``FORMSERVICE_WEB_WORKERS`` says otherwise, ``FORMSERVICE_WEB_THREADS``
threads each, a graceful timeout longer than a PDF conversion, the app preloaded, and the hooks
that keep database connections and LibreOffice per worker. A configuration file exists to be
read when it is loaded, so this one reads the ``FORMSERVICE_*`` settings then (only gunicorn
imports it); gunicorn's own command-line flags still win.
"""

from __future__ import annotations

import sys

from formservice.cli.server import gunicorn_options
from formservice.settings import SettingsError, load_settings

try:
    _options = gunicorn_options(load_settings(need_secret=False))
except SettingsError as exc:
    sys.exit(f"error: {exc}")

workers = _options["workers"]
worker_class = _options["worker_class"]
threads = _options["threads"]
graceful_timeout = _options["graceful_timeout"]
timeout = _options["timeout"]
preload_app = _options["preload_app"]
post_fork = _options["post_fork"]
worker_exit = _options["worker_exit"]
accesslog = _options["accesslog"]
access_log_format = _options["access_log_format"]
proc_name = _options["proc_name"]
control_socket_disable = _options["control_socket_disable"]
