"""Plain data and pure rules: no I/O, no SQL, no Textual."""
