"""LocalArtifactStore: the conformance suite plus what only a local disk can get wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autolog.errors import InvalidInputError, UnsafeArtifactPathError
from autolog.store import open_artifact_store
from autolog.store.artifacts import LocalArtifactStore
from autolog.store.artifacts._files import atomic_write
from autolog.testing import ArtifactStoreConformance
from autolog.core._entities import FileInfo

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")


class TestLocalConformance(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_root(self, tmp_path: Path) -> str:
        return str(tmp_path / "artifacts" / "run1")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    (path / "passwd").write_bytes(b"secret")
    return path


def test_roots_as_paths_and_file_uris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "dir with space"
    by_uri = open_artifact_store("file://" + str(target).replace(" ", "%20"))
    assert isinstance(by_uri, LocalArtifactStore)
    by_uri.write_bytes("a.txt", b"a")
    assert (target / "a.txt").read_bytes() == b"a"
    monkeypatch.chdir(tmp_path)
    relative = open_artifact_store("dir with space")
    monkeypatch.chdir("/")  # a relative root is fixed when the store is opened
    assert relative.list_artifacts() == [FileInfo("a.txt", False, 1)]
    with pytest.raises(InvalidInputError, match="host"):
        open_artifact_store("file://otherhost/data")


@needs_symlinks
def test_symlink_inside_the_root_pointing_out(root: Path, outside: Path) -> None:
    store = open_artifact_store(str(root))
    store.write_bytes("ok.txt", b"ok")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeArtifactPathError, match="through a symlink"):
        store.write_bytes("escape/new.txt", b"x")
    assert not (outside / "new.txt").exists()
    with pytest.raises(UnsafeArtifactPathError):
        store.open("escape/passwd")
    with pytest.raises(UnsafeArtifactPathError):
        store.download_artifacts("escape/passwd", str(root.parent / "dl"))
    with pytest.raises(UnsafeArtifactPathError):
        store.list_artifacts("escape")
    with pytest.raises(UnsafeArtifactPathError, match="outside the directory"):
        store.download_artifacts("", str(root.parent / "dl"))
    # not listed either: nothing under it can be read through the store
    assert store.list_artifacts() == [FileInfo("ok.txt", False, 2)]
    # deleting the link removes the link, never what it points at
    store.delete_artifacts("escape")
    assert (outside / "passwd").read_bytes() == b"secret"
    assert not os.path.lexists(root / "escape")


@needs_symlinks
def test_symlinked_file_inside_the_root_pointing_out(root: Path, outside: Path) -> None:
    store = open_artifact_store(str(root))
    store.write_bytes("ok.txt", b"ok")
    (root / "model.pkl").symlink_to(outside / "passwd")
    with pytest.raises(UnsafeArtifactPathError):
        store.write_bytes("model.pkl", b"overwrite?")
    assert (outside / "passwd").read_bytes() == b"secret"
    assert store.delete_artifacts("model.pkl") > 0
    assert (outside / "passwd").read_bytes() == b"secret"


@needs_symlinks
def test_root_that_is_itself_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    store = open_artifact_store(str(tmp_path / "link"))
    store.write_bytes("a/b.txt", b"abc")
    assert (real / "a" / "b.txt").read_bytes() == b"abc"
    assert store.delete_artifacts() == 3
    assert (tmp_path / "link").is_symlink() and list(real.iterdir()) == []


@needs_symlinks
def test_explicit_log_artifact_of_a_symlink_is_followed(
    root: Path, outside: Path, tmp_path: Path
) -> None:
    link = tmp_path / "config.txt"
    link.symlink_to(outside / "passwd")
    store = open_artifact_store(str(root))
    store.log_artifact(str(link))
    assert (root / "config.txt").read_bytes() == b"secret"
    assert not (root / "config.txt").is_symlink()


@needs_symlinks
def test_log_artifacts_refuses_symlink_loops(root: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"a")
    (src / "sub" / "up").symlink_to(src, target_is_directory=True)
    store = open_artifact_store(str(root))
    with pytest.raises(InvalidInputError, match="symlink loop"):
        store.log_artifacts(str(src))
    assert not root.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_log_artifacts_refuses_special_files(root: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    os.mkfifo(src / "pipe")
    with pytest.raises(InvalidInputError, match="not a regular file"):
        open_artifact_store(str(root)).log_artifacts(str(src))
    assert not root.exists()


def test_a_file_and_a_directory_cannot_swap(root: Path, tmp_path: Path) -> None:
    store = open_artifact_store(str(root))
    store.write_bytes("a", b"file")
    store.write_bytes("d/x.txt", b"x")
    with pytest.raises(InvalidInputError, match="'a' is a file"):
        store.write_bytes("a/b.txt", b"x")
    with pytest.raises(InvalidInputError, match="is a directory"):
        store.write_bytes("d", b"x")
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "0-first.txt").write_bytes(b"1")
    (src / "a" / "b.txt").write_bytes(b"2")
    with pytest.raises(InvalidInputError, match="'a' is a file"):
        store.log_artifacts(str(src))
    assert sorted(p.name for p in root.iterdir()) == ["a", "d"]  # 0-first.txt was not written
    assert (root / "a").read_bytes() == b"file"


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(root: Path) -> None:
    store = open_artifact_store(str(root))
    store.write_bytes("model.pkl", b"version 1")

    def fill(handle: object) -> None:
        handle.write(b"half of version 2")  # type: ignore[attr-defined]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(str(root / "model.pkl"), fill)
    assert (root / "model.pkl").read_bytes() == b"version 1"
    assert os.listdir(root) == ["model.pkl"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_written_files_follow_the_umask(root: Path) -> None:
    old = os.umask(0o022)
    try:
        open_artifact_store(str(root)).write_bytes("a.txt", b"a")
    finally:
        os.umask(old)
    assert (root / "a.txt").stat().st_mode & 0o777 == 0o644


def test_local_store_does_not_import_fsspec(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from autolog.store import open_artifact_store\n"
        f"store = open_artifact_store({str(tmp_path / 'r')!r})\n"
        "store.write_bytes('a.txt', b'a')\n"
        "store.list_artifacts()\n"
        "assert 'fsspec' not in sys.modules, 'fsspec was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
