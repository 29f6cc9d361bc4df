"""Knowledge search at 100,000 articles (the search issue's target: p95 <= 30 ms on SQLite for
the top 20 with snippets, with a term that appears in half the articles).

    python benchmarks/bench_search.py [--articles 100000] [--runs 30] [--store PATH]
                                      [--rank-window N] [--no-sqlite] [--smoke]

`--smoke` (CI): 300 articles in a temporary store, 3 runs, the correctness checks only.

The articles are generated from the words of the sample knowledge base (`sample_data/kb`), so
they are en/ru/lv prose with the inflected forms real articles have: each article follows one
sample article of its language (most of its words), mixed with words of the whole language and
a long tail of made-up rare words; 100-300 words, paragraphs and headings.  Planted on top:

- "Wi-Fi" in half of all articles, every language (the very common term);
- "router" / "роутер" / "maršrutētājs" (inflected) in half of the articles of their language,
  in the title of some of them;
- "Zyxel", a rare term, in 0.2% of the articles.

The SQLite store is built once (migrations, then bulk inserts that the FTS5 triggers index) and
cached in the temp dir under a name keyed by the parameters and by the indexing code (stems and
DDL), or at --store.  With CSM_BENCH_POSTGRES_URL the same rows are copied into a scratch
PostgreSQL database (created and dropped here; `VACUUM ANALYZE` after the load, as autovacuum
would do) and measured the same way.

Each query runs --runs times after a warm-up, all queries interleaved round-robin so that
machine noise spreads over them evenly; the time is the wall time of
`search_articles(store, text=q, limit=20)`, snippets included.  Baseline, in the same rotation:
fetching 20 random articles (id, title, body, ...) by primary key.  A second, shorter pass
splits each query's time into ranking SQL, snippets (Python), and the rest (the body fetch,
title spans, the session).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from csm_console.domain.frontmatter import split_front_matter
from csm_console.domain.search import article_index, query_terms
from csm_console.domain.text import fold
from csm_console.services import knowledge, setup
from csm_console.store import search_index
from csm_console.store.engine import Store
from csm_console.store.models import Article

sys.path.insert(0, str(Path(__file__).parent))
from bench_store import POSTGRES, ms, p95, scratch_stores  # the shared helpers

GENERATOR_VERSION = 1  # bump when the generated text changes
SEED = 20240611
LANGUAGES = {"lv": 0.40, "ru": 0.35, "en": 0.25}  # a Latvian operator's knowledge base
COMMON = "Wi-Fi"  # in half of all articles
ROUTER = {
    "en": ["router", "router", "routers", "router's"],
    "ru": ["роутер", "роутера", "роутеру", "роутером", "роутере", "роутеры", "роутеров"],
    "lv": ["maršrutētājs", "maršrutētāja", "maršrutētāju", "maršrutētājam", "maršrutētājā"],
}
RARE = "Zyxel"
RARE_SHARE = 0.002
GOAL_P95 = 0.030

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_PLANTED = re.compile(r"^(wi|fi|wifi|router|роутер|marsrutetaj|zyxel)")

QUERIES: list[tuple[str, str]] = [
    ("common (50% of all)", "Wi-Fi"),
    ("common en (50% of en)", "router"),
    ("common ru (50% of ru)", "роутер"),
    ("common lv (50% of lv)", "maršrutētājs"),
    ("common + rare", "router Zyxel"),
    ("50%-of-all + rare", "Wi-Fi Zyxel"),
    ("rare", "Zyxel"),
    ("ru inflected", "оплаты счёта"),
    ("lv inflected", "rēķinu apmaksa"),
    ("prefix while typing", "rou"),
    ("3-word question", "internet not working"),
    ("natural question", "how to restart router"),
    ("hostile: C++", "C++"),
    ("hostile: NOT x", "NOT x"),
    ('hostile: "', '"'),
    ("hostile: 10 kB paste", ""),  # filled in by ten_kb()
]


def ten_kb() -> str:
    """A 10 kB paste: an e-mail thread with a log in it."""
    line = (
        "Labdien, maršrutētājs atkal nestrādā; роутер перезагружается каждые 5 минут. "
        '2024-06-01 12:00:01 WAN link down (PPPoE timeout) NOT OK && retry=3 || "quit"; '
    )
    return (line * (10_240 // len(line) + 1))[:10_240]


# --------------------------------------------------------------------------------- generation


class Corpus:
    """Words of the sample articles, per language and per article."""

    def __init__(self, rng: random.Random) -> None:
        self.topics: dict[str, list[tuple[str, str, list[str], list[str]]]] = {}
        self.words: dict[str, list[str]] = {}
        kb = setup.sample_directory() / "kb"
        for path in sorted(kb.iterdir(), key=lambda p: p.name):
            if not path.name.endswith(".md"):
                continue
            meta, body = split_front_matter(path.read_text(encoding="utf-8"))
            language = str(meta.get("language", "en"))
            tags = meta.get("tags") or []
            tokens = [w for w in _TOKEN.findall(body) if not _PLANTED.match(fold(w))]
            headings = [
                line.lstrip("# ").strip() for line in body.splitlines() if line.startswith("## ")
            ]
            title = str(meta.get("title") or path.name)
            self.topics.setdefault(language, []).append(
                (title, ",".join(str(t) for t in tags), tokens, headings)
            )
            self.words.setdefault(language, []).extend(tokens)
        self.tail = {lang: _made_up_words(rng, lang, 20_000) for lang in LANGUAGES}


_SYLLABLES = {
    "en": "ba be con de di en er fa ga in ka la le lo ma mi na ne or pa per ra re ro sa se "
    "sta ta te ti to tra un ver",
    "lv": "ba be bē da dā ga gā ja jā ka kā la lā le ļa ma mā na ņe pa pā ra rā re sa sā "
    "še ši ta tā te ti ju ku lu mu",
    "ru": "ба ва ве да де ди ка ко ла ле ли ло ма ме ми на не но ни па по ра ре ро са се со "
    "та те то ти ку лу ну ры",
}
_ENDINGS = {
    "en": ["", "", "s", "ed", "ing", "er"],
    "lv": ["s", "a", "u", "am", "ā", "i", "as", "ām", "os"],
    "ru": ["", "а", "у", "ом", "е", "ы", "ов", "ами", "ях"],
}


def _made_up_words(rng: random.Random, language: str, count: int) -> list[str]:
    syllables = _SYLLABLES[language].split()
    out: set[str] = set()
    while len(out) < count:
        stem = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        out.add(stem + rng.choice(_ENDINGS[language]))
    return sorted(out)


def generate(corpus: Corpus, rng: random.Random, index: int, now: datetime) -> dict[str, Any]:
    """One article row (search columns included)."""
    language = rng.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0]
    title, tags, topic, headings = rng.choice(corpus.topics[language])
    everything, tail = corpus.words[language], corpus.tail[language]
    count = rng.randint(100, 300)
    picks = []
    for _ in range(count):
        roll = rng.random()
        pool = topic if roll < 0.65 else everything if roll < 0.94 else tail
        picks.append(rng.choice(pool))
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 3)):
            picks[rng.randrange(count)] = COMMON
    with_router = rng.random() < 0.5
    if with_router:
        for _ in range(rng.randint(1, 4)):
            picks[rng.randrange(count)] = rng.choice(ROUTER[language])
    if rng.random() < RARE_SHARE:
        picks[rng.randrange(count)] = RARE
    extra = " ".join(rng.choice(topic) for _ in range(rng.randint(1, 3)))
    if with_router and rng.random() < 0.15:
        extra += " " + ROUTER[language][0]
    title = f"{title}: {extra}"[:300]
    body = _prose(rng, picks, headings)
    search_title, search_text = article_index(title, tags, body, language)
    return {
        "id": index + 1,
        "external_id": f"KB-B{index + 1:06d}",
        "title": title,
        "body": body,
        "tags": tags,
        "language": language,
        "updated_at": now - timedelta(minutes=index),
        "search_title": search_title,
        "search_text": search_text,
    }


def _prose(rng: random.Random, picks: list[str], headings: list[str]) -> str:
    paragraphs, sentences, sentence = [], [], []
    target = rng.randint(5, 16)
    for word in picks:
        sentence.append(word)
        if rng.random() < 0.08:
            sentence[-1] += ","
        if len(sentence) >= target:
            first = sentence[0]
            sentence[0] = first[:1].upper() + first[1:]
            sentences.append(" ".join(sentence).rstrip(",") + rng.choice(".....?!"))
            sentence, target = [], rng.randint(5, 16)
            if len(sentences) >= rng.randint(2, 5):
                if headings and rng.random() < 0.3:
                    paragraphs.append("## " + rng.choice(headings))
                paragraphs.append(" ".join(sentences))
                sentences = []
    if sentence:
        sentences.append(" ".join(sentence).rstrip(",") + ".")
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs) + "\n"


def index_key() -> str:
    """Changes whenever what gets indexed, or how, changes (so the cached store is rebuilt)."""
    probe = [
        article_index(
            "Kā restartēt maršrutētāju", "router", "Оплаты счёта; payments rēķiniem", lang
        )
        for lang in ("en", "ru", "lv")
    ]
    digest = hashlib.sha1(repr((probe, search_index.SQLITE_DDL)).encode()).hexdigest()
    return digest[:8]


def build_sqlite(path: Path, articles: int) -> None:
    """Generate the store at `path` (via a temporary file, renamed when complete)."""
    partial = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    store = Store(f"sqlite:///{partial}")
    setup.initialize(store)
    rng = random.Random(SEED)
    corpus = Corpus(rng)
    now = datetime.now(UTC).replace(microsecond=0)
    generating = inserting = 0.0
    transaction = 20_000
    for start in range(0, articles, transaction):
        began = time.perf_counter()
        rows = [
            generate(corpus, rng, i, now) for i in range(start, min(articles, start + transaction))
        ]
        generating += time.perf_counter() - began
        began = time.perf_counter()
        with store.write() as session:
            for chunk in range(0, len(rows), 2000):
                session.execute(insert(Article), rows[chunk : chunk + 2000])
        inserting += time.perf_counter() - began
        print(f"  {start + len(rows):,} articles", file=sys.stderr, end="\r")
    store.dispose()
    os.replace(partial, path)
    size = path.stat().st_size / 2**20
    print(
        f"built {path}: {articles:,} articles in {generating + inserting:.1f} s (generating text "
        f"and stems {generating:.1f} s, inserting with the FTS5 triggers {inserting:.1f} s; "
        f"{size:.0f} MiB)"
    )


def sqlite_store(path: Path | None, articles: int) -> Store:
    if path is None:
        name = f"csm-bench-search-{articles}-g{GENERATOR_VERSION}-s{SEED}-{index_key()}.db"
        path = Path(tempfile.gettempdir()) / name
    if not path.exists():
        build_sqlite(path, articles)
    else:
        print(f"reusing {path} (delete it to rebuild)")
    store = Store(f"sqlite:///{path}")
    setup.initialize(store)
    return store


@contextmanager
def postgres_copy(source: Store) -> Iterator[Store]:
    """A scratch PostgreSQL store holding the same articles (dropped on exit)."""
    stores = scratch_stores()
    try:
        for kind, store in stores:
            if kind != "postgresql":
                continue
            began = time.perf_counter()
            columns = [getattr(Article, c) for c in _COLUMNS]
            with source.read() as reader:
                rows = [dict(r._mapping) for r in reader.execute(select(*columns))]
            read = time.perf_counter() - began
            began = time.perf_counter()
            for start in range(0, len(rows), 20_000):
                with store.write() as session:
                    for chunk in range(start, min(len(rows), start + 20_000), 2000):
                        session.execute(insert(Article), rows[chunk : chunk + 2000])
                    setup.sync_sequences(session, store)
            inserted = time.perf_counter() - began
            began = time.perf_counter()
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE article"))
            print(
                f"postgresql: copied {len(rows):,} articles in {inserted:.1f} s (generated "
                f"tsvector + GIN), VACUUM ANALYZE {time.perf_counter() - began:.1f} s "
                f"(reading them from SQLite {read:.1f} s)"
            )
            yield store
            break
    finally:
        stores.close()  # type: ignore[attr-defined]  # drops the database


_COLUMNS = (
    "id",
    "external_id",
    "title",
    "body",
    "tags",
    "language",
    "updated_at",
    "search_title",
    "search_text",
)


# -------------------------------------------------------------------------------- measurement


def matches(store: Store, query: str) -> int:
    """How many articles contain every word of `query` (what ranking has to choose from)."""
    terms = query_terms(query)
    if not terms:
        return 0
    with store.read() as session:
        if store.is_sqlite:
            table = search_index.SQLITE_FTS_TABLE
            sql = f"SELECT count(*) FROM {table} WHERE {table} MATCH :q"
            q = search_index.match_expression(terms, any_word=False, sqlite=True)
        else:
            sql = "SELECT count(*) FROM article WHERE search_vector @@ to_tsquery('simple', :q)"
            q = search_index.match_expression(terms, any_word=False, sqlite=False)
        return int(session.execute(text(sql), {"q": q}).scalar_one())


def fetch_by_id(store: Store, ids: list[int]) -> None:
    """The baseline: what a search reads of 20 articles, fetched by id (no ranking, no snippet)."""
    with store.read() as session:
        knowledge.hit_rows(session, ids)


failures: list[str] = []


def check_results(kind: str, store: Store, queries: list[tuple[str, str]]) -> None:
    """What every run checks, the smoke run too (the script exits 1 when one fails): at most
    20 hits, best first (scores never rise: they are rounded, so equal ones may stand in either
    order), no article twice, and the planted common words found."""
    for label, q in queries:
        hits = knowledge.search_articles(store, text=q, limit=20)
        keys = [-h.score for h in hits]
        problems = []
        if len(hits) > 20:
            problems.append(f"{len(hits)} hits")
        if keys != sorted(keys):
            problems.append("not best first")
        if len({h.id for h in hits}) != len(hits):
            problems.append("an article twice")
        if label.startswith("common") and not hits:
            problems.append("nothing found")
        for problem in problems:
            failures.append(f"{kind}, {label}: {problem}")
            print(f"  CHECK FAILED: {kind}, {label}: {problem}", file=sys.stderr)


def measure(kind: str, store: Store, runs: int) -> None:
    queries = [(label, q or ten_kb()) for label, q in QUERIES]
    with store.read() as session:
        top = int(session.execute(text("SELECT max(id) FROM article")).scalar_one())
    rng = random.Random(1)

    def baseline() -> None:
        fetch_by_id(store, rng.sample(range(1, top + 1), 20))

    def search(q: str) -> Callable[[], object]:
        return lambda: knowledge.search_articles(store, text=q, limit=20)

    check_results(kind, store, queries)
    cases = [(label, search(q)) for label, q in queries]
    cases.append(("baseline: 20 articles by id", baseline))
    for _ in range(3):  # warm-up: caches, stemmer, statements
        for _, fn in cases:
            fn()
    times: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _ in range(runs):
        for label, fn in cases:
            began = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - began)
    base = times.pop("baseline: 20 articles by id")
    print(f"\n{kind}: {runs} runs per query, interleaved")
    print(f"  {'query':<24} {'text':<24} {'matches':>8} {'hits':>4} {'p50':>10} {'p95':>10}")
    everything: list[float] = []
    for label, q in queries:
        values = times[label]
        everything += values
        hits = len(knowledge.search_articles(store, text=q, limit=20))
        shown = q if len(q) <= 22 else q[:12] + f"…({len(q):,} ch)"
        print(
            f"  {label:<24} {shown!r:<24} {matches(store, q):>8,} {hits:>4} "
            f"{ms(statistics.median(values)):>10} {ms(p95(values)):>10}"
        )
    overall50, overall95 = statistics.median(everything), p95(everything)
    base50, base95 = statistics.median(base), p95(base)
    print(
        f"  overall ({len(everything)} searches): p50 {ms(overall50)}, p95 {ms(overall95)}"
        + (
            f"  (goal p95 <= {ms(GOAL_P95)}: {'met' if overall95 <= GOAL_P95 else 'MISSED'})"
            if kind == "sqlite"
            else ""
        )
    )
    print(
        f"  baseline, 20 articles by primary key: p50 {ms(base50)}, p95 {ms(base95)} -> ratio "
        f"p50 {overall50 / base50:.1f}x, p95 {overall95 / base95:.1f}x"
    )
    breakdown(kind, store, queries, max(5, runs // 3))


def breakdown(kind: str, store: Store, queries: list[tuple[str, str]], runs: int) -> None:
    """Median split of each search: ranking SQL, snippets (Python), the rest."""
    spent = {"ranked": 0.0, "snippet": 0.0}

    def clocked(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - began

        return wrapper

    originals = [(search_index, "ranked"), (knowledge, "snippet")]
    saved = [(module, name, getattr(module, name)) for module, name in originals]
    for module, name, fn in saved:
        setattr(module, name, clocked(name, fn))
    try:
        print(f"  where the time goes ({runs} runs, medians):")
        print(f"  {'query':<24} {'total':>10} {'rank SQL':>10} {'snippets':>10} {'rest':>10}")
        for label, q in queries:
            split: dict[str, list[float]] = {"total": [], "ranked": [], "snippet": []}
            for _ in range(runs):
                spent.update(ranked=0.0, snippet=0.0)
                began = time.perf_counter()
                knowledge.search_articles(store, text=q, limit=20)
                split["total"].append(time.perf_counter() - began)
                split["ranked"].append(spent["ranked"])
                split["snippet"].append(spent["snippet"])
            total, ranked, snip = (statistics.median(split[k]) for k in split)
            print(
                f"  {label:<24} {ms(total):>10} {ms(ranked):>10} {ms(snip):>10} "
                f"{ms(max(0.0, total - ranked - snip)):>10}"
            )
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--store", type=Path, default=None, help="SQLite file (built if missing)")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument(
        "--rank-window", type=int, default=None, help="try another search_index.RANK_WINDOW"
    )
    parser.add_argument("--smoke", action="store_true", help="300 articles, 3 runs (CI)")
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory() as tmp:
            args.articles, args.runs, args.store = 300, 3, Path(tmp) / "smoke.db"
            run(args)
    else:
        run(args)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)


def run(args: argparse.Namespace) -> None:
    if args.rank_window is not None:
        search_index.RANK_WINDOW = args.rank_window
    import sqlite3

    print(
        f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} "
        f"cores ({platform.processor() or platform.machine()}), {time.strftime('%Y-%m-%d')}; "
        f"RANK_WINDOW {search_index.RANK_WINDOW}"
    )
    store = sqlite_store(args.store, args.articles)
    try:
        if not args.no_sqlite:
            measure("sqlite", store, args.runs)
        if POSTGRES:
            with postgres_copy(store) as pg:
                with pg.read() as session:
                    version = session.execute(text("SHOW server_version")).scalar_one()
                measure(f"postgresql {version}", pg, args.runs)
    finally:
        store.dispose()


if __name__ == "__main__":
    main()
