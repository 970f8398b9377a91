"""The ``autolog`` command line, built on argparse.

Each command group is one module with ``register(subparsers, common)``; a leaf command names
its handler as a ``"module:function"`` string, so only the module of the command that runs is
imported (``autolog runs list`` never imports pandas, numpy or an ML library).

Exit codes: 0 ok, 1 a user error reported in one line (``--debug`` shows the traceback),
2 a usage error (argparse).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

#: the modules that add command groups, in --help order
GROUPS = (
    "autolog._cli.run",
    "autolog._cli.runs",
    "autolog._cli.experiments",
    "autolog._cli.artifacts",
    "autolog._cli.models",
    "autolog._cli.serve",
    "autolog._cli.server",
    "autolog._cli.ui",
    "autolog._cli.sync",
    "autolog._cli.gc",
    "autolog._cli.db",
    "autolog._cli.doctor",
    "autolog._cli.migrate",
)


def common_options(suppress: bool = True) -> argparse.ArgumentParser:
    """--tracking-uri, --json and --debug, accepted before or after the command."""
    default: Any = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--tracking-uri", default=default, metavar="URI",
        help="the tracking store (default: $AUTOLOG_TRACKING_URI, else ./autolog-runs)",
    )
    common.add_argument("--json", action="store_true", default=default, help="machine-readable JSON output")
    common.add_argument("--debug", action="store_true", default=default, help="show tracebacks of errors")
    return common


def register(sub: Any, common: argparse.ArgumentParser, groups: Sequence[str] = GROUPS) -> None:
    """Add the command groups of ``groups`` to ``sub`` (the parser's subparsers)."""
    import importlib

    for name in groups:
        importlib.import_module(name).register(sub, common)


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="autolog", parents=[common],
        description="Look at and manage what autolog recorded: runs, experiments, artifacts, "
        "registered models; serve a model over HTTP; run a project as a tracked run.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")
    register(sub, common)
    return parser


def _one_line(exc: BaseException) -> str:
    from autolog.errors import FilterSyntaxError

    text = str(exc) or type(exc).__name__
    if isinstance(exc, FilterSyntaxError):
        return text  # the caret under the filter needs its own lines
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the handler the parsed command named, mapping errors to exit codes."""
    import importlib

    handler = getattr(args, "handler", None)
    if handler is None:
        # a group without its command ("autolog runs"): show what it offers
        parser.print_usage(sys.stderr)
        sys.stderr.write("autolog: error: name a command; see autolog --help\n")
        return 2
    uri = getattr(args, "tracking_uri", None)
    if uri:
        os.environ["AUTOLOG_TRACKING_URI"] = uri
    module, _, function = handler.partition(":")
    debug = bool(getattr(args, "debug", False))
    from autolog._cli._output import CliError
    from autolog.errors import AutologError

    try:
        result = getattr(importlib.import_module(module), function)(args)
    except (AutologError, CliError, OSError) as exc:
        if debug:
            raise
        sys.stderr.write(f"autolog: error: {_one_line(exc)}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `autolog runs list | head`
        return 0
    except Exception as exc:
        if debug:
            raise
        sys.stderr.write(
            f"autolog: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(run again with --debug for the traceback, and report it)\n"
        )
        return 1
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return dispatch(parser, args)
