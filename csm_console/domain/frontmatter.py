"""Markdown files with a YAML front matter block, as used by templates and KB articles."""

from __future__ import annotations

from typing import Any

import yaml


def split_front_matter(
    text: str, *, source: str = "<text>", known: tuple[str, ...] | None = None
) -> tuple[dict[str, Any], str]:
    """Return (metadata, body).  Raise ValueError naming `source` when the block is malformed,
    or, given the `known` keys, when it has another (a typo would otherwise be lost)."""
    meta, body = _split(text, source)
    unknown = sorted(set(meta) - set(known)) if known is not None else []
    if unknown:
        raise ValueError(
            f"{source}: unknown front matter key {unknown[0]!r}; known: {', '.join(known or ())}"
        )
    return meta, body


def front_matter_language(meta: dict[str, Any], *, source: str) -> str:
    """The `language:` of a file (en, ru or lv; en when absent)."""
    from csm_console.domain.model import Language, parse_enum

    try:
        return parse_enum(Language, str(meta.get("language") or "en"), "language").value
    except ValueError as exc:
        raise ValueError(f"{source}: language: {exc}") from None


def document_body(body: str, *, source: str, kind: str, limit: int) -> str:
    """The text after the front matter, line ends made `\n` and trimmed; it must not be empty
    and must not exceed `limit` characters (`kind`: article, template)."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise ValueError(f"{source}: the {kind} has no text after the front matter")
    if len(body) > limit:
        raise ValueError(f"{source}: the text is too long (at most {limit} characters)")
    return body


def _split(text: str, source: str) -> tuple[dict[str, Any], str]:
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for index in range(1, len(lines)):
        if lines[index].strip() in {"---", "..."}:
            header = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            try:
                meta = yaml.safe_load(header) or {}
            except yaml.YAMLError as exc:
                raise ValueError(f"{source}: bad front matter: {exc}") from None
            if not isinstance(meta, dict):
                raise ValueError(f"{source}: front matter must be `key: value` lines")
            return {str(k): v for k, v in meta.items()}, body.lstrip("\n")
    raise ValueError(f"{source}: front matter starts with --- but never ends")
