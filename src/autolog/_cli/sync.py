"""``autolog sync``: upload what the spool on this machine holds for tracking servers."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from autolog._cli._output import CliError, print_json, wants_json


class ProgressBar:
    """One line redrawn in place on a terminal (nothing when the output is not a terminal)."""

    def __init__(self, stream: IO[str], label: str) -> None:
        self.stream, self.label = stream, label
        self.drawn = False
        self._last = 0.0
        self._tty = stream.isatty()

    def __call__(self, ops: int, total_ops: int, points: int, total_points: int) -> None:
        now = time.monotonic()
        if not self._tty or (now - self._last < 0.1 and ops < total_ops):
            return
        self._last = now
        share = ops / total_ops if total_ops else 1.0
        filled = int(30 * share)
        shown = f"{points:,}/{total_points:,} points" if total_points else f"{ops:,}/{total_ops:,} requests"
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {shown}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def sync(args: Any) -> int:
    import os

    from autolog.errors import ServerUnreachableError
    from autolog.store._by_uri import uri_scheme
    from autolog.store.rest import _sync

    uri = getattr(args, "tracking_uri", None) or os.environ.get("AUTOLOG_TRACKING_URI", "")
    if uri and uri_scheme(uri) in ("http", "https"):
        servers = [uri.rstrip("/")]
    elif getattr(args, "tracking_uri", None):
        raise CliError(f"{uri} is not a tracking server; autolog sync uploads to http(s)://host:port URIs")
    else:
        servers = _sync.servers()
    reports = []
    failed = False
    for base_url in servers:
        bar = ProgressBar(sys.stderr, f"{base_url}:")
        try:
            report = _sync.sync(base_url, bar, retry_failed=args.retry_failed)
        except ServerUnreachableError as exc:
            bar.close()
            files, ops, points = _sync.pending(base_url)
            sys.stderr.write(f"autolog: {exc} {ops:,} requests ({points:,} metric points) stay in the spool.\n")
            failed = True
            continue
        bar.close()
        reports.append(report)
        failed = failed or bool(report.refused or report.left)
    if wants_json(args):
        print_json([vars(r) for r in reports])
    else:
        if not servers:
            sys.stdout.write("nothing to upload: the spool is empty\n")
        for r in reports:
            _say(r)
    return 1 if failed else 0


def _say(r: Any) -> None:
    line = (
        f"{r.base_url}: uploaded {r.ops:,} requests ({r.points:,} metric points, {r.artifacts:,} "
        f"artifact files) from {r.files} spool file{'s' if r.files != 1 else ''}"
    )
    if r.left:
        line += f"; {r.left:,} requests still wait"
        if r.busy:
            line += f" ({r.busy} file{'s' if r.busy != 1 else ''} being uploaded by another process)"
    elif not r.refused:
        line += "; nothing left"
    sys.stdout.write(line + "\n")
    for refused in r.refused:
        sys.stdout.write(f"  refused by the server, kept aside: {refused}\n")
    if r.refused:
        sys.stdout.write("  (fix the cause, then: autolog sync --retry-failed)\n")


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser(
        "sync", parents=[common], help="upload what the spool holds for tracking servers",
        description="Upload the runs, params, metrics, tags and artifacts that were logged while "
        "a tracking server could not be reached (or with AUTOLOG_MODE=offline) and wait in the "
        "spool on this machine. Each is stored once, however often this runs. Without "
        "--tracking-uri (and with no http(s) AUTOLOG_TRACKING_URI) every server with spooled "
        "data is synced. See docs/remote.md.",
    )
    p.add_argument(
        "--retry-failed", action="store_true",
        help="send again the requests the server refused before (after fixing the cause)",
    )
    p.set_defaults(handler="autolog._cli.sync:sync")
