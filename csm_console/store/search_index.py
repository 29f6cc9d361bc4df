"""The full-text index of knowledge articles, which each store builds its own way.

`article.search_title` and `article.search_text` hold the stems of an article (see
`csm_console.domain.search`), computed in Python whenever an article is saved.  The database
indexes those columns:

- SQLite: an FTS5 table over them (external content: the text is not stored twice), kept in
  step by triggers on `article`, ranked with bm25.
- PostgreSQL: a generated `tsvector` column (title weighted A, the rest B) with a GIN index,
  ranked with ts_rank; the vector is kept in the row, not in the TOAST table (migration 0016).

Because triggers and a generated column do the indexing, any change to an article, from any
code path, keeps the index in step.  Neither object is in the SQLModel metadata: they are
dialect-specific, made by migration 0003.

Ranking is bounded: only the newest `RANK_WINDOW` matches are ranked (on SQLite also the
newest `TITLE_WINDOW` title matches older than those), so a word that appears in half of
100,000 articles costs a bounded amount of work instead of scoring every one of them.  Each
search term is passed as data (quoted letters and digits), never as query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from csm_console.domain.search import SearchTerm

SQLITE_FTS_TABLE = "article_fts"
POSTGRES_VECTOR_COLUMN = "search_vector"
POSTGRES_INDEX = "ix_article_search"

RANK_WINDOW = 2000  # hits ranked per query: the newest ones
TITLE_WINDOW = 500  # and, besides those, the newest title hits
TITLE_WEIGHT = 4.0  # a title hit against a body hit (bm25 column weights)

_SQLITE_COLUMNS = "search_title, search_text"
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {SQLITE_FTS_TABLE} USING fts5({_SQLITE_COLUMNS}, content='article', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN "
    f"INSERT INTO {SQLITE_FTS_TABLE}(rowid, {_SQLITE_COLUMNS}) "
    "VALUES (new.id, new.search_title, new.search_text); END",
    f"CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN "
    f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rowid, {_SQLITE_COLUMNS}) "
    "VALUES ('delete', old.id, old.search_title, old.search_text); END",
    f"CREATE TRIGGER article_fts_update AFTER UPDATE ON article BEGIN "
    f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rowid, {_SQLITE_COLUMNS}) "
    "VALUES ('delete', old.id, old.search_title, old.search_text); "
    f"INSERT INTO {SQLITE_FTS_TABLE}(rowid, {_SQLITE_COLUMNS}) "
    "VALUES (new.id, new.search_title, new.search_text); END",
    f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}) VALUES ('rebuild')",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS article_fts_insert",
    "DROP TRIGGER IF EXISTS article_fts_delete",
    "DROP TRIGGER IF EXISTS article_fts_update",
    f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}",
)

POSTGRES_DDL = (
    f"ALTER TABLE article ADD COLUMN {POSTGRES_VECTOR_COLUMN} tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, search_text), 'B')) STORED",
    f"CREATE INDEX {POSTGRES_INDEX} ON article USING gin ({POSTGRES_VECTOR_COLUMN})",
)
# The vector kept in the article's row (STORAGE MAIN, migration 0016) rather than moved to the
# TOAST table as PostgreSQL does with any value that leaves the row over 2 kB: a vector is
# about 2 kB and does not compress, so by default every vector the search reads (each match it
# checks newest first, each of the RANK_WINDOW it ranks) costs a lookup in the TOAST index and
# the chunks.  In the row, the 16 searches of bench_search.py at 40,000 articles touched 5.8
# times fewer buffers (docs/benchmarks.md, "Knowledge search").  The UPDATE moves the vectors
# already stored (a stored generated column is computed again whenever its row is updated).
POSTGRES_VECTOR_IN_ROW = (
    f"ALTER TABLE article ALTER COLUMN {POSTGRES_VECTOR_COLUMN} SET STORAGE MAIN",
    "UPDATE article SET search_title = search_title",
)
POSTGRES_VECTOR_TOASTED = (
    f"ALTER TABLE article ALTER COLUMN {POSTGRES_VECTOR_COLUMN} SET STORAGE EXTENDED",
)
POSTGRES_DROP = (
    f"DROP INDEX IF EXISTS {POSTGRES_INDEX}",
    f"ALTER TABLE article DROP COLUMN IF EXISTS {POSTGRES_VECTOR_COLUMN}",
)


def is_search_object(name: str | None) -> bool:
    """Tables, columns and indexes of the index (for schema comparisons that skip them)."""
    return bool(name) and (
        str(name).startswith(SQLITE_FTS_TABLE) or name in (POSTGRES_VECTOR_COLUMN, POSTGRES_INDEX)
    )


def ranked(
    session: Session,
    terms: Sequence[SearchTerm],
    language: str | None,
    limit: int,
    *,
    any_word: bool,
) -> list[tuple[int, float]]:
    """(article id, score) of the best `limit` matches, best first."""
    if session.get_bind().dialect.name == "sqlite":
        return _ranked_fts5(session, terms, language, limit, any_word=any_word)
    return _ranked_tsvector(session, terms, language, limit, any_word=any_word)


def match_expression(terms: Sequence[SearchTerm], *, any_word: bool, sqlite: bool) -> str:
    """The terms as an FTS5 MATCH expression (`("rekin" OR "rekinu") AND ("apmaks"*)`) or a
    tsquery (`(rekin | rekinu) & (apmaks:*)`).  Each stem is letters and digits only (see
    domain.search), so the expression is never anything but words."""
    word, prefixed, either, every = (
        ('"{}"', '"{}"*', " OR ", " AND ") if sqlite else ("{}", "{}:*", " | ", " & ")
    )
    groups = [
        "("
        + either.join((prefixed if prefix else word).format(s) for s, prefix in t.patterns())
        + ")"
        for t in terms
    ]
    return (either if any_word else every).join(groups)


def _ranked_fts5(
    session: Session,
    terms: Sequence[SearchTerm],
    language: str | None,
    limit: int,
    *,
    any_word: bool,
) -> list[tuple[int, float]]:
    """bm25 over a bounded window: the newest RANK_WINDOW matches (FTS5 walks its matches
    newest first and stops there), plus the newest TITLE_WINDOW title matches older than those.
    Each window is one statement, which also says where the window ended."""
    match = match_expression(terms, any_word=any_word, sqlite=True)

    def rank(
        expression: str, window: int, below: int | None
    ) -> tuple[list[tuple[int, float]], int]:
        """The best `limit` of the newest `window` matches (below rowid `below`), and the
        oldest rowid in the window when the window is full (else 0: no older matches)."""
        # bm25 is lower for better matches; the title weighs TITLE_WEIGHT times the body
        statement = text(
            f"""
            SELECT id, score, count(*) OVER () AS size, min(id) OVER () AS oldest
            FROM (
                SELECT f.rowid AS id, bm25({SQLITE_FTS_TABLE}, {TITLE_WEIGHT}, 1.0) AS score
                FROM {SQLITE_FTS_TABLE} AS f
                  {"JOIN article AS a ON a.id = f.rowid" if language else ""}
                WHERE {SQLITE_FTS_TABLE} MATCH :m
                  {"AND f.rowid < :below" if below is not None else ""}
                  {"AND a.language = :language" if language else ""}
                ORDER BY f.rowid DESC
                LIMIT :window
            )
            ORDER BY score, id DESC
            LIMIT :limit
            """
        )
        params: dict[str, Any] = {"m": expression, "window": window, "limit": limit}
        if below is not None:
            params["below"] = below
        if language:
            params["language"] = language
        rows = session.execute(statement, params).all()
        full = bool(rows) and rows[0].size == window
        return [(int(r.id), -float(r.score)) for r in rows], int(rows[0].oldest) if full else 0

    ranked, oldest = rank(match, RANK_WINDOW, None)
    if oldest:  # more matches than the window: older title hits get their chance too
        title_match = "{search_title} : (" + match + ")"
        ranked += rank(title_match, TITLE_WINDOW, oldest)[0]
    ranked.sort(key=lambda hit: (-hit[1], -hit[0]))
    return ranked[:limit]


def _ranked_tsvector(
    session: Session,
    terms: Sequence[SearchTerm],
    language: str | None,
    limit: int,
    *,
    any_word: bool,
) -> list[tuple[int, float]]:
    """ts_rank over the newest RANK_WINDOW matches (titles weigh A, the rest B).  The query is
    written out in the statement, not in a CTE, so that the planner can estimate how common
    the words are: for a common word it walks the primary key backwards and stops at the
    window, for a rare one it uses the GIN index.

    The window is sorted by id with the score beside it, not with the vectors (2 kB each):
    when the GIN index finds a few thousand matches, sorting their vectors spilled to disk
    (`work_mem`), about half of a three-word question's time.  The rank is taken as the scan
    reads a match: the window's 2,000 for a common word (the walk stops there), every match
    the GIN index found otherwise (a few thousand at most: the planner takes the index only
    for words it expects to be that rare)."""
    statement = text(
        f"""
        SELECT id, score
        FROM (
            SELECT id, ts_rank(search_vector, to_tsquery('simple', :query)) AS score
            FROM article
            WHERE search_vector @@ to_tsquery('simple', :query)
              {"AND language = :language" if language else ""}
            ORDER BY id DESC
            LIMIT :window
        ) AS newest
        ORDER BY score DESC, id DESC
        LIMIT :limit
        """
    )
    params: dict[str, Any] = {
        "query": match_expression(terms, any_word=any_word, sqlite=False),
        "window": RANK_WINDOW,
        "limit": limit,
    }
    if language:
        params["language"] = language
    return [(int(r.id), float(r.score)) for r in session.execute(statement, params)]
