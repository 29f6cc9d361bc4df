"""Reply templates: Jinja2 in an immutable sandbox, with strict placeholders.

A template sees a small dict of plain values, never ORM rows:

    customer.name  customer.first_name
    ticket.id  ticket.subject  ticket.priority  ticket.resolution_due
    agent.name  agent.signature
    article.title  article.link        (when an article is inserted)

A placeholder that the context cannot fill is reported by its dotted name, so the console can
say "fill in article.link" instead of rendering a hole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError

from csm_console.domain.template_sandbox import ENV as _ENV
from csm_console.domain.template_sandbox import (
    MAX_NUMBER,
    SAFE_FILTERS,
    number_value,
    render_bounded,
)
from csm_console.domain.text import first_name
from csm_console.errors import UsageError


class TemplateProblem(UsageError):
    """A template that does not parse, or placeholders the context cannot fill."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True, slots=True)
class ArticleRef:
    title: str
    link: str


def template_context(
    *,
    customer_name: str,
    ticket_id: int,
    ticket_subject: str,
    ticket_priority: str,
    resolution_due: datetime | None,
    agent_name: str,
    agent_signature: str,
    article: ArticleRef | None = None,
) -> dict[str, dict[str, Any]]:
    context: dict[str, dict[str, Any]] = {
        "customer": {"name": customer_name, "first_name": first_name(customer_name)},
        "ticket": {
            "id": ticket_id,
            "subject": ticket_subject,
            "priority": ticket_priority,
            "resolution_due": resolution_due.strftime("%Y-%m-%d %H:%M UTC")
            if resolution_due
            else "",
        },
        "agent": {"name": agent_name, "signature": agent_signature},
    }
    if article is not None:
        context["article"] = {"title": article.title, "link": article.link}
    return context


def placeholders(body: str) -> tuple[str, ...]:
    """Every dotted name the template reads (`customer.first_name`, ...), in order of appearance."""
    try:
        tree = _ENV.parse(body)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template line {exc.lineno}: {exc.message}") from None
    # names the template binds itself ({% set %}, {% for %}, {% with %}, loop) are not read
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    local.add("loop")
    names: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Name)):
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            name = f"{node.node.name}.{node.attr}"
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            name = node.name
        else:
            continue
        if name.partition(".")[0] in local:
            continue
        if name not in names:
            names.append(name)
    # a bare name that is also the head of a dotted one is covered by the dotted one
    return tuple(n for n in names if not any(o.startswith(n + ".") for o in names))


