"""The spool: writes for a tracking server that could not be sent yet, kept on this machine.

Layout (docs/remote.md, "The spool")::

    $AUTOLOG_SPOOL_DIR (default ~/.local/share/autolog/spool)/
      http-127.0.0.1-5000/              one directory per server
        <spool id>.db                   one SQLite file per process that spooled
        <spool id>.lock                 held by that process while it lives
        <spool id>.replay               held by whoever uploads the file
        <spool id>.artifacts/<run_id>/  artifacts of the runs created while offline
        <spool id>.artifacts.uploads/   files waiting for an upload to a run on the server

A spool file holds the requests themselves, in the order they were made: ``ops`` rows of
(run id, API path, JSON body). Each append is one transaction, fsync'd (``synchronous=FULL``):
once a logging call returned, a crash of the process or the machine loses none of it. A row is
deleted only after the server acknowledged it. ``failed`` keeps the rows the server refused
(with its answer), ``offline_runs`` the runs created here and where their artifacts went.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote
from dataclasses import dataclass
from typing import Any

SPOOL_ENV = "AUTOLOG_SPOOL_DIR"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT,
    path TEXT NOT NULL,
    body BLOB NOT NULL,
    points INTEGER NOT NULL DEFAULT 0,
    uncertain INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ops_run ON ops (run_id);
CREATE TABLE IF NOT EXISTS failed (
    seq INTEGER PRIMARY KEY,
    run_id TEXT,
    path TEXT NOT NULL,
    body BLOB NOT NULL,
    error TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS offline_runs (
    run_id TEXT PRIMARY KEY,
    server_uri TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploaded (
    run_id TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
);
"""


def spool_root() -> str:
    """$AUTOLOG_SPOOL_DIR, else $XDG_DATA_HOME/autolog/spool, else ~/.local/share/autolog/spool."""
    found = os.environ.get(SPOOL_ENV, "").strip()
    if found:
        return os.path.abspath(os.path.expanduser(found))
    data = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
    return os.path.join(data, "autolog", "spool")


def server_dir(base_url: str, root: str | None = None) -> str:
    """The directory of one server's spool files: its URL made a file name."""
    slug = re.sub(r"[^A-Za-z0-9.\-]+", "-", base_url.replace("://", "-")).strip("-")
    return os.path.join(root or spool_root(), slug)


@dataclass(frozen=True)
class Op:
    """One spooled request."""

    seq: int
    run_id: str | None
    path: str
    doc: dict[str, Any]
    points: int
    uncertain: bool


