"""`csm macros ...`: macros from the shell: list, show, add, edit, remove.  Applying one to
tickets is `csm tickets macro` (cli/ticket_macro.py)."""

from __future__ import annotations

import sys

import typer

from csm_console.cli.editing import edit_until_valid
from csm_console.cli.output import check_format, emit_json, info
from csm_console.cli.state import state
from csm_console.domain.macros import MacroDraft, macro_markdown, make_macro, parse_macro
from csm_console.domain.model import Language, parse_enum
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError
from csm_console.services.macros import (
    MacroView,
    get_macro,
    get_variant,
    list_macros,
    remove_macro,
    save_macro,
)

app = typer.Typer(
    help="Macros: a reply and actions applied with one key: list, show, add, edit, remove.",
    no_args_is_help=True,
)

MAX_ACTIONS_GIVEN = 20


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_enum(Language, value, "language").value
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _record(m: MacroView) -> dict[str, object]:
    return {
        "id": m.id,
        "name": m.name,
        "language": m.language,
        "category": m.category,
        "reply": m.reply,
        "actions": [str(a) for a in m.actions],
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    lang: str | None = typer.Option(None, "--lang", help="Only variants in en, ru or lv."),
    category: str | None = typer.Option(None, "--category", help="Only this category."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Every macro variant: name, language, category and what it does."""
    check_format(format)
    found = list_macros(state(ctx).store(), language=_language(lang), category=category)
    if format == "json":
        emit_json([_record(m) for m in found])
        return
    if not found:
        info("no macros match")
        return
    for m in found:
        sys.stdout.write(
            f"{sanitize(m.name, single_line=True):<30} {m.language}  "
            f"{sanitize(m.category or '—', single_line=True):<12}  "
            f"{sanitize(m.summary, single_line=True)}\n"
        )


@app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME"),
    lang: str | None = typer.Option(
        None, "--lang", help="The variant for en, ru or lv (falling back to en)."
    ),
    format: str = typer.Option("markdown", "--format", help="markdown or json."),
) -> None:
    """Print a macro: Markdown with its front matter (what `macros edit` opens), or JSON.
    Which variant it is goes to stderr."""
    check_format(format, ("markdown", "json"))
    view = get_macro(state(ctx).store(), name=name, language=_language(lang))
    if format == "json":
        emit_json({**_record(view), "variant": view.variant})
        return
    sys.stdout.write(sanitize(macro_markdown(view.draft)))
    info(f"variant: {view.variant}")


_NEW_MACRO = """---
name: {name}
category: {category}
language: {language}
actions:
  - status=pending
  - tag+=example
---
Hello {{{{ customer.first_name }}}},

Write the reply here, or delete it for a macro without a reply.

{{{{ agent.signature }}}}
"""


@app.command("add")
def add(
    ctx: typer.Context,
    name: str | None = typer.Option(None, "--name", help="The name its variants share."),
    language: str = typer.Option("en", "--language", "--lang", help="en, ru or lv."),
    category: str | None = typer.Option(None, "--category", help="e.g. account, billing."),
    action: list[str] = typer.Option(
        [],
        "--do",
        metavar="ACTION",
        help="An action, e.g. status=pending, priority=high, tag+=vip, tag-=vip, note=text "
        "(repeatable).",
    ),
    reply: str | None = typer.Option(
        None, "--reply", help="The reply (a template body), or - for stdin."
    ),
    reply_file: str | None = typer.Option(
        None, "--reply-file", metavar="FILE", help="Read the reply from a file."
    ),
) -> None:
    """Add a macro (or another language variant of one) from options (--do alone: a macro
    without a reply), or in $EDITOR when neither --reply nor --do is given.  Checked before
    it is saved: name, language, category, actions, and the reply's placeholders and syntax."""
    chosen = _language(language) or "en"
    if len(action) > MAX_ACTIONS_GIVEN:
        raise UsageError(f"too many --do actions (at most {MAX_ACTIONS_GIVEN})")
    if reply is not None and reply_file is not None:
        raise UsageError("give the reply with one of --reply TEXT, --reply - or --reply-file")
    if reply is None and reply_file is None and not action:
        start = _NEW_MACRO.format(name=name or "", category=category or "", language=chosen)
        draft = edit_until_valid(start, "new-macro.md", parse_macro)
    else:
        text = ""
        if reply is not None or reply_file is not None:
            # a helper of `csm tickets`, whose module is loaded only when a command needs it
            from csm_console.cli.tickets_cmd import read_body

            text = read_body(ctx, reply, reply_file)
        try:
            draft = make_macro(
                name=name or "",
                language=chosen,
                category=category,
                actions=action,
                reply=text,
                source="the macro",
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    _save(ctx, draft, None)


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME"),
    lang: str = typer.Option("en", "--lang", help="The variant to edit: en, ru or lv."),
) -> None:
    """Edit one variant in $EDITOR (Markdown with front matter: the actions there, the reply
    below); checked when you save."""
    view = get_variant(state(ctx).store(), name=name, language=_language(lang) or "en")
    draft = edit_until_valid(
        macro_markdown(view.draft), f"{view.name}-{view.language}.md", parse_macro
    )
    _save(ctx, draft, view.id)


def _save(ctx: typer.Context, draft: MacroDraft, macro_id: int | None) -> None:
    st = state(ctx)
    view, outcome = save_macro(st.store(), actor=st.actor(), draft=draft, macro_id=macro_id)
    sys.stdout.write(f"{view.name}\n")
    info(f"macro {view.name} ({view.language}) {outcome}")


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME"),
    lang: str | None = typer.Option(
        None, "--lang", help="Remove only this variant (default: every variant)."
    ),
) -> None:
    """Remove a macro (every language variant, or the one of --lang)."""
    st = state(ctx)
    removed = remove_macro(st.store(), actor=st.actor(), name=name, language=_language(lang))
    shown = sanitize(name.strip(), single_line=True)
    sys.stdout.write(f"{shown}\n")
    info(f"macro {shown} removed ({', '.join(removed)})")
