"""Adapters to the outside systems that mail moves through (IMAP, ...).

They move bytes and know nothing of tickets: `services/` decide what a message becomes.
"""
