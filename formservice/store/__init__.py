"""Persistence: SQLAlchemy tables and sessions, and the content-addressed blob store."""
