"""The two walks every JSON request pays for: nesting depth, and bad characters in any string."""

from __future__ import annotations

from typing import Any

import pytest

from formservice.schemas.common import (
    _BAD_CHARACTERS,
    BAD_CHARACTER_MESSAGE,
    _bad_strings,
    bad_characters,
    nesting_depth,
)


@pytest.mark.parametrize(
    ("value", "depth"),
    [
        ("text", 0),
        (None, 0),
        ({}, 1),
        ([], 1),
        ({"a": 1, "b": "x"}, 1),
        ([[1]], 2),
        ({"a": [{"b": {}}]}, 4),
        ([1, [2, [3, []]]], 4),
        ({"shallow": 1, "deep": [[[["x"]]]]}, 5),  # the deepest branch counts
        (("tuple", ("inner",)), 2),
    ],
)
def test_nesting_depth_counts_the_deepest_branch(value: Any, depth: int) -> None:
    assert nesting_depth(value) == depth


def test_nesting_depth_has_no_recursion_limit() -> None:
    value: Any = "leaf"
    for _ in range(5000):
        value = [value]
    assert nesting_depth(value) == 5000


def test_a_clean_payload_has_no_messages() -> None:
    assert _bad_strings({"patient": {"name": "Ana Sample", "tags": ["a", "b"]}, "n": 3}) == {}


def test_every_bad_string_is_named_by_its_path() -> None:
    # The quick check over all strings only decides whether to look; the messages still name
    # each place: a value, a list item, a key, deep or not.
    payload = {
        "patient": {"first_name": "Ana\x1b", "notes": ["fine", "bad\ud800"]},
        "ok": "clean",
        "key\x00": "value",
        "deep": [[{"x": "\ufffe"}]],
    }
    assert _bad_strings(payload) == {
        "patient": {
            "first_name": {"_schema": [BAD_CHARACTER_MESSAGE]},
            "notes": {1: {"_schema": [BAD_CHARACTER_MESSAGE]}},
        },
        "_schema": [f"A key: {BAD_CHARACTER_MESSAGE}"],
        "deep": {0: {0: {"x": {"_schema": [BAD_CHARACTER_MESSAGE]}}}},
    }


def test_the_ascii_shortcut_refuses_what_the_full_rule_refuses() -> None:
    # ASCII text is checked by deleting its bad bytes, anything else by the full character
    # class: both must give the same answer for every character, in ASCII text or not.
    for code in [*range(0x80), 0x80, 0x9F, 0xA0, 0xE9, 0xD800, 0xFDD0, 0xFFFE, 0x10FFFF]:
        expected = f"U+{code:04X}" if _BAD_CHARACTERS.search(chr(code)) else None
        for text in (f"Ana {chr(code)} Sample", f"José {chr(code)}"):
            assert bad_characters(text) == expected, (code, text)
        clean = _bad_strings({"name": f"Ana{chr(code)}"}) == {}
        assert clean is (expected is None), code
