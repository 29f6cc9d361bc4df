"""What a parsed e-mail becomes on the tickets, inside the intake's transaction
(`services.mail_intake`): the rules of issue 14, "What a message becomes", in the order they
are tried.

1. A loop (from one of our own addresses, or carrying our `X-CSM-Loop` header naming this
   store) is dropped with the reason.
2. A bounce is matched to the outgoing mail it reports on (`outgoing_mail.mail_id`): that row
   becomes `failed` with the reason, the bounce is stored on its ticket as a flagged system
   message (no status change); unmatched, it is dropped.
3. The ticket it answers: In-Reply-To, then References (newest first), naming a
   `message.mail_id` or an `outgoing_mail.mail_id`; else a `[#1234]` subject tag, when the
   sender is that ticket's customer.  A stranger's tag opens a new ticket (4) that mentions the
   tagged one in an internal system note.
4. Auto-generated mail (out-of-office ...) is stored flagged on its ticket and changes nothing;
   threading nowhere, it is dropped.  An answer to a CSAT survey that begins with a digit 1–5
   records the rating (`tickets.apply_csat`).  Otherwise a follow-up: pending → open, solved →
   reopened (counted), closed → a new ticket linked to the closed one (an internal system note
   and a `link` audit event on the new ticket).
5. Anything else is a new ticket: the customer by the From address (created if new), the
   mailbox's defaults, then the routing rules and SLA clocks as for any ticket
   (`routing.route`, `ticket_core.insert_ticket`).

Every status change goes through `tickets.apply_status` (audit `status` / `reopen`, actor
none: the system); every stored message gets its attachments (`blob` by SHA-256, once).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from csm_console.domain.mail import (
    Mailbox,
    MailSettings,
    MessageFlag,
    Outcome,
    ParsedMail,
    find_subject_tag,
    flags_text,
)
from csm_console.domain.model import AuthorKind, Channel, Language, Priority, Status, Tier
from csm_console.domain.quoted import split_quoted
from csm_console.domain.text import guess_language
from csm_console.domain.ticket_record import MAX_BODY, MAX_NAME, clean_category, clean_email
from csm_console.services.routing import route
from csm_console.services.ticket_core import (
    NewTicket,
    append_search_text,
    bump_version,
    find_or_add_customer,
    insert_ticket,
    policy_rules,
    team_for_tier,
    write_audit,
)
from csm_console.services.tickets import apply_csat, apply_status
from csm_console.services.transfer import store_key
from csm_console.store.models import (
    Attachment,
    Customer,
    Message,
    OutgoingMail,
    Team,
    Ticket,
)

MAX_THREAD_IDS = 100  # Message-IDs of In-Reply-To and References looked up
MAX_ATTACHMENTS = 500  # per message; more are not kept (the receipt says so)
MAX_CSAT_COMMENT = 2000
NO_SUBJECT = "(no subject)"
NO_TEXT = "(no text)"

_RATING = re.compile(r"^\s*([1-5])(?![0-9])[\s.,:;/)!-]*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    ticket_id: int | None = None
    message_id: int | None = None
    detail: str = ""


def decide(
    session: Session,
    parsed: ParsedMail,
    *,
    mail: MailSettings,
    mailbox: Mailbox | None,
    now: datetime,
) -> Decision:
    """Apply the rules (module docstring) and write what they decide, in `session`."""
    loop = _loop_reason(session, parsed, mail)
    if loop:
        return Decision(Outcome.DROPPED, detail=loop)
    if MessageFlag.BOUNCE in parsed.flags:
        return _bounce(session, parsed, now)
    ticket_id, survey = _thread(session, parsed)
    mention: str | None = None  # a new ticket's note naming the ticket it is linked to
    linked: int | None = None
    if ticket_id is None:
        tagged = find_subject_tag(parsed.subject, mail.tag_prefix)
        if tagged is not None:
            owner = session.execute(
                select(col(Customer.email))
                .join(Ticket, col(Ticket.customer_id) == col(Customer.id))
                .where(col(Ticket.id) == tagged)
            ).scalar_one_or_none()
            if owner is not None and owner == parsed.sender:
                ticket_id = tagged
            elif owner is not None:
                mention = (
                    f"The subject names #{tagged}, but the sender ({parsed.sender}) is not its "
                    "customer: a new ticket, not a follow-up."
                )
                linked = tagged
    if MessageFlag.AUTO_REPLY in parsed.flags:
        if ticket_id is None:
            return Decision(Outcome.DROPPED, detail="auto-reply to no ticket of ours")
        ticket = _locked(session, ticket_id)
        message = _add_message(session, ticket, parsed, now)
        return Decision(Outcome.AUTO_REPLY, ticket_id, message.id)
    if ticket_id is not None:
        ticket = _locked(session, ticket_id)
        if survey and not Status(ticket.status).is_active:
            rating = survey_rating(parsed.body)
            if rating is not None:
                score, comment = rating
                message = _add_message(session, ticket, parsed, now)
                apply_csat(session, ticket, None, score=score, comment=comment, now=now)
                return Decision(Outcome.RATING, ticket_id, message.id, f"CSAT {score}")
        if ticket.status == Status.CLOSED.value:
            mention = f"Follow-up to #{ticket_id}, which is closed."
            linked = ticket_id
        else:
            return _follow_up(session, ticket, parsed, now)
    return _new_ticket(
        session,
        parsed,
        mailbox=mailbox,
        now=now,
        mention=mention,
        linked=linked,
    )


def _loop_reason(session: Session, parsed: ParsedMail, mail: MailSettings) -> str:
    if parsed.sender in mail.our_addresses():
        return f"loop: from our own address {parsed.sender}"
    if parsed.loop_marker and parsed.loop_marker.strip() == store_key(session):
        return "loop: our own X-CSM-Loop header"
    return ""


def _thread(session: Session, parsed: ParsedMail) -> tuple[int | None, bool]:
    """The ticket the message answers by its threading headers, and whether what it answers
    is a survey."""
    wanted = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))
    wanted = wanted[:MAX_THREAD_IDS]
    if not wanted:
        return None, False
    found: dict[str, tuple[int, bool]] = {}
    for mail_id, ticket_id, kind in session.execute(
        select(
            col(OutgoingMail.mail_id), col(OutgoingMail.ticket_id), col(OutgoingMail.kind)
        ).where(col(OutgoingMail.mail_id).in_(wanted))
    ):
        found[mail_id] = (ticket_id, kind == "survey")
    for mail_id, ticket_id in session.execute(
        select(col(Message.mail_id), col(Message.ticket_id)).where(col(Message.mail_id).in_(wanted))
    ):
        found.setdefault(mail_id, (ticket_id, False))
    for mail_id in wanted:
        if mail_id in found:
            return found[mail_id]
    return None, False


def survey_rating(body: str) -> tuple[int, str] | None:
    """A survey answer that begins (before the quoted history) with a digit 1–5: the score and
    the rest as the comment."""
    match = _RATING.match(split_quoted(body)[0].strip())
    if match is None:
        return None
    return int(match.group(1)), match.group(2).strip()[:MAX_CSAT_COMMENT]


def _locked(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=True)
    assert ticket is not None  # found by a join in this transaction
    return ticket


def _bounce(session: Session, parsed: ParsedMail, now: datetime) -> Decision:
    ids = list(dict.fromkeys(parsed.bounced_ids))[:MAX_THREAD_IDS]
    outgoing = (
        session.execute(
            select(OutgoingMail)
            .where(col(OutgoingMail.mail_id).in_(ids))
            .order_by(col(OutgoingMail.id))
            .with_for_update()
        )
        .scalars()
        .all()
        if ids
        else []
    )
    if not outgoing:
        return Decision(Outcome.DROPPED, detail="bounce of no mail we sent")
    reason = parsed.bounce_reason.strip() or "bounced (no reason given)"
    for row in outgoing:
        row.state = "failed"
        row.server_reply = reason[:2000]
    first = outgoing[0]
    ticket = _locked(session, first.ticket_id)
    message = _add_message(session, ticket, parsed, now, author=AuthorKind.SYSTEM, internal=True)
    write_audit(
        session,
        ticket,
        None,
        "bounce",
        now,
        field="outgoing_mail",
        old=first.mail_id,
        new=f"failed: {reason[:200]}",
    )
    return Decision(Outcome.BOUNCE, ticket.id, message.id, reason[:200])


def _follow_up(session: Session, ticket: Ticket, parsed: ParsedMail, now: datetime) -> Decision:
    assert ticket.id is not None
    message = _add_message(session, ticket, parsed, now)
    status = Status(ticket.status)
    outcome = Outcome.FOLLOW_UP
    if status is Status.SOLVED:
        apply_status(session, ticket, None, Status.OPEN, now)
        outcome = Outcome.REOPENED
    elif status is Status.PENDING:
        apply_status(session, ticket, None, Status.OPEN, now)
    return Decision(outcome, ticket.id, message.id)


def _body_of(parsed: ParsedMail) -> tuple[str, frozenset[MessageFlag]]:
    body = parsed.body.strip()
    flags = parsed.flags
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY]
        flags = flags | {MessageFlag.TRUNCATED}
    if not body:
        body = NO_TEXT
    return body, flags


def _add_message(
    session: Session,
    ticket: Ticket,
    parsed: ParsedMail,
    now: datetime,
    *,
    author: AuthorKind = AuthorKind.CUSTOMER,
    internal: bool = False,
) -> Message:
    """The e-mail as a message on a ticket (whose row this transaction holds), with its
    attachments; the ticket's version moves on and an audit event says so."""
    assert ticket.id is not None
    body, flags = _body_of(parsed)
    message = Message(
        ticket_id=ticket.id,
        author_kind=author.value,
        internal=internal,
        body=body,
        created_at=now,
        mail_id=parsed.message_id,
        sender=parsed.sender,
        flags=flags_text(flags),
    )
    session.add(message)
    session.flush()
    _store_attachments(session, message, parsed)
    append_search_text(ticket, body)
    bump_version(ticket, now)
    write_audit(session, ticket, None, "mail", now, field="mail", new=_mail_note(parsed, flags))
    return message


