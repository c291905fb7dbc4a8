"""DOCX → PDF: a warm LibreOffice pool (`libreoffice`) driving a UNO worker (`soffice`)."""

from formservice.documents.convert.libreoffice import (
    ConversionTimeoutError,
    Converter,
    ConverterUnavailableError,
    LibreOfficeConverter,
    check_docx,
    cold_convert,
)

__all__ = [
    "ConversionTimeoutError",
    "Converter",
    "ConverterUnavailableError",
    "LibreOfficeConverter",
    "check_docx",
    "cold_convert",
]
