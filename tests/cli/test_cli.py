"""Every command through the real ``autolog`` entry point, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import autolog

AUTOLOG = str(Path(sys.executable).with_name("autolog"))


def cli(store: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOLOG_TRACKING_URI": store}
    return subprocess.run([AUTOLOG, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def ok_json(store: str, *args: str) -> dict:  # type: ignore[type-arg]
    done = cli(store, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


class Doubler:
    def predict(self, data: list[float]) -> list[float]:
        return [2 * x for x in data]


def fill(uri: str) -> str:
    """Three runs r0, r1, r2 in the experiment "exp" of ``uri`` (the current tracking URI after)."""
    autolog.set_tracking_uri(uri)
    autolog.set_experiment("exp")
    for i in range(3):
        with autolog.start_run(run_name=f"r{i}"):
            autolog.log_param("lr", str(i))
            autolog.log_metric("acc", i / 10)
            autolog.log_text("x" * (100 * (i + 1)), "notes/a.txt")
    autolog.flush()
    return uri


@pytest.fixture
def store(tmp_path: Path) -> str:
    return fill(str(tmp_path / "store"))


def _run_ids(store: str) -> list[str]:
    return [r["run_id"] for r in ok_json(store, "runs", "list")["runs"]]


def _run_id_named(store: str, name: str) -> str:
    # runs started within one millisecond tie on start_time, so find the run by name
    runs = ok_json(store, "runs", "list", "--filter", f"attributes.run_name = '{name}'")["runs"]
    assert len(runs) == 1, runs
    return runs[0]["run_id"]  # type: ignore[no-any-return]


def test_help_on_every_command(store: str) -> None:
    commands = [
        [], ["runs"], ["runs", "list"], ["runs", "show"], ["runs", "delete"], ["runs", "restore"],
        ["runs", "compare"], ["experiments", "list"], ["experiments", "create"],
        ["experiments", "rename"], ["experiments", "delete"], ["artifacts", "list"],
        ["artifacts", "download"], ["models", "list"], ["models", "show"], ["models", "register"],
        ["models", "alias"], ["models", "versions"], ["models", "history"], ["serve"], ["gc"], ["doctor"],
        ["run"],
    ]
    for command in commands:
        done = cli(store, *command, "--help")
        assert done.returncode == 0 and "usage: autolog" in done.stdout, command


def test_runs_list_show_compare(store: str) -> None:
    data = ok_json(store, "runs", "list", "--filter", "metrics.acc > 0.05", "--order-by", "metrics.acc ASC")
    assert [r["run_name"] for r in data["runs"]] == ["r1", "r2"]
    paged = ok_json(store, "runs", "list", "--max", "2")
    assert len(paged["runs"]) == 2 and paged["next_page_token"]
    human = cli(store, "runs", "list", "--experiment", "exp")
    assert human.returncode == 0 and "RUN ID" in human.stdout and "r2" in human.stdout
    run_id = _run_id_named(store, "r2")
    shown = ok_json(store, "runs", "show", run_id)
    assert shown["params"] == {"lr": "2"} and shown["metrics"] == {"acc": 0.2}
    assert shown["artifacts"] == [{"path": "notes", "is_dir": True, "file_size": None}]
    text = cli(store, "runs", "show", run_id).stdout
    assert "params:" in text and "acc" in text and "notes/" in text
    ids = _run_ids(store)
    compared = cli(store, "runs", "compare", *ids[:2])
    assert compared.returncode == 0 and "* params.lr" in compared.stdout


def test_runs_delete_restore(store: str) -> None:
    run_id = _run_ids(store)[0]
    assert cli(store, "runs", "delete", run_id).returncode == 0
    assert run_id not in _run_ids(store)
    assert [r["run_id"] for r in ok_json(store, "runs", "list", "--deleted")["runs"]] == [run_id]
    assert cli(store, "runs", "restore", run_id).returncode == 0
    assert run_id in _run_ids(store)


def test_user_errors_exit_1_in_one_line_and_usage_errors_exit_2(store: str) -> None:
    done = cli(store, "runs", "show", "f" * 32)
    assert done.returncode == 1 and done.stderr.startswith("autolog: error:")
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    bad = cli(store, "runs", "list", "--filter", "metrics.acc >")
    assert bad.returncode == 1 and "column" in bad.stderr and "Traceback" not in bad.stderr
    debug = cli(store, "runs", "show", "f" * 32, "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    assert cli(store, "runs", "nope").returncode == 2
    assert cli(store, "runs", "list", "--max", "0").returncode == 2
    assert cli(store, "runs").returncode == 2


def test_experiments(store: str) -> None:
    created = ok_json(store, "experiments", "create", "second")
    names = [e["name"] for e in ok_json(store, "experiments", "list")["experiments"]]
    assert names.count("second") == 1
    assert cli(store, "experiments", "rename", "second", "third").returncode == 0
    assert cli(store, "experiments", "delete", created["experiment_id"]).returncode == 0
    active = [e["name"] for e in ok_json(store, "experiments", "list")["experiments"]]
    assert "third" not in active
    everything = {e["name"]: e["lifecycle_stage"] for e in ok_json(store, "experiments", "list", "--all")["experiments"]}
    assert everything["third"] == "deleted"
    dup = cli(store, "experiments", "create", "exp")
    assert dup.returncode == 1 and "already exists" in dup.stderr
    missing = cli(store, "experiments", "rename", "nope", "x")
    assert missing.returncode == 1 and "exp" in missing.stderr


def test_artifacts_list_and_download(store: str, tmp_path: Path) -> None:
    run_id = _run_id_named(store, "r2")
    listed = ok_json(store, "artifacts", "list", run_id, "--recursive")
    assert listed["artifacts"] == [{"path": "notes/a.txt", "is_dir": False, "file_size": 300}]
    done = ok_json(store, "artifacts", "download", run_id, "--dst", str(tmp_path / "all"))
    assert (tmp_path / "all" / "notes" / "a.txt").read_text() == "x" * 300 and done["bytes"] == 300
    one = ok_json(store, "artifacts", "download", run_id, "notes/a.txt", "--dst", str(tmp_path / "one"))
    assert Path(one["local_path"]).read_text() == "x" * 300
    missing = cli(store, "artifacts", "download", run_id, "nope", "--dst", str(tmp_path / "x"))
    assert missing.returncode == 1


def test_models_commands(store: str) -> None:
    with autolog.start_run():
        info = autolog.log_model(Doubler(), "model", flavor="python")
    registered = ok_json(store, "models", "register", info.model_uri, "fraud", "--tag", "team=risk")
    assert registered["version"] == 1 and registered["tags"] == {"team": "risk"}
    assert ok_json(store, "models", "register", info.model_uri, "fraud")["version"] == 2
    assert ok_json(store, "models", "alias", "fraud", "champion", "2")["version"] == 2
    assert ok_json(store, "models", "alias", "fraud", "champion")["version"] == 2
    listed = ok_json(store, "models", "list")["registered_models"]
    assert [(m["name"], m["latest_version"], m["aliases"]) for m in listed] == [("fraud", 2, {"champion": 2})]
    shown = ok_json(store, "models", "show", "fraud")
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert [v["version"] for v in ok_json(store, "models", "versions", "fraud")["model_versions"]] == [2, 1]
    human = cli(store, "models", "history", "fraud")
    assert "pointed @champion at version 2" in human.stdout
    bad = cli(store, "models", "alias", "fraud", "v2", "1")
    assert bad.returncode == 1 and "looks like a version" in bad.stderr
    unknown = cli(store, "models", "show", "nope")
    assert unknown.returncode == 1 and "registered models: fraud" in unknown.stderr
    deleted = ok_json(store, "models", "delete-version", "fraud", "2")
    assert deleted["removed_aliases"] == ["champion"]
    assert cli(store, "models", "alias", "fraud", "champion", "--delete").returncode == 1


def test_gc_frees_artifacts_of_deleted_runs(store: str) -> None:
    ids = _run_ids(store)  # newest first: sizes 300, 200, 100
    with autolog.start_run() as run:
        info = autolog.log_model(Doubler(), "model", flavor="python")
    autolog.register_model(info.model_uri, "keep")
    for run_id in (ids[0], ids[1], run.info.run_id):
        assert cli(store, "runs", "delete", run_id).returncode == 0
    dry = ok_json(store, "gc", "--dry-run")
    assert dry["bytes_freed"] == 500 and dry["kept_registered"] == [run.info.run_id]
    assert ok_json(store, "gc", "--dry-run")["bytes_freed"] == 500  # nothing was removed
    done = ok_json(store, "gc")
    assert done["bytes_freed"] == 500 and not done["dry_run"]
    assert ok_json(store, "gc")["bytes_freed"] == 0
    assert cli(store, "runs", "restore", ids[0]).returncode == 0
    assert ok_json(store, "artifacts", "list", ids[0])["artifacts"] == []
    assert autolog.load_model("models:/keep/1").predict([1.0]) == [2.0]


def test_doctor(store: str) -> None:
    data = ok_json(store, "doctor")
    assert data["autolog"] == autolog.__version__
    flavors = {f["name"]: f for f in data["flavors"]}
    assert flavors["sklearn"]["available"] and flavors["python"]["available"]
    assert data["store"]["store"] == "SqlStore"
    assert data["store"]["schema_revision"] == data["store"]["schema_head"]
    assert "flavors:" in cli(store, "doctor").stdout


def test_tracking_uri_option_overrides_the_environment(store: str, tmp_path: Path) -> None:
    other = str(tmp_path / "other")
    done = subprocess.run(
        [AUTOLOG, "runs", "list", "--json", "--tracking-uri", store],
        capture_output=True, text=True, env={**os.environ, "AUTOLOG_TRACKING_URI": other}, timeout=120,
    )
    assert done.returncode == 0 and len(json.loads(done.stdout)["runs"]) == 3


def test_runs_list_imports_no_data_libraries(store: str) -> None:
    # the first page must come up fast (docs/cli.md): the command path needs SQLAlchemy and
    # the store, never pandas, numpy or the migration tool on an up-to-date store
    code = (
        "import sys\n"
        "from autolog.cli import main\n"
        "code = main(['runs', 'list'])\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'alembic', 'sklearn') if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env={**os.environ, "AUTOLOG_TRACKING_URI": store},
    )
    assert done.returncode == 0, done.stderr
    assert "r2" in done.stdout and done.stdout.strip().splitlines()[-1] == "[]"
