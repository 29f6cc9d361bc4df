"""Macros as plain data: a named bundle an operator applies with one key, one variant per
language (like reply templates): an optional reply (a template body, rendered for the ticket
and reviewed in the composer) and actions (`domain.actions`, the kinds `MACRO_KINDS` allows).

As a file (what `csm macros add/edit` open in $EDITOR, and the sample store's
`sample_data/macros/*.md`), a macro is Markdown with front matter; the body is the reply:

    ---
    name: password-reset
    category: account
    language: en
    actions:
      - status=pending
      - tag+=password-reset
    ---
    Hello {{ customer.first_name }}, ...

No body: a macro without a reply, whose actions apply at once (also to marked tickets).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from csm_console.domain.actions import MACRO_KINDS, Action, actions_text, parse_actions
from csm_console.domain.templates import (
    _NAME,
    MAX_TEMPLATE_BODY,
    MAX_TEMPLATE_CATEGORY,
    MAX_TEMPLATE_NAME,
    check_template,
)

MACRO_KEYS = ("name", "category", "language", "actions")
MAX_MACRO_NAME = MAX_TEMPLATE_NAME
MAX_MACRO_CATEGORY = MAX_TEMPLATE_CATEGORY
MAX_MACRO_REPLY = MAX_TEMPLATE_BODY
MAX_ACTION_LINE = 4200  # a note of MAX_TEXT characters and its `note=`


@dataclass(frozen=True, slots=True)
class MacroDraft:
    """A macro variant as written, checked: `reply` is a template body ('' for none)."""

    name: str
    language: str
    reply: str = ""
    actions: tuple[Action, ...] = ()
    category: str | None = None

    @property
    def actions_text(self) -> str:
        return actions_text(self.actions)


def check_name(name: str, *, source: str) -> str:
    name = name.strip()
    if not name:
        raise ValueError(f"{source}: name: required")
    if len(name) > MAX_MACRO_NAME or not _NAME.fullmatch(name):
        raise ValueError(
            f"{source}: name: lower-case letters, digits, '-', '_' or '.', "
            f"at most {MAX_MACRO_NAME} characters (got {name[:60]!r})"
        )
    return name


def check_category(category: str | None, *, source: str) -> str | None:
    category = (category or "").strip() or None
    if category is not None and (
        len(category) > MAX_MACRO_CATEGORY or "\n" in category or not category.isprintable()
    ):
        raise ValueError(f"{source}: category: one line of at most {MAX_MACRO_CATEGORY} characters")
    return category


def check_actions(lines: Iterable[str], *, source: str) -> tuple[Action, ...]:
    """The actions of a macro from their text form: only `MACRO_KINDS`, each line bounded."""
    checked = []
    for line in lines:
        if len(line) > MAX_ACTION_LINE:
            raise ValueError(f"{source}: actions: a line is too long (at most {MAX_ACTION_LINE})")
        checked.append(line)
    try:
        return parse_actions(checked, allowed=MACRO_KINDS)
    except ValueError as exc:
        raise ValueError(f"{source}: actions: {exc}") from None


def check_reply(reply: str, *, source: str, first_line: int = 1) -> str:
    """The reply as stored: trimmed, '' for none, else a template body that
    `check_template` accepts, ending with a newline."""
    reply = reply.replace("\r\n", "\n").strip()
    if not reply:
        return ""
    if len(reply) > MAX_MACRO_REPLY:
        raise ValueError(f"{source}: the reply is too long (at most {MAX_MACRO_REPLY} characters)")
    problems = check_template(reply, first_line=first_line)
    if problems:
        raise ValueError(f"{source}: the reply is refused:\n  " + "\n  ".join(problems))
    return reply + "\n"


def make_macro(
    *,
    name: str,
    language: str,
    reply: str = "",
    actions: Iterable[str] = (),
    category: str | None = None,
    source: str = "macro",
    first_line: int = 1,
) -> MacroDraft:
    """A checked macro variant, or ValueError naming `source` and what is wrong.  A macro must
    do something: a reply, actions, or both."""
    from csm_console.domain.model import Language, parse_enum

    checked_name = check_name(name, source=source)
    try:
        checked_language = parse_enum(Language, language, "language").value
    except ValueError as exc:
        raise ValueError(f"{source}: language: {exc}") from None
    draft = MacroDraft(
        name=checked_name,
        language=checked_language,
        category=check_category(category, source=source),
        actions=check_actions(actions, source=source),
        reply=check_reply(reply, source=source, first_line=first_line),
    )
    if not draft.reply and not draft.actions:
        raise ValueError(f"{source}: the macro does nothing: give it a reply, actions or both")
    return draft


def parse_macro(text: str, *, source: str, lines_of_body: bool = False) -> MacroDraft:
    """A macro from Markdown with front matter (name, category, language, actions as a list
    of `kind=value` lines); the body is the reply (may be empty).  ValueError names `source`,
    the field or each problem of the reply with its line in the file (or, with
    `lines_of_body`, in the reply alone)."""
    from csm_console.domain.frontmatter import front_matter_language, split_front_matter

    meta, body = split_front_matter(text, source=source, known=MACRO_KEYS)
    raw_actions = meta.get("actions") or []
    if isinstance(raw_actions, str):
        raw_actions = raw_actions.splitlines()
    if not isinstance(raw_actions, list) or not all(
        isinstance(a, str | int | float) for a in raw_actions
    ):
        raise ValueError(
            f"{source}: actions: a list of `kind=value` lines (put one with ': ' in it "
            'in quotes: - "note=text: more text")'
        )
    normalized = text.replace("\r\n", "\n")
    stripped = body.replace("\r\n", "\n").strip()
    at = normalized.rfind(stripped) if stripped else -1
    first_line = normalized[:at].count("\n") + 1 if at >= 0 and not lines_of_body else 1
    return make_macro(
        name=str(meta.get("name") or ""),
        language=front_matter_language(meta, source=source),
        category=str(meta.get("category") or "") or None,
        actions=[str(a) for a in raw_actions],
        reply=body,
        source=source,
        first_line=first_line,
    )


def macro_markdown(draft: MacroDraft) -> str:
    """The Markdown file of a macro, which `parse_macro` reads back unchanged."""
    import yaml

    header = f"name: {draft.name}\n"
    if draft.category:
        header += f"category: {draft.category}\n"
    header += f"language: {draft.language}\n"
    if draft.actions:
        header += yaml.safe_dump(
            {"actions": [str(a) for a in draft.actions]}, allow_unicode=True, sort_keys=False
        )
    else:
        header += "actions: []\n"
    return f"---\n{header}---\n{draft.reply}"
