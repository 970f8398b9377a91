"""The example third-party plugin (docs/examples/autolog-tinyreg), pip-installed and used end
to end with no change to autolog."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "autolog-tinyreg"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example installed with pip into its own --target directory (no network needed)."""
    work = tmp_path_factory.mktemp("tinyreg")
    source = work / "source"  # pip builds in the source tree: build from a copy
    shutil.copytree(EXAMPLE, source)
    target = work / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def _run(args: list[str], site: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *filter(None, sys.path)]))
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


def test_the_installed_plugin_is_listed_chosen_and_served(installed: Path) -> None:
    script = textwrap.dedent(
        """
        import json, warnings
        warnings.simplefilter("error")
        import autolog, tinyreg

        record = next(f for f in autolog.flavors() if f.name == "tinyreg")
        model = tinyreg.LinearRegression().fit([[1.0], [2.0], [3.0]], [3.0, 5.0, 7.0])
        info = autolog.log_model(model, "model")
        loaded = autolog.load_model(info.model_uri)
        print(json.dumps({
            "record": [record.distribution, record.version, record.available, record.library_version],
            "order": [f.name for f in autolog.flavors()][-2:],
            "flavors": list(info.flavors),
            "requirements": info.requirements,
            "served_by": loaded.flavor,
            "native": type(loaded.native).__name__,
            "prediction": loaded.predict([[4.0], [10.0]]),
        }))
        """
    )
    result = _run([sys.executable, "-c", script], installed)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["record"] == ["autolog-tinyreg", "0.1.0", True, "0.1.0"]
    assert out["order"] == ["tinyreg", "python"]  # chosen before the python fallback
    assert out["flavors"] == ["tinyreg"]
    assert "autolog-tinyreg==0.1.0" in out["requirements"]
    assert out["served_by"] == "tinyreg" and out["native"] == "LinearRegression"
    assert out["prediction"] == pytest.approx([9.0, 21.0])


def test_the_plugin_passes_the_flavor_conformance_suite(installed: Path, tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    shutil.copytree(EXAMPLE / "tests", tests)
    result = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", str(tests)],
        installed,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
