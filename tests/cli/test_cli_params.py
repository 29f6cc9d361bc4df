"""cli/params.py: csm's plain option values coerced without pydantic give what Typer's own
coercion gives, and what it is not sure of (errors included) is Typer's own."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.testing import CliRunner

from csm_console.cli.main import app
from csm_console.cli.params import _UNKNOWN, _PlainValue

demo = typer.Typer()


@demo.command()
def command(
    text: str = typer.Option("", "--text"),
    maybe: str | None = typer.Option(None, "--maybe"),
    limit: int | None = typer.Option(None, "--limit", min=1, max=500),
    number: int = typer.Option(0, "--number"),
    clamped: int = typer.Option(5, "--clamped", min=1, max=9, clamp=True),
    flag: bool = typer.Option(False, "--flag"),
) -> None:
    pass


PARAMS = {p.name: p for p in typer.main.get_command(demo).params}
VALUES: list[tuple[str, Any]] = [
    ("text", ""),
    ("text", "status:open tag:billing"),
    ("text", "Пропадает интернет"),
    ("text", b"bytes"),
    ("maybe", "x"),
    ("limit", "20"),
    ("limit", 20),
    ("limit", "1"),
    ("limit", "500"),
    ("limit", "0"),
    ("limit", "501"),
    ("limit", "-3"),
    ("limit", "007"),
    ("limit", " 20"),
    ("limit", "2_0"),
    ("limit", "٣"),  # an Arabic-Indic digit: str.isdigit, not ASCII
    ("limit", "abc"),
    ("limit", "20.0"),
    ("number", "-12"),
    ("number", "-0"),
    ("number", "0"),
    ("number", 99999999999999999999),
    ("number", "9" * 18),
    ("number", "9" * 19),
    ("limit", "9" * 5000),  # past int()'s digit limit
    ("clamped", "0"),
    ("clamped", "12"),
    ("clamped", "4"),
    ("flag", True),
    ("flag", False),
    ("flag", "yes"),
    ("flag", "no"),
]


def coerce(coercion: Any, name: str, value: Any) -> tuple[str, Any]:
    param = PARAMS[name]
    param._runtime_param = None  # nothing cached between the two
    ctx = Context(typer.main.get_command(demo))
    try:
        return "value", coercion._coerce_value(value, param=param, ctx=ctx)
    except BadParameter as error:
        return "error", error.message


@pytest.mark.parametrize(("name", "value"), VALUES, ids=repr)
def test_plain_values_coerce_as_typer_does(name: str, value: Any) -> None:
    descriptor = PARAMS[name].type_descriptor
    typers = build_runtime_param(descriptor)
    ours = _PlainValue(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
    expected = coerce(typers, name, value)
    got = coerce(ours, name, value)
    assert got == expected
    assert type(got[1]) is type(expected[1])


def test_plain_values_are_not_handed_to_typer() -> None:
    """The everyday values are coerced without Typer's adapters (so without pydantic)."""
    descriptor = PARAMS["limit"].type_descriptor
    ours = _PlainValue(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
    assert ours.plain("20") == 20
    assert ours.plain("0") is _UNKNOWN  # below min: Typer says why
    assert PARAMS["text"].type_descriptor.annotation is str


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tickets", "list", "--limit", "0"], "Input should be greater than or equal to 1"),
        (["tickets", "list", "--limit", "abc"], "Input should be a valid integer"),
    ],
)
def test_bad_option_values_get_typers_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["--db", "sqlite:///:memory:", *args])
    assert result.exit_code == 2
    assert message in result.output
