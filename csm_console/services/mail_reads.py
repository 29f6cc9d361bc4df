"""Reading the e-mail side of a thread: the files messages carry and the delivery state of our
own mails.  Each is read for all of a ticket's messages at once (one query by message ids), so
opening a ticket costs the same few queries however long its thread is.

Attachments are numbered 1, 2, ... across the ticket in thread order (messages by time, then
each message's files by position): the number that `csm tickets attachment save ID N` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from csm_console.errors import NotFound, UsageError
from csm_console.services.records import AttachmentView, DeliveryView
from csm_console.store.engine import Store
from csm_console.store.models import Attachment, Blob, Message, OutgoingMail, Ticket

CHUNK = 500  # ids bound in one IN (...): far below every driver's parameter limit


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[start : start + CHUNK]) for start in range(0, len(ids), CHUNK)]


def attachments_by_message(session: Session, message_ids: Sequence[int]) -> dict[int, list[Any]]:
    """message id → its attachment rows (id, message_id, filename, size, content_type, sha256,
    inline), by position; one query for up to CHUNK messages."""
    found: dict[int, list[Any]] = {}
    for chunk in _chunks(message_ids):
        rows = session.execute(
            select(
                col(Attachment.id),
                col(Attachment.message_id),
                col(Attachment.filename),
                col(Attachment.size),
                col(Attachment.content_type),
                col(Attachment.sha256),
                col(Attachment.inline),
            )
            .where(col(Attachment.message_id).in_(chunk))
            .order_by(col(Attachment.message_id), col(Attachment.position), col(Attachment.id))
        )
        for row in rows:
            found.setdefault(row.message_id, []).append(row)
    return found


def deliveries_by_message(session: Session, message_ids: Sequence[int]) -> dict[int, DeliveryView]:
    """message id → the state of the outgoing mail that carries it (the newest, should a
    message have been queued twice); one query for up to CHUNK messages."""
    found: dict[int, DeliveryView] = {}
    for chunk in _chunks(message_ids):
        rows = session.execute(
            select(
                col(OutgoingMail.message_id),
                col(OutgoingMail.state),
                col(OutgoingMail.attempts),
                col(OutgoingMail.server_reply),
                col(OutgoingMail.recipient),
                col(OutgoingMail.kind),
                col(OutgoingMail.sent_at),
                col(OutgoingMail.next_attempt_at),
            )
            .where(col(OutgoingMail.message_id).in_(chunk))
            .order_by(col(OutgoingMail.id))
        )
        for row in rows:  # the newest last: it wins
            found[row.message_id] = DeliveryView(
                state=row.state,
                attempts=row.attempts,
                server_reply=row.server_reply,
                recipient=row.recipient,
                kind=row.kind,
                sent_at=row.sent_at,
                next_attempt_at=row.next_attempt_at,
            )
    return found


def number_attachments(
    message_ids: Sequence[int], rows: dict[int, list[Any]]
) -> dict[int, tuple[AttachmentView, ...]]:
    """The views of `rows`, numbered across `message_ids` (in thread order) from 1."""
    views: dict[int, tuple[AttachmentView, ...]] = {}
    number = 0
    for message_id in message_ids:
        mine: list[AttachmentView] = []
        for row in rows.get(message_id, ()):
            number += 1
            mine.append(
                AttachmentView(
                    number=number,
                    message_id=message_id,
                    name=row.filename,
                    size=row.size,
                    content_type=row.content_type,
                    sha256=row.sha256,
                    inline=bool(row.inline),
                )
            )
        if mine:
            views[message_id] = tuple(mine)
    return views


def _thread_message_ids(session: Session, ticket_id: int) -> list[int]:
    if session.get(Ticket, ticket_id) is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    return list(
        session.execute(
            select(col(Message.id))
            .where(col(Message.ticket_id) == ticket_id)
            .order_by(col(Message.created_at), col(Message.id))
        ).scalars()
    )


def ticket_attachments(store: Store, *, ticket_id: int) -> list[AttachmentView]:
    """Every file of a ticket's messages, numbered in thread order."""
    with store.read() as session:
        ids = _thread_message_ids(session, ticket_id)
        numbered = number_attachments(ids, attachments_by_message(session, ids))
    return [view for message_id in ids for view in numbered.get(message_id, ())]


def attachment_content(
    store: Store, *, ticket_id: int, number: int
) -> tuple[AttachmentView, bytes]:
    """Attachment `number` of a ticket (as `ticket_attachments` numbers them) and its bytes."""
    with store.read() as session:
        ids = _thread_message_ids(session, ticket_id)
        numbered = number_attachments(ids, attachments_by_message(session, ids))
        views = [view for message_id in ids for view in numbered.get(message_id, ())]
        if not views:
            raise NotFound(f"ticket #{ticket_id} has no attachments")
        if not 1 <= number <= len(views):
            raise UsageError(
                f"ticket #{ticket_id} has {len(views)} attachment{'s' if len(views) != 1 else ''}"
                f"; N is 1 to {len(views)} (see csm tickets attachments {ticket_id})"
            )
        view = views[number - 1]
        data = session.execute(
            select(col(Blob.data)).where(col(Blob.sha256) == view.sha256)
        ).scalar_one_or_none()
    if data is None:
        raise NotFound(f"the bytes of attachment {number} of #{ticket_id} are missing")
    return view, bytes(data)
