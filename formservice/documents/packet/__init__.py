"""The appeal packet: one PDF a clinic can sign and fax (cover sheet, letters, the denial...)."""

from formservice.documents.packet.assemble import Part, assemble, build_appeal_packet, cover_sheet

__all__ = ["Part", "assemble", "build_appeal_packet", "cover_sheet"]
