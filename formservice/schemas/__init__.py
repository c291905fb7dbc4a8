"""Marshmallow schemas: the public payloads, validated and documented in one place."""
