"""A project in MLflow's documented format runs unchanged; virtualenv/uv environments are
built from its python_env.yaml once and reused."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from _project_support import autolog_run, runs, write_project

import autolog
import autolog.projects

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"

# MLflow's documented MLproject format: name, python_env, entry points with typed parameters
# (type alone = required; {type, default}), and command templates
MLFLOW_PROJECT = {
    "MLproject": """\
name: wine-quality

python_env: python_env.yaml

entry_points:
  main:
    parameters:
      data_file: path
      alpha: {type: float, default: 0.5}
      l1_ratio: {type: float, default: 0.1}
      label: {type: string, default: quality}
      output: {type: uri, default: "file:///tmp/out"}
    command: "python train.py {data_file} --alpha {alpha} --l1-ratio {l1_ratio} --label {label} --output {output}"
  validate:
    parameters:
      data_file: path
    command: "python validate.py {data_file}"
""",
    "python_env.yaml": f"""\
python: "{PYTHON}"
build_dependencies:
  - pip
dependencies:
  - -r requirements.txt
""",
    "requirements.txt": "six\n",
    "train.py": """\
import argparse, json, sys
parser = argparse.ArgumentParser()
parser.add_argument("data_file")
parser.add_argument("--alpha", type=float)
parser.add_argument("--l1-ratio", type=float)
parser.add_argument("--label")
parser.add_argument("--output")
args = parser.parse_args()
rows = open(args.data_file).read().split()
try:
    import six
    where = six.__file__
except ImportError:
    where = None
print(json.dumps({"rows": len(rows), "alpha": args.alpha, "label": args.label,
                  "output": args.output, "python": sys.prefix, "six": where}))
""",
    "validate.py": "import sys\nprint('valid', open(sys.argv[1]).read().count(chr(10)))\n",
}


def _result(run_id: str) -> dict:  # type: ignore[type-arg]
    path = autolog.Client().download_artifacts(run_id, "project-output.log")
    line = [x for x in Path(path).read_text().splitlines() if x.startswith("{")][-1]
    return json.loads(line)  # type: ignore[no-any-return]


def test_an_mlflow_project_runs_unchanged(tmp_path: Path) -> None:
    project = write_project(tmp_path / "wine", MLFLOW_PROJECT)
    (tmp_path / "wine.csv").write_text("a\nb\nc\n")
    done = autolog_run(str(project), "-P", "data_file=wine.csv", "-P", "alpha=0.7", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [run] = runs()
    assert run.info.status == autolog.RunStatus.FINISHED
    assert run.data.params == {
        "data_file": "wine.csv", "alpha": "0.7", "l1_ratio": "0.1", "label": "quality",
        "output": "file:///tmp/out",
    }
    assert run.data.tags["autolog.project.name"] == "wine-quality"
    result = _result(run.info.run_id)
    assert result["rows"] == 3 and result["alpha"] == 0.7 and result["label"] == "quality"
    validate = autolog_run(str(project), "-e", "validate", "-P", f"data_file={tmp_path / 'wine.csv'}")
    assert validate.returncode == 0 and "valid 3" in validate.stdout
    refused = autolog_run(str(project), "-P", "data_file=wine.csv", "-P", "output=not a uri", cwd=tmp_path)
    assert refused.returncode == 1 and "'output' has type uri" in refused.stderr


@pytest.mark.parametrize("manager", ["virtualenv", "uv"])
def test_environment_built_from_python_env_once_and_reused(
    manager: str, tmp_path: Path, _project_cache: Path
) -> None:
    if manager == "uv" and shutil.which("uv") is None and not Path(sys.executable).with_name("uv").exists():
        pytest.skip("the uv command is not installed (pip install uv)")
    project = write_project(tmp_path / "wine", MLFLOW_PROJECT)
    data = tmp_path / "wine.csv"
    data.write_text("a\nb\n")
    first = autolog.projects.run(str(project), parameters={"data_file": str(data)}, env_manager=manager)
    assert first.status == autolog.RunStatus.FINISHED, first.logs()
    built = _result(first.run_id)
    envs = _project_cache / "projects" / "envs"
    [env] = [p for p in envs.iterdir() if p.is_dir()]
    assert built["python"] == str(env) and built["six"].startswith(str(env))  # its own Python
    assert f"building the {manager} environment" in first.logs()
    second = autolog.projects.run(str(project), parameters={"data_file": str(data)}, env_manager=manager)
    assert second.status == autolog.RunStatus.FINISHED
    assert f"reusing the {manager} environment" in second.logs()
    assert _result(second.run_id)["python"] == str(env)
    assert autolog.get_run(second.run_id).data.tags["autolog.project.env"] == manager
    # another requirements file is another environment
    (project / "requirements.txt").write_text("six\ntomli\n")
    third = autolog.projects.run(str(project), parameters={"data_file": str(data)}, env_manager=manager)
    assert third.status == autolog.RunStatus.FINISHED, third.logs()
    assert len([p for p in envs.iterdir() if p.is_dir()]) == 2


def test_a_python_the_machine_lacks_is_refused_before_anything_runs(tmp_path: Path) -> None:
    files = dict(MLFLOW_PROJECT, **{"python_env.yaml": 'python: "3.99"\ndependencies: []\n'})
    project = write_project(tmp_path / "old", files)
    (tmp_path / "wine.csv").write_text("a\n")
    done = autolog_run(str(project), "-P", f"data_file={tmp_path / 'wine.csv'}", "--env-manager", "virtualenv")
    assert done.returncode == 1 and "Python 3.99" in done.stderr and "python3.99" in done.stderr
    assert runs() == []


def test_a_failing_environment_build_is_recorded_failed(tmp_path: Path) -> None:
    files = dict(MLFLOW_PROJECT, **{"requirements.txt": "this-package-does-not-exist-anywhere==0.0.1\n"})
    project = write_project(tmp_path / "broken", files)
    (tmp_path / "wine.csv").write_text("a\n")
    done = autolog_run(str(project), "-P", f"data_file={tmp_path / 'wine.csv'}", "--env-manager", "virtualenv")
    assert done.returncode == 1 and "installing dependencies failed" in done.stderr
    [run] = runs()
    assert run.info.status == autolog.RunStatus.FAILED
    log = Path(autolog.Client().download_artifacts(run.info.run_id, "project-output.log")).read_text()
    assert "this-package-does-not-exist-anywhere" in log
