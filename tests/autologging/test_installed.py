"""What enable() reads about installed packages: the same answers importlib.metadata gives,
without importing it; enable() in a fresh interpreter imports no ML library."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autolog import _installed

HEAVY = ["numpy", "pandas", "sklearn", "torch", "xgboost", "scipy", "onnx", "onnxruntime"]


def _expected(group: str) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (ep.name, ep.value, ep.dist.metadata["Name"] if ep.dist else None, ep.dist.version if ep.dist else None)
        for ep in importlib.metadata.entry_points(group=group)
    ]


def _found(group: str) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (name, target, dist.name if dist else None, dist.version if dist else None)
        for name, target, dist in _installed.entry_points(group)
    ]


@pytest.mark.parametrize("group", ["autolog.flavors", "autolog.stores", "autolog.artifact_stores", "console_scripts"])
def test_entry_points_match_importlib_metadata(group: str) -> None:
    assert _installed.Snapshot()._found is not None, "this environment should take the direct path"
    expected = _expected(group)
    assert expected, f"nothing installed declares {group}"
    assert _found(group) == expected


def test_versions_match_importlib_metadata() -> None:
    names = sorted({d.metadata["Name"] for d in importlib.metadata.distributions()})
    assert len(names) > 10
    snapshot = _installed.Snapshot()
    assert {n: snapshot.version(n) for n in names} == {n: importlib.metadata.version(n) for n in names}
    assert snapshot.version("Scikit_Learn") == importlib.metadata.version("scikit-learn")
    assert snapshot.version("no-such-distribution-here") is None


def _dist(site: Path, folder: str, name: str, version: str, entry_points: str) -> None:
    info = site / folder
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not-this\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_first_distribution_of_a_name_on_sys_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    group = "autolog.test_installed"
    text = "# comment\n[{g}]\n  first = pkg_a:One  \n\n[other]\nx = y\n[{g}]\nsecond=pkg_a:Two\n".format(g=group)
    _dist(tmp_path / "one", "My.Plugin-2.0.dist-info", "My.Plugin", "2.0", text)
    _dist(tmp_path / "two", "my_plugin-1.0.dist-info", "my-plugin", "1.0", f"[{group}]\nshadowed = pkg_b:Three\n")
    _dist(tmp_path / "two", "Other-0.1.egg-info", "Other", "0.1", f"[{group}]\nlegacy = pkg_c:Four\n")
    monkeypatch.syspath_prepend(str(tmp_path / "two"))
    monkeypatch.syspath_prepend(str(tmp_path / "one"))
    importlib.invalidate_caches()
    expected = _expected(group)
    assert [e[:3] for e in expected] == [
        ("first", "pkg_a:One", "My.Plugin"),
        ("second", "pkg_a:Two", "My.Plugin"),
        ("legacy", "pkg_c:Four", "Other"),
    ]
    assert _found(group) == expected
    assert _installed.version("my-plugin") == "2.0"


def test_a_line_without_equals_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    group = "autolog.test_installed"
    _dist(tmp_path, "broken-1.0.dist-info", "broken", "1.0", f"[{group}]\nnot a pair\nfine = pkg:Obj\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _found(group) == [("fine", "pkg:Obj", "broken", "1.0")]


def test_a_zip_on_sys_path_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    group = "autolog.test_installed"
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", f"[{group}]\nz = zipped_mod:Z\n")
    monkeypatch.syspath_prepend(str(archive))
    importlib.invalidate_caches()
    assert _installed.Snapshot()._found is None
    assert _found(group) == [("z", "zipped_mod:Z", "zipped", "1.0")] == _expected(group)
    assert _installed.version("zipped") == "1.0"


def test_enable_in_a_fresh_interpreter_imports_no_ml_library() -> None:
    code = (
        "import sys, json, autolog; autolog.enable(); "
        f"print(json.dumps([sorted(autolog.enabled()), [m for m in {HEAVY + ['importlib.metadata', 'email']!r} "
        "if m in sys.modules]]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOLOG_DISABLED_FLAVORS",)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    enabled, imported = json.loads(done.stdout)
    libraries = {"sklearn": "sklearn", "torch": "torch", "xgboost": "xgboost"}
    installed = sorted(n for n, m in libraries.items() if importlib.util.find_spec(m) is not None)
    assert installed and enabled == installed  # it did its work: found and chose them
    assert imported == []
