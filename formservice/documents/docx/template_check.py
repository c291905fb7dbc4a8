"""Check a DOCX letter template before it is published, and say where each problem is.

What is checked, part by part (body, headers, footers, footnotes):

* the file is a DOCX and not a zip bomb (sizes of the unzipped members are limited);
* no XML part declares a DTD (external entities, entity bombs: `unsafe_xml`);
* Word's smart quotes inside a Jinja tag (`{{ x == “a” }}` never compiles as intended);
* tags docxtpl cannot repair: an opening ``{{``/``{%`` with no closing one, or a tag that
  still holds Word XML after docxtpl's own run-merging (``patch_xml``);
* Jinja syntax errors, on the same preprocessed text docxtpl renders;
* docxtpl's rich tags (``{{r x}}``, ``{{p x}}``, ``{{tr x}}``, ``{{tc x}}``) on values the case
  context gives as plain text: docxtpl writes such a value outside any run, where Word shows
  nothing, so the value would vanish from every letter;
* variables the template uses that the case context does not provide.

Every problem carries the text of the paragraph it was found in (unescaped: ``<``, not ``&lt;``),
located by the tag that holds the problem, so a template author can find it in Word. Unknown
variables are reported separately: `check_template` lists them, publishing refuses them.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from formservice.documents.docx.ooxml import SAFE_XML as _SAFE_XML
from formservice.documents.docx.ooxml import unsafe_xml
from formservice.documents.docx.template_compile import template_environment

MAX_UNZIPPED_BYTES = 30 * 1024 * 1024
MAX_MEMBER_RATIO = 200  # uncompressed/compressed; real DOCX parts stay far below
MAX_MEMBERS = 2000

_SMART_QUOTES = "\u2018\u2019\u201c\u201d\u201e\u201f\u2032\u2033"
_TAG = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
_PARAGRAPH = re.compile(r"<w:p[ >].*?</w:p>", re.DOTALL)
_TEXT = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>")
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
_RICH_TAG = re.compile(r"^{{\s*(r|p|tr|tc)\s+(.*?)}}$", re.DOTALL)
_RICH_KINDS = {
    "r": "a RichText run",
    "p": "a RichTextParagraph or sub-document",
    "tr": "a table row",
    "tc": "a table cell",
}

_TEMPLATED_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes)\.xml$")


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a template, and where."""

    # not_docx | too_large | unsafe_xml | smart_quotes | split_tag | syntax | rich_tag |
    # unknown_variable | sandbox | limit | render (the last three from the preview render)
    kind: str
    message: str
    part: str = ""
    paragraph: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "message": self.message,
            "part": self.part,
            "paragraph": self.paragraph,
        }


@dataclass
class TemplateReport:
    """The result of checking a template: errors block publishing; so do unknown variables."""

    problems: list[TemplateProblem] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    unknown_variables: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[TemplateProblem]:
        return [p for p in self.problems if p.kind != "unknown_variable"]

    @property
    def ok(self) -> bool:
        """No error that stops docxtpl from rendering (unknown variables aside)."""
        return not self.errors

    @property
    def publishable(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "publishable": self.publishable,
            "problems": [p.to_json() for p in self.problems],
            "variables": sorted(self.variables),
            "unknown_variables": self.unknown_variables,
        }


def _paragraph_texts(xml: str) -> list[str]:
    """Each paragraph's text as Word shows it (XML entities such as &lt; unescaped)."""
    return [html.unescape("".join(_TEXT.findall(p))) for p in _PARAGRAPH.findall(xml)]


def _paragraph_of(xml: str, needle: str) -> str:
    for text in _paragraph_texts(xml):
        if needle in text:
            return text.strip()[:300]
    return ""


def _paragraph_of_variable(xml: str, name: str) -> str:
    """The first paragraph with a tag that names the variable (not a word of its prose, nor an
    attribute or a string literal of another tag)."""
    uses = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    for text in _paragraph_texts(xml):
        for tag in _TAG.findall(text):
            if uses.search(_STRING.sub("''", tag)):
                return text.strip()[:300]
    return _paragraph_of(xml, name)


def _rich_tags(
    part: str, xml: str, known: frozenset[str], rich: frozenset[str]
) -> list[TemplateProblem]:
    """Rich tags printing a variable the context gives as plain text (unknown ones are
    reported as unknown)."""
    problems = []
    for text in _paragraph_texts(xml):
        for tag in _TAG.findall(text):
            match = _RICH_TAG.match(tag)
            if match is None:
                continue
            expr = match.group(2).strip()
            root = re.split(r"[.\[|( ]", expr, maxsplit=1)[0]
            if root not in known or root in rich:
                continue
            problems.append(
                TemplateProblem(
                    "rich_tag",
                    f"The tag {tag!r} asks docxtpl for a rich value "
                    f"({_RICH_KINDS[match.group(1)]}), but the case context gives {expr!r} as "
                    f"plain text, which docxtpl would drop from the letter: write "
                    f"{{{{ {expr} }}}} instead.",
                    part,
                    text.strip()[:300],
                )
            )
    return problems


