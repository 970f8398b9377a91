"""A process's link to one tracking server: send a write now, or spool it for later.

Modes, from ``AUTOLOG_MODE`` (docs/remote.md):

- ``auto`` (the default): writes go to the server; when it cannot be reached, they go to the
  spool and training goes on; the spool is uploaded in the background from the moment the
  server answers again.
- ``offline``: writes only go to the spool (air-gapped machines); ``autolog sync`` uploads it.
- ``online``: no spool; an unreachable server is an error at the call.

Order is kept per run: once a write of a run is in the spool, the run's later writes join it
there until the spool has been uploaded, so the server sees each run's writes in the order
they were made. Reads always ask the server; the few that logging itself needs while it is
unreachable are answered from what this process knows (``RestStore``).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from autolog.errors import InvalidInputError, ServerUnreachableError
from autolog.store.rest._http import SAME, Http, http_for

if TYPE_CHECKING:
    from autolog.store.rest._spool import Spool

MODE_ENV = "AUTOLOG_MODE"
MODES = ("auto", "offline", "online")
#: how long the background upload waits between looks at a server that does not answer
_RETRY_S = (0.5, 1.0, 2.0, 3.0)
#: how long the end of the process may spend uploading what is spooled
_EXIT_BUDGET_S = 60.0

_log = logging.getLogger("autolog")


def mode() -> str:
    value = os.environ.get(MODE_ENV, "").strip().lower() or "auto"
    if value not in MODES:
        raise InvalidInputError(f"{MODE_ENV} must be one of {', '.join(MODES)}; got {value!r}")
    return value


class Link:
    """Shared by every RestStore and ProxyArtifactStore of one server in this process."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http: Http = http_for(base_url)
        self.mode = mode()
        self._lock = threading.RLock()  # the spool is created under it, on the first append
        self._spool: Spool | None = None
        #: runs with writes waiting in this process's spool (their next writes join them)
        self._pending: set[str] = set()
        self._warned = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        if self.mode != "online":
            # registered now, before the fluent API's exit handler (handlers run last first):
            # the runs it ends at exit are written before this one uploads the spool
            atexit.register(self._at_exit)

    # -- the spool ------------------------------------------------------------------------------
    @property
    def spool(self) -> Spool:
        """This process's spool file for the server, created on first use."""
        if self._spool is None:
            with self._lock:
                if self._spool is None:
                    from autolog.store.rest._spool import Spool

                    self._spool = Spool.create(self.base_url)
        return self._spool

    @property
    def offline(self) -> bool:
        return self.mode == "offline"

    def spooling(self, run_id: str | None) -> bool:
        """Whether a write of ``run_id`` goes to the spool instead of the server now."""
        return self.mode == "offline" or self.http.down or (run_id is not None and run_id in self._pending)

    # -- writes ---------------------------------------------------------------------------------
    def write(
        self, run_id: str | None, path: str, doc: dict[str, Any], *, points: int = 0, again: Any = SAME
    ) -> dict[str, Any] | None:
        """Send a write, or spool it; the server's answer, or None when it was spooled.

        ``again`` is the form to re-send after a failure that may have reached the server
        (see ``Http.call``); a write whose repeat is harmless keeps ``SAME``.
        """
        if self.mode != "online":
            with self._lock:
                if self.spooling(run_id):
                    self._append(run_id, path, doc, points, uncertain=False)
                    return None
        try:
            return self.http.call("POST", path, doc, again=again, subject=run_id)
        except ServerUnreachableError as exc:
            if self.mode == "online":
                raise
            with self._lock:
                self._append(run_id, path, doc, points, uncertain=exc.sent)
            return None

    def _append(self, run_id: str | None, path: str, doc: dict[str, Any], points: int, *, uncertain: bool) -> None:
        # under self._lock: the upload thread decides "all sent" under it too
        self.spool.append(run_id, path, doc, points=points, uncertain=uncertain)
        if run_id is not None:
            self._pending.add(run_id)
        if not self.offline:
            self._say_spooling()
            self._start_uploads()

    def _say_spooling(self) -> None:
        """Say once, at the first write that goes to the spool, why and where it goes."""
        if not self._warned:
            self._warned = True
            _log.warning(
                "autolog: %s Logging goes on into the spool at %s; it is uploaded as soon as the "
                "server answers again (or run: autolog sync --tracking-uri %s).",
                self.http.unreachable(self.http.why, sent=False), self.spool.path, self.base_url,
            )

    def unreachable_at_start(self, exc: ServerUnreachableError) -> None:
        """The server did not answer when a store was opened: fine unless in online mode
        (reads say so when they are made; writes go to the spool and say so once)."""
        if self.mode == "online":
            raise exc

    # -- uploading in the background ------------------------------------------------------------
    def _start_uploads(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._uploads, name="autolog-spool-upload", daemon=True)
            self._thread.start()
        self._wake.set()

    def adopt_orphans(self) -> None:
        """Upload, in the background, spool files that processes now gone left for this server."""
        if self.mode == "auto" and _orphans(self.base_url):
            self._start_uploads()

    def _uploads(self) -> None:
        attempt = 0
        while not self._stopping:
            self._wake.clear()
            if self.http.probe() and self.upload_all():
                attempt = 0
                self._wake.wait()  # until something new is spooled, or the end
                continue
            pause = _RETRY_S[min(attempt, len(_RETRY_S) - 1)]
            attempt += 1
            self._wake.wait(pause)

    def upload_all(self, deadline: float | None = None) -> bool:
        """Upload this process's spool, then the orphans; True when everything went."""
        return self.upload_own() and self.upload_orphans(deadline)

    def upload_own(self) -> bool:
        """Upload this process's spool; True when nothing is left in it."""
        from autolog.store.rest import _replay
        from autolog.store.rest._spool import release

        own = self._spool
        if own is None:
            return True
        fd = own.replay_lock()
        if fd is None:
            return False  # `autolog sync` is uploading it right now
        try:
            outcome = _replay.upload(own, self.http)
            _report(outcome)
            with self._lock:
                left = own.pending()[0]
                # with nothing left, later writes go straight to the server
                self._pending = own.pending_runs() if left else set()
        finally:
            release(fd)
        return not left and not outcome.interrupted

    def upload_orphans(self, deadline: float | None = None) -> bool:
        """Upload the spool files that processes now gone left for this server."""
        done = True
        for spool in _orphans(self.base_url):
            if deadline is not None and time.monotonic() > deadline:
                spool.close()
                return False
            try:
                done = upload_orphan(spool, self.http) and done
            except Exception as exc:  # another process may be removing it: theirs to finish
                _log.debug("autolog: could not upload the spool %s: %s", spool.path, exc)
                done = False
        return done

    def _at_exit(self) -> None:
        """At interpreter exit: one last upload if the server answers, then say what waits.

        The spool is let go first: a write that still comes later (another exit handler
        ending a run) starts a new spool file, which the next process or `autolog sync`
        uploads."""
        self._stopping = True
        self._wake.set()
        if self._spool is None:
            # nothing of ours waits; an upload of others' spools under way may be cut short,
            # which is safe: its request in doubt is re-sent with dedupe by the next uploader
            return
        deadline = time.monotonic() + _EXIT_BUDGET_S
        thread = self._thread
        if thread is not None:  # an upload under way finishes its pass first
            thread.join(timeout=_EXIT_BUDGET_S)
        with self._lock:
            own = self._spool
        if own is None:
            return
        from autolog.store.rest import _replay

        try:
            if not self.offline and self.http.probe():
                self.upload_own()
            with self._lock:
                self._spool = None
            if _replay.is_empty(own) and not own.failures():
                own.remove()
            else:
                ops, points = own.pending()
                _log.warning(
                    "autolog: %d requests (%d metric points) for %s wait in the spool %s; the next "
                    "process that reaches the server uploads them, or now: autolog sync --tracking-uri %s",
                    ops, points, self.base_url, own.path, self.base_url,
                )
                own.close()
            if not self.offline and not self.http.down:
                self.upload_orphans(deadline)
        except Exception as exc:  # at exit nobody can catch it: say it
            _log.error("autolog: could not finish the spool %s: %s", own.path, exc)