def _mail_note(parsed: ParsedMail, flags: frozenset[MessageFlag]) -> str:
    words = f" ({flags_text(flags)})" if flags else ""
    return f"e-mail from {parsed.sender}{words}"


def _store_attachments(session: Session, message: Message, parsed: ParsedMail) -> None:
    assert message.id is not None
    for position, item in enumerate(parsed.attachments[:MAX_ATTACHMENTS]):
        digest = hashlib.sha256(item.data).hexdigest()
        # stored once, also when another transaction stores the same bytes at the same moment
        session.execute(
            text(
                "INSERT INTO blob (sha256, size, data) VALUES (:sha256, :size, :data) "
                "ON CONFLICT (sha256) DO NOTHING"
            ),
            {"sha256": digest, "size": len(item.data), "data": item.data},
        )
        session.add(
            Attachment(
                message_id=message.id,
                position=position,
                filename=item.filename[:255],
                content_type=item.content_type[:127],
                size=len(item.data),
                sha256=digest,
                inline=item.inline,
            )
        )


_DEFAULTS_KEY = "csm_mail_defaults"  # session.info: a mailbox's team id, category, notes
_POLICIES_KEY = "csm_mail_policies"  # session.info: the SLA policies, read once a transaction


def _mailbox_defaults(session: Session, mailbox: Mailbox | None) -> tuple[Team, str | None, str]:
    """The mailbox's team (by name, any tier; else the first L1 team) and category, and a note
    naming a default that could not be used (the ticket is still made).  Looked up once per
    transaction (an import takes many messages in one): the intake changes no team."""
    cache: dict[object, tuple[int, str | None, str]] = session.info.setdefault(_DEFAULTS_KEY, {})
    key = (mailbox.name, mailbox.team, mailbox.category) if mailbox is not None else None
    if key in cache:
        team_id, category, problems = cache[key]
        team = session.get(Team, team_id)
        if team is not None:
            return team, category, problems
    team, category, problems = _read_mailbox_defaults(session, mailbox)
    assert team.id is not None
    cache[key] = (team.id, category, problems)
    return team, category, problems


