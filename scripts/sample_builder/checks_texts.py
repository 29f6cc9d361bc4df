"""Validate the hand-written texts: reply templates (templates/*.md) and articles (kb/*.md)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .rules import CATEGORIES, CYRILLIC, LANGUAGES, Report
from .words import read_text

TEMPLATE_VARS = {"customer.name", "customer.first_name", "ticket.id", "ticket.subject",
                 "ticket.priority", "ticket.resolution_due", "agent.name", "agent.signature",
                 "article.title", "article.link"}  # fmt: skip
# words the knowledge search must find in their inflected forms
KB_WORDS = (
    ("ru", ["оплата", "оплаты", "оплату", "счёт"]),
    ("lv", ["rēķins", "rēķinu", "rēķina", "pieslēgums", "pieslēgumu"]),
)


def parse_front_matter(text: str, path: Path, rep: Report) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        rep.err(f"{path.name}: missing front matter")
        return {}, ""
    end = text.find("\n---\n", 4)
    if end < 0:
        rep.err(f"{path.name}: unterminated front matter")
        return {}, ""
    meta = {}
    for line in text[4:end].splitlines():
        if not line.strip():
            continue
        if ":" not in line:
            rep.err(f"{path.name}: bad front matter line {line!r}")
            continue
        k, v = line.split(":", 1)
        k, v = k.strip(), v.strip()
        if k != "tags" and (": " in v or " #" in v or v[:1] in "\"'[]{}&*!|>%@`#,?-"):
            rep.err(f"{path.name}: value of {k!r} is not a plain YAML scalar: {v!r}")
        meta[k] = v
    return meta, text[end + 5 :]


def check_templates(out: Path, rep: Report) -> tuple[list[Path], Counter[str | None]]:
    tpl_files = sorted((out / "templates").glob("*.md"))
    tpl_lang: Counter[str | None] = Counter()
    article_tpls = 0
    for p in tpl_files:
        fm, body = parse_front_matter(read_text(p, 1_000_000), p, rep)
        if (
            set(fm) != {"name", "category", "language"}
            or f"{fm.get('name')}-{fm.get('language')}" != p.stem
        ):
            rep.err(
                f"{p.name}: front matter must be name/category/language; file name == name-language"
            )
        if fm.get("language") not in LANGUAGES or fm.get("category") not in CATEGORIES:
            rep.err(f"{p.name}: bad language/category")
        used = set(re.findall(r"{{\s*(.*?)\s*}}", body))
        if used - TEMPLATE_VARS:
            rep.err(f"{p.name}: unknown placeholders {used - TEMPLATE_VARS}")
        # the automatic mails (acknowledgement, CSAT survey) are signed by no agent
        automatic = str(fm.get("name", "")).startswith("auto-")
        if "{%" in body or "{#" in body or ("agent.signature" not in used and not automatic):
            rep.err(f"{p.name}: must only use {{ }} expressions and end with the agent signature")
        if any(v.startswith("article.") for v in used):
            article_tpls += 1
        tpl_lang[fm.get("language")] += 1
    rep.need(len(tpl_files) >= 30, f"only {len(tpl_files)} templates")
    rep.need(2 <= article_tpls <= 3, f"{article_tpls} templates use article.*")
    rep.need(
        min(tpl_lang[lang] for lang in LANGUAGES) >= 10, f"templates per language {dict(tpl_lang)}"
    )
    return tpl_files, tpl_lang


def check_articles(out: Path, rep: Report) -> tuple[list[Path], Counter[str]]:
    kb_files = sorted((out / "kb").glob("*.md"))
    kb_lang: Counter[str] = Counter()
    ids: set[str] = set()
    corpus = dict.fromkeys(LANGUAGES, "")
    for p in kb_files:
        fm, body = parse_front_matter(read_text(p, 1_000_000), p, rep)
        m = re.fullmatch(r"kb-(\d{4})-[a-z0-9-]+-(en|ru|lv)", p.stem)
        if set(fm) != {"id", "title", "tags", "language"} or not m:
            rep.err(f"{p.name}: bad front matter keys or file name")
            continue
        if fm["id"] != f"KB-{m.group(1)}" or fm["id"] in ids or fm["language"] != m.group(2):
            rep.err(f"{p.name}: id/language do not match file name (or duplicate id)")
        ids.add(fm["id"])
        if not re.fullmatch(r"\[[a-z0-9-]+(, [a-z0-9-]+)*\]", fm["tags"]):
            rep.err(f"{p.name}: tags must look like [a, b]")
        words = len(re.findall(r"\w+", body))
        if not 100 <= words <= 400:
            rep.err(f"{p.name}: body has {words} words")
        if fm["language"] == "ru" and not CYRILLIC.search(fm["title"] + body):
            rep.err(f"{p.name}: Russian article without Cyrillic")
        kb_lang[fm["language"]] += 1
        corpus[fm["language"]] += " " + fm["title"].lower() + " " + body.lower()
    rep.need(
        len(kb_files) >= 70 and min(kb_lang[lang] for lang in LANGUAGES) >= 20,
        f"kb per language {dict(kb_lang)}",
    )
    for lang, words_ in KB_WORDS:
        for w in words_:
            rep.need(
                re.search(rf"(?<!\w){w}(?!\w)", corpus[lang]),
                f"kb ({lang}) never uses the word {w!r}",
            )
    return kb_files, kb_lang
