"""The README's Python examples run as written (in a fresh interpreter and directory)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(blocks))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    done = subprocess.run(
        [sys.executable, "-W", "error::autolog.errors.AutologWarning", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "autolog-runs").is_dir()
