"""The conformance suite every ArtifactStore backend passes.

Subclass it and provide ``artifact_root``, a fresh root URI per test (it need not exist)::

    class TestMyArtifacts(ArtifactStoreConformance):
        @pytest.fixture
        def artifact_root(self, tmp_path):
            return f"myfs://bucket/{tmp_path.name}"

The store is opened through ``autolog.store.open_artifact_store``, so the scheme must be
registered under the entry-point group ``autolog.artifact_stores``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog.errors import InvalidInputError, NotFoundError, UnsafeArtifactPathError
from autolog.store import ArtifactStore, open_artifact_store
from autolog.core._entities import FileInfo

UNSAFE_PATHS = [
    "../x",
    "a/../../x",
    "/etc/x",
    "a//b",
    "a\x00b",
    "a\nb",
    "a\x7fb",
    "..\\x",
    "C:/x",
    "s3://bucket/x",
]

_needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


class ArtifactStoreConformance:
    """Behaviour every artifact store shares, tested through the public interface.

    Needs the fixture ``artifact_root``: a fresh root URI per test.
    """

    @pytest.fixture
    def artifacts(self, artifact_root: str) -> ArtifactStore:
        return open_artifact_store(artifact_root)

    @pytest.fixture
    def download_dir(self, tmp_path: Path) -> Path:
        return tmp_path / "downloaded"

    @pytest.fixture
    def tmp_downloads(self) -> Iterator[list[str]]:
        """Paths returned by download_artifacts(dst_path=None), removed after the test."""
        made: list[str] = []
        yield made
        for path in made:
            tmp_dir = os.path.dirname(path) if os.path.isfile(path) else path
            shutil.rmtree(tmp_dir, ignore_errors=True)

    # -- write and read ------------------------------------------------------------------------
    def test_root_need_not_exist(self, artifacts: ArtifactStore) -> None:
        assert artifacts.list_artifacts() == []
        artifacts.write_bytes("first.txt", b"1")
        assert [info.path for info in artifacts.list_artifacts()] == ["first.txt"]

    def test_write_bytes_then_open(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("notes/hello.txt", "héllo\n".encode())
        with artifacts.open("notes/hello.txt") as handle:
            assert handle.read() == "héllo\n".encode()
        with artifacts.open("notes/hello.txt", "r") as handle:
            assert handle.read() == "héllo\n"

    def test_write_bytes_replaces(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("model.bin", b"old content, longer")
        artifacts.write_bytes("model.bin", b"new")
        with artifacts.open("model.bin") as handle:
            assert handle.read() == b"new"
        assert artifacts.list_artifacts() == [FileInfo("model.bin", False, 3)]

    def test_write_bytes_needs_bytes(self, artifacts: ArtifactStore) -> None:
        with pytest.raises(TypeError, match="bytes"):
            artifacts.write_bytes("a.txt", "text")  # type: ignore[arg-type]
        assert artifacts.list_artifacts() == []

    def test_open_refuses_write_modes(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("a.txt", b"a")
        with pytest.raises(InvalidInputError, match="'w'"):
            artifacts.open("a.txt", "w")

    def test_open_missing_and_directory(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("dir/a.txt", b"a")
        with pytest.raises(NotFoundError, match="nope.txt"):
            artifacts.open("nope.txt")
        with pytest.raises(InvalidInputError, match="directory"):
            artifacts.open("dir")

    def test_non_ascii_names(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("résumé/δ data.txt", b"x")
        assert artifacts.list_artifacts("résumé") == [FileInfo("résumé/δ data.txt", False, 1)]

    def test_dot_segments_are_normalised(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("./a/./b.txt", b"1")
        artifacts.write_bytes("a/sub/../c.txt", b"2")
        assert [info.path for info in artifacts.list_artifacts("a/")] == ["a/b.txt", "a/c.txt"]

    # -- log_artifact(s) -----------------------------------------------------------------------
    def test_log_artifact(self, artifacts: ArtifactStore, tmp_path: Path) -> None:
        src = tmp_path / "metrics.csv"
        src.write_bytes(b"step,loss\n1,0.5\n")
        artifacts.log_artifact(str(src))
        artifacts.log_artifact(str(src), "reports/daily")
        assert [info.path for info in artifacts.list_artifacts()] == ["metrics.csv", "reports"]
        with artifacts.open("reports/daily/metrics.csv") as handle:
            assert handle.read() == b"step,loss\n1,0.5\n"

    def test_put_file_places_a_file_under_its_path(self, artifacts: ArtifactStore, tmp_path: Path) -> None:
        src = tmp_path / "upload.tmp"
        src.write_bytes(b"weights")
        artifacts.put_file(str(src), "model/weights.bin")
        with artifacts.open("model/weights.bin") as handle:
            assert handle.read() == b"weights"
        again = tmp_path / "upload2.tmp"
        again.write_bytes(b"newer")
        artifacts.put_file(str(again), "model/weights.bin")
        with artifacts.open("model/weights.bin") as handle:
            assert handle.read() == b"newer"
        assert [info.path for info in artifacts.list_artifacts("model")] == ["model/weights.bin"]

    def test_log_artifact_missing_source(self, artifacts: ArtifactStore, tmp_path: Path) -> None:
        missing = tmp_path / "nope.pkl"
        with pytest.raises(FileNotFoundError, match="nope.pkl"):
            artifacts.log_artifact(str(missing))
        with pytest.raises(IsADirectoryError, match="log_artifacts"):
            artifacts.log_artifact(str(tmp_path))
        assert artifacts.list_artifacts() == []

    def test_log_artifacts_copies_a_tree(
        self, artifacts: ArtifactStore, tmp_path: Path, download_dir: Path
    ) -> None:
        files = {"a.txt": b"a", "sub/b.bin": b"\x00\x01", "sub/deeper/c.txt": b"ccc"}
        src = _tree(tmp_path / "src", files)
        artifacts.log_artifacts(str(src), "out")
        assert artifacts.list_artifacts("out") == [
            FileInfo("out/a.txt", False, 1),
            FileInfo("out/sub", True, None),
        ]
        local = artifacts.download_artifacts("out", str(download_dir))
        assert local == str(download_dir / "out")
        assert _read_tree(Path(local)) == files

    def test_log_artifacts_missing_source(self, artifacts: ArtifactStore, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError, match="no-such-dir"):
            artifacts.log_artifacts(str(tmp_path / "no-such-dir"))
        (tmp_path / "file.txt").write_bytes(b"x")
        with pytest.raises(NotADirectoryError, match="log_artifact "):
            artifacts.log_artifacts(str(tmp_path / "file.txt"))
        assert artifacts.list_artifacts() == []

    def test_log_artifacts_validates_every_file_first(
        self, artifacts: ArtifactStore, tmp_path: Path
    ) -> None:
        src = _tree(tmp_path / "src", {"a-good.txt": b"ok", "bad\x01name.txt": b"no"})
        with pytest.raises(UnsafeArtifactPathError, match="control character"):
            artifacts.log_artifacts(str(src))
        assert artifacts.list_artifacts() == []

    @_needs_symlinks
    def test_log_artifacts_refuses_links_out_of_the_source(
        self, artifacts: ArtifactStore, tmp_path: Path
    ) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_bytes(b"password")
        src = _tree(tmp_path / "src", {"a.txt": b"a"})
        (src / "z-link.txt").symlink_to(secret)
        with pytest.raises(UnsafeArtifactPathError, match="outside the directory") as info:
            artifacts.log_artifacts(str(src))
        assert "log_artifact" in str(info.value)
        assert artifacts.list_artifacts() == []

    @_needs_symlinks
    def test_log_artifacts_follows_links_within_the_source(
        self, artifacts: ArtifactStore, tmp_path: Path
    ) -> None:
        src = _tree(tmp_path / "src", {"data/real.txt": b"real"})
        (src / "alias.txt").symlink_to(src / "data" / "real.txt")
        (src / "data-alias").symlink_to(src / "data", target_is_directory=True)
        artifacts.log_artifacts(str(src))
        for path in ("alias.txt", "data/real.txt", "data-alias/real.txt"):
            with artifacts.open(path) as handle:
                assert handle.read() == b"real"

    # -- unsafe paths --------------------------------------------------------------------------
    @pytest.mark.parametrize("path", UNSAFE_PATHS)
    def test_unsafe_paths_write_nothing(
        self, artifacts: ArtifactStore, tmp_path: Path, path: str
    ) -> None:
        src = tmp_path / "f.txt"
        src.write_bytes(b"x")
        with pytest.raises(UnsafeArtifactPathError) as info:
            artifacts.write_bytes(path, b"x")
        assert info.value.path == path
        with pytest.raises(UnsafeArtifactPathError):
            artifacts.log_artifact(str(src), path)
        with pytest.raises(UnsafeArtifactPathError):
            artifacts.log_artifacts(str(tmp_path), path)
        with pytest.raises(UnsafeArtifactPathError):
            artifacts.put_file(str(src), path)
        for read in (artifacts.open, artifacts.list_artifacts, artifacts.download_artifacts,
                     artifacts.delete_artifacts):
            with pytest.raises(UnsafeArtifactPathError):
                read(path)
        assert artifacts.list_artifacts() == []

    def test_a_file_path_must_name_a_file(self, artifacts: ArtifactStore) -> None:
        for path in ("", ".", "dir/", "a/.."):
            with pytest.raises(UnsafeArtifactPathError, match="directory"):
                artifacts.write_bytes(path, b"x")
        with pytest.raises(TypeError, match="str"):
            artifacts.write_bytes(None, b"x")  # type: ignore[arg-type]
        assert artifacts.list_artifacts() == []

    # -- listing -------------------------------------------------------------------------------
    def test_list_artifacts(self, artifacts: ArtifactStore) -> None:
        for path, data in {"b.txt": b"bb", "a/x.txt": b"x", "a/y/z.txt": b"z", "c": b""}.items():
            artifacts.write_bytes(path, data)
        assert artifacts.list_artifacts() == [
            FileInfo("a", True, None),
            FileInfo("b.txt", False, 2),
            FileInfo("c", False, 0),
        ]
        assert artifacts.list_artifacts("a") == [
            FileInfo("a/x.txt", False, 1),
            FileInfo("a/y", True, None),
        ]
        assert artifacts.list_artifacts("a/y") == [FileInfo("a/y/z.txt", False, 1)]
        assert artifacts.list_artifacts("b.txt") == []  # a file lists nothing, as in MLflow
        assert artifacts.list_artifacts("missing") == []

    # -- download ------------------------------------------------------------------------------
    def test_download_a_file(
        self, artifacts: ArtifactStore, download_dir: Path, tmp_downloads: list[str]
    ) -> None:
        artifacts.write_bytes("model/weights.bin", b"\x00" * 1000)
        local = artifacts.download_artifacts("model/weights.bin", str(download_dir))
        assert local == str(download_dir / "weights.bin")
        assert Path(local).read_bytes() == b"\x00" * 1000
        fresh = artifacts.download_artifacts("model/weights.bin")
        tmp_downloads.append(fresh)
        assert os.path.basename(fresh) == "weights.bin"
        assert Path(fresh).read_bytes() == b"\x00" * 1000

    def test_download_everything(
        self, artifacts: ArtifactStore, download_dir: Path, tmp_downloads: list[str]
    ) -> None:
        files = {"a.txt": b"a", "m/model.pkl": b"pickle", "m/meta/model.json": b"{}"}
        for path, data in files.items():
            artifacts.write_bytes(path, data)
        assert artifacts.download_artifacts("", str(download_dir)) == str(download_dir)
        assert _read_tree(download_dir) == files
        fresh = artifacts.download_artifacts()
        tmp_downloads.append(fresh)
        assert _read_tree(Path(fresh)) == files

    def test_download_replaces_existing_local_files(
        self, artifacts: ArtifactStore, download_dir: Path
    ) -> None:
        artifacts.write_bytes("a.txt", b"new")
        download_dir.mkdir()
        (download_dir / "a.txt").write_bytes(b"old and longer")
        artifacts.download_artifacts("a.txt", str(download_dir))
        assert (download_dir / "a.txt").read_bytes() == b"new"

    def test_download_missing(self, artifacts: ArtifactStore, download_dir: Path) -> None:
        artifacts.write_bytes("a.txt", b"a")
        with pytest.raises(NotFoundError, match="not-there"):
            artifacts.download_artifacts("not-there/x.txt", str(download_dir))
        assert not download_dir.exists()

    # -- delete --------------------------------------------------------------------------------
    def test_delete_a_path(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("keep.txt", b"keep")
        artifacts.write_bytes("drop/a.txt", b"12345")
        artifacts.write_bytes("drop/sub/b.txt", b"123")
        assert artifacts.delete_artifacts("drop") == 8
        assert artifacts.list_artifacts() == [FileInfo("keep.txt", False, 4)]
        assert artifacts.delete_artifacts("keep.txt") == 4
        assert artifacts.list_artifacts() == []

    def test_delete_everything_then_write_again(self, artifacts: ArtifactStore) -> None:
        artifacts.write_bytes("a.txt", b"aa")
        artifacts.write_bytes("d/b.txt", b"bbb")
        assert artifacts.delete_artifacts() == 5
        assert artifacts.list_artifacts() == []
        assert artifacts.delete_artifacts() == 0
        assert artifacts.delete_artifacts("never/was") == 0
        artifacts.write_bytes("again.txt", b"1")
        assert artifacts.list_artifacts() == [FileInfo("again.txt", False, 1)]

    def test_a_second_store_on_the_same_root_sees_writes(self, artifact_root: str) -> None:
        first, second = open_artifact_store(artifact_root), open_artifact_store(artifact_root)
        assert second.list_artifacts() == []
        first.write_bytes("a.txt", b"a")
        assert second.list_artifacts() == [FileInfo("a.txt", False, 1)]
        first.delete_artifacts("a.txt")
        assert second.list_artifacts() == []
