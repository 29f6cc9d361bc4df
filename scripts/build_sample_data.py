#!/usr/bin/env python3
"""Build and validate the csm-console sample data set.

Deterministic (random.Random(20261123)); needs PyYAML (a csm-console dependency).

    python3 scripts/build_sample_data.py           # regenerate generated files, then validate
    python3 scripts/build_sample_data.py --check   # only validate what is on disk
    python3 scripts/build_sample_data.py --out DIR # write (and validate) DIR instead

Source (hand-written, readable and editable): scripts/sample_source/*.yaml, with one file per
ticket scenario under scripts/sample_source/scenarios/ (see scripts/sample_source/README.md).
Generated: sample_data/teams.json, agents.json, customers.csv, sla_policies.json, tickets.json.
Hand-written (validated only): sample_data/templates/*.md, sample_data/kb/*.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sample_builder import source
from sample_builder.checks import validate
from sample_builder.generate import generate

OUT = Path(__file__).resolve().parent.parent / "sample_data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only validate what is on disk")
    parser.add_argument("--out", type=Path, default=OUT, help="the sample_data directory")
    args = parser.parse_args(argv)
    if not args.check:
        generate(source.load(), args.out)
    return 0 if validate(args.out) else 1


if __name__ == "__main__":
    sys.exit(main())
