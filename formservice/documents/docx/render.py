"""Render DOCX templates (docxtpl syntax) into byte-identical, traceable documents, fast.

How a render works:

* `compile_template` runs docxtpl's own preprocessing once per template (``patch_xml`` on the
  body, the headers/footers and the footnotes) and compiles each part into a Jinja template on a
  sandboxed, autoescaping, ``StrictUndefined`` environment. The result is cached by the
  template's sha256, so re-publishing a template can never serve a stale compile.
* `render_docx` renders those compiled parts with the context, applies docxtpl's post-render
  steps (listing characters, table-grid and drawing-id fixes) so ``word/document.xml`` is the same
  text the plain ``DocxTemplate.render`` + ``save`` path writes, and writes a fresh zip: the
  untouched members are copied as bytes, only the rendered parts are replaced.
* Output is deterministic: fixed zip timestamps (1980-01-01), the template's member order, core
  properties dated from the letter (never the wall clock), and custom properties
  (``docProps/custom.xml``) carrying the caller's provenance (template name and hash, input hash).

A rendered `DocxTemplate` is never reused; the cache holds only immutable preprocessing results.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import docx.oxml.ns
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from lxml import etree

from formservice.documents.docx.ooxml import (
    CORE_CT,
    CORE_NAME,
    CORE_TEXT_TAGS,
    CUSTOM_CT,
    CUSTOM_NAME,
    PackedMember,
    core_properties_xml,
    custom_properties_xml,
    declare_part,
    document_text,
    pack_member,
    read_properties,
    write_zip,
)
from formservice.errors import FormserviceError

__all__ = [
    "CompiledTemplate",
    "TemplateRenderError",
    "compile_template",
    "document_text",
    "read_properties",
    "render_docx",
    "template_environment",
]

TemplateSource = str | PathLike[str] | bytes

_FIXED_TIMESTAMP = "1980-01-01T00:00:00Z"
_CACHE_SIZE = 32
_LISTING_CHARS = "\t\n\a\f"  # what docxtpl's resolve_listing turns into tabs, breaks, pages
_FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


class TemplateRenderError(FormserviceError):
    """A template that does not compile or render: syntax, a missing variable, a sandbox block."""

    status = 500
    slug = "template-render"
    title = "Template could not be rendered"

    def __init__(
        self,
        detail: str,
        *,
        template: str | None = None,
        line: int | None = None,
        excerpt: tuple[str, ...] = (),
        security: bool = False,
    ) -> None:
        super().__init__(detail)
        self.template = template
        self.line = line
        self.excerpt = excerpt
        self.security = security


@functools.lru_cache(maxsize=1)
def template_environment() -> ImmutableSandboxedEnvironment:
    """The one Jinja environment for DOCX templates: sandboxed, autoescaping, strict."""
    return ImmutableSandboxedEnvironment(
        autoescape=True,
        undefined=StrictUndefined,
        # None must never print as "None" in a letter.
        finalize=lambda value: "" if value is None else value,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class _Part:
    """One templated XML part of the package and how its rendered text becomes bytes."""

    name: str  # zip member name
    template: Template
    source: str  # the patched XML (kept for error excerpts)
    encoding: str
    reparse: bool  # headers/footers are re-parsed and re-serialized, as python-docx does


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A template preprocessed by docxtpl and compiled by Jinja, safe to share between renders."""

    sha256: str
    name: str
    order: tuple[str, ...]  # zip member names in output order (the template's, then new ones)
    packed: dict[str, PackedMember]  # every member that is not rendered, deflated once
    body_name: str
    body: _Part
    skeleton: Any  # the document root with its body removed (deep-copied per render)
    body_index: int
    parts: tuple[_Part, ...]
    core_name: str
    core_source: bytes | None
    core_templates: tuple[tuple[str, Template], ...]
    helper: DocxTemplate  # only its stateless post-processing methods are used


_cache: dict[str, CompiledTemplate] = {}
_cache_lock = threading.Lock()


def _excerpt(source: str, line: int | None) -> tuple[str, ...]:
    """Template text around a Jinja line number, tags stripped (docxtpl's docx_context)."""
    if line is None:
        return ()
    start = max(line - 4, 0)
    lines = source.splitlines()[start : start + 7]
    return tuple(t for t in (re.sub(r"<[^>]+>", "", x).strip() for x in lines) if t)


