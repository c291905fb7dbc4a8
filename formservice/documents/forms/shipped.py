"""The payer forms shipped in templates/pdf: find one by id (parsed once, cached), list them
with their field counts, and fill one from a case through its field map (`render_pa_form`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from formservice.documents.forms.field_maps import load_field_map, resolve_values
from formservice.documents.forms.fill import FillResult, fill_form
from formservice.documents.forms.spec import FormTemplate
from formservice.documents.forms.template import prepare_template
from formservice.errors import NotFoundError, ValidationProblem
from formservice.model import Case

DEFAULT_FORMS_DIR = Path(__file__).resolve().parents[3] / "templates" / "pdf"
_FORM_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")

__all__ = ["DEFAULT_FORMS_DIR", "FormInfo", "list_forms", "load_form", "render_pa_form"]


@dataclass(frozen=True, slots=True)
class FormInfo:
    """A shipped form: id, title, and how much of it the map fills."""

    form_id: str
    title: str
    source: str
    pages: int
    fields: int
    mapped_fields: int


def load_form(form_id: str, forms_dir: Path | str | None = None) -> FormTemplate:
    """The prepared template `<forms_dir>/<form_id>.pdf`, parsed once and cached."""
    path = _form_path(form_id, forms_dir)
    return _load_cached(str(path), path.stat().st_mtime_ns, form_id)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, _mtime_ns: int, form_id: str) -> FormTemplate:
    return prepare_template(Path(path).read_bytes(), form_id=form_id, source=Path(path).name)


def _form_path(form_id: str, forms_dir: Path | str | None) -> Path:
    folder = Path(forms_dir) if forms_dir is not None else DEFAULT_FORMS_DIR
    path = folder / f"{form_id}.pdf"
    if not _FORM_ID.match(form_id) or not path.is_file():
        raise NotFoundError(f"form '{form_id}' not found")
    return path


def list_forms(forms_dir: Path | str | None = None) -> list[FormInfo]:
    """Every form in forms_dir that has a field map, with its title and field counts."""
    folder = Path(forms_dir) if forms_dir is not None else DEFAULT_FORMS_DIR
    infos: list[FormInfo] = []
    for map_path in sorted(folder.glob("*.map.yaml")):
        form_id = map_path.name.removesuffix(".map.yaml")
        template = load_form(form_id, folder)
        fmap = load_field_map(form_id, folder, template)
        infos.append(
            FormInfo(
                form_id=form_id,
                title=fmap.title,
                source=fmap.source,
                pages=len(template.pages),
                fields=len(template.fields),
                mapped_fields=len(fmap.entries),
            )
        )
    return infos


def render_pa_form(
    case: Case,
    form_id: str,
    *,
    today: date,
    flatten: bool = False,
    claim_lines: Sequence[Any] = (),
    forms_dir: Path | str | None = None,
    properties: Mapping[str, str] | None = None,
) -> FillResult:
    """Fill a shipped payer form from a case through the form's field map."""
    template = load_form(form_id, forms_dir)
    folder = Path(forms_dir) if forms_dir is not None else DEFAULT_FORMS_DIR
    fmap = load_field_map(form_id, folder, template)
    values, options = resolve_values(fmap, case, today=today, claim_lines=claim_lines)
    try:
        return fill_form(template, values, flatten=flatten, options=options, properties=properties)
    except ValidationProblem as exc:
        # Name the case path a client can fix, and the form field it was going into.
        paths = {e.field: e.source or e.computed or e.field for e in fmap.entries}
        errors = {
            paths.get(name, name): [f"form field {name!r}: {m}" for m in messages]
            for name, messages in exc.errors.items()
        }
        raise ValidationProblem(f"the case does not fit form {form_id}", errors=errors) from exc
