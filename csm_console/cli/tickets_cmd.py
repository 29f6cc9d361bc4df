"""`csm tickets ...`: list, show and claim tickets from the shell.

Unlike the other command modules, this one imports the write-path services (tickets, bulk,
reassign, replies) inside the commands that use them: `csm tickets list` and `show`, the
scripted hot path, would otherwise load about 75 ms more on every call (the outbox's e-mail
modules, the template sandbox's jinja2), measured on the 2-core CI machine."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import typer

from csm_console.cli import listing
from csm_console.cli.listing import selection as selection  # for `csm export` (transfer_cmd)
from csm_console.cli.output import check_format, emit_json, out, plain
from csm_console.cli.state import state
from csm_console.cli.ticket_fields import FIELDS, record
from csm_console.domain.text import sanitize
from csm_console.errors import NothingToDo, UsageError

app = typer.Typer(help="List, show and work tickets.", no_args_is_help=True)


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
    # The plain forms of this command run without Typer (cli/quick.py: keep its options in
    # step with these; tests/cli/test_cli_quick.py checks them).  Both run listing.list_tickets.
    listing.list_tickets(
        state(ctx), query=query, view=view, sort=sort, limit=limit, format=format, fields=fields
    )


@app.command("show")
def show(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID", help="Ticket id (1042 or #1042)."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Show a ticket with its messages and audit trail."""
    from csm_console.cli import ticket_mail  # the mail views (as `tickets attachments`)
    from csm_console.services import ticket_reads

    check_format(format)
    st = state(ctx)
    detail = ticket_reads.get_ticket(st.store(), ticket_id=ticket_reads.parse_ticket_id(ticket_id))
    now = datetime.now(UTC)
    if format == "json":
        data = plain(detail)
        data["ticket"] = record(detail.ticket, list(FIELDS), now)
        data["messages"] = [ticket_mail.message_record(m) for m in detail.messages]
        data["other_tickets"] = [
            record(t, ["id", "subject", "status", "created_at"], now) for t in detail.other_tickets
        ]
        emit_json(data)
        return
    t = detail.ticket
    if t.invalid:
        from csm_console.cli.output import info
        from csm_console.domain.stored import describe_invalid

        info(f"#{t.id} holds invalid values: {describe_invalid(t.invalid)}")
    shown = {name: sanitize(str(FIELDS[name](t, now))) for name in ("status", "priority", "tier")}
    lines = [
        f"#{t.id}  {sanitize(t.subject, single_line=True)}",
        f"status {shown['status']} · priority {shown['priority']} · tier {shown['tier']} · team "
        f"{t.team or '—'} · assignee {t.assignee or '—'} · channel {t.channel} · "
        f"version {t.version}",
        f"customer {sanitize(detail.customer.name, single_line=True)} <{detail.customer.email}> · "
        f"{detail.customer.language} · {detail.customer.segment}",
        f"tags {', '.join(t.tags) or '—'} · category {t.category or '—'} · reopened "
        f"{t.reopen_count} · CSAT {t.csat_score or '—'}",
        f"first response due {_when(t.first_response_due)} · done {_when(t.first_response_at)}",
        f"resolution due {_when(t.resolution_due)} · solved {_when(t.solved_at)}"
        + (" · paused: waiting for the customer" if t.paused else ""),
        "",
    ]
    for m in detail.messages:
        kind = "NOTE" if m.internal else m.author_kind.upper()
        lines.append(f"--- {kind} {sanitize(m.author, single_line=True)} {_when(m.created_at)}")
        lines += ticket_mail.message_lines(m)
        lines.append(sanitize(m.body))
    lines.append("")
    lines.append("--- audit")
    from csm_console.services.ticket_reads import describe_change

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


# ---------------------------------------------------------------------------------- writes