def missing_placeholders(body: str, context: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    missing = []
    for name in placeholders(body):
        head, _, attr = name.partition(".")
        if head not in context or (attr and attr not in context[head]):
            missing.append(name)
    return tuple(missing)


def render(body: str, context: dict[str, dict[str, Any]]) -> str:
    """Render, or raise `TemplateProblem` naming each unresolved placeholder."""
    missing = missing_placeholders(body, context)
    if missing:
        raise TemplateProblem(
            "unresolved placeholder"
            + ("s" if len(missing) > 1 else "")
            + ": "
            + ", ".join(missing),
            missing,
        )
    # `render` builds the whole string before returning it: any failure below means no text at
    # all, never a reply cut off half-way.  Its work is bounded (see template_sandbox), and what
    # `check_template` refuses is refused here too (a template may reach the store otherwise).
    try:
        tree = _ENV.parse(body)
        refused = _static_problems(tree)
        if refused:
            raise TemplateProblem(
                f"template refused by the sandbox: line {refused[0][0]}: {refused[0][1]}"
            )
        text = render_bounded(tree, context)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template line {exc.lineno}: {exc.message}") from None
    except UndefinedError as exc:
        raise TemplateProblem(f"unresolved placeholder: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"template refused by the sandbox: {exc}") from None
    except TemplateProblem:
        raise
    except RecursionError:
        raise TemplateProblem("template refused by the sandbox: it recurses too deeply") from None
    except Exception as exc:  # e.g. {{ ticket.id / 0 }}: a template's own error, never a crash
        raise TemplateProblem(f"template failed: {type(exc).__name__}: {exc}") from None
    return text  # never longer than MAX_TEXT: render_bounded stops past it


# -- checking a template when it is saved

PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "customer": ("name", "first_name"),
    "ticket": ("id", "subject", "priority", "resolution_due"),
    "agent": ("name", "signature"),
    "article": ("title", "link"),
}
KNOWN_PLACEHOLDERS = tuple(
    f"{head}.{attr}" for head, attrs in PLACEHOLDERS.items() for attr in attrs
)


def _dotted(node: nodes.Node) -> str:
    """`customer.name.__class__`, `''.__class__`, `customer['name']`: for messages."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_dotted(node.node)}[{_dotted(node.arg)}]"
    if isinstance(node, nodes.Call):
        return f"{_dotted(node.node)}(...)"
    return "(...)"


_FORBIDDEN_TAGS: dict[type[nodes.Node], str] = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.AssignBlock: "set ... endset",
    nodes.FilterBlock: "filter",
}
_SAMPLE_CONTEXT = template_context(
    customer_name="Anna Bērziņa",
    ticket_id=1042,
    ticket_subject="Router keeps restarting",
    ticket_priority="normal",
    resolution_due=datetime(2026, 1, 2, 10, 0),
    agent_name="Olga",
    agent_signature="Olga, Baltic Net support",
    article=ArticleRef("How to restart your router", "KB-0001"),
)


# Long values of the sizes a store allows: a template that loops over the subject's characters
# must also finish for a 500-character subject.
_LONG_SAMPLE_CONTEXT = template_context(
    customer_name=("Anna-Marija Bērziņa-Kalniņa " * 8)[:200],
    ticket_id=2_147_483_647,
    ticket_subject=("Rēķins nav apmaksāts, lūdzu pārbaudiet " * 13)[:500],
    ticket_priority="urgent",
    resolution_due=datetime(2026, 1, 2, 10, 0),
    agent_name=("Olga Ivanova " * 8)[:100],
    agent_signature=("Olga Ivanova, Baltic Net support, +371 2000 0000\n" * 10)[:500],
    article=ArticleRef(("How to restart your router " * 10)[:200], "KB-" + "9" * 40),
)


def check_template(body: str, *, first_line: int = 1) -> list[str]:
    """What is wrong with a template, each problem with its line (counted from `first_line`,
    the line of the file the body starts on): a syntax error, a placeholder the context never
    has (`customer.nickname`), reaching past the placeholders (`''.__class__`,
    `customer.name.upper()`, `attr(...)`, `{% include %}`), or failing when rendered with
    sample values, short and long (`{{ ticket.id / 0 }}`, loops over the subject that do too
    much work for a long one).  An empty list means it can be saved."""
    shift = first_line - 1
    try:
        tree = _ENV.parse(body)
    except TemplateSyntaxError as exc:
        return [f"line {(exc.lineno or 1) + shift}: syntax error: {exc.message}"]
    problems: list[str] = []
    for line, text in _static_problems(tree):
        if (entry := f"line {line + shift}: {text}") not in problems:
            problems.append(entry)
    if not problems:  # a template that passes every check still has to render
        for context, kind in ((_SAMPLE_CONTEXT, "sample"), (_LONG_SAMPLE_CONTEXT, "long sample")):
            try:
                render(body, context)
            except TemplateProblem as exc:
                problems.append(f"line {1 + shift}: fails when rendered with {kind} values: {exc}")
                break
    return sorted(problems, key=lambda p: int(p.split(":", 1)[0].removeprefix("line ")))


def _static_problems(tree: nodes.Template) -> list[tuple[int, str]]:
    """What `check_template` finds without rendering, each with its line in the body."""
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    local.add("loop")  # inside {% for %}
    lookups: list[nodes.Getattr | nodes.Getitem] = [
        n
        for n in tree.find_all((nodes.Getattr, nodes.Getitem))
        if isinstance(n, (nodes.Getattr, nodes.Getitem))
    ]
    bases = {id(n.node) for n in lookups}  # checked as part of the lookup on them
    problems: list[tuple[int, str]] = []

    def problem(line: int, text: str) -> None:
        problems.append((line, text))

    for tag_type, tag in _FORBIDDEN_TAGS.items():
        for found in tree.find_all(tag_type):
            problem(found.lineno, f"{{% {tag} %}} is not allowed in a reply template")
    for used in tree.find_all(nodes.Filter):
        if isinstance(used, nodes.Filter) and used.name not in SAFE_FILTERS:
            allowed = ", ".join(sorted(SAFE_FILTERS))
            problem(used.lineno, f"the filter {used.name!r} is not allowed; allowed: {allowed}")
    for number in tree.find_all(nodes.Const):
        if isinstance(number, nodes.Const) and number_value(number.value) > MAX_NUMBER:
            problem(number.lineno, f"the number {number.value} is too large (at most {MAX_NUMBER})")

    for node in lookups:
        if id(node) in bases:
            continue  # the inner part of a longer chain: the outermost one is reported
        base = node.node
        if isinstance(base, nodes.Name) and base.name in PLACEHOLDERS:
            attr: str | None = node.attr if isinstance(node, nodes.Getattr) else None
            if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
                attr = str(node.arg.value)
            if attr not in PLACEHOLDERS[base.name]:
                problem(
                    node.lineno,
                    f"unknown placeholder {_dotted(node)}; "
                    f"{base.name} has: {', '.join(PLACEHOLDERS[base.name])}",
                )
        else:
            problem(node.lineno, f"{_dotted(node)} is not a placeholder (known: {_known()})")
    for name in tree.find_all(nodes.Name):
        if name.ctx != "load" or name.name in local or id(name) in bases:
            continue
        if name.name in PLACEHOLDERS:
            problem(name.lineno, f"{name.name} alone is not a placeholder; use {name.name}.<field>")
        else:
            problem(name.lineno, f"unknown placeholder {name.name} (known: {_known()})")
    return problems


def _known() -> str:
    return ", ".join(KNOWN_PLACEHOLDERS)


# -- a template as a Markdown file with front matter, as `csm templates add/edit` open it

TEMPLATE_KEYS = ("name", "category", "language")
MAX_TEMPLATE_NAME = 120
MAX_TEMPLATE_CATEGORY = 40
MAX_TEMPLATE_BODY = 50_000
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    name: str
    language: str
    body: str
    category: str | None = None


def parse_template(text: str, *, source: str, lines_of_body: bool = False) -> TemplateDraft:
    """A template from Markdown with front matter (name, category, language): ValueError names
    `source`, the field, or each problem of the body with its line: the line of the file (what
    an editor shows), or with `lines_of_body` of the body alone (text given as `--body`)."""
    from csm_console.domain.frontmatter import (
        document_body,
        front_matter_language,
        split_front_matter,
    )

    meta, body = split_front_matter(text, source=source, known=TEMPLATE_KEYS)
    stripped = body.replace("\r\n", "\n").strip()
    normalized = text.replace("\r\n", "\n")
    at = normalized.rfind(stripped) if stripped else -1
    first_line = normalized[:at].count("\n") + 1 if at >= 0 and not lines_of_body else 1
    name = str(meta.get("name") or "").strip()
    if not name:
        raise ValueError(f"{source}: name: required (a `name:` line in the front matter)")
    if len(name) > MAX_TEMPLATE_NAME or not _NAME.fullmatch(name):
        raise ValueError(
            f"{source}: name: lower-case letters, digits, '-', '_' or '.', "
            f"at most {MAX_TEMPLATE_NAME} characters (got {name!r})"
        )
    language = front_matter_language(meta, source=source)
    category = str(meta.get("category") or "").strip() or None
    if category is not None and (len(category) > MAX_TEMPLATE_CATEGORY or "\n" in category):
        raise ValueError(f"{source}: category: at most {MAX_TEMPLATE_CATEGORY} characters")
    body = document_body(stripped, source=source, kind="template", limit=MAX_TEMPLATE_BODY)
    problems = check_template(body, first_line=first_line)
    if problems:
        raise ValueError(f"{source}: the template is refused:\n  " + "\n  ".join(problems))
    return TemplateDraft(name=name, language=language, body=body + "\n", category=category)


def template_markdown(draft: TemplateDraft) -> str:
    """The Markdown file of a template, which `parse_template` reads back unchanged."""
    header = f"name: {draft.name}\n"
    if draft.category:
        header += f"category: {draft.category}\n"
    header += f"language: {draft.language}\n"
    return f"---\n{header}---\n{draft.body}"


_LEFT_OVER = re.compile(r"\{\{\s*([^}]*?)\s*\}\}|\{%.*?%\}")


def unresolved_placeholders(text: str) -> list[str]:
    """Placeholders left in a reply (`{{ name }}`, `{% ... %}`): it must not be sent so."""
    return [m.group(1) or m.group(0) for m in _LEFT_OVER.finditer(text)]
