"""`csm tickets ...`: list, show and claim tickets from the shell."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from csm_console.cli.output import emit_json, out, plain
from csm_console.cli.state import state
from csm_console.cli.ticket_fields import FIELDS, TABLE_FIELDS, parse_fields, record
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError

app = typer.Typer(help="List, show and work tickets.", no_args_is_help=True)

FORMATS = ("table", "json", "ndjson", "csv", "ids")


@app.command("list")
def list_tickets(
    ctx: typer.Context,
    query: str = typer.Option("", "--query", "-q", help="Query language, e.g. 'status:open'."),
    view: str | None = typer.Option(None, "--view", help="A named view (standard or from config)."),
    sort: str | None = typer.Option(
        None, "--sort", help="sla, priority, created, updated, id; prefix - to reverse."
    ),
    limit: int | None = typer.Option(
        None,
        "--limit",
        min=1,
        help="At most N tickets (default: 100 for table, all for the other formats).",
    ),
    format: str = typer.Option("table", "--format", help="table, json, ndjson, csv or ids."),
    fields: str | None = typer.Option(
        None,
        "--fields",
        help="Comma-separated fields (json, ndjson, csv, table); see --fields help.",
    ),
) -> None:
    """List tickets matching a query, most urgent first. ndjson, csv and ids stream."""
    from csm_console.domain.query import Sort, parse_query
    from csm_console.services import tickets
    from csm_console.services.views import all_views, combine, find_view

    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; valid: {', '.join(FORMATS)}")
    if fields == "help":
        out.print("fields: " + ", ".join(FIELDS), markup=False)
        return
    chosen = parse_fields(fields, TABLE_FIELDS if format == "table" else list(FIELDS))
    st = state(ctx)
    store = st.store()
    actor = st.actor() if st.settings().agent else None
    parsed = parse_query(query)
    order = Sort.parse(sort) if sort else Sort()
    if view:
        settings = st.settings()
        named = find_view(
            all_views(actor, [(v.name, v.query, v.sort) for v in settings.views]), view
        )
        view_query, view_sort = named.parsed()
        parsed = combine(view_query, parsed)
        if not sort:
            order = view_sort
    if format == "table" and limit is None:
        limit = 100
    now = datetime.now(UTC)
    rows = tickets.iter_tickets(store, actor=actor, query=parsed, sort=order, limit=limit, now=now)
    if format == "ids":
        for row in rows:
            sys.stdout.write(f"{row.id}\n")
    elif format == "ndjson":
        for row in rows:
            sys.stdout.write(json.dumps(record(row, chosen, now), ensure_ascii=False) + "\n")
    elif format == "json":
        sys.stdout.write("[")
        for index, row in enumerate(rows):
            sys.stdout.write(("," if index else "") + "\n  ")
            sys.stdout.write(json.dumps(record(row, chosen, now), ensure_ascii=False))
        sys.stdout.write("\n]\n")
    elif format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(chosen)
        for row in rows:
            item = record(row, chosen, now)
            writer.writerow([_csv_value(item[name]) for name in chosen])
    else:
        _table(list(rows), chosen, now, fit=fields is None)


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else value


def _table(rows: list[Any], fields: list[str], now: datetime, *, fit: bool) -> None:
    from csm_console.domain.durations import format_duration
    from csm_console.domain.sla import badge

    grid: list[list[Text]] = []
    for row in rows:
        cells: list[Text] = []
        for name in fields:
            if name == "sla_due":
                cells.append(Text(badge(due=row.sla_due, started_at=row.created_at, now=now)[1]))
            elif name == "updated_at":
                cells.append(Text(format_duration(now - row.updated_at, parts=1) + " ago"))
            else:
                value = FIELDS[name](row, now)
                text = (
                    ", ".join(value)
                    if isinstance(value, list)
                    else ("" if value is None else str(value))
                )
                cells.append(Text(sanitize(text, single_line=True)))
        grid.append(cells)
    # Every column but the subject gets its natural width (capped); the subject takes the rest.
    # With the default columns, a narrow terminal drops updated, tier and customer first.
    widths = {
        name: min(24, max([len(name), *(cells[i].cell_len for cells in grid)]))
        for i, name in enumerate(fields)
    }
    if "subject" in widths:  # the subject's own need, before it is fitted to what is left
        widths["subject"] = max([7, *(cells[fields.index("subject")].cell_len for cells in grid)])
    if fit:
        for optional in ("updated_at", "tier", "customer"):
            needed = sum(w + 2 for n, w in widths.items() if n != "subject") + 20
            if needed <= out.width or optional not in fields:
                continue
            index = fields.index(optional)
            fields = [f for f in fields if f != optional]
            grid = [cells[:index] + cells[index + 1 :] for cells in grid]
            del widths[optional]
    others = sum(w + 2 for n, w in widths.items() if n != "subject")
    if "subject" in widths:
        widths["subject"] = max(12, min(widths["subject"] * 3, out.width - others - 1))
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for name in fields:
        header = {"sla_due": "sla", "updated_at": "updated"}.get(name, name)
        table.add_column(header, no_wrap=True, overflow="ellipsis", width=widths[name])
    for cells in grid:
        table.add_row(*cells)
    if not rows:
        out.print("no tickets match", style="dim", markup=False)
        return
    out.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID", help="Ticket id (1042 or #1042)."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Show a ticket with its messages and audit trail."""
    from csm_console.services import tickets

    if format not in ("table", "json"):
        raise UsageError(f"unknown format {format!r}; valid: table, json")
    st = state(ctx)
    detail = tickets.get_ticket(st.store(), ticket_id=tickets.parse_ticket_id(ticket_id))
    now = datetime.now(UTC)
    if format == "json":
        data = plain(detail)
        data["ticket"] = record(detail.ticket, list(FIELDS), now)
        data["other_tickets"] = [
            record(t, ["id", "subject", "status", "created_at"], now) for t in detail.other_tickets
        ]
        emit_json(data)
        return
    t = detail.ticket
    lines = [
        f"#{t.id}  {sanitize(t.subject, single_line=True)}",
        f"status {t.status.value} · priority {t.priority.label} · tier {t.tier.value} · team "
        f"{t.team or '—'} · assignee {t.assignee or '—'} · channel {t.channel} · "
        f"version {t.version}",
        f"customer {sanitize(detail.customer.name, single_line=True)} <{detail.customer.email}> · "
        f"{detail.customer.language} · {detail.customer.segment}",
        f"tags {', '.join(t.tags) or '—'} · category {t.category or '—'} · reopened "
        f"{t.reopen_count} · CSAT {t.csat_score or '—'}",
        f"first response due {_when(t.first_response_due)} · done {_when(t.first_response_at)}",
        f"resolution due {_when(t.resolution_due)} · solved {_when(t.solved_at)}",
        "",
    ]
    for m in detail.messages:
        kind = "NOTE" if m.internal else m.author_kind.upper()
        lines.append(f"--- {kind} {sanitize(m.author, single_line=True)} {_when(m.created_at)}")
        lines.append(sanitize(m.body))
    lines.append("")
    lines.append("--- audit")
    from csm_console.services.tickets import describe_change

    for change in detail.audit:
        batch = f"  batch {change.batch_id}" if change.batch_id else ""
        lines.append(f"v{change.version or '?'} {describe_change(change)}{batch}")
    for line in lines:
        out.print(line, markup=False, highlight=False)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "—"


@app.command("next")
def take_next(
    ctx: typer.Context,
    format: str = typer.Option("table", "--format", help="table, json or ids."),
) -> None:
    """Claim the most urgent unassigned ticket you may work, and print it (exit 3: none)."""
    from csm_console.services import tickets

    st = state(ctx)
    row = tickets.take_next(st.store(), actor=st.actor())
    now = datetime.now(UTC)
    if format == "json":
        emit_json(record(row, list(FIELDS), now))
    elif format == "ids":
        sys.stdout.write(f"{row.id}\n")
    else:
        out.print(
            f"#{row.id}  {sanitize(row.subject, single_line=True)}  "
            f"({row.priority.label}, {row.tier.value}, {row.customer_email})",
            markup=False,
        )
