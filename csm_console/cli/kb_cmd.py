"""`csm kb ...`: the knowledge base from the shell: search, show, import, add, edit, delete,
reindex."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from csm_console.cli.editing import edit_until_valid as _edit_until_valid
from csm_console.cli.editing import run_editor as run_editor
from csm_console.cli.files import limits, read_file
from csm_console.cli.output import check_format, emit_json, info, out, plain
from csm_console.cli.state import state
from csm_console.domain.article import ArticleDraft, article_markdown, parse_article
from csm_console.domain.model import Language, parse_enum
from csm_console.domain.text import sanitize
from csm_console.errors import BadRecords, UsageError
from csm_console.services.knowledge import (
    delete_article,
    draft_of,
    get_article,
    reindex_articles,
    save_article,
    search_articles,
)
from csm_console.services.knowledge import import_articles as run_import

app = typer.Typer(
    help="Knowledge base: search, show, import, add, edit, delete, reindex.", no_args_is_help=True
)


@app.command("search")
def search(
    ctx: typer.Context,
    query: list[str] = typer.Argument(..., metavar="QUERY...", help="Words to look for."),
    lang: str | None = typer.Option(None, "--lang", help="Only articles in en, ru or lv."),
    limit: int = typer.Option(10, "--limit", min=1, max=100, help="At most N articles."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Ranked full-text search; inflected forms, case and diacritics do not matter."""
    from rich.text import Text  # for the table only: --format json goes without Rich

    check_format(format)
    language = None
    if lang is not None:
        try:
            language = parse_enum(Language, lang, "language").value
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    hits = search_articles(state(ctx).store(), text=" ".join(query), language=language, limit=limit)
    if format == "json":
        emit_json(
            [
                {
                    "id": h.id,
                    "external_id": h.external_id,
                    "title": h.title,
                    "language": h.language,
                    "score": h.score,
                    "snippet": _marked(h.snippet, h.snippet_spans),
                    "snippet_text": h.snippet,
                    "snippet_hits": [list(span) for span in h.snippet_spans],
                }
                for h in hits
            ]
        )
        return
    if not hits:
        info("no articles match")
        return
    for h in hits:
        title = Text(f"{h.external_id or h.id}  ", style="dim")
        title.append(sanitize(h.title, single_line=True), style="bold")
        title.append(f"  {h.language}", style="dim")
        out.print(title)
        body = Text("  " + h.snippet)
        for start, end in h.snippet_spans:
            body.stylize("bold underline", start + 2, end + 2)
        out.print(body)


