"""Adapters to the outside mail systems (SMTP, IMAP ...): they move bytes and know nothing of
tickets.  Below `services/`, beside `store/`."""
