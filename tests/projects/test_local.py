"""``autolog run`` with the local backend: real processes, a real store, real git repositories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from _project_support import (
    AUTOLOG,
    EXAMPLE,
    SLEEPER,
    autolog_run,
    copy_example,
    git,
    runs,
    wait_for,
    write_project,
)

import autolog
import autolog.projects
from autolog.errors import InvalidInputError, ProjectError

ECHO = {"echo.py": "import json, sys\nprint(json.dumps(sys.argv[1:]))\n"}


def _artifact_text(run: autolog.Run, path: str) -> str:
    local = autolog.Client().download_artifacts(run.info.run_id, path)
    return Path(local).read_text()


@pytest.mark.slow
def test_example_from_a_directory_records_params_tags_metrics_model_and_output() -> None:
    done = autolog_run(str(EXAMPLE), "-P", "regularization=0.5", "--experiment-name", "iris",
                       "--run-name", "first")
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout  # streamed to the terminal
    [run] = runs("iris")  # the project's autologged fit went into the project's run
    assert run.info.status == autolog.RunStatus.FINISHED and run.info.run_name == "first"
    params = run.data.params
    assert params["regularization"] == "0.5" and params["max_iter"] == "200"  # given, default
    assert params["C"] == "2.0"  # and what autolog recorded inside the project
    tags = run.data.tags
    assert tags["autolog.source.type"] == "PROJECT"
    assert tags["autolog.source.name"] == str(EXAMPLE)
    assert tags["autolog.project.entryPoint"] == "main"
    assert tags["autolog.project.backend"] == "local" and tags["autolog.project.env"] == "local"
    assert tags["autolog.source.entry_point"].startswith("python train.py --regularization 0.5")
    assert tags["autolog.autologging"] == "sklearn"
    assert {"training_accuracy_score", "test_accuracy"} <= set(run.data.metrics)
    artifacts = {f.path for f in autolog.Client().list_artifacts(run.info.run_id)}
    assert {"model", "project-output.log"} <= artifacts
    assert "test accuracy" in _artifact_text(run, "project-output.log")
    model = autolog.load_model(f"runs:/{run.info.run_id}/model")
    row = {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}
    assert len(model.predict([row])) == 1


@pytest.mark.slow
def test_second_entry_point_from_python_with_a_parent_run() -> None:
    with autolog.start_run(run_name="sweep") as parent:
        done = autolog.projects.run(str(EXAMPLE), entry_point="forest", parameters={"n_trees": 3})
    assert done.status == autolog.RunStatus.FINISHED and done.wait() == autolog.RunStatus.FINISHED
    assert "trained 3 trees" in done.logs()
    run = autolog.get_run(done.run_id)
    assert run.info.parent_run_id == parent.info.run_id
    assert run.data.params["n_trees"] == "3" and run.data.params["max_depth"] == "3"
    assert run.data.params["n_estimators"] == "3"
    assert "model" in {f.path for f in autolog.Client().list_artifacts(done.run_id)}


@pytest.mark.slow
def test_git_repository_versions_and_subdirectory(tmp_path: Path, _project_cache: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch", "main")
    copy_example(repo / "iris")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "first")
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "--quiet", "-b", "deeper")
    spec = repo / "iris" / "MLproject"
    spec.write_text(spec.read_text().replace("max_depth: {type: int, default: 3}", "max_depth: {type: int, default: 5}"))
    git(repo, "commit", "--quiet", "-am", "deeper trees")
    second = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "--quiet", "main")
    uri = f"file://{repo}#iris"

    for version, commit, depth in ((first, first, "3"), ("deeper", second, "5"), (None, first, "3")):
        args = ["-e", "forest", "-P", "n_trees=2"] + (["--version", version] if version else [])
        done = autolog_run(uri, *args)
        assert done.returncode == 0, done.stderr
        run = runs()[-1]
        assert run.data.params["max_depth"] == depth, version
        assert run.data.tags["autolog.source.git.commit"] == commit
        assert run.data.tags["autolog.source.name"] == uri
        assert run.data.tags["autolog.source.git.repoURL"] == f"file://{repo}"
        assert run.data.tags.get("autolog.source.git.branch") == ("deeper" if version == "deeper" else None)
    # one checkout per commit, shared by the runs of that commit
    [clone_root] = (_project_cache / "projects" / "git").iterdir()
    assert sorted(p.name for p in clone_root.iterdir() if len(p.name) == 40) == sorted([first, second])

    missing = autolog_run(uri, "-e", "forest", "--version", "no-such-branch")
    assert missing.returncode == 1 and "no-such-branch" in missing.stderr


def test_version_of_a_local_git_directory(tmp_path: Path) -> None:
    repo = write_project(tmp_path / "repo", {"sub/say.py": "print('one')\n"})
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "one")
    (repo / "sub" / "say.py").write_text("print('two')\n")
    git(repo, "commit", "--quiet", "-am", "two")
    (repo / "sub" / "say.py").write_text("print('uncommitted')\n")
    here = autolog.projects.run(str(repo / "sub"), entry_point="say.py")  # in place, as it is
    assert here.logs().strip() == "uncommitted"
    assert autolog.get_run(here.run_id).data.tags["autolog.source.git.dirty"] == "true"
    old = autolog.projects.run(f"{repo}#sub", entry_point="say.py", version="main~1")
    assert old.logs().strip() == "one"
    tags = autolog.get_run(old.run_id).data.tags
    assert tags["autolog.source.git.commit"] == git(repo, "rev-parse", "main~1")
    assert tags["autolog.source.git.dirty"] == "false" and tags["autolog.project.version"] == "main~1"
    plain = write_project(tmp_path / "plain", {"a.py": ""})
    with pytest.raises(ProjectError, match="needs a git repository"):
        autolog.projects.run(str(plain), entry_point="a.py", version="x")


def test_a_bad_parameter_is_refused_before_anything_runs(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {
        "MLproject": (
            "entry_points:\n  main:\n    parameters:\n      n: int\n      rate: {type: float, default: 0.1}\n"
            "      data: path\n"
            "    command: 'touch ran.txt && python -c pass'\n"
        ),
    })
    (tmp_path / "data.csv").write_text("x\n")
    done = autolog_run(str(project), "-P", "n=abc", "-P", "data=data.csv", cwd=tmp_path)
    assert done.returncode == 1
    assert "'n'" in done.stderr and "int" in done.stderr and "'abc'" in done.stderr
    with pytest.raises(InvalidInputError, match="'rate' has type float but the value 'fast'"):
        autolog.projects.run(str(project), parameters={"n": 1, "rate": "fast", "data": str(tmp_path / "data.csv")})
    with pytest.raises(InvalidInputError, match="needs a value for 'n', 'data'"):
        autolog.projects.run(str(project))
    with pytest.raises(InvalidInputError, match="no such file"):
        autolog.projects.run(str(project), parameters={"n": 1, "data": "missing.csv"})
    assert not (project / "ran.txt").exists()
    assert runs() == []  # nothing recorded either


def test_plain_scripts_unknown_parameters_and_quoting(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {
        **ECHO,
        "MLproject": "entry_points:\n  main:\n    parameters: {text: string}\n    command: python echo.py {text}\n",
    })
    hostile = "x; touch pwned $(touch pwned2) `touch pwned3`"
    done = autolog.projects.run(str(project), parameters={"text": hostile, "extra": "a b"})
    assert done.status == autolog.RunStatus.FINISHED
    assert json.loads(done.logs().strip().splitlines()[-1]) == [hostile, "--extra", "a b"]
    done = autolog.projects.run(str(project), entry_point="echo.py", parameters={"alpha": 0.5})
    assert json.loads(done.logs().strip().splitlines()[-1]) == ["--alpha", "0.5"]
    assert autolog.get_run(done.run_id).data.params == {"alpha": "0.5"}
    assert not list(project.glob("pwned*"))
    with pytest.raises(InvalidInputError, match="parameter name"):
        autolog.projects.run(str(project), parameters={"a;b": 1})
    with pytest.raises(InvalidInputError, match="no entry point 'train'.*echo.py"):
        autolog.projects.run(str(project), entry_point="train")


def test_subdirectory_of_a_local_directory_and_defaults_relative_to_it(tmp_path: Path) -> None:
    write_project(tmp_path / "mono" / "proj", {
        **ECHO,
        "data.csv": "x\n",
        "MLproject": (
            "entry_points:\n  main:\n    parameters:\n      data: {type: path, default: data.csv}\n"
            "    command: python echo.py {data}\n"
        ),
    })
    done = autolog.projects.run(f"{tmp_path / 'mono'}#proj")
    assert json.loads(done.logs().strip().splitlines()[-1]) == [str(tmp_path / "mono" / "proj" / "data.csv")]
    with pytest.raises(ProjectError, match="inside the project"):
        autolog.projects.run(f"{tmp_path / 'mono'}#../elsewhere")


def test_a_failing_entry_point_marks_the_run_failed(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {
        "boom.py": "raise SystemExit('boom: no data')\n",
        # logs into the run (so the project's own autolog ends it FINISHED at exit), then fails
        "exits.py": "import autolog, sys\nautolog.log_metric('m', 1.0)\nsys.exit(3)\n",
    })
    done = autolog_run(str(project), "-e", "boom.py")
    assert done.returncode == 1 and "boom: no data" in done.stdout
    [run] = runs()
    assert run.info.status == autolog.RunStatus.FAILED
    assert "boom: no data" in _artifact_text(run, "project-output.log")
    as_json = autolog_run(str(project), "-e", "boom.py", "--json")  # the output goes to stderr
    assert json.loads(as_json.stdout)["status"] == "FAILED" and "boom: no data" in as_json.stderr
    handle = autolog.projects.run(str(project), entry_point="exits.py")
    assert handle.status == autolog.RunStatus.FAILED
    run = autolog.get_run(handle.run_id)
    assert run.info.status == autolog.RunStatus.FAILED and run.data.metrics == {"m": 1.0}
    assert len(runs()) == 3  # the project logged into its run, not a new one


def test_cancel_marks_the_run_killed_and_stops_the_command(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", SLEEPER)
    handle = autolog.projects.run(str(project), entry_point="sleep.py", synchronous=False)
    wait_for(lambda: autolog.get_run(handle.run_id).data.params.get("started"), "the command to start")
    assert handle.status == autolog.RunStatus.RUNNING
    pid = int((project / "pid.txt").read_text())
    handle.cancel()
    assert handle.status == autolog.RunStatus.KILLED
    run = autolog.get_run(handle.run_id)
    assert run.info.status == autolog.RunStatus.KILLED and run.data.params == {"started": "yes"}
    assert "ready" in handle.logs()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_ctrl_c_in_the_terminal_stops_the_command_and_marks_the_run_killed(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", SLEEPER)
    launcher = subprocess.Popen(
        [AUTOLOG, "run", str(project), "-e", "sleep.py"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert launcher.stdout is not None
    assert launcher.stdout.readline().strip() == "ready"
    pid = int((project / "pid.txt").read_text())
    os.killpg(launcher.pid, signal.SIGINT)  # what a Ctrl-C sends to the terminal's foreground group
    assert launcher.wait(timeout=60) == 130
    launcher.stdout.close()
    assert launcher.stderr is not None and launcher.stderr.read() == ""
    launcher.stderr.close()
    [run] = runs()
    assert run.info.status == autolog.RunStatus.KILLED
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_detached_run_finishes_on_its_own(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"hello.py": "import autolog\nautolog.log_param('p', 1)\nprint('hello')\n"})
    done = autolog_run(str(project), "-e", "hello.py", "--detach", "--json")
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    wait_for(lambda: autolog.get_run(run_id).info.status.is_terminated
             and autolog.get_run(run_id).data.tags.get("autolog.project.name")
             and "project-output.log" in {f.path for f in autolog.Client().list_artifacts(run_id)},
             "the detached run to end")
    run = autolog.get_run(run_id)
    assert run.info.status == autolog.RunStatus.FINISHED and run.data.params == {"p": "1"}
    assert _artifact_text(run, "project-output.log").strip().endswith("hello")


def test_unsupported_environments_and_backends_are_refused(tmp_path: Path) -> None:
    docker = write_project(tmp_path / "d", {**ECHO, "MLproject": "docker_env: {image: x}\nentry_points: {}\n"})
    with pytest.raises(ProjectError, match="docker_env"):
        autolog.projects.run(str(docker), entry_point="echo.py")
    conda = write_project(tmp_path / "c", {**ECHO, "conda.yaml": "dependencies: [python=3.11]\n"})
    with pytest.raises(ProjectError, match="--env-manager local"):
        autolog.projects.run(str(conda), entry_point="echo.py")
    done = autolog.projects.run(str(conda), entry_point="echo.py", env_manager="local")
    assert done.status == autolog.RunStatus.FINISHED
    with pytest.raises(InvalidInputError, match="no project backend named 'k8s'"):
        autolog.projects.run(str(conda), entry_point="echo.py", backend="k8s")
    with pytest.raises(InvalidInputError, match="takes no --backend-config"):
        autolog.projects.run(str(conda), entry_point="echo.py", backend_config='{"x": 1}')
    with pytest.raises(InvalidInputError, match="memory:"):
        autolog.set_tracking_uri("memory:")
        autolog.projects.run(str(conda), entry_point="echo.py")
