"""Onboarding a new payer form: list its fields and write a field-map skeleton to finish by hand.

`inspect_form` reports every terminal field (full name, type, page, rectangle, flags, max length,
options, on-states, tooltip). `write_skeleton` writes `<form>.map.yaml` with every fillable
field, proposing a case path where the field's name or tooltip matches a known concept
(member id, NPI, date of birth, diagnosis code...) and leaving the rest commented out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from formservice.documents.forms.template import prepare_template


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What a person mapping a form needs to know about one field."""

    name: str
    kind: str
    page: int  # 1-based; 0 when the widget is on no page
    rect: tuple[float, float, float, float]
    flags: int
    max_length: int | None
    options: tuple[str, ...]
    on_states: tuple[str, ...]
    tooltip: str | None
    value: str | None


def inspect_form(pdf_bytes: bytes, *, source: str = "<bytes>") -> list[FieldInfo]:
    """Every fillable field of a PDF form; BadInputError when it has none or cannot be read."""
    template = prepare_template(pdf_bytes, source=source)
    infos = []
    for spec in template.fields.values():
        first = spec.widgets[0] if spec.widgets else None
        infos.append(
            FieldInfo(
                name=spec.name,
                kind=spec.kind,
                page=(first.page + 1) if first and first.page >= 0 else 0,
                rect=tuple(round(v, 1) for v in first.rect) if first else (0, 0, 0, 0),  # type: ignore[arg-type]  # four floats
                flags=spec.flags,
                max_length=spec.max_length,
                options=tuple(export for export, _ in spec.options),
                on_states=spec.on_states,
                tooltip=spec.tooltip,
                value=None if spec.value is None else str(spec.value),
            )
        )
    return sorted(infos, key=lambda f: (f.page or 10**6, -f.rect[3], f.rect[0]))


# Concept -> (pattern over the field's name and tooltip, proposed mapping). Order matters: the
# first match wins, so specific concepts (prescriber NPI) come before general ones (NPI).
_CONCEPTS: tuple[tuple[str, str, dict[str, object]], ...] = (
    (
        "member id",
        r"member.*(id|number)|subscriber.*id|insured.*id|medicaid id|policy (id|number)",
        {"source": "coverage.member_id"},
    ),
    ("group number", r"group.*(number|no|#)|\bgroup\b", {"source": "coverage.group_number"}),
    (
        "date of birth",
        r"\b(dob|date of birth|birth ?date|birthdate)\b",
        {"source": "patient.date_of_birth", "transform": {"date": "%m/%d/%Y"}},
    ),
    (
        "prescriber npi",
        r"(requesting|ordering|referring|prescrib|physician|rendering).*\bnpi\b",
        {"source": "prescriber.npi"},
    ),
    (
        "facility npi",
        r"(facility|service provider|billing|servicing).*\bnpi\b",
        {"source": "facility.npi"},
    ),
    ("prescriber npi", r"\bnpi\b", {"source": "prescriber.npi"}),
    ("tax id", r"tax ?id|\btin\b|\bein\b", {"source": "facility.tax_id"}),
    (
        "diagnosis code",
        r"(icd|diagnosis|dx).*(code|icd)|icd[- ]?10|\bdx\b",
        {"source": "primary_diagnosis.code"},
    ),
    (
        "diagnosis description",
        r"diagnos",
        {"source": "primary_diagnosis.description", "font_size": "auto"},
    ),
    (
        "procedure code",
        r"\b(cpt|hcpcs|procedure code|service code)\b",
        {"computed": "cpt_lines[0].code"},
    ),
    (
        "prior authorization number",
        r"(prior )?auth(orization)? (number|no|#)",
        {"source": "prior_authorization.number"},
    ),
    ("patient name", r"(patient|member|enrollee).*name|^name$", {"source": "patient.full_name"}),
    (
        "prescriber name",
        r"(prescrib|physician|provider|doctor).*name",
        {"source": "prescriber.full_name"},
    ),
    ("facility name", r"(facility|practice|clinic).*name", {"source": "facility.name"}),
    (
        "payer name",
        r"(issuer|payer|plan|insurance|carrier).*name",
        {"source": "coverage.payer.name"},
    ),
    (
        "payer fax",
        r"(issuer|payer|plan|insurance|carrier).*\bfax\b",
        {"source": "coverage.payer.fax", "transform": {"phone": "dashed"}},
    ),
    (
        "payer phone",
        r"(issuer|payer|plan|insurance|carrier).*(phone|telephone)",
        {"source": "coverage.payer.phone", "transform": {"phone": "dashed"}},
    ),
    (
        "prescriber fax",
        r"(requesting|ordering|referring|prescrib|physician).*\bfax\b",
        {"source": "prescriber.fax", "transform": {"phone": "dashed"}},
    ),
    (
        "prescriber phone",
        r"(requesting|ordering|referring|prescrib|physician).*(phone|telephone)",
        {"source": "prescriber.phone", "transform": {"phone": "dashed"}},
    ),
    (
        "facility fax",
        r"(facility|service provider|servicing).*\bfax\b",
        {"source": "facility.fax", "transform": {"phone": "dashed"}},
    ),
    (
        "facility phone",
        r"(facility|service provider|servicing).*(phone|telephone)",
        {"source": "facility.phone", "transform": {"phone": "dashed"}},
    ),
    (
        "patient phone",
        r"(patient|member|enrollee).*(phone|telephone)",
        {"source": "patient.phone", "transform": {"phone": "dashed"}},
    ),
    ("fax", r"\bfax\b", {"source": "prescriber.fax", "transform": {"phone": "dashed"}}),
    (
        "phone",
        r"phone|telephone|\btel\b",
        {"source": "prescriber.phone", "transform": {"phone": "dashed"}},
    ),
    ("date", r"\bdate\b", {"computed": "today", "transform": {"date": "%m/%d/%Y"}}),
    ("sex", r"\b(sex|gender)\b", {"source": "patient.sex"}),
    ("specialty", r"special", {"source": "prescriber.specialty"}),
)


