"""The `csm` command line: a thin face over the services."""
