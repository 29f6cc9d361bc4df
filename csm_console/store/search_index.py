"""The full-text index of knowledge articles, which each store builds its own way.

`article.search_title` and `article.search_text` hold the stems of an article (see
`csm_console.domain.search`), computed in Python whenever an article is saved.  The database
indexes those columns:

- SQLite: an FTS5 table over them (external content: the text is not stored twice), kept in
  step by triggers on `article`, ranked with bm25.
- PostgreSQL: a generated `tsvector` column (title weighted A, the rest B) with a GIN index,
  ranked with ts_rank.

Because triggers and a generated column do the indexing, any change to an article, from any
code path, keeps the index in step.  Neither object is in the SQLModel metadata: they are
dialect-specific, made by migration 0003.
"""

from __future__ import annotations

SQLITE_FTS_TABLE = "article_fts"
POSTGRES_VECTOR_COLUMN = "search_vector"
POSTGRES_INDEX = "ix_article_search"

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
POSTGRES_DROP = (
    f"DROP INDEX IF EXISTS {POSTGRES_INDEX}",
    f"ALTER TABLE article DROP COLUMN IF EXISTS {POSTGRES_VECTOR_COLUMN}",
)


def is_search_object(name: str | None) -> bool:
    """Tables, columns and indexes of the index (for schema comparisons that skip them)."""
    return bool(name) and (
        str(name).startswith(SQLITE_FTS_TABLE) or name in (POSTGRES_VECTOR_COLUMN, POSTGRES_INDEX)
    )
