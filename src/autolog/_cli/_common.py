"""What several commands share: the Client for --tracking-uri, finding experiments by name or id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog._cli._output import CliError

if TYPE_CHECKING:
    from autolog.tracking._client import Client
    from autolog.core._entities import Experiment


def client(args: Any) -> Client:
    from autolog.tracking._client import Client

    return Client(getattr(args, "tracking_uri", None))


def experiment(c: Client, ref: str) -> Experiment:
    """An experiment by name, or by id when no experiment has that name."""
    found = c.get_experiment_by_name(ref)
    if found is not None:
        return found
    from autolog.errors import NotFoundError

    try:
        return c.get_experiment(ref)
    except NotFoundError:
        names = sorted(e.name for e in c.search_experiments(view_type="all"))
        raise CliError(
            f"no experiment named or numbered {ref!r}; experiments: {', '.join(names) or 'none'}"
        ) from None


def parse_tags(items: list[str] | None) -> dict[str, str]:
    tags = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise CliError(f"--tag takes KEY=VALUE, got {item!r}")
        tags[key] = value
    return tags


def listen_options(parser: Any) -> None:
    """--host and --port of the commands that serve HTTP (serve, server, ui)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", "-p", type=int, default=5000, help="port (default 5000; 0 picks a free one)")
