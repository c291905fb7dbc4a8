"""What one template render may cost: string sizes, loop iterations, time and output.

Jinja's sandbox stops a template reaching Python internals, but not one that asks for a lot:
``{{ 'x' * 20000000 }}``, a loop of nine million iterations, a string doubled thirty times. Such
a template held a worker for minutes and made the PDF converter time out for everyone after it.
`LimitedSandbox` bounds every way a template makes a big value or a long loop:

* sequence repetition, concatenation (``+``, ``~``), ``%`` formatting, ``**``, str methods that
  pad (``ljust``, ``center``...), ``str.format`` widths and every filter's result: a value longer
  than `TemplateLimits.max_string_chars` is refused, *before* it is made where the size is known
  up front (``*``, padding widths), right after otherwise (so at most twice the limit is built);
* ``range`` sizes, and the iterations of every ``for`` loop of one render together, at
  `TemplateLimits.max_loop_iterations` (deterministic: the same template fails the same way);
* the wall time of one render (`render_seconds`) and the rendered XML's size (`max_output_bytes`),
  checked at every loop step, call, operator and output chunk.

A render runs inside `render_budget(limits)`; the checks read the budget of the current context
(a `ContextVar`, so threads rendering at once each have their own). A template over a limit
raises `TemplateRejectedError` (422) naming the limit, so publishing refuses it with the reason.
"""

from __future__ import annotations

import functools
import math
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

from formservice.errors import TemplateRejectedError

__all__ = [
    "DEFAULT_LIMITS",
    "LimitedSandbox",
    "TemplateLimits",
    "join_counted",
    "render_budget",
]


@dataclass(frozen=True)
class TemplateLimits:
    """The budget of one render (settings: FORMSERVICE_TEMPLATE_*)."""

    max_string_chars: int = 1_000_000  # a whole letter's text is ~10 000
    max_loop_iterations: int = 100_000  # every loop of one render together; range() sizes too
    render_seconds: float = 5.0  # a letter renders in ~0.05 s
    max_output_bytes: int = 5_000_000  # rendered XML of all parts; a letter's is ~100 000


DEFAULT_LIMITS = TemplateLimits()


@dataclass
class _Budget:
    limits: TemplateLimits
    deadline: float
    iterations: int = 0
    output: int = 0
    ticks: int = field(default=0)


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


