"""Use cases: every business rule and every write.  Returns plain data, never ORM rows."""
