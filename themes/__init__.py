"""Theme files shipped with csm (TOML, one theme each)."""