def read_ids(values: list[str]) -> list[int]:
    """Ticket ids from the arguments; `-` reads more from stdin, one per line (blank lines and
    lines starting with `//` are skipped), so `list --format ids | assign -` composes."""
    from csm_console.services.ticket_reads import parse_ticket_id

    ids: list[int] = []
    for value in values:
        if value == "-":
            for line in sys.stdin:
                text = line.strip()
                if text and not text.startswith("//"):
                    ids.append(parse_ticket_id(text.split()[0]))
        else:
            ids.append(parse_ticket_id(value))
    if not ids and "-" in values:  # an empty pipe: a re-run after everything moved, say
        raise NothingToDo("nothing to do: no ticket ids on stdin")
    if not ids:
        raise UsageError("no ticket ids (give IDs, or - to read them from stdin)")
    return ids


IF_VERSION_HELP = (
    "Refuse (exit 4, saying who changed what) if the ticket changed since this version "
    "(`version` in `tickets show --format json`)."
)


def _if_version() -> Any:
    return typer.Option(None, "--if-version", metavar="N", min=1, help=IF_VERSION_HELP)


def guarded(ticket_ids: list[int], if_version: int | None) -> dict[int, int] | None:
    """The versions a write is guarded by: --if-version, which names one ticket's version."""
    if if_version is None:
        return None
    if len(ticket_ids) != 1:
        raise UsageError("--if-version goes with exactly one ticket id")
    return {ticket_ids[0]: if_version}


def read_body(ctx: typer.Context, body: str | None, body_file: str | None) -> str:
    """The message text from --body TEXT, --body - (stdin) or --body-file FILE (a regular
    file; stdin and the file at most `max_body_file` bytes)."""
    if (body is None) == (body_file is None):
        raise UsageError("give the text with exactly one of --body TEXT, --body - or --body-file")
    from csm_console.cli.files import read_body_text

    if body == "-":
        return read_body_text(ctx, None)
    if body is not None:
        return body
    assert body_file is not None
    return read_body_text(ctx, body_file)


def _report(result: Any, verb: str) -> None:
    """Changed ids on stdout (for the next command in a pipe); the summary on stderr; the exit
    code of the first refusal when any ticket was refused."""
    from csm_console.cli.output import info

    for ticket_id in result.changed:
        sys.stdout.write(f"{ticket_id}\n")
    if result.changed:
        info(f"{verb}: {result.summary()} (batch {result.batch_id})")
    else:  # a batch id names changes made: there were none
        info(f"{verb}: {result.summary()}{'' if result.refused else '; nothing to do'}")
    for ticket_id, reason in result.refused:
        info(f"  #{ticket_id} refused: {reason}")
    if result.refused:
        raise typer.Exit(result.refusal_codes[0])


def _print_row(row: Any, message: str) -> None:
    from csm_console.cli.output import info

    sys.stdout.write(f"{row.id}\n")
    info(message)


@app.command("assign")
def assign(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Ticket ids; - reads stdin."),
    to: str = typer.Option(..., "--to", metavar="HANDLE|none", help="Agent, or none."),
    if_version: int | None = _if_version(),
) -> None:
    """Assign tickets to an agent (or `none` to unassign), each in its own transaction."""
    from csm_console.services import bulk

    st = state(ctx)
    target = None if to.strip().lower() in {"none", "nobody", "-"} else to
    chosen = read_ids(ids)
    result = bulk.assign_many(
        st.store(),
        actor=st.actor(),
        ticket_ids=chosen,
        to=target,
        versions=guarded(chosen, if_version),
    )
    _report(result, f"assign to {target or 'nobody'}")


@app.command("status")
def set_status(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Ticket ids; - reads stdin."),
    status: str = typer.Option(
        ..., "--set", metavar="STATUS", help="open, pending, on_hold, solved, closed."
    ),
    if_version: int | None = _if_version(),
) -> None:
    """Change the status along the allowed transitions (solved → open counts a reopen)."""
    from csm_console.domain.model import Status, parse_enum
    from csm_console.services import bulk

    try:
        chosen = parse_enum(Status, status, "status")
    except ValueError as error:
        raise UsageError(str(error)) from None
    st = state(ctx)
    chosen_ids = read_ids(ids)
    result = bulk.set_status_many(
        st.store(),
        actor=st.actor(),
        ticket_ids=chosen_ids,
        status=chosen,
        versions=guarded(chosen_ids, if_version),
    )
    _report(result, f"status {chosen.value}")


