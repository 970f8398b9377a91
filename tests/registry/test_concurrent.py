"""register_model from several processes at once: no duplicate and no skipped version."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import autolog

_WORKER = """
import json, sys, autolog
uri, source, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
autolog.set_tracking_uri(uri)
print(json.dumps([autolog.register_model(source, "shared").version for _ in range(count)]))
"""

PROCESSES, EACH = 4, 15


def test_concurrent_register_model(tracking_uri: str, model_uri: str) -> None:
    if tracking_uri.startswith("memory:"):
        pytest.skip("a memory: store lives in one process; other processes cannot share it")
    run_id = model_uri.split("/")[1]
    source = f"runs:/{run_id}/model"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, tracking_uri, source, str(EACH)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(PROCESSES)
    ]
    got: list[int] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        mine = json.loads(out)
        assert mine == sorted(mine)  # each process sees its own numbers increase
        got += mine
    assert sorted(got) == list(range(1, PROCESSES * EACH + 1))
    versions = autolog.Client().search_model_versions("name = 'shared'")
    assert sorted(v.version for v in versions) == list(range(1, PROCESSES * EACH + 1))
    created = [e for e in autolog.Client().get_registered_model_events("shared") if e.kind == "model_created"]
    assert len(created) == 1
