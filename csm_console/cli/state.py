"""What every command needs: settings, the store and the acting agent, built on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

# Each import below (and inside the methods) happens on first use: `csm --help` and
# `csm --version` load neither the settings models nor the store (SQLAlchemy), and the plain
# `csm tickets list` (cli/quick.py) no Typer.
if TYPE_CHECKING:
    import typer

    from csm_console.config import Settings
    from csm_console.domain.rights import Actor
    from csm_console.store.engine import Store


@dataclass
class CliState:
    config_file: str | None = None
    database_url: str | None = None
    agent: str | None = None
    theme: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)
    _schema_checked: bool = field(default=False, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from csm_console.config import load_settings

            self._settings = load_settings(
                config_file=self.config_file,
                database_url=self.database_url,
                agent=self.agent,
                theme=self.theme,
            )
        return self._settings

    def store(self, *, check_schema: bool = True, create: bool = False) -> Store:
        """The configured store.  A SQLite file that is not there is an error naming the
        command to run, and nothing is created, unless `create` (init, db upgrade); with
        `check_schema`, so is a store without the schema."""
        if not create:
            from csm_console.store.migrate import refuse_missing_sqlite_file

            refuse_missing_sqlite_file(self.settings().database_url)
        if self._store is None:
            from csm_console.store.engine import Store

            self._store = Store(self.settings().database_url, mail=self.settings().mail)
        if check_schema and not self._schema_checked:  # once: a list asks for the store twice
            from csm_console.store.migrate import check_schema as check

            check(self._store)
            self._schema_checked = True
        return self._store

    def actor(self) -> Actor:
        from csm_console.services.acting import resolve_actor

        return resolve_actor(self.store(), self.settings().agent)

    def known_actor(self) -> Actor | None:
        """The acting agent if one is known (--as, or a PostgreSQL login bound to an agent)."""
        from csm_console.services.acting import known_actor

        return known_actor(self.store(), self.settings().agent)

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj
