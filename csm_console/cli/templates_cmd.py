"""`csm templates ...`: reply templates from the shell: list, show, add, edit, render."""

from __future__ import annotations

import sys

import typer

from csm_console.cli.editing import edit_until_valid
from csm_console.cli.output import check_format, emit_json, info, out
from csm_console.cli.state import state
from csm_console.domain.model import Language, parse_enum
from csm_console.domain.templates import (
    ArticleRef,
    TemplateDraft,
    parse_template,
    template_markdown,
)
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError
from csm_console.services.knowledge import get_article
from csm_console.services.replies import (
    get_template,
    get_variant,
    list_templates,
    render_for_ticket,
    save_template,
)

app = typer.Typer(
    help="Reply templates: list, show, add, edit, render for a ticket.", no_args_is_help=True
)


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_enum(Language, value, "language").value
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@app.command("list")
def list_(
    ctx: typer.Context,
    lang: str | None = typer.Option(None, "--lang", help="Only variants in en, ru or lv."),
    category: str | None = typer.Option(None, "--category", help="Only this category."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Every template variant: name, language and category."""
    check_format(format)
    found = list_templates(state(ctx).store(), language=_language(lang))
    found = sorted(
        (t for t in found if category is None or t.category == category),
        key=lambda t: (t.name, t.language),
    )
    if format == "json":
        emit_json(
            [
                {"id": t.id, "name": t.name, "language": t.language, "category": t.category}
                for t in found
            ]
        )
        return
    if not found:
        info("no templates match")
        return
    for t in found:
        out.print(
            f"{sanitize(t.name, single_line=True):<34} {t.language}  "
            f"{sanitize(t.category or '—', single_line=True)}",
            markup=False,
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
    """Print a template: Markdown with its front matter (what `templates edit` opens), or JSON.
    Which variant it is goes to stderr."""
    check_format(format, ("markdown", "json"))
    view = get_template(state(ctx).store(), name=name, language=_language(lang))
    if format == "json":
        emit_json(
            {
                "id": view.id,
                "name": view.name,
                "language": view.language,
                "category": view.category,
                "variant": view.variant,
                "body": view.body,
            }
        )
        return
    sys.stdout.write(sanitize(template_markdown(view.draft)))
    info(f"variant: {view.variant}")


_NEW_TEMPLATE = """---
name: {name}
category: {category}
language: {language}
---
Hello {{{{ customer.first_name }}}},

Write the reply here.

{{{{ agent.signature }}}}
"""


@app.command("add")
def add(
    ctx: typer.Context,
    name: str | None = typer.Option(None, "--name", help="The name its variants share."),
    language: str = typer.Option("en", "--language", "--lang", help="en, ru or lv."),
    category: str | None = typer.Option(None, "--category", help="e.g. billing, general."),
    body: str | None = typer.Option(None, "--body", help="The template text, or - for stdin."),
    body_file: str | None = typer.Option(None, "--body-file", help="Read the text from a file."),
) -> None:
    """Add a template (or another language variant of one) from options, or in $EDITOR when no
    --body is given.  Checked before it is saved: placeholders and syntax."""
    # a helper of `csm tickets`, whose module is loaded only when a command needs it
    from csm_console.cli.tickets_cmd import read_body

    chosen = _language(language) or "en"
    if body is None and body_file is None:
        start = _NEW_TEMPLATE.format(name=name or "", category=category or "", language=chosen)
        draft = edit_until_valid(start, "new-template.md", parse_template)
    else:
        meta = TemplateDraft(
            name=name or "",
            language=chosen,
            body=read_body(ctx, body, body_file),
            category=category,
        )
        try:  # through the file format, so that the same checks apply
            draft = parse_template(template_markdown(meta), source="--body", lines_of_body=True)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    _save(ctx, draft, None)


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME"),
    lang: str = typer.Option("en", "--lang", help="The variant to edit: en, ru or lv."),
) -> None:
    """Edit one variant in $EDITOR (Markdown with front matter); checked when you save."""
    view = get_variant(state(ctx).store(), name=name, language=_language(lang) or "en")
    draft = edit_until_valid(
        template_markdown(view.draft), f"{view.name}-{view.language}.md", parse_template
    )
    _save(ctx, draft, view.id)


def _save(ctx: typer.Context, draft: TemplateDraft, template_id: int | None) -> None:
    st = state(ctx)
    view, outcome = save_template(
        st.store(), actor=st.actor(), draft=draft, template_id=template_id
    )
    sys.stdout.write(f"{view.name}\n")
    info(f"template {view.name} ({view.language}) {outcome}")


@app.command("render")
def render(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME"),
    ticket: str = typer.Option(..., "--ticket", metavar="ID", help="The ticket to answer."),
    article: str | None = typer.Option(
        None, "--article", metavar="ID", help="A knowledge article for article.title/link."
    ),
) -> None:
    """Print the reply that `csm tickets reply ID --template NAME` would send: the variant in
    the customer's language (else en), rendered with the ticket's values.  Sends nothing."""
    # a helper of `csm tickets`, whose module is loaded only when a command needs it
    from csm_console.cli.tickets_cmd import read_ids

    st = state(ctx)
    store = st.store()
    ref = None
    if article is not None:
        found = get_article(store, article_id=article)
        ref = ArticleRef(found.title, found.reference)
    result = render_for_ticket(
        store, actor=st.actor(), name=name, ticket_id=read_ids([ticket])[0], article=ref
    )
    sys.stdout.write(sanitize(result.text))
    info(f"template {result.template.name}, variant: {result.template.variant}")
