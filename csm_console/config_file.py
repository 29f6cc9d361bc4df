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


class FileSettings(BaseModel):
    """What the config file may hold.  Unknown keys are an error (a typo should not pass)."""

    model_config = ConfigDict(extra="forbid")

    database_url: str | None = None
    agent: str | None = None
    theme: str | None = None
    keymap: dict[str, str] = Field(default_factory=dict)
    views: list[ViewConfig] = Field(default_factory=list)
    max_body_file: int | None = Field(default=None, ge=1)  # bytes; see config.FileLimits
    max_article_file: int | None = Field(default=None, ge=1)
    max_import_file: int | None = Field(default=None, ge=1)

    @field_validator("agent")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None
