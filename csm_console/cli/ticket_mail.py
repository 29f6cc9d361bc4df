"""The e-mail side of `csm tickets show`, `tickets attachments` and `tickets attachment save`:
what each message is (its Message-ID, sender, flags, files, delivery), and saving a file.

A file's name is the customer's: it is sanitised wherever it is printed, and a file is saved
under `domain.mail_words.save_name` of it, in the current directory, never outside it.
The services are imported inside the functions, as in `tickets_cmd`: the tickets group loads
this module for `csm tickets list` too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from csm_console.cli.output import check_format, info, out, write_records
from csm_console.cli.state import state
from csm_console.domain.durations import iso_utc
from csm_console.domain.mail_words import delivery_label, flag_label, human_size, save_name
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError
from csm_console.services.records import AttachmentView, DeliveryView, MessageView

FILE_MODE = 0o600  # what customers sent is private to the operator who saved it


def attachment_record(a: AttachmentView) -> dict[str, Any]:
    return {
        "number": a.number,
        "name": sanitize(a.name, single_line=True),
        "size": a.size,
        "content_type": sanitize(a.content_type, single_line=True),
        "sha256": a.sha256,
        "inline": a.inline,
    }


def delivery_record(d: DeliveryView) -> dict[str, Any]:
    return {
        "state": d.state,
        "attempts": d.attempts,
        "server_reply": d.server_reply,
        "recipient": d.recipient,
        "kind": d.kind,
        "sent_at": iso_utc(d.sent_at),
        "next_attempt_at": iso_utc(d.next_attempt_at),
    }


def message_record(m: MessageView) -> dict[str, Any]:
    """A message in `tickets show --format json`: the fields it always had, then the mail's."""
    return {
        "id": m.id,
        "author_kind": m.author_kind,
        "author": m.author,
        "internal": m.internal,
        "body": m.body,
        "created_at": m.created_at.isoformat(),
        "message_id": m.mail_id,
        "sender": m.sender,
        "flags": list(m.flags),
        "attachments": [attachment_record(a) for a in m.attachments],
        "delivery": delivery_record(m.delivery) if m.delivery is not None else None,
    }


def delivery_text(d: DeliveryView) -> str:
    symbol, word = delivery_label(d.state)
    text = f"{symbol} {word}"
    if d.attempts:
        text += f" after {d.attempts} attempt{'s' if d.attempts != 1 else ''}"
    if d.server_reply:
        text += f": {d.server_reply}"
    return sanitize(text, single_line=True)


def attachment_text(a: AttachmentView) -> str:
    inline = ", inline" if a.inline else ""
    return sanitize(
        f"[{a.number}] {a.name} ({human_size(a.size)}, {a.content_type}{inline})",
        single_line=True,
    )


def message_lines(m: MessageView) -> list[str]:
    """The mail facts of a message for the text form of `tickets show`, one per line (none for
    a message that is not a mail)."""
    facts = []
    if m.sender:
        facts.append(f"from {m.sender}")
    if m.mail_id:
        facts.append(f"Message-ID <{m.mail_id}>")
    facts += [" ".join(flag_label(flag)) for flag in m.flags]
    lines = [sanitize(" · ".join(facts), single_line=True)] if facts else []
    if m.delivery is not None:
        lines.append(f"delivery {delivery_text(m.delivery)}")
    lines += [f"attachment {attachment_text(a)}" for a in m.attachments]
    return lines


def attachment_rows(messages: tuple[MessageView, ...]) -> list[dict[str, Any]]:
    """One record per file of a thread, for `tickets attachments`."""
    return [
        {
            **attachment_record(a),
            "message": m.id,
            "from": sanitize(m.sender or m.author, single_line=True),
            "created_at": iso_utc(m.created_at),
        }
        for m in messages
        for a in m.attachments
    ]


# ---------------------------------------------------------------------------------- saving


def terminal_safe(data: bytes, content_type: str) -> bool:
    """Whether `data` may go to a terminal as it is: text, in UTF-8, with no control
    characters that a terminal would act on."""
    if not content_type.startswith("text/"):
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sanitize(text) == text.replace("\r\n", "\n")