def _error(exc: Exception, name: str, source: str = "") -> TemplateRenderError:
    line = getattr(exc, "lineno", None)
    security = isinstance(exc, SecurityError)
    kind = "blocked by the template sandbox" if security else type(exc).__name__
    excerpt = _excerpt(source, line)
    near = f" near: {' | '.join(excerpt)[:200]}" if excerpt else ""
    return TemplateRenderError(
        f"template {name!r}: {kind}: {exc}{near}",
        template=name,
        line=line,
        excerpt=excerpt,
        security=security,
    )


def _compile_part(
    env: ImmutableSandboxedEnvironment, xml: str, name: str, template_name: str, **kw: Any
) -> _Part:
    # The same newline docxtpl's render_xml_part inserts, so error line numbers agree with it.
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
    try:
        template = env.from_string(source)
    except TemplateSyntaxError as exc:
        raise _error(exc, template_name, source) from exc
    return _Part(name=name, template=template, source=source, **kw)


def _load(data: bytes, name: str) -> CompiledTemplate:
    env = template_environment()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = tuple((info.filename, zf.read(info.filename)) for info in zf.infolist())
        helper = DocxTemplate(io.BytesIO(data))
        helper.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateRenderError(f"template {name!r} is not a readable DOCX file: {exc}") from exc
    document = helper.docx
    assert document is not None  # noqa: S101  # init_docx() always loads it
    main_part = document.part
    body_xml = helper.patch_xml(helper.get_xml())
    body = _compile_part(
        env, body_xml, main_part.partname.lstrip("/"), name, encoding="utf-8", reparse=False
    )
    skeleton = copy.deepcopy(document.element)
    old_body = skeleton.find(docx.oxml.ns.qn("w:body"))
    body_index = skeleton.index(old_body)
    skeleton.remove(old_body)

    parts: list[_Part] = []
    for uri in (helper.HEADER_URI, helper.FOOTER_URI):
        for _rel, part in helper.get_headers_footers(uri):
            xml = helper.get_part_xml(part)
            parts.append(
                _compile_part(
                    env,
                    helper.patch_xml(xml),
                    part.partname.lstrip("/"),
                    name,
                    encoding=helper.get_headers_footers_encoding(xml),
                    reparse=True,
                )
            )
    for part in document.part.package.parts:
        if part.content_type == _FOOTNOTES_CT:
            blob = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
            parts.append(
                _compile_part(
                    env,
                    helper.patch_xml(blob),
                    part.partname.lstrip("/"),
                    name,
                    encoding="utf-8",
                    reparse=False,
                )
            )

    core_name: str | None = None
    core_source = None
    for member, blob in members:
        if member.lower() == "docprops/core.xml":
            core_name, core_source = member, blob
    core_templates = []
    props = document.core_properties
    # Plain text, not XML: lxml escapes it when core.xml is written, so Jinja must not as well.
    text_env = env.overlay(autoescape=False)
    for attr in CORE_TEXT_TAGS:
        try:
            core_templates.append((attr, text_env.from_string(getattr(props, attr) or "")))
        except TemplateSyntaxError as exc:
            raise _error(exc, name) from exc

    # Declare core.xml (when the template lacks it) and custom.xml once, here, not per render.
    package = dict(members)
    if core_name is None:
        core_name = CORE_NAME
        package[core_name] = b""
        declare_part(package, core_name, CORE_CT, RT.CORE_PROPERTIES)
    package[CUSTOM_NAME] = b""
    declare_part(package, CUSTOM_NAME, CUSTOM_CT, RT.CUSTOM_PROPERTIES)
    rendered = {body.name, *(p.name for p in parts), core_name, CUSTOM_NAME}

    return CompiledTemplate(
        sha256=hashlib.sha256(data).hexdigest(),
        name=name,
        order=tuple(package),
        packed={n: pack_member(n, b) for n, b in package.items() if n not in rendered},
        body_name=body.name,
        body=body,
        skeleton=skeleton,
        body_index=body_index,
        parts=tuple(parts),
        core_name=core_name,
        core_source=core_source,
        core_templates=tuple(core_templates),
        helper=helper,
    )


def _read_source(template: TemplateSource) -> tuple[bytes, str]:
    if isinstance(template, bytes):
        return template, "<bytes>"
    path = Path(template)
    return path.read_bytes(), path.stem


