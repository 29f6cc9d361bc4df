"""One error hierarchy for the CLI and the console.  Each error carries its CLI exit code."""

from __future__ import annotations


class CsmError(Exception):
    """A failure the user can understand and act on.  Never shown with a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CsmError):
    """Bad input: a bad flag value, a query that does not parse, an unknown name."""

    exit_code = 2


class QueryError(UsageError):
    """The query language could not make sense of the input."""


class BadRecords(UsageError):
    """An import with bad records: each problem names its line (or index) and field.  Nothing
    was written."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class NothingToDo(CsmError):
    """Nothing to do: a re-run after everything was done (an empty stdin of ids, an import with
    no records, a batch already undone).  Not an error: exit 0, the reason on stderr."""

    exit_code = 0


class NotFound(CsmError):
    """No such ticket, agent, batch, article, ... (exit 3)."""

    exit_code = 3


class QueueEmpty(NotFound):
    """No ticket to take (`tickets next`): exit 3, so that a script's
    `while id=$(csm tickets next); do ...; done` ends."""


class PermissionDenied(CsmError):
    """The acting agent lacks the right; the message names the missing right."""

    exit_code = 5


class StoreUnavailable(CsmError):
    """The store cannot be reached, or stayed locked past the busy timeout."""

    exit_code = 6


class Conflict(CsmError):
    """A write was based on a stale version of a ticket; the message says who changed what."""

    exit_code = 4


class AuditBroken(CsmError):
    """`csm audit verify` found the audit chain broken: the message names the first bad row."""

    exit_code = 7


class SchemaError(StoreUnavailable):
    """The store is missing, has no schema, or an older one: run `csm init` or `csm db upgrade`.
    For scripts it is one more way the store cannot be used (exit 6); the message says which."""


class MailServerError(CsmError):
    """A mail server (IMAP) cannot be reached, refused the login, or failed mid-way; the
    message names the server and never holds a password.  Nothing was lost: the next run
    picks up where this one stopped."""

    exit_code = 8


class MailServerUnavailable(MailServerError):
    """A mail server could not be reached (`csm mail send`): nothing is lost, every mail waits
    for its next attempt.  Exit 75 (EX_TEMPFAIL): try again later."""

    exit_code = 75


class ConfigError(UsageError):
    """The configuration file or a setting is invalid."""


EXIT_CODES: dict[int, str] = {
    0: "ok, also when there was nothing to do (stderr says so)",
    1: "error (unexpected: please report it)",
    2: "usage, bad value, bad query or bad configuration",
    3: "not found: no such ticket, agent, batch, ..., or no ticket to take (tickets next)",
    4: "conflict: the ticket changed since it was read",
    5: "permission denied",
    6: "store unavailable: unreachable, locked too long, full disk, missing, or without the schema",
    7: "the audit chain is broken (csm audit verify)",
    8: "a mail server cannot be reached or refused the login (csm mail fetch)",
    75: "try again later, nothing is lost: mail receive could not store the message now, or "
    "mail send could not reach the SMTP server",
}
