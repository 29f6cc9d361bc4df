"""cli/plain_table.py writes what Rich writes for the ticket table when output is not a
terminal, and says so only when it does (narrow cells; the width Rich's console has)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from csm_console.cli import plain_table
from csm_console.cli.listing import _rich_table
from csm_console.domain.text import sanitize
from tests.hostile import hostile_cases


def rich_lines(widths: list[int], right: list[bool], headers: list[str], rows: list[list[str]]):
    fields = ["id" if r else f"f{i}" for i, r in enumerate(right)]
    table = _rich_table(fields, headers, dict(zip(fields, widths, strict=True)), rows)
    console = Console(file=io.StringIO(), width=sum(widths) + 2 * len(widths) + 40)
    console.print(table)
    return [line.rstrip() for line in console.file.getvalue().splitlines()]


def plain_lines(widths: list[int], right: list[bool], headers: list[str], rows: list[list[str]]):
    return list(plain_table.lines(widths, right, headers, rows))


# narrow text as customers write it: Latin, Latvian, Cyrillic letters, digits, punctuation,
# and the signs csm writes itself
NARROW = st.text(
    alphabet=st.sampled_from(
        "abcXYZ 019-_.,:;!?'\"()[]{}<>/@#%&*=+~`^|\\$ āčēģīķļņšūž ĀČŠŽ"
        " абвгдеёжзийклмнопрстуфхцчшщъыьэюя АБВЖЯ ·—…●▲✖✔✗‖"
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    widths=st.lists(st.integers(min_value=2, max_value=30), min_size=1, max_size=6),
    data=st.data(),
)
def test_narrow_tables_come_out_as_rich_writes_them(widths: list[int], data: st.DataObject) -> None:
    n = len(widths)
    right = [i == 0 for i in range(n)]
    headers = [data.draw(st.text(alphabet="abcdefgh_", min_size=1, max_size=w)) for w in widths]
    rows = data.draw(st.lists(st.lists(NARROW, min_size=n, max_size=n), max_size=6))
    # the id column (right-aligned) is as wide as its widest cell, as _table makes it
    widths[0] = max([widths[0], *(len(r[0]) for r in (headers, *rows))])
    assert all(plain_table.narrow(cell) for row in (headers, *rows) for cell in row)
    assert plain_lines(widths, right, headers, rows) == rich_lines(widths, right, headers, rows)


def test_a_right_aligned_cell_loses_its_trailing_spaces_as_in_rich() -> None:
    """Rich strips a cell's trailing spaces before it justifies it to the right (hypothesis
    found `'0 '` in the id column written `'0'` instead of Rich's `' 0'`)."""
    for row in (["0 "], ["12  "], ["   "]):
        assert plain_lines([4], [True], ["id"], [row]) == rich_lines([4], [True], ["id"], [row])


def test_what_is_not_narrow_goes_to_rich() -> None:
    """Wide, zero-width and format characters: their width is not their length."""
    for text in ["日本語", "한국", "e\u0301", "a\u200bb", "\u202eevil", "x\tx", "😀", "\x1b[31m"]:
        assert not plain_table.narrow(text), repr(text)
    for text in ["", "Refund for double payment", "Пропадает интернет", "Ķēķis", "✖ -13d"]:
        assert plain_table.narrow(text) and cell_len(text) == len(text), repr(text)


def test_every_narrow_character_is_one_column_for_rich() -> None:
    for low, high in plain_table._ONE_COLUMN_RANGES:
        for code in range(low, high + 1):
            char = chr(code)
            if plain_table.narrow(char):
                assert cell_len(char) == 1, hex(code)
    for char in plain_table._OWN_SIGNS:
        assert plain_table.narrow(char) and cell_len(char) == 1, repr(char)
    for char in "–€№→":  # what customers write
        assert plain_table.narrow(char), repr(char)


def test_hostile_texts_are_narrow_only_when_rich_agrees() -> None:
    texts = [case["text"] for case in hostile_cases()]
    assert texts
    for text in [*texts, *(sanitize(t, single_line=True) for t in texts)]:
        if plain_table.narrow(text):
            assert cell_len(text) == len(text), repr(text)


def test_a_table_wider_than_the_output_is_left_to_rich() -> None:
    assert plain_table.fits([6, 10, 20], [["1", "a", "b"]], ["id", "x", "y"], 40)
    assert not plain_table.fits([6, 10, 30], [["1", "a", "b"]], ["id", "x", "y"], 40)
    assert not plain_table.fits([6, 10, 20], [["1", "日本", "b"]], ["id", "x", "y"], 80)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"COLUMNS": "57"}, 57),
        ({"COLUMNS": "200"}, 200),
        ({}, None),  # no terminal anywhere under pytest: Rich's 80
        ({"COLUMNS": "abc"}, None),
    ],
)
def test_the_width_is_the_one_rich_gives(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: int | None
) -> None:
    for name in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    width = plain_table.output_width(stream)
    assert width == Console(file=stream).width
    if expected is not None:
        assert width == expected


@pytest.mark.parametrize("environ", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_styled_output_is_left_to_rich(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert plain_table.output_width(io.StringIO()) is None
