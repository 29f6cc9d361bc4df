"""Settings: defaults, then the TOML config file, then `CSM_*` environment, then flags.

`load_settings` records where each value came from, for `csm config show`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from csm_console.domain.mail import MailSettings, mail_settings
from csm_console.errors import ConfigError

if TYPE_CHECKING:
    # The file's schema (pydantic models) is imported only when there is a file to read.
    from csm_console.config_file import FileSettings, ViewConfig
else:

    def __getattr__(name: str) -> Any:
        if name in ("FileSettings", "ViewConfig"):
            from csm_console import config_file

            return getattr(config_file, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


APP_NAME = "csm"
ENV_CONFIG_FILE = "CSM_CONFIG_FILE"
ENV_DATA_DIR = "CSM_DATA_DIR"


@dataclass(frozen=True)
class Paths:
    config_file: Path
    data_dir: Path
    default_store: Path
    demo_store: Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    agent: str | None
    theme: str
    keymap: dict[str, str]
    views: list[ViewConfig]
    paths: Paths
    sources: dict[str, str] = field(default_factory=dict)
    limits: FileLimits = field(default_factory=lambda: FileLimits())
    mail: MailSettings = field(default_factory=MailSettings)
    bell: bool = True  # `[console] bell`: the console rings with a notification


@dataclass(frozen=True)
class FileLimits:
    """How many bytes a file given to a command may have (`max_body_file` ...)."""

    body: int = 1_000_000  # --body-file, --body -, calendars --file
    article: int = 10_000_000  # each file of `kb import`
    records: int = 1_000_000_000  # `csm import tickets FILE`


# the config key, its CSM_* variable, and the FileLimits field it sets
LIMIT_KEYS = (
    ("max_body_file", "CSM_MAX_BODY_FILE", "body"),
    ("max_article_file", "CSM_MAX_ARTICLE_FILE", "article"),
    ("max_import_file", "CSM_MAX_IMPORT_FILE", "records"),
)


def _limits(
    file_settings: FileSettings | None,
    env: Mapping[str, str],
    file_label: str,
    sources: dict[str, str],
) -> FileLimits:
    chosen: dict[str, int] = {}
    for key, var, name in LIMIT_KEYS:
        value: object = getattr(file_settings, key) if file_settings is not None else None
        source = file_label
        if env.get(var):
            value, source = env[var], f"environment {var}"
        if value is None:
            sources[key] = "default"
            continue
        try:
            size = int(str(value).replace("_", ""))
        except ValueError:
            size = 0
        if size < 1:
            raise ConfigError(f"{key} ({source}): a number of bytes, at least 1 (got {value!r})")
        chosen[name], sources[key] = size, source
    return FileLimits(**chosen)


def resolve_paths(
    config_file: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Paths:
    env = os.environ if env is None else env
    # os.path.expanduser leaves `~nobody` as written; Path.expanduser raises RuntimeError
    data_dir = Path(
        os.path.expanduser(env.get(ENV_DATA_DIR) or platformdirs.user_data_dir(APP_NAME))
    )
    chosen = config_file or env.get(ENV_CONFIG_FILE)
    config_path = (
        Path(os.path.expanduser(chosen))
        if chosen
        else Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
    )
    return Paths(
        config_file=config_path,
        data_dir=data_dir,
        default_store=data_dir / "csm.db",
        demo_store=data_dir / "demo.db",
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def load_settings(
    *,
    config_file: str | Path | None = None,
    database_url: str | None = None,
    agent: str | None = None,
    theme: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Layer defaults < config file < environment < flags, remembering each value's source."""
    env = os.environ if env is None else env
    paths = resolve_paths(config_file, env)
    explicit = bool(config_file or env.get(ENV_CONFIG_FILE))
    file_settings = _read_file(paths.config_file, required=explicit)
    file_label = f"config file {paths.config_file}"

    values: dict[str, Any] = {
        "database_url": sqlite_url(paths.default_store),
        "agent": None,
        "theme": "csm-dark",
    }
    sources = dict.fromkeys(values, "default")
    for name in values:
        from_file = getattr(file_settings, name) if file_settings is not None else None
        if from_file:
            values[name], sources[name] = from_file, file_label
    for name, var in (
        ("database_url", "CSM_DATABASE_URL"),
        ("agent", "CSM_AGENT"),
        ("theme", "CSM_THEME"),
    ):
        if env.get(var):
            values[name], sources[name] = env[var], f"environment {var}"
    for name, flag, value in (
        ("database_url", "--db", database_url),
        ("agent", "--as", agent),
        ("theme", "--theme", theme),
    ):
        if value:
            values[name], sources[name] = value, f"flag {flag}"
    keymap = dict(file_settings.keymap) if file_settings is not None else {}
    views = list(file_settings.views) if file_settings is not None else []
    sources["keymap"] = file_label if keymap else "default"
    sources["views"] = file_label if views else "default"
    limits = _limits(file_settings, env, file_label, sources)
    mail = _mail(file_settings, env, file_label, sources)
    bell = file_settings.console.bell if file_settings is not None else True
    sources["bell"] = file_label if "console" in _set_fields(file_settings) else "default"
    return Settings(
        database_url=values["database_url"],
        agent=values["agent"],
        theme=values["theme"],
        keymap=keymap,
        views=views,
        paths=paths,
        sources=sources,
        limits=limits,
        mail=mail,
        bell=bell,
    )


def _set_fields(file_settings: FileSettings | None) -> set[str]:
    return set(file_settings.model_fields_set) if file_settings is not None else set()


def _mail(
    file_settings: FileSettings | None,
    env: Mapping[str, str],
    file_label: str,
    sources: dict[str, str],
) -> MailSettings:
    """The e-mail channel's settings: the file's, with `CSM_SMTP_URL` over its `smtp_url`."""
    raw: dict[str, Any] = {}
    if file_settings is not None:
        raw = file_settings.model_dump(
            include={
                "mailboxes", "smtp_url", "smtp_password_env", "smtp_password_command",
                "mail_tag_prefix", "mail_charsets", "max_mail_size",
            }
        )  # fmt: skip
    sources["mailboxes"] = file_label if raw.get("mailboxes") else "default"
    sources["smtp_url"] = file_label if raw.get("smtp_url") else "default"
    if env.get("CSM_SMTP_URL"):
        raw["smtp_url"], sources["smtp_url"] = env["CSM_SMTP_URL"], "environment CSM_SMTP_URL"
    try:
        return mail_settings(raw)
    except ValueError as exc:
        raise ConfigError(f"{file_label}: {exc}") from None


def _read_file(path: Path, *, required: bool) -> FileSettings | None:
    """The config file's settings; None when there is no file (and none is required)."""
    if not path.exists():
        if required:
            raise ConfigError(f"config file {path} does not exist")
        return None
    import tomllib

    from pydantic import ValidationError

    from csm_console.config_file import FileSettings

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        return FileSettings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        valid = ", ".join(FileSettings.model_fields)
        raise ConfigError(f"config file {path}: {problems} (valid keys: {valid})") from None