def compile_template(template: TemplateSource, *, sha256: str | None = None) -> CompiledTemplate:
    """The compiled form of a template (a path or the DOCX bytes), cached by content sha256.

    `sha256` is the hash of the bytes when the caller already knows it (a registry version):
    a cache hit then costs no hashing of the template.
    """
    if sha256 is not None:
        with _cache_lock:
            hit = _cache.get(sha256)
        if hit is not None:
            return hit
    data, name = _read_source(template)
    digest = hashlib.sha256(data).hexdigest()
    with _cache_lock:
        hit = _cache.get(digest)
    if hit is not None:
        return hit
    compiled = _load(data, name)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache.setdefault(digest, compiled)
        return _cache[digest]


def _render_text(part: _Part, context: Mapping[str, Any], compiled: CompiledTemplate) -> str:
    try:
        xml = part.template.render(context)
    except TemplateError as exc:
        raise _error(exc, compiled.name, part.source) from exc
    # docxtpl's render_xml_part post-processing, in its order.
    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if not any(c in xml for c in _LISTING_CHARS):
        # resolve_listing rewrites only these characters; without them it returns its input,
        # after a regex pass over every paragraph and run (a third of a render).
        return xml
    return str(compiled.helper.resolve_listing(xml))


def _render_body(compiled: CompiledTemplate, context: Mapping[str, Any]) -> bytes:
    xml = _render_text(compiled.body, context, compiled)
    tree = compiled.helper.fix_tables(xml)
    # DocxTemplate.fix_docpr_ids numbers drawings from 1001 on every render.
    nsmap = docx.oxml.ns.nsmap
    for number, element in enumerate(tree.xpath("//wp:docPr", namespaces=nsmap), start=1001):
        element.attrib["id"] = str(number)
    root = copy.deepcopy(compiled.skeleton)
    root.insert(compiled.body_index, tree)
    return bytes(etree.tostring(root, encoding="UTF-8", standalone=True))


def _render_part(compiled: CompiledTemplate, part: _Part, context: Mapping[str, Any]) -> bytes:
    xml = _render_text(part, context, compiled)
    blob = xml.encode(part.encoding)
    if not part.reparse:
        return blob
    try:
        element = parse_xml(blob)
    except etree.XMLSyntaxError as exc:
        raise TemplateRenderError(
            f"template {compiled.name!r}: part {part.name} is not valid XML after rendering: {exc}",
            template=compiled.name,
        ) from exc
    return bytes(etree.tostring(element, encoding="UTF-8", standalone=True))


def _timestamp(created: date | datetime | None, context: Mapping[str, Any]) -> str:
    if created is None:
        document = context.get("document")
        iso = document.get("date_iso") if isinstance(document, Mapping) else None
        created = date.fromisoformat(iso) if iso else None
    if created is None:
        return _FIXED_TIMESTAMP
    if isinstance(created, datetime):
        return created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{created.isoformat()}T00:00:00Z"


def _core_xml(compiled: CompiledTemplate, context: Mapping[str, Any], stamp: str) -> bytes:
    texts = {}
    for attr, template in compiled.core_templates:
        try:
            texts[attr] = template.render(context)
        except TemplateError as exc:
            raise _error(exc, compiled.name) from exc
    return core_properties_xml(compiled.core_source, texts, stamp)


def render_docx(
    template: TemplateSource,
    context: Mapping[str, Any],
    *,
    properties: Mapping[str, str],
    created: date | datetime | None = None,
    sha256: str | None = None,
) -> bytes:
    """Render a DOCX template with a context into deterministic DOCX bytes.

    `properties` become custom document properties (provenance: template name and hash, input
    hash). `created` dates the core properties; by default the context's ``document.date_iso``,
    else 1980-01-01. `sha256` is the template's content hash if known (spares hashing it).
    Raises `TemplateRenderError` for any template problem.
    """
    compiled = compile_template(template, sha256=sha256)
    rendered: dict[str, bytes] = {compiled.body_name: _render_body(compiled, context)}
    for part in compiled.parts:
        rendered[part.name] = _render_part(compiled, part, context)
    rendered[compiled.core_name] = _core_xml(compiled, context, _timestamp(created, context))
    rendered[CUSTOM_NAME] = custom_properties_xml(properties)
    return write_zip(
        [compiled.packed.get(n) or pack_member(n, rendered[n]) for n in compiled.order]
    )
