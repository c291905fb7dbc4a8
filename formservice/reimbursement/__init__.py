"""Pure reimbursement rules (PAP, poverty guidelines, codes, billing, PA tracking, payers).

Every table these rules use lives in ``data/`` as YAML with its source and effective dates, and is
read lazily (never at import) through :func:`load_data`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["load_data"]


@cache
def load_data(name: str) -> Any:
    """Parse the packaged YAML file ``data/<name>`` once and return its content."""
    text = resources.files(__name__).joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
