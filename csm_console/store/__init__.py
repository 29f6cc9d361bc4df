"""Tables, the engine factory, migrations and queries.  Never imports Textual."""