@contextmanager
def render_budget(limits: TemplateLimits) -> Iterator[None]:
    """Run a render under `limits` (time counted from here)."""
    token = _budget.set(_Budget(limits, time.monotonic() + limits.render_seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def _limits() -> TemplateLimits:
    budget = _budget.get()
    return budget.limits if budget else DEFAULT_LIMITS


def _tick() -> None:
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise TemplateRejectedError(
            f"the template took more than {budget.limits.render_seconds:g} s to render "
            "(FORMSERVICE_TEMPLATE_RENDER_SECONDS)",
            limit="render_seconds",
        )


def _too_long(size: int, what: str) -> TemplateRejectedError:
    limit = _limits().max_string_chars
    return TemplateRejectedError(
        f"the template makes {what} of {size} items; the limit is {limit} "
        "(FORMSERVICE_TEMPLATE_MAX_STRING_CHARS)",
        limit="max_string_chars",
    )


def _check_size(value: Any, what: str = "a value") -> Any:
    if isinstance(value, (str, bytes, list, tuple)) and len(value) > _limits().max_string_chars:
        raise _too_long(len(value), what)
    return value


def join_counted(chunks: Iterable[str]) -> str:
    """The rendered chunks joined, counted against the output and time budget as they come
    (so a runaway template stops while it writes, not after)."""
    budget = _budget.get()
    if budget is None:
        return "".join(chunks)
    limit = budget.limits.max_output_bytes
    parts: list[str] = []
    total = budget.output
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise TemplateRejectedError(
                f"the template's output passed {limit} bytes "
                "(FORMSERVICE_TEMPLATE_MAX_OUTPUT_BYTES)",
                limit="max_output_bytes",
            )
        parts.append(chunk)
        if not len(parts) & 63:  # the clock every 64 chunks: a chunk is cheap, a clock read not
            _tick()
    budget.output = total
    _tick()
    return "".join(parts)


def _counted(iterable: Any) -> Iterator[Any]:
    """A for loop's iterable, each step counted against the render's iterations and time."""
    budget = _budget.get()
    for item in iterable:
        if budget is not None:
            budget.iterations += 1
            if budget.iterations > budget.limits.max_loop_iterations:
                raise TemplateRejectedError(
                    f"the template's loops ran more than {budget.limits.max_loop_iterations} "
                    "iterations (FORMSERVICE_TEMPLATE_MAX_LOOP_ITERATIONS)",
                    limit="max_loop_iterations",
                )
            _tick()
        yield item


def _range(*args: int) -> range:
    """range(), refused above the loop-iteration limit (Jinja's sandbox allows 100 000)."""
    rng = range(*args)
    limit = _limits().max_loop_iterations
    if len(rng) > limit:
        raise TemplateRejectedError(
            f"range() of {len(rng)} items; the limit is {limit} "
            "(FORMSERVICE_TEMPLATE_MAX_LOOP_ITERATIONS)",
            limit="max_loop_iterations",
        )
    return rng


# str methods whose integer argument is the length of the result.
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_DIGITS = re.compile(r"\d+")
# Filter names the AST rewrite calls (not meant for templates; harmless if a template does).
_COUNT_LOOP = "_formservice_counted"
_CHECK_SIZE = "_formservice_sized"


def _widths(fmt: str) -> int:
    """The largest number written in a format string or spec (a width or precision)."""
    return max((int(d) for d in _DIGITS.findall(fmt) if len(d) < 30), default=0)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, bounded by the current render's `TemplateLimits`."""

    intercepted_binops = frozenset({"*", "+", "%", "**", "//"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _range
        self.filters = {name: _sized_filter(f) for name, f in self.filters.items()}
        self.filters[_COUNT_LOOP] = _counted
        self.filters[_CHECK_SIZE] = _check_size

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Every for loop's iterable goes through the iteration budget, and every `~` through
        # the size check: rewritten once, at compile time, in the template's syntax tree.
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = _filter(loop.iter, _COUNT_LOOP, loop.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            joined = nodes.Concat(concat.nodes, lineno=concat.lineno)
            concat.nodes = [_filter(joined, _CHECK_SIZE, concat.lineno)]
        return tree

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`SandboxedEnvironment.getattr`, with a shortcut for a plain dict (every letter
        context is one): Jinja tries the attribute first and takes the item when that raises
        AttributeError, an exception per ``{{ patient.name }}``. A dict has no attributes but
        its class's, so for any other name the item is what Jinja would return, unchecked by
        the sandbox as in Jinja, and a missing key is the same undefined value."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        limit = _limits().max_string_chars
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, Sized) and isinstance(times, int) and not isinstance(seq, dict):
                    if len(seq) * times > limit:
                        raise _too_long(len(seq) * times, "a repeated value")
        elif operator == "+" and isinstance(left, Sized) and isinstance(right, Sized):
            if len(left) + len(right) > limit:
                raise _too_long(len(left) + len(right), "a joined value")
        elif operator == "%" and isinstance(left, str) and _widths(left) > limit:
            raise _too_long(_widths(left), "a formatted value")
        elif (
            operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float))
        ):
            magnitude = math.log2(abs(left)) * right if abs(left) > 1 else 0
            if magnitude > 4096:  # a number of more than 4096 bits: no letter prints one
                raise TemplateRejectedError(
                    "the template computes a number of more than 4096 bits", limit="number"
                )
        return _check_size(super().call_binop(context, operator, left, right), "a value")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        limit = _limits().max_string_chars
        if getattr(__obj, "__name__", "") in _PADDING and isinstance(
            getattr(__obj, "__self__", None), str
        ):
            width = max((a for a in [*args, *kwargs.values()] if isinstance(a, int)), default=0)
            if width > limit:
                raise _too_long(width, "a padded value")
        if __obj is generate_lorem_ipsum:  # the `lipsum` global: n paragraphs of up to max words
            n, words = (list(args) + [5, True, 20, 100][len(args) :])[0:4:3]
            n, words = kwargs.get("n", n), kwargs.get("max", words)
            if isinstance(n, int) and isinstance(words, int):
                _before(n * words * 12, "lorem ipsum")  # a word and its space: at most 12
        target = getattr(__obj, "__self__", None)
        if isinstance(target, str) and args:
            name = getattr(__obj, "__name__", "")
            if name == "join":
                _before(_joined(target, args[0]), "a joined value")
            elif name == "replace" and len(args) >= 2:
                _before(_replaced(target, args[0], args[1]), "a replaced value")
        return _check_size(super().call(__context, __obj, *args, **kwargs), "a value")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # str.format / format_map, sandboxed by Jinja when looked up: bound widths too.
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = str(value.__self__)

        @functools.wraps(wrapped)
        def bounded(*args: Any, **kwargs: Any) -> str:
            _tick()
            for _, _, spec, _ in string.Formatter().parse(fmt):
                if spec and _widths(spec) > _limits().max_string_chars:
                    raise _too_long(_widths(spec), "a formatted value")
            return str(_check_size(wrapped(*args, **kwargs), "a formatted value"))

        return bounded


def _before(size: int, what: str) -> None:
    # Refuse what would be too big before Python builds it (it would take the memory first).
    if size > _limits().max_string_chars:
        raise _too_long(size, what)


def _joined(separator: Any, items: Any) -> int:
    """At least how long joining `items` with `separator` makes (0 when it cannot tell)."""
    if isinstance(separator, str) and isinstance(items, Sized):
        return len(separator) * max(len(items) - 1, 0)
    return 0


def _replaced(text: Any, old: Any, new: Any) -> int:
    """At most how long replacing `old` by `new` in `text` makes."""
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    return len(text) + text.count(old) * len(new) if old else len(text) * (len(new) + 1)


def _predict_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The filters whose result can be far longer than their inputs, checked before they run.

    Jinja's own filters, by function name: join (value, d), replace (s, old, new), indent (s,
    width), format (value % args). `args[0]` is the eval context for join and replace.
    """
    if name == "do_join" and len(args) >= 2:
        separator = args[2] if len(args) > 2 else kwargs.get("d", "")
        _before(_joined(separator, args[1]), "the join filter's result")
    elif name == "do_replace" and len(args) >= 4:
        _before(_replaced(args[1], args[2], args[3]), "the replace filter's result")
    elif name == "do_indent" and args and isinstance(args[0], str):
        width = args[1] if len(args) > 1 else kwargs.get("width", 4)
        pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        _before(len(args[0]) + (args[0].count("\n") + 1) * pad, "the indent filter's result")
    elif name == "do_format" and args and isinstance(args[0], str):
        _before(_widths(args[0]), "the format filter's result")


def _filter(node: nodes.Node, name: str, lineno: int) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=lineno)


def _sized_filter(func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose integer arguments (widths, counts) and result stay under the limit."""

    @functools.wraps(func)  # keeps jinja_pass_arg (context / environment filters)
    def sized(*args: Any, **kwargs: Any) -> Any:
        _tick()
        limit = _limits().max_string_chars
        for value in [*args[1:], *kwargs.values()]:
            if isinstance(value, int) and not isinstance(value, bool) and value > limit:
                raise _too_long(value, f"the {func.__name__} filter's result")
            if isinstance(value, str) and len(value) > limit:
                raise _too_long(len(value), f"the {func.__name__} filter's argument")
        _predict_filter(func.__name__, args, kwargs)
        result = func(*args, **kwargs)
        if isinstance(result, Iterator) and not isinstance(result, (str, bytes)):
            return result
        return _check_size(result, f"the {func.__name__} filter's result")

    return sized
