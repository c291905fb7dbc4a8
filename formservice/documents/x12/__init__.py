"""X12 documents: the professional claim as an 837P (005010X222A1)."""

from formservice.documents.x12.claim837p import Claim837P, render_837p

__all__ = ["Claim837P", "render_837p"]