def _marked(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """The snippet with each hit wrapped in `**`, as Markdown would bold it."""
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += [text[last:start], "**", text[start:end], "**"]
        last = end
    parts.append(text[last:])
    return "".join(parts)


@app.command("show")
def show(
    ctx: typer.Context,
    article: str = typer.Argument(..., metavar="ID", help="The article's id or external id."),
    format: str = typer.Option("markdown", "--format", help="markdown or json."),
) -> None:
    """Print an article: Markdown with its front matter (what `kb edit` opens), or JSON."""
    check_format(format, ("markdown", "json"))
    view = get_article(state(ctx).store(), article_id=article)
    if format == "json":
        emit_json({**plain(view), "reference": view.reference})
    else:
        sys.stdout.write(sanitize(article_markdown(draft_of(view))))


@app.command("import")
def import_articles(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A folder of .md files (searched recursively), or one."),
) -> None:
    """Import Markdown articles with front matter (title, id, language, tags), all or nothing.
    Re-importing updates the articles (matched by `id`, else by file name)."""
    if path.is_dir():
        paths = sorted(path.rglob("*.md"))
        names = [str(p.relative_to(path)) for p in paths]
    elif path.exists():
        paths, names = [path], [path.name]
    else:
        raise UsageError(f"no such file or folder: {path}")
    files = []
    for name, file in zip(names, paths, strict=True):
        # regular files only (not a FIFO, nor a link to /dev/zero), each at most max_article_file
        data = read_file(file, limit=limits(ctx).article, setting="max_article_file")
        try:
            files.append((name, data.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"{name}: not valid UTF-8 (byte {exc.start}); nothing was imported"
            ) from None
    st = state(ctx)
    try:
        result = run_import(st.store(), actor=st.actor(), files=files)
    except BadRecords as error:
        if len(error.problems) > 1:
            for problem in error.problems:
                info(problem)
        raise
    for article_id in result.created + result.updated:
        sys.stdout.write(f"{article_id}\n")
    info(f"imported {len(files)} article{'s' if len(files) != 1 else ''}: {result.summary()}")


_NEW_ARTICLE = """---
title: {title}
language: {language}
tags: []
---
Write the article here, in Markdown.
"""


@app.command("add")
def add(
    ctx: typer.Context,
    title: str | None = typer.Option(None, "--title", help="The title."),
    language: str = typer.Option("en", "--language", "--lang", help="en, ru or lv."),
    tags: str = typer.Option("", "--tags", help="Comma-separated tags."),
    external_id: str | None = typer.Option(None, "--id", help="An id of your own, e.g. KB-0042."),
    body: str | None = typer.Option(None, "--body", help="The Markdown text, or - for stdin."),
    body_file: str | None = typer.Option(None, "--body-file", help="Read the text from a file."),
) -> None:
    """Add an article from options, or in $EDITOR when no --body is given.  Prints its id."""
    # a helper of `csm tickets`, whose module is loaded only when a command needs it
    from csm_console.cli.tickets_cmd import read_body

    if body is None and body_file is None:
        start = _NEW_ARTICLE.format(title=title or "", language=language)
        draft = _edit_until_valid(start, "new-article.md", parse_article)
    else:
        text = read_body(ctx, body, body_file)
        meta = ArticleDraft(
            title=title or "",
            body=text,
            language=language,
            tags=tuple(t for t in tags.replace(",", " ").split() if t),
            external_id=external_id,
        )
        try:  # through the file format, so that the same checks apply
            draft = parse_article(article_markdown(meta), source="the article")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    _save(ctx, draft, None)


@app.command("edit")
def edit(
    ctx: typer.Context,
    article: str = typer.Argument(..., metavar="ID", help="The article's id or external id."),
) -> None:
    """Edit an article in $EDITOR (Markdown with front matter); checked when you save."""
    view = get_article(state(ctx).store(), article_id=article)
    draft = _edit_until_valid(
        article_markdown(draft_of(view)), f"article-{view.id}.md", parse_article
    )
    _save(ctx, draft, view.id)


@app.command("delete")
def delete(
    ctx: typer.Context,
    article: str = typer.Argument(..., metavar="ID", help="The article's id or external id."),
    yes: bool = typer.Option(False, "--yes", help="Really delete it."),
) -> None:
    """Delete an article (leads and admins); without --yes it only says what would go."""
    st = state(ctx)
    if not yes:
        view = get_article(st.store(), article_id=article)
        info(f"would delete article {view.id} {view.title!r}; add --yes to delete it")
        return
    view = delete_article(st.store(), actor=st.actor(), article_id=article)
    info(f"deleted article {view.id} {view.title!r}")


@app.command("reindex")
def reindex(ctx: typer.Context) -> None:
    """Recompute every article's search stems (after an upgrade changed how words are stemmed).
    Writes only the articles whose stems changed."""
    st = state(ctx)
    articles, changed = reindex_articles(st.store(), actor=st.actor())
    info(f"checked {articles} article{'s' if articles != 1 else ''}: {changed} reindexed")


def _save(ctx: typer.Context, draft: ArticleDraft, article_id: int | None) -> None:
    st = state(ctx)
    view, outcome = save_article(
        st.store(),
        actor=st.actor(),
        draft=draft,
        article_id=article_id,
    )
    sys.stdout.write(f"{view.id}\n")
    info(f"article {view.id} {outcome}")