class Spool:
    """One spool file. ``Spool.create`` makes this process's own; ``Spool.existing`` opens
    another's (for ``autolog sync`` and for picking up what a dead process left)."""

    def __init__(self, directory: str, spool_id: str, *, new: bool = False) -> None:
        self.directory = directory
        self.id = spool_id
        self.path = os.path.join(directory, f"{spool_id}.db")
        self.artifacts_dir = os.path.join(directory, f"{spool_id}.artifacts")
        self._lock = threading.Lock()
        self._owner_fd: int | None = None
        # another process's file is opened only if it is still there (never created anew)
        target = self.path if new else f"file:{quote(self.path)}?mode=rw"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=60, uri=not new)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def create(cls, base_url: str) -> Spool:
        """A new spool file for the server ``base_url``, owned by this process (its lock is
        held until ``close``)."""
        directory = server_dir(base_url)
        os.makedirs(directory, exist_ok=True)
        spool_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        fd = _lock_file(os.path.join(directory, f"{spool_id}.lock"), wait=True)
        assert fd is not None
        spool = cls(directory, spool_id, new=True)
        spool._owner_fd = fd
        with spool._lock:
            spool._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('base_url', ?)", (base_url,))
        return spool

    @property
    def base_url(self) -> str | None:
        """The server this spool file is for."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'base_url'").fetchone()
        return row[0] if row else None

    @classmethod
    def existing(cls, directory: str) -> Iterator[Spool]:
        """The spool files in ``directory``, oldest first."""
        try:
            names = sorted(n for n in os.listdir(directory) if n.endswith(".db"))
        except FileNotFoundError:
            return
        for name in names:
            try:
                yield cls(directory, name[: -len(".db")])
            except sqlite3.OperationalError:  # removed meanwhile by whoever uploaded it
                continue

    # -- writing ------------------------------------------------------------------------------
    def append(self, run_id: str | None, path: str, doc: dict[str, Any], *, points: int = 0, uncertain: bool = False) -> None:
        body = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
        with self._lock:
            self._db.execute(
                "INSERT INTO ops (run_id, path, body, points, uncertain, created) VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, path, body, points, int(uncertain), int(time.time() * 1000)),
            )

    def note_offline_run(self, run_id: str) -> str:
        """Record a run created offline; returns its local artifact directory."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO offline_runs (run_id) VALUES (?)", (run_id,))
        return os.path.join(self.artifacts_dir, run_id)

    # -- reading and replaying ------------------------------------------------------------------
    def head(self, limit: int = 1) -> list[Op]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, run_id, path, body, points, uncertain FROM ops ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [Op(seq, run, path, json.loads(body), points, bool(u)) for seq, run, path, body, points, u in rows]

    def ops_of(self, run_id: str) -> list[Op]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, run_id, path, body, points, uncertain FROM ops WHERE run_id = ? ORDER BY seq",
                (run_id,),
            ).fetchall()
        return [Op(seq, run, path, json.loads(body), points, bool(u)) for seq, run, path, body, points, u in rows]

    def ops_of_path(self, path: str) -> list[Op]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, run_id, path, body, points, uncertain FROM ops WHERE path = ? ORDER BY seq",
                (path,),
            ).fetchall()
        return [Op(seq, run, p, json.loads(body), points, bool(u)) for seq, run, p, body, points, u in rows]

    def done(self, op: Op) -> None:
        """The server has it: forget the op."""
        with self._lock:
            self._db.execute("DELETE FROM ops WHERE seq = ?", (op.seq,))

    def mark_uncertain(self, op: Op) -> None:
        with self._lock:
            self._db.execute("UPDATE ops SET uncertain = 1 WHERE seq = ?", (op.seq,))

    def refused(self, op: Op, error: str) -> None:
        """The server refused the op: keep it aside with the reason, go on with the next."""
        body = json.dumps(op.doc, separators=(",", ":")).encode("utf-8")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO failed (seq, run_id, path, body, error, at) VALUES (?, ?, ?, ?, ?, ?)",
                    (op.seq, op.run_id, op.path, body, error, int(time.time() * 1000)),
                )
                self._db.execute("DELETE FROM ops WHERE seq = ?", (op.seq,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def retry_failed(self) -> int:
        """Put the refused ops back in line (in their old places); returns how many."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                moved = self._db.execute(
                    "INSERT INTO ops (seq, run_id, path, body, points, uncertain, created) "
                    "SELECT seq, run_id, path, body, 0, 1, at FROM failed"
                ).rowcount
                self._db.execute("DELETE FROM failed")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return int(moved)

    def pending(self) -> tuple[int, int]:
        """(ops, metric points) waiting."""
        with self._lock:
            ops, points = self._db.execute("SELECT count(*), coalesce(sum(points), 0) FROM ops").fetchone()
        return int(ops), int(points)

    def pending_runs(self) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT run_id FROM ops WHERE run_id IS NOT NULL").fetchall()
        return {row[0] for row in rows}

    def failures(self) -> list[tuple[str | None, str, str]]:
        """(run id, API path, the server's answer) of every refused op."""
        with self._lock:
            return list(self._db.execute("SELECT run_id, path, error FROM failed ORDER BY seq"))

    def offline_runs(self) -> dict[str, str | None]:
        """run id -> its artifact URI on the server (None until its creation was uploaded)."""
        with self._lock:
            return dict(self._db.execute("SELECT run_id, server_uri FROM offline_runs"))

    def set_server_uri(self, run_id: str, uri: str) -> None:
        with self._lock:
            self._db.execute("UPDATE offline_runs SET server_uri = ? WHERE run_id = ?", (uri, run_id))

    def uploaded(self, run_id: str) -> dict[str, tuple[int, int]]:
        with self._lock:
            rows = self._db.execute("SELECT path, size, mtime_ns FROM uploaded WHERE run_id = ?", (run_id,))
            return {path: (size, mtime) for path, size, mtime in rows}

    def mark_uploaded(self, run_id: str, path: str, size: int, mtime_ns: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO uploaded (run_id, path, size, mtime_ns) VALUES (?, ?, ?, ?)",
                (run_id, path, size, mtime_ns),
            )

    # -- locks and removal --------------------------------------------------------------------------
    def owner_alive(self) -> bool:
        """Whether a process still owns this file (holds its lock), this one included."""
        if self._owner_fd is not None:
            return True
        fd = _lock_file(os.path.join(self.directory, f"{self.id}.lock"), wait=False)
        if fd is None:
            return True
        os.close(fd)
        return False

    def replay_lock(self) -> int | None:
        """The right to upload this file (an fd to give to ``release``), or None if taken."""
        return _lock_file(os.path.join(self.directory, f"{self.id}.replay"), wait=False)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._owner_fd is not None:
            os.close(self._owner_fd)
            self._owner_fd = None

    def remove(self) -> None:
        """Delete the file, its artifacts and its locks (when nothing is left in it)."""
        import shutil

        self.close()
        for suffix in (".db", ".db-wal", ".db-shm", ".lock", ".replay"):
            try:
                os.unlink(os.path.join(self.directory, self.id + suffix))
            except FileNotFoundError:
                pass
        shutil.rmtree(self.artifacts_dir, ignore_errors=True)
        shutil.rmtree(self.artifacts_dir + ".uploads", ignore_errors=True)
        try:
            os.rmdir(self.directory)  # the server's directory, when this was its last file
        except OSError:
            pass


def release(fd: int) -> None:
    os.close(fd)


def _lock_file(path: str, *, wait: bool) -> int | None:
    """An fd holding an exclusive lock on ``path`` (created if needed), or None if taken."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
