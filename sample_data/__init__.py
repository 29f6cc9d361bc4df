"""The sample support operation loaded by `csm init --sample` and `csm demo`."""