def save(view: AttachmentView, data: bytes, output: str | None, *, force: bool) -> str | None:
    """Write the bytes to stdout (`-`), to `output`, or to the sanitised name in the current
    directory; the path written, or None for stdout.  An existing file is replaced only with
    `force`, and then whole (a new file renamed over it), never through a symlink."""
    if output == "-":
        if sys.stdout.isatty() and not terminal_safe(data, view.content_type):
            raise UsageError(
                "refusing to write binary data to a terminal: use -o FILE, or a pipe "
                "(`... -o - | file -`)"
            )
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return None
    if output is None:
        name = save_name(view.name)
        assert os.sep not in name and name not in (".", "..")
        target = Path.cwd() / name
    else:
        target = Path(output)
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give a file name with -o")
    try:
        if force:
            _replace(target, data)
        else:
            _create(target, data)
    except FileExistsError:
        raise UsageError(f"{target} exists; add --force to replace it") from None
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror}") from None
    return str(target) if output is not None else target.name


def _create(target: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        target.unlink(missing_ok=True)  # no half-written file under the name
        raise


def _replace(target: Path, data: bytes) -> None:
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)  # left by a run that was killed
    try:
        _create(partial, data)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- commands

ATTACHMENT_FIELDS = ("number", "message", "from", "name", "size", "content_type", "sha256")


def attachments(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID", help="Ticket id (1042 or #1042)."),
    format: str = typer.Option("table", "--format", help="table, json, ndjson or csv."),
) -> None:
    """List the files of a ticket's messages, numbered for `tickets attachment save ID N`."""
    from csm_console.services import ticket_reads

    check_format(format, ("table", "json", "ndjson", "csv"))
    st = state(ctx)
    detail = ticket_reads.get_ticket(st.store(), ticket_id=ticket_reads.parse_ticket_id(ticket_id))
    rows = attachment_rows(detail.messages)
    if format != "table":
        write_records(sys.stdout, rows, list(ATTACHMENT_FIELDS), format)
        return
    if not rows:
        out.print(f"#{detail.ticket.id} has no attachments", style="dim", markup=False)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for header in ("N", "message", "from", "name", "size", "type"):
        table.add_column(header, overflow="fold" if header == "name" else "ellipsis")
    for row in rows:
        table.add_row(
            *(
                Text(str(value))  # sanitised by attachment_rows; Text: never markup
                for value in (
                    row["number"],
                    row["message"],
                    row["from"],
                    row["name"],
                    human_size(row["size"]),
                    row["content_type"],
                )
            )
        )
    out.table(table)


attachment_app = typer.Typer(help="Save a ticket's attachments.", no_args_is_help=True)


@attachment_app.command("save")
def save_attachment(
    ctx: typer.Context,
    ticket_id: str = typer.Argument(..., metavar="ID", help="Ticket id (1042 or #1042)."),
    number: int = typer.Argument(
        ..., metavar="N", min=1, help="The attachment's number (`tickets attachments ID`)."
    ),
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE (- for stdout) instead of the attachment's own name, sanitised, "
        "in the current directory.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace a file that exists."),
) -> None:
    """Save an attachment's bytes; prints the file written.  Never writes outside the current
    directory through the attachment's name, never replaces a file without --force, and never
    writes binary data to a terminal."""
    from csm_console.services import mail_reads, ticket_reads

    st = state(ctx)
    number_of_ticket = ticket_reads.parse_ticket_id(ticket_id)
    view, data = mail_reads.attachment_content(
        st.store(), ticket_id=number_of_ticket, number=number
    )
    written = save(view, data, output, force=force)
    if written is None:
        return
    sys.stdout.write(f"{sanitize(written, single_line=True)}\n")
    info(
        f"saved attachment {number} of #{number_of_ticket} ({human_size(len(data))}) to "
        f"{sanitize(written, single_line=True)}"
    )
