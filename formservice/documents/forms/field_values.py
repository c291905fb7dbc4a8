"""What a field holds for a value: the text of a text field, the state of a button, the option
of a choice; a value the field cannot take is `Rejected`, never guessed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from formservice.documents.forms.spec import FieldSpec

__all__ = ["FieldValue", "Rejected", "as_text", "choose_state", "option_index", "option_state"]

FieldValue = str | bool | int | float | date | Sequence[str] | None


class Rejected(Exception):
    """A value this field cannot take; collected into one ValidationProblem."""


def as_text(value: FieldValue) -> str:
    """A value as a text field shows it (Yes/No, MM/DD/YYYY, lists joined by commas)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, str | int | float):
        return str(value)
    return ", ".join(str(v) for v in value or ())


def option_state(spec: FieldSpec, index: int) -> str:
    """The state name of the index-th widget of a button without its own on-state."""
    return str(index) if spec.options else "Yes"


def choose_state(spec: FieldSpec, value: FieldValue) -> str:
    """The on-state (or 'Off') a value selects, read from the widgets, never guessed."""
    states = spec.on_states or tuple(
        option_state(spec, i) for i in range(max(1, len(spec.widgets)))
    )
    if value is False or (isinstance(value, str) and value.strip().lstrip("/") == "Off"):
        return "Off"
    if value is True:
        if spec.kind == "radio" and len(states) > 1:
            raise Rejected(f"choose one of {', '.join(states)}, not true")
        return states[0]
    text = str(value).lstrip("/") if isinstance(value, str) else str(value)
    for state in states:
        if state == text or state.strip().lower() == text.strip().lower():
            return state
    for index, (export, display) in enumerate(spec.options):
        if text in (export, display) and index < len(spec.widgets):
            own = spec.widgets[index].on_states
            return own[0] if own else str(index)
    choices = [*states, *(e for e, _ in spec.options)]
    raise Rejected(f"{text!r} is not an option of this field: {', '.join(dict.fromkeys(choices))}")


def option_index(spec: FieldSpec, value: str) -> int | None:
    """The option a value names, by export value first, then by display text."""
    for index, (export, _) in enumerate(spec.options):
        if export == value:
            return index
    for index, (_, display) in enumerate(spec.options):
        if display == value:
            return index
    return None
