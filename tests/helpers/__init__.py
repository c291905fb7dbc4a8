"""Helpers that several test modules share (data builders, contract constants).

Test modules import these, never each other: a test module imported by another would be
collected twice under some layouts and ties one module's tests to another's internals.
"""
