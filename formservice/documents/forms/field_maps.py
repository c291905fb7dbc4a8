"""Field maps: which case value goes into which PDF form field, and how it is formatted.

A map is `templates/pdf/<form_id>.map.yaml`, validated against its PDF when loaded::

    form:
      id: tx_nofr001                       # must equal the file name
      title: Texas Standard Prior Authorization Request Form
      source: https://... (where the PDF came from)   effective: 2025-01-01 (optional)
    fields:
      "Patient Date of Birth":             # the field's full name in the PDF
        source: patient.date_of_birth      # a case path (dots, [n] for list items) ...
        transform: {date: "%m/%d/%Y"}      # ... formatted by transforms, applied in order
      "Submission Date": {computed: today, transform: {date: "%m/%d/%Y"}}
      "Review Type - Non-Urgent": {value: true}          # a constant
      "Outpatient":
        transform: {checkbox_when: {path: treatment.site_of_care, equals: hospital_outpatient}}
      "Planned Service or Procedure Code Row 1": {computed: cpt_lines[0].code, font_size: auto}

Exactly one of `source`, `computed` or `value` per field (a field with only `checkbox_when`
reads the path given there). The field's type (text, check box, radio, combo, list) is read
from the PDF, never written in the map. Transforms: `date: FORMAT` (strftime), `phone: dashed |
parens | area | local`, `upper: true`, `remove: CHARS`, `money: true`, `join: SEPARATOR`,
`template: "... {value} ..."`, `default: VALUE`, `max_length: N` (the filler truncates and
reports), `checkbox_when: {path?, equals? | in? | truthy?}`, and `radio`/`choice`/`lookup: {case
value: option}` (a scalar instead of a table means "this option when the value is truthy").
Computed names: see `field_computed.COMPUTED`. `font_size: auto` lets the filler shrink text
to fit a narrow column even when the PDF fixes the size.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from formservice.documents.forms.field_computed import COMPUTED
from formservice.documents.forms.spec import FormTemplate
from formservice.errors import FormserviceError, ValidationProblem
from formservice.model import Case


class FieldMapError(FormserviceError):
    """A shipped field map that does not fit its PDF or the case model (a deployment bug)."""

    slug = "field-map-error"
    title = "Invalid form field map"


@dataclass(frozen=True, slots=True)
class FieldOptions:
    """What the map tells the filler about one field beyond its value."""

    max_length: int | None = None
    auto_size: bool = False


@dataclass(frozen=True, slots=True)
class MapEntry:
    """One mapped field: where its value comes from and how it is formatted."""

    field: str
    source: str | None = None
    computed: str | None = None
    value: Any = None
    transforms: tuple[tuple[str, Any], ...] = ()
    options: FieldOptions = FieldOptions()


@dataclass(frozen=True, slots=True)
class FieldMap:
    """A validated map for one form."""

    form_id: str
    title: str
    source: str
    entries: tuple[MapEntry, ...]


# --- paths ---------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _segments(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if not match:
            raise ValueError(f"bad path segment {part!r}")
        out.append(match.group(1))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
    return out


def _follow(value: Any, segments: Sequence[str | int]) -> Any:
    for segment in segments:
        if value is None:
            return None
        if isinstance(segment, int):
            value = value[segment] if segment < len(value) else None
        elif isinstance(value, Mapping):
            value = value.get(segment)
        else:
            value = getattr(value, segment, None)
    return value


def resolve_path(case: Case, path: str) -> Any:
    """The case value at a dotted path such as `diagnoses[0].code` (None when absent)."""
    return _follow(case, _segments(path))


def _check_source(path: str) -> None:
    """Walk the model's type hints so a typo in a map fails at load time, not in a PDF."""
    current: Any = Case
    for segment in _segments(path):
        current = _unwrap(current)
        if isinstance(segment, int):
            args = typing.get_args(current)
            if typing.get_origin(current) not in (tuple, list) or not args:
                raise ValueError(f"{path}: cannot index a {current}")
            current = args[0]
            continue
        if not (isinstance(current, type) and is_dataclass(current)):
            raise ValueError(f"{path}: {segment!r} is not inside a record")
        hints = typing.get_type_hints(current)
        if segment in hints:
            current = hints[segment]
        elif isinstance(getattr(current, segment, None), property):
            current = typing.get_type_hints(getattr(current, segment).fget).get("return", Any)
        else:
            raise ValueError(f"{path}: {current.__name__} has no {segment!r}")