def _report(outcome: Any) -> None:
    for line in outcome.refused:
        _log.warning("autolog: the tracking server refused a spooled request, kept aside: %s", line)


def _orphans(base_url: str) -> list[Spool]:
    """Spool files of this server whose process is gone."""
    from autolog.store.rest._spool import Spool, server_dir

    found = []
    for spool in Spool.existing(server_dir(base_url)):
        if spool.owner_alive():
            spool.close()
        else:
            found.append(spool)
    return found


def upload_orphan(spool: Spool, http: Http, progress: Any = None) -> bool:
    """Upload a spool file another process left; removed once empty. True when all went."""
    from autolog.store.rest import _replay
    from autolog.store.rest._spool import release

    fd = spool.replay_lock()
    if fd is None:
        spool.close()
        return False
    try:
        outcome = _replay.upload(spool, http, progress)
        _report(outcome)
        empty = _replay.is_empty(spool) and not spool.owner_alive()
    finally:
        release(fd)
    if empty and not spool.failures():
        spool.remove()
    else:
        spool.close()
    return empty


_links: dict[str, Link] = {}
_links_lock = threading.Lock()


def link_for(base_url: str) -> Link:
    """The process's link to ``base_url`` (one per server)."""
    key = base_url.rstrip("/")
    with _links_lock:
        found = _links.get(key)
        if found is None or found.http is not http_for(key):
            found = _links[key] = Link(key)
        return found


def forget_links() -> None:
    """Forget every link (tests): their spools are closed, not removed."""
    from autolog.store.rest._http import forget_pools

    with _links_lock:
        links = list(_links.values())
        _links.clear()
    for link in links:
        link._stopping = True
        link._wake.set()
        if link._thread is not None:
            link._thread.join(timeout=10)
        atexit.unregister(link._at_exit)
        if link._spool is not None:
            link._spool.close()
    forget_pools()


def _after_fork_in_child() -> None:
    # a child process has its own spool and its own upload thread
    global _links_lock
    _links.clear()
    _links_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
