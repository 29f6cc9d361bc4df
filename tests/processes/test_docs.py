"""The docs stay true to the code: the generated pages are current, and every `csm` example in
the README and docs/ names commands and options that exist (the read-only ones also run on a
sample store)."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import own_process_env

# the repository: the folder above this file that holds pyproject.toml (tests may move into folders)
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
GENERATED = "reference"  # docs/reference/ is written by scripts/gen_docs.py


def gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_current() -> None:
    """docs/reference/cli.md and keys.md are what the code generates now."""
    module = gen_docs()
    stale = module.stale_pages()
    assert not stale, f"{', '.join(stale)} stale: run `{module.REGENERATE}` and commit the result"


def test_a_stale_page_is_noticed(tmp_path: Path) -> None:
    """The check compares the text: a page that differs, or is missing, is stale."""
    module = gen_docs()
    module.ROOT = tmp_path
    page = tmp_path / "docs" / "reference" / "keys.md"
    page.parent.mkdir(parents=True)
    page.write_text(module.key_table().replace("`app.quit`", "`app.exit`"), encoding="utf-8")
    assert module.stale_pages() == ["docs/reference/cli.md", "docs/reference/keys.md"]
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.stale_pages() == []


# ---------------------------------------------------------------------- the examples


def doc_pages() -> list[Path]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [p for p in pages if GENERATED not in p.relative_to(ROOT).parts[1:2]]


def shell_lines(text: str) -> Iterator[str]:
    """The commands of the ```sh blocks, a line that starts with `|` joined to the one before
    (a line ending in `\\` is joined by the caller)."""
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.M | re.S):
        logical = ""
        for line in block.splitlines():
            if logical and line.lstrip().startswith("|"):
                logical += " " + line.strip()
                continue
            if logical:
                yield logical
            logical = line.strip()
        if logical:
            yield logical


SEPARATORS = {"|", "||", "&&", ";", "(", ")", "$("}


def commands_of(line: str) -> Iterator[list[str]]:
    """The words of each command of a shell line (pipeline stages, `$(...)`), comments gone."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    for token in lexer:
        if token in SEPARATORS:
            yield words
            words = []
        else:
            words.append(token.removesuffix("$"))  # `v=$(`: the `$` of the substitution
    yield words


def examples() -> list[tuple[str, str]]:
    """(page, command line) for every `csm` invocation in a shell block of the docs, with
    `[optional]` brackets gone."""
    found = []
    for page in doc_pages():
        text = page.read_text(encoding="utf-8").replace("\\\n", " ")  # `\\` continues a line
        for line in shell_lines(text):
            for words in commands_of(line):
                words = [w.strip("[]") for w in words if w not in ("[", "]")]
                if words and words[0] == "csm":
                    where = page.relative_to(ROOT).as_posix()
                    found.append((where, shlex.join(words)))
    return found


def without_redirects(words: list[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("<", ">", ">>", "2>"):
            skip = True
        elif not re.match(r"^\d?[<>]", word):
            kept.append(word)
    return kept


def resolve(words: list[str]) -> tuple[Any, list[str]]:
    """Walk `csm ...` through the Typer app like Click would; the command reached and the
    problems found (an unknown command or option)."""
    from typer.main import get_command

    from csm_console.cli.main import app

    command: Any = get_command(app)
    ctx = command.context_class(command, info_name="csm")
    problems: list[str] = []
    rest = words[1:]
    while rest:
        word, rest = rest[0], rest[1:]
        if word == "--":
            break
        if word.startswith("-") and word != "-" and not re.match(r"^-\d", word):
            name = word.split("=", 1)[0]
            option = next(
                (
                    p
                    for p in command.get_params(ctx)
                    if name in (*p.opts, *getattr(p, "secondary_opts", ()))
                ),
                None,
            )
            if option is None:
                problems.append(f"{ctx.command_path}: no option {name}")
            elif "=" not in word and not option.is_flag and not option.count:
                rest = rest[option.nargs :]
        elif hasattr(command, "list_commands"):
            sub = command.get_command(ctx, word)
            if sub is None:
                problems.append(f"{ctx.command_path}: no command {word}")
                break
            command = sub
            ctx = command.context_class(command, info_name=word, parent=ctx)
    return command, problems


def test_the_docs_have_csm_examples() -> None:
    """The parser finds the examples: every command group of the CLI appears in one."""
    from typer.main import get_command

    from csm_console.cli.main import app

    root: Any = get_command(app)
    used = {shlex.split(line)[1] for _, line in examples() if len(shlex.split(line)) > 1}
    groups = set(root.list_commands(root.context_class(root, info_name="csm")))
    assert groups - used == set()
    assert len(examples()) > 100


def test_every_csm_example_names_real_commands_and_options() -> None:
    problems = []
    for page, line in examples():
        _, found = resolve(without_redirects(shlex.split(line)))
        problems.extend(f"{page}: {line}: {p}" for p in found)
    assert problems == []


def test_an_unknown_option_in_an_example_is_noticed() -> None:
    _, problems = resolve(["csm", "--as", "anna", "tickets", "list", "--formt", "json"])
    assert problems == ["csm tickets list: no option --formt"]
    _, problems = resolve(["csm", "tickets", "lst"])
    assert problems == ["csm tickets: no command lst"]


# Commands that only read: their examples run as written on a sample store, as anna (the sample
# lead the docs' examples act as).  `rules test` exits 3 when no rule matches (documented).
READ_ONLY = {
    ("tickets", "list"): 0,
    ("tickets", "show"): 0,
    ("kb", "search"): 0,
    ("kb", "show"): 0,
    ("templates", "list"): 0,
    ("templates", "show"): 0,
    ("templates", "render"): 0,
    ("agents", "list"): 0,
    ("teams", "list"): 0,
    ("customers", "list"): 0,
    ("customers", "show"): 0,
    ("sla", "list"): 0,
    ("calendars", "list"): 0,
    ("rules", "list"): 0,
    ("rules", "test"): 3,
    ("report", None): 0,
    ("config", "show"): 0,
    ("config", "path"): 0,
    ("db", "current"): 0,
    ("audit", "verify"): 0,
}


def runnable(line: str) -> tuple[list[str], int] | None:
    words = shlex.split(line)
    if any(w in ("<", ">", "-") or "$" in w or w.startswith("--db") for w in words):
        return None  # reads stdin, writes a file, needs a shell variable, or another store
    key = (words[1], words[2] if len(words) > 2 and words[1] != "report" else None)
    if key not in READ_ONLY:
        return None
    if "--expect" in words:  # a head noted earlier: a made-up one here
        return None
    return words, READ_ONLY[key]


@pytest.mark.slow
def test_the_read_only_examples_run_on_a_sample_store(tmp_path: Path) -> None:
    """Every read-only example runs as written (a real `csm` process each) on a sample store."""
    env = own_process_env(tmp_path, f"sqlite:///{tmp_path / 'sample.db'}")
    env.pop("NO_COLOR", None)
    csm = [str(Path(sys.executable).parent / "csm")]  # the installed entry point
    subprocess.run([*csm, "init", "--sample"], env=env, check=True, capture_output=True)
    env["CSM_AGENT"] = "anna"
    ran, failed = 0, []
    for page, line in examples():
        run = runnable(line)
        if run is None:
            continue
        words, expected = run
        done = subprocess.run(
            [*csm, *words[1:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        ran += 1
        if done.returncode != expected:
            failed.append(f"{page}: {line}: exit {done.returncode}: {done.stderr.strip()[:300]}")
    assert failed == []
    assert ran >= 30


README_MAX_BYTES = 12 * 1024


def test_the_readme_stays_short() -> None:
    """Issue 17: the README is what a newcomer needs first (what it is, set-up, a tour, links);
    the rest belongs in docs/."""
    size = len((ROOT / "README.md").read_bytes())
    assert size < README_MAX_BYTES, f"README.md is {size} bytes: move a section to docs/"
