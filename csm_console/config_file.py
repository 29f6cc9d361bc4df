"""What the TOML config file may hold, validated with pydantic.

Imported only when a config file exists (see `csm_console.config._read_file`), so that commands
run without one never build these models.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ViewConfig(BaseModel):
    """A named queue view: a name, a query in the query language, and a sort key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    query: str = ""
    sort: str = "sla"


class MailboxConfig(BaseModel):
    """A `[[mailboxes]]` entry: where mail comes in and what a new ticket from it gets."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    addresses: list[str] = Field(min_length=1)
    imap_url: str | None = None
    folder: str = "INBOX"
    move_to: str | None = None
    password_env: str | None = None
    password_command: str | None = None
    team: str | None = None
    category: str | None = None
    language: str | None = None
    priority: str | None = None
    acknowledge: bool = True
    survey: bool = True

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        cleaned = [a.strip().lower() for a in value]
        for address in cleaned:
            if address.count("@") != 1 or any(c.isspace() for c in address):
                raise ValueError(f"not an e-mail address: {address!r}")
        return cleaned


class ConsoleConfig(BaseModel):
    """`[console]`: how the console behaves."""

    model_config = ConfigDict(extra="forbid")

    bell: bool = True  # ring the terminal bell with a notification (at most once in 10 s)


class FileSettings(BaseModel):
    """What the config file may hold.  Unknown keys are an error (a typo should not pass)."""

    model_config = ConfigDict(extra="forbid")

    database_url: str | None = None
    agent: str | None = None
    theme: str | None = None
    keymap: dict[str, str] = Field(default_factory=dict)
    views: list[ViewConfig] = Field(default_factory=list)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    max_body_file: int | None = Field(default=None, ge=1)  # bytes; see config.FileLimits
    max_article_file: int | None = Field(default=None, ge=1)
    max_import_file: int | None = Field(default=None, ge=1)
    # the e-mail channel (domain.mail.MailSettings)
    mailboxes: list[MailboxConfig] = Field(default_factory=list)
    smtp_url: str | None = None
    smtp_password_env: str | None = None
    smtp_password_command: str | None = None
    mail_tag_prefix: str | None = Field(default=None, min_length=1, max_length=20)
    mail_charsets: list[str] | None = None
    max_mail_size: int | None = Field(default=None, ge=1024)

    @field_validator("agent")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None