def propose(field: FieldInfo) -> tuple[str, dict[str, object]] | None:
    """The known concept a field's name or tooltip names, with its proposed map entry."""
    text = " ".join(p for p in (field.name, field.tooltip or "") if p)
    text = re.sub(r"[_\-.]+", " ", text).lower()
    for concept, pattern, entry in _CONCEPTS:
        if re.search(pattern, text):
            return concept, dict(entry)
    return None


def write_skeleton(
    fields: Sequence[FieldInfo], path: Path | str, *, form_id: str | None = None
) -> Path:
    """Write a map skeleton: proposals as entries, unmatched fields as commented-out stubs."""
    path = Path(path)
    form_id = form_id or path.name.removesuffix(".yaml").removesuffix(".map")
    lines = [
        f"# Field map skeleton for {form_id}, written by `formservice forms inspect --skeleton`.",
        "# Check every proposal against the printed form; fields without one are commented out.",
        "# Format: see templates/pdf/tx_nofr001.map.yaml and formservice/documents/field_maps.py.",
        "form:",
        f"  id: {form_id}",
        f"  title: {form_id}",
        "  source: (where this PDF came from)",
        "fields:",
    ]
    for field in fields:
        if field.kind in ("button", "signature", "unknown"):
            continue
        key = json.dumps(field.name)  # a JSON string is a valid YAML double-quoted scalar
        where = f"p{field.page} {field.kind}"
        if field.on_states:
            where += f", on-states {'/'.join(field.on_states)}"
        if field.options:
            where += f", options {', '.join(field.options[:6])}"
        proposal = propose(field)
        if proposal is None:
            lines.append(f"  # {key}: {{}}  # {where}; tooltip: {field.tooltip or '-'}")
            continue
        concept, entry = proposal
        if field.kind in ("checkbox", "radio") and "source" in entry:
            entry = {"transform": {"checkbox_when": {"path": entry["source"], "equals": "?"}}}
        flow = yaml.safe_dump(entry, default_flow_style=True, width=1000).strip()
        lines.append(f"  {key}: {flow}  # {concept} ({where})")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def format_fields(fields: Sequence[FieldInfo]) -> str:
    """A plain-text table of fields, one per line, for `formservice forms inspect`."""
    header = f"{'page':>4}  {'type':9} {'rect (x0 y0 x1 y1)':26} {'flags':>8} {'max':>4}  name"
    lines = [header, "-" * len(header)]
    for f in fields:
        rect = " ".join(f"{v:.0f}" for v in f.rect)
        extra = []
        if f.on_states:
            extra.append(f"on-states: {', '.join('/' + s for s in f.on_states)}")
        if f.options:
            extra.append(f"options: {', '.join(f.options)}")
        if f.tooltip and f.tooltip != f.name:
            extra.append(f"tooltip: {f.tooltip}")
        max_len = str(f.max_length) if f.max_length else "-"
        line = f"{f.page:>4}  {f.kind:9} {rect:26} {f.flags:>8} {max_len:>4}  {f.name}"
        lines.append(line + (f"  [{'; '.join(extra)}]" if extra else ""))
    return "\n".join(lines) + "\n"
