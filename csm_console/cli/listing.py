"""The body of `csm tickets list`, shared by its Typer command (cli/tickets_cmd.py) and by the
plain form that runs without Typer (cli/quick.py): so this module imports no Typer."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from csm_console.cli.output import check_format, out, write_records
from csm_console.cli.state import CliState
from csm_console.cli.ticket_fields import FIELDS, TABLE_FIELDS, parse_fields, record
from csm_console.domain.text import sanitize

if TYPE_CHECKING:
    from csm_console.domain.query import Query, Sort
    from csm_console.domain.rights import Actor

FORMATS = ("table", "json", "ndjson", "csv", "ids")


def list_tickets(
    st: CliState,
    *,
    query: str,
    view: str | None,
    sort: str | None,
    limit: int | None,
    format: str,
    fields: str | None,
) -> None:
    """`csm tickets list` with its options' values."""
    # the Core read path: listing imports no ORM (services.ticket_list)
    from csm_console.services import ticket_list

    check_format(format, FORMATS)
    if fields == "help":
        out.print("fields: " + ", ".join(FIELDS), markup=False)
        return
    chosen = parse_fields(fields, TABLE_FIELDS if format == "table" else list(FIELDS))
    actor, parsed, order = selection(st, query=query, view=view, sort=sort)
    if format == "table" and limit is None:
        limit = 100
    now = datetime.now(UTC)
    rows = ticket_list.iter_tickets(
        st.store(), actor=actor, query=parsed, sort=order, limit=limit, now=now
    )
    if format == "ids":
        for row in rows:
            sys.stdout.write(f"{row.id}\n")
    elif format == "table":
        _table(list(rows), chosen, now, fit=fields is None)
    else:
        write_records(sys.stdout, (record(row, chosen, now) for row in rows), chosen, format)


def selection(
    st: CliState, *, query: str, view: str | None, sort: str | None
) -> tuple[Actor | None, Query, Sort]:
    """The acting agent (if any), the query and the order of `--query`, `--view` and `--sort`:
    a view's query is combined with `--query`, and its sort applies unless `--sort` is given."""
    from csm_console.domain.query import Sort, parse_query

    actor = st.known_actor()
    parsed = parse_query(query)
    order = Sort.parse(sort) if sort else Sort()
    if view:
        from csm_console.services.views import all_views, combine, find_view

        named = find_view(
            all_views(actor, [(v.name, v.query, v.sort) for v in st.settings().views]), view
        )
        view_query, view_sort = named.parsed()
        parsed = combine(view_query, parsed)
        if not sort:
            order = view_sort
    return actor, parsed, order


def _table(rows: list[Any], fields: list[str], now: datetime, *, fit: bool) -> None:
    from csm_console.cli import plain_table
    from csm_console.domain.durations import format_duration

    # Not on a terminal, narrow text is written without Rich (cli/plain_table.py), as Rich would
    width = plain_table.output_width()
    if not rows:
        if width is None:
            out.print("no tickets match", style="dim", markup=False)
        else:
            sys.stdout.write("no tickets match\n")
        return
    grid: list[list[str]] = []
    for row in rows:
        cells: list[str] = []
        for name in fields:
            if name == "sla_due":
                cells.append(row.running_badge(now)[1])
            elif name == "updated_at":
                cells.append(format_duration(now - row.updated_at, parts=1) + " ago")
            else:
                value = FIELDS[name](row, now)
                text = (
                    ", ".join(value)
                    if isinstance(value, list)
                    else ("" if value is None else str(value))
                )
                cells.append(sanitize(text, single_line=True))
        grid.append(cells)
    plain = width is not None and all(plain_table.narrow(c) for cells in grid for c in cells)
    measure: Callable[[str], int] = len
    if width is None or not plain:
        from rich.cells import cell_len

        measure, width = cell_len, out.width
    # Every column but the subject gets its natural width (capped); the subject takes the rest.
    # With the default columns, a narrow terminal drops updated, tier and customer first.
    widths = {
        name: min(24, max([len(name), *(measure(cells[i]) for cells in grid)]))
        for i, name in enumerate(fields)
    }
    if "subject" in widths:  # the subject's own need, before it is fitted to what is left
        widths["subject"] = max([7, *(measure(cells[fields.index("subject")]) for cells in grid)])
    if fit:
        for optional in ("updated_at", "tier", "customer"):
            needed = sum(w + 2 for n, w in widths.items() if n != "subject") + 20
            if needed <= width or optional not in fields:
                continue
            index = fields.index(optional)
            fields = [f for f in fields if f != optional]
            grid = [cells[:index] + cells[index + 1 :] for cells in grid]
            del widths[optional]
    others = sum(w + 2 for n, w in widths.items() if n != "subject")
    if "subject" in widths:
        widths["subject"] = max(12, min(widths["subject"] * 3, width - others - 1))
    headers = [{"sla_due": "sla", "updated_at": "updated"}.get(name, name) for name in fields]
    if plain:
        # the id column is as wide as its widest id (never cut), as Rich measures it
        shown = [
            max(widths[name], *(len(cells[i]) for cells in grid)) if name == "id" else widths[name]
            for i, name in enumerate(fields)
        ]
        if plain_table.fits(shown, grid, headers, width):
            right = [name == "id" for name in fields]
            sys.stdout.write(
                "".join(line + "\n" for line in plain_table.lines(shown, right, headers, grid))
            )
            return
    out.table(_rich_table(fields, headers, widths, grid))


def _rich_table(
    fields: list[str], headers: list[str], widths: dict[str, int], grid: list[list[str]]
) -> Any:
    """The ticket table as Rich lays it out (on a terminal, or text that is not narrow)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for name, header in zip(fields, headers, strict=True):
        # the id is what the next command needs: it is never cut, whatever the width
        table.add_column(
            header,
            no_wrap=True,
            overflow="ellipsis",
            width=None if name == "id" else widths[name],
            min_width=widths[name] if name == "id" else None,
            justify="right" if name == "id" else "left",  # numbers of different widths align
        )
    for cells in grid:
        table.add_row(*(Text(cell) for cell in cells))
    return table
