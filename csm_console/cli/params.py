"""Typer's option coercion without pydantic, for the plain values csm's options take.

Typer (0.29) coerces every parameter's value through a pydantic `TypeAdapter` that it builds
when the parameter is first processed, even an option left at its default: so every command
imported pydantic and built a schema per option (`csm tickets list` about a tenth of its
start-up; issue 18).  For a `str`, a `bool` flag, and an `int` written in plain decimal digits
within the option's `min`/`max`, the result is known without pydantic, and `plain_values` gives
it.  Any other value or type (an int out of range or not plain digits, lists, paths, enums, a
custom parser) goes to Typer's own coercion, built as Typer builds it, so that the results and
the error messages stay Typer's.  tests/cli/test_cli_params.py holds the two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import _TyperParameter

from csm_console.cli.quick import plain_int

_PLAIN_TYPES = (str, int, bool)
_UNKNOWN = object()


@dataclass(frozen=True)
class _PlainValue(RuntimeParam):
    """Coerces the values whose result is certain; hands the rest to Typer's coercion."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        known = self.plain(value)
        if known is not _UNKNOWN:
            return known
        typers_own = build_runtime_param(param.type_descriptor)
        param._runtime_param = typers_own  # from now on, as if Typer had built it
        return typers_own._coerce_value(value, param=param, ctx=ctx)

    def plain(self, value: Any) -> Any:
        kind = self.annotation
        if kind is str:
            return value if type(value) is str else _UNKNOWN
        if kind is bool:
            return value if type(value) is bool else _UNKNOWN
        number = plain_int(value)
        if number is None:
            return _UNKNOWN
        info = self.parameter_info
        if (info.min is not None and number < info.min) or (
            info.max is not None and number > info.max
        ):
            return _UNKNOWN  # Typer's error (or its clamping)
        return number


def _plain(param: Any) -> bool:
    descriptor = param.type_descriptor
    return (
        descriptor.annotation in _PLAIN_TYPES
        and descriptor.file_annotation is None
        and descriptor.parameter_info.parser is None
    )


def plain_values() -> None:
    """Coerce the plain values of every Typer parameter with `_PlainValue` (from now on, in
    this process; once is enough).  Typer builds a parameter's coercion lazily, in
    `get_runtime_param`: this gives it ours first when the parameter's type is plain."""
    typers = _TyperParameter.get_runtime_param
    if getattr(typers, "csm_plain", False):
        return

    def get_runtime_param(self: _TyperParameter) -> RuntimeParam:
        if self._runtime_param is None and _plain(self):
            descriptor = self.type_descriptor
            self._runtime_param = _PlainValue(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
        return typers(self)

    get_runtime_param.csm_plain = True  # type: ignore[attr-defined]
    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
