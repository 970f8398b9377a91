"""Runs whose process died without ending them: found on read, persisted as KILLED.

Runs carry the host and pid of the process that started them (tags ``autolog.host`` and
``autolog.pid``). Before a search, the RUNNING runs of this host in the searched experiments
are checked with ``autolog.store._liveness``; ``get_run`` checks the one run it reads. A run
whose process is gone becomes KILLED with ``end_time`` = now, in the database, so every later
reader agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import and_, select, update

from autolog.core._clock import now_ms
from autolog.store import _liveness
from autolog.store.sql import _schema as t
from autolog.store.sql._engine import Database
from autolog.store.sql._records import chunks
from autolog.core import _tags
from autolog.core._entities import Run, RunStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_RUNNING = RunStatus.RUNNING.value


def reap_experiments(db: Database, experiment_numbers: list[int]) -> None:
    """Mark KILLED the RUNNING runs of these experiments whose process on this host is gone."""
    host, pid = t.tags.alias("host"), t.tags.alias("pid")
    r = t.runs.c
    # ix_runs_status keeps this cheap however many finished runs there are
    stmt = (
        select(r.run_id, r.start_time, pid.c.value)
        .join(host, and_(host.c.run_id == r.run_id, host.c.key == _tags.HOST))
        .join(pid, and_(pid.c.run_id == r.run_id, pid.c.key == _tags.PID))
        .where(
            r.status == _RUNNING,
            r.experiment_id.in_(experiment_numbers),
            host.c.value == _liveness.this_host(),
        )
    )
    candidates = db.read(lambda conn: conn.execute(stmt).all())
    dead = [
        run_id
        for run_id, start_time, pid_text in candidates
        if _gone(_liveness.this_host(), pid_text, start_time)
    ]
    if dead:
        _mark_killed(db, dead)


def reap_runs(db: Database, runs: Sequence[Run]) -> bool:
    """Mark KILLED those of ``runs`` whose process is gone; True if there were any."""
    dead = [
        run.info.run_id
        for run in runs
        if run.info.status is RunStatus.RUNNING
        and _gone(run.data.tags.get(_tags.HOST, ""), run.data.tags.get(_tags.PID), run.info.start_time)
    ]
    if dead:
        _mark_killed(db, dead)
    return bool(dead)


def _mark_killed(db: Database, run_ids: list[str]) -> None:
    def work(conn: Connection) -> None:
        now = now_ms()
        for part in chunks(run_ids):
            conn.execute(
                update(t.runs)
                # only if still RUNNING: a run ended meanwhile keeps its own status
                .where(t.runs.c.run_id.in_(part), t.runs.c.status == _RUNNING)
                .values(status=RunStatus.KILLED.value, end_time=now)
            )

    db.write(work)


def _gone(host: str, pid_text: str | None, start_time: int) -> bool:
    try:
        pid = int(pid_text or "")
    except ValueError:
        return False
    return _liveness.is_process_gone(host, pid, started_by_ms=start_time)