def _check_zip(data: bytes) -> tuple[list[TemplateProblem], dict[str, str]]:
    if not data.startswith(b"PK"):
        return [TemplateProblem("not_docx", "The file is not a DOCX (not a zip package).")], {}
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        return [TemplateProblem("not_docx", f"The file is not a readable DOCX: {exc}.")], {}
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if len(infos) > MAX_MEMBERS or total > MAX_UNZIPPED_BYTES:
            return [
                TemplateProblem(
                    "too_large",
                    f"The DOCX unpacks to {total} bytes in {len(infos)} parts; the limits are "
                    f"{MAX_UNZIPPED_BYTES} bytes and {MAX_MEMBERS} parts.",
                )
            ], {}
        for info in infos:
            if info.compress_size and info.file_size / info.compress_size > MAX_MEMBER_RATIO:
                return [
                    TemplateProblem(
                        "too_large",
                        f"Part {info.filename} is compressed {info.file_size // info.compress_size}"
                        f":1, more than a document part ever is (limit {MAX_MEMBER_RATIO}:1).",
                    )
                ], {}
        names = zf.namelist()
        if "word/document.xml" not in names:
            return [TemplateProblem("not_docx", "The package has no word/document.xml.")], {}
        for n in names:
            unsafe = unsafe_xml(n, zf.read(n)) if n.endswith((".xml", ".rels")) else None
            if unsafe:
                return [TemplateProblem("unsafe_xml", unsafe, n)], {}
        parts = {}
        for n in names:
            if not _TEMPLATED_PARTS.match(n):
                continue
            try:
                # Re-serialised as python-docx hands it to docxtpl: entities such as &quot;
                # become characters, so tags read the same here as when rendering.
                root = etree.fromstring(zf.read(n), parser=_SAFE_XML)
            except etree.XMLSyntaxError as exc:
                return [TemplateProblem("not_docx", f"{n} is not well-formed XML: {exc}.", n)], {}
            parts[n] = etree.tostring(root, encoding="unicode")
    return [], parts


def _check_tags(part: str, xml: str) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    for text in _paragraph_texts(xml):
        for tag in _TAG.findall(text):
            if any(q in tag for q in _SMART_QUOTES):
                problems.append(
                    TemplateProblem(
                        "smart_quotes",
                        f"Smart quotes inside the tag {tag!r}: docxtpl would silently straighten "
                        "them; retype them as straight quotes (Word: AutoFormat, smart quotes).",
                        part,
                        text.strip()[:300],
                    )
                )
    full = "".join(_paragraph_texts(xml))
    for opener, closer in (("{{", "}}"), ("{%", "%}")):
        if full.count(opener) != full.count(closer):
            where = next(
                (t for t in _paragraph_texts(xml) if t.count(opener) != t.count(closer)), ""
            )
            problems.append(
                TemplateProblem(
                    "split_tag",
                    f"{full.count(opener)} '{opener}' but {full.count(closer)} '{closer}': "
                    "a tag is not closed or is broken apart.",
                    part,
                    where.strip()[:300],
                )
            )
    return problems


def _variables(ast: nodes.Template) -> set[str]:
    return set(meta.find_undeclared_variables(ast))


def _part_variables(
    env: ImmutableSandboxedEnvironment, patcher: DocxTemplate, part: str, xml: str
) -> tuple[list[TemplateProblem], set[str] | None]:
    """One part's tags as docxtpl merges them: the problems, and the variables they name (None
    when the part does not compile)."""
    problems: list[TemplateProblem] = []
    patched = patcher.patch_xml(xml)
    for tag in _TAG.findall(patched):
        if "<" in tag:
            problems.append(
                TemplateProblem(
                    "split_tag",
                    "A tag spans structure docxtpl cannot merge (e.g. a table cell or a "
                    "field): type it again in one go.",
                    part,
                    _paragraph_of(xml, re.sub(r"<[^>]+>", "", tag)[:20]),
                )
            )
            break
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)
    try:
        # find_undeclared_variables compiles the template, so unknown filters surface too.
        return problems, _variables(env.parse(source))
    except TemplateSyntaxError as exc:
        lines = source.splitlines()
        line = lines[exc.lineno - 1] if exc.lineno and exc.lineno <= len(lines) else ""
        paragraph = "".join(_TEXT.findall(line)) or re.sub(r"<[^>]+>", "", line)
        problems.append(
            TemplateProblem(
                "syntax", f"Jinja syntax error: {exc.message}", part, paragraph.strip()[:300]
            )
        )
        return problems, None


def check_template(
    data: bytes, known_variables: Iterable[str] = (), rich_variables: Iterable[str] = ()
) -> TemplateReport:
    """Check DOCX template bytes; unknown variables are those outside `known_variables`.

    rich_variables: the context's names that hold docxtpl rich objects (RichText, Subdoc...),
    the only values a ``{{r}}``/``{{p}}``/``{{tr}}``/``{{tc}}`` tag may print; none today.
    """
    rich = frozenset(rich_variables)
    known = frozenset(known_variables)
    report = TemplateReport()
    zip_problems, parts = _check_zip(data)
    if zip_problems:
        report.problems.extend(zip_problems)
        return report
    env = template_environment()
    patcher = DocxTemplate.__new__(DocxTemplate)  # patch_xml only uses its arguments
    locations: dict[str, tuple[str, str]] = {}
    for part, xml in sorted(parts.items()):
        tag_problems = _check_tags(part, xml)
        report.problems.extend(tag_problems)
        report.problems.extend(_rich_tags(part, xml, known, rich))
        if any(p.kind == "split_tag" for p in tag_problems):
            continue
        part_problems, names = _part_variables(env, patcher, part, xml)
        report.problems.extend(part_problems)
        if names is None:
            continue
        for name in names:
            report.variables.add(name)
            locations.setdefault(name, (part, _paragraph_of_variable(xml, name)))
    report.unknown_variables = sorted(report.variables - known)
    for name in report.unknown_variables:
        part, paragraph = locations[name]
        report.problems.append(
            TemplateProblem(
                "unknown_variable",
                f"The variable {name!r} is not provided by the case context.",
                part,
                paragraph,
            )
        )
    return report
