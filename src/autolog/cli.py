"""The ``autolog`` console script (``autolog.cli:main``); the commands live in ``autolog._cli``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from autolog._cli import build_parser, dispatch


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: sys.argv[1:]) and run the command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return dispatch(parser, args)


if __name__ == "__main__":
    sys.exit(main())
