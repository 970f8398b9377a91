"""FsspecArtifactStore on fsspec's in-memory file system, and its configuration errors."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog.errors import InvalidInputError, StoreError, UnsafeArtifactPathError
from autolog.store import open_artifact_store
from autolog.store.artifacts import FsspecArtifactStore
from autolog.testing import ArtifactStoreConformance


@pytest.fixture
def memory_root() -> Iterator[str]:
    import fsspec

    root = f"memory://autolog-tests/{uuid.uuid4().hex}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


class TestMemoryConformance(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_root(self, memory_root: str) -> str:
        return memory_root


def test_memory_uri_opens_the_fsspec_store(memory_root: str) -> None:
    assert isinstance(open_artifact_store(memory_root), FsspecArtifactStore)


def test_download_refuses_object_keys_that_escape(memory_root: str, tmp_path: Path) -> None:
    import fsspec

    store = open_artifact_store(memory_root)
    store.write_bytes("ok.txt", b"ok")
    # a key written by someone else, not through the store
    fsspec.filesystem("memory").pipe_file(f"{memory_root}/sub/bad\x01name", b"x")
    with pytest.raises(UnsafeArtifactPathError, match="control character"):
        store.download_artifacts("", str(tmp_path / "dl"))
    assert not (tmp_path / "dl").exists()


@pytest.mark.parametrize("root", ["s3://", "memory://", "s3:/bucket", "://bucket"])
def test_roots_that_name_nothing(root: str) -> None:
    with pytest.raises(InvalidInputError, match="protocol://bucket/prefix"):
        FsspecArtifactStore(root)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"anon": false}', "keyed by protocol"),
        ("[1]", "keyed by protocol"),
    ],
)
def test_bad_fsspec_options(
    monkeypatch: pytest.MonkeyPatch, memory_root: str, value: str, message: str
) -> None:
    monkeypatch.setenv("AUTOLOG_FSSPEC_OPTIONS", value)
    with pytest.raises(InvalidInputError, match=message):
        open_artifact_store(memory_root).list_artifacts()


def test_missing_protocol_package() -> None:
    # gcsfs is not a dependency of any extra; the message names what to install
    if _importable("gcsfs"):
        pytest.skip("gcsfs is installed here")
    with pytest.raises(StoreError, match="pip install gcsfs"):
        open_artifact_store("gs://bucket/prefix").list_artifacts()


@pytest.mark.parametrize("blocked", ["fsspec", "s3fs"])
def test_missing_s3_extra(blocked: str) -> None:
    code = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        "from autolog.errors import StoreError\n"
        "from autolog.store import open_artifact_store\n"
        "store = open_artifact_store('s3://bucket/prefix')\n"
        "try:\n"
        "    store.list_artifacts()\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    out = run.stdout
    assert "pip install 'autolog[s3]'" in out


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
