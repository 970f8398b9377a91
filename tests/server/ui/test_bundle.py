"""The front-end bundle shipped in the package is what a fresh build of ui/ makes.

``npm ci`` installs the locked versions (ui/package-lock.json), esbuild bundles into a
temporary folder, and every file must equal the committed one in src/autolog/server/static.
After changing ui/src, run ``make ui`` and commit the result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.server.ui.conftest import ROOT

pytestmark = pytest.mark.slow


def test_committed_bundle_matches_a_fresh_build(tmp_path: Path) -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        message = "node and npm are needed to check the front-end bundle"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    ui = ROOT / "ui"
    if not (ui / "node_modules" / ".package-lock.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ui, check=True, capture_output=True, timeout=600)
    subprocess.run([node, "build.mjs", str(tmp_path)], cwd=ui, check=True, capture_output=True, timeout=300)
    shipped = ROOT / "src" / "autolog" / "server" / "static"
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in shipped.iterdir())
    for name in built:
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), (
            f"src/autolog/server/static/{name} differs from a fresh build of ui/: run `make ui` and commit it"
        )