def _unwrap(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return args[0] if len(args) == 1 else tp
    return tp


def _split_computed(name: str) -> tuple[str, list[str | int]]:
    for key in sorted(COMPUTED, key=len, reverse=True):
        if name == key or name.startswith(key + ".") or name.startswith(key + "["):
            rest = name[len(key) :].lstrip(".")
            if not rest:
                return key, []
            return key, (_segments("x" + rest)[1:] if rest.startswith("[") else _segments(rest))
    raise ValueError(f"unknown computed value {name!r} (known: {', '.join(sorted(COMPUTED))})")


def _check_computed(name: str) -> None:
    key, rest = _split_computed(name)
    item_attrs = COMPUTED[key][1]
    if item_attrs is None:
        if rest:
            raise ValueError(f"computed {key!r} has no parts")
        return
    attrs = [s for s in rest if isinstance(s, str)]
    if item_attrs and attrs and attrs[0] not in item_attrs:
        raise ValueError(f"{name}: items have no {attrs[0]!r} (have: {', '.join(item_attrs)})")


# --- transforms ----------------------------------------------------------------------------------


def _to_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value)
    return None


def _phone(value: Any, style: Any) -> Any:
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return value  # not a NANP number: show it as given rather than mangle it
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return {
        "parens": f"({area}) {exchange}-{line}",
        "area": area,
        "local": f"{exchange}-{line}",
    }.get(str(style), f"{area}-{exchange}-{line}")


def _condition(value: Any, spec: Any) -> bool:
    if "equals" in spec:
        return bool(value == spec["equals"])
    if "in" in spec:
        return value in spec["in"]
    return bool(value)


def _apply(name: str, arg: Any, value: Any, case: Case) -> Any:
    if name == "checkbox_when":
        subject = resolve_path(case, arg["path"]) if "path" in arg else value
        return _condition(subject, arg)
    if name == "default":
        return arg if value in (None, "", []) else value
    if value is None:
        return None
    if name == "date":
        day = _to_date(value)
        return day.strftime(arg) if day else None
    if name == "phone":
        return _phone(value, arg)
    if name == "upper":
        return str(value).upper() if arg else value
    if name == "remove":
        return "".join(c for c in str(value) if c not in str(arg))
    if name == "money":
        return f"{float(value):.2f}"
    if name == "join":
        return str(arg).join(str(v) for v in value)
    if name == "template":
        return str(arg).replace("{value}", str(value))
    if name in ("radio", "choice", "lookup"):
        if isinstance(arg, Mapping):
            return arg.get(value, arg.get(str(value)))
        return arg if value else None
    if name == "max_length":
        return value  # enforced (and reported) by the filler
    raise ValueError(f"unknown transform {name!r}")


_TRANSFORMS = {
    "checkbox_when",
    "default",
    "date",
    "phone",
    "upper",
    "remove",
    "money",
    "join",
    "template",
    "radio",
    "choice",
    "lookup",
    "max_length",
}

# --- loading -------------------------------------------------------------------------------------


def load_field_map(form_id: str, forms_dir: Path | str, template: FormTemplate) -> FieldMap:
    """The map for form_id, checked against its PDF and the case model (cached per file)."""
    path = Path(forms_dir) / f"{form_id}.map.yaml"
    if not path.is_file():
        raise FieldMapError(f"{path.name}: no field map for form '{form_id}'")
    return _load_cached(str(path), path.stat().st_mtime_ns, template)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, _mtime_ns: int, template: FormTemplate) -> FieldMap:
    return parse_field_map(Path(path).read_text(encoding="utf-8"), template, name=Path(path).name)


