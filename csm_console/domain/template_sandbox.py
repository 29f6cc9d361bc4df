"""The sandbox reply templates render in, with the work of one render bounded.

A template is Jinja2 in an immutable sandbox, and that alone does not bound its work: four
nested `{% for %}` over a 500-character subject take 500⁴ steps, and a chain of
`replace("", ticket.subject)` grows a string 500-fold a step.  So every render here has a
budget, and runs out of it in well under a second, whatever the template:

- loop steps and calls: each step of every `{% for %}` and each call (`loop()`, a macro) spends
  one of `MAX_STEPS`, and a render stops after `MAX_SECONDS` in any case;
- string growth: no value a template computes (`~`, `+`, `*`, a filter) may exceed `MAX_TEXT`
  characters, and `replace`, `indent` and `*` are refused *before* they would build more;
- output: the rendered text is counted as it is produced, and stops past `MAX_TEXT`;
- filters: only the allow-listed ones exist, their numeric arguments at most `MAX_NUMBER`.

A render that goes past a bound raises `SecurityError` naming it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, cast

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

MAX_TEXT = 50_000  # characters a rendered reply, or any value on the way, may have
MAX_NUMBER = 1_000  # the largest number a filter may be given (width, count)
MAX_STEPS = 100_000  # loop steps and calls in one render
MAX_SECONDS = 1.0  # wall-clock time of one render

# Filters that only turn a value into text; the others (`attr`, `map`, `selectattr`, ...)
# look things up by name, which would reach past the placeholders.
SAFE_FILTERS = frozenset(
    {
        "upper", "lower", "title", "capitalize", "trim", "default", "d", "replace",
        "truncate", "wordwrap", "indent", "center", "length", "count", "string", "int",
        "float", "round", "abs", "first", "last", "striptags", "urlencode",
    }
)  # fmt: skip

_STEP = "__csm_step"  # the names the rewritten template calls (not reachable from a template's
_SIZED = "__csm_sized"  # own text: `check_template` refuses every name but the placeholders)


class _Budget:
    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise SecurityError(
                f"the template does too much work (more than {MAX_STEPS:,} loop steps and calls)"
            )
        if self.steps % 256 == 0 and time.monotonic() > self.deadline:
            raise SecurityError(f"the template took longer than {MAX_SECONDS:g} s to render")


_BUDGET: ContextVar[_Budget | None] = ContextVar("csm_template_budget", default=None)


def _spend() -> None:
    budget = _BUDGET.get()
    if budget is None:  # outside `render_bounded`: no template code runs here unbounded
        raise SecurityError("a template renders only through render_bounded")
    budget.spend()


def _steps(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _spend()
        yield item


def _sized(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_TEXT:
        raise SecurityError(f"the template builds a value of more than {MAX_TEXT:,} characters")
    return value


class _Bounding(NodeTransformer):
    """Rewrites a parsed template: every `{% for %}` iterates through `_steps`, every `~`
    concatenation is checked by `_sized`."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _call(_STEP, node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _call(_SIZED, node)


def _call(name: str, argument: nodes.Node) -> nodes.Call:
    return nodes.Call(
        nodes.Name(name, "load", lineno=argument.lineno),
        [cast(nodes.Expr, argument)],
        [],
        None,
        None,
        lineno=argument.lineno,
    )


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with the bounds above: `*`, `**` and `+` checked, calls counted."""

    intercepted_binops = frozenset(["*", "**", "+"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (
            abs(number_value(left)) > MAX_NUMBER or abs(number_value(right)) > 64
        ):
            raise SecurityError("a power that large is not allowed in a reply template")
        if operator == "*":
            sizes = [len(v) for v in (left, right) if isinstance(v, str | list | tuple)]
            counts = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
            if sizes and counts and sizes[0] * max(counts[0], 0) > MAX_TEXT:
                raise SecurityError("a repetition that large is not allowed in a reply template")
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _spend()
        return super().call(__context, __obj, *args, **kwargs)


def number_value(value: Any) -> float:
    """The value as a float when it is a number (not a bool), else 0."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _growth(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """How long the text a growing filter would build is, before it builds it."""
    text = str(value)
    if name == "replace":
        old = str(args[0] if args else kwargs.get("old", ""))
        new = str(args[1] if len(args) > 1 else kwargs.get("new", ""))
        times = text.count(old) if old else len(text) + 1
        limit = args[2] if len(args) > 2 else kwargs.get("count")
        if isinstance(limit, int) and limit >= 0:
            times = min(times, limit)
        return len(text) + times * max(len(new) - len(old), 0)
    if name == "wordwrap":  # a `wrapstring` at each break: at most one break per `width`
        width = max(int(number_value(args[0] if args else kwargs.get("width", 79))), 1)
        wrap = args[2] if len(args) > 2 else kwargs.get("wrapstring")
        breaks = len(text) // width + text.count("\n") + 1
        return len(text) + breaks * (len(str(wrap)) if wrap is not None else 1)
    if name == "indent":
        width = args[0] if args else kwargs.get("width", 4)
        prefix = len(width) if isinstance(width, str) else int(number_value(width))
        return len(text) + (text.count("\n") + 1) * prefix
    return 0


def _guarded(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    passes_context = _PassArg.from_obj(original) is not None

    @functools.wraps(original)  # keeps `jinja_pass_arg`
    def guarded(*call_args: Any, **kwargs: Any) -> Any:
        head, rest = (
            (call_args[:2], call_args[2:]) if passes_context else (call_args[:1], call_args[1:])
        )
        for argument in (*rest, *kwargs.values()):
            if isinstance(argument, int | float) and abs(number_value(argument)) > MAX_NUMBER:
                raise SecurityError(
                    f"the filter {name!r} was given {argument}: at most {MAX_NUMBER}"
                )
        if _growth(name, head[-1], rest, kwargs) > MAX_TEXT:
            raise SecurityError(
                f"the filter {name!r} would build more than {MAX_TEXT:,} characters"
            )
        return _sized(original(*call_args, **kwargs))

    return guarded


ENV = BoundedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
ENV.filters = {name: _guarded(name, ENV.filters[name]) for name in SAFE_FILTERS}
ENV.globals = {}


def render_bounded(tree: nodes.Template, context: dict[str, Any]) -> str:
    """Render a parsed template (rewritten in place) within the bounds of the module."""
    template = ENV.from_string(_Bounding().visit(tree), globals={_STEP: _steps, _SIZED: _sized})
    token = _BUDGET.set(_Budget())
    try:
        parts: list[str] = []
        size = 0
        for part in template.generate(context):
            size += len(part)
            if size > MAX_TEXT:
                raise SecurityError(f"the reply would be longer than {MAX_TEXT:,} characters")
            parts.append(part)
        return "".join(parts)
    finally:
        _BUDGET.reset(token)