@app.command("priority")
def set_priority(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Ticket ids; - reads stdin."),
    priority: str = typer.Option(
        ..., "--set", metavar="PRIORITY", help="low, normal, high, urgent."
    ),
    if_version: int | None = _if_version(),
) -> None:
    """Change the priority; the SLA due times are recomputed."""
    from csm_console.domain.model import Priority
    from csm_console.services import bulk

    try:
        chosen = Priority.parse(priority)
    except ValueError as error:
        raise UsageError(str(error)) from None
    st = state(ctx)
    chosen_ids = read_ids(ids)
    result = bulk.set_priority_many(
        st.store(),
        actor=st.actor(),
        ticket_ids=chosen_ids,
        priority=chosen,
        versions=guarded(chosen_ids, if_version),
    )
    _report(result, f"priority {chosen.label}")


@app.command("tag")
def tag(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Ticket ids; - reads stdin."),
    add: list[str] = typer.Option([], "--add", metavar="TAG", help="Tag to add (repeatable)."),
    remove: list[str] = typer.Option([], "--remove", metavar="TAG", help="Tag to remove."),
    if_version: int | None = _if_version(),
) -> None:
    """Add and remove tags."""
    from csm_console.services import bulk

    if not add and not remove:
        raise UsageError("give --add TAG and/or --remove TAG")
    st = state(ctx)
    chosen_ids = read_ids(ids)
    result = bulk.tag_many(
        st.store(),
        actor=st.actor(),
        ticket_ids=chosen_ids,
        add=add,
        remove=remove,
        versions=guarded(chosen_ids, if_version),
    )
    _report(result, "tags")


@app.command("escalate")
def escalate(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID"),
    to: str = typer.Option(..., "--to", metavar="L2|L3", help="The higher tier."),
    reason: str = typer.Option(..., "--reason", help="Why (kept as an internal note)."),
    team: str | None = typer.Option(
        None, "--team", help="Which team of that tier (default: the first)."
    ),
    if_version: int | None = _if_version(),
) -> None:
    """Escalate to a higher tier's team, unassigned, with the reason as an internal note."""
    from csm_console.domain.model import Tier
    from csm_console.services import tickets

    try:
        tier = Tier.parse(to)
    except ValueError as error:
        raise UsageError(str(error)) from None
    st = state(ctx)
    row = tickets.escalate(
        st.store(),
        actor=st.actor(),
        ticket_id=read_ids([ticket_id])[0],
        to_tier=tier,
        reason=reason,
        team=team,
        expected_version=if_version,
    )
    _print_row(row, f"#{row.id} escalated to {row.tier.value} ({row.team})")


@app.command("reply")
def reply(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID"),
    body: str | None = typer.Option(None, "--body", help="The text, or - for stdin."),
    body_file: str | None = typer.Option(None, "--body-file", metavar="FILE"),
    template: str | None = typer.Option(
        None, "--template", metavar="NAME", help="A reply template, rendered for this ticket."
    ),
    status: str | None = typer.Option(
        None, "--status", help="pending, open or solved after the reply."
    ),
    attach: list[str] = typer.Option(
        [], "--attach", metavar="FILE", help="A file to send with it; repeatable."
    ),
    if_version: int | None = _if_version(),
) -> None:
    """Send a public reply (the first one sets first_response_at).  On an e-mail ticket it is
    queued for the customer; `csm mail send` delivers it."""
    from csm_console.domain.model import Status, parse_enum
    from csm_console.services import replies, tickets

    st = state(ctx)
    store = st.store()
    actor = st.actor()
    number = read_ids([ticket_id])[0]
    if template is not None:
        if body is not None or body_file is not None:
            raise UsageError("give either --template or --body/--body-file, not both")
        # the customer's language variant (else en); TemplateProblem names what is missing
        rendered = replies.render_for_ticket(store, actor=actor, name=template, ticket_id=number)
        text = rendered.text
    else:
        text = read_body(ctx, body, body_file)
    try:
        after = parse_enum(Status, status, "status") if status else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    files = _read_attachments(attach, limit=st.settings().mail.max_message)
    row = tickets.reply(
        store,
        actor=actor,
        ticket_id=number,
        body=text,
        status=after,
        expected_version=if_version,
        attachments=files,
    )
    _print_row(row, f"replied on #{row.id}; now {row.status.value}")