def _read_mailbox_defaults(
    session: Session, mailbox: Mailbox | None
) -> tuple[Team, str | None, str]:
    notes: list[str] = []
    if mailbox is not None and mailbox.team:
        team: Team | None = session.execute(
            select(Team).where(func.lower(col(Team.name)) == mailbox.team.strip().lower())
        ).scalar_one_or_none()
        if team is not None:
            category = _category(mailbox, notes)
            return team, category, "; ".join(notes)
        notes.append(f"mailbox {mailbox.name}: no team named {mailbox.team!r}")
    category = _category(mailbox, notes)
    return team_for_tier(session, Tier.L1), category, "; ".join(notes)


def _category(mailbox: Mailbox | None, notes: list[str]) -> str | None:
    if mailbox is None:
        return None
    try:
        return clean_category(mailbox.category)
    except ValueError as error:
        notes.append(f"mailbox {mailbox.name}: {error}")
        return None


def _new_ticket(
    session: Session,
    parsed: ParsedMail,
    *,
    mailbox: Mailbox | None,
    now: datetime,
    mention: str | None,
    linked: int | None,
) -> Decision:
    email = clean_email(parsed.sender)
    body, flags = _body_of(parsed)
    subject = parsed.subject.strip() or NO_SUBJECT
    language = None  # a new customer's: guessed from the text
    if mailbox is not None and mailbox.language in {lang.value for lang in Language}:
        # the mailbox's language, unless the text is plainly in another
        found = guess_language(subject + "\n" + body)
        language = Language(found if found != Language.EN.value else str(mailbox.language))
    customer = find_or_add_customer(
        session,
        email=email,
        name=(parsed.sender_name.strip()[:MAX_NAME] or None),
        language=language,
        channel=Channel.EMAIL,
        text=subject + "\n" + body,
    )
    team, category, problems = _mailbox_defaults(session, mailbox)
    priority = Priority.NORMAL
    if mailbox is not None and mailbox.priority:
        with contextlib.suppress(ValueError):
            priority = Priority.parse(mailbox.priority)
    new, rule = route(
        session,
        NewTicket(
            customer=customer,
            subject=subject,
            body=body,
            channel=Channel.EMAIL,
            priority=priority,
            category=category,
            tags=(),
            tier=Tier(team.tier),
            team=team,
            created_at=now,
            mail_id=parsed.message_id,
            sender=parsed.sender,
            flags=flags_text(flags),
        ),
    )
    rules = session.info.get(_POLICIES_KEY)
    if rules is None:
        rules = session.info[_POLICIES_KEY] = policy_rules(session)
    ticket = insert_ticket(session, new, actor=None, now=now, rule=rule, rules=rules)
    assert ticket.id is not None
    ticket.mailbox = mailbox.name if mailbox else None
    message = session.execute(
        select(Message).where(col(Message.ticket_id) == ticket.id)
    ).scalar_one()  # the first message, written with its headers by insert_ticket
    _store_attachments(session, message, parsed)
    outcome = Outcome.NEW
    detail = ""
    if mention is not None and linked is not None:
        session.add(
            Message(
                ticket_id=ticket.id,
                author_kind=AuthorKind.SYSTEM.value,
                internal=True,
                body=mention,
                created_at=now,
            )
        )
        write_audit(session, ticket, None, "link", now, field="linked", new=f"#{linked}")
        outcome = Outcome.LINKED
        detail = f"linked to #{linked}"
    skipped = len(parsed.attachments) - MAX_ATTACHMENTS
    kept = f"{skipped} attachments not kept" if skipped > 0 else ""
    detail = "; ".join(filter(None, [detail, kept, problems]))
    return Decision(outcome, ticket.id, message.id, detail)
