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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from csm_console.domain.text import first_name
from csm_console.errors import UsageError

_ENV = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
)


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
    names: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Name)):
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            name = f"{node.node.name}.{node.attr}"
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            name = node.name
        else:
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
    try:
        return _ENV.from_string(body).render(context)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template line {exc.lineno}: {exc.message}") from None
    except UndefinedError as exc:
        raise TemplateProblem(f"unresolved placeholder: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"template refused by the sandbox: {exc}") from None