def _read_attachments(paths: list[str], *, limit: int) -> list[tuple[str, str, bytes]]:
    """(name, content type, bytes) of each file: regular files only, together at most
    `max_mail_size` bytes; the type guessed from the name (the service sanitises both)."""
    import mimetypes
    from pathlib import Path

    from csm_console.cli.files import read_file

    files = []
    left = limit
    for path in paths:
        data = read_file(path, limit=left, setting="max_mail_size")
        left -= len(data)
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        files.append((Path(path).name, kind, data))
    return files


@app.command("note")
def note(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID"),
    body: str | None = typer.Option(None, "--body", help="The text, or - for stdin."),
    body_file: str | None = typer.Option(None, "--body-file", metavar="FILE"),
    if_version: int | None = _if_version(),
) -> None:
    """Add an internal note (agents only; no SLA clock stops)."""
    from csm_console.services import tickets

    st = state(ctx)
    row = tickets.add_note(
        st.store(),
        actor=st.actor(),
        ticket_id=read_ids([ticket_id])[0],
        body=read_body(ctx, body, body_file),
        expected_version=if_version,
    )
    _print_row(row, f"note added on #{row.id}")


@app.command("csat")
def csat(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID"),
    score: int = typer.Option(..., "--score", help="1 to 5."),
    comment: str | None = typer.Option(None, "--comment"),
) -> None:
    """Record the customer's satisfaction rating on a solved ticket."""
    from csm_console.services import tickets

    st = state(ctx)
    row = tickets.record_csat(
        st.store(),
        actor=st.actor(),
        ticket_id=read_ids([ticket_id])[0],
        score=score,
        comment=comment,
    )
    _print_row(row, f"CSAT {score} recorded on #{row.id}")


@app.command("reassign")
def reassign(
    ctx: typer.Context,
    query: str = typer.Option(..., "--query", "-q", help="Which tickets (query language)."),
    to: str = typer.Option(..., "--to", metavar="HANDLE", help="The agent who takes them."),
    yes: bool = typer.Option(False, "--yes", help="Apply; without it this is a dry run."),
    max_tickets: int = typer.Option(1000, "--max", min=1, help="Refuse if more would change."),
) -> None:
    """Bulk reassignment: a dry run unless --yes; chunks of 1,000; one batch id; undoable."""
    from csm_console.cli.output import info
    from csm_console.domain.query import parse_query
    from csm_console.services import reassign as bulk_reassign

    st = state(ctx)
    store = st.store()
    actor = st.actor()
    parsed = parse_query(query)
    if not parsed.terms:
        raise UsageError("give a --query: reassigning every ticket is never what you want")
    checked = bulk_reassign.plan(store, actor=actor, query=parsed, to=to, max_tickets=max_tickets)
    if not yes:
        info(
            f"dry run: {checked.count} ticket{'s' if checked.count != 1 else ''} would go to "
            f"{checked.target}; nothing changed (add --yes to apply)"
        )
        widths = [
            max((len(str(row[n] or "—")) for row in checked.sample), default=0) for n in (0, 2)
        ]  # ids right-aligned, holders padded: the columns line up
        for ticket_id, subject, holder in checked.sample:
            out.print(
                f"{ticket_id:>{widths[0]}}  {holder or '—':<{widths[1]}} → {checked.target}  "
                f"{sanitize(subject, single_line=True)[:60]}",
                markup=False,
            )
        if checked.count > len(checked.sample):
            info(f"... and {checked.count - len(checked.sample)} more")
        return
    from csm_console.cli.progress import progress_bar

    with progress_bar() as progress:
        result = bulk_reassign.apply(
            store,
            actor=actor,
            query=parsed,
            to=to,
            max_tickets=max_tickets,
            after_chunk=lambda _chunks, changed: progress("reassigning", changed, checked.count),
        )
    if result.changed == 0:
        info(f"nothing left to reassign: every matching ticket is already with {checked.target}")
        return
    sys.stdout.write(f"{result.batch_id}\n")
    info(
        f"reassigned {result.changed} tickets to {checked.target} in {result.chunks} "
        f"chunk{'s' if result.chunks != 1 else ''}; batch {result.batch_id} "
        f"(undo: csm tickets undo {result.batch_id})"
    )


