"""Adapters that talk to the outside (files, IMAP, SMTP): they move bytes and know nothing of
tickets (DESIGN.md, "Channels").  Beside `store/`: services use them; they use only `domain/`."""
