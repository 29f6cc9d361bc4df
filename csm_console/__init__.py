"""csm-console: a keyboard-first terminal console for customer-service teams."""

__version__ = "0.1.0"
