"""One message of the ticket pane's thread, drawn: who wrote it and when; for a mail, the
sender (or recipient), its flags and our outbox's delivery state, each a symbol and a word;
the text with its quoted history folded (or open); and the files it carries.

Everything from the message is customer-controlled (text, addresses, file names, the
server's answer) and reaches the screen through `safe` as `Text`, never as markup.
"""

from __future__ import annotations

from rich.console import Group
from rich.padding import Padding
from rich.text import Text

from csm_console.domain.mail_words import ALARMING, delivery_label, flag_label, human_size
from csm_console.domain.quoted import split_quoted
from csm_console.services.records import MessageView
from csm_console.tui.safe_text import safe

MAX_REPLY_SHOWN = 200  # characters of a server's answer on the delivery line
AUTOMATIC = frozenset({"auto-reply", "bounce"})


def kind_of(m: MessageView) -> tuple[str, str, str]:
    """(label, style, marker) of a message."""
    if m.internal:
        return "internal note", "yellow", "▌ "
    if m.author_kind == "customer":
        return "customer", "cyan", "◀ "
    if m.author_kind == "system":
        return "system", "dim", "· "
    return "reply", "green", "▶ "


def is_mail(m: MessageView) -> bool:
    return bool(m.mail_id or m.sender or m.delivery or m.attachments or m.flags)


def is_automatic(m: MessageView) -> bool:
    """An auto-reply or a bounce: written by a machine, it changed nothing."""
    return bool(AUTOMATIC & set(m.flags))


def has_quote(m: MessageView) -> bool:
    return bool(split_quoted(m.body)[1])


def mail_lines(m: MessageView) -> list[Text]:
    """`✉ email from liga@example.lv` (or `to` for our own mail), then what the mail is, each a
    symbol and a word at the start of a line of its own (`↺ auto-reply`, `✗ failed (3
    attempts): 550 ...`), so that no wrap parts a symbol from its word; colour only on top."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("✉ email", style="dim")
    if m.delivery is not None:
        line.append(" to ", style="dim")
        line.append_text(safe(m.delivery.recipient, single_line=True))
    elif m.sender:
        line.append(" from ", style="dim")
        line.append_text(safe(m.sender, single_line=True))
    lines = [line]
    for flag in m.flags:
        symbol, word = flag_label(flag)
        style = "bold red" if flag in ALARMING else "bold magenta"
        lines.append(safe(f"{symbol} {word}", style, single_line=True))
    if m.delivery is not None:
        d = m.delivery
        symbol, word = delivery_label(d.state)
        style = {"sent": "green", "failed": "bold red", "cancelled": "dim"}.get(d.state, "yellow")
        state = Text(no_wrap=False)
        state.append_text(safe(f"{symbol} {word}", style, single_line=True))
        if d.attempts > 1 or (d.attempts and d.state != "sent"):
            state.append(f" ({d.attempts} attempt{'s' if d.attempts != 1 else ''})", style="dim")
        if d.state in ("failed", "queued") and d.server_reply:
            state.append(": ", style="dim")
            state.append_text(safe(d.server_reply[:MAX_REPLY_SHOWN], single_line=True))
        lines.append(state)
    return lines


def attachment_lines(m: MessageView) -> list[Text]:
    lines = []
    for a in m.attachments:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"▤ file {a.number}: ", style="bold")
        line.append_text(safe(a.name, single_line=True))
        line.append(f"  {human_size(a.size)}", style="dim")
        line.append("  ")
        line.append_text(safe(a.content_type, "dim", single_line=True))
        if a.inline:
            line.append("  inline", style="dim")
        lines.append(line)
    return lines


def render_message(m: MessageView, *, unfolded: bool, fold_key: str) -> Group:
    """The message as the thread shows it; `fold_key` names the key that opens and closes
    quoted history (`z`)."""
    label, style, marker = kind_of(m)
    head = Text(no_wrap=True)
    head.append(marker, style=f"bold {style}")
    head.append_text(safe(m.author, f"bold {style}", single_line=True))
    head.append(f"  {label}", style=style)
    head.append(f"  {m.created_at.strftime('%Y-%m-%d %H:%M')}", style="dim")
    parts: list[Text | Padding] = [Text(""), head]
    if is_mail(m):
        parts += [Padding(line, (0, 0, 0, 2)) for line in mail_lines(m)]
    new, quoted = split_quoted(m.body)
    body_style = "italic" if m.internal else ("dim" if is_automatic(m) else "")
    parts.append(Padding(safe(new, body_style), (0, 0, 0, 2)))  # wrapped lines indented too
    if quoted:
        count = quoted.count("\n") + 1
        lines = f"{count} line{'s' if count != 1 else ''}"
        fold = Text(no_wrap=True, overflow="ellipsis", style="dim")
        if unfolded:
            fold.append(f"▾ quoted history, {lines} ({fold_key} folds)")
            parts.append(Padding(fold, (0, 0, 0, 2)))
            parts.append(Padding(safe(quoted, "dim"), (0, 0, 0, 4)))
        else:
            fold.append(f"▸ quoted history, {lines} folded ({fold_key} shows)")
            parts.append(Padding(fold, (0, 0, 0, 2)))
    parts += [Padding(line, (0, 0, 0, 2)) for line in attachment_lines(m)]
    return Group(*parts)