@app.command("undo")
def undo(
    ctx: typer.Context,
    batch_id: str = typer.Argument(..., metavar="BATCH_ID"),
) -> None:
    """Revert a batch for every ticket not changed since; report the ones skipped and why."""
    from csm_console.cli.output import info
    from csm_console.services import reassign as bulk_reassign

    st = state(ctx)
    result = bulk_reassign.undo(st.store(), actor=st.actor(), batch_id=batch_id.strip())
    for ticket_id in result.reverted:
        sys.stdout.write(f"{ticket_id}\n")
    made = f" (batch {result.undo_batch_id})" if result.undo_batch_id else ""
    already = f", {len(result.already)} already undone" if result.already else ""
    info(
        f"undid {len(result.reverted)} ticket{'s' if len(result.reverted) != 1 else ''} of "
        f"{batch_id}{made}; skipped {len(result.skipped)}{already}"
    )
    for ticket_id, reason in result.skipped:
        info(f"  #{ticket_id} skipped: {reason}")
    if result.skip_codes:  # like the other bulk commands: a refusal sets the exit code
        raise typer.Exit(max(result.skip_codes))


@app.command("create")
def create(
    ctx: typer.Context,
    customer: str = typer.Option(..., "--customer", metavar="EMAIL"),
    subject: str = typer.Option(..., "--subject"),
    body: str | None = typer.Option(None, "--body", help="The first message, or - for stdin."),
    body_file: str | None = typer.Option(None, "--body-file", metavar="FILE"),
    customer_name: str | None = typer.Option(None, "--customer-name"),
    channel: str = typer.Option("email", "--channel", help="email, phone, chat or web"),
    priority: str = typer.Option("normal", "--priority", help="low, normal, high or urgent"),
    category: str | None = typer.Option(None, "--category"),
    tag: list[str] = typer.Option([], "--tag", help="Repeatable."),
    send: bool = typer.Option(
        False, "--send", help="Proactive contact: e-mail the body to the customer (pending)."
    ),
    mailbox: str | None = typer.Option(
        None, "--mailbox", metavar="NAME", help="Send from this mailbox (default: the first)."
    ),
) -> None:
    """Register a ticket; prints its id.  An unknown customer e-mail creates the customer."""
    from csm_console.domain.model import Channel, Priority, parse_enum
    from csm_console.services import tickets

    try:
        chosen_channel = parse_enum(Channel, channel, "channel")
        chosen_priority = Priority.parse(priority)
    except ValueError as error:
        raise UsageError(str(error)) from None
    st = state(ctx)
    row = tickets.create_ticket(
        st.store(),
        actor=st.actor(),
        customer_email=customer,
        customer_name=customer_name,
        subject=subject,
        body=read_body(ctx, body, body_file),
        channel=chosen_channel,
        priority=chosen_priority,
        category=category,
        tags=tag,
        send=send,
        mailbox=mailbox,
    )
    sys.stdout.write(f"{row.id}\n")
