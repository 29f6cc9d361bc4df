"""`csm mail import`: messages from files (Maildir, mbox, .eml) through the intake, in date order.

Each message is one `mail_intake.take_in` (its own transaction), so a re-run adds nothing (the
receipts make every message already taken in a duplicate) and an import stopped halfway (the
store went away, Ctrl-C) resumes where it stopped when run again.  A message over
`max_mail_size`, or a file that cannot be read, is skipped and named: the file is still there,
and a re-run after raising the limit takes it in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from csm_console.channels.mail_files import FoundMessage
from csm_console.domain.mail import Mailbox, MailSettings, Outcome
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError
from csm_console.services.clock import utcnow
from csm_console.services.mail_intake import take_in
from csm_console.services.progress import Progress, no_progress
from csm_console.store.engine import Store


@dataclass(frozen=True)
class Problem:
    source: str
    reason: str
    quarantine_id: int | None = None


@dataclass(frozen=True)
class ImportSummary:
    total: int  # messages found
    outcomes: dict[str, int]  # Outcome value → how many (and "skipped")
    skipped: tuple[Problem, ...]  # not taken in (too large, unreadable)
    quarantined: tuple[Problem, ...]

    def line(self) -> str:
        parts = [f"{n} {name}" for name, n in self.outcomes.items() if n]
        return f"{self.total} messages" + (": " + ", ".join(parts) if parts else "")


def import_messages(
    store: Store,
    found: Sequence[FoundMessage],
    *,
    mail: MailSettings,
    mailbox: Mailbox | None,
    progress: Progress = no_progress,
    now: datetime | None = None,
    acknowledge_new: bool = False,
) -> ImportSummary:
    """Take in every message found, in the order given (`find_messages` sorts by date).  New
    tickets are not acknowledged unless `acknowledge_new`: an import is usually old mail."""
    counts: Counter[str] = Counter()
    skipped: list[Problem] = []
    quarantined: list[Problem] = []
    total = len(found)
    progress("importing", 0, total)
    for done, item in enumerate(found, start=1):
        source = sanitize(item.source, single_line=True)
        if item.size == 0:
            skipped.append(Problem(source, "an empty file"))
            counts["skipped"] += 1
        elif item.size > mail.max_message:
            skipped.append(
                Problem(
                    source,
                    f"too large: {item.size} bytes, the limit is {mail.max_message} "
                    "(max_mail_size)",
                )
            )
            counts["skipped"] += 1
        else:
            try:
                raw = item.read()
            except (OSError, UsageError) as error:
                reason = getattr(error, "strerror", None) or str(error)
                skipped.append(Problem(source, f"cannot read it: {reason}"))
                counts["skipped"] += 1
            else:
                result = take_in(
                    store,
                    raw,
                    mail=mail,
                    mailbox=mailbox,
                    now=now or utcnow(),
                    acknowledge_new=acknowledge_new,
                )
                counts[result.outcome.value] += 1
                if result.outcome is Outcome.QUARANTINED:
                    quarantined.append(Problem(source, result.detail, result.quarantine_id))
        progress("importing", done, total)
    order = [o.value for o in Outcome] + ["skipped"]
    return ImportSummary(
        total=total,
        outcomes={name: counts[name] for name in order if counts[name]},
        skipped=tuple(skipped),
        quarantined=tuple(quarantined),
    )
