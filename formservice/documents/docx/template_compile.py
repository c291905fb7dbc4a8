"""Compile a DOCX template once: docxtpl's preprocessing and Jinja's compile, cached by content.

`compile_template` runs docxtpl's own preprocessing once per template (``patch_xml`` on the body,
the headers/footers and the footnotes) and compiles each part into a Jinja template on a
sandboxed, autoescaping, ``StrictUndefined`` environment (`template_environment`). The result is
cached by the template's sha256, so re-publishing a template can never serve a stale compile.
The cache holds only immutable preprocessing results; `render` renders them.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import re
import threading
import zipfile
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import docx.oxml.ns
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from lxml import etree

from formservice.documents.docx.limits import LimitedSandbox
from formservice.documents.docx.ooxml import (
    CORE_CT,
    CORE_NAME,
    CORE_TEXT_TAGS,
    CUSTOM_CT,
    CUSTOM_NAME,
    PackedMember,
    declare_part,
    pack_member,
    unsafe_xml,
)
from formservice.errors import FormserviceError, TemplateRejectedError

__all__ = [
    "CompiledTemplate",
    "Part",
    "TemplateRenderError",
    "TemplateSource",
    "compile_template",
    "template_environment",
    "template_error",
]

TemplateSource = str | PathLike[str] | bytes

_CACHE_SIZE = 32
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
    """The one Jinja environment for DOCX templates: sandboxed, autoescaping, strict, and
    bounded by the current render's budget (`limits.LimitedSandbox`)."""
    return LimitedSandbox(
        autoescape=True,
        undefined=StrictUndefined,
        # None must never print as "None" in a letter.
        finalize=lambda value: "" if value is None else value,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class Part:
    """One templated XML part of the package and how its rendered text becomes bytes."""

    name: str  # zip member name
    template: Template
    source: str  # the patched XML (kept for error excerpts)
    encoding: str
    reparse: bool  # headers/footers are re-parsed and re-serialized, as python-docx does
    # No Jinja syntax at all (a plain footer, say): its output is the same for every context, so
    # `render` deflates it once per compiled template and reuses the bytes.
    static: bool = False


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A template preprocessed by docxtpl and compiled by Jinja, safe to share between renders."""

    sha256: str
    name: str
    order: tuple[str, ...]  # zip member names in output order (the template's, then new ones)
    packed: dict[str, PackedMember]  # every member that is not rendered, deflated once
    body_name: str
    body: Part
    skeleton: Any  # the document root with its body removed (deep-copied per render)
    body_index: int
    parts: tuple[Part, ...]
    core_name: str
    core_source: bytes | None
    core_templates: tuple[tuple[str, Template], ...]
    helper: DocxTemplate  # only its stateless post-processing methods are used
    # Static parts' output, filled by `render` on first use (the same bytes for every context;
    # two threads filling it at once write equal values).
    static_packed: dict[str, PackedMember] = field(default_factory=dict)


_cache: dict[str, CompiledTemplate] = {}
_cache_lock = threading.Lock()


def _excerpt(source: str, line: int | None) -> tuple[str, ...]:
    """Template text around a Jinja line number, tags stripped (docxtpl's docx_context)."""
    if line is None:
        return ()
    start = max(line - 4, 0)
    lines = source.splitlines()[start : start + 7]
    return tuple(t for t in (re.sub(r"<[^>]+>", "", x).strip() for x in lines) if t)


def template_error(
    exc: Exception, name: str, source: str = ""
) -> TemplateRenderError | TemplateRejectedError:
    """A Jinja error as a TemplateRenderError: the template, the line and the text near it.

    A sandbox block is the template's fault, not the server's: a `TemplateRejectedError` (422)
    with the reason, so publishing refuses it and a render says why.
    """
    line = getattr(exc, "lineno", None)
    security = isinstance(exc, SecurityError)
    kind = "blocked by the template sandbox" if security else type(exc).__name__
    excerpt = _excerpt(source, line)
    near = f" near: {' | '.join(excerpt)[:200]}" if excerpt else ""
    if security:
        return TemplateRejectedError(
            f"template {name!r}: {kind}: {exc}{near}", limit="sandbox", line=line
        )
    return TemplateRenderError(
        f"template {name!r}: {kind}: {exc}{near}",
        template=name,
        line=line,
        excerpt=excerpt,
        security=security,
    )


def _compile_part(
    env: ImmutableSandboxedEnvironment, xml: str, name: str, template_name: str, **kw: Any
) -> Part:
    # The same newline docxtpl's render_xml_part inserts, so error line numbers agree with it.
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
    try:
        template = env.from_string(source)
        static = _is_static(env, source)
    except TemplateSyntaxError as exc:
        raise template_error(exc, template_name, source) from exc
    return Part(name=name, template=template, source=source, static=static, **kw)


def _is_static(env: ImmutableSandboxedEnvironment, source: str) -> bool:
    """True when Jinja's parse of `source` is literal text only: no expression, tag or comment
    that a context could change (decided on the syntax tree, not by searching for braces)."""
    return all(
        isinstance(node, nodes.Output)
        and all(isinstance(child, nodes.TemplateData) for child in node.nodes)
        for node in env.parse(source).body
    )


def _load(data: bytes, name: str) -> CompiledTemplate:
    env = template_environment()
    members, helper = _open_docx(data, name)
    document = helper.docx
    assert document is not None  # noqa: S101  # init_docx() always loads it
    body = _compile_part(
        env,
        helper.patch_xml(helper.get_xml()),
        document.part.partname.lstrip("/"),
        name,
        encoding="utf-8",
        reparse=False,
    )
    skeleton = copy.deepcopy(document.element)
    old_body = skeleton.find(docx.oxml.ns.qn("w:body"))
    body_index = skeleton.index(old_body)
    skeleton.remove(old_body)
    parts = [*_compile_headers_footers(env, helper, name), *_compile_footnotes(env, helper, name)]
    core_name, core_source = _core_member(members)
    core_templates = _compile_core_properties(env, helper, name)
    package, core_name = _declare_property_parts(members, core_name)
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


def _open_docx(data: bytes, name: str) -> tuple[tuple[tuple[str, bytes], ...], DocxTemplate]:
    """The zip members in order, and docxtpl's helper on the loaded document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = tuple((info.filename, zf.read(info.filename)) for info in zf.infolist())
        for member, blob in members:
            # Before python-docx parses anything: a template stored before this check existed.
            unsafe = unsafe_xml(member, blob) if member.endswith((".xml", ".rels")) else None
            if unsafe:
                raise TemplateRejectedError(f"template {name!r}: {unsafe}", limit="unsafe_xml")
        helper = DocxTemplate(io.BytesIO(data))
        helper.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateRenderError(f"template {name!r} is not a readable DOCX file: {exc}") from exc
    return members, helper


def _compile_headers_footers(
    env: ImmutableSandboxedEnvironment, helper: DocxTemplate, name: str
) -> list[Part]:
    parts: list[Part] = []
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
    return parts


def _compile_footnotes(
    env: ImmutableSandboxedEnvironment, helper: DocxTemplate, name: str
) -> list[Part]:
    document = helper.docx
    assert document is not None  # noqa: S101  # init_docx() always loads it
    parts: list[Part] = []
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
    return parts


def _core_member(members: tuple[tuple[str, bytes], ...]) -> tuple[str | None, bytes | None]:
    """The template's own docProps/core.xml (its member name as spelled, and bytes), if any."""
    core_name: str | None = None
    core_source = None
    for member, blob in members:
        if member.lower() == "docprops/core.xml":
            core_name, core_source = member, blob
    return core_name, core_source


def _compile_core_properties(
    env: ImmutableSandboxedEnvironment, helper: DocxTemplate, name: str
) -> list[tuple[str, Template]]:
    document = helper.docx
    assert document is not None  # noqa: S101  # init_docx() always loads it
    core_templates = []
    props = document.core_properties
    # Plain text, not XML: lxml escapes it when core.xml is written, so Jinja must not as well.
    text_env = env.overlay(autoescape=False)
    for attr in CORE_TEXT_TAGS:
        try:
            core_templates.append((attr, text_env.from_string(getattr(props, attr) or "")))
        except TemplateSyntaxError as exc:
            raise template_error(exc, name) from exc
    return core_templates


def _declare_property_parts(
    members: tuple[tuple[str, bytes], ...], core_name: str | None
) -> tuple[dict[str, bytes], str]:
    """The package with core.xml (when the template lacks it) and custom.xml declared.

    Declared once, here, not per render.
    """
    package = dict(members)
    if core_name is None:
        core_name = CORE_NAME
        package[core_name] = b""
        declare_part(package, core_name, CORE_CT, RT.CORE_PROPERTIES)
    package[CUSTOM_NAME] = b""
    declare_part(package, CUSTOM_NAME, CUSTOM_CT, RT.CUSTOM_PROPERTIES)
    return package, core_name


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
            known = _cache.get(sha256)
        if known is not None:
            return known
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