def parse_field_map(text: str, template: FormTemplate, *, name: str = "<map>") -> FieldMap:
    """Parse and validate map YAML against a template; FieldMapError names what is wrong."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FieldMapError(f"{name}: not valid YAML ({exc})") from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("fields"), Mapping):
        raise FieldMapError(f"{name}: expected a mapping with 'form' and 'fields'")
    form = doc.get("form") or {}
    problems: list[str] = []
    entries = []
    for field_name, raw in doc["fields"].items():
        try:
            entries.append(_entry(str(field_name), raw or {}, template))
        except ValueError as exc:
            problems.append(f"field {field_name!r}: {exc}")
    if problems:
        raise FieldMapError(f"{name}: " + "; ".join(problems))
    return FieldMap(
        form_id=str(form.get("id", template.form_id)),
        title=str(form.get("title", template.form_id)),
        source=str(form.get("source", "")),
        entries=tuple(entries),
    )


def _entry(field_name: str, raw: Mapping[str, Any], template: FormTemplate) -> MapEntry:
    spec = template.fields.get(field_name)
    if spec is None:
        raise ValueError(f"the PDF {template.source} has no such field")
    unknown = set(raw) - {"source", "computed", "value", "transform", "font_size", "note"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    transforms = _transforms(raw.get("transform"))
    origins = [k for k in ("source", "computed", "value") if k in raw]
    has_path = any(n == "checkbox_when" and "path" in a for n, a in transforms)
    if len(origins) > 1 or (not origins and not has_path):
        raise ValueError("give exactly one of source, computed or value")
    if "source" in raw:
        _check_source(str(raw["source"]))
    if "computed" in raw:
        _check_computed(str(raw["computed"]))
    for tname, targ in transforms:
        if tname == "checkbox_when" and "path" in targ:
            _check_source(str(targ["path"]))
        if tname in ("choice", "radio") and spec.options and isinstance(targ, Mapping):
            allowed = {o for pair in spec.options for o in pair}
            bad = [str(v) for v in targ.values() if str(v) not in allowed]
            if bad:
                raise ValueError(f"options {bad} are not in the field's list")
    if spec.kind in ("button", "signature", "unknown"):
        raise ValueError(f"a {spec.kind} field cannot be mapped")
    max_len = dict(transforms).get("max_length")
    return MapEntry(
        field=field_name,
        source=raw.get("source"),
        computed=raw.get("computed"),
        value=raw.get("value"),
        transforms=transforms,
        options=FieldOptions(
            max_length=int(max_len) if max_len else None,
            auto_size=raw.get("font_size") == "auto",
        ),
    )


def _transforms(raw: Any) -> tuple[tuple[str, Any], ...]:
    items: list[tuple[str, Any]] = []
    if raw is None:
        return ()
    parts = raw if isinstance(raw, list) else [raw]
    for part in parts:
        if not isinstance(part, Mapping):
            raise ValueError(f"transform {part!r} is not a mapping")
        for tname, targ in part.items():
            if tname not in _TRANSFORMS:
                raise ValueError(f"unknown transform {tname!r}")
            if tname == "checkbox_when" and not isinstance(targ, Mapping):
                raise ValueError("checkbox_when takes {path?, equals? | in? | truthy?}")
            items.append((str(tname), targ))
    return tuple(items)


# --- resolving -----------------------------------------------------------------------------------


def resolve_values(
    fmap: FieldMap, case: Case, *, today: date, claim_lines: Sequence[Any] = ()
) -> tuple[dict[str, Any], dict[str, FieldOptions]]:
    """The value for every mapped field (None = leave empty) and the filler options."""
    values: dict[str, Any] = {}
    options: dict[str, FieldOptions] = {}
    cache: dict[str, Any] = {}
    for entry in fmap.entries:
        if entry.source is not None:
            value = resolve_path(case, entry.source)
        elif entry.computed is not None:
            key, rest = _split_computed(entry.computed)
            if key not in cache:
                cache[key] = COMPUTED[key][0](case, today, claim_lines)
            value = _follow(cache[key], rest)
        else:
            value = entry.value
        try:
            for tname, targ in entry.transforms:
                value = _apply(tname, targ, value, case)
        except (ValueError, TypeError) as exc:
            raise ValidationProblem(
                f"cannot format a value for {fmap.form_id}",
                errors={entry.source or entry.computed or entry.field: [str(exc)]},
            ) from exc
        values[entry.field] = value
        if entry.options != FieldOptions():
            options[entry.field] = entry.options
    return values, options
